//! `ancapex new artifact` and `ancapex new failure`: write a record to fill in and say what to
//! do next.

use std::path::Path;

use super::Outcome;

/// Writes `artifacts/<id>/artifact.toml`, a `planned` record.
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn artifact(
    root: &Path,
    new: &ancapex::artifact::NewArtifact,
) -> ancapex::Result<Outcome> {
    let path = ancapex::artifact::create(root, new)?;
    let rel = path.strip_prefix(root).unwrap_or(&path);
    println!("created {}", rel.display());
    println!("next: fill it in, then run `ancapex check`");
    Ok(Outcome::Done)
}

/// Writes `artifacts/failures/<id>.md`, a draft report dated today (UTC).
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn failure(root: &Path, new: &ancapex::failure::NewFailure) -> ancapex::Result<Outcome> {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let path = ancapex::failure::create(root, new, today)?;
    let rel = path.strip_prefix(root).unwrap_or(&path);
    let about = match (&new.run, new.entry) {
        (Some(run), Some(seq)) => format!(" about entry {seq} of run ledger `{run}`"),
        (Some(run), None) => format!(" about run ledger `{run}`"),
        _ => String::new(),
    };
    println!(
        "created {} (a draft{about}, detected {today})",
        rel.display()
    );
    println!("next: replace the template's guidance with what happened, then run `ancapex check`");
    Ok(Outcome::Done)
}
