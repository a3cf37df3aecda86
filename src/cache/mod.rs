//! The build cache on disk: what a build made that the next one, in another process, may take
//! back instead of making it again. It is a folder (`.ancapex/cache/` by default) of packs, each
//! a map from a key (the SHA-256 of everything the piece of work read) to the bytes it made,
//! and an index naming the packs. What a pack holds is its user's business (the pipeline keeps
//! rendered bodies); this module only keeps them whole.
//!
//! A pack is a list of segment files (`<pack>-<checksum>.pack`), written once and never
//! changed: a build writes only the entries it added or replaced, as one new segment, and an
//! entry in a later segment stands for the same key in an earlier one. When a pack's dead bytes
//! (entries superseded or evicted) outweigh its live ones, or the cache is past its size bound
//! with dead bytes left, its live entries are written again as one segment; when it has more
//! than eight segments, all but its largest are written again as one. An index marks the slots
//! of superseded and evicted entries as dead, and they are not read back. The index lists each
//! pack's segments with their checksums and, for every entry of each segment, the generation
//! of the last build that used it, so that the marks of an unchanged segment are kept without
//! writing it again.
//!
//! Nothing in it is trusted: every file carries a format version and the identity of the tool that
//! wrote it (its version and the checksum of its executable, which holds the theme and the syntax
//! set), and every byte is checked once: the index by its own trailing SHA-256, a segment by the
//! checksum the index names it by (see `checksum`). A cache that fails any check, or whose index
//! names a segment that is not there, is ignored as a whole with one warning, and the build makes
//! everything. A segment's bytes are read into one buffer and its entries are ranges of it. Files
//! are written beside and renamed into place, so a reader sees a whole file or the one before, and
//! two builds at once each leave a cache that reads back whole: a file no index names is removed
//! only once it is a minute old, and a build that names a segment it did not write touches it first
//! (and writes it again if it is gone), so that another build's cleaning does not take it. The
//! packs have a size bound; past it, the entries used longest ago go first (a build that adds
//! nothing writes nothing, and so does not mark what it used).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Result};

pub mod digests;

pub use digests::{Digests, Rehash};

/// The folder under the site root that holds the cache by default.
pub const DEFAULT_DIR: &str = ".ancapex/cache";

/// The default bound on the packs' size: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// The most segments a pack keeps before they are written again as one.
const MAX_SEGMENTS: usize = 8;

/// The version of the layout of the files: a cache of another is ignored.
const FORMAT: u32 = 4;
const INDEX_MAGIC: [u8; 8] = *b"ANCXIDX\n";
const PACK_MAGIC: [u8; 8] = *b"ANCXSEG\n";
const INDEX: &str = "index";

/// What an entry counts for against the size bound: its bytes, its key and its framing.
const ENTRY_OVERHEAD: u64 = 48;

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

/// One pack: its segments, and its entries as they stand (the last segment's for a key).
#[derive(Debug, Default)]
struct Pack {
    segments: Vec<Segment>,
    entries: BTreeMap<Key, Entry>,
    /// Whether an entry was added or dropped, so that the index is written again.
    changed: bool,
}

/// One segment file of a pack, its bytes in one buffer.
#[derive(Debug)]
struct Segment {
    file: String,
    digest: Vec<u8>,
    bytes: Vec<u8>,
    /// How many entries it holds (live or not), and what they count for.
    count: usize,
    size: u64,
}

#[derive(Debug)]
struct Entry {
    /// The generation of the last build that used it.
    used: AtomicU64,
    place: Place,
}

/// Where an entry's bytes are.
#[derive(Debug)]
enum Place {
    /// In the pack's segment `segment`, its entry `slot`, at `range` of its bytes.
    Stored {
        segment: usize,
        slot: usize,
        range: Range<usize>,
    },
    /// Put by this build, not written yet.
    New(Vec<u8>),
}

