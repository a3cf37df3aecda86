//! The output stage: files whose bytes changed are written beside those they replace (or
//! into a staging folder beside the output folder) and moved into place only when the whole
//! build succeeded, so a failed build leaves the previous site untouched and a good one leaves
//! no stale file behind.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sha2::{Digest as _, Sha256};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{Body, Rendered};
use crate::policy::Inline;

mod journal;

/// A build being written.
///
/// When the output folder holds only plain files and folders (as a build leaves it), a build
/// updates it in place: a file whose bytes did not change is left as it is, and a changed one
/// waits under a hidden name beside the file it replaces (or in a staging folder beside the
/// output, when its folder is new) until the whole build succeeded, when `commit` moves it
/// into place, setting aside what it replaces so that a failure part-way puts everything back
/// (see `journal`). A build that does not commit removes what it wrote. A build that changes
/// one page so touches a handful of files, where a copy of the output would touch every file
/// and folder of it. Otherwise
/// (no output yet, or one holding links or special files, which a pull request can plant) the
/// build is written whole into the staging folder, which then takes the output's place.
pub struct Staging {
    /// The staging folder: the whole output when fresh; else the changed files whose folder
    /// is new, and what the update sets aside.
    dir: PathBuf,
    target: PathBuf,
    /// The output was found fit to update in place, holding this (each entry's path relative
    /// to it) when the build began.
    held: Option<Vec<(String, crate::fs::Kind)>>,
    /// The folders of the output the update may write beside files in (those it held).
    folders: std::collections::HashSet<String>,
    /// The files of an update waiting to be moved into place, by output path: each beside
    /// the file it replaces (a hidden name in the same folder), or in `dir` when its folder is
    /// new.
    waiting: Mutex<HashMap<String, PathBuf>>,
    /// The names of the next waiting file.
    next: AtomicUsize,
    /// The identity of each file kept as the last build left it, as checked then.
    kept: Mutex<HashMap<String, crate::fs::FileId>>,
    minify: bool,
    committed: bool,
    /// A failed update could not put everything back: what it could not is in `dir`, which
    /// is then left as it is.
    left: bool,
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

/// What the output folder holds (each entry's path relative to it), when it is a folder of
/// plain files and folders only (no link, no special file): listed on a thread of its own
/// from the start of a build, while the stages before the output run.
pub struct Listing {
    dir: PathBuf,
    thread: Option<std::thread::JoinHandle<Option<Held>>>,
    held: Option<Held>,
}

/// What an output folder held, each entry's path relative to it.
type Held = Vec<(String, crate::fs::Kind)>;

impl Listing {
    /// Starts listing `dir`.
    pub fn start(dir: &Path) -> Self {
        let owned = dir.to_path_buf();
        Self {
            dir: dir.to_path_buf(),
            thread: Some(std::thread::spawn(move || list_plain(&owned))),
            held: None,
        }
    }

