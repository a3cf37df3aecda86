//! The build cache on disk: what a build made that the next one, in another process, may take
//! back instead of making it again. It is a folder (`.ancapex/cache/` by default) of packs, each
//! a map from a key (the SHA-256 of everything the piece of work read) to the bytes it made,
//! and an index naming the packs. What a pack holds is its user's business (the pipeline keeps
//! rendered bodies); this module only keeps them whole.
//!
//! Nothing in it is trusted: every file carries a format version, the identity of the tool
//! that wrote it (its version and the digest of its executable, which holds the theme and the
//! syntax set) and a checksum of all of it. A cache that fails any check, or whose index names
//! a pack that is not there, is ignored as a whole with one warning, and the build makes
//! everything. Files are written beside and renamed into place, so a reader sees a whole
//! file or the one before, and two builds at once each leave a cache that reads back whole.
//! The packs have a size bound; past it, the entries used longest ago go first (a build that
//! adds nothing writes nothing, and so does not mark what it used).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

pub mod digests;

pub use digests::{Digests, Rehash};

/// The folder under the site root that holds the cache by default.
pub const DEFAULT_DIR: &str = ".ancapex/cache";

/// The default bound on the packs' size: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// The version of the layout of the files: a cache of another is ignored.
const FORMAT: u32 = 1;
const INDEX_MAGIC: [u8; 8] = *b"ANCXIDX\n";
const PACK_MAGIC: [u8; 8] = *b"ANCXPAK\n";
const INDEX: &str = "index";

/// The key of an entry: a SHA-256.
pub type Key = [u8; 32];

/// A hasher for keys.
#[derive(Clone, Default)]
pub struct Hasher(Sha256);

impl Hasher {
    /// A hasher that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field; fields are framed by their length, so that `("ab", "c")` and `("a", "bc")`
    /// differ.
    pub fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// The key.
    pub fn key(&self) -> Key {
        self.0.clone().finalize().into()
    }
}

/// What a build may do with the cache.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Use {
    /// The folder `site.toml` names, or `.ancapex/cache/`.
    #[default]
    Configured,
    /// This folder (`--cache-dir`).
    At(PathBuf),
    /// None (`--no-cache`): everything is made, nothing kept.
    Off,
}

/// One pack's entries.
#[derive(Debug, Default)]
struct Pack {
    entries: BTreeMap<Key, Entry>,
    /// Whether an entry was added or dropped, so that the pack is written again.
    changed: bool,
    /// The file it was read from, and its digest.
    file: Option<(String, Vec<u8>)>,
}

#[derive(Debug)]
struct Entry {
    /// The generation of the last build that used it.
    used: AtomicU64,
    bytes: Vec<u8>,
}

/// The cache of one build: the packs read at its start, and what it adds.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    max_bytes: u64,
    /// The generation of this build: one more than the index's.
    generation: u64,
    packs: BTreeMap<String, Pack>,
}

/// The identity of this tool: its version and the digest of its executable (the built-in
/// theme and the syntax set are in it), so that a cache of another build of it is not read.
pub fn identity() -> &'static str {
    static IDENTITY: OnceLock<String> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| crate::fs::sha256_file(&p).ok())
            .map_or_else(|| "unknown".to_owned(), |(digest, _)| digest);
        format!("ancapex {} {exe}", env!("CARGO_PKG_VERSION"))
    })
}

/// Opens the cache in `dir`. A cache that is not there is empty; one that fails a check is
/// empty too, and the warning says why.
pub fn open(dir: &Path, max_bytes: u64) -> (Cache, Option<Diagnostic>) {
    let mut cache = Cache {
        dir: dir.to_path_buf(),
        max_bytes,
        generation: 1,
        packs: BTreeMap::new(),
    };
    match read(dir, identity()) {
        Ok(None) => (cache, None),
        Ok(Some((generation, packs))) => {
            cache.generation = generation.saturating_add(1);
            cache.packs = packs;
            (cache, None)
        }
        Err(why) => {
            let warning = Diagnostic::warning(format!(
                "the build cache in `{}` is ignored: {why}",
                dir.display()
            ))
            .help("this build makes everything again and writes a new cache; `ancapex cache clean` empties it");
            (cache, Some(warning))
        }
    }
}

