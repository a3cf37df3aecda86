//! Watching the sources: `content/`, `artifacts/`, `themes/`, `templates/`, `static/` and
//! `site.toml`, never the output folder. Events are gathered until the files have been quiet
//! for a moment, so that a save (or a `git checkout` touching a thousand files) is one rebuild,
//! and editors' swap and backup files are left out.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher as _};

/// The folders watched under the site root.
const DIRS: [&str; 5] = crate::layout::INPUTS;

/// How long the files must be quiet before a batch is rebuilt.
const QUIET: Duration = Duration::from_millis(10);

/// The longest a batch waits for quiet (a long storm is rebuilt in parts).
const LONGEST: Duration = Duration::from_secs(1);

/// What the watcher sends.
pub(crate) type Message = notify::Result<notify::Event>;

/// The notify watcher and the folders it watches.
pub(crate) struct Watcher {
    inner: notify::RecommendedWatcher,
    watched: HashSet<PathBuf>,
}

impl Watcher {
    /// Watches the site root (for `site.toml`, and folders appearing) and each source folder.
    pub(crate) fn start(root: &Path, tx: mpsc::Sender<Message>) -> Result<Self, String> {
        let mut inner = notify::recommended_watcher(move |e: Message| {
            let _ = tx.send(e);
        })
        .map_err(|e| format!("could not watch the sources: {e}"))?;
        inner
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(|e| format!("could not watch `{}`: {e}", root.display()))?;
        let mut w = Self {
            inner,
            watched: HashSet::new(),
        };
        w.rewatch(root);
        Ok(w)
    }

    /// Watches the source folders that exist now and forgets those that are gone (a folder
    /// deleted and made again is watched again).
    pub(crate) fn rewatch(&mut self, root: &Path) {
        for dir in DIRS {
            let path = root.join(dir);
            let exists = path.is_dir();
            let watched = self.watched.contains(&path);
            if exists && !watched {
                if self.inner.watch(&path, RecursiveMode::Recursive).is_ok() {
                    self.watched.insert(path);
                }
            } else if !exists && watched {
                let _ = self.inner.unwatch(&path);
                self.watched.remove(&path);
            }
        }
    }
}

/// Gathers the events following `first` until the files are quiet, and returns the source
/// files they touched, sorted, without duplicates.
pub(crate) fn batch(first: Message, rx: &mpsc::Receiver<Message>, root: &Path) -> Vec<PathBuf> {
    let started = Instant::now();
    let mut paths = BTreeSet::new();
    let mut add = |m: Message| {
        if let Ok(event) = m {
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            paths.extend(event.paths.into_iter().filter(|p| is_source(root, p)));
        }
    };
    add(first);
    while started.elapsed() < LONGEST {
        match rx.recv_timeout(QUIET) {
            Ok(m) => add(m),
            Err(_) => break,
        }
    }
    paths.into_iter().collect()
}

/// Whether a changed path is one of the site's sources: `site.toml`, a source folder, or a
/// file in one that the build would read (not an editor's swap, backup or temporary file).
pub(crate) fn is_source(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let mut parts = rel.components().map(std::path::Component::as_os_str);
    let Some(first) = parts.next() else {
        return false;
    };
    if first == crate::config::FILE_NAME {
        return rel.components().count() == 1;
    }
    if !DIRS.iter().any(|d| first == *d) {
        return false;
    }
    parts.all(|name| !crate::load::is_ignored(name) && name != "4913")
}

#[cfg(test)]
mod tests {
    use super::is_source;
    use std::path::Path;

    #[test]
    fn sources_are_the_watched_folders_and_site_toml_without_editor_files() {
        let root = Path::new("/site");
        for yes in [
            "/site/site.toml",
            "/site/content/a.md",
            "/site/content",
            "/site/themes/t/templates/page.html",
            "/site/artifacts/x/artifact.toml",
            "/site/static/css/site.css",
        ] {
            assert!(is_source(root, Path::new(yes)), "{yes}");
        }
        for no in [
            "/site/public/index.html",
            "/site/README.md",
            "/site/content/.a.md.swp",
            "/site/content/a.md~",
            "/site/content/4913",
            "/site/content/#a.md#",
            "/site/content/.git/index",
            "/elsewhere/content/a.md",
            "/site/site.toml/x",
        ] {
            assert!(!is_source(root, Path::new(no)), "{no}");
        }
    }
}
