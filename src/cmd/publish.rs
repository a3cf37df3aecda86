//! `ancapex publish`: puts a built site on a target, showing progress on stderr (a bar on a
//! terminal, lines otherwise), the plan in a dry run, then a summary.

use std::io::IsTerminal;
use std::path::Path;

use ancapex::text::count;

use super::Outcome;
use crate::PublishArgs;

/// Publishes the site `args` name (the output folder of `root` by default) to `args.to`.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn run(root: &Path, args: PublishArgs) -> ancapex::Result<Outcome> {
    use ancapex::publish::{self, Action, Mode};
    let target = publish::Target::parse(&args.to)?;
    let dir = args.dir.map_or_else(|| publish::output_dir(root), Ok)?;
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
    let report = publish::run(&options, &progress);
    progress.finish();
    let report = report?;
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
    Ok(Outcome::Done)
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
