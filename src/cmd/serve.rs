//! `ancapex serve`: builds the site in memory and serves it with live reload; prints each
//! rebuild with its problems, as `build` does.

use ancapex::diagnostic;
use ancapex::text::count;

use super::Outcome;
use super::report::Look;

/// Serves until stopped; returns only when serving cannot start.
pub(crate) fn run(
    options: &ancapex::serve::Options,
    look: Look,
    open: bool,
) -> ancapex::Result<Outcome> {
    let report = |e: ancapex::serve::Event<'_>| event(&e, look, open);
    ancapex::serve::run(options, &report)?;
    Ok(Outcome::Done)
}

/// Prints what the server reports: the URL, each rebuild with its problems (the same report
/// as `build`), failures to rebuild. With `--open`, opens the URL in a browser once.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
fn event(event: &ancapex::serve::Event<'_>, style: Look, open: bool) {
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
