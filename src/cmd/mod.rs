//! The commands of the `ancapex` binary, one module per subcommand. Each calls the library,
//! prints what came of it and returns an [`Outcome`]; `main` turns the outcome (or the error)
//! into the exit code, in one function.
//!
//! They belong to the binary, not the library (`main.rs` declares them; `lib.rs` does not):
//! they print reports, progress bars and the next step to take, and read the terminal and the
//! clock, and the library never prints. The library returns plain data (`pipeline::Report`,
//! `publish::Report`, `verify::Outcome`, `ledger::command::Outcome`) and these modules render
//! it, as ripgrep keeps its printing in the binary. A new command is a module here, a variant
//! of `main`'s `Command` and one arm of its dispatch; it never picks an exit code itself.

pub(crate) mod artifact;
pub(crate) mod build;
pub(crate) mod cache;
pub(crate) mod check;
pub(crate) mod init;
pub(crate) mod ledger;
pub(crate) mod new;
pub(crate) mod publish;
pub(crate) mod report;
pub(crate) mod serve;
pub(crate) mod verify;

/// What a command that ran to its end came to. An operational failure (I/O, config, usage,
/// publish) is an [`ancapex::Error`] instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It did what was asked and found nothing wrong.
    Done,
    /// It found problems in what it was given to check: errors in the content, a built site
    /// that differs from its manifest, a missing or bad signature. They have been reported.
    Problems,
}

impl Outcome {
    /// `Problems` when `failed`, else `Done`.
    pub(crate) fn problems_if(failed: bool) -> Self {
        if failed { Self::Problems } else { Self::Done }
    }
}
