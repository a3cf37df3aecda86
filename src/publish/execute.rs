//! Carries out the steps of one phase, or the deletes, with bounded concurrency; the first
//! failure stops the phase (what is already written stays: it only adds to the live site).

use std::path::Path;

use futures::{StreamExt as _, TryStreamExt as _};

use super::diff::{Action, Step};
use super::store::Store;
use super::{Event, Progress};
use crate::error::Result;

/// Sends the steps that need work.
pub(crate) async fn steps(
    store: &Store,
    dir: &Path,
    steps: &[&Step],
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<()> {
    futures::stream::iter(steps.iter().filter(|s| s.action != Action::Unchanged))
        .map(|step| async move {
            let item = &step.item;
            if step.action.uploads() {
                store.upload(item, &dir.join(&item.key)).await?;
            } else {
                store.update_headers(item, &dir.join(&item.key)).await?;
            }
            progress.event(&Event::Done {
                key: &item.key,
                action: step.action,
                bytes: if step.action.uploads() { item.size } else { 0 },
            });
            Ok::<(), crate::Error>(())
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
}

/// Deletes keys.
pub(crate) async fn deletes(
    store: &Store,
    keys: &[String],
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<()> {
    futures::stream::iter(keys)
        .map(|key| async move {
            store.delete(key).await?;
            progress.event(&Event::Deleted { key });
            Ok::<(), crate::Error>(())
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
}
