//! The artifact registry: `artifacts/<id>/artifact.toml` records, as contributors add them in
//! pull requests, with their evidence files beside them. `record` is the schema (unknown keys
//! are refused at their place, so typos never pass silently), `integrity` hashes every file on
//! every build and resolves references between records, `rules` gates claims by status and
//! computes the badge a visitor sees, and `evidence` weighs a criterion's ledger evidence
//! against the run ledgers.

pub(crate) mod cite;
pub mod evidence;
mod files;
mod frozen;
mod hash;
pub(crate) mod hub;
mod integrity;
pub(crate) mod machine;
mod record;
mod refs;
mod rules;
mod scaffold;
pub(crate) mod site;

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
pub use files::ArtifactFile;
pub(crate) use files::read as read_files;
pub use frozen::since as frozen_since;
pub use hash::{HashChange, fill as hash_files};
use record::Record;
pub use record::{
    Acceptance, Author, AuthorRole, Criterion, Date, FileEntry, FileRole, Input, Link, LinkRel,
    Provenance, Signature, SignatureScheme, Timestamp,
};
pub(crate) use refs::in_content;
pub use rules::Badge;
pub use scaffold::{NewArtifact, create};

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

    /// Whether the record was published: published, superseded or retracted. Such a record
    /// is frozen; a new version is a new record.
    pub fn is_frozen(self) -> bool {
        matches!(
            self,
            Status::Published | Status::Superseded | Status::Retracted
        )
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

/// The page of the artifact with this id.
pub fn page_url(id: &str) -> String {
    format!("/artifacts/{id}/")
}

/// A validated record, as templates see it.
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
    /// What the site says about it, computed from the status rules.
    pub badge: Badge,
    /// One line.
    pub summary: String,
    /// One falsifiable sentence, if the artifact makes a claim.
    pub claim: Option<String>,
    /// SPDX expression.
    pub license: Option<String>,
    /// Roadmap phase.
    pub phase: Option<u8>,
    /// When the record was created.
    pub created: Option<Date>,
    /// When the record last changed.
    pub updated: Option<Date>,
    /// Who answers for it.
    pub owners: Vec<String>,
    /// The record that replaces it: `artifact:<id>@<version>`.
    pub superseded_by: Option<Spanned<String>>,
    /// Why it was abandoned.
    pub reason: Option<String>,
    /// Who made and checked it.
    pub authors: Vec<Author>,
    /// What would make the claim true.
    pub acceptance: Option<Acceptance>,
    /// Its files, each hashed on this build.
    pub files: Vec<Spanned<FileEntry>>,
    /// How it was made.
    pub provenance: Option<Provenance>,
    /// Detached signatures.
    pub signatures: Vec<Signature>,
    /// Typed links to other artifacts and pages.
    pub links: Vec<Link>,
    /// The record's text.
    #[serde(skip)]
    pub source: Arc<SourceText>,
    /// The record's folder on disk, where its `path` files are.
    #[serde(skip)]
    pub folder: std::path::PathBuf,
    /// Where the bytes of each of `files` were read and hashed, for those that name a file
    /// inside the record's folder: the only files of a record the build publishes.
    #[serde(skip)]
    pub file_paths: Vec<Option<std::path::PathBuf>>,
    /// Where `status` is written in the record, for problems found by other modules.
    #[serde(skip)]
    pub status_span: Range<usize>,
    /// Each `ledger:` evidence as weighed against the run ledgers, by its text (filled by
    /// [`evidence::weigh`]).
    #[serde(skip)]
    pub ledger_evidence: HashMap<String, evidence::Weighed>,
    /// The card: its `README.md`, rendered like a page (shortcodes, checked links) by the
    /// markdown stage, shown on its page.
    #[serde(skip)]
    pub card: Option<crate::document::Document>,
}

/// Ids whose folders and URLs belong to run ledgers and failure reports.
const RESERVED_IDS: [&str; 2] = ["ledgers", "failures"];

