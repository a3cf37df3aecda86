//! Failure reports: `artifacts/failures/<id>.md`, TOML front matter (`schema` is
//! `ancapex.failure-report/1`) and a markdown body with the required sections. Failures are
//! content like any other: negative and null results are published, not hidden. `schema` is the
//! front matter as written, `check` the rules of one report (enums, dates, the hypothesis of a
//! negative result, evidence hashed like artifact files), `sections` the required headings,
//! `refs` what a report points at (runs and ledger entries through `LedgerLookup`, artifacts and
//! their claims in the registry), the rule that a retracted artifact has a retraction report,
//! and `totals` what the index sums up.

mod check;
mod files;
mod placeholders;
mod refs;
mod scaffold;
mod schema;
mod sections;
pub(crate) mod site;
mod totals;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::config::Drafts;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::document::Document;
use crate::front_matter::Date;
pub use files::FailureFile;
pub(crate) use files::{ids as report_ids, read as read_files};
pub use placeholders::TEMPLATE;
pub use scaffold::{NewFailure, create};
pub use schema::{Action, ActionState, ActionType, Cost};
pub use sections::REQUIRED as REQUIRED_SECTIONS;
pub use totals::{Summary, Totals, summary};

/// The schema string every report starts with.
pub const SCHEMA: &str = "ancapex.failure-report/1";

/// A record of the artifact registry, as a report sees it: what `artifacts_affected` and
/// `claims_affected` may name, and whether it waits for a retraction report.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The record's id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Whether it makes a claim.
    pub claims: bool,
    /// Where `status = "retracted"` is written in the record, when it is retracted.
    pub retracted: Option<(Arc<SourceText>, std::ops::Range<usize>)>,
}

/// What the build knows of the run ledgers (`artifacts/ledgers/<name>/entries.jsonl`).
pub trait LedgerLookup: Sync {
    /// Whether there is a ledger of that name.
    fn has_run(&self, name: &str) -> bool;
    /// The `type` of entry `seq` of ledger `name`, if there is such an entry.
    fn entry_type(&self, name: &str, seq: u64) -> Option<String>;
}

/// A lookup that knows no ledgers: every `runs` and `ledger_refs` entry is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLedgers;

impl LedgerLookup for NoLedgers {
    fn has_run(&self, _: &str) -> bool {
        false
    }

    fn entry_type(&self, _: &str, _: u64) -> Option<String> {
        None
    }
}

/// A value of one of the report's enumerations, as written in the front matter.
pub(crate) trait Named: Copy + 'static {
    /// Every value, in the order the docs list them.
    const ALL: &'static [Self];
    /// What the value is called in messages (`report type`).
    const WHAT: &'static str;
    /// The value as written.
    fn as_str(self) -> &'static str;
}

/// What kind of failure a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportType {
    /// Something went wrong in a run or a release (a crash, corrupted data, a bad deploy).
    Incident,
    /// An experiment ran as planned and its hypothesis was refuted.
    NegativeResult,
    /// An experiment ran as planned and showed no effect either way.
    NullResult,
    /// A published result could not be reproduced.
    Irreproducible,
    /// Why a published artifact was withdrawn.
    Retraction,
}

impl Named for ReportType {
    const ALL: &'static [Self] = &[
        ReportType::Incident,
        ReportType::NegativeResult,
        ReportType::NullResult,
        ReportType::Irreproducible,
        ReportType::Retraction,
    ];
    const WHAT: &'static str = "report type";
    fn as_str(self) -> &'static str {
        match self {
            ReportType::Incident => "incident",
            ReportType::NegativeResult => "negative-result",
            ReportType::NullResult => "null-result",
            ReportType::Irreproducible => "irreproducible",
            ReportType::Retraction => "retraction",
        }
    }
}

