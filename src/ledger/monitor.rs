//! `ancapex ledger monitor URL --state DIR`: anyone can watch a live site's run ledger. It
//! fetches the published ledger under URL (`checkpoint`, `entries.jsonl` and the tlog-tiles of
//! the checkpoint's tree) over HTTP(S) and checks, in this order, stopping at the first alarm:
//! the log's signature, with the key it trusts (given once, then kept in its state folder
//! DIR); that the checkpoint is not older than the last one it saw (a rollback); that the
//! entries give the checkpoint's root (every entry); that their first entries give the root it
//! saw last (else a fork); that every tile of the tree holds the hashes and entries the entries
//! give; and, given the ledger's policy, the witnesses' cosignatures and quorum. An alarm is a
//! report and a non-zero exit, and the state is left as it was; otherwise the state moves to
//! the new checkpoint. History comes before witnesses because a fork or a rollback is what a
//! monitor is for: a forked checkpoint is unwitnessed too, but that is only its symptom.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::checkpoint::Checkpoint;
use super::memory::{self, Against, Memory, Untrusted};
use super::merkle;
use super::note;
use super::{tiles, witness};
use crate::diagnostic::{Diagnostics, SourceText};
use crate::error::{Alarm, Error, Result};
use crate::fs::io;

/// What `monitor` is given.
pub struct Monitor<'a> {
    /// The published ledger's URL, ending in `/` (`https://ancapex.org/ledgers/model-run-1/`).
    pub url: &'a str,
    /// The monitor's state folder.
    pub state: &'a Path,
    /// The log's verifier key, needed the first time (then kept in the state).
    pub log_key: Option<&'a str>,
    /// A `ledger.toml` whose `[policy]` names the witnesses and quorum to check.
    pub policy: Option<&'a Path>,
}

/// What `monitor` saw when nothing was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's size.
    pub size: u64,
    /// The size seen last time, if any.
    pub previous: Option<u64>,
    /// How many tiles were fetched and matched.
    pub tiles: usize,
    /// The witnesses whose cosignatures verified, and the quorum (none without a policy).
    pub witnessed: Option<(Vec<String>, usize)>,
}

