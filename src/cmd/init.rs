//! `ancapex init`: writes a new site that builds with the built-in theme.

use std::path::Path;

use super::Outcome;

/// Creates a site in `dir` and says how to build it.
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn run(dir: &Path) -> ancapex::Result<Outcome> {
    let files = ancapex::init::site(dir)?;
    println!("created a site in {}: {}", dir.display(), files.join(", "));
    println!("next: ancapex --root {} build", dir.display());
    Ok(Outcome::Done)
}
