//! The `ancapex` command: parses arguments, calls the library, prints its report and picks the
//! exit code (0 ok, 1 problems in the content, 2 usage, config or I/O failure).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ancapex::config::{Drafts, Overrides};
use ancapex::diagnostic::{self, Style};
use clap::{Parser, Subcommand, ValueEnum};

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
        /// How to report problems.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Fail when a record published at this git revision changed (or lost a file).
        #[arg(long, value_name = "GIT-REV")]
        since: Option<String>,
    },
    /// Check a built site against its manifest: every file's digest, nothing missing or added
    /// (exit 1 on any difference).
    Verify {
        /// The built site (a folder holding `site-manifest.json`).
        dir: PathBuf,
        /// Build the sources (`--root`) into a temporary folder and compare with that instead
        /// of the site's own manifest.
        #[arg(long)]
        rebuild: bool,
        /// With `--rebuild`: the base URL the site was built with, when not site.toml's.
        #[arg(long, value_name = "URL", requires = "rebuild")]
        base_url: Option<String>,
        /// Also check `site-manifest.json.minisig` against this minisign public key (a `.pub`
        /// file, or its base64 key line).
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
    },
    /// Create a new site in DIR that builds with the built-in theme.
    Init {
        /// Where to create the site.
        dir: PathBuf,
    },
    /// Work on one artifact record.
    Artifact {
        #[command(subcommand)]
        what: ArtifactCommand,
    },
    /// Create something new in the site.
    New {
        #[command(subcommand)]
        what: New,
    },
}

#[derive(Subcommand)]
enum ArtifactCommand {
    /// Fill in sha256 and size of the record's local files, keeping its comments and layout.
    Hash {
        /// The artifact's id (its folder under `artifacts/`).
        id: String,
    },
}

#[derive(Subcommand)]
enum New {
    /// Write `artifacts/<ID>/artifact.toml`: a `planned` record to fill in.
    Artifact {
        /// The id and folder name: lowercase letters, digits and `-`.
        id: String,
        /// What it is: report, design-memo, matrix, eval-suite, template, dataset, model,
        /// checkpoint or code.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Its title (the id when none).
        #[arg(long, value_name = "TITLE")]
        title: Option<String>,
    },
}

/// How `check` reports problems.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The rustc-style report on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
    /// GitHub Actions annotations on stdout, and the human report on stderr.
    Github,
}

#[expect(
    clippy::print_stdout,
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
    let mut format = Format::Human;
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
        Command::Check {
            drafts,
            format: chosen,
            since,
        } => {
            format = chosen;
            let overrides = Overrides {
                drafts: if drafts {
                    Drafts::Include
                } else {
                    Drafts::Exclude
                },
                since,
                ..Overrides::default()
            };
            ancapex::pipeline::check(&cli.root, &overrides).map(Some)
        }
        Command::New {
            what: New::Artifact { id, kind, title },
        } => {
            let new = ancapex::artifact::NewArtifact { id, kind, title };
            ancapex::artifact::create(&cli.root, &new).map(|path| {
                let rel = path.strip_prefix(&cli.root).unwrap_or(&path);
                println!("created {}", rel.display());
                println!("next: fill it in, then run `ancapex check`");
                None
            })
        }
        Command::Artifact {
            what: ArtifactCommand::Hash { id },
        } => ancapex::artifact::hash_files(&cli.root, &id).map(|changes| {
            let record = format!("artifacts/{id}/artifact.toml");
            if changes.is_empty() {
                println!("{record}: every digest and size is already right");
            }
            for c in &changes {
                let verb = if c.was.is_some() { "updated" } else { "added" };
                println!(
                    "{record}: {verb} `{}`: sha256 {}, size {}",
                    c.path, c.sha256, c.size
                );
            }
            None
        }),
        Command::Verify {
            dir,
            rebuild,
            base_url,
            key,
        } => {
            let how = Verify {
                rebuild,
                base_url,
                key,
            };
            return verify(&cli.root, &dir, how, style);
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
            report_diagnostics(&report.diagnostics, format, style);
            if report.failed() {
                return ExitCode::from(1);
            }
            if format == Format::Json {
                return ExitCode::SUCCESS;
            }
            let ms = started.elapsed().as_millis();
            match report.written {
                Some(w) => {
                    println!(
                        "built {} pages and {} sections: {} files ({} unchanged), {} bytes in {ms} ms",
                        report.pages, report.sections, w.files, w.unchanged, w.bytes
                    );
                    if let Some(digest) = &report.site_digest {
                        println!("site digest: {digest}");
                    }
                }
                None => println!(
                    "checked {} pages and {} sections in {ms} ms: no errors",
                    report.pages, report.sections
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => operational_failure(&e, format, style),
    }
}

/// Reports an operational failure (exit 2).
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn operational_failure(e: &ancapex::Error, format: Format, style: Style) -> ExitCode {
    if let ancapex::Error::Config { diagnostics, .. } = e {
        report_diagnostics(diagnostics, format, style);
    } else {
        let mut msg = format!("error: {e}");
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            msg = format!("{msg}: {s}");
            source = s.source();
        }
        if format == Format::Github {
            let failure = ancapex::Diagnostic::error(msg.as_str());
            print!("{}", diagnostic::github(&[failure].into_iter().collect()));
        }
        eprintln!("{msg}");
    }
    ExitCode::from(2)
}

/// What `verify` compares against.
struct Verify {
    rebuild: bool,
    base_url: Option<String>,
    key: Option<String>,
}

/// `verify`: one line per differing file, the signature when a key is pinned, then a summary;
/// exit 1 on any difference or a missing or bad signature.
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
fn verify(root: &std::path::Path, dir: &std::path::Path, how: Verify, style: Style) -> ExitCode {
    let signature = match how.key.as_deref().map(|k| ancapex::signing::check(dir, k)) {
        None => None,
        Some(Ok(check)) => Some(check),
        Some(Err(e)) => return operational_failure(&e, Format::Human, style),
    };
    let (outcome, against) = if how.rebuild {
        let overrides = Overrides {
            base_url: how.base_url,
            ..Overrides::default()
        };
        match ancapex::pipeline::rebuild_and_verify(root, dir, &overrides) {
            Ok(r) => {
                let Some(o) = r.outcome else {
                    report_diagnostics(&r.build.diagnostics, Format::Human, style);
                    return ExitCode::from(1);
                };
                (o, "a fresh build of the sources")
            }
            Err(e) => return operational_failure(&e, Format::Human, style),
        }
    } else {
        match ancapex::verify::dir(dir) {
            Ok(o) => (o, "its manifest"),
            Err(e) => return operational_failure(&e, Format::Human, style),
        }
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
    if outcome.is_clean() {
        println!(
            "verified {} files against {against}: site digest {}",
            outcome.files, outcome.site_digest
        );
    } else {
        println!(
            "{} differences from {against} (site digest {})",
            outcome.differences.len() + usize::from(outcome.digest_mismatch),
            outcome.site_digest
        );
    }
    if outcome.is_clean() && signed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Prints diagnostics in the chosen format: JSON alone on stdout; GitHub annotations on stdout
/// with the human report on stderr; or the human report alone.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn report_diagnostics(diagnostics: &ancapex::Diagnostics, format: Format, style: Style) {
    match format {
        Format::Json => print!("{}", diagnostic::json(diagnostics)),
        Format::Github => print!("{}", diagnostic::github(diagnostics)),
        Format::Human => {}
    }
    if format != Format::Json && !diagnostics.is_empty() {
        eprint!("{}", diagnostic::render(diagnostics, style));
    }
}
