//! `ancapex build`: builds the site into its output folder and reports what it wrote.

use std::path::Path;
use std::time::Instant;

use ancapex::config::Overrides;

use super::Outcome;
use super::report::{self, Format, Look};

/// Builds the site under `root`; problems in the content are [`Outcome::Problems`].
pub(crate) fn run(root: &Path, overrides: &Overrides, look: Look) -> ancapex::Result<Outcome> {
    let started = Instant::now();
    let built = ancapex::pipeline::build(root, overrides)?;
    Ok(report::site(&built, Format::Human, look, started))
}
