//! `ancapex verify`: checks a built site against its manifest (or a fresh build of the
//! sources) and its signature; one line per difference, then a summary.

use std::path::Path;

use ancapex::config::Overrides;
use ancapex::text::count;

use super::Outcome;
use super::report::{self, Format, Look};

/// What `verify` compares against.
pub(crate) struct Verify {
    /// Build the sources and compare with that build.
    pub(crate) rebuild: bool,
    /// With `rebuild`: the base URL to build with.
    pub(crate) base_url: Option<String>,
    /// The minisign public key the manifest's signature must verify with.
    pub(crate) key: Option<String>,
}

/// One line per differing file, the signature when a key is pinned, then a summary; any
/// difference, errors in the sources of a rebuild, or a missing or bad signature are
/// [`Outcome::Problems`].
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn run(root: &Path, dir: &Path, how: Verify, look: Look) -> ancapex::Result<Outcome> {
    let signature = how
        .key
        .as_deref()
        .map(|k| ancapex::signing::check(dir, k))
        .transpose()?;
    let (outcome, against) = if how.rebuild {
        let overrides = Overrides {
            base_url: how.base_url,
            ..Overrides::default()
        };
        let r = ancapex::pipeline::rebuild_and_verify(root, dir, &overrides)?;
        let Some(o) = r.outcome else {
            report::diagnostics(&r.build.diagnostics, Format::Human, look);
            return Ok(Outcome::Problems);
        };
        (o, "a fresh build of the sources")
    } else {
        (ancapex::verify::dir(dir)?, "its manifest")
    };
    for (change, path) in &outcome.differences {
        println!("{}: {path}", change.as_str());
    }
    if outcome.digest_mismatch {
        println!(
            "edited: {}: its site digest is not the one its files give",
            ancapex::manifest::FILE
        );
    }
    let signed = match &signature {
        None => true,
        Some(ancapex::signing::Check::Good(comment)) => {
            println!("signature: good ({comment})");
            true
        }
        Some(ancapex::signing::Check::Missing) => {
            println!("signature: missing: no {}", ancapex::manifest::SIGNATURE);
            false
        }
        Some(ancapex::signing::Check::Bad(why)) => {
            println!("signature: bad: {why}");
            false
        }
    };
    let besides = if outcome.publish_record {
        format!(
            " (besides the publish record `{}`)",
            ancapex::manifest::PUBLISH_RECORD
        )
    } else {
        String::new()
    };
    if outcome.is_clean() {
        println!(
            "verified {} against {against}{besides}: site digest {}",
            count(outcome.files, "file", "files"),
            outcome.site_digest
        );
    } else {
        println!(
            "{} from {against} (site digest {})",
            count(
                outcome.differences.len() + usize::from(outcome.digest_mismatch),
                "difference",
                "differences"
            ),
            outcome.site_digest
        );
    }
    Ok(Outcome::problems_if(!(outcome.is_clean() && signed)))
}
