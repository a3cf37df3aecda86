//! The `ancapex` command: parses arguments, calls the library, prints its report and picks the
//! exit code (0 ok, 1 problems in the content, 2 usage, config or I/O failure).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ancapex::config::{Drafts, Overrides};
use ancapex::diagnostic::{self, Shown, Style};
use ancapex::text::count;
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
    /// Show every problem; without it a report shows the first 50 (errors first) and counts
    /// the rest. `check --format json` and `github` always list every one.
    #[arg(long, global = true)]
    all_problems: bool,
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
    /// Build the site in memory and serve it with live reload, rebuilding what changed on every
    /// save; problems show in the terminal and over the page in the browser.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
        interface: std::net::IpAddr,
        /// The port to listen on; 0 picks a free one.
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Build draft pages too.
        #[arg(long)]
        drafts: bool,
        /// Open the site in a browser once it is served.
        #[arg(long)]
        open: bool,
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
    /// Publish the built site to an S3-compatible bucket or a directory: only what changed,
    /// assets before the pages that use them, then deletes.
    Publish(PublishArgs),
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
    /// Keep a run ledger: keys, appends, checkpoints, verification.
    Ledger {
        #[command(subcommand)]
        what: LedgerCommand,
    },
    /// Create something new in the site.
    New {
        #[command(subcommand)]
        what: New,
    },
}

