//! The output stage: files are written into a staging folder beside the output folder and
//! swapped into place only when the whole build succeeded, so a failed build leaves the
//! previous site untouched and a good one leaves no stale file behind.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sha2::{Digest as _, Sha256};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{Body, Rendered};
use crate::policy::Inline;

/// A build being written.
///
/// The folder written into is, when there is one, the output of the build before last (kept
/// beside the output as `.<name>.spare`); when there is none but an output exists, a copy of the
/// output made of hard links. Either way a file whose bytes did not change is not written again,
/// and a rebuild allocates no new inodes, which on ext4 is most of the cost of writing ten
/// thousand small files right after deleting ten thousand others. Because a reused folder may
/// share its files with the live output, a changed file is never written in place: it is
/// written beside and renamed over.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    spare: PathBuf,
    reused: bool,
    /// What a reused folder held when the build began (each entry's path relative to it), to
    /// tell what this build did not write.
    held: Vec<(String, crate::fs::Kind)>,
    minify: bool,
    committed: bool,
    written: Mutex<BTreeMap<String, Written>>,
    files: AtomicUsize,
    bytes: AtomicU64,
    unchanged: AtomicUsize,
}

/// What a finished build wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Files in the output.
    pub files: usize,
    /// Bytes in the output.
    pub bytes: u64,
    /// Files that were already there with the same bytes, and so not written.
    pub unchanged: usize,
}

/// What was written at one path: the digest of the final bytes (after minifying), for the site
/// manifest, and what a page has inline, for the Content-Security-Policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// SHA-256 of the bytes on disk.
    pub sha256: [u8; 32],
    /// Their length.
    pub size: u64,
    /// Inline scripts and styles of an HTML page.
    pub inline: Inline,
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
    let spare = parent.join(format!(".{name}.spare"));
    let dir = free_name(&parent, &format!(".{name}.staging"));
    // Only folders this tool made are written into: a link in their place, or a link inside
    // them (a pull request can commit either), would send the writes elsewhere. The spare is
    // ours to drop; the output stays as it is until the build succeeds, but is not reused.
    let mut held = None;
    if is_link(&spare) {
        let _ = std::fs::remove_file(&spare);
    } else if spare.is_dir() {
        held = files_and_folders(&spare);
        if held.is_none() {
            let _ = std::fs::remove_dir_all(&spare);
        }
    }
    let mut reused = held.is_some() && std::fs::rename(&spare, &dir).is_ok();
    if !reused {
        held = (target.is_dir() && !is_link(&target))
            .then(|| link_tree(&target, &dir))
            .flatten();
        reused = held.is_some();
    }
    if !reused {
        crate::fs::create_dir_all(&dir)?;
    }
    Ok(Staging {
        dir,
        target,
        spare,
        reused,
        held: held.unwrap_or_default(),
        minify: config.build.minify,
        committed: false,
        written: Mutex::new(BTreeMap::new()),
        files: AtomicUsize::new(0),
        bytes: AtomicU64::new(0),
        unchanged: AtomicUsize::new(0),
    })
}

/// The bytes of a rendered file as they are published: HTML minified when `minify`, a copied
/// file read.
pub fn contents(body: Body, minify: bool) -> Result<std::borrow::Cow<'static, [u8]>> {
    Ok(match body {
        Body::Html(html) => {
            // A NUL is never valid in HTML (CommonMark and the HTML parser both read it as
            // U+FFFD); front matter and pages can carry one through to here.
            let html = if html.contains('\0') {
                html.replace('\0', "\u{fffd}")
            } else {
                html
            };
            if minify {
                self::minify(html.as_bytes()).into()
            } else {
                html.into_bytes().into()
            }
        }
        Body::Bytes(bytes) => bytes.into(),
        Body::Copy(origin) => origin.read()?,
    })
}

