//! The `ancapex` command: parses arguments, calls the library, prints its report and picks the
//! exit code (0 ok, 1 problems in the content, 2 usage, config or I/O failure).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ancapex::config::{Drafts, Overrides};
use ancapex::diagnostic::{self, Style};
use clap::{Parser, Subcommand};

// The build allocates many small strings from many threads; mimalloc is markedly faster at
// that than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ancapex",
    version,
    about = "Build the Ancapex Research site: no artifacts, no claim"
)]
struct Cli {
    /// The site's root folder (where site.toml is).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into its output folder (public/ by default).
    Build {
        /// Write the site here instead of the configured output folder.
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
        /// Use this base URL instead of site.toml's.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Build draft pages too.
        #[arg(long)]
        drafts: bool,
    },
    /// Check everything `build` checks; write nothing.
    Check {
        /// Check draft pages too.
        #[arg(long)]
        drafts: bool,
    },
    /// Create a new site in DIR that builds with the built-in theme.
    Init {
        /// Where to create the site.
        dir: PathBuf,
    },
}

#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        Style::Color
    } else {
        Style::Plain
    };
    let started = Instant::now();
    let result = match cli.command {
        Command::Build {
            output_dir,
            base_url,
            drafts,
        } => {
            let overrides = Overrides {
                output_dir,
                base_url,
                drafts: if drafts {
                    Drafts::Include
                } else {
                    Drafts::Exclude
                },
                ..Overrides::default()
            };
            ancapex::pipeline::build(&cli.root, &overrides).map(Some)
        }
        Command::Check { drafts } => {
            let overrides = Overrides {
                drafts: if drafts {
                    Drafts::Include
                } else {
                    Drafts::Exclude
                },
                ..Overrides::default()
            };
            ancapex::pipeline::check(&cli.root, &overrides).map(Some)
        }
        Command::Init { dir } => ancapex::init::site(&dir).map(|files| {
            println!("created a site in {}: {}", dir.display(), files.join(", "));
            println!("next: ancapex --root {} build", dir.display());
            None
        }),
    };
    match result {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(report)) => {
            if !report.diagnostics.is_empty() {
                eprint!("{}", diagnostic::render(&report.diagnostics, style));
            }
            if report.failed() {
                return ExitCode::from(1);
            }
            let ms = started.elapsed().as_millis();
            match report.written {
                Some(w) => println!(
                    "built {} pages and {} sections: {} files ({} unchanged), {} bytes in {ms} ms",
                    report.pages, report.sections, w.files, w.unchanged, w.bytes
                ),
                None => println!(
                    "checked {} pages and {} sections in {ms} ms: no errors",
                    report.pages, report.sections
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if let ancapex::Error::Config { diagnostics, .. } = &e {
                eprint!("{}", diagnostic::render(diagnostics, style));
            } else {
                let mut msg = format!("error: {e}");
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    msg = format!("{msg}: {s}");
                    source = s.source();
                }
                eprintln!("{msg}");
            }
            ExitCode::from(2)
        }
    }
}
