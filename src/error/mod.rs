//! Operational failures: the filesystem, an unreadable config, a theme that cannot be found.
//! Problems in the user's content are not errors but diagnostics (see `diagnostic`).

use std::path::PathBuf;

/// Everything that stops a command for reasons other than the content itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error("{action} `{}`", path.display())]
    Io {
        /// What was being done, e.g. "could not read".
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The site configuration has problems; they are in the diagnostics.
    #[error("could not load `{}`", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// The located problems.
        diagnostics: crate::diagnostic::Diagnostics,
    },
    /// A command was given something it cannot work with.
    #[error("{0}")]
    Usage(String),
    /// Walking a directory failed.
    #[error("could not walk `{}`", path.display())]
    Walk {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: walkdir::Error,
    },
    /// A publish target failed an operation (after retries).
    #[error("{action} `{key}` on {target}")]
    Store {
        /// What was being done, e.g. "could not upload".
        action: &'static str,
        /// The object's key under the target's prefix (empty for the whole target).
        key: String,
        /// The target, e.g. `s3://bucket/prefix`.
        target: String,
        /// The store's error.
        #[source]
        source: opendal::Error,
    },
    /// Another publish wrote the publish record since this one read it.
    #[error(
        "another publish to {target} finished while this one ran: its record was kept and nothing was deleted; publish again to bring the target up to date"
    )]
    PublishConflict {
        /// The target.
        target: String,
    },
}

/// The result of an operational step.
pub type Result<T, E = Error> = std::result::Result<T, E>;