impl Pack {
    fn bytes<'a>(&'a self, entry: &'a Entry) -> &'a [u8] {
        match &entry.place {
            Place::Stored { segment, range, .. } => &self.segments[*segment].bytes[range.clone()],
            Place::New(bytes) => bytes,
        }
    }
}

fn size_of(bytes: &[u8]) -> u64 {
    bytes.len() as u64 + ENTRY_OVERHEAD
}

/// The cache of one build: the packs read at its start, and what it adds.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    max_bytes: u64,
    /// The generation of this build: one more than the index's.
    generation: u64,
    packs: BTreeMap<String, Pack>,
    /// Whether its index was written on another machine (see [`Cache::is_foreign`]).
    foreign: bool,
    /// This machine, as the index names it.
    machine: Vec<u8>,
}

/// This machine: its `/etc/machine-id` and host name, as far as they can be read. What is tied
/// to it (a file's identity: its device, inode and times) is kept only for it.
pub(crate) fn machine() -> &'static [u8] {
    static MACHINE: OnceLock<Vec<u8>> = OnceLock::new();
    MACHINE.get_or_init(|| {
        let mut id = std::fs::read("/etc/machine-id").unwrap_or_default();
        id.push(0);
        id.extend(std::fs::read("/proc/sys/kernel/hostname").unwrap_or_default());
        id
    })
}

/// The identity of this tool: its version and the checksum of its executable (the built-in
/// theme and the syntax set are in it), so that a cache of another build of it is not read.
pub fn identity() -> &'static str {
    static IDENTITY: OnceLock<String> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| checksum_file(&p).ok())
            .map_or_else(|| "unknown".to_owned(), |sum| crate::text::hex(&sum));
        format!("ancapex {} {exe}", env!("CARGO_PKG_VERSION"))
    })
}

/// The checksum of a segment or of the executable: XXH3's 128 bits. What it guards against is
/// a file cut short, changed by a flipped bit, or written by another build of the tool, not
/// someone forging one (who could as well write a SHA-256 that matches), and it runs about ten
/// times as fast as SHA-256 here (a 47 MB segment and the 46 MB executable took about 30 ms
/// each to hash with SHA-256 on every build). Keys, which say what a piece of work read, stay
/// SHA-256.
fn checksum(bytes: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(bytes).to_le_bytes()
}

fn checksum_file(path: &Path) -> std::io::Result<[u8; 16]> {
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    crate::fs::read_chunks(path, |chunk| hasher.update(chunk))?;
    Ok(hasher.digest128().to_le_bytes())
}

/// Opens the cache in `dir`. A cache that is not there is empty; one that fails a check is
/// empty too, and the warning says why. One written on another machine is read, with a
/// warning: what is keyed by content in it is used, what is tied to that machine is not.
pub fn open(dir: &Path, max_bytes: u64) -> (Cache, Option<Diagnostic>) {
    open_on(dir, max_bytes, machine())
}

