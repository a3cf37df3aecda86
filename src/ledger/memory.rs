//! What a witness (`ledger cosign`) or a monitor (`ledger monitor`) remembers of a log, one small
//! TOML file per log origin in its own state folder: the log key it trusts (given once, pinned
//! after) and the size and root of the last checkpoint it accepted. Both judge a new
//! checkpoint against it the same way: smaller is a rollback, and a tree whose first entries do
//! not give the remembered root is a fork.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::merkle::{Hash, Tree};
use crate::error::{Error, Result};
use crate::fs::io;

/// The memory of one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Memory {
    pub(super) origin: String,
    pub(super) log_key: String,
    pub(super) size: u64,
    pub(super) root: Hash,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    origin: String,
    log_key: String,
    size: u64,
    root: String,
}

/// How a checkpoint stands against the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Against {
    /// It extends (or is) the remembered checkpoint.
    Extends,
    /// It is smaller.
    Rollback,
    /// Its first entries are another history.
    Fork,
}

/// The key to trust for a log, from the memory or as given.
pub(super) enum Key {
    /// This one.
    Trusted(String),
    /// Another key was given than the remembered one.
    Changed(String),
    /// None remembered and none given.
    Unknown,
}

impl Memory {
    /// The state file of `origin` in `dir`: named by a hash of the origin, so any origin is a
    /// safe file name.
    pub(super) fn file(dir: &Path, origin: &str) -> PathBuf {
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(origin.as_bytes());
        dir.join(format!("{}.toml", &crate::text::hex(&hash)[..16]))
    }

    /// The memory in `path`, none if there is none yet.
    pub(super) fn read(path: &Path) -> Result<Option<Self>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("could not read", path)(e)),
        };
        let damaged = |why: String| Error::Usage(format!("`{}` is damaged: {why}", path.display()));
        let w: Written =
            toml::from_str(&text).map_err(|e| damaged(crate::config::toml_message(&e)))?;
        let root = B64
            .decode(&w.root)
            .ok()
            .and_then(|r| Hash::try_from(r).ok())
            .ok_or_else(|| damaged("`root` is not a base64 SHA-256 hash".to_owned()))?;
        Ok(Some(Self {
            origin: w.origin,
            log_key: w.log_key,
            size: w.size,
            root,
        }))
    }

    /// Writes the memory to `path`, replacing the one before in one step.
    pub(super) fn write(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            crate::fs::create_dir_all(dir)?;
        }
        let written = Written {
            origin: self.origin.clone(),
            log_key: self.log_key.clone(),
            size: self.size,
            root: B64.encode(self.root),
        };
        let text = toml::to_string(&written).map_err(|e| Error::Usage(e.to_string()))?;
        crate::fs::write_replacing(path, text.as_bytes())
    }

    /// A checkpoint of `size` over `tree` against this memory.
    pub(super) fn against(&self, size: u64, tree: &Tree) -> Against {
        if size < self.size {
            return Against::Rollback;
        }
        match usize::try_from(self.size) {
            Ok(seen) if seen <= tree.size() && tree.root(seen) == self.root => Against::Extends,
            _ => Against::Fork,
        }
    }
}

/// Why a checkpoint is not trusted as the log's: what cosign refuses and monitor alarms on.
pub(super) enum Untrusted {
    /// Another key was given than the remembered one (this one).
    Changed(String),
    /// None remembered and none given.
    Unknown,
    /// The key to trust is not a log's verifier key.
    BadKey(String),
    /// The checkpoint is not signed by it, or names another origin.
    Signature,
}

/// The log key to trust for `origin` (the remembered one, else the one given), when it signed
/// `signed`: the check cosign and monitor both make before anything else.
pub(super) fn trusted(
    memory: Option<&Memory>,
    given: Option<&str>,
    origin: &str,
    signed: &super::note::Note<'_>,
) -> Result<String, Untrusted> {
    let line = match key(memory, given) {
        Key::Trusted(k) => k,
        Key::Changed(trusted) => return Err(Untrusted::Changed(trusted)),
        Key::Unknown => return Err(Untrusted::Unknown),
    };
    let log = super::note::Verifier::parse(&line).map_err(Untrusted::BadKey)?;
    if log.name != origin || signed.verified_by(std::slice::from_ref(&log)).is_none() {
        return Err(Untrusted::Signature);
    }
    Ok(line)
}

/// The log key to trust: the remembered one, or the one given the first time.
pub(super) fn key(memory: Option<&Memory>, given: Option<&str>) -> Key {
    match (memory, given.map(str::trim)) {
        (Some(m), Some(g)) if m.log_key != g => Key::Changed(m.log_key.clone()),
        (Some(m), _) => Key::Trusted(m.log_key.clone()),
        (None, Some(g)) => Key::Trusted(g.to_owned()),
        (None, None) => Key::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle;

    fn tree(lines: &[&str]) -> Tree {
        Tree::new(
            lines
                .iter()
                .map(|l| merkle::leaf_hash(l.as_bytes()))
                .collect(),
        )
    }

    fn seen(t: &Tree, size: usize) -> Memory {
        Memory {
            origin: "log.example/a".to_owned(),
            log_key: "log.example/a+00000000+AQ".to_owned(),
            size: size as u64,
            root: t.root(size),
        }
    }

    #[test]
    fn a_checkpoint_extends_rolls_back_or_forks_the_one_remembered() {
        let now = tree(&["a", "b", "c", "d"]);
        let m = seen(&now, 3);
        assert_eq!(m.against(4, &now), Against::Extends);
        assert_eq!(m.against(3, &now), Against::Extends);
        assert_eq!(m.against(2, &now), Against::Rollback);
        let other = tree(&["a", "b", "x", "d"]);
        assert_eq!(m.against(4, &other), Against::Fork);
        // A tree too small to hold what was seen cannot extend it.
        assert_eq!(m.against(3, &tree(&["a", "b"])), Against::Fork);
    }

    #[test]
    fn the_log_key_is_given_once_then_remembered_and_never_changed() {
        let m = seen(&tree(&["a"]), 1);
        assert!(matches!(key(None, None), Key::Unknown));
        assert!(matches!(key(None, Some(" k ")), Key::Trusted(k) if k == "k"));
        assert!(matches!(key(Some(&m), None), Key::Trusted(k) if k == m.log_key));
        assert!(matches!(key(Some(&m), Some(&m.log_key)), Key::Trusted(_)));
        assert!(matches!(key(Some(&m), Some("other")), Key::Changed(k) if k == m.log_key));
    }

    #[test]
    fn the_memory_is_written_read_back_and_a_damaged_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let m = seen(&tree(&["a", "b"]), 2);
        let file = Memory::file(dir.path(), &m.origin);
        assert_eq!(Memory::read(&file).unwrap(), None);
        m.write(&file).unwrap();
        assert_eq!(Memory::read(&file).unwrap(), Some(m.clone()));
        std::fs::write(&file, "origin = 1\n").unwrap();
        let err = Memory::read(&file).unwrap_err().to_string();
        assert!(err.contains("is damaged"), "{err}");
        let text = toml::to_string(&Written {
            origin: m.origin,
            log_key: m.log_key,
            size: 2,
            root: "not base64".to_owned(),
        })
        .unwrap();
        std::fs::write(&file, text).unwrap();
        let err = Memory::read(&file).unwrap_err().to_string();
        assert!(err.contains("`root` is not a base64 SHA-256 hash"), "{err}");
    }
}
