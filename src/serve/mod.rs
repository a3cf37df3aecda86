//! `serve`: the site built in memory (`pipeline::Session`), served over HTTP on loopback, the
//! sources watched, rebuilt incrementally on every save, and the browser told over
//! server-sent events: reload, swap a stylesheet, or show the build's problems on top of the
//! last good page. Bad input never stops the server; the last good site stays served.

mod http;
mod watch;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::config::{Drafts, Overrides};
use crate::diagnostic::{self, Diagnostics, Style};
use crate::error::{Error, Result};
use crate::pipeline::{Files, Session, Update};

/// What `serve` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The site root.
    pub root: PathBuf,
    /// The address to listen on (loopback by default).
    pub interface: IpAddr,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// Whether drafts are built.
    pub drafts: Drafts,
}

/// What the server tells the terminal.
#[derive(Debug)]
pub enum Event<'a> {
    /// Listening: the site's URL.
    Listening {
        /// `http://<interface>:<port>/`.
        url: &'a str,
    },
    /// A build or rebuild finished (with or without problems in the content).
    Built {
        /// What the session rendered.
        update: &'a Update,
        /// What changed in the site being served.
        served: Served,
        /// The changed source files that caused it, relative to the site root (none for the
        /// first build).
        causes: &'a [PathBuf],
        /// How long it took.
        took: Duration,
        /// Its problems.
        diagnostics: &'a Diagnostics,
    },
    /// A rebuild could not run (site.toml invalid, a folder unreadable); the last good site
    /// stays served.
    Failed {
        /// Why.
        error: &'a Error,
    },
    /// The watcher reported a problem; watching goes on.
    WatchProblem {
        /// What happened.
        message: String,
    },
}

/// What a build did to the site being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// It built and is served: this many outputs were added or have other bytes, this many
    /// are gone, compared with the site served before.
    Site {
        /// Outputs added or changed.
        changed: usize,
        /// Outputs removed.
        removed: usize,
    },
    /// It failed: nothing changed in what is served, the last good site (if there was one
    /// yet).
    LastGood {
        /// Whether a good build was served before.
        exists: bool,
    },
}

/// The state the HTTP side reads: the last good site and the current problems.
pub(crate) struct Shared {
    /// The last site built without errors.
    pub(crate) files: Arc<Files>,
    /// The build's problems as the overlay shows them (JSON), when it has errors.
    pub(crate) problems: Option<String>,
    /// Open event streams.
    pub(crate) clients: Vec<mpsc::Sender<String>>,
}

/// The server's shared parts.
pub(crate) struct Hub {
    pub(crate) shared: Mutex<Shared>,
    /// For `_headers` and `site-manifest.json`, made on request.
    pub(crate) session: Mutex<Option<Session>>,
}

impl Hub {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends an event to every open stream, forgetting the closed ones.
    fn broadcast(&self, event: &str) {
        self.lock()
            .clients
            .retain(|c| c.send(event.to_owned()).is_ok());
    }
}

/// The base URL the site is built with when served at `addr`.
pub fn base_url(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) => format!("http://{ip}:{}", addr.port()),
        IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
    }
}

