//! The witness's side of a ledger: `ancapex ledger cosign`. A witness runs it on its own
//! machine, with its own key and its own state folder (never the site's repository): it reads
//! a ledger folder (the site's `artifacts/ledgers/<name>/`, or a copy of the published
//! `/ledgers/<name>/`), checks the newest checkpoint's signature with the log key it trusts,
//! checks that the entries give that checkpoint's tree, and checks that the tree extends the
//! last checkpoint it co-signed. Only then does it add its `cosignature/v1` line (C2SP
//! tlog-cosignature) under the checkpoint.
//!
//! Refusing is the point: a checkpoint older than the last one it co-signed is a rollback, and
//! one whose history differs from what it co-signed is a fork (a split view: another history
//! shown to someone else). Both are refused with what was seen, and nothing is written.
//!
//! The state is one small TOML file per log origin: the log key it trusts (pinned on first
//! use, or given with `--log-key`) and the size and root of the last checkpoint it co-signed.
//! The state is written (and synced) before the cosignature, so a crash in between can only
//! leave a checkpoint unsigned, never a witness that forgot what it signed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::merkle::{self, Hash};
use super::note::{self, KeyType, Signer, Verifier};
use crate::error::{Error, Malformed, Refusal, Result};
use crate::fs::io;

/// What `cosign` is given.
pub struct Cosign<'a> {
    /// The ledger folder: `entries.jsonl` and `checkpoints/<size>`.
    pub ledger: &'a Path,
    /// The witness's private key file (made by `ledger keygen --witness`).
    pub key_file: &'a Path,
    /// The witness's state folder.
    pub state: &'a Path,
    /// The log's verifier key, required the first time a witness sees a log.
    pub log_key: Option<&'a str>,
    /// Now, in POSIX seconds: the cosignature's time.
    pub now: u64,
}

/// What `cosign` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigned {
    /// The log's origin.
    pub origin: String,
    /// The size of the checkpoint co-signed.
    pub size: u64,
    /// The checkpoint file the line was written to.
    pub file: PathBuf,
    /// The size of the last checkpoint the witness had co-signed for this log, if any.
    pub previous: Option<u64>,
    /// The witness's name.
    pub witness: String,
}

/// The witness's memory of one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    origin: String,
    log_key: String,
    size: u64,
    root: String,
}

/// Co-signs the newest checkpoint of the ledger in `c.ledger`, or refuses (see the module).
pub fn cosign(c: &Cosign<'_>) -> Result<Cosigned> {
    let malformed = |path: &Path, reason: String| {
        Error::Malformed(Malformed::LedgerKey {
            path: path.to_path_buf(),
            reason,
        })
    };
    let witness = Signer::parse(&crate::fs::read_to_string(c.key_file)?)
        .map_err(|reason| malformed(c.key_file, reason))?;
    if witness.key_type() != KeyType::Cosignature {
        return Err(malformed(
            c.key_file,
            "this is a log's key; a witness co-signs with a key made by `ledger keygen --witness`"
                .to_owned(),
        ));
    }
    let (file, text) = newest_checkpoint(c.ledger)?;
    let signed = note::parse(&text).map_err(|reason| {
        refused(Refusal::NotACheckpoint {
            file: file.clone(),
            reason,
        })
    })?;
    let checkpoint = Checkpoint::parse(signed.text).map_err(|reason| {
        refused(Refusal::NotACheckpoint {
            file: file.clone(),
            reason,
        })
    })?;
    let state_file = state_file(c.state, &checkpoint.origin);
    let state = read_state(&state_file)?;
    let log_key = match (&state, c.log_key) {
        (Some(s), Some(given)) if s.log_key != given.trim() => {
            return Err(refused(Refusal::LogKeyChanged {
                origin: checkpoint.origin.clone(),
                trusted: s.log_key.clone(),
            }));
        }
        (Some(s), _) => s.log_key.clone(),
        (None, Some(given)) => given.trim().to_owned(),
        (None, None) => {
            return Err(refused(Refusal::UnknownLog {
                origin: checkpoint.origin.clone(),
            }));
        }
    };
    let log = Verifier::parse(&log_key)
        .map_err(|reason| Error::Usage(format!("`--log-key`: {reason}")))?;
    if log.name != checkpoint.origin || signed.verified_by(std::slice::from_ref(&log)).is_none() {
        return Err(refused(Refusal::LogSignature {
            file: file.clone(),
            origin: checkpoint.origin.clone(),
        }));
    }
    // The entries must give the checkpoint's tree, and that tree must extend what was signed.
    let leaves = leaves(&c.ledger.join("entries.jsonl"))?;
    let size = usize::try_from(checkpoint.size).unwrap_or(usize::MAX);
    if size > leaves.len() {
        return Err(refused(Refusal::EntriesShort {
            file: file.clone(),
            size: checkpoint.size,
            entries: leaves.len() as u64,
        }));
    }
    let tree = merkle::Tree::new(leaves);
    if tree.root(size) != checkpoint.root {
        return Err(refused(Refusal::EntriesDiffer {
            file: file.clone(),
            size: checkpoint.size,
        }));
    }
    if let Some(s) = &state {
        let seen_root = decode_root(&s.root)
            .ok_or_else(|| Error::Usage(format!("`{}` is damaged", state_file.display())))?;
        if checkpoint.size < s.size {
            return Err(refused(Refusal::Rollback {
                origin: checkpoint.origin.clone(),
                size: checkpoint.size,
                seen: s.size,
            }));
        }
        let seen = usize::try_from(s.size).unwrap_or(usize::MAX);
        if tree.root(seen) != seen_root {
            return Err(refused(Refusal::Fork {
                origin: checkpoint.origin.clone(),
                size: checkpoint.size,
                seen: s.size,
            }));
        }
    }
    // Remember first, then sign.
    write_state(
        &state_file,
        &State {
            origin: checkpoint.origin.clone(),
            log_key,
            size: checkpoint.size,
            root: B64.encode(checkpoint.root),
        },
    )?;
    let me = witness.verifier();
    // The note again: the text, every signature line but the witness's own earlier one (which
    // this one replaces), then its new line.
    let mut out = format!("{}\n", signed.text);
    for (name, id, sig) in &signed.signatures {
        if !(*name == me.name && *id == me.id) {
            let mut blob = id.to_be_bytes().to_vec();
            blob.extend_from_slice(sig);
            let _ = writeln!(out, "\u{2014} {name} {}", B64.encode(blob));
        }
    }
    out.push_str(&witness.cosign(signed.text, c.now));
    write_atomically(&file, out.as_bytes())?;
    Ok(Cosigned {
        origin: checkpoint.origin,
        size: checkpoint.size,
        file,
        previous: state.map(|s| s.size),
        witness: me.name,
    })
}

