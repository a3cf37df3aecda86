//! How reports look, and the two reports every command may end with: the content's
//! diagnostics and an operational failure.

use std::io::IsTerminal;

use ancapex::diagnostic::{self, Shown, Style};
use ancapex::text::count;

use super::Outcome;

/// How reports look: in colour or not, and how many problems they show.
#[derive(Clone, Copy)]
pub(crate) struct Look {
    /// Colour or plain text.
    pub(crate) color: Style,
    /// All problems or the first few.
    pub(crate) shown: Shown,
}

impl Look {
    /// Colour on a terminal unless `NO_COLOR` is set; every problem or the first
    /// `diagnostic::SHOWN`.
    pub(crate) fn detect(all_problems: bool) -> Self {
        Self {
            color: if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
                Style::Color
            } else {
                Style::Plain
            },
            shown: if all_problems {
                Shown::All
            } else {
                Shown::First(diagnostic::SHOWN)
            },
        }
    }
}

/// How problems are reported.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// The rustc-style report on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
    /// GitHub Actions annotations on stdout, and the human report on stderr.
    Github,
}

/// Prints diagnostics in the chosen format: JSON alone on stdout; GitHub annotations on stdout
/// with the human report on stderr; or the human report alone.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn diagnostics(diagnostics: &ancapex::Diagnostics, format: Format, look: Look) {
    match format {
        Format::Json => print!("{}", diagnostic::json(diagnostics)),
        Format::Github => print!("{}", diagnostic::github(diagnostics)),
        Format::Human => {}
    }
    if format != Format::Json && !diagnostics.is_empty() {
        eprint!(
            "{}",
            diagnostic::render(diagnostics, look.color, look.shown)
        );
    }
}

/// Reports an operational failure: its located problems for a config with mistakes, else
/// `error: ` and the message with its causes (also as a GitHub annotation in that format).
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn failure(e: &ancapex::Error, format: Format, look: Look) {
    if let ancapex::Error::Config {
        diagnostics: ds, ..
    } = e
    {
        diagnostics(ds, format, look);
    } else {
        let msg = format!("error: {}", ancapex::error::chain(e));
        if format == Format::Github {
            let failure = ancapex::Diagnostic::error(msg.as_str());
            print!("{}", diagnostic::github(&[failure].into_iter().collect()));
        }
        eprintln!("{msg}");
    }
}

/// Reports a build or a check: its problems, then (unless it failed, or the format is JSON)
/// what was built or checked and how long it took since `started`.
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn site(
    report: &ancapex::pipeline::Report,
    format: Format,
    look: Look,
    started: std::time::Instant,
) -> Outcome {
    diagnostics(&report.diagnostics, format, look);
    if report.failed() {
        return Outcome::Problems;
    }
    if format == Format::Json {
        return Outcome::Done;
    }
    let ms = started.elapsed().as_millis();
    if let Some(w) = &report.written {
        println!(
            "built {} and {}: {} ({} unchanged), {} in {ms} ms",
            count(report.pages, "page", "pages"),
            count(report.sections, "section", "sections"),
            count(w.files, "file", "files"),
            w.unchanged,
            count(w.bytes, "byte", "bytes"),
        );
        let (variants, encoded) = report.images;
        if variants > 0 {
            println!(
                "images: {}, {encoded} encoded by this build",
                count(variants, "variant", "variants")
            );
        }
        if let Some(digest) = &report.site_digest {
            println!("site digest: {digest}");
        }
    } else {
        let frozen = report.since.as_ref().map_or_else(String::new, |rev| {
            format!("; published records and ledgers are as at `{rev}`")
        });
        println!(
            "checked {} and {} in {ms} ms: no errors{frozen}",
            count(report.pages, "page", "pages"),
            count(report.sections, "section", "sections"),
        );
    }
    Outcome::Done
}
