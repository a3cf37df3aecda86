//! Filesystem calls that name their path when they fail.

use std::path::{Component, Path, PathBuf};

use sha2::Digest as _;

use crate::diagnostic::{Diagnostic, SourceText};
use crate::error::{Error, Result};

pub(crate) fn io(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> Error + use<> {
    let path = path.to_path_buf();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}

/// `path` relative to `base`, `/`-separated whatever the platform: how paths are shown in
/// diagnostics and named in the output.
pub(crate) fn rel_path(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads a UTF-8 file.
pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(io("could not read", path))
}

/// Reads a file's bytes.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io("could not read", path))
}

/// Writes a file, creating its parent directories.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).map_err(io("could not write", path))
}

/// Writes `bytes` to `path` through a synced temporary file beside it, so a reader sees the
/// old file or the new one, never half. The folder may come from a pull request: a link
/// planted at the temporary file's name is removed (never followed), and the file is created
/// anew, so nothing outside the folder is written.
pub(crate) fn write_replacing(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("replacing-tmp");
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io("could not remove", &tmp)(e));
        }
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io("could not create", &tmp))?;
    std::io::Write::write_all(&mut file, bytes)
        .and_then(|()| file.sync_all())
        .map_err(io("could not write", &tmp))?;
    rename(&tmp, path)
}

/// Writes `bytes` to a new file of its own in `dir` (a random name, created anew: never a link
/// planted there), then renames it to `path`: a reader sees the old file or the new one, never
/// part of one, and two processes writing the same `path` at once each rename their own (the
/// last one stays).
pub(crate) fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |action, source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".new-")
        .tempfile_in(dir)
        .map_err(|e| io("could not write", e))?;
    std::io::Write::write_all(&mut temp, bytes).map_err(|e| io("could not write", e))?;
    temp.persist(path)
        .map_err(|e| io("could not write", e.error))?;
    Ok(())
}

/// Creates a directory and its parents.
pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(io("could not create directory", path))
}

/// Renames a file or directory.
pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(io("could not move into place", to))
}

/// Where a path of the site leads once the filesystem has followed every symbolic link on the
/// way: how the build decides, before it opens anything, that a file is the site's to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Followed {
    /// To this real path, inside the site's folder.
    Inside(PathBuf),
    /// Out of the site's folder, to this real path.
    Outside(PathBuf),
    /// To nothing: a link to a missing file, or a chain of links that never ends.
    Nowhere,
}

/// Where `path` leads, judged against `real_root` (the site's folder, canonical). Nothing is
/// opened: the links are only resolved.
pub(crate) fn follow(real_root: &Path, path: &Path) -> Followed {
    match std::fs::canonicalize(path) {
        Ok(real) if real.starts_with(real_root) => Followed::Inside(real),
        Ok(real) => Followed::Outside(real),
        Err(_) => Followed::Nowhere,
    }
}

/// What a symbolic link says, as it is written (`../secret`, `/etc/passwd`), for messages.
pub(crate) fn link_text(path: &Path) -> String {
    std::fs::read_link(path).map_or_else(
        |_| "somewhere that cannot be read".to_owned(),
        |to| to.to_string_lossy().into_owned(),
    )
}

/// The largest text file the build reads (a page, a template, a record, a report, `site.toml`):
/// 16 MiB. A larger one is a located problem, not unbounded memory.
pub(crate) const TEXT_LIMIT: u64 = 16 << 20;
/// The largest `entries.jsonl` of a run ledger: 256 MiB, about a million entries.
pub(crate) const LEDGER_LIMIT: u64 = 256 << 20;
/// The largest file the build copies into the site (a static file, a page's file, an artifact's
/// file): 256 MiB, above what git hosts take in one file. Larger files are listed by `url`.
pub(crate) const COPY_LIMIT: u64 = 256 << 20;

