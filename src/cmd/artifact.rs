//! `ancapex artifact hash`: fills in the digests and sizes of a record's local files and says
//! what changed.

use std::path::Path;

use super::Outcome;

/// Hashes the local files of artifact `id` into its record.
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn hash(root: &Path, id: &str) -> ancapex::Result<Outcome> {
    let changes = ancapex::artifact::hash_files(root, id)?;
    let record = format!("artifacts/{id}/artifact.toml");
    if changes.is_empty() {
        println!("{record}: every digest and size is already right");
    }
    for c in &changes {
        let verb = if c.was.is_some() { "updated" } else { "added" };
        println!(
            "{record}: {verb} `{}`: sha256 {}, size {}",
            c.path, c.sha256, c.size
        );
    }
    Ok(Outcome::Done)
}
