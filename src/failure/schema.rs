//! The front matter of a failure report, as contributors write it. Like `artifact.toml`, every
//! table refuses unknown keys, and values that parse but may still be wrong keep their place
//! (`Spanned`, relative to the front matter text) for the checks in `check` and `refs`. Enum
//! values are read as strings and named by `choice`, so a typo gets a did-you-mean.

use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;

use crate::diagnostic::{Diagnostic, SourceText};

use crate::front_matter::Date;

/// The front matter of `artifacts/failures/<id>.md`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Header {
    pub(crate) schema: Spanned<String>,
    pub(crate) id: Spanned<String>,
    pub(crate) title: String,
    pub(crate) report_type: Spanned<String>,
    pub(crate) status: Spanned<String>,
    pub(crate) severity: Spanned<String>,
    #[serde(default)]
    pub(crate) categories: Vec<String>,
    pub(crate) detected: Spanned<Date>,
    #[serde(default)]
    pub(crate) resolved: Option<Spanned<Date>>,
    #[serde(default)]
    pub(crate) published: Option<Spanned<Date>>,
    #[serde(default)]
    pub(crate) authors: Vec<String>,
    #[serde(default)]
    pub(crate) reviewers: Vec<String>,
    #[serde(default)]
    pub(crate) runs: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) ledger_refs: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) artifacts_affected: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) claims_affected: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) hypothesis: Option<String>,
    #[serde(default)]
    pub(crate) outcome: Option<String>,
    #[serde(default)]
    pub(crate) cost: Cost,
    #[serde(default)]
    pub(crate) evidence: Vec<EvidenceEntry>,
    #[serde(default)]
    pub(crate) actions: Vec<Action>,
}

/// What the failure cost: `[cost]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Accelerator hours spent on work that has to be thrown away or redone.
    #[serde(default)]
    pub gpu_hours_lost: f64,
    /// Training or evaluation steps thrown away.
    #[serde(default)]
    pub steps_lost: u64,
}

/// One `[[evidence]]` file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceEntry {
    pub(crate) path: Spanned<String>,
    pub(crate) sha256: Spanned<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// One `[[actions]]` item.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// What will be done, one sentence.
    pub what: String,
    /// What kind of action it is.
    #[serde(rename = "type")]
    pub kind: ActionType,
    /// Who answers for it.
    pub owner: String,
    /// When it is due.
    #[serde(default)]
    pub due: Option<Date>,
    /// Where it is.
    pub state: ActionState,
}

/// What kind of action an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionType {
    /// Repairs the damage of this failure (rerun, fix data, correct a claim).
    Corrective,
    /// Keeps it from happening again (a code fix, a guard, a test).
    Preventive,
    /// Catches it sooner next time (an alert, a check, a dashboard).
    Detective,
    /// Finds out more before deciding what to do.
    Investigation,
    /// Changes how the team works or writes things down.
    Process,
}

/// Where an action item is. `done` and `closed` are finished; the others are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionState {
    /// Not started.
    Open,
    /// Being worked on.
    InProgress,
    /// Waiting on something else.
    Blocked,
    /// Done.
    Done,
    /// Closed without being done (no longer needed, or decided against; say why in `what`).
    Closed,
}

impl ActionState {
    /// Whether the item still needs work: every state but `done` and `closed`.
    pub fn is_open(self) -> bool {
        !matches!(self, ActionState::Done | ActionState::Closed)
    }
}

/// Where the front matter is: its spans are moved by `base` to point into the file.
pub(super) struct Place<'a> {
    pub(super) source: &'a Arc<SourceText>,
    pub(super) base: usize,
}

impl Place<'_> {
    pub(super) fn span(&self, span: Range<usize>) -> Range<usize> {
        span.start + self.base..span.end + self.base
    }

    /// Points `d` at a span of the front matter.
    pub(super) fn at(&self, d: Diagnostic, span: Range<usize>) -> Diagnostic {
        d.at(self.source, self.span(span))
    }
}