/// Opens the cache in `dir` for the site at `root`. A folder inside the site is used only when
/// no part of its path inside the site is a link (a pull request could commit one, to send
/// the writes elsewhere): then there is no cache, and a warning.
pub fn open_in(root: &Path, dir: &Path, max_bytes: u64) -> (Option<Cache>, Option<Diagnostic>) {
    if let Ok(inside) = dir.strip_prefix(root) {
        let mut at = root.to_path_buf();
        for part in inside.components() {
            at.push(part);
            if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                let warning = Diagnostic::warning(format!(
                    "the build cache is not used: `{}` is a link",
                    crate::fs::rel_path(root, &at)
                ))
                .help("the cache's folder inside the site must be a folder; remove the link");
                return (None, Some(warning));
            }
        }
    }
    let (cache, warning) = open(dir, max_bytes);
    (Some(cache), warning)
}

/// Whether `name` is a file the cache writes: its index, a pack, or one being written.
fn ours(name: &str) -> bool {
    name == INDEX || name.ends_with(".pack") || name.starts_with(".new-")
}

/// Empties the cache in `dir`: removes the files the cache writes, and nothing else (a folder
/// named by mistake, `--cache-dir ~`, loses nothing of its own). Returns the bytes they held.
pub fn clean(dir: &Path) -> Result<u64> {
    let mut freed = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() || !ours(&entry.file_name().to_string_lossy()) {
            continue;
        }
        std::fs::remove_file(&path).map_err(|source| Error::Io {
            action: "could not remove",
            path: path.clone(),
            source,
        })?;
        freed += meta.len();
    }
    Ok(freed)
}

impl Cache {
    /// The bytes kept under `key` in `pack`, marked as used by this build.
    pub fn get(&self, pack: &str, key: &Key) -> Option<&[u8]> {
        let entry = self.packs.get(pack)?.entries.get(key)?;
        entry.used.store(self.generation, Ordering::Relaxed);
        Some(&entry.bytes)
    }

    /// Keeps `bytes` under `key` in `pack` (when they are not there already).
    pub fn put(&mut self, pack: &str, key: Key, bytes: Vec<u8>) {
        let pack = self.packs.entry(pack.to_owned()).or_default();
        if pack.entries.get(&key).is_some_and(|e| e.bytes == bytes) {
            return;
        }
        pack.entries.insert(
            key,
            Entry {
                used: AtomicU64::new(self.generation),
                bytes,
            },
        );
        pack.changed = true;
    }

    /// Writes the packs this build added to, with what it used marked, then the index naming
    /// them and the others; a build that added nothing writes nothing. Past the size bound, the
    /// entries used longest ago (as far as the packs written since say) are dropped first.
    pub fn save(&mut self) -> Result<()> {
        if !self.packs.values().any(|p| p.changed) {
            return Ok(());
        }
        self.evict();
        crate::fs::create_dir_all(&self.dir)?;
        let mut index = Writer::new(INDEX_MAGIC, identity());
        index.u64(self.generation);
        index.u64(self.packs.len() as u64);
        let mut named = vec![];
        for (name, pack) in &mut self.packs {
            let (file, digest) = match &pack.file {
                Some((file, digest)) if !pack.changed => (file.clone(), digest.clone()),
                _ => {
                    let mut w = Writer::new(PACK_MAGIC, identity());
                    w.u64(pack.entries.len() as u64);
                    for (key, entry) in &pack.entries {
                        w.bytes(key);
                        w.u64(entry.used.load(Ordering::Relaxed));
                        w.bytes(&entry.bytes);
                    }
                    let bytes = w.finish();
                    let digest = Sha256::digest(&bytes).to_vec();
                    let file = format!("{name}-{}.pack", &crate::text::hex(&digest)[..16]);
                    let path = self.dir.join(&file);
                    // A pack is named by its digest: one there already has these bytes.
                    if !path.is_file() {
                        write_atomically(&self.dir, &path, &bytes)?;
                    }
                    (file, digest)
                }
            };
            index.str(name);
            index.str(&file);
            index.bytes(&digest);
            named.push(file.clone());
            pack.file = Some((file, digest));
            pack.changed = false;
        }
        write_atomically(&self.dir, &self.dir.join(INDEX), &index.finish())?;
        remove_unnamed(&self.dir, &named);
        Ok(())
    }