/// [`open`], on the machine `machine` names.
fn open_on(dir: &Path, max_bytes: u64, machine: &[u8]) -> (Cache, Option<Diagnostic>) {
    let mut cache = Cache {
        dir: dir.to_path_buf(),
        max_bytes,
        generation: 1,
        packs: BTreeMap::new(),
        foreign: false,
        machine: machine.to_vec(),
    };
    match read(dir, identity()) {
        Ok(None) => (cache, None),
        Ok(Some((generation, written_on, packs))) => {
            cache.generation = generation.saturating_add(1);
            cache.packs = packs;
            cache.foreign = written_on != machine;
            let warning = cache.foreign.then(|| {
                Diagnostic::warning(format!(
                    "the build cache in `{}` was written on another machine: its file digests \
                     and its record of the last build are not used",
                    dir.display()
                ))
                .help(
                    "what it holds by content (rendered bodies) is used; this build writes \
                     this machine's own for the next one",
                )
            });
            (cache, warning)
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
        // A cache that comes with the checkout (`.gitignore` does not stop a commit of one)
        // was written by whoever committed it, and its entries could say anything of the
        // pages they stand for: one git tracks is not read. (The CI cache is restored into
        // the folder, never committed.)
        let shown = crate::fs::rel_path(root, dir);
        let tracked = crate::git::run(root, &["ls-files", "-z", "--", &shown]);
        if tracked.is_ok_and(|files| !files.is_empty()) {
            let warning = Diagnostic::warning(format!(
                "the build cache is not used: `{shown}` holds files committed to the repository"
            ))
            .help(format!(
                "a cache comes from a build, never from a checkout: `git rm -r --cached {shown}`"
            ));
            return (None, Some(warning));
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
    /// Whether the cache was written on another machine: what it holds tied to a machine (a
    /// file's identity) is not to be used here. Its index says so (the machine's
    /// `/etc/machine-id` and host name); it is this machine's once saved.
    pub fn is_foreign(&self) -> bool {
        self.foreign
    }

    /// The bytes kept under `key` in `pack`, marked as used by this build.
    pub fn get(&self, pack: &str, key: &Key) -> Option<&[u8]> {
        let pack = self.packs.get(pack)?;
        let entry = pack.entries.get(key)?;
        entry.used.store(self.generation, Ordering::Relaxed);
        Some(pack.bytes(entry))
    }

    /// Keeps `bytes` under `key` in `pack` (when they are not there already).
    pub fn put(&mut self, pack: &str, key: Key, bytes: Vec<u8>) {
        let pack = self.packs.entry(pack.to_owned()).or_default();
        if pack
            .entries
            .get(&key)
            .is_some_and(|e| pack.bytes(e) == bytes)
        {
            return;
        }
        pack.entries.insert(
            key,
            Entry {
                used: AtomicU64::new(self.generation),
                place: Place::New(bytes),
            },
        );
        pack.changed = true;
    }

    /// Writes what this build added to each pack as one new segment (or a pack's live entries
    /// as one, when it is due), then the index naming the segments with what this build used
    /// marked; a build that added nothing writes nothing. Past the size bound, the entries used
    /// longest ago (as far as the indexes written since say) are dropped first.
    pub fn save(&mut self) -> Result<()> {
        // Another machine's index is written again as this one's, even with nothing added.
        if !self.foreign && !self.packs.values().any(|p| p.changed) {
            return Ok(());
        }
        self.evict();
        crate::fs::create_dir_all(&self.dir)?;
        let on_disk: u64 = self
            .packs
            .values()
            .flat_map(|p| p.segments.iter())
            .map(|s| s.size)
            .sum();
        let new: u64 = self
            .packs
            .values()
            .flat_map(|p| p.entries.values())
            .filter_map(|e| match &e.place {
                Place::New(bytes) => Some(size_of(bytes)),
                Place::Stored { .. } => None,
            })
            .sum();
        let over = on_disk + new > self.max_bytes;
        for (name, pack) in &mut self.packs {
            pack.write(&self.dir, name, over)?;
        }
        let mut index = Writer::new(INDEX_MAGIC, identity());
        index.u64(self.generation);
        index.bytes(&self.machine);
        index.u64(self.packs.len() as u64);
        let mut named = vec![];
        for (name, pack) in &mut self.packs {
            let mut marks: Vec<Vec<u64>> = pack.segments.iter().map(|s| vec![0; s.count]).collect();
            for entry in pack.entries.values() {
                if let Place::Stored { segment, slot, .. } = entry.place {
                    marks[segment][slot] = entry.used.load(Ordering::Relaxed);
                }
            }
            index.str(name);
            index.u64(pack.segments.len() as u64);
            for (segment, marks) in pack.segments.iter().zip(&marks) {
                index.str(&segment.file);
                index.bytes(&segment.digest);
                index.u64(marks.len() as u64);
                for mark in marks {
                    index.u64(*mark);
                }
                named.push(segment.file.clone());
            }
            pack.changed = false;
        }
        crate::fs::write_atomically(&self.dir, &self.dir.join(INDEX), &index.finish())?;
        remove_unnamed(&self.dir, &named);
        self.foreign = false;
        Ok(())
    }

    fn evict(&mut self) {
        let total: u64 = self
            .packs
            .values()
            .flat_map(|p| p.entries.values().map(|e| size_of(p.bytes(e))))
            .sum();
        if total <= self.max_bytes {
            return;
        }
        let mut all: Vec<(u64, String, Key, u64)> = self
            .packs
            .iter()
            .flat_map(|(name, p)| {
                p.entries.iter().map(move |(k, e)| {
                    (
                        e.used.load(Ordering::Relaxed),
                        name.clone(),
                        *k,
                        size_of(p.bytes(e)),
                    )
                })
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

impl Pack {
    /// Writes the entries put since the pack was read as one new segment, or, when it is due
    /// (see the module's docs), all its live entries as one; drops the segments no entry lives
    /// in, and makes sure the others are still there. A pack of too many segments but few dead
    /// bytes keeps its largest, and the rest are written as one.
    fn write(&mut self, dir: &Path, name: &str, over_bound: bool) -> Result<()> {
        let mut live = vec![0u64; self.segments.len()];
        let mut new = 0;
        for entry in self.entries.values() {
            match &entry.place {
                Place::Stored { segment, range, .. } => {
                    live[*segment] += range.len() as u64 + ENTRY_OVERHEAD;
                }
                Place::New(bytes) => new += size_of(bytes),
            }
        }
        let stored: u64 = live.iter().sum();
        let dead = self
            .segments
            .iter()
            .map(|s| s.size)
            .sum::<u64>()
            .saturating_sub(stored);
        if dead > stored + new || (over_bound && dead > 0) {
            let keys: Vec<Key> = self.entries.keys().copied().collect();
            let segment = self.segment(dir, name, &keys, 0)?;
            self.segments = vec![segment];
            return Ok(());
        }
        // The segments some entry still lives in, renumbered.
        let mut renumber = vec![None; self.segments.len()];
        let mut segments = vec![];
        for (i, segment) in std::mem::take(&mut self.segments).into_iter().enumerate() {
            if live[i] > 0 {
                renumber[i] = Some(segments.len());
                ensure(dir, &segment)?;
                segments.push(segment);
            }
        }
        self.segments = segments;
        let live: Vec<u64> = live.into_iter().filter(|l| *l > 0).collect();
        for entry in self.entries.values_mut() {
            if let Place::Stored { segment, .. } = &mut entry.place {
                *segment = renumber[*segment].unwrap_or(*segment);
            }
        }
        let stored_in = |e: &Entry, at: usize| matches!(e.place, Place::Stored { segment, .. } if segment == at);
        if self.segments.len() + usize::from(new > 0) > MAX_SEGMENTS {
            // Too many segments, but few dead bytes: the one with the most live bytes stays,
            // and the others, with what is new, are written as one after it.
            let base = (0..live.len()).max_by_key(|i| live[*i]).unwrap_or(0);
            let keys: Vec<Key> = self
                .entries
                .iter()
                .filter(|(_, e)| !stored_in(e, base))
                .map(|(k, _)| *k)
                .collect();
            for entry in self.entries.values_mut() {
                if let Place::Stored { segment, .. } = &mut entry.place {
                    if *segment == base {
                        *segment = 0;
                    }
                }
            }
            let merged = self.segment(dir, name, &keys, 1)?;
            let base = self.segments.swap_remove(base);
            self.segments = vec![base, merged];
            return Ok(());
        }
        if new > 0 {
            let keys: Vec<Key> = self
                .entries
                .iter()
                .filter(|(_, e)| matches!(e.place, Place::New(_)))
                .map(|(k, _)| *k)
                .collect();
            let at = self.segments.len();
            let segment = self.segment(dir, name, &keys, at)?;
            self.segments.push(segment);
        }
        Ok(())
    }

    /// Writes the entries under `keys` as a segment, which their places then name as the pack's
    /// segment `at`.
    fn segment(&mut self, dir: &Path, name: &str, keys: &[Key], at: usize) -> Result<Segment> {
        let mut w = Writer::new(PACK_MAGIC, identity());
        w.u64(keys.len() as u64);
        let mut ranges = Vec::with_capacity(keys.len());
        let mut size = 0;
        for key in keys {
            let bytes = self.bytes(&self.entries[key]);
            w.bytes(key);
            w.u64(bytes.len() as u64);
            ranges.push(w.0.len()..w.0.len() + bytes.len());
            w.0.extend_from_slice(bytes);
            size += size_of(bytes);
        }
        let bytes = w.0;
        let digest = checksum(&bytes).to_vec();
        let file = format!("{name}-{}.pack", &crate::text::hex(&digest)[..16]);
        for (slot, (key, range)) in keys.iter().zip(ranges).enumerate() {
            if let Some(entry) = self.entries.get_mut(key) {
                entry.place = Place::Stored {
                    segment: at,
                    slot,
                    range,
                };
            }
        }
        let segment = Segment {
            file,
            digest,
            bytes,
            count: keys.len(),
            size,
        };
        // A segment is named by its digest: one there already has these bytes.
        ensure(dir, &segment)?;
        Ok(segment)
    }
}

/// Makes sure a segment read at the start is still there when the index names it again: its
/// time is set to now, so that another build does not take it as unnamed for a minute, and if
/// that build removed it already, it is written again from what was read. Only a plain file is
/// touched: anything else under its name (a link a checkout planted there, its name being
/// predictable from the site) is replaced, never reached through.
fn ensure(dir: &Path, segment: &Segment) -> Result<()> {
    let path = dir.join(&segment.file);
    let plain = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
    let touched = plain
        && std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()))
            .is_ok();
    if touched {
        Ok(())
    } else {
        crate::fs::write_atomically(dir, &path, &segment.bytes)
    }
}

/// Removes the segments the index does not name, once they are a minute old: a build that read
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

/// A segment as the index names it: its pack, file, digest and the marks of its entries.
struct Named {
    pack: String,
    file: String,
    digest: Vec<u8>,
    marks: Vec<u64>,
}

/// Reads the index (with the machine it was written on) and every segment it names. None when
/// there is no index.
fn read(dir: &Path, identity: &str) -> std::result::Result<Option<(u64, Vec<u8>, Packs)>, String> {
    // The cache's folder can come with a checkout (a pull request can commit one): a file of
    // it that is a link, which could lead out of the site, is never read or touched.
    if std::fs::symlink_metadata(dir.join(INDEX)).is_ok_and(|m| !m.is_file()) {
        return Err("its index is not a plain file".to_owned());
    }
    let bytes = match std::fs::read(dir.join(INDEX)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("its index could not be read ({e})")),
    };
    let mut index =
        Reader::open(&bytes, INDEX_MAGIC, identity).map_err(|why| format!("its index {why}"))?;
    let bad = || "its index is malformed".to_owned();
    let generation = index.u64().ok_or_else(bad)?;
    let written_on = index.bytes().ok_or_else(bad)?.to_vec();
    let count = index.u64().ok_or_else(bad)?;
    let mut packs = BTreeMap::new();
    let mut named = vec![];
    for _ in 0..count {
        let name = index.str().ok_or_else(bad)?;
        let segments = index.u64().ok_or_else(bad)?;
        for _ in 0..segments {
            let file = index.str().ok_or_else(bad)?;
            let digest = index.bytes().ok_or_else(bad)?.to_vec();
            if file.contains(['/', '\\']) || file.starts_with('.') || !file.ends_with(".pack") {
                return Err(bad());
            }
            let n = usize::try_from(index.u64().ok_or_else(bad)?).map_err(|_| bad())?;
            // Each mark takes 8 bytes: a count past what is left is malformed, not allocated.
            if n > index.rest.len() / 8 {
                return Err(bad());
            }
            let marks = (0..n)
                .map(|_| index.u64().ok_or_else(bad))
                .collect::<std::result::Result<_, _>>()?;
            named.push(Named {
                pack: name.clone(),
                file,
                digest,
                marks,
            });
        }
        packs.insert(name, Pack::default());
    }
    if !index.is_done() {
        return Err(bad());
    }
    // Each file is read and hashed once; the packs' files in parallel.
    let read: Vec<std::result::Result<Vec<u8>, String>> = named
        .par_iter()
        .map(|n| {
            let path = dir.join(&n.file);
            if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
                return Err(format!(
                    "`{}`, which its index names, is not a plain file",
                    n.file
                ));
            }
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(format!("`{}`, which its index names, is missing", n.file));
                }
                Err(e) => return Err(format!("`{}` could not be read ({e})", n.file)),
            };
            if checksum(&bytes).as_slice() != n.digest {
                return Err(format!("`{}` is not the file its index names", n.file));
            }
            Ok(bytes)
        })
        .collect();
    for (n, bytes) in named.into_iter().zip(read) {
        parse(n, bytes?, identity, &mut packs)?;
    }
    Ok(Some((generation, written_on, packs)))
}

/// Takes the entries of a segment (checked against its digest) into its pack: each a range of
/// the segment's bytes, standing for the same key in an earlier segment.
fn parse(
    n: Named,
    bytes: Vec<u8>,
    identity: &str,
    packs: &mut Packs,
) -> std::result::Result<(), String> {
    let file = n.file;
    let malformed = || format!("`{file}` is malformed");
    let mut r =
        Reader::header(&bytes, PACK_MAGIC, identity).map_err(|why| format!("`{file}` {why}"))?;
    let count = r.u64().ok_or_else(malformed)?;
    if count != n.marks.len() as u64 {
        return Err(malformed());
    }
    let pack = packs.get_mut(&n.pack).ok_or_else(malformed)?;
    let segment = pack.segments.len();
    let count = n.marks.len();
    let mut size = 0;
    for (slot, used) in n.marks.into_iter().enumerate() {
        let key: Key = r
            .bytes()
            .and_then(|k| k.try_into().ok())
            .ok_or_else(malformed)?;
        let len = r
            .u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(malformed)?;
        let start = bytes.len() - r.rest.len();
        r.take(len).ok_or_else(malformed)?;
        size += len as u64 + ENTRY_OVERHEAD;
        // Generations start at 1: a slot marked 0 was superseded or evicted.
        if used == 0 {
            continue;
        }
        pack.entries.insert(
            key,
            Entry {
                used: AtomicU64::new(used),
                place: Place::Stored {
                    segment,
                    slot,
                    range: start..start + len,
                },
            },
        );
    }
    if !r.is_done() {
        return Err(malformed());
    }
    pack.segments.push(Segment {
        file,
        digest: n.digest,
        count,
        bytes,
        size,
    });
    Ok(())
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
    /// Checks the trailing checksum, then the header: for a file no digest elsewhere covers.
    fn open(bytes: &'a [u8], magic: [u8; 8], identity: &str) -> std::result::Result<Self, String> {
        let Some(split) = bytes.len().checked_sub(32) else {
            return Err("is truncated".to_owned());
        };
        let (body, sum) = bytes.split_at(split);
        if !body.starts_with(magic.as_slice()) {
            return Err("is not a cache file".to_owned());
        }
        if Sha256::digest(body).as_slice() != sum {
            return Err("is truncated or corrupt (its checksum does not match)".to_owned());
        }
        Self::header(body, magic, identity)
    }

    /// Checks the header only: for a file whose bytes were checked against a digest already.
    fn header(
        bytes: &'a [u8],
        magic: [u8; 8],
        identity: &str,
    ) -> std::result::Result<Self, String> {
        let Some(rest) = bytes.strip_prefix(magic.as_slice()) else {
            return Err("is not a cache file".to_owned());
        };
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