/// Fetches and checks the ledger at `m.url`; an [`Alarm`] on anything wrong.
pub fn monitor(m: &Monitor<'_>) -> Result<Seen> {
    let base = if m.url.ends_with('/') {
        m.url.to_owned()
    } else {
        format!("{}/", m.url)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io("could not start the monitor's runtime in", m.state))?;
    let client = reqwest::Client::new();
    let fetch = |path: String| {
        let url = format!("{base}{path}");
        let client = client.clone();
        runtime.block_on(async move {
            let fail = |reason: String| {
                Error::Alarm(Alarm::Fetch {
                    url: url.clone(),
                    reason,
                })
            };
            let res = client
                .get(&url)
                .send()
                .await
                .map_err(|e| fail(crate::error::chain(&e)))?;
            if !res.status().is_success() {
                return Err(fail(format!("HTTP {}", res.status())));
            }
            res.bytes()
                .await
                .map(|b| b.to_vec())
                .map_err(|e| fail(crate::error::chain(&e)))
        })
    };
    let alarm = |a: Alarm| Error::Alarm(a);

    let text = String::from_utf8(fetch("checkpoint".to_owned())?).map_err(|_| {
        alarm(Alarm::BadCheckpoint {
            reason: "it is not UTF-8".to_owned(),
        })
    })?;
    let signed = note::parse(&text).map_err(|reason| alarm(Alarm::BadCheckpoint { reason }))?;
    let cp =
        Checkpoint::parse(signed.text).map_err(|reason| alarm(Alarm::BadCheckpoint { reason }))?;
    let state_file = Memory::file(m.state, &cp.origin);
    let state = Memory::read(&state_file)?;
    let origin = cp.origin.clone();
    let log_key =
        memory::trusted(state.as_ref(), m.log_key, &origin, &signed).map_err(|u| match u {
            Untrusted::Changed(trusted) => alarm(Alarm::LogKeyChanged { origin, trusted }),
            Untrusted::Unknown => alarm(Alarm::UnknownLog { origin }),
            Untrusted::BadKey(reason) => Error::Usage(format!("`--log-key`: {reason}")),
            Untrusted::Signature => alarm(Alarm::Signature { origin }),
        })?;
    // A rollback needs only the size, and is the clearest thing to report: first.
    if let Some(s) = state.as_ref().filter(|s| cp.size < s.size) {
        return Err(alarm(Alarm::Rollback {
            origin: cp.origin.clone(),
            size: cp.size,
            seen: s.size,
        }));
    }

    // Every entry: the entries give the checkpoint's root.
    let entries = fetch("entries.jsonl".to_owned())?;
    let entries = String::from_utf8(entries).map_err(|_| {
        alarm(Alarm::Entries {
            size: cp.size,
            reason: "entries.jsonl is not UTF-8".to_owned(),
        })
    })?;
    let lines: Vec<&str> = super::entry_lines(&entries).collect();
    let size = usize::try_from(cp.size).unwrap_or(usize::MAX);
    if size > lines.len() {
        return Err(alarm(Alarm::Entries {
            size: cp.size,
            reason: format!("entries.jsonl has {} lines", lines.len()),
        }));
    }
    let tree = merkle::Tree::new(
        lines[..size]
            .iter()
            .map(|l| merkle::leaf_hash(l.as_bytes()))
            .collect(),
    );
    if tree.root(size) != cp.root {
        return Err(alarm(Alarm::Entries {
            size: cp.size,
            reason: "its first lines do not give the checkpoint's root".to_owned(),
        }));
    }
    // Against what it saw last: a fork.
    if let Some(s) = &state {
        let (origin, size, seen) = (cp.origin.clone(), cp.size, s.size);
        match s.against(cp.size, &tree) {
            Against::Extends => {}
            Against::Rollback => return Err(alarm(Alarm::Rollback { origin, size, seen })),
            Against::Fork => return Err(alarm(Alarm::Fork { origin, size, seen })),
        }
    }
    // Every tile of the tree: the hashes and entries the entries give.
    let bundled: Vec<&[u8]> = lines[..size].iter().map(|l| l.as_bytes()).collect();
    let needed = tiles::needed(&[cp.size]);
    for tile in &needed {
        let want = match tile.level {
            Some(_) => tile.hashes(&tree),
            None => tile.bundle(&bundled),
        };
        if fetch(tile.path())? != want {
            return Err(alarm(Alarm::Tile {
                path: tile.path(),
                size: cp.size,
            }));
        }
    }

    let witnessed = match m.policy {
        Some(path) => Some(witnesses(path, &signed, &text)?),
        None => None,
    };
    Memory {
        origin: cp.origin.clone(),
        log_key,
        size: cp.size,
        root: cp.root,
    }
    .write(&state_file)?;
    Ok(Seen {
        origin: cp.origin,
        size: cp.size,
        previous: state.map(|s| s.size),
        tiles: needed.len(),
        witnessed,
    })
}

/// The witnesses of the `[policy]` in the ledger.toml at `path` whose cosignatures verify,
/// and its quorum; an alarm on a cosignature that does not verify, or below quorum.
fn witnesses(path: &Path, signed: &note::Note<'_>, text: &str) -> Result<(Vec<String>, usize)> {
    #[derive(Deserialize)]
    struct Toml {
        policy: Option<witness::PolicyToml>,
    }
    let source = SourceText::new(path.display().to_string(), crate::fs::read_to_string(path)?);
    let written: Toml = toml::from_str(&source.text).map_err(|e| {
        Error::Usage(format!(
            "`{}`: {}",
            path.display(),
            crate::config::toml_message(&e)
        ))
    })?;
    let mut ds = Diagnostics::new();
    let policy = witness::policy(written.policy.as_ref(), &source, &mut ds);
    if let Some(d) = ds.iter().next() {
        return Err(Error::Usage(format!("`{}`: {}", path.display(), d.message)));
    }
    let published: Arc<SourceText> = SourceText::new("checkpoint", text);
    let mut ds = Diagnostics::new();
    let cosigned = witness::cosignatures(signed, &policy, &published, &mut ds);
    if let Some(d) = ds.iter().next() {
        return Err(Error::Alarm(Alarm::Cosignature {
            reason: d.message.clone(),
        }));
    }
    if !policy.met_by(&cosigned) {
        return Err(Error::Alarm(Alarm::Quorum {
            have: cosigned.len(),
            quorum: policy.quorum,
        }));
    }
    Ok((
        cosigned.into_iter().map(|c| c.witness).collect(),
        policy.quorum,
    ))
}
