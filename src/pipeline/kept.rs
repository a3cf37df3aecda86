//! Where a serving session keeps its outputs: LZ4-packed against a dictionary of the theme's
//! markup, and written to an anonymous temporary file (a spill file) rather than held in
//! memory. A large site's pages are most of what a session would otherwise hold, and they are
//! read only when the browser asks for one.
//!
//! The spill file has no name: the operating system removes it when the process ends, however
//! it ends (`tempfile::tempfile`, in the system's temporary folder). Outputs are appended to it;
//! the space of outputs that were replaced is given back by starting a new spill file (each
//! full rebuild, or `Spill::wasteful`) once no served file points into the old one. When no
//! spill file can be made or written (a read-only or full disk), outputs are kept packed in
//! memory instead: serving goes on, only with more memory.

use std::borrow::Cow;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::output::Written;

/// One output file: its bytes, somewhere, and their digest.
#[derive(Debug)]
pub struct File {
    stored: Stored,
    /// The digest of the bytes, their size and inline sources.
    pub written: Written,
}

#[derive(Debug)]
enum Stored {
    /// Packed against `dictionary`, `len` bytes at `at` in `spill`.
    Spilled {
        spill: Arc<Spill>,
        at: u64,
        len: usize,
        dictionary: Arc<[u8]>,
    },
    /// Packed against `dictionary`, in memory.
    Packed {
        bytes: Box<[u8]>,
        dictionary: Arc<[u8]>,
    },
    /// As they are: the few large outputs made from the whole site (the search index, the
    /// sitemap), made again on every save, where packing and spilling would cost more time
    /// than they save memory.
    Raw(Vec<u8>),
}

/// The size above which an output is kept as it is, in memory.
const PACK_LIMIT: usize = 256 * 1024;

impl File {
    /// Keeps `bytes`: packed against `dictionary` and spilled to `spill` when there is one and
    /// it can be written.
    pub(crate) fn new(
        bytes: Vec<u8>,
        written: Written,
        dictionary: &Arc<[u8]>,
        spill: Option<&Arc<Spill>>,
    ) -> Self {
        if bytes.len() > PACK_LIMIT {
            return Self {
                stored: Stored::Raw(bytes),
                written,
            };
        }
        let packed = lz4_flex::block::compress_prepend_size_with_dict(&bytes, dictionary);
        Self {
            stored: Stored::packed(packed, dictionary, spill),
            written,
        }
    }

    /// The bytes as a build writes them. Fails only when the spill file cannot be read back.
    pub fn bytes(&self) -> io::Result<Cow<'_, [u8]>> {
        let unpack = |packed: &[u8], dictionary: &[u8]| {
            lz4_flex::block::decompress_size_prepended_with_dict(packed, dictionary)
                .map(Cow::Owned)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        };
        match &self.stored {
            Stored::Spilled {
                spill,
                at,
                len,
                dictionary,
            } => unpack(&spill.get(*at, *len)?, dictionary),
            Stored::Packed { bytes, dictionary } => unpack(bytes, dictionary),
            Stored::Raw(bytes) => Ok(Cow::Borrowed(bytes)),
        }
    }

    /// Whether this file is kept in `spill`.
    pub(crate) fn is_in(&self, spill: &Arc<Spill>) -> bool {
        matches!(&self.stored, Stored::Spilled { spill: s, .. } if Arc::ptr_eq(s, spill))
    }

    /// The same file kept in `spill` (in memory if that fails).
    pub(crate) fn moved_to(&self, spill: &Arc<Spill>) -> io::Result<Self> {
        let (packed, dictionary) = match &self.stored {
            Stored::Spilled {
                spill: from,
                at,
                len,
                dictionary,
            } => (from.get(*at, *len)?, dictionary),
            Stored::Packed { bytes, dictionary } => (bytes.to_vec(), dictionary),
            Stored::Raw(bytes) => {
                return Ok(Self {
                    stored: Stored::Raw(bytes.clone()),
                    written: self.written.clone(),
                });
            }
        };
        Ok(Self {
            stored: Stored::packed(packed, dictionary, Some(spill)),
            written: self.written.clone(),
        })
    }
}

impl Stored {
    /// Bytes packed against `dictionary`, in `spill` when there is one and it can be written,
    /// else in memory.
    fn packed(packed: Vec<u8>, dictionary: &Arc<[u8]>, spill: Option<&Arc<Spill>>) -> Self {
        let dictionary = Arc::clone(dictionary);
        match spill.map(|s| (s, s.put(&packed))) {
            Some((spill, Ok(at))) => Self::Spilled {
                spill: Arc::clone(spill),
                at,
                len: packed.len(),
                dictionary,
            },
            _ => Self::Packed {
                bytes: packed.into(),
                dictionary,
            },
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        if let Stored::Spilled { spill, len, .. } = &self.stored {
            spill.live.fetch_sub(*len as u64, Ordering::Relaxed);
        }
    }
}

/// An anonymous temporary file outputs are appended to, read back at their offsets.
#[derive(Debug)]
pub(crate) struct Spill {
    file: std::fs::File,
    /// Where the next output goes.
    end: AtomicU64,
    /// The bytes of the outputs still held (the rest is space of replaced outputs).
    live: AtomicU64,
}

/// The space of replaced outputs past which a spill file is `wasteful`, at least.
const WASTE_FLOOR: u64 = 64 * 1024 * 1024;

impl Spill {
    /// A new spill file in the system's temporary folder.
    pub(crate) fn new() -> io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            file: tempfile::tempfile()?,
            end: AtomicU64::new(0),
            live: AtomicU64::new(0),
        }))
    }

    /// Appends `bytes` (from any thread) and returns their offset.
    fn put(&self, bytes: &[u8]) -> io::Result<u64> {
        let len = bytes.len() as u64;
        let at = self.end.fetch_add(len, Ordering::Relaxed);
        write_at(&self.file, bytes, at)?;
        self.live.fetch_add(len, Ordering::Relaxed);
        Ok(at)
    }

    fn get(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut out = vec![0; len];
        read_at(&self.file, &mut out, at)?;
        Ok(out)
    }

    /// Whether the space of replaced outputs is over both what the live ones take and
    /// `WASTE_FLOOR`: then the live outputs are better moved to a new spill file.
    pub(crate) fn wasteful(&self) -> bool {
        self.wasteful_past(WASTE_FLOOR)
    }

    fn wasteful_past(&self, floor: u64) -> bool {
        let end = self.end.load(Ordering::Relaxed);
        let live = self.live.load(Ordering::Relaxed);
        let waste = end.saturating_sub(live);
        waste > live.max(floor)
    }
}

