//! Reading the failure reports: each `artifacts/failures/<id>.md` (files in subfolders are their
//! evidence), through the site's tree (so a link out of the site is refused before anything is
//! opened).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Diagnostics, SourceText};
use crate::error::Result;
use crate::fs::TEXT_LIMIT;
use crate::load::Tree;

/// A failure report, `artifacts/failures/<id>.md`.
#[derive(Debug, Clone)]
pub struct FailureFile {
    /// The file name without `.md`, which must equal the report's id.
    pub stem: String,
    /// The folder the report is in (`artifacts/failures/`), where its evidence paths start.
    pub folder: PathBuf,
    /// The text, with its root-relative path for diagnostics.
    pub source: Arc<SourceText>,
}

/// Reads the failure reports, sorted by file name.
pub(crate) fn read(tree: Tree<'_>, diagnostics: &mut Diagnostics) -> Result<Vec<FailureFile>> {
    let failures_dir = crate::layout::failures(tree.root);
    let mut out = vec![];
    for (rel, path) in tree.walk(&failures_dir, diagnostics)? {
        let Some(stem) = report_id(&rel) else {
            continue;
        };
        if let Some(source) = tree.text(&path, TEXT_LIMIT, diagnostics)? {
            out.push(FailureFile {
                stem: stem.to_owned(),
                folder: failures_dir.clone(),
                source,
            });
        }
    }
    Ok(out)
}

/// The ids of every report file (links that lead out of the site left out), read or not.
pub(crate) fn ids(tree: Tree<'_>) -> Result<BTreeSet<String>> {
    let mut ignored = Diagnostics::new();
    Ok(tree
        .walk(&crate::layout::failures(tree.root), &mut ignored)?
        .into_iter()
        .filter_map(|(rel, _)| report_id(&rel).map(str::to_owned))
        .collect())
}

/// The report id of a file in `artifacts/failures/`: the stem of a `.md` file directly there
/// (files in subfolders are evidence).
fn report_id(rel: &str) -> Option<&str> {
    rel.strip_suffix(".md").filter(|s| !s.contains('/'))
}
