//! Reading the run ledgers: each folder under `artifacts/ledgers/`, through the site's tree (so
//! a link out of the site is refused before anything is opened).

use std::path::Path;
use std::sync::Arc;

use crate::diagnostic::{Diagnostics, SourceText};
use crate::error::Result;
use crate::fs::{LEDGER_LIMIT, TEXT_LIMIT};
use crate::load::Tree;

/// The files of one ledger under `artifacts/ledgers/<name>/`.
#[derive(Debug, Clone)]
pub struct LedgerFiles {
    /// The folder name.
    pub name: String,
    /// `ledger.toml`, if there is one.
    pub config: Option<Arc<SourceText>>,
    /// `entries.jsonl`, if there is one.
    pub entries: Option<Arc<SourceText>>,
    /// Each file in `checkpoints/`: its name and text, sorted by name.
    pub checkpoints: Vec<(String, Arc<SourceText>)>,
}

/// Reads every ledger folder under `artifacts/ledgers/`, sorted by name.
pub(crate) fn read(tree: Tree<'_>, diagnostics: &mut Diagnostics) -> Result<Vec<LedgerFiles>> {
    let dir = crate::layout::ledgers(tree.root);
    let mut out = vec![];
    for folder in tree.folders(&dir, diagnostics)? {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(read_one(tree, &folder, name, diagnostics)?);
    }
    Ok(out)
}

/// Reads one ledger folder.
pub(crate) fn read_one(
    tree: Tree<'_>,
    folder: &Path,
    name: String,
    diagnostics: &mut Diagnostics,
) -> Result<LedgerFiles> {
    let optional = |file: &str, limit: u64, diagnostics: &mut Diagnostics| match tree
        .optional(&folder.join(file), diagnostics)
    {
        Some(path) => tree.text(&path, limit, diagnostics),
        None => Ok(None),
    };
    let config = optional("ledger.toml", TEXT_LIMIT, diagnostics)?;
    let entries = optional("entries.jsonl", LEDGER_LIMIT, diagnostics)?;
    let mut checkpoints = vec![];
    for (rel, path) in tree.walk(&folder.join("checkpoints"), diagnostics)? {
        if let Some(text) = tree.text(&path, TEXT_LIMIT, diagnostics)? {
            checkpoints.push((rel, text));
        }
    }
    Ok(LedgerFiles {
        name,
        config,
        entries,
        checkpoints,
    })
}