    fn evict(&mut self) {
        let size = |e: &Entry| e.bytes.len() as u64 + 48;
        let total: u64 = self
            .packs
            .values()
            .flat_map(|p| p.entries.values())
            .map(size)
            .sum();
        if total <= self.max_bytes {
            return;
        }
        let mut all: Vec<(u64, String, Key, u64)> = self
            .packs
            .iter()
            .flat_map(|(name, p)| {
                p.entries
                    .iter()
                    .map(move |(k, e)| (e.used.load(Ordering::Relaxed), name.clone(), *k, size(e)))
            })
            .collect();
        // The oldest first; among equals, a fixed order.
        all.sort();
        let mut over = total - self.max_bytes;
        for (_, name, key, bytes) in all {
            if over == 0 {
                break;
            }
            if let Some(pack) = self.packs.get_mut(&name) {
                pack.entries.remove(&key);
                pack.changed = true;
            }
            over = over.saturating_sub(bytes);
        }
    }
}

/// Writes `bytes` to a new file in `dir` and renames it to `path`: a reader sees the old file
/// or the new one, never part of one.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
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

/// Removes the packs the index does not name, once they are a minute old: a build that read
/// the index before this one's may still be reading them (and if one is gone, that build
/// ignores the cache, and builds right).
fn remove_unnamed(dir: &Path, named: &[String]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() >= 60);
        if ours(&name) && name != INDEX && old && !named.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

type Packs = BTreeMap<String, Pack>;

/// Reads the index and every pack it names. None when there is no index.
fn read(dir: &Path, identity: &str) -> std::result::Result<Option<(u64, Packs)>, String> {
    let bytes = match std::fs::read(dir.join(INDEX)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("its index could not be read ({e})")),
    };
    let mut index =
        Reader::open(&bytes, INDEX_MAGIC, identity).map_err(|why| format!("its index {why}"))?;
    let bad = || "its index is malformed".to_owned();
    let generation = index.u64().ok_or_else(bad)?;
    let count = index.u64().ok_or_else(bad)?;
    let mut packs = BTreeMap::new();
    for _ in 0..count {
        let name = index.str().ok_or_else(bad)?;
        let file = index.str().ok_or_else(bad)?;
        let digest = index.bytes().ok_or_else(bad)?;
        if file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(bad());
        }
        let bytes = match std::fs::read(dir.join(&file)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!("`{file}`, which its index names, is missing"));
            }
            Err(e) => return Err(format!("`{file}` could not be read ({e})")),
        };
        if Sha256::digest(&bytes).as_slice() != digest {
            return Err(format!("`{file}` is not the file its index names"));
        }
        let mut r =
            Reader::open(&bytes, PACK_MAGIC, identity).map_err(|why| format!("`{file}` {why}"))?;
        let malformed = || format!("`{file}` is malformed");
        let n = r.u64().ok_or_else(malformed)?;
        let mut pack = Pack {
            file: Some((file.clone(), digest.to_vec())),
            ..Pack::default()
        };
        for _ in 0..n {
            let key: Key = r
                .bytes()
                .and_then(|k| k.try_into().ok())
                .ok_or_else(malformed)?;
            let used = r.u64().ok_or_else(malformed)?;
            let bytes = r.bytes().ok_or_else(malformed)?.to_vec();
            pack.entries.insert(
                key,
                Entry {
                    used: AtomicU64::new(used),
                    bytes,
                },
            );
        }
        if !r.is_done() {
            return Err(malformed());
        }
        packs.insert(name, pack);
    }
    if !index.is_done() {
        return Err(bad());
    }
    Ok(Some((generation, packs)))
}