/// Where a report is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportStatus {
    /// Being written; not published unless the build includes drafts.
    Draft,
    /// Written, being reviewed.
    Review,
    /// Reviewed and published.
    Published,
    /// Published, then corrected; the body says what changed.
    Amended,
    /// The report itself was withdrawn (it was wrong); it stays published, marked so.
    Retracted,
}

impl Named for ReportStatus {
    const ALL: &'static [Self] = &[
        ReportStatus::Draft,
        ReportStatus::Review,
        ReportStatus::Published,
        ReportStatus::Amended,
        ReportStatus::Retracted,
    ];
    const WHAT: &'static str = "report status";
    fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::Review => "review",
            ReportStatus::Published => "published",
            ReportStatus::Amended => "amended",
            ReportStatus::Retracted => "retracted",
        }
    }
}

impl ReportStatus {
    /// Whether the report is out: published, amended or retracted (it stays published).
    pub fn is_public(self) -> bool {
        matches!(
            self,
            ReportStatus::Published | ReportStatus::Amended | ReportStatus::Retracted
        )
    }
}

/// How bad a failure is, by what it does to the lab's claims (defined in `docs/FAILURES.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    /// Claim-invalidating: a published claim or result is wrong or no longer supported.
    S1,
    /// Major: no published claim falls, but a run, result or artifact must be redone.
    S2,
    /// Minor: results stand, with a caveat or less certainty; work was lost but recovered.
    S3,
    /// Cosmetic: presentation only, no effect on any result.
    S4,
}

impl Named for Severity {
    const ALL: &'static [Self] = &[Severity::S1, Severity::S2, Severity::S3, Severity::S4];
    const WHAT: &'static str = "severity";
    fn as_str(self) -> &'static str {
        match self {
            Severity::S1 => "S1",
            Severity::S2 => "S2",
            Severity::S3 => "S3",
            Severity::S4 => "S4",
        }
    }
}

impl Severity {
    /// The one-word name of the level.
    pub fn label(self) -> &'static str {
        match self {
            Severity::S1 => "claim-invalidating",
            Severity::S2 => "major",
            Severity::S3 => "minor",
            Severity::S4 => "cosmetic",
        }
    }
}

/// One `[[evidence]]` file, hashed on this build.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// As written, relative to `artifacts/failures/`.
    pub path: String,
    /// Lowercase hex SHA-256 of the bytes (checked).
    pub sha256: String,
    /// What the file shows.
    pub description: Option<String>,
    /// Where the bytes are, when the file was found.
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// A validated report, as the render stage sees it.
#[derive(Debug, Clone)]
pub struct FailureReport {
    /// The file stem and id.
    pub id: String,
    /// Display title.
    pub title: String,
    /// What kind of failure.
    pub report_type: ReportType,
    /// Lifecycle status.
    pub status: ReportStatus,
    /// How bad.
    pub severity: Severity,
    /// Free-form tags (`data`, `infra`, `eval`, ...).
    pub categories: Vec<String>,
    /// When it was noticed.
    pub detected: Date,
    /// When it was fixed or settled.
    pub resolved: Option<Date>,
    /// When the report was published.
    pub published: Option<Date>,
    /// Who wrote it.
    pub authors: Vec<String>,
    /// Who reviewed it.
    pub reviewers: Vec<String>,
    /// The run ledgers it is about.
    pub runs: Vec<String>,
    /// `ledger:<name>#<seq>` entries it cites.
    pub ledger_refs: Vec<String>,
    /// Artifact ids (`id` or `id@version`) it affects.
    pub artifacts_affected: Vec<String>,
    /// Artifacts whose claim it affects.
    pub claims_affected: Vec<String>,
    /// What was expected, written before the run.
    pub hypothesis: Option<String>,
    /// What happened.
    pub outcome: Option<String>,
    /// What it cost.
    pub cost: Cost,
    /// Files that show what happened, hashed.
    pub evidence: Vec<Evidence>,
    /// What will be done.
    pub actions: Vec<Action>,
    /// The markdown body, rendered by the markdown stage at `/failures/<id>/`.
    pub doc: Document,
}

