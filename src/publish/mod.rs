//! `ancapex publish`: puts a built site on an S3-compatible bucket or in a directory, sending
//! only what changed, in an order that never breaks the live site.
//!
//! `plan::site` (the built folder, checked against its own manifest, with the policy's
//! headers) -> `remote::state` (the last publish record, or a listing) -> `diff::compute`
//! (uploads, header-only updates, deletes, the new record) -> `execute` phase by phase:
//! immutable files, other files, pages, entry points; then the record, written on the
//! condition that the old one is unchanged; then the deletes. The library never prints: it
//! reports through [`Progress`].

pub mod diff;
mod execute;
pub mod plan;
pub mod remote;
mod store;

use std::fmt;
use std::path::{Path, PathBuf};

pub use diff::{Action, Limits};
pub use plan::Phase;
pub use remote::Listing;
pub use store::Tuning;

use crate::error::{Error, Result};
use store::{Condition, HeaderUpdate, Store};

/// Where the site goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `s3://bucket/prefix`.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix, without leading or trailing `/` (may be empty).
        prefix: String,
    },
    /// `file:///path`.
    Dir(PathBuf),
}

impl Target {
    /// Parses `s3://bucket[/prefix]` or `file:///absolute/path`.
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(Error::Usage(format!(
                    "`{text}` names no bucket: write `s3://<bucket>/<prefix>`"
                )));
            }
            return Ok(Target::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        if let Some(path) = text.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(Error::Usage(format!(
                    "`{text}` is not an absolute path: write `file:///<absolute path>`"
                )));
            }
            return Ok(Target::Dir(PathBuf::from(path)));
        }
        Err(Error::Usage(format!(
            "unknown publish target `{text}`: expected `s3://<bucket>/<prefix>` or `file:///<path>`"
        )))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Target::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
            Target::Dir(path) => write!(f, "file://{}", path.display()),
        }
    }
}

/// Where and how to reach an S3-compatible store (the standard AWS variables by default).
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// The endpoint URL (R2, B2, MinIO, SeaweedFS...); AWS when none.
    pub endpoint: Option<String>,
    /// The region (`auto` for R2); `us-east-1` when none.
    pub region: Option<String>,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<String>,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: Option<String>,
}

impl S3Config {
    /// From `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`), `AWS_REGION` (or
    /// `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN`.
    pub fn from_env() -> Self {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        Self {
            endpoint: var(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]),
            region: var(&["AWS_REGION", "AWS_DEFAULT_REGION"]),
            access_key_id: var(&["AWS_ACCESS_KEY_ID"]),
            secret_access_key: var(&["AWS_SECRET_ACCESS_KEY"]),
            session_token: var(&["AWS_SESSION_TOKEN"]),
        }
    }
}

/// Whether to change the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Publish.
    Publish,
    /// Work out the plan and change nothing.
    DryRun,
}

/// What `publish` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The built site (a folder holding `site-manifest.json`).
    pub dir: PathBuf,
    /// Where it goes.
    pub target: Target,
    /// How to reach an S3 target.
    pub s3: S3Config,
    /// Publish or only plan.
    pub mode: Mode,
    /// Delete caps and generations kept.
    pub limits: Limits,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// When to list the target.
    pub listing: Listing,
    /// Retries, backoff and timeouts.
    pub tuning: Tuning,
    /// Where to write the URL paths to purge from a CDN.
    pub invalidation_list: Option<PathBuf>,
}

/// What a publish reports as it goes (the CLI draws a progress bar or prints lines).
pub trait Progress: Sync {
    /// Called for each event, from the publish's worker threads.
    fn event(&self, event: &Event<'_>);
}

/// A step of a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A phase starts: this many files and bytes to send or update.
    Phase {
        /// The phase.
        phase: Phase,
        /// Files to upload or update.
        files: usize,
        /// Bytes to upload.
        bytes: u64,
    },
    /// A file was uploaded or its headers updated.
    Done {
        /// Its key.
        key: &'a str,
        /// What was done.
        action: Action,
        /// Bytes sent.
        bytes: u64,
    },
    /// Every file of the phase is in place.
    PhaseDone(Phase),
    /// The publish record was written.
    Recorded,
    /// A key was deleted.
    Deleted {
        /// Its key.
        key: &'a str,
    },
}

/// Ignores every event.
pub struct Quiet;

impl Progress for Quiet {
    fn event(&self, _: &Event<'_>) {}
}

/// What a publish did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct Report {
    /// The target.
    pub target: String,
    /// Whether it was a dry run.
    pub mode: Mode,
    /// Every planned file and its action, in order.
    pub steps: Vec<diff::Step>,
    /// Files whose bytes were sent.
    pub uploaded: usize,
    /// Bytes sent.
    pub bytes: u64,
    /// Files whose headers alone were updated.
    pub header_only: usize,
    /// Files left alone.
    pub unchanged: usize,
    /// Keys deleted (or to delete, in a dry run).
    pub deleted: Vec<String>,
    /// Deletes held back because there were more than `--max-deletes`.
    pub held_back: usize,
    /// Immutable keys kept for earlier generations.
    pub kept: usize,
    /// The generation published.
    pub generation: u64,
    /// URL paths whose content changed.
    pub invalidate: Vec<String>,
    /// Things the user should know (a store that ignores conditional writes...).
    pub warnings: Vec<String>,
    /// Files changed or removed on the target since the last publish, not by a publish, and
    /// sent again (in a dry run: to send again).
    pub repaired: Vec<String>,
}

