//! File digests kept in the cache: a large file (an artifact's evidence, a static file) is
//! hashed again only when it may have changed.
//!
//! A digest is taken back while the file's identity on this machine is what it was when it was
//! hashed: the same machine (its `/etc/machine-id` and host name), the same path, device and
//! inode, the same size and the same modification time to the nanosecond. Anything else, or
//! `--rehash`, hashes it again. A file modified within two seconds of being hashed is not kept,
//! since a second write within the file system's clock tick could leave its time as it was.

use std::path::Path;
use std::sync::Mutex;

use super::{Cache, Fielded, Fields, Hasher, Key};
use crate::fs::FileId;

/// The pack the digests are kept in.
const PACK: &str = "digests";

/// Whether kept digests may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rehash {
    /// While the file's identity is as it was.
    #[default]
    Unchanged,
    /// Never: every file is hashed (`--rehash`).
    All,
}

/// The digests of one build: those the cache holds, and those it made.
pub struct Digests<'a> {
    cache: Option<&'a Cache>,
    rehash: Rehash,
    /// Digests made, to be kept (and taken again by this build).
    made: Mutex<std::collections::HashMap<Key, Vec<u8>>>,
}

fn key(path: &Path) -> Key {
    Hasher::new()
        .field(b"digest 1")
        .field(super::machine())
        .field(path.as_os_str().as_encoded_bytes())
        .key()
}

impl<'a> Digests<'a> {
    /// Digests kept in `cache` (none: every file is hashed; nor are those of a cache written
    /// on another machine taken).
    pub fn new(cache: Option<&'a Cache>, rehash: Rehash) -> Self {
        Self {
            cache: cache.filter(|c| !c.is_foreign()),
            rehash,
            made: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Every file hashed, nothing kept (a check, serve, a test).
    pub fn none() -> Self {
        Self::new(None, Rehash::Unchanged)
    }

    /// The SHA-256 and size of the file at `path`.
    pub fn sha256(&self, path: &Path) -> std::io::Result<([u8; 32], u64)> {
        self.identified(path)
            .map(|(digest, size, _)| (digest, size))
    }

    /// The digest of the file at `path`, as a key, and its identity as it was when its digest
    /// was taken (none where files have none); none when it cannot be read.
    pub(crate) fn of_identified(&self, path: &Path) -> Option<(Key, Option<FileId>)> {
        self.identified(path).ok().map(|(d, _, id)| (d, id))
    }

    fn identified(&self, path: &Path) -> std::io::Result<([u8; 32], u64, Option<FileId>)> {
        let id = FileId::of(path);
        let key = key(path);
        if let (Some(cache), Some(id), Rehash::Unchanged) = (self.cache, id, self.rehash) {
            if let Some(digest) = cache.get(PACK, &key).and_then(|b| read(b, id)) {
                return Ok((digest, id.size, Some(id)));
            }
        }
        if let Some(id) = id {
            let made = self
                .made
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(digest) = made.get(&key).and_then(|b| read(b, id)) {
                return Ok((digest, id.size, Some(id)));
            }
        }
        let (digest, size) = crate::fs::sha256_file(path)?;
        let settled = id.is_some_and(|id| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            id.size == size && now.saturating_sub(id.mtime_ns) > 2_000_000_000
        });
        if let (true, Some(id), Some(bytes)) = (settled, id, decode_hex(&digest)) {
            let mut f = Fields::new();
            f.file_id(id).bytes(&bytes);
            self.made
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, f.into_bytes());
        }
        // Hashed now: the identity it had before is the one the digest is of only if it has
        // it still.
        let id = id.filter(|id| FileId::of(path) == Some(*id) && id.size == size);
        Ok((decode_hex(&digest).unwrap_or_default(), size, id))
    }

    /// The digest of the file at `path`, as a key; none when it cannot be read.
    pub fn of(&self, path: &Path) -> Option<Key> {
        self.sha256(path).ok().map(|(d, _)| d)
    }

    /// The digests made, to keep once the cache is no longer read.
    pub fn made(self) -> Made {
        Made(
            self.made
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Digests made by a build, to keep.
pub struct Made(std::collections::HashMap<Key, Vec<u8>>);

impl Made {
    /// Whether no digest was made (every one was taken).
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps them in `cache`.
    pub fn keep(self, cache: &mut Cache) {
        for (key, bytes) in self.0 {
            cache.put(PACK, key, bytes);
        }
    }
}

/// A kept digest, when the file's identity is `id`.
fn read(bytes: &[u8], id: FileId) -> Option<[u8; 32]> {
    let mut r = Fielded::new(bytes);
    let kept = r.file_id()?;
    let digest = r.bytes()?.try_into().ok()?;
    (r.is_done() && kept == id).then_some(digest)
}

fn decode_hex(hex: &str) -> Option<[u8; 32]> {
    let mut out = [0; 32];
    if hex.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(path: &Path) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        let then = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        file.set_modified(then).unwrap();
    }

    /// A digest made and kept, then the file changed as `change` does; what the next build
    /// takes, and whether it hashed the file again.
    fn after(change: impl Fn(&Path), rehash: Rehash) -> ([u8; 32], bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.bin");
        std::fs::write(&path, b"first bytes").unwrap();
        old(&path);
        let (mut cache, _) = super::super::open(&dir.path().join("cache"), 1 << 20);
        let digests = Digests::new(Some(&cache), Rehash::Unchanged);
        digests.sha256(&path).unwrap();
        digests.made().keep(&mut cache);
        change(&path);
        let digests = Digests::new(Some(&cache), rehash);
        let (digest, _) = digests.sha256(&path).unwrap();
        let hashed = !digests.made.lock().unwrap().is_empty();
        (digest, hashed)
    }

    fn sha(bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest as _;
        sha2::Sha256::digest(bytes).into()
    }

    #[test]
    fn an_unchanged_file_is_not_hashed_again() {
        assert_eq!(
            after(|_| {}, Rehash::Unchanged),
            (sha(b"first bytes"), false)
        );
    }

    #[test]
    fn rehash_hashes_every_file() {
        assert_eq!(after(|_| {}, Rehash::All), (sha(b"first bytes"), true));
    }

    #[test]
    fn a_changed_time_size_or_inode_hashes_again() {
        // Same size, bytes changed, time set back to a minute ago (as `old` did): a new time.
        let same_size = |p: &Path| {
            std::fs::write(p, b"other bytes").unwrap();
            old(p);
        };
        assert_eq!(
            after(same_size, Rehash::Unchanged),
            (sha(b"other bytes"), true)
        );
        // Replaced by a copy with the same bytes and time: another inode.
        let replaced = |p: &Path| {
            let copy = p.with_extension("new");
            std::fs::copy(p, &copy).unwrap();
            let time = std::fs::metadata(p).unwrap().modified().unwrap();
            std::fs::File::options()
                .write(true)
                .open(&copy)
                .unwrap()
                .set_modified(time)
                .unwrap();
            std::fs::rename(&copy, p).unwrap();
        };
        assert_eq!(
            after(replaced, Rehash::Unchanged),
            (sha(b"first bytes"), true)
        );
    }

    #[test]
    fn a_file_written_just_now_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fresh.bin");
        std::fs::write(&path, b"bytes").unwrap();
        let digests = Digests::new(None, Rehash::Unchanged);
        digests.sha256(&path).unwrap();
        assert!(digests.made.lock().unwrap().is_empty());
    }
}