#[derive(clap::Args)]
struct PublishArgs {
    /// Where to: `s3://<bucket>/<prefix>` (endpoint, region and credentials from the AWS_*
    /// variables or the flags below) or `file:///<path>`.
    #[arg(long, value_name = "TARGET")]
    to: String,
    /// The built site to publish (the configured output folder of `--root` by default).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Print the plan; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// More deletes than this means no deletes (and a message).
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_deletes: usize,
    /// Keep the fingerprinted files of this many generations (this one included).
    #[arg(long, value_name = "N", default_value_t = 3)]
    keep_generations: u64,
    /// Write the URL paths whose content changed to FILE, one a line, for a CDN purge.
    #[arg(long, value_name = "FILE")]
    invalidation_list: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    concurrency: usize,
    /// Look at every object on the target (the SHA-256 stored with it), not only those a
    /// listing shows changed since the publish record was written.
    #[arg(long)]
    verify_remote: bool,
    /// The S3 endpoint URL (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The S3 region (default: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1; R2: auto).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
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
enum LedgerCommand {
    /// Generate an Ed25519 signing key: the private key goes to FILE, the verifier key line is
    /// printed for `ledger init --key` or `ledger.toml`.
    Keygen {
        /// Where to write the private key (must not exist; keep it out of the repository).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The key name, usually the ledger's origin.
        #[arg(long, value_name = "NAME", default_value = "ancapex.org/ledgers")]
        name: String,
    },
    /// Create `artifacts/ledgers/<NAME>/` with ledger.toml and its `log.genesis` line.
    Init {
        /// The ledger's folder name.
        name: String,
        /// The log's origin, e.g. `ancapex.org/ledgers/model-run-1`.
        #[arg(long, value_name = "ORIGIN")]
        origin: String,
        /// The verifier key line printed by `ledger keygen`.
        #[arg(long, value_name = "KEY")]
        key: String,
        /// Who appends; the only actor allowed until ledger.toml says otherwise.
        #[arg(long, value_name = "ACTOR", default_value = "ancapex")]
        actor: String,
        /// The genesis title (the name when none).
        #[arg(long, value_name = "TITLE")]
        title: Option<String>,
    },
    /// Append one entry: seq, prev and ts are filled in; the line is checked, then written
    /// under a lock and fsynced.
    Append {
        /// The ledger's folder name.
        name: String,
        /// The entry type, e.g. `note` or `artifact.status`.
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
        /// The body, a JSON object.
        #[arg(long, value_name = "JSON")]
        body: String,
        /// Who appends.
        #[arg(long, value_name = "ACTOR", default_value = "ancapex")]
        actor: String,
        /// An artifact reference, `artifact:<id>@<version>`; repeatable.
        #[arg(long = "ref", value_name = "REF")]
        refs: Vec<String>,
    },
    /// Print the C2SP tlog-proof of entry SEQ in the newest checkpoint: an offline proof to
    /// hand out with the entry (the site publishes tiles, from which clients compute proofs).
    Proof {
        /// The ledger's folder name.
        name: String,
        /// The entry's seq.
        seq: u64,
    },
    /// Sign a checkpoint of the whole ledger into `checkpoints/<size>`.
    Sign {
        /// The ledger's folder name.
        name: String,
        /// The private key file written by `ledger keygen`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Check a ledger as the build does and report on it.
    Verify {
        /// The ledger's folder name.
        name: String,
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
    /// Write `artifacts/failures/<ID>.md`: a draft failure report from the template, dated
    /// today.
    Failure {
        /// The id and file name: lowercase letters, digits and `-` (default: the next free
        /// `<run>-failure-<n>`, or `failure-<n>` with no run).
        id: Option<String>,
        /// The run ledger it is about (`artifacts/ledgers/<RUN>/`).
        #[arg(long, value_name = "RUN")]
        run: Option<String>,
        /// The seq of the run's `failure` entry it reports (cited in `ledger_refs`).
        #[arg(long, value_name = "SEQ", requires = "run")]
        entry: Option<u64>,
        /// incident, negative-result, null-result, irreproducible or retraction (default
        /// incident).
        #[arg(long = "type", value_name = "TYPE")]
        report_type: Option<String>,
        /// Its title (the template's placeholder when none).
        #[arg(long, value_name = "TITLE")]
        title: Option<String>,
    },
}

/// How reports look: in colour or not, and how many problems they show.
#[derive(Clone, Copy)]
struct Look {
    color: Style,
    shown: Shown,
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
    let style = Look {
        color: if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Style::Color
        } else {
            Style::Plain
        },
        shown: if cli.all_problems {
            Shown::All
        } else {
            Shown::First(diagnostic::SHOWN)
        },
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
        Command::New {
            what:
                New::Failure {
                    id,
                    run,
                    entry,
                    report_type,
                    title,
                },
        } => {
            let new = ancapex::failure::NewFailure {
                id,
                run,
                entry,
                report_type,
                title,
            };
            let today = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            ancapex::failure::create(&cli.root, &new, today).map(|path| {
                let rel = path.strip_prefix(&cli.root).unwrap_or(&path);
                let about = match (&new.run, new.entry) {
                    (Some(run), Some(seq)) => {
                        format!(" about entry {seq} of run ledger `{run}`")
                    }
                    (Some(run), None) => format!(" about run ledger `{run}`"),
                    _ => String::new(),
                };
                println!("created {} (a draft{about}, detected {today})", rel.display());
                println!(
                    "next: replace the template's guidance with what happened, then run `ancapex check`"
                );
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
        Command::Serve {
            interface,
            port,
            drafts,
            open,
        } => {
            let options = ancapex::serve::Options {
                root: cli.root.clone(),
                interface,
                port,
                drafts: if drafts {
                    Drafts::Include
                } else {
                    Drafts::Exclude
                },
            };
            let report = |e: ancapex::serve::Event<'_>| serve_report(&e, style, open);
            ancapex::serve::run(&options, &report).map(|()| None)
        }
        Command::Ledger { what } => ledger(&cli.root, what, style),
        Command::Publish(args) => return publish(&cli.root, args, style),
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
            if let Some(w) = report.written {
                println!(
                    "built {} and {}: {} ({} unchanged), {} in {ms} ms",
                    count(report.pages, "page", "pages"),
                    count(report.sections, "section", "sections"),
                    count(w.files, "file", "files"),
                    w.unchanged,
                    count(w.bytes, "byte", "bytes"),
                );
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
            ExitCode::SUCCESS
        }
        Err(e) => operational_failure(&e, format, style),
    }
}

/// Prints what the server reports: the URL, each rebuild with its problems (the same report
/// as `build`), failures to rebuild. With `--open`, opens the URL in a browser once.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn serve_report(event: &ancapex::serve::Event<'_>, style: Look, open: bool) {
    use ancapex::serve::Event;
    match event {
        Event::Listening { url } => {
            println!("serving at {url} (Ctrl+C stops)");
            if open {
                // No browser is not a reason to stop serving.
                match std::process::Command::new("xdg-open")
                    .arg(url)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                {
                    Ok(_) => {}
                    Err(e) => eprintln!("warning: could not open a browser: {e}"),
                }
            }
        }
        Event::Built {
            update,
            served,
            causes,
            took,
            diagnostics,
        } => {
            use ancapex::serve::Served;
            if !diagnostics.is_empty() {
                eprint!(
                    "{}",
                    diagnostic::render(diagnostics, style.color, style.shown)
                );
            }
            let cause = match causes {
                [] => String::new(),
                [one] => format!(" after a change to {}", one.display()),
                many => format!(" after changes to {} files", many.len()),
            };
            let ms = took.as_millis();
            match served {
                Served::Site { changed, removed } => {
                    let how = match update.rebuild {
                        ancapex::pipeline::Rebuild::Incremental => "rebuilt",
                        ancapex::pipeline::Rebuild::Full => "built",
                    };
                    println!(
                        "{how}{cause} in {ms} ms: {} rendered, {changed} changed, {removed} removed",
                        count(update.rendered, "output", "outputs"),
                    );
                }
                Served::LastGood { exists } => {
                    let (errors, warnings) = diagnostics.counts();
                    let mut problems = count(errors, "error", "errors");
                    if warnings > 0 {
                        problems =
                            format!("{problems}, {}", count(warnings, "warning", "warnings"));
                    }
                    let state = if *exists {
                        "still serving the last good site"
                    } else {
                        "nothing is served until it builds"
                    };
                    println!("build failed{cause} in {ms} ms: {problems}; {state}");
                }
            }
        }
        Event::Failed { error } => {
            if let ancapex::Error::Config { diagnostics, .. } = error {
                eprint!(
                    "{}",
                    diagnostic::render(diagnostics, style.color, style.shown)
                );
            }
            eprintln!("error: {error}; still serving the last good site");
        }
        Event::WatchProblem { message } => eprintln!("warning: {message}"),
    }
}

/// Reports an operational failure (exit 2).
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn operational_failure(e: &ancapex::Error, format: Format, style: Look) -> ExitCode {
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
fn verify(root: &std::path::Path, dir: &std::path::Path, how: Verify, style: Look) -> ExitCode {
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
    if outcome.is_clean() && signed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `publish`: progress on stderr (a bar on a terminal, lines otherwise), the plan in a dry run,
/// then a summary; exit 2 on a failure.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn publish(root: &std::path::Path, args: PublishArgs, style: Look) -> ExitCode {
    use ancapex::publish::{self, Action, Mode};
    let target = match publish::Target::parse(&args.to) {
        Ok(t) => t,
        Err(e) => return operational_failure(&e, Format::Human, style),
    };
    let dir = match args.dir.map_or_else(|| publish::output_dir(root), Ok) {
        Ok(d) => d,
        Err(e) => return operational_failure(&e, Format::Human, style),
    };
    let mut s3 = publish::S3Config::from_env();
    s3.endpoint = args.endpoint.or(s3.endpoint);
    s3.region = args.region.or(s3.region);
    let options = publish::Options {
        dir,
        target,
        s3,
        mode: if args.dry_run {
            Mode::DryRun
        } else {
            Mode::Publish
        },
        limits: publish::Limits {
            max_deletes: args.max_deletes,
            keep_generations: args.keep_generations.max(1),
        },
        concurrency: args.concurrency.max(1),
        listing: if args.verify_remote {
            publish::Listing::Always
        } else {
            publish::Listing::WhenNoRecord
        },
        tuning: publish::Tuning::default(),
        invalidation_list: args.invalidation_list,
    };
    let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let progress = PublishProgress::new(interactive);
    let report = match publish::run(&options, &progress) {
        Ok(r) => r,
        Err(e) => {
            progress.finish();
            return operational_failure(&e, Format::Human, style);
        }
    };
    progress.finish();
    if report.mode == Mode::DryRun {
        println!("plan for {} (dry run: nothing changed):", report.target);
        for step in report
            .steps
            .iter()
            .filter(|s| s.action != Action::Unchanged)
        {
            println!(
                "  {:<9} {} ({} bytes, {})",
                step.action.as_str(),
                step.item.key,
                step.item.size,
                step.item.phase.as_str()
            );
        }
        for key in &report.deleted {
            println!("  delete    {key}");
        }
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let verb = if report.mode == Mode::DryRun {
        "would publish"
    } else {
        "published"
    };
    println!(
        "{verb} generation {} to {}: {} uploaded ({}), {}, {} unchanged, {} deleted, {} kept from earlier generations",
        report.generation,
        report.target,
        report.uploaded,
        count(report.bytes, "byte", "bytes"),
        count(
            report.header_only,
            "header-only update",
            "header-only updates"
        ),
        report.unchanged,
        report.deleted.len(),
        report.kept
    );
    ExitCode::SUCCESS
}

/// How `publish` shows its progress: an indicatif bar (files and bytes) on a terminal, one
/// line per file otherwise (CI logs).
struct PublishProgress {
    bar: Option<indicatif::ProgressBar>,
    /// The phase's name, files done and files in all.
    phase: std::sync::Mutex<(&'static str, usize, usize)>,
}

impl PublishProgress {
    fn new(interactive: bool) -> Self {
        let bar = interactive.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(
                "{msg:<44} [{bar:30}] {bytes}/{total_bytes}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        Self {
            bar,
            phase: std::sync::Mutex::new(("", 0, 0)),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl ancapex::publish::Progress for PublishProgress {
    #[expect(
        clippy::print_stderr,
        reason = "the binary is where progress is printed"
    )]
    fn event(&self, event: &ancapex::publish::Event<'_>) {
        use ancapex::publish::Event;
        let Some(bar) = &self.bar else {
            match event {
                Event::Phase {
                    phase,
                    files,
                    bytes,
                } => eprintln!(
                    "{}: {}, {}",
                    phase.as_str(),
                    count(*files, "file", "files"),
                    count(*bytes, "byte", "bytes")
                ),
                Event::Done { key, action, bytes } => {
                    eprintln!("  {:<9} {key} ({bytes} bytes)", action.as_str());
                }
                Event::Deleted { key } => eprintln!("  deleted   {key}"),
                Event::Recorded => eprintln!("publish record written"),
                Event::PhaseDone(_) => {}
            }
            return;
        };
        let mut phase = self
            .phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            Event::Phase {
                phase: p,
                files,
                bytes,
            } => {
                *phase = (p.as_str(), 0, *files);
                bar.reset();
                bar.set_length(*bytes);
            }
            Event::Done { bytes, .. } => {
                phase.1 += 1;
                bar.inc(*bytes);
            }
            _ => return,
        }
        bar.set_message(format!("{}: {}/{} files", phase.0, phase.1, phase.2));
    }
}

/// Prints diagnostics in the chosen format: JSON alone on stdout; GitHub annotations on stdout
/// with the human report on stderr; or the human report alone.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn report_diagnostics(diagnostics: &ancapex::Diagnostics, format: Format, style: Look) {
    match format {
        Format::Json => print!("{}", diagnostic::json(diagnostics)),
        Format::Github => print!("{}", diagnostic::github(diagnostics)),
        Format::Human => {}
    }
    if format != Format::Json && !diagnostics.is_empty() {
        eprint!(
            "{}",
            diagnostic::render(diagnostics, style.color, style.shown)
        );
    }
}

/// Runs a `ledger` subcommand; content problems are printed as diagnostics (exit 1 through
/// the returned report).
#[expect(
    clippy::print_stdout,
    reason = "the binary is where reports are printed"
)]
fn ledger(
    root: &std::path::Path,
    what: LedgerCommand,
    style: Look,
) -> ancapex::error::Result<Option<ancapex::pipeline::Report>> {
    use ancapex::ledger::command;
    let now = jiff::Timestamp::now();
    let outcome = match what {
        LedgerCommand::Keygen { out, name } => {
            let line = command::keygen(&out, &name)?;
            println!(
                "wrote the private key to {} (keep it secret, out of git)",
                out.display()
            );
            println!("verifier key (for `ledger init --key` or ledger.toml):");
            println!("{line}");
            return Ok(None);
        }
        LedgerCommand::Init {
            name,
            origin,
            key,
            actor,
            title,
        } => {
            let title = title.unwrap_or_else(|| name.clone());
            let init = command::Init {
                name: &name,
                origin: &origin,
                key: &key,
                actor: &actor,
                title: &title,
            };
            let dir = command::init(root, &init, now)?;
            let rel = dir.strip_prefix(root).unwrap_or(&dir);
            println!("created {} with its log.genesis line", rel.display());
            return Ok(None);
        }
        LedgerCommand::Append {
            name,
            kind,
            body,
            actor,
            refs,
        } => {
            let new = command::Append {
                kind: &kind,
                body: &body,
                actor: &actor,
                refs: &refs,
            };
            let outcome = command::append(root, &name, &new, now)?;
            if let Some(e) = outcome.ledger.as_ref().and_then(|l| l.entries.last()) {
                println!("appended seq {} ({}) to ledger `{name}`", e.seq, e.kind);
            }
            outcome
        }
        LedgerCommand::Sign { name, key } => {
            let (outcome, signed) = command::sign(root, &name, &key)?;
            match signed {
                Some(command::Signed::Wrote(path, size)) => {
                    let rel = path.strip_prefix(root).unwrap_or(&path);
                    println!(
                        "signed {} ({})",
                        rel.display(),
                        count(size, "entry", "entries")
                    );
                }
                Some(command::Signed::Already(size)) => {
                    println!("checkpoint {size} already covers every entry of `{name}`");
                }
                None => {}
            }
            outcome
        }
        LedgerCommand::Proof { name, seq } => {
            let outcome = command::verify(root, &name)?;
            if let Some(l) = outcome
                .ledger
                .as_ref()
                .filter(|_| !outcome.diagnostics.has_errors())
            {
                let proof = l.proof(seq).ok_or_else(|| {
                    ancapex::Error::Usage(format!(
                        "no signed checkpoint of ledger `{name}` covers seq {seq}: it has {} entries, {} signed",
                        l.entries.len(),
                        l.latest().map_or(0, |c| c.checkpoint.size)
                    ))
                })?;
                print!("{proof}");
            }
            outcome
        }
        LedgerCommand::Verify { name } => {
            let outcome = command::verify(root, &name)?;
            if let Some(l) = outcome
                .ledger
                .as_ref()
                .filter(|_| !outcome.diagnostics.has_errors())
            {
                print!("{}", command::summary(l));
            }
            outcome
        }
    };
    if !outcome.diagnostics.has_errors() {
        // Warnings only: print them here so the build's "checked" line does not follow.
        report_diagnostics(&outcome.diagnostics, Format::Human, style);
        return Ok(None);
    }
    Ok(Some(ancapex::pipeline::Report {
        diagnostics: outcome.diagnostics,
        pages: 0,
        sections: 0,
        written: None,
        site_digest: None,
        since: None,
    }))
}
