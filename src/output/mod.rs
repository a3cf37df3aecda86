//! The output stage: files are written into a staging folder beside the output folder and
//! swapped into place only when the whole build succeeded, so a failed build leaves the
//! previous site untouched and a good one leaves no stale file behind.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{Body, Rendered};

/// A build being written.
pub struct Staging {
    dir: tempfile::TempDir,
    target: PathBuf,
    minify: bool,
    files: AtomicUsize,
    bytes: AtomicU64,
}

/// What a finished build wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Starts a build's output next to `config.output_dir`.
pub fn stage(config: &Config) -> Result<Staging> {
    let target = config.output_dir.clone();
    let parent = target
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    crate::fs::create_dir_all(&parent)?;
    let name = target
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let dir = tempfile::Builder::new()
        .prefix(&format!(".{name}.staging-"))
        .tempdir_in(&parent)
        .map_err(|source| Error::Io {
            action: "could not create a staging folder in",
            path: parent.clone(),
            source,
        })?;
    Ok(Staging {
        dir,
        target,
        minify: config.build.minify,
        files: AtomicUsize::new(0),
        bytes: AtomicU64::new(0),
    })
}

/// Whether a relative output path stays inside the output folder.
pub fn is_contained(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        && !path.contains('\\')
}

impl Staging {
    /// Writes one file (minifying HTML when configured).
    pub fn write(&self, rendered: Rendered) -> Result<()> {
        if !is_contained(&rendered.path) {
            return Err(Error::Usage(format!(
                "refusing to write `{}` outside the output folder",
                rendered.path
            )));
        }
        let path = self.dir.path().join(&rendered.path);
        let n = match rendered.body {
            Body::Html(html) => {
                let bytes = if self.minify {
                    minify(html.as_bytes())
                } else {
                    html.into_bytes()
                };
                crate::fs::write(&path, &bytes)?;
                bytes.len()
            }
            Body::Bytes(bytes) => {
                crate::fs::write(&path, &bytes)?;
                bytes.len()
            }
            Body::Copy(origin) => {
                let bytes = origin.read()?;
                crate::fs::write(&path, &bytes)?;
                bytes.len()
            }
        };
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Swaps the staged build into place. The previous output is moved aside first and
    /// removed only once the new one is in place.
    pub fn commit(self) -> Result<Summary> {
        let summary = Summary {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        };
        let staged = self.dir.keep();
        if self.target.exists() {
            let old = aside_name(&self.target);
            crate::fs::rename(&self.target, &old)?;
            if let Err(e) = crate::fs::rename(&staged, &self.target) {
                // Put the previous site back: a failed build must leave it as it was.
                let _ = std::fs::rename(&old, &self.target);
                let _ = std::fs::remove_dir_all(&staged);
                return Err(e);
            }
            crate::fs::remove_dir_all(&old)?;
        } else {
            crate::fs::rename(&staged, &self.target)?;
        }
        Ok(summary)
    }

    /// Where files are being written (for tests and serve).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn aside_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let parent = target.parent().unwrap_or(Path::new("."));
    (0u32..)
        .map(|i| parent.join(format!(".{name}.old-{}-{i}", std::process::id())))
        .find(|p| !p.exists())
        .unwrap_or_else(|| parent.join(format!(".{name}.old")))
}

fn minify(html: &[u8]) -> Vec<u8> {
    let mut cfg = minify_html::Cfg::new();
    cfg.keep_closing_tags = true;
    cfg.keep_html_and_head_opening_tags = true;
    cfg.minify_css = true;
    cfg.minify_js = false;
    cfg.keep_comments = false;
    minify_html::minify(html, &cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contained_paths_only() {
        assert!(is_contained("a/b/index.html"));
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a\\..\\x", "./a"] {
            assert!(!is_contained(bad), "{bad}");
        }
    }

    #[test]
    fn minifies_but_keeps_structure() {
        let out = String::from_utf8(minify(b"<!doctype html>\n<html>\n<head>\n<title> T </title></head>\n<body>\n<p>a  b</p>\n<!-- c -->\n</body></html>")).unwrap();
        assert!(out.contains("<p>a b</p>") && !out.contains("<!--"), "{out}");
    }
}