/// Serves the site until the process is stopped. Returns only when it cannot start: the port
/// is taken, or `root` is not a site. Anything else (an invalid site.toml included) is shown
/// and served around until fixed.
pub fn run(options: &Options, report: &dyn Fn(Event<'_>)) -> Result<()> {
    let addr = SocketAddr::new(options.interface, options.port);
    let server = tiny_http::Server::http(addr).map_err(|e| Error::Listen {
        addr,
        reason: Some(e.to_string()),
    })?;
    let bound = server
        .server_addr()
        .to_ip()
        .ok_or(Error::Listen { addr, reason: None })?;
    let base = base_url(bound);
    let overrides = Overrides {
        base_url: Some(base.clone()),
        drafts: options.drafts,
        ..Overrides::default()
    };
    let hub = Arc::new(Hub {
        shared: Mutex::new(Shared {
            files: Arc::new(Files::new()),
            problems: None,
            clients: vec![],
        }),
        session: Mutex::new(None),
    });
    // Absolute: the watcher reports absolute paths, which are matched against it.
    let root = options
        .root
        .canonicalize()
        .unwrap_or_else(|_| options.root.clone());
    // Watch before the first build, so that no save during it is missed.
    let (tx, rx) = mpsc::channel();
    let watcher = watch::Watcher::start(&root, tx);
    let started = Instant::now();
    match Session::start(&root, &overrides) {
        Ok((session, update)) => {
            let served = publish(&hub, &session, &update, &[]);
            report(Event::Built {
                update: &update,
                served,
                causes: &[],
                took: started.elapsed(),
                diagnostics: session.diagnostics(),
            });
            *hub.session
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(session);
        }
        // Not a site (no site.toml), or one whose output folder holds its sources: nothing
        // to watch for.
        Err(error @ (Error::NotASite { .. } | Error::OutputFolder { .. })) => return Err(error),
        // A site.toml with mistakes can be fixed while serving.
        Err(error) => {
            hub.lock().problems = Some(failure_json(&error));
            report(Event::Failed { error: &error });
        }
    }
    let mut watcher = match watcher {
        Ok(w) => Some(w),
        Err(message) => {
            report(Event::WatchProblem { message });
            None
        }
    };
    let http_hub = Arc::clone(&hub);
    std::thread::spawn(move || http::serve(&server, &http_hub));
    report(Event::Listening {
        url: &format!("{base}/"),
    });
    loop {
        let Ok(first) = rx.recv() else {
            // The watcher is gone; keep serving what there is.
            loop {
                std::thread::park();
            }
        };
        let changed = watch::batch(first, &rx, &root);
        if let Some(w) = watcher.as_mut() {
            w.rewatch(&root);
        }
        if changed.is_empty() {
            continue;
        }
        let started = Instant::now();
        let mut guard = hub
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let result = match guard.as_mut() {
            Some(session) => session.update(&changed),
            None => Session::start(&root, &overrides).map(|(s, u)| {
                *guard = Some(s);
                u
            }),
        };
        match result {
            Ok(update) => {
                if let Some(session) = guard.as_ref() {
                    let served = publish(&hub, session, &update, &changed);
                    let causes: Vec<PathBuf> = changed
                        .iter()
                        .map(|p| p.strip_prefix(&root).unwrap_or(p).to_path_buf())
                        .collect();
                    report(Event::Built {
                        update: &update,
                        served,
                        causes: &causes,
                        took: started.elapsed(),
                        diagnostics: session.diagnostics(),
                    });
                }
            }
            Err(error) => {
                let json = failure_json(&error);
                hub.lock().problems = Some(json.clone());
                hub.broadcast(&sse("problems", &json));
                report(Event::Failed { error: &error });
            }
        }
    }
}

/// Makes a rebuild visible: the new site when it has no errors, then the event. Returns what
/// changed in the site served.
fn publish(hub: &Hub, session: &Session, update: &Update, causes: &[PathBuf]) -> Served {
    let diagnostics = session.diagnostics();
    if diagnostics.has_errors() {
        let json = problems_json(diagnostics);
        let exists = {
            let mut shared = hub.lock();
            shared.problems = Some(json.clone());
            !shared.files.is_empty()
        };
        hub.broadcast(&sse("problems", &json));
        return Served::LastGood { exists };
    }
    let (had_problems, served) = {
        let mut shared = hub.lock();
        let files = session.files();
        let served = difference(&shared.files, &files);
        shared.files = files;
        (shared.problems.take().is_some(), served)
    };
    if had_problems {
        hub.broadcast(&sse("ok", "{}"));
    }
    let only_css = !causes.is_empty()
        && causes
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "css"));
    if only_css && !update.moved.is_empty() && !had_problems {
        let moves: Vec<serde_json::Value> = update
            .moved
            .iter()
            .map(|(from, to, integrity)| {
                serde_json::json!({"from": from, "to": to, "integrity": integrity})
            })
            .collect();
        hub.broadcast(&sse("css", &serde_json::Value::from(moves).to_string()));
    } else if had_problems || !update.changed.is_empty() || !update.removed.is_empty() {
        let data = serde_json::json!({
            "changed": update.changed.len(),
            "removed": update.removed.len(),
        });
        hub.broadcast(&sse("reload", &data.to_string()));
    }
    served
}

/// How the site served changes from `old` to `new`: outputs added or with other bytes, and
/// outputs gone. The session's own count is against its last build, which may have failed
/// and never been served.
fn difference(old: &Files, new: &Files) -> Served {
    let changed = new
        .iter()
        .filter(|(path, file)| {
            old.get(*path)
                .is_none_or(|o| o.written.sha256 != file.written.sha256)
        })
        .count();
    let removed = old.keys().filter(|p| !new.contains_key(*p)).count();
    Served::Site { changed, removed }
}

/// One server-sent event.
pub(crate) fn sse(event: &str, data: &str) -> String {
    let mut out = format!("event: {event}\n");
    for line in data.lines() {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The overlay's data: the diagnostics the terminal shows (file, line, column, message, label,
/// help), each with the terminal's report of it as plain text (`rendered`: the place, the line,
/// the caret), so the overlay shows each problem once, and how many more there are.
pub(crate) fn problems_json(diagnostics: &Diagnostics) -> String {
    // As many as the terminal's report shows: a save that breaks thousands of things must not
    // send the browser thousands of cards.
    let (kept, hidden) = diagnostics.shown(diagnostic::Shown::First(diagnostic::SHOWN));
    let data: serde_json::Value =
        serde_json::from_str(&diagnostic::json(&kept)).unwrap_or_default();
    let mut list = data["diagnostics"].as_array().cloned().unwrap_or_default();
    for (view, d) in list.iter_mut().zip(&kept) {
        view["rendered"] = diagnostic::render_single(d, Style::Plain).into();
    }
    let (errors, warnings) = hidden.counts();
    serde_json::json!({
        "diagnostics": list,
        "hidden": {"errors": errors, "warnings": warnings},
    })
    .to_string()
}

/// The overlay's data for a build that could not run.
fn failure_json(error: &Error) -> String {
    match error {
        Error::Config { diagnostics, .. } => problems_json(diagnostics),
        other => {
            let report = crate::error::chain(other);
            serde_json::json!({
                "diagnostics": [{"severity": "error", "message": report}],
            })
            .to_string()
        }
    }
}
