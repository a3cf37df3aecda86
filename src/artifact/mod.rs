//! The artifact registry: `artifacts/<id>/artifact.toml` records, as contributors add them in
//! pull requests. Unknown keys are refused at their place, so typos never pass silently.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::load::ArtifactFile;

/// The schema string every record starts with.
pub const SCHEMA: &str = "ancapex.artifact/1";

/// Where an artifact is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Announced, nothing to show yet.
    Planned,
    /// Being written.
    Drafting,
    /// Being assembled (a cohort, a data set).
    Forming,
    /// Complete, under review.
    Review,
    /// Reviewed and released.
    Published,
    /// Replaced by a newer record.
    Superseded,
    /// Withdrawn, with a retraction report.
    Retracted,
    /// Stopped before publication.
    Abandoned,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 8] = [
        Status::Planned,
        Status::Drafting,
        Status::Forming,
        Status::Review,
        Status::Published,
        Status::Superseded,
        Status::Retracted,
        Status::Abandoned,
    ];

    /// The name as written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::Drafting => "drafting",
            Status::Forming => "forming",
            Status::Review => "review",
            Status::Published => "published",
            Status::Superseded => "superseded",
            Status::Retracted => "retracted",
            Status::Abandoned => "abandoned",
        }
    }
}

/// What an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A written report.
    Report,
    /// A design memo.
    DesignMemo,
    /// A matrix (rights, refusals, ...).
    Matrix,
    /// An evaluation suite.
    EvalSuite,
    /// A template for others to fill in.
    Template,
    /// A data set.
    Dataset,
    /// Model weights.
    Model,
    /// A training checkpoint.
    Checkpoint,
    /// Source code.
    Code,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    schema: Spanned<String>,
    id: Spanned<String>,
    version: Spanned<String>,
    title: String,
    kind: Kind,
    status: Spanned<String>,
    summary: String,
    #[serde(default)]
    claim: Option<String>,
    #[serde(default)]
    phase: Option<u8>,
}

/// A validated record.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// The folder name and id.
    pub id: String,
    /// The content version.
    pub version: String,
    /// Display title.
    pub title: String,
    /// What it is.
    pub kind: Kind,
    /// Lifecycle status.
    pub status: Status,
    /// One line.
    pub summary: String,
    /// One falsifiable sentence, if the artifact makes a claim.
    pub claim: Option<String>,
    /// Roadmap phase.
    pub phase: Option<u8>,
    /// The record's text.
    #[serde(skip)]
    pub source: Arc<SourceText>,
}

/// Parses and checks every record; bad records are reported and left out.
pub fn registry(files: &[ArtifactFile]) -> (Vec<Artifact>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let mut artifacts: Vec<Artifact> = vec![];
    for file in files {
        match parse(file) {
            Ok(a) => {
                if let Some(first) = artifacts.iter().find(|b| b.id == a.id) {
                    diagnostics.push(
                        Diagnostic::error(format!("duplicate artifact id `{}`", a.id))
                            .in_file(a.source.path.clone())
                            .help(format!(
                                "`{}` already uses it; ids are never reused",
                                first.source.path
                            )),
                    );
                } else {
                    artifacts.push(a);
                }
            }
            Err(ds) => diagnostics.extend(ds),
        }
    }
    artifacts.sort_by(|a, b| a.id.cmp(&b.id));
    (artifacts, diagnostics)
}

fn parse(file: &ArtifactFile) -> Result<Artifact, Diagnostics> {
    let source = &file.source;
    let record: Record = toml::from_str(&source.text).map_err(|e| {
        let d = Diagnostic::error(crate::config::toml_message(&e));
        Diagnostics::from_iter([match e.span() {
            Some(span) => d.at(source, span),
            None => d.in_file(source.path.clone()),
        }])
    })?;
    let mut ds = Diagnostics::new();
    if record.schema.get_ref() != SCHEMA {
        ds.push(
            Diagnostic::error(format!("unknown schema `{}`", record.schema.get_ref()))
                .at(source, record.schema.span())
                .help(format!("use `{SCHEMA}`")),
        );
    }
    if record.id.get_ref() != &file.dir {
        ds.push(
            Diagnostic::error(format!(
                "artifact id `{}` does not match its folder `{}`",
                record.id.get_ref(),
                file.dir
            ))
            .at(source, record.id.span())
            .help("the id is the folder name under `artifacts/`"),
        );
    }
    if !is_semver(record.version.get_ref()) {
        ds.push(
            Diagnostic::error(format!(
                "version `{}` is not MAJOR.MINOR.PATCH",
                record.version.get_ref()
            ))
            .at(source, record.version.span()),
        );
    }
    let status = parse_status(source, &record.status).map_err(|d| ds.push(d));
    if ds.has_errors() {
        return Err(ds);
    }
    Ok(Artifact {
        id: record.id.into_inner(),
        version: record.version.into_inner(),
        title: record.title,
        kind: record.kind,
        status: status.unwrap_or(Status::Planned),
        summary: record.summary,
        claim: record.claim,
        phase: record.phase,
        source: Arc::clone(source),
    })
}

fn parse_status(source: &Arc<SourceText>, status: &Spanned<String>) -> Result<Status, Diagnostic> {
    let name = status.get_ref();
    if let Some(s) = Status::ALL.iter().find(|s| s.as_str() == name) {
        return Ok(*s);
    }
    let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let d = Diagnostic::error(format!("unknown artifact status `{name}`"))
        .at(source, status.span())
        .label(format!("expected one of {}", all.join(", ")));
    Err(match crate::text::did_you_mean(name, &all) {
        Some(best) => d.help(format!("did you mean `{best}`?")),
        None => d,
    })
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<_> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &str, text: &str) -> ArtifactFile {
        ArtifactFile {
            dir: dir.into(),
            source: SourceText::new(format!("artifacts/{dir}/artifact.toml"), text),
        }
    }

    const OK: &str = "schema = \"ancapex.artifact/1\"\nid = \"eval-suite\"\nversion = \"0.0.0\"\ntitle = \"Eval Suite v0\"\nkind = \"eval-suite\"\nstatus = \"planned\"\nsummary = \"makes claims testable\"\n";

    #[test]
    fn reads_a_valid_record() {
        let (a, ds) = registry(&[file("eval-suite", OK)]);
        assert!(ds.is_empty(), "{ds:?}");
        assert_eq!(a[0].status, Status::Planned);
    }

    #[test]
    fn unknown_status_suggests_the_nearest() {
        let (_, ds) = registry(&[file(
            "eval-suite",
            &OK.replace("\"planned\"", "\"publishd\""),
        )]);
        let d = ds.iter().next().unwrap();
        assert_eq!(d.message, "unknown artifact status `publishd`");
        assert_eq!(d.help.as_deref(), Some("did you mean `published`?"));
        assert_eq!(d.line_col(), Some((6, 10)));
    }

    #[test]
    fn id_must_match_folder_and_be_unique() {
        let (a, ds) = registry(&[
            file("other", OK),
            file("eval-suite", OK),
            file("eval-suite", OK),
        ]);
        assert_eq!(a.len(), 1);
        let msgs: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "artifact id `eval-suite` does not match its folder `other`",
                "duplicate artifact id `eval-suite`"
            ]
        );
    }

    #[test]
    fn semver_is_checked() {
        assert!(is_semver("0.1.0") && is_semver("1.2.3-rc.1"));
        assert!(!is_semver("v0") && !is_semver("01.0.0") && !is_semver("1.0"));
    }
}