#[cfg(unix)]
fn write_at(file: &std::fs::File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, at)
}

#[cfg(unix)]
fn read_at(file: &std::fs::File, out: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, out, at)
}

#[cfg(windows)]
fn write_at(file: &std::fs::File, mut bytes: &[u8], mut at: u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(file, bytes, at)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                bytes = &bytes[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &std::fs::File, mut out: &mut [u8], mut at: u64) -> io::Result<()> {
    while !out.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, out, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                out = &mut out[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn write_at(_: &std::fs::File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(not(any(unix, windows)))]
fn read_at(_: &std::fs::File, _: &mut [u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(bytes: &[u8]) -> Written {
        crate::output::describe("x.html", bytes)
    }

    fn keep(bytes: &[u8], dictionary: &Arc<[u8]>, spill: Option<&Arc<Spill>>) -> File {
        File::new(bytes.to_vec(), written(bytes), dictionary, spill)
    }

    #[test]
    fn a_file_gives_back_its_bytes_spilled_packed_or_raw() {
        let dictionary: Arc<[u8]> = Arc::from(&b"<html><head><title>Site</title></head>"[..]);
        let small = b"<html><head><title>Site</title></head><body>page</body></html>".to_vec();
        let spill = Spill::new().unwrap();
        let spilled = keep(&small, &dictionary, Some(&spill));
        assert!(matches!(spilled.stored, Stored::Spilled { .. }));
        assert_eq!(spilled.bytes().unwrap(), small.as_slice());
        let packed = keep(&small, &dictionary, None);
        assert!(matches!(packed.stored, Stored::Packed { .. }));
        assert_eq!(packed.bytes().unwrap(), small.as_slice());
        // Another dictionary: what was packed against the first still unpacks.
        let other: Arc<[u8]> = Arc::from(&b"nothing alike"[..]);
        assert_eq!(
            keep(&small, &other, Some(&spill)).bytes().unwrap(),
            small.as_slice()
        );
        let large: Vec<u8> = (0..=PACK_LIMIT)
            .map(|i| u8::try_from(i % 251).unwrap_or_default())
            .collect();
        let raw = keep(&large, &dictionary, Some(&spill));
        assert!(matches!(raw.stored, Stored::Raw(_)));
        assert_eq!(raw.bytes().unwrap(), large.as_slice());
        let empty = keep(&[], &Arc::from(&[][..]), Some(&spill));
        assert!(empty.bytes().unwrap().is_empty());
    }

    #[test]
    fn files_written_from_many_threads_read_back_whole() {
        let dictionary: Arc<[u8]> = Arc::from(&b"<p>"[..]);
        let spill = Spill::new().unwrap();
        let texts: Vec<Vec<u8>> = (0..64)
            .map(|i| format!("<p>{}</p>", "page ".repeat(i * 37)).into_bytes())
            .collect();
        let files: Vec<File> = std::thread::scope(|s| {
            let handles: Vec<_> = texts
                .iter()
                .map(|t| s.spawn(|| keep(t, &dictionary, Some(&spill))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (file, text) in files.iter().zip(&texts) {
            assert!(file.is_in(&spill));
            assert_eq!(file.bytes().unwrap(), text.as_slice());
        }
    }

    #[test]
    fn dropped_files_count_as_waste_and_moved_files_leave_it_behind() {
        let dictionary: Arc<[u8]> = Arc::from(&[][..]);
        let spill = Spill::new().unwrap();
        // Incompressible, so that the packed size is about the size.
        let noise = |seed: u64| -> Vec<u8> {
            let mut x = seed | 1;
            (0..2_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x.to_le_bytes()[0]
                })
                .collect()
        };
        let floor = 50_000;
        let kept = keep(&noise(1), &dictionary, Some(&spill));
        assert!(!spill.wasteful_past(floor));
        // Past what is live, not past the floor: 10 files of 2 KB replaced.
        for i in 0..10 {
            drop(keep(&noise(i + 2), &dictionary, Some(&spill)));
        }
        assert!(!spill.wasteful_past(floor));
        // Past both.
        for i in 0..20 {
            drop(keep(&noise(i + 20), &dictionary, Some(&spill)));
        }
        assert!(spill.wasteful_past(floor));
        let fresh = Spill::new().unwrap();
        let moved = kept.moved_to(&fresh).unwrap();
        assert!(moved.is_in(&fresh) && !moved.is_in(&spill));
        assert_eq!(moved.bytes().unwrap(), kept.bytes().unwrap());
        assert!(!fresh.wasteful_past(0));
        drop(kept);
        assert_eq!(spill.live.load(Ordering::Relaxed), 0);
    }
}
