//! Where the sources come from and when they date from, so that a build depends on its
//! sources only: the git commit of the site root (when it is a git checkout), and the one date
//! the site may print that is not written in the content. That date is `SOURCE_DATE_EPOCH`
//! when set, else the commit's time, else 1970-01-01 (never the clock).

use std::path::Path;

/// The build's source commit and date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// `git rev-parse HEAD` of the site root, when it is in a git checkout.
    pub commit: Option<String>,
    /// Seconds since 1970 for dates not taken from content.
    pub epoch: i64,
}

impl Provenance {
    /// The source date as RFC 3339 (`2026-11-01T00:00:00Z`).
    pub fn date(&self) -> String {
        jiff::Timestamp::from_second(self.epoch)
            .map_or_else(|_| "1970-01-01T00:00:00Z".to_owned(), |t| t.to_string())
    }
}

/// The provenance of the sources under `root`.
pub fn of(root: &Path) -> Provenance {
    let commit = git(root, &["rev-parse", "--verify", "--quiet", "HEAD"]);
    let env = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let epoch = env
        .or_else(|| {
            commit
                .as_ref()
                .and_then(|_| git(root, &["log", "-1", "--format=%ct", "HEAD"]))
                .and_then(|s| s.parse().ok())
        })
        .unwrap_or(0);
    Provenance { commit, epoch }
}

/// One line of git output, or none when git is missing or `root` is not in a checkout.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    let text = crate::git::run(root, args).ok()?;
    let line = text.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_outside_git_has_no_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = of(dir.path());
        assert_eq!(p.commit, None);
    }

    #[test]
    fn the_date_is_rfc_3339() {
        let p = Provenance {
            commit: None,
            epoch: 1_700_000_000,
        };
        assert_eq!(p.date(), "2023-11-14T22:13:20Z");
        assert_eq!(Provenance::default().date(), "1970-01-01T00:00:00Z");
    }
}
