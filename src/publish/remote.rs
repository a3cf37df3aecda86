//! What the target holds: the publish record of the last publish (which keys we own, their
//! SHA-256, size, header fingerprint, ETag and the generation each was last part of), and a
//! listing of every key with its size and ETag (one request per 1,000 objects). A recorded
//! object that the listing shows missing, or with another size or ETag, is looked at (the
//! SHA-256 stored with it); so is every object when there is no record or the user asks
//! (`--verify-remote`). That is how a change made on the target by someone else is found on
//! every publish, cheaply.

use std::collections::BTreeMap;

use futures::{StreamExt as _, TryStreamExt as _};
use serde::{Deserialize, Serialize};

pub use super::store::Present;
use super::store::Store;
use crate::error::{Error, Result};

pub use super::store::OWN_PREFIX;
/// The publish record, under the target's prefix.
pub const RECORD: &str = crate::manifest::PUBLISH_RECORD;
/// What the record is.
pub const FORMAT: &str = "https://ancapex.org/publish-record/v1";

/// The publish record: every key a publish of ours wrote and has not deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// [`FORMAT`].
    pub format: String,
    /// Counts publishes: 1 for the first.
    pub generation: u64,
    /// The site digest of the last site published.
    #[serde(rename = "siteDigest")]
    pub site_digest: String,
    /// `ancapex <version>`.
    pub generator: String,
    /// Every key we own, sorted.
    pub objects: BTreeMap<String, Owned>,
}

/// One key we own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owned {
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// The fingerprint of its headers.
    pub headers: String,
    /// Whether its bytes never change (kept for a few generations once unused).
    pub immutable: bool,
    /// The last generation whose site had it.
    pub generation: u64,
    /// What a listing showed of it once written: its ETag (S3) or `mtime:<time>` (a
    /// directory). Another value (or none in the record) makes the next publish look at it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl Record {
    /// The JSON stored: pretty, sorted, a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// An object found by listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its SHA-256 from our metadata (or, in a directory, from its bytes); none for an
    /// object we did not write.
    pub sha256: Option<String>,
    /// Its header fingerprint from our metadata.
    pub headers: Option<String>,
    /// Whether its `Cache-Control` says immutable.
    pub immutable: bool,
    /// Whether it carries our metadata, so an earlier publish of ours wrote it (an interrupted
    /// one, whose record was never written).
    pub ours: bool,
}

/// The target before a publish.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The last publish's record, if any.
    pub record: Option<Record>,
    /// The record's ETag, for the conditional write of the next one.
    pub etag: Option<String>,
    /// Whether a record object exists (even one without an ETag).
    pub has_record: bool,
    /// Every key under the prefix with what it carries, when each object was looked at.
    pub listed: Option<BTreeMap<String, Listed>>,
    /// Every key under the prefix with its size and ETag, from the listing.
    pub present: BTreeMap<String, Present>,
    /// The recorded objects the listing shows changed or missing (none: missing), each looked
    /// at, when not every object was.
    pub checked: BTreeMap<String, Option<Listed>>,
}

impl State {
    /// What is known of `key` beyond the record: `None` when only the record speaks for it,
    /// `Some(None)` when it is not there.
    pub fn seen(&self, key: &str) -> Option<Option<&Listed>> {
        match &self.listed {
            Some(listed) => Some(listed.get(key)),
            None => self.checked.get(key).map(Option::as_ref),
        }
    }
}

/// Whether to look at every object even when there is a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Only without a record; with one, only the objects the listing shows changed.
    WhenNoRecord,
    /// Always (`--verify-remote`).
    Always,
}

/// Reads the record and, when needed, lists the target.
pub(crate) async fn state(store: &Store, listing: Listing, concurrency: usize) -> Result<State> {
    let stat = store.stat(RECORD).await?;
    let mut state = State::default();
    if let Some(stat) = stat {
        state.has_record = true;
        state.etag = stat.etag;
        if let Some(bytes) = store.read(RECORD).await? {
            let record: Record = serde_json::from_slice(&bytes).map_err(|e| {
                Error::Malformed(crate::error::Malformed::PublishRecord {
                    record: RECORD,
                    target: store.name().to_string(),
                    reason: e.to_string(),
                })
            })?;
            state.record = Some(record);
        }
    }
    state.present = store.list().await?;
    match &state.record {
        Some(record) if listing == Listing::WhenNoRecord => {
            let mut missing = vec![];
            let mut changed = vec![];
            for (key, owned) in &record.objects {
                match state.present.get(key) {
                    None => missing.push(key.clone()),
                    Some(p) if !matches(owned, p) => changed.push(key.clone()),
                    Some(_) => {}
                }
            }
            let looked = look_at(store, changed, concurrency).await?;
            state.checked = missing
                .into_iter()
                .map(|k| (k, None))
                .chain(looked.into_iter().map(|(k, l)| (k, Some(l))))
                .collect();
        }
        _ => {
            let keys = state.present.keys().cloned().collect();
            state.listed = Some(look_at(store, keys, concurrency).await?);
        }
    }
    Ok(state)
}

/// Whether a listed object is still the one the record describes.
fn matches(owned: &Owned, present: &Present) -> bool {
    owned.size == present.size && owned.etag.is_some() && owned.etag == present.version
}

/// Looks at each object: the SHA-256 and header fingerprint stored with it (or, in a
/// directory, the SHA-256 of its bytes).
async fn look_at(
    store: &Store,
    keys: Vec<String>,
    concurrency: usize,
) -> Result<BTreeMap<String, Listed>> {
    futures::stream::iter(keys)
        .map(|key| async move {
            let stat = store.stat(&key).await?.unwrap_or_default();
            let ours = stat.sha256.is_some();
            let sha256 = stat.sha256.or_else(|| store.local_sha256(&key));
            let immutable = stat.cache_control.is_some_and(|c| c.contains("immutable"));
            Ok::<_, Error>((
                key,
                Listed {
                    sha256,
                    headers: stat.headers,
                    immutable,
                    ours,
                },
            ))
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
}

/// Writes into a record what the listing shows of each of its objects, for the next publish
/// to compare with (none when the size disagrees: then the next publish looks at it).
pub(crate) fn stamp(record: &mut Record, present: &BTreeMap<String, Present>) {
    for (key, owned) in &mut record.objects {
        owned.etag = present
            .get(key)
            .filter(|p| p.size == owned.size)
            .and_then(|p| p.version.clone());
    }
}