/// Parses and checks every record, hashes its files and resolves references between records.
/// Records that do not parse, or whose schema, id, version or status is wrong, are reported and
/// left out; the others stay in (with their problems reported) so references to them resolve.
pub fn registry(files: &[ArtifactFile]) -> (Vec<Artifact>, Diagnostics) {
    registry_hashing(files, &crate::cache::Digests::none())
}

/// `registry`, with the files' digests taken from `digests` where it holds them.
pub fn registry_hashing(
    files: &[ArtifactFile],
    digests: &crate::cache::Digests<'_>,
) -> (Vec<Artifact>, Diagnostics) {
    let parsed: Vec<Parsed> = files.par_iter().map(|f| parse(f, digests)).collect();
    // An id belongs to the record in the folder of that name, else to the first record using it;
    // any other record with the id is a duplicate.
    let mut owners: HashMap<&str, usize> = HashMap::new();
    for (i, (file, p)) in files.iter().zip(&parsed).enumerate() {
        if let Some((id, _)) = p.id.as_ref().filter(|(id, _)| *id == file.dir) {
            owners.entry(id).or_insert(i);
        }
    }
    for (i, p) in parsed.iter().enumerate() {
        if let Some((id, _)) = &p.id {
            owners.entry(id).or_insert(i);
        }
    }
    let mut diagnostics = Diagnostics::new();
    let mut artifacts: Vec<Artifact> = vec![];
    let mut broken = HashSet::new();
    for (i, (file, p)) in files.iter().zip(&parsed).enumerate() {
        diagnostics.extend(p.diagnostics.iter().cloned());
        let Some((id, span)) = &p.id else { continue };
        let owner = owners[id.as_str()];
        if RESERVED_IDS.contains(&id.as_str()) {
            diagnostics.push(
                Diagnostic::error(format!("artifact id `{id}` is reserved"))
                    .at(&file.source, span.clone())
                    .label(format!("`/artifacts/{id}/` holds the site's {id}"))
                    .help("choose another id"),
            );
            broken.insert(id.clone());
        } else if owner != i {
            diagnostics.push(
                Diagnostic::error(format!("duplicate artifact id `{id}`"))
                    .at(&file.source, span.clone())
                    .help(format!(
                        "`{}` already uses it; ids are never reused",
                        files[owner].source.path
                    )),
            );
        } else if let Some(a) = &p.artifact {
            artifacts.push(a.clone());
        } else {
            broken.insert(id.clone());
        }
    }
    artifacts.sort_by(|a, b| a.id.cmp(&b.id));
    diagnostics.extend(integrity::references(&artifacts, &broken));
    diagnostics.extend(hub::check(&artifacts, &|id| kind_of(&artifacts, id)));
    (artifacts, diagnostics)
}

