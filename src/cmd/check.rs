//! `ancapex check`: checks everything a build checks, writes nothing, and reports in the
//! chosen format.

use std::path::Path;
use std::time::Instant;

use ancapex::config::Overrides;

use super::Outcome;
use super::report::{self, Format, Look};

/// Checks the site under `root`; problems in the content are [`Outcome::Problems`].
pub(crate) fn run(
    root: &Path,
    overrides: &Overrides,
    format: Format,
    look: Look,
) -> ancapex::Result<Outcome> {
    let started = Instant::now();
    let checked = ancapex::pipeline::check(root, overrides)?;
    Ok(report::site(&checked, format, look, started))
}