/// A text file of the site, read when it is no larger than `limit` and is UTF-8; otherwise the
/// located problem, shown as `path` relative to `root`.
pub(crate) fn read_source(
    root: &Path,
    path: &Path,
    limit: u64,
) -> Result<Result<std::sync::Arc<SourceText>, Diagnostic>> {
    use std::io::Read as _;
    let shown = rel_path(root, path);
    let file = std::fs::File::open(path).map_err(io("could not read", path))?;
    let size = file.metadata().map_err(io("could not read", path))?.len();
    if size > limit {
        return Ok(Err(too_big(&shown, size, limit)));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // A file that grows while it is read stops at the limit all the same.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io("could not read", path))?;
    if bytes.len() as u64 > limit {
        return Ok(Err(too_big(&shown, bytes.len() as u64, limit)));
    }
    Ok(String::from_utf8(bytes).map_or_else(
        |e| Err(not_utf8(&shown, &e)),
        |text| Ok(SourceText::new(shown.clone(), text)),
    ))
}

/// A file over its size limit.
pub(crate) fn too_big(shown: &str, size: u64, limit: u64) -> Diagnostic {
    let kind = if limit == COPY_LIMIT {
        "a file the build copies"
    } else {
        "a text file the build reads"
    };
    let (size_shown, limit_shown) = (crate::text::mebibytes(size), crate::text::mebibytes(limit));
    // Just over the limit reads the same rounded: then the bytes say it.
    let size_shown = if size_shown == limit_shown {
        format!("{size} bytes")
    } else {
        size_shown
    };
    Diagnostic::error(format!(
        "`{shown}` is {size_shown}, over the limit of {limit_shown} for {kind}"
    ))
    .in_file(shown)
    .help(if limit == COPY_LIMIT {
        "keep large files out of the repository: list them in a record by `url`, with `sha256` and `size`"
    } else {
        "split it into smaller files"
    })
}

/// A file that is not UTF-8, pointed at its first bad byte (shown as `�`).
fn not_utf8(shown: &str, e: &std::string::FromUtf8Error) -> Diagnostic {
    let at = e.utf8_error().valid_up_to();
    let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
    let source = SourceText::new(shown, lossy);
    Diagnostic::error(format!("`{shown}` is not valid UTF-8"))
        .at(&source, at..at + '\u{fffd}'.len_utf8())
        .label(format!("byte {at} cannot start a character here"))
        .help("save the file as UTF-8")
}

/// A symbolic link that leads out of the site: never followed.
pub(crate) fn link_out(shown: &str, to: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "`{shown}` is a symbolic link to `{to}`, outside the site"
    ))
    .in_file(shown)
    .help("the build reads only what is inside the site's folder: copy the file in, or remove the link")
}

/// A symbolic link that leads to nothing.
pub(crate) fn link_nowhere(shown: &str, to: &str) -> Diagnostic {
    Diagnostic::error(format!(
        "`{shown}` is a symbolic link to `{to}`, which does not exist"
    ))
    .in_file(shown)
    .help("remove the link, or make it lead to a file inside the site")
}

/// SHA-256 (lowercase hex) and size of a file, read in chunks so large files are not held whole.
/// What tells a file's bytes apart on this machine without reading them: its device, inode,
/// size and modification time to the nanosecond. A file written in place keeps its inode but
/// not its time; one replaced gets a new inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    /// The device of its file system.
    pub(crate) dev: u64,
    /// Its inode.
    pub(crate) ino: u64,
    /// Its size.
    pub(crate) size: u64,
    /// Its modification time, in nanoseconds since 1970.
    pub(crate) mtime_ns: i64,
}

impl FileId {
    /// The identity of the file at `path` (links followed); none when it is not a file.
    #[cfg(unix)]
    pub(crate) fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let m = std::fs::metadata(path).ok()?;
        m.is_file().then(|| Self {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: m
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.mtime_nsec()),
        })
    }

    /// Elsewhere there is no inode to tell files apart by: no file has an identity.
    #[cfg(not(unix))]
    pub(crate) fn of(_: &Path) -> Option<Self> {
        None
    }
}

/// What an entry listed by [`list_tree`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Folder,
    /// A symbolic link, when links are not followed.
    Link,
    /// Anything else (a socket, a device, a pipe).
    Other,
}

/// One entry listed by [`list_tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub(crate) path: PathBuf,
    pub(crate) kind: Kind,
}

/// Every entry under `root` (not `root` itself), sorted by path (a folder before what it
/// holds). Folders are read in parallel, and an entry's kind is taken from its folder's
/// listing, with no `stat` of its own: a walk of a large output or content folder is mostly
/// folders of one file each, where walkdir's one-at-a-time reading and a `stat` per entry
/// cost several times this. With `follow` (a canonical folder), a link is listed as what it
/// leads to, and a link to a folder is walked through; a link that leads out of `follow`,
/// nowhere, or back to a folder it is in (a loop) is an error. Without, a link is listed as a
/// link.
pub(crate) fn list_tree(root: &Path, follow: Option<&Path>) -> std::io::Result<Vec<Listed>> {
    let mut visited = vec![];
    if follow.is_some() {
        visited.push(root.canonicalize()?);
    }
    let mut all = list_folder(root, follow, &visited)?;
    all.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(all)
}

