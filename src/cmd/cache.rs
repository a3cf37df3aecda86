//! `ancapex cache clean`: empties the build cache.

use std::path::{Path, PathBuf};

use ancapex::config::{self, Overrides};

use super::Outcome;

/// Empties the cache in `dir`, or the one site.toml under `root` names.
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn clean(root: &Path, dir: Option<PathBuf>) -> ancapex::Result<Outcome> {
    let dir = if let Some(dir) = dir {
        dir
    } else {
        let config = config::load(root, &Overrides::default())?;
        config
            .cache_dir
            .unwrap_or_else(|| root.join(ancapex::cache::DEFAULT_DIR))
    };
    let freed = ancapex::cache::clean(&dir)?;
    println!(
        "emptied the build cache in {} ({freed} bytes)",
        dir.display()
    );
    Ok(Outcome::Done)
}