/// What the manifest and the security headers need to know of a published file.
pub fn describe(path: &str, bytes: &[u8]) -> Written {
    let inline = if path.ends_with(".html") {
        crate::policy::inline_sources(bytes)
    } else {
        Inline::default()
    };
    Written {
        sha256: Sha256::digest(bytes).into(),
        size: bytes.len() as u64,
        inline,
    }
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
    /// Writes one file (minifying HTML when configured), unless it is already there with
    /// exactly these bytes.
    pub fn write(&self, rendered: Rendered) -> Result<()> {
        if !is_contained(&rendered.path) {
            return Err(Error::Outside(crate::error::Outside::Output {
                path: rendered.path.clone(),
            }));
        }
        let path = self.dir.join(&rendered.path);
        let bytes = contents(rendered.body, self.minify)?;
        if self.reused && same_bytes(&path, &bytes) {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
        } else {
            self.put(&path, &bytes)?;
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let written = describe(&rendered.path, &bytes);
        self.lock().insert(rendered.path, written);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Written>> {
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The identity of the file at `path` in the folder (which, when it was reused, holds the
    /// last build's outputs): a file with the identity it had when a build wrote it has the
    /// bytes it had.
    pub(crate) fn file_id(&self, path: &str) -> Option<crate::fs::FileId> {
        if !is_contained(path) {
            return None;
        }
        crate::fs::FileId::of(&self.dir.join(path))
    }

    /// Counts the file at `path`, already in the folder, as written, with what the build that
    /// wrote it said of it (the caller has checked its identity with `file_id`).
    pub(crate) fn keep(&self, path: String, written: Written) {
        self.unchanged.fetch_add(1, Ordering::Relaxed);
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(written.size, Ordering::Relaxed);
        self.lock().insert(path, written);
    }

    /// Every file written so far, by path, with its digest: the same whatever order the
    /// threads wrote in.
    pub fn written(&self) -> BTreeMap<String, Written> {
        self.lock().clone()
    }

    fn put(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        if self.reused {
            return self.replace(path, bytes);
        }
        if let Ok(()) = std::fs::write(path, bytes) {
            Ok(())
        } else {
            // A missing folder.
            crate::fs::write(path, bytes)
        }
    }

    /// Writes `path` in a reused folder: beside it, then renamed over it, so that a file
    /// shared (hard-linked) with the live output is replaced, never changed.
    fn replace(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        let temp = path.with_file_name(format!(".{name}.ancapex-new"));
        if std::fs::write(&temp, bytes).is_err() {
            // A missing folder, a file where a folder must now be, or a folder where the file
            // must now be.
            clear_way(&self.dir, path);
            crate::fs::write(&temp, bytes)?;
        }
        if std::fs::rename(&temp, path).is_err() {
            clear_way(&self.dir, path);
            crate::fs::rename(&temp, path)?;
        }
        Ok(())
    }

    /// Swaps the staged build into place. The previous output is kept aside as the next
    /// build's starting point.
    pub fn commit(mut self) -> Result<Summary> {
        let summary = Summary {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
        };
        if self.reused {
            let written = std::mem::take(&mut *self.lock());
            remove_stale(&self.dir, &written, &self.held)?;
        }
        if self.target.exists() {
            if self.spare.exists() {
                crate::fs::remove_dir_all(&self.spare)?;
            }
            crate::fs::rename(&self.target, &self.spare)?;
            if let Err(e) = crate::fs::rename(&self.dir, &self.target) {
                // Put the previous site back: a failed build must leave it as it was.
                let _ = std::fs::rename(&self.spare, &self.target);
                return Err(e);
            }
        } else {
            crate::fs::rename(&self.dir, &self.target)?;
        }
        self.committed = true;
        Ok(summary)
    }

    /// Where files are being written (for tests and serve).
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staging {
    /// A build that did not commit leaves the output as it was; what it wrote becomes the
    /// spare (it is only ever a starting point, compared byte for byte).
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if self.spare.exists() || std::fs::rename(&self.dir, &self.spare).is_err() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes whatever stands in the way of writing `path` inside `root`: files where folders
/// must be, a folder where the file must be.
fn clear_way(root: &Path, path: &Path) {
    let mut at = root.to_path_buf();
    if let Ok(rel) = path.strip_prefix(root) {
        let parts: Vec<_> = rel.components().collect();
        for (i, part) in parts.iter().enumerate() {
            at.push(part);
            let last = i + 1 == parts.len();
            match std::fs::symlink_metadata(&at) {
                Ok(m) if !last && !m.is_dir() => {
                    let _ = std::fs::remove_file(&at);
                }
                Ok(m) if last && m.is_dir() => {
                    let _ = std::fs::remove_dir_all(&at);
                }
                _ => {}
            }
        }
    }
}

/// Deletes the files of a reused folder (which held `held` when the build began: nothing else
/// writes in it) that this build did not produce, and the folders left empty.
fn remove_stale(
    root: &Path,
    written: &BTreeMap<String, Written>,
    held: &[(String, crate::fs::Kind)],
) -> Result<()> {
    // The folders holding a file this build wrote: they stay.
    let mut holding = std::collections::HashSet::new();
    for path in written.keys() {
        let mut at = path.as_str();
        while let Some(i) = at.rfind('/') {
            at = &at[..i];
            if !holding.insert(at) {
                break;
            }
        }
    }
    let mut dirs = vec![];
    for (rel, kind) in held {
        if *kind == crate::fs::Kind::Folder {
            if !holding.contains(rel.as_str()) {
                dirs.push(root.join(rel));
            }
        } else if !written.contains_key(rel) && !holding.contains(rel.as_str()) {
            // (A file where this build made a folder was removed as it wrote in it.)
            let path = root.join(rel);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                // Gone with its folder, where this build wrote a file.
                Err(_) if std::fs::symlink_metadata(&path).is_err() => {}
                Err(source) => {
                    return Err(Error::Io {
                        action: "could not remove",
                        path,
                        source,
                    });
                }
            }
        }
    }
    // Deepest first; fails, harmlessly, for a folder that still holds something.
    for dir in dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
    Ok(())
}

/// Makes `to` a copy of the folder `from` whose files are hard links, so that a build over it
/// writes only what changed, and gives what it holds. None, with whatever was made removed,
/// when that is not possible (another file system, or one without hard links).
fn link_tree(from: &Path, to: &Path) -> Option<Vec<(String, crate::fs::Kind)>> {
    use crate::fs::Kind;
    let linked = crate::fs::list_tree(from, None).ok().and_then(|listed| {
        std::fs::create_dir_all(to).ok()?;
        let mut held = Vec::with_capacity(listed.len());
        for entry in listed {
            let rel = crate::fs::rel_path(from, &entry.path);
            let dest = to.join(&rel);
            let made = match entry.kind {
                Kind::Folder => std::fs::create_dir_all(&dest).is_ok(),
                Kind::File => std::fs::hard_link(&entry.path, &dest).is_ok(),
                // A symbolic link or other special file is simply not reused.
                Kind::Link | Kind::Other => continue,
            };
            if !made {
                return None;
            }
            held.push((rel, entry.kind));
        }
        Some(held)
    });
    if linked.is_none() {
        let _ = std::fs::remove_dir_all(to);
    }
    linked
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// What `dir` holds (each entry's path relative to it), when it is only plain files and
/// folders (no link, no special file).
fn files_and_folders(dir: &Path) -> Option<Vec<(String, crate::fs::Kind)>> {
    use crate::fs::Kind;
    let listed = crate::fs::list_tree(dir, None).ok()?;
    listed
        .into_iter()
        .map(|e| {
            matches!(e.kind, Kind::File | Kind::Folder)
                .then(|| (crate::fs::rel_path(dir, &e.path), e.kind))
        })
        .collect()
}

fn same_bytes(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == bytes)
}

fn free_name(parent: &Path, stem: &str) -> PathBuf {
    (0..u32::MAX)
        .map(|i| parent.join(format!("{stem}-{}-{i}", std::process::id())))
        .find(|p| !p.exists())
        .unwrap_or_else(|| parent.join(stem))
}

/// Pages with more opening tags than this are published as they were rendered. minify-html
/// parses elements recursively, with about 1.6 KiB of stack a level (measured), and an
/// untrusted page can nest as deep as it has tags: a page's depth is at most its number of
/// opening tags, so this many fit `MINIFY_STACK` with room to spare.
const MINIFY_ELEMENTS: usize = 100_000;
/// Pages with more opening brackets than this keep their inline CSS as it is. The CSS minifier
/// parses nested blocks recursively, and a block is only a byte or two (`a{`), so its depth
/// is bounded here by every `{`, `(` and `[` of the page (a bracket in a comment or a string
/// closes nothing for it): a few thousand fit `MINIFY_STACK` many times over, and only inline
/// styles, a small part of a page, go unminified past it.
const MINIFY_CSS_BRACKETS: usize = 4_000;
/// The stack of the threads that minify.
const MINIFY_STACK: usize = 256 << 20;

/// The threads that minify, each with a stack `MINIFY_STACK` deep (reserved, used only as
/// deep as a page needs); none when they cannot be made. A panic there leaves the page as it
/// was rendered (see `minify`) rather than ending the process.
fn minifiers() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("ancapex-minify-{i}"))
            .stack_size(MINIFY_STACK)
            .panic_handler(|_| {})
            .build()
            .ok()
    })
    .as_ref()
}

/// Minifies `html` on one of the `minifiers`, the calling thread blocked until it is done.
///
/// Not `ThreadPool::install`: called from a worker of another pool (the render stage's), that
/// waits by running other jobs of the caller's pool, each rendering a page and waiting on the
/// minifiers in turn, one inside the other on the caller's small stack. A site of 10,000 pages
/// overflowed it. Blocking on a channel runs nothing else meanwhile.
fn minify_on(pool: &rayon::ThreadPool, html: &[u8], cfg: minify_html::Cfg) -> Option<Vec<u8>> {
    let html = html.to_vec();
    let (done, result) = std::sync::mpsc::sync_channel(1);
    pool.spawn(move || {
        let _ = done.send(minify_html::minify(&html, &cfg));
    });
    result.recv().ok()
}

/// How many opening tags `html` can have, as minify-html reads them (`<` and a letter, digit,
/// `:` or `-`): at least its depth. Counted up to `most + 1`, past which the count is not
/// needed.
fn opening_tags(html: &[u8], most: usize) -> usize {
    memchr::memchr_iter(b'<', html)
        .filter(|&i| {
            html.get(i + 1)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'-'))
        })
        .take(most + 1)
        .count()
}

