//! What the failure index sums up: reports, compute lost and open action items, over all
//! published reports, per run (a report counts under every run it names) and per report type.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{FailureReport, ReportType};

/// The sums over a group of reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    /// How many reports.
    pub reports: usize,
    /// Sum of `[cost] gpu_hours_lost`.
    pub gpu_hours_lost: f64,
    /// Sum of `[cost] steps_lost`.
    pub steps_lost: u64,
    /// Action items not done or closed.
    pub open_actions: usize,
}

impl Totals {
    fn add(&mut self, r: &FailureReport) {
        self.reports += 1;
        self.gpu_hours_lost += r.cost.gpu_hours_lost;
        self.steps_lost += r.cost.steps_lost;
        self.open_actions += r.open_actions();
    }
}

/// Totals over all reports, per run (by name) and per report type (in the documented order,
/// only the types in use).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Every report.
    pub all: Totals,
    /// Per run named in `runs`.
    pub by_run: Vec<(String, Totals)>,
    /// Per report type.
    pub by_type: Vec<(ReportType, Totals)>,
}

/// Sums `reports` up.
pub fn summary(reports: &[FailureReport]) -> Summary {
    let mut all = Totals::default();
    let mut by_run: BTreeMap<&str, Totals> = BTreeMap::new();
    let mut by_type: BTreeMap<ReportType, Totals> = BTreeMap::new();
    for r in reports {
        all.add(r);
        by_type.entry(r.report_type).or_default().add(r);
        for run in &r.runs {
            by_run.entry(run.as_str()).or_default().add(r);
        }
    }
    Summary {
        all,
        by_run: by_run.into_iter().map(|(k, t)| (k.to_owned(), t)).collect(),
        by_type: by_type.into_iter().collect(),
    }
}
