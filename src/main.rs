//! The `ancapex` command: parses arguments, hands them to the command's module under `cmd`
//! (which calls the library and prints its report) and picks the exit code, in `exit_code`
//! alone: 0 ok, 1 problems in the content, 2 usage, config or I/O failure.

mod cmd;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ancapex::config::{Drafts, Overrides};
use clap::{Parser, Subcommand};

use cmd::Outcome;
use cmd::report::{self, Format, Look};

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
        #[command(flatten)]
        cache: CacheArgs,
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
    /// The build cache (`.ancapex/cache/` by default).
    Cache {
        #[command(subcommand)]
        what: CacheCommand,
    },
}

/// Where the build cache is, or that there is none.
#[derive(clap::Args)]
struct CacheArgs {
    /// Keep the build cache in DIR instead of site.toml's `[cache] dir` (`.ancapex/cache/`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Neither read nor write the build cache: make everything.
    #[arg(long)]
    no_cache: bool,
    /// Hash every file again, even those whose size, time and inode are as they were when
    /// their digest was kept.
    #[arg(long)]
    rehash: bool,
}

impl CacheArgs {
    fn rehash(&self) -> ancapex::cache::Rehash {
        if self.rehash {
            ancapex::cache::Rehash::All
        } else {
            ancapex::cache::Rehash::Unchanged
        }
    }

    fn cache(self) -> ancapex::cache::Use {
        match (self.no_cache, self.cache_dir) {
            (true, _) => ancapex::cache::Use::Off,
            (false, Some(dir)) => ancapex::cache::Use::At(dir),
            (false, None) => ancapex::cache::Use::Configured,
        }
    }
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Empty the build cache.
    Clean {
        /// The cache to empty, when not site.toml's.
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
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
        /// The key name: the ledger's origin for a log's key, the witness's own name (a
        /// schema-less URL such as `witness.example.org/w1`) for a witness's.
        #[arg(long, value_name = "NAME", default_value = "ancapex.org/ledgers")]
        name: String,
        /// Make a witness's key (Ed25519 `cosignature/v1`, C2SP tlog-cosignature), which
        /// co-signs a ledger's checkpoints with `ledger cosign`.
        #[arg(long)]
        witness: bool,
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
    /// As a witness, co-sign a ledger's newest checkpoint (C2SP tlog-cosignature), after
    /// checking its signature, its entries and that it extends the last checkpoint this witness
    /// co-signed; a rollback or a fork is refused. Run by the witness, on its own machine.
    Cosign {
        /// The ledger folder: the site's `artifacts/ledgers/<name>/`, or a copy of the
        /// published `/ledgers/<name>/`.
        ledger: PathBuf,
        /// The witness's private key file (`ledger keygen --witness`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The witness's own state folder: the last checkpoint it co-signed, per log.
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
        /// The log's verifier key, needed the first time (then kept in the state).
        #[arg(long, value_name = "KEY")]
        log_key: Option<String>,
    },
    /// Watch a live site's run ledger: fetch its checkpoint, entries and tiles over HTTP(S),
    /// verify them, and check the checkpoint extends the last one seen; exit 2 with a report on
    /// a fork, a rollback or anything that does not verify.
    Monitor {
        /// The published ledger's URL, e.g. `https://ancapex.org/ledgers/model-run-1/`.
        url: String,
        /// The monitor's own state folder: the last checkpoint it saw, per log.
        #[arg(long, value_name = "DIR")]
        state: PathBuf,
        /// The log's verifier key, needed the first time (then kept in the state).
        #[arg(long, value_name = "KEY")]
        log_key: Option<String>,
        /// A ledger.toml whose `[policy]` names the witnesses and quorum to check.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
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

/// How a run of `ancapex` ended, before it becomes an exit code.
enum Ended<'a> {
    /// The arguments did not parse, or asked for `--help` or `--version`: clap has printed
    /// what to say and says which code it means.
    Arguments(&'a clap::Error),
    /// A command ran: what it came to, or the operational failure that stopped it (already
    /// reported).
    Ran(&'a ancapex::Result<Outcome>),
}

/// The one place that picks the exit code: 0 success, 1 problems in the content (or in a
/// site `verify` checks), 2 usage, config, I/O or publish failures; for arguments that do not
/// parse, clap's own code (2, or 0 for `--help` and `--version`). A test holds that no other
/// place in the binary picks one.
fn exit_code(ended: &Ended<'_>) -> ExitCode {
    match ended {
        Ended::Arguments(e) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
        Ended::Ran(Ok(Outcome::Done)) => ExitCode::SUCCESS,
        Ended::Ran(Ok(Outcome::Problems)) => ExitCode::from(1),
        Ended::Ran(Err(_)) => ExitCode::from(2),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Printing can only fail when the terminal is gone; the code still tells.
            let _ = e.print();
            return exit_code(&Ended::Arguments(&e));
        }
    };
    let look = Look::detect(cli.all_problems);
    let format = match &cli.command {
        Command::Check { format, .. } => *format,
        _ => Format::Human,
    };
    let result = run(&cli.root, cli.command, look);
    if let Err(e) = &result {
        report::failure(e, format, look);
    }
    exit_code(&Ended::Ran(&result))
}

/// Hands the command to its module under `cmd`.
fn run(root: &Path, command: Command, look: Look) -> ancapex::Result<Outcome> {
    let drafts = |drafts: bool| {
        if drafts {
            Drafts::Include
        } else {
            Drafts::Exclude
        }
    };
    match command {
        Command::Build {
            output_dir,
            base_url,
            drafts: d,
            cache,
        } => {
            let overrides = Overrides {
                output_dir,
                base_url,
                drafts: drafts(d),
                rehash: cache.rehash(),
                cache: cache.cache(),
                ..Overrides::default()
            };
            cmd::build::run(root, &overrides, look)
        }
        Command::Cache {
            what: CacheCommand::Clean { cache_dir },
        } => cmd::cache::clean(root, cache_dir),
        Command::Check {
            drafts: d,
            format,
            since,
        } => {
            let overrides = Overrides {
                drafts: drafts(d),
                since,
                ..Overrides::default()
            };
            cmd::check::run(root, &overrides, format, look)
        }
        Command::Serve {
            interface,
            port,
            drafts: d,
            open,
        } => {
            let options = ancapex::serve::Options {
                root: root.to_path_buf(),
                interface,
                port,
                drafts: drafts(d),
            };
            cmd::serve::run(&options, look, open)
        }
        Command::Verify {
            dir,
            rebuild,
            base_url,
            key,
        } => {
            let how = cmd::verify::Verify {
                rebuild,
                base_url,
                key,
            };
            cmd::verify::run(root, &dir, how, look)
        }
        Command::Publish(args) => cmd::publish::run(root, args),
        Command::Init { dir } => cmd::init::run(&dir),
        Command::Artifact {
            what: ArtifactCommand::Hash { id },
        } => cmd::artifact::hash(root, &id),
        Command::Ledger { what } => cmd::ledger::run(root, what, look),
        Command::New {
            what: New::Artifact { id, kind, title },
        } => cmd::new::artifact(root, &ancapex::artifact::NewArtifact { id, kind, title }),
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
            cmd::new::failure(root, &new)
        }
    }
}