impl FailureReport {
    /// The page's URL.
    pub fn url(id: &str) -> String {
        format!("/failures/{id}/")
    }

    /// Where an evidence file is published: its digest is in the path, like artifact files.
    pub fn evidence_url(&self, e: &Evidence) -> String {
        let name = e.path.rsplit('/').next().unwrap_or(&e.path);
        format!("/failures/{}/files/{}/{name}", self.id, e.sha256)
    }

    /// Action items not yet done or closed.
    pub fn open_actions(&self) -> usize {
        self.actions.iter().filter(|a| a.state.is_open()).count()
    }
}

/// Parses and checks every report, resolves its references, and checks that every retracted
/// artifact has a retraction report. Returns the reports to publish (drafts only with
/// `Drafts::Include`), sorted by id; every report is checked, published or not.
pub fn reports(
    files: &[FailureFile],
    artifacts: &[Registered],
    ledgers: &dyn LedgerLookup,
    drafts: Drafts,
    digests: &crate::cache::Digests<'_>,
) -> (Vec<FailureReport>, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let mut out = vec![];
    let mut retracted: HashSet<String> = HashSet::new();
    for file in files {
        let checked = check::report(file, artifacts, ledgers, digests);
        diagnostics.extend(checked.diagnostics);
        retracted.extend(checked.retracts);
        if let Some(report) = checked.report
            && (report.status != ReportStatus::Draft || drafts == Drafts::Include)
        {
            out.push(report);
        }
    }
    diagnostics.extend(retractions(artifacts, &retracted));
    out.sort_by(|a, b| a.id.cmp(&b.id));
    (out, diagnostics)
}

/// A retracted artifact must be in the `artifacts_affected` of a `retraction` report.
fn retractions(artifacts: &[Registered], retracted: &HashSet<String>) -> Diagnostics {
    artifacts
        .iter()
        .filter(|a| !retracted.contains(&a.id))
        .filter_map(|a| Some((a, a.retracted.as_ref()?)))
        .map(|(a, (source, span))| {
            Diagnostic::error(format!(
                "retracted artifact `{}` has no retraction report",
                a.id
            ))
            .at(source, span.clone())
            .help(format!(
                "add `artifacts/failures/<id>.md` with `report_type = \"retraction\"` and `artifacts_affected = [\"{}\"]`",
                a.id
            ))
        })
        .collect()
}

/// The body of a report as a document the markdown stage renders.
fn document(file: &FailureFile, body: std::ops::Range<usize>, title: &str) -> Document {
    Document {
        rel: format!("failures/{}.md", file.stem),
        source: Arc::clone(&file.source),
        body,
        // No front matter title: the markdown stage then takes a leading `# ` heading as the
        // title, which the page shows from `title`, so it is not shown twice.
        meta: Arc::default(),
        title: title.to_owned(),
        url: FailureReport::url(&file.stem),
        content: crate::document::Content::default(),
    }
}

/// Names a value of one of the enumerations, suggesting the nearest on a typo.
fn choice<T: Named>(
    place: &schema::Place<'_>,
    value: &toml::Spanned<String>,
) -> Result<T, Diagnostic> {
    let (value, span) = (value.get_ref().as_str(), value.span());
    if let Some(v) = T::ALL.iter().find(|v| v.as_str() == value) {
        return Ok(*v);
    }
    let all: Vec<&str> = T::ALL.iter().map(|v| v.as_str()).collect();
    let d = place
        .at(
            Diagnostic::error(format!("unknown {} `{value}`", T::WHAT)),
            span,
        )
        .label(format!("expected one of {}", all.join(", ")));
    Err(match crate::text::did_you_mean(value, &all) {
        Some(best) => d.help(format!("did you mean `{best}`?")),
        None => d,
    })
}

#[cfg(test)]
mod tests;