/// The kind as the records write it: `eval-suite`, `model`.
pub(crate) fn kind_name(a: &Artifact) -> String {
    serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The kind of the record `id` in `artifacts` (sorted by id).
pub(crate) fn kind_of(artifacts: &[Artifact], id: &str) -> Option<Kind> {
    artifacts
        .binary_search_by(|a| a.id.as_str().cmp(id))
        .ok()
        .map(|i| artifacts[i].kind)
}

/// One record, checked on its own: the artifact if it may be registered, its id (and where it
/// is) if it has one, and its problems.
struct Parsed {
    artifact: Option<Artifact>,
    id: Option<(String, Range<usize>)>,
    diagnostics: Diagnostics,
}

fn parse(file: &ArtifactFile, digests: &crate::cache::Digests<'_>) -> Parsed {
    let source = &file.source;
    let record: Record = match toml::from_str(&source.text) {
        Ok(r) => r,
        Err(e) => {
            let d = Diagnostic::error(crate::config::toml_message(&e));
            let d = match crate::config::toml_error_span(&e, &source.text) {
                Some(span) => d.at(source, span),
                None => d.in_file(source.path.clone()),
            };
            return Parsed {
                artifact: None,
                id: None,
                diagnostics: Diagnostics::from_iter([d]),
            };
        }
    };
    let mut ds = Diagnostics::new();
    let id = Some((record.id.get_ref().clone(), record.id.span()));
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
    let header_ok = !ds.has_errors();
    // Files and rules are checked whatever else is wrong: one run shows every mistake.
    let (file_paths, file_ds) = integrity::files(&record, &file.folder, &file.dir, source, digests);
    ds.extend(file_ds);
    let status = match parse_status(source, &record.status) {
        Ok(status) => status,
        Err(d) => {
            ds.push(d);
            return Parsed {
                artifact: None,
                id,
                diagnostics: ds,
            };
        }
    };
    let (badge, rule_ds) = rules::check(&record, status, source);
    ds.extend(rule_ds);
    if !header_ok {
        return Parsed {
            artifact: None,
            id,
            diagnostics: ds,
        };
    }
    let artifact = Artifact {
        id: record.id.into_inner(),
        version: record.version.into_inner(),
        title: record.title,
        kind: record.kind,
        status,
        badge,
        summary: record.summary,
        claim: record.claim.map(Spanned::into_inner),
        license: record.license.map(Spanned::into_inner),
        phase: record.phase,
        created: record.created,
        updated: record.updated,
        owners: record.owners,
        superseded_by: record.superseded_by,
        reason: record.reason,
        authors: record.authors,
        acceptance: record.acceptance,
        files: record.files,
        provenance: record.provenance,
        signatures: record.signatures,
        links: record.links,
        source: Arc::clone(source),
        folder: file.folder.clone(),
        file_paths,
        status_span: record.status.span(),
        ledger_evidence: HashMap::new(),
        card: file.card.as_ref().map(|c| card(file, c)),
    };
    Parsed {
        artifact: Some(artifact),
        id,
        diagnostics: ds,
    }
}

/// The card of the record in `file`: its `README.md` as a document at the record's page. A
/// leading YAML block (`---` … `---`, as a Hugging Face model card opens) is metadata for other
/// tools, not shown.
fn card(file: &ArtifactFile, text: &Arc<SourceText>) -> crate::document::Document {
    let t: &str = &text.text;
    let body_start = hub::body_start(t);
    crate::document::Document {
        rel: format!("artifacts/{}/README.md", file.dir),
        source: Arc::clone(text),
        body: body_start..t.len(),
        meta: Arc::default(),
        title: String::new(),
        url: page_url(&file.dir),
        content: crate::document::Content::default(),
    }
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
            folder: std::path::PathBuf::from(format!("/nonexistent/artifacts/{dir}")),
            source: SourceText::new(format!("artifacts/{dir}/artifact.toml"), text),
            card: None,
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
                "duplicate artifact id `eval-suite`",
                "duplicate artifact id `eval-suite`"
            ]
        );
    }

    #[test]
    fn semver_is_checked() {
        assert!(is_semver("0.1.0") && is_semver("1.2.3-rc.1"));
        assert!(!is_semver("v0") && !is_semver("01.0.0") && !is_semver("1.0"));
    }

    /// Records written into a temp `artifacts/` folder, with extra files beside them.
    fn on_disk(
        records: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> (tempfile::TempDir, Vec<ArtifactFile>) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("artifacts");
        for (rel, text) in extra {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let files = records
            .iter()
            .map(|(dir, text)| {
                std::fs::create_dir_all(root.join(dir)).unwrap();
                ArtifactFile {
                    folder: root.join(dir),
                    ..file(dir, text)
                }
            })
            .collect();
        (tmp, files)
    }

    fn messages(ds: &Diagnostics) -> Vec<(String, Option<(usize, usize)>)> {
        ds.iter()
            .map(|d| (d.message.clone(), d.line_col()))
            .collect()
    }

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn files_are_hashed_and_a_wrong_digest_points_at_the_sha256() {
        let good = format!(
            "{OK}[[files]]\npath = \"a.txt\"\nsha256 = \"{ABC}\"\nsize = 3\nrole = \"primary\"\n"
        );
        let (_tmp, files) = on_disk(&[("eval-suite", &good)], &[("eval-suite/a.txt", "abc")]);
        let (a, ds) = registry(&files);
        assert!(ds.is_empty(), "{ds:?}");
        assert_eq!(a.len(), 1);

        let (_tmp, files) = on_disk(&[("eval-suite", &good)], &[("eval-suite/a.txt", "abcd")]);
        let (a, ds) = registry(&files);
        assert_eq!(a.len(), 1, "a record with a bad file is still known");
        let d = ds.iter().next().unwrap();
        assert_eq!(d.message, "SHA-256 of `a.txt` does not match the record");
        assert_eq!(d.line_col(), Some((10, 10)));
        assert_eq!(
            d.help.as_deref(),
            Some(
                "the file's SHA-256 is `88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589`; a changed file needs a new version"
            )
        );
        assert_eq!(
            messages(&ds)[1],
            (
                "size of `a.txt` does not match the record".to_owned(),
                Some((11, 8))
            )
        );
    }

    #[test]
    fn missing_file_points_at_its_path() {
        let text = format!("{OK}[[files]]\npath = \"gone.txt\"\nrole = \"data\"\n");
        let (_tmp, files) = on_disk(&[("eval-suite", &text)], &[]);
        let (_, ds) = registry(&files);
        assert_eq!(
            messages(&ds),
            [("file `gone.txt` not found".to_owned(), Some((9, 8)))]
        );
    }

    #[test]
    fn path_leading_out_of_the_folder_is_refused() {
        let text = format!(
            "{OK}[[files]]\npath = \"../other/a.txt\"\nrole = \"data\"\n[[signatures]]\npath = \"/etc/passwd\"\nscheme = \"minisign\"\nkey = \"k\"\n"
        );
        let (_tmp, files) = on_disk(&[("eval-suite", &text)], &[("other/a.txt", "abc")]);
        let (_, ds) = registry(&files);
        assert_eq!(
            messages(&ds),
            [
                (
                    "file path `../other/a.txt` leads out of the artifact's folder".to_owned(),
                    Some((9, 8))
                ),
                (
                    "file path `/etc/passwd` is absolute".to_owned(),
                    Some((12, 8))
                ),
            ]
        );
    }

    #[test]
    fn url_file_needs_sha256_and_size_and_not_a_path_too() {
        let text = format!(
            "{OK}[[files]]\nurl = \"https://x.example/w.bin\"\nrole = \"data\"\n[[files]]\npath = \"a.txt\"\nurl = \"https://x.example/a\"\nrole = \"data\"\n[[files]]\nrole = \"data\"\n"
        );
        let (_, ds) = registry(&[file("eval-suite", &text)]);
        let msgs: Vec<_> = messages(&ds).into_iter().map(|(m, _)| m).collect();
        assert_eq!(
            msgs,
            [
                "file `https://x.example/w.bin` needs `sha256` and `size`",
                "a file has both `path` and `url`",
                "a file needs a `path` or a `url`",
            ]
        );
    }

    #[test]
    fn unknown_field_points_at_the_key_in_every_table() {
        for (extra, at) in [
            ("licence = \"MIT\"\n", (8, 1)),
            (
                "[[files]]\npath = \"a\"\nrole = \"data\"\nsha = \"x\"\n",
                (11, 1),
            ),
            (
                "[acceptance]\ncriteria = [{ text = \"t\", evidance = [] }]\n",
                (9, 27),
            ),
        ] {
            let (a, ds) = registry(&[file("eval-suite", &format!("{OK}{extra}"))]);
            assert!(a.is_empty());
            let d = ds.iter().next().unwrap();
            assert!(d.message.starts_with("unknown field"), "{}", d.message);
            assert_eq!(d.line_col(), Some(at), "{extra}");
        }
    }

    #[test]
    fn dates_are_dates() {
        let (_, ds) = registry(&[file(
            "eval-suite",
            &format!("{OK}created = 2026-11-01T10:00:00Z\n"),
        )]);
        let d = ds.iter().next().unwrap();
        assert!(
            d.message.starts_with("expected a date like `2026-11-01`"),
            "{}",
            d.message
        );
        assert_eq!(d.line_col(), Some((8, 11)));
    }

    fn record(id: &str, version: &str, status: &str, rest: &str) -> ArtifactFile {
        file(
            id,
            &format!(
                "schema = \"ancapex.artifact/1\"\nid = \"{id}\"\nversion = \"{version}\"\ntitle = \"T\"\nkind = \"report\"\nstatus = \"{status}\"\nsummary = \"s\"\n{rest}"
            ),
        )
    }

    #[test]
    fn references_resolve_to_an_id_and_version() {
        let (_, ds) = registry(&[
            record(
                "a",
                "1.0.0",
                "drafting",
                "[[links]]\nrel = \"depends-on\"\ntarget = \"artifact:b@1.0.0\"\n[[links]]\nrel = \"evaluates\"\ntarget = \"artifact:b@2.0.0\"\n[[links]]\nrel = \"discussion\"\ntarget = \"artifact:bb@1.0.0\"\n[[links]]\nrel = \"discussion\"\ntarget = \"forum\"\n",
            ),
            record("b", "1.0.0", "drafting", ""),
        ]);
        assert_eq!(
            messages(&ds),
            [
                (
                    "dangling reference `artifact:b@2.0.0`".to_owned(),
                    Some((13, 10))
                ),
                (
                    "dangling reference `artifact:bb@1.0.0`".to_owned(),
                    Some((16, 10))
                ),
                (
                    "link target `forum` is neither an artifact reference nor a URL".to_owned(),
                    Some((19, 10))
                ),
            ]
        );
        let ds: Vec<_> = ds.iter().collect();
        assert_eq!(ds[0].label.as_deref(), Some("`b` is at version `1.0.0`"));
        assert_eq!(ds[1].help.as_deref(), Some("did you mean `b`?"));
    }

    #[test]
    fn citing_a_superseded_or_retracted_artifact_is_a_warning() {
        let (a, ds) = registry(&[
            record(
                "new",
                "2.0.0",
                "drafting",
                "[[links]]\nrel = \"supersedes\"\ntarget = \"artifact:old@1.0.0\"\n[[links]]\nrel = \"depends-on\"\ntarget = \"artifact:old@1.0.0\"\n",
            ),
            record(
                "old",
                "1.0.0",
                "superseded",
                "superseded_by = \"artifact:new@2.0.0\"\n",
            ),
        ]);
        assert_eq!(a.len(), 2);
        let d: Vec<_> = ds.iter().collect();
        assert_eq!(d.len(), 1, "{ds:?}");
        assert_eq!(d[0].severity, crate::diagnostic::Severity::Warning);
        assert_eq!(
            d[0].message,
            "`artifact:old@1.0.0` cites a superseded artifact"
        );
        assert_eq!(d[0].line_col(), Some((13, 10)));
        assert_eq!(
            d[0].help.as_deref(),
            Some("it was superseded by `artifact:new@2.0.0`")
        );
    }

    #[test]
    fn superseded_by_must_be_a_reference() {
        let (_, ds) = registry(&[record(
            "old",
            "1.0.0",
            "superseded",
            "superseded_by = \"new\"\n",
        )]);
        assert_eq!(
            messages(&ds),
            [(
                "`superseded_by` must be an artifact reference, found `new`".to_owned(),
                Some((8, 17))
            )]
        );
    }

    #[test]
    fn reference_to_a_reported_record_is_not_reported_again() {
        let (_, ds) = registry(&[
            record(
                "a",
                "1.0.0",
                "drafting",
                "[[links]]\nrel = \"depends-on\"\ntarget = \"artifact:b@1.0.0\"\n",
            ),
            record("b", "1.0.0", "drafted", ""),
        ]);
        assert_eq!(messages(&ds).len(), 1, "{ds:?}");
    }

    #[test]
    fn badge_is_computed_and_serialized_for_templates() {
        let (a, _) = registry(&[file("eval-suite", OK)]);
        assert_eq!(a[0].badge, Badge::Aim);
        let json = serde_json::to_value(&a[0]).unwrap();
        assert_eq!(json["badge"], "aim");
        assert_eq!(json["status"], "planned");
        assert_eq!(json["files"], serde_json::json!([]));
    }
}