fn refused(r: Refusal) -> Error {
    Error::Refused(r)
}

/// The newest checkpoint file of a ledger folder: the largest `checkpoints/<size>`.
fn newest_checkpoint(ledger: &Path) -> Result<(PathBuf, String)> {
    let dir = ledger.join("checkpoints");
    let listing = std::fs::read_dir(&dir).map_err(io("could not list", &dir))?;
    let mut newest: Option<(u64, PathBuf)> = None;
    for entry in listing {
        let entry = entry.map_err(io("could not list", &dir))?;
        let name = entry.file_name();
        let Some(size) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if newest.as_ref().is_none_or(|(s, _)| size > *s) {
            newest = Some((size, entry.path()));
        }
    }
    let (_, file) = newest.ok_or_else(|| refused(Refusal::NoCheckpoint { dir: dir.clone() }))?;
    let text = crate::fs::read_to_string(&file)?;
    Ok((file, text))
}

/// The leaf hash of every line of `entries.jsonl`, as the ledger's tree has them.
fn leaves(path: &Path) -> Result<Vec<Hash>> {
    let text = crate::fs::read_to_string(path)?;
    Ok(text
        .split_inclusive('\n')
        .map(|l| merkle::leaf_hash(l.strip_suffix('\n').unwrap_or(l).as_bytes()))
        .collect())
}

fn decode_root(b64: &str) -> Option<Hash> {
    B64.decode(b64).ok().and_then(|r| Hash::try_from(r).ok())
}

/// The state file of `origin`: its name is made from the origin's hash, so any origin is a
/// safe file name.
fn state_file(state: &Path, origin: &str) -> PathBuf {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(origin.as_bytes());
    state.join(format!("{}.toml", &crate::text::hex(&hash)[..16]))
}

fn read_state(path: &Path) -> Result<Option<State>> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map(Some).map_err(|e| {
            Error::Usage(format!(
                "`{}` is not a witness state file: {}",
                path.display(),
                crate::config::toml_message(&e)
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("could not read", path)(e)),
    }
}

fn write_state(path: &Path, state: &State) -> Result<()> {
    if let Some(dir) = path.parent() {
        crate::fs::create_dir_all(dir)?;
    }
    let text = toml::to_string(state).map_err(|e| Error::Usage(e.to_string()))?;
    write_atomically(path, text.as_bytes())
}

/// Writes `bytes` to `path` through a synced temporary file beside it. The ledger folder may
/// come from a pull request: a link planted at the temporary file's name is removed (never
/// followed), and the file is created anew, so nothing outside the folder is written.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("cosign-tmp");
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
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io("could not write", &tmp))?;
    crate::fs::rename(&tmp, path)
}
