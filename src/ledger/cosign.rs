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
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::checkpoint::Checkpoint;
use super::memory::{self, Against, Memory, Untrusted};
use super::merkle::{self, Hash};
use super::note::{self, KeyType, Signer};
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
    let state_file = Memory::file(c.state, &checkpoint.origin);
    let state = Memory::read(&state_file)?;
    let origin = checkpoint.origin.clone();
    let log_key =
        memory::trusted(state.as_ref(), c.log_key, &origin, &signed).map_err(|u| match u {
            Untrusted::Changed(trusted) => refused(Refusal::LogKeyChanged { origin, trusted }),
            Untrusted::Unknown => refused(Refusal::UnknownLog { origin }),
            Untrusted::BadKey(reason) => Error::Usage(format!("`--log-key`: {reason}")),
            Untrusted::Signature => refused(Refusal::LogSignature {
                file: file.clone(),
                origin,
            }),
        })?;
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
        let (origin, size, seen) = (checkpoint.origin.clone(), checkpoint.size, s.size);
        match s.against(checkpoint.size, &tree) {
            Against::Extends => {}
            Against::Rollback => return Err(refused(Refusal::Rollback { origin, size, seen })),
            Against::Fork => return Err(refused(Refusal::Fork { origin, size, seen })),
        }
    }
    // Remember first, then sign.
    Memory {
        origin: checkpoint.origin.clone(),
        log_key,
        size: checkpoint.size,
        root: checkpoint.root,
    }
    .write(&state_file)?;
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
    crate::fs::write_replacing(&file, out.as_bytes())?;
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
    Ok(super::entry_lines(&text)
        .map(|l| merkle::leaf_hash(l.as_bytes()))
        .collect())
}