fn minify(html: &[u8]) -> Vec<u8> {
    let mut cfg = minify_html::Cfg::new();
    cfg.keep_closing_tags = true;
    cfg.keep_html_and_head_opening_tags = true;
    cfg.minify_css = memchr::memchr3_iter(b'{', b'(', b'[', html)
        .take(MINIFY_CSS_BRACKETS + 1)
        .count()
        <= MINIFY_CSS_BRACKETS;
    cfg.minify_js = false;
    cfg.keep_comments = false;
    match minifiers() {
        Some(pool) if opening_tags(html, MINIFY_ELEMENTS) <= MINIFY_ELEMENTS => {
            minify_on(pool, html, cfg).unwrap_or_else(|| html.to_vec())
        }
        _ => html.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minifying_from_another_pools_workers_does_not_nest_on_their_stacks() {
        // The render stage calls `minify` from rayon workers with the default stack. Waiting
        // on the minifiers used to run other pages' jobs inside the wait, deeper and deeper:
        // a site of 10,000 pages overflowed a worker's stack. Workers with a small stack and
        // many pages find it at once.
        let small = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .stack_size(256 << 10)
            .build()
            .unwrap();
        let page =
            b"<!doctype html><html><head><title>t</title></head><body><p>a   b</p></body></html>";
        let sizes: Vec<usize> = small.install(|| {
            use rayon::prelude::*;
            (0..20_000)
                .into_par_iter()
                .map(|_| minify(page).len())
                .collect()
        });
        assert!(sizes.iter().all(|&n| n < page.len()), "{:?}", &sizes[..3]);
    }

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

    #[test]
    fn pages_nested_past_the_stack_are_published_as_rendered() {
        // Each of these aborted the process with a stack overflow in the minifier.
        for page in [
            "<div>".repeat(200_000),
            format!("<p>x</p><style>{}</style>", "a{".repeat(100_000)),
            format!("<style>{}</style>", "@media (x){".repeat(100_000)),
        ] {
            assert_eq!(minify(page.as_bytes()), page.as_bytes());
        }
    }

    #[test]
    fn deep_pages_under_the_bounds_are_still_minified() {
        let page = format!("<p>a  b</p>{}", "<div>".repeat(20_000));
        assert!(minify(page.as_bytes()).starts_with(b"<p>a b</p>"));
        let styled = "<style>a { color : red }</style><p>a  b</p>";
        assert_eq!(
            minify(styled.as_bytes()),
            b"<style>a{color:red}</style><p>a b</p>"
        );
    }

    #[test]
    fn a_nul_in_html_is_published_as_a_replacement_character() {
        let out = contents(Body::Html("<p>a\0b</p>".to_owned()), false).unwrap();
        assert_eq!(&*out, "<p>a\u{fffd}b</p>".as_bytes());
    }

    #[test]
    fn counts_opening_tags_as_the_minifier_reads_them() {
        let html = b"<a><b-c/><:x><1>a < b</a><!-- <i> -->";
        assert_eq!(opening_tags(html, 100), 5);
        assert_eq!(opening_tags(html, 2), 3, "counting stops past the bound");
    }
}
