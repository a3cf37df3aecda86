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
}

/// The result of an operational step.
pub type Result<T, E = Error> = std::result::Result<T, E>;