fn list_folder(
    dir: &Path,
    follow: Option<&Path>,
    visited: &[PathBuf],
) -> std::io::Result<Vec<Listed>> {
    use rayon::prelude::*;
    let kind = |t: std::fs::FileType| {
        if t.is_file() {
            Kind::File
        } else if t.is_dir() {
            Kind::Folder
        } else if t.is_symlink() {
            Kind::Link
        } else {
            Kind::Other
        }
    };
    let mut here = vec![];
    // Each folder reached through a link, with the real folders it was followed to.
    let mut through = vec![];
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let mut k = kind(entry.file_type()?);
        if let (Some(inside), Kind::Link) = (follow, k) {
            if !path.canonicalize()?.starts_with(inside) {
                return Err(std::io::Error::other(format!(
                    "`{}` leads out of `{}`",
                    path.display(),
                    inside.display()
                )));
            }
            k = kind(std::fs::metadata(&path)?.file_type());
            if k == Kind::Folder {
                let target = path.canonicalize()?;
                let inside = dir.canonicalize()?;
                if inside.starts_with(&target) || visited.iter().any(|v| v.starts_with(&target)) {
                    return Err(std::io::Error::other(format!(
                        "`{}` leads back to a folder it is in",
                        path.display()
                    )));
                }
                let mut also = visited.to_vec();
                also.push(target);
                through.push((here.len(), also));
            }
        }
        here.push(Listed { path, kind: k });
    }
    let nested: Vec<Vec<Listed>> = here
        .par_iter()
        .enumerate()
        .filter(|(_, e)| e.kind == Kind::Folder)
        .map(|(i, e)| {
            let visited = through
                .iter()
                .find(|(at, _)| *at == i)
                .map_or(visited, |(_, also)| also.as_slice());
            list_folder(&e.path, follow, visited)
        })
        .collect::<std::io::Result<_>>()?;
    here.extend(nested.into_iter().flatten());
    Ok(here)
}

pub(crate) fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = sha2::Sha256::new();
    let size = read_chunks(path, |chunk| hasher.update(chunk))?;
    Ok((crate::text::hex(&hasher.finalize()), size))
}

/// Reads the file at `path` a chunk at a time, handing each to `chunk`, without holding it
/// whole; its size.
pub(crate) fn read_chunks(path: &Path, mut chunk: impl FnMut(&[u8])) -> std::io::Result<u64> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        chunk(&buf[..n]);
        size += n as u64;
    }
    Ok(size)
}

/// Whether `s` is a SHA-256 digest as the site writes them: 64 lowercase hex digits.
pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why a path a record names inside its folder is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PathProblem {
    Empty,
    Absolute,
    Parent,
    Missing,
    NotAFile,
    SymlinkOut,
    TooLarge(u64),
    Unreadable(String),
}

/// Where a path a record names is on disk, if it is a file inside `folder` (already
/// canonical): containment is decided before anything is opened.
pub(crate) fn resolve_inside(folder: &Path, rel: &str) -> Result<PathBuf, PathProblem> {
    if rel.is_empty() {
        return Err(PathProblem::Empty);
    }
    let path = Path::new(rel);
    if rel.starts_with(['/', '\\'])
        || path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
    {
        return Err(PathProblem::Absolute);
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(PathProblem::Parent);
    }
    let joined = folder.join(path);
    match std::fs::symlink_metadata(&joined) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(PathProblem::Missing),
        Err(e) => return Err(PathProblem::Unreadable(e.to_string())),
    }
    // Any component may be a symlink; only the resolved path says where the bytes are.
    let real = std::fs::canonicalize(&joined).map_err(|_| PathProblem::Missing)?;
    if !real.starts_with(folder) {
        return Err(PathProblem::SymlinkOut);
    }
    match std::fs::metadata(&real) {
        Ok(m) if !m.is_file() => Err(PathProblem::NotAFile),
        Ok(m) if m.len() > crate::fs::COPY_LIMIT => Err(PathProblem::TooLarge(m.len())),
        Ok(_) => Ok(real),
        Err(e) => Err(PathProblem::Unreadable(e.to_string())),
    }
}

