//! Reading the artifact records: each `artifacts/<id>/artifact.toml` and its optional
//! `README.md` (the card's body), through the site's tree (so a link out of the site is refused
//! before anything is opened).

use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Diagnostics, SourceText};
use crate::error::Result;
use crate::fs::TEXT_LIMIT;
use crate::load::Tree;

/// A record under `artifacts/`.
#[derive(Debug, Clone)]
pub struct ArtifactFile {
    /// The folder name, which must equal the record's id.
    pub dir: String,
    /// The folder on disk, where the record's files are read and hashed.
    pub folder: PathBuf,
    /// The text of `artifact.toml`.
    pub source: Arc<SourceText>,
    /// The text of its `README.md`, the body of its card, if it has one.
    pub card: Option<Arc<SourceText>>,
}

/// Reads every `artifacts/<folder>/artifact.toml`, sorted by folder. Folders without one (the
/// ledgers', the failure reports') are not records.
pub(crate) fn read(tree: Tree<'_>, diagnostics: &mut Diagnostics) -> Result<Vec<ArtifactFile>> {
    let mut out = vec![];
    for entry in tree.folders(&crate::layout::artifacts(tree.root), diagnostics)? {
        if let Some(record) = tree.optional(&entry.join("artifact.toml"), diagnostics) {
            let dir = entry
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(source) = tree.text(&record, TEXT_LIMIT, diagnostics)? {
                let card = match tree.optional(&entry.join("README.md"), diagnostics) {
                    Some(readme) => tree.text(&readme, TEXT_LIMIT, diagnostics)?,
                    None => None,
                };
                out.push(ArtifactFile {
                    dir,
                    folder: entry,
                    source,
                    card,
                });
            }
        }
    }
    Ok(out)
}