    /// The folder listed.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the folder holds, once listed: none when it is not a folder of plain files and
    /// folders.
    pub(crate) fn held(&mut self) -> Option<&[(String, crate::fs::Kind)]> {
        if let Some(thread) = self.thread.take() {
            // (A thread that panicked listed nothing: the output is written whole.)
            self.held = thread.join().ok().flatten();
        }
        self.held.as_deref()
    }
}

/// What `target` holds, when it is a folder (not a link) of plain files and folders only.
fn list_plain(target: &Path) -> Option<Vec<(String, crate::fs::Kind)>> {
    (target.is_dir() && !is_link(target))
        .then(|| files_and_folders(target))
        .flatten()
}

/// Starts a build's output next to `config.output_dir`, with the output's listing when it
/// was started already.
pub fn stage(config: &Config, listing: Option<Listing>) -> Result<Staging> {
    let target = config.output_dir.clone();
    let parent = target
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    crate::fs::create_dir_all(&parent)?;
    let name = target
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    // Earlier versions kept the output before last beside it, to write the next build into.
    // It is ours to drop: a link there is removed, never followed.
    let spare = parent.join(format!(".{name}.spare"));
    if is_link(&spare) {
        let _ = std::fs::remove_file(&spare);
    } else if spare.is_dir() {
        let _ = std::fs::remove_dir_all(&spare);
    }
    // Only a folder of plain files and folders is updated: a link in it (a pull request can
    // commit one) would send the writes, or the comparisons, elsewhere.
    let held = match listing {
        Some(mut listing) if listing.dir == target => {
            listing.held();
            listing.held
        }
        _ => list_plain(&target),
    };
    let dir = free_name(&parent, &format!(".{name}.staging"));
    crate::fs::create_dir_all(&dir)?;
    let folders = held
        .iter()
        .flatten()
        .filter(|(_, kind)| *kind == crate::fs::Kind::Folder)
        .map(|(rel, _)| rel.clone())
        .chain([String::new()])
        .collect();
    Ok(Staging {
        dir,
        target,
        held,
        folders,
        waiting: Mutex::new(HashMap::new()),
        next: AtomicUsize::new(0),
        kept: Mutex::new(HashMap::new()),
        minify: config.build.minify,
        committed: false,
        left: false,
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
    /// Writes one file (minifying HTML when configured), unless the output already has it with
    /// exactly these bytes.
    pub fn write(&self, rendered: Rendered) -> Result<()> {
        if !is_contained(&rendered.path) {
            return Err(Error::Outside(crate::error::Outside::Output {
                path: rendered.path.clone(),
            }));
        }
        let bytes = contents(rendered.body, self.minify)?;
        lock(&self.kept).remove(&rendered.path);
        if self.held.is_none() {
            let path = self.dir.join(&rendered.path);
            if std::fs::write(&path, &bytes).is_err() {
                // A missing folder.
                crate::fs::write(&path, &bytes)?;
            }
        } else if same_bytes(&self.target.join(&rendered.path), &bytes) {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            // (Written twice, the last bytes count.)
            if let Some(before) = lock(&self.waiting).remove(&rendered.path) {
                let _ = std::fs::remove_file(before);
            }
        } else {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let beside = self.beside(&rendered.path, n, &bytes);
            let waiting = if let Some(beside) = beside {
                beside
            } else {
                let flat = self.dir.join(format!("new-{n}"));
                std::fs::write(&flat, &bytes).map_err(crate::fs::io("could not write", &flat))?;
                flat
            };
            if let Some(before) = lock(&self.waiting).insert(rendered.path.clone(), waiting) {
                let _ = std::fs::remove_file(before);
            }
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let written = describe(&rendered.path, &bytes);
        lock(&self.written).insert(rendered.path, written);
        Ok(())
    }

    /// Writes `bytes` to wait beside the file at `path` in the output, under a hidden name of
    /// this build's own (`n`), when its folder is one the output held; none when it is not, or
    /// the file cannot be made there. A changed file so waits in its own folder, as the file
    /// it replaces did: on ext4 ten thousand new files in one folder, made right after as many
    /// were deleted there, took seconds of the kernel's time to find inodes for.
    fn beside(&self, path: &str, n: usize, bytes: &[u8]) -> Option<PathBuf> {
        use std::io::Write as _;
        let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
        if !self.folders.contains(folder) {
            return None;
        }
        let beside = self
            .target
            .join(folder)
            .join(format!(".{name}.ancapex-{}-{n}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&beside)
            .ok()?;
        if file.write_all(bytes).is_err() {
            drop(file);
            let _ = std::fs::remove_file(&beside);
            return None;
        }
        Some(beside)
    }

    /// The identity of the file the output will have at `path`, as far as it is written yet
    /// (before anything is, when the output is updated, the last build's file): a file with
    /// the identity it had when a build wrote it has the bytes it had. A file kept has the
    /// identity it was kept with, not `stat`ed again.
    pub(crate) fn file_id(&self, path: &str) -> Option<crate::fs::FileId> {
        if !is_contained(path) {
            return None;
        }
        if self.held.is_none() {
            return crate::fs::FileId::of(&self.dir.join(path));
        }
        if let Some(kept) = lock(&self.kept).get(path) {
            return Some(*kept);
        }
        let waiting = lock(&self.waiting).get(path).cloned();
        crate::fs::FileId::of(&waiting.unwrap_or_else(|| self.target.join(path)))
    }

    /// Counts the file at `path`, already in the output, as written, with what the build that
    /// wrote it said of it (the caller has checked its identity with `file_id`).
    /// Its identity, `file`, is remembered (see `file_id`).
    pub(crate) fn keep(&self, path: String, written: Written, file: crate::fs::FileId) {
        self.unchanged.fetch_add(1, Ordering::Relaxed);
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(written.size, Ordering::Relaxed);
        lock(&self.kept).insert(path.clone(), file);
        lock(&self.written).insert(path, written);
    }

    /// Every file written so far, by path, with its digest: the same whatever order the
    /// threads wrote in.
    pub fn written(&self) -> BTreeMap<String, Written> {
        lock(&self.written).clone()
    }

    /// Puts the build in place: the changed files moved into the output and what it no longer
    /// has removed, or the fresh output swapped in whole. When that fails part-way the output
    /// is put back as it was.
    pub fn commit(mut self) -> Result<Summary> {
        let summary = Summary {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
        };
        if let Some(held) = self.held.take() {
            let written = std::mem::take(&mut *lock(&self.written));
            let waiting = lock(&self.waiting).clone();
            let updated = journal::update(
                &self.target,
                &self.dir,
                waiting,
                &written,
                &held,
                &|from, to| std::fs::rename(from, to),
            );
            if let Err(failed) = updated {
                // What could not be put back is in the staging folder: it stays there.
                self.left = !failed.undone;
                return Err(failed.error);
            }
            self.committed = true;
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            self.swap_in()?;
            self.committed = true;
        }
        Ok(summary)
    }

    /// Moves a fresh output into place, and whatever was there out of the way.
    fn swap_in(&self) -> Result<()> {
        if std::fs::symlink_metadata(&self.target).is_err() {
            return crate::fs::rename(&self.dir, &self.target);
        }
        let parent = self.dir.parent().unwrap_or(Path::new("."));
        let name = self
            .target
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let aside = free_name(parent, &format!(".{name}.staging-replaced"));
        crate::fs::rename(&self.target, &aside)?;
        if let Err(e) = crate::fs::rename(&self.dir, &self.target) {
            // Put the previous site back: a failed build must leave it as it was.
            let _ = std::fs::rename(&aside, &self.target);
            return Err(e);
        }
        // (Never through a link: the link itself goes.)
        if std::fs::symlink_metadata(&aside).is_ok_and(|m| m.is_dir()) {
            let _ = std::fs::remove_dir_all(&aside);
        } else {
            let _ = std::fs::remove_file(&aside);
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// A build that did not commit leaves the output as it was, and nothing beside it.
    fn drop(&mut self) {
        if !self.committed && !self.left {
            for waiting in lock(&self.waiting).values() {
                let _ = std::fs::remove_file(waiting);
            }
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