/// Publishes the built site in `options.dir` to `options.target`.
pub fn run(options: &Options, progress: &dyn Progress) -> Result<Report> {
    let plan = plan::site(&options.dir)?;
    let access = match options.mode {
        Mode::Publish => store::Access::ReadWrite,
        Mode::DryRun => store::Access::ReadOnly,
    };
    // A dry run against a directory not there yet: nothing is there, and nothing is made
    // (opening a directory store creates it).
    let nothing_there = matches!(&options.target, Target::Dir(dir) if access == store::Access::ReadOnly && !dir.exists());
    let store = if nothing_there {
        None
    } else {
        Some(Store::open(
            &options.target,
            &options.s3,
            options.tuning,
            access,
        )?)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(crate::fs::io(
            "could not start the publish runtime for",
            &options.dir,
        ))?;
    let concurrency = options.concurrency.max(1);
    let state = match &store {
        Some(store) => runtime.block_on(remote::state(store, options.listing, concurrency))?,
        None => remote::State::default(),
    };
    let changes = diff::compute(&plan, &state, options.limits);
    let mut report = Report {
        target: options.target.to_string(),
        mode: options.mode,
        uploaded: changes.steps.iter().filter(|s| s.action.uploads()).count(),
        bytes: changes
            .steps
            .iter()
            .filter(|s| s.action.uploads())
            .map(|s| s.item.size)
            .sum(),
        header_only: changes
            .steps
            .iter()
            .filter(|s| s.action == Action::Headers)
            .count(),
        unchanged: changes
            .steps
            .iter()
            .filter(|s| s.action == Action::Unchanged)
            .count(),
        steps: changes.steps.clone(),
        deleted: changes.deletes.clone(),
        held_back: changes.held_back,
        kept: changes.kept.len(),
        generation: changes.record.generation,
        invalidate: changes.invalidate.clone(),
        warnings: vec![],
        repaired: changes.repaired.clone(),
    };
    let one = |keys: &[String], yes: &'static str, no: &'static str| {
        if keys.len() == 1 { yes } else { no }
    };
    if !changes.repaired.is_empty() {
        let again = match options.mode {
            Mode::Publish => "published",
            Mode::DryRun => "would publish",
        };
        report.warnings.push(format!(
            "{} on {} {} changed or removed since the last publish, not by ancapex; {again} {} again: {}",
            crate::text::count(changes.repaired.len(), "file", "files"),
            options.target,
            one(&changes.repaired, "was", "were"),
            one(&changes.repaired, "it", "them"),
            changes.repaired.join(", ")
        ));
    }
    if !changes.altered.is_empty() {
        report.warnings.push(format!(
            "{} no longer part of the site {} changed or removed on {} since the last publish, not by ancapex; left as {}: {}",
            crate::text::count(changes.altered.len(), "file", "files"),
            one(&changes.altered, "was", "were"),
            options.target,
            one(&changes.altered, "it is", "they are"),
            changes.altered.join(", ")
        ));
    }
    if changes.held_back > 0 {
        report.warnings.push(format!(
            "not deleting {} the site no longer has: more than --max-deletes {}; check the plan with --dry-run, then publish with a higher --max-deletes",
            crate::text::count(changes.held_back, "key", "keys"),
            options.limits.max_deletes
        ));
    }
    if options.mode == Mode::DryRun {
        // A dry run writes no probe: it goes by what the store can express (a directory, made
        // or not yet, cannot).
        if !store.as_ref().is_some_and(Store::conditional_writes) {
            report.warnings.push(cannot_lock(&options.target));
        }
        return Ok(report);
    }
    let Some(store) = store else {
        return Ok(report);
    };

    let conditional = runtime.block_on(conditional_writes(&store, &state))?;
    // Said once, where it matters: on the first publish to the target (and in a dry run),
    // not on every publish after it.
    if !conditional && !state.has_record {
        report.warnings.push(cannot_lock(&options.target));
    }
    for phase in Phase::ALL {
        let steps: Vec<&diff::Step> = changes
            .steps
            .iter()
            .filter(|s| s.item.phase == phase && s.action != Action::Unchanged)
            .collect();
        if steps.is_empty() {
            continue;
        }
        progress.event(&Event::Phase {
            phase,
            files: steps.len(),
            bytes: steps
                .iter()
                .filter(|s| s.action.uploads())
                .map(|s| s.item.size)
                .sum(),
        });
        runtime.block_on(execute::steps(
            &store,
            &plan.dir,
            &steps,
            concurrency,
            progress,
        ))?;
        progress.event(&Event::PhaseDone(phase));
    }
    if store.header_update() == HeaderUpdate::NotStored {
        report.header_only = 0;
        report.unchanged = changes.steps.iter().filter(|s| !s.action.uploads()).count();
    }

    let condition = match (&state.etag, state.has_record, conditional) {
        (Some(etag), true, true) => Condition::Matches(etag.clone()),
        (_, false, true) => Condition::Absent,
        // The store cannot check, or gave the record no ETag to check against.
        _ => Condition::None,
    };
    // What a listing shows of each object now, for the next publish to compare with: the
    // listing made at the start when nothing was written, else a new one.
    let wrote = changes.steps.iter().any(|s| s.action != Action::Unchanged);
    let present = if wrote {
        runtime.block_on(store.list())?
    } else {
        state.present.clone()
    };
    let (mut record, mut after_deletes) = (changes.record.clone(), changes.after_deletes.clone());
    remote::stamp(&mut record, &present);
    remote::stamp(&mut after_deletes, &present);
    let etag = runtime.block_on(write_record(&store, &record, &condition))?;
    progress.event(&Event::Recorded);
    if !changes.deletes.is_empty() {
        runtime.block_on(execute::deletes(
            &store,
            &changes.deletes,
            concurrency,
            progress,
        ))?;
        let condition = match etag {
            Some(etag) if conditional => Condition::Matches(etag),
            _ => Condition::None,
        };
        runtime.block_on(write_record(&store, &after_deletes, &condition))?;
    }
    if let Some(path) = &options.invalidation_list {
        let mut text = changes.invalidate.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        crate::fs::write(path, text.as_bytes())?;
    }
    Ok(report)
}

/// The headers of the publish record: JSON, never cached (it is how the next publish knows
/// what is there).
fn record_headers() -> plan::Headers {
    plan::Headers {
        content_type: crate::policy::media_type(remote::RECORD).to_owned(),
        cache_control: "no-store".to_owned(),
    }
}

async fn write_record(
    store: &Store,
    record: &remote::Record,
    condition: &Condition,
) -> Result<Option<String>> {
    match store
        .write_if(
            remote::RECORD,
            record.to_json(),
            &record_headers(),
            condition,
        )
        .await?
    {
        Ok(etag) => Ok(etag),
        Err(store::Lost) => Err(Error::PublishConflict {
            target: store.name().to_owned(),
        }),
    }
}

/// The warning for a store that cannot make the record's write conditional.
fn cannot_lock(target: &Target) -> String {
    format!(
        "{target} ignores conditional writes: two publishes running at once could both write the publish record; publish to it from one place at a time (said on a first publish and in a dry run)"
    )
}

/// Whether the store refuses a write whose condition fails (a probe object under our own
/// prefix, written twice).
async fn conditional_writes(store: &Store, state: &remote::State) -> Result<bool> {
    if !store.conditional_writes() {
        return Ok(false);
    }
    let probe = format!("{}probe-{}", remote::OWN_PREFIX, probe_suffix());
    let honoured = store.honours_conditions(&probe).await?;
    Ok(honoured == Some(true) && (state.etag.is_some() || !state.has_record))
}

fn probe_suffix() -> String {
    let mut bytes = [0u8; 8];
    // A fixed suffix if the OS has no randomness: the probe still works, only not twice at once.
    let _ = getrandom::fill(&mut bytes);
    crate::text::hex(&bytes)
}

/// The built site of the site at `root`: its configured output folder (`public/`).
pub fn output_dir(root: &Path) -> Result<PathBuf> {
    Ok(crate::config::load(root, &crate::config::Overrides::default())?.output_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_print_back() {
        let t = Target::parse("s3://site/prod/").unwrap();
        assert_eq!(
            t,
            Target::S3 {
                bucket: "site".into(),
                prefix: "prod".into()
            }
        );
        assert_eq!(t.to_string(), "s3://site/prod");
        assert_eq!(Target::parse("s3://b").unwrap().to_string(), "s3://b");
        assert_eq!(
            Target::parse("file:///srv/www").unwrap(),
            Target::Dir("/srv/www".into())
        );
    }

    #[test]
    fn bad_targets_say_what_is_expected() {
        let msg = |t: &str| Target::parse(t).unwrap_err().to_string();
        assert_eq!(
            msg("ftp://x"),
            "unknown publish target `ftp://x`: expected `s3://<bucket>/<prefix>` or `file:///<path>`"
        );
        assert_eq!(
            msg("s3:///x"),
            "`s3:///x` names no bucket: write `s3://<bucket>/<prefix>`"
        );
        assert_eq!(
            msg("file://rel/x"),
            "`file://rel/x` is not an absolute path: write `file:///<absolute path>`"
        );
    }
}