/// A file being written: magic, format, identity, then fields; a checksum at the end.
struct Writer(Vec<u8>);

impl Writer {
    fn new(magic: [u8; 8], identity: &str) -> Self {
        let mut w = Self(magic.to_vec());
        w.0.extend_from_slice(&FORMAT.to_le_bytes());
        w.str(identity);
        w
    }

    fn u64(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        let sum = Sha256::digest(&self.0);
        self.0.extend_from_slice(&sum);
        self.0
    }
}

/// A file being read, its header and checksum checked first. Every read is bounds-checked: a
/// malformed file gives none, never a panic.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn open(bytes: &'a [u8], magic: [u8; 8], identity: &str) -> std::result::Result<Self, String> {
        let Some(split) = bytes.len().checked_sub(32) else {
            return Err("is truncated".to_owned());
        };
        let (body, sum) = bytes.split_at(split);
        let Some(rest) = body.strip_prefix(magic.as_slice()) else {
            return Err("is not a cache file".to_owned());
        };
        if Sha256::digest(body).as_slice() != sum {
            return Err("is truncated or corrupt (its checksum does not match)".to_owned());
        }
        let mut r = Self { rest };
        let format = r
            .take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or("is truncated")?;
        if format != FORMAT {
            return Err(format!(
                "is in format {format}, and this version of ancapex reads format {FORMAT}"
            ));
        }
        let written_by = r.str().ok_or("is malformed")?;
        if written_by != identity {
            return Err(format!(
                "was written by another build of ancapex (`{written_by}`, this is `{identity}`)"
            ));
        }
        Ok(r)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }

    fn str(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }

    fn is_done(&self) -> bool {
        self.rest.is_empty()
    }
}

/// Fields in the bytes of an entry: what a pack's user writes its values with.
#[derive(Default)]
pub struct Fields(Vec<u8>);

impl Fields {
    /// No fields yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a number.
    pub fn u64(&mut self, n: u64) -> &mut Self {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    /// Adds bytes, framed by their length.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }

    /// Adds a string.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// Adds a file's identity.
    pub(crate) fn file_id(&mut self, id: crate::fs::FileId) -> &mut Self {
        self.u64(id.dev)
            .u64(id.ino)
            .u64(id.size)
            .u64(u64::from_le_bytes(id.mtime_ns.to_le_bytes()))
    }

    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Fields read back from an entry's bytes; none past the end, never a panic.
pub struct Fielded<'a>(Reader<'a>);

impl<'a> Fielded<'a> {
    /// Reads `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self(Reader { rest: bytes })
    }

    /// The next number.
    pub fn u64(&mut self) -> Option<u64> {
        self.0.u64()
    }

    /// The next bytes.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        self.0.bytes()
    }

    /// The next string.
    pub fn str(&mut self) -> Option<String> {
        self.0.str()
    }

    /// The next file identity.
    pub(crate) fn file_id(&mut self) -> Option<crate::fs::FileId> {
        Some(crate::fs::FileId {
            dev: self.u64()?,
            ino: self.u64()?,
            size: self.u64()?,
            mtime_ns: i64::from_le_bytes(self.u64()?.to_le_bytes()),
        })
    }

    /// Whether every field was read.
    pub fn is_done(&self) -> bool {
        self.0.is_done()
    }
}

#[cfg(test)]
mod tests;