impl PathProblem {
    /// What is wrong with a path, after the path itself: "file `x` {describe}"; `folder` names
    /// the folder it must stay in ("the artifact's folder").
    pub(crate) fn describe(&self, folder: &str) -> String {
        match self {
            PathProblem::Empty => "has an empty path".to_owned(),
            PathProblem::Absolute => "is an absolute path".to_owned(),
            PathProblem::Parent => format!("leads out of {folder}"),
            PathProblem::Missing => "was not found".to_owned(),
            PathProblem::NotAFile => "is not a file".to_owned(),
            PathProblem::SymlinkOut => format!("is a symlink that leads out of {folder}"),
            PathProblem::TooLarge(size) => format!(
                "is {}, over the limit of {} for a file the build publishes",
                crate::text::mebibytes(*size),
                crate::text::mebibytes(crate::fs::COPY_LIMIT)
            ),
            PathProblem::Unreadable(e) => format!("could not be read: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_of_the_same_file_at_once_each_write_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("variant.webp");
        std::thread::scope(|s| {
            for t in 0..8u8 {
                let (dir, path) = (dir.path(), &path);
                s.spawn(move || {
                    for _ in 0..50 {
                        write_atomically(dir, path, &[t; 4096]).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() == 4096 && bytes.iter().all(|b| *b == bytes[0]));
        // Nothing but the file is left.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_tree_is_listed_sorted_with_each_kind_as_walkdir_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["a/b/c", "a/d", "e"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        for file in ["a/b/c/x.md", "a/b/y.md", "a/d/z", "e/w", "top"] {
            std::fs::write(root.join(file), file).unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a/d"), root.join("e/to-d")).unwrap();
        let real = root.canonicalize().unwrap();
        let listed = |follow: bool| -> Vec<(String, Kind)> {
            list_tree(root, follow.then_some(real.as_path()))
                .unwrap()
                .into_iter()
                .map(|l| (rel_path(root, &l.path), l.kind))
                .collect()
        };
        let walked = |follow| -> Vec<(String, Kind)> {
            walkdir::WalkDir::new(root)
                .min_depth(1)
                .follow_links(follow)
                .sort_by_file_name()
                .into_iter()
                .map(|e| {
                    let e = e.unwrap();
                    let t = e.file_type();
                    let kind = if t.is_file() {
                        Kind::File
                    } else if t.is_dir() {
                        Kind::Folder
                    } else {
                        Kind::Link
                    };
                    (rel_path(root, e.path()), kind)
                })
                .collect()
        };
        assert_eq!(listed(false), walked(false));
        assert_eq!(listed(true), walked(true));
        #[cfg(unix)]
        assert!(listed(true).contains(&("e/to-d/z".to_owned(), Kind::File)));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_back_to_a_folder_it_is_in_is_an_error_when_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("c")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("a/b/up")).unwrap();
        let real = root.canonicalize().unwrap();
        let inside = Some(real.as_path());
        assert!(list_tree(root, inside).is_err());
        assert!(list_tree(root, None).is_ok());
        // Two links that lead to each other's folders.
        std::fs::remove_file(root.join("a/b/up")).unwrap();
        std::os::unix::fs::symlink(root.join("c"), root.join("a/to-c")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("c/to-a")).unwrap();
        assert!(list_tree(&root.join("a"), inside).is_err());
        // A link out of the folder the walk may follow links in.
        assert!(list_tree(&root.join("a"), Some(&real.join("a"))).is_err());
        std::fs::remove_file(root.join("c/to-a")).unwrap();
        assert!(list_tree(&root.join("a"), inside).is_ok());
        assert!(list_tree(&root.join("a"), Some(&real.join("a"))).is_err());
        // A link that leads nowhere.
        let lone = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(lone.path().join("gone"), lone.path().join("l")).unwrap();
        let lone_real = lone.path().canonicalize().unwrap();
        assert!(list_tree(lone.path(), Some(&lone_real)).is_err());
        assert_eq!(list_tree(lone.path(), None).unwrap()[0].kind, Kind::Link);
    }

    #[test]
    fn sha256_known_answers() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        let abc = dir.path().join("abc");
        std::fs::write(&empty, b"").unwrap();
        std::fs::write(&abc, b"abc").unwrap();
        // FIPS 180-2 test vectors.
        assert_eq!(
            sha256_file(&empty).unwrap(),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
                0
            )
        );
        assert_eq!(
            sha256_file(&abc).unwrap(),
            (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
                3
            )
        );
        assert!(is_sha256(&sha256_file(&abc).unwrap().0));
        assert!(!is_sha256("BA7816BF"));
    }
}
