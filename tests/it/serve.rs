//! `ancapex serve`: the real binary on a free port over a copy of a fixture site, driven with a
//! plain HTTP client over `TcpStream` (every read has a timeout, so a hang fails the test),
//! and the incremental session compared byte for byte with full builds after a series of
//! edits.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ancapex::config::{Overrides, Signing};
use ancapex::pipeline::{self, Rebuild, Session};

use crate::support::SiteTest;

/// How long anything may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A running `ancapex serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    port: u16,
    stdout: mpsc::Receiver<String>,
}

impl Server {
    pub(crate) fn start(site: &SiteTest) -> Self {
        // A relative `--root`, as people type it.
        let mut child = Command::new(env!("CARGO_BIN_EXE_ancapex"))
            .current_dir(site.root().parent().unwrap())
            .arg("--root")
            .arg(site.root().file_name().unwrap())
            .args(["serve", "--port", "0"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the ancapex binary runs");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let line = loop {
            let line = rx
                .recv_timeout(TIMEOUT)
                .expect("serve prints where it serves");
            if line.starts_with("serving at ") {
                break line;
            }
        };
        let port = line
            .strip_prefix("serving at http://127.0.0.1:")
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        Self {
            child,
            port,
            stdout: rx,
        }
    }

    pub(crate) fn get(&self, path: &str) -> Response {
        get(self.port, path)
    }

    pub(crate) fn events(&self) -> Events {
        Events::open(self.port)
    }

    /// Whether the process is still running.
    pub(crate) fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Response {
    pub(crate) status: u16,
    head: String,
    pub(crate) body: String,
}

fn get(port: u16, path: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = vec![];
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    Response {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

/// An open event stream.
pub(crate) struct Events {
    stream: TcpStream,
    buffer: String,
}

impl Events {
    fn open(port: u16) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        write!(
            stream,
            "GET /__ancapex/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        Self {
            stream,
            buffer: String::new(),
        }
    }

    /// The next event (name, data), skipping comments and the `retry` line.
    pub(crate) fn next(&mut self) -> (String, String) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let block = block
                    .split_once("\r\n\r\n")
                    .map_or(block.as_str(), |(_, b)| b);
                let mut name = None;
                let mut data = vec![];
                for line in block.lines() {
                    if let Some(n) = line.strip_prefix("event: ") {
                        name = Some(n.to_owned());
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data.push(d);
                    }
                }
                if let Some(name) = name {
                    return (name, data.join("\n"));
                }
                continue;
            }
            assert!(Instant::now() < deadline, "no event within {TIMEOUT:?}");
            let mut chunk = [0; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!("the event stream closed"),
                Ok(n) => self.buffer.push_str(&String::from_utf8_lossy(&chunk[..n])),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("reading the event stream: {e}"),
            }
        }
    }

    /// Waits for an event of this name, skipping others.
    pub(crate) fn expect(&mut self, name: &str) -> String {
        loop {
            let (n, data) = self.next();
            if n == name {
                return data;
            }
        }
    }
}

/// Asks until the answer is as wanted (at most `TIMEOUT`), and returns it.
#[track_caller]
pub(crate) fn eventually(
    ask: impl Fn() -> Response,
    wanted: impl Fn(&Response) -> bool,
) -> Response {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let r = ask();
        if wanted(&r) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "never as wanted; last:\n{}",
            r.body
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn edit_a_page_reloads_with_the_new_content() {
    let site = SiteTest::fixture("build/basic");
    let server = Server::start(&site);
    let mut events = server.events();
    assert_eq!(events.next().0, "ok");

    let page = server.get("/blog/first/");
    assert_eq!(page.status, 200);
    assert!(
        page.head.contains("content-type: text/html"),
        "{}",
        page.head
    );
    assert!(page.body.contains("The rest of the first post."));
    assert!(
        page.body
            .contains("<script src=\"/__ancapex/livereload.js\" defer></script>"),
        "the live-reload script is injected"
    );
    let script = server.get("/__ancapex/livereload.js");
    assert_eq!(script.status, 200);
    assert!(script.head.contains("content-type: text/javascript"));
    assert!(script.body.contains("EventSource(\"/__ancapex/events\")"));

    let text = site.file("content/blog/first.md");
    site.write(
        "content/blog/first.md",
        &text.replace("The rest of the first post.", "Edited while serving."),
    );
    events.expect("reload");
    // A save may come as several events (the file truncated, then written): the last one's
    // rebuild has the new text.
    let page = eventually(
        || server.get("/blog/first/"),
        |p| p.body.contains("Edited while serving."),
    );
    assert!(!page.body.contains("The rest of the first post."));

    // A new title reaches the feed that lists it.
    site.write(
        "content/blog/first.md",
        &site
            .file("content/blog/first.md")
            .replace("title = \"First post\"", "title = \"Renamed post\""),
    );
    events.expect("reload");
    let feed = eventually(
        || server.get("/atom.xml"),
        |p| p.body.contains("Renamed post"),
    );
    assert!(
        feed.head.contains("content-type: application/atom+xml"),
        "{}",
        feed.head
    );

    // Folders get their index, a folder without its slash is redirected, the rest is the
    // site's 404 page with status 404.
    let missing = server.get("/no/such/page/");
    assert_eq!(missing.status, 404);
    assert!(missing.head.contains("content-type: text/html"));
    assert_eq!(server.get("/blog").status, 308);
    assert_eq!(server.get("/").status, 200);
    let png = server.get("/blog/photos/pixel.png");
    assert!(png.head.contains("content-type: image/png"), "{}", png.head);
    // The terminal says what each save did.
    let rebuilt = std::iter::from_fn(|| server.stdout.recv_timeout(TIMEOUT).ok())
        .find(|l| l.starts_with("rebuilt after a change to "))
        .unwrap();
    assert!(rebuilt.contains("content/blog/first.md in "), "{rebuilt}");
}

#[test]
fn a_broken_page_shows_the_overlay_until_fixed() {
    let site = SiteTest::fixture("build/basic");
    let server = Server::start(&site);
    let mut events = server.events();
    assert_eq!(events.next().0, "ok");
    let good = site.file("content/blog/first.md");

    // Half-written: the front matter is not closed.
    site.write("content/blog/first.md", "+++\ntitle = \"First post\"\n");
    let data = events.expect("problems");
    assert!(
        data.contains("\"file\":\"content/blog/first.md\"") && data.contains("\"line\":1"),
        "{data}"
    );
    assert!(data.contains("\"column\":1"), "{data}");
    assert!(
        data.contains("front matter opened with `+++` is never closed"),
        "{data}"
    );
    assert!(
        data.contains("content/blog/first.md:1:1"),
        "the terminal's report: {data}"
    );
    // The last good site is still served; a page loaded now gets the problems at once.
    assert!(
        server
            .get("/blog/first/")
            .body
            .contains("The rest of the first post.")
    );
    assert_eq!(server.events().next().0, "problems");

    site.write(
        "content/blog/first.md",
        &good.replace("post.", "post, fixed."),
    );
    events.expect("ok");
    events.expect("reload");
    assert_eq!(server.events().next().0, "ok");
    eventually(
        || server.get("/blog/first/"),
        |p| p.body.contains("The rest of the first post, fixed."),
    );
    // The terminal says the build failed, counting nothing it did not serve; then counts what
    // changed in the served site when it is fixed.
    let mut lines = std::iter::from_fn(|| server.stdout.recv_timeout(TIMEOUT).ok());
    let failed = lines.find(|l| l.contains(" after a change to ")).unwrap();
    assert!(
        failed.starts_with("build failed after a change to content/blog/first.md in "),
        "{failed}"
    );
    assert!(
        failed.ends_with(" ms: 2 errors; still serving the last good site"),
        "{failed}"
    );
    let fixed = lines
        .find(|l| l.contains(" after a change to ") && !l.starts_with("build failed"))
        .unwrap();
    assert!(
        fixed.starts_with("built after a change to content/blog/first.md in ")
            || fixed.starts_with("rebuilt after a change to content/blog/first.md in "),
        "{fixed}"
    );
    assert!(!fixed.contains("still serving"), "{fixed}");
}

/// The URL of the stylesheet `css/site.css` that a page links to (quoted or not: minified).
fn stylesheet_url(html: &str) -> String {
    let start = html.find("/css/site.").expect("a link to css/site.css");
    let len = html[start..]
        .find(['"', '\'', ' ', '>'])
        .expect("the end of the URL");
    html[start..start + len].to_owned()
}

#[test]
fn a_stylesheet_edit_swaps_it_without_a_reload() {
    let site = SiteTest::repo_site();
    let server = Server::start(&site);
    let mut events = server.events();
    assert_eq!(events.next().0, "ok");
    let before = stylesheet_url(&server.get("/").body);

    let css = "themes/ancapex/static/css/site.css";
    site.write(
        css,
        &format!("{}\n.serve-test{{color:red}}\n", site.file(css)),
    );
    // A save may come as two events (truncated, then written): every one of them is a swap.
    let (name, data) = events.next();
    assert_eq!(name, "css", "{data}");
    assert!(data.contains(&format!("\"from\":\"{before}\"")), "{data}");
    let page = eventually(
        || server.get("/"),
        |p| {
            let now = stylesheet_url(&p.body);
            now != before && get(server.port, &now).body.contains(".serve-test")
        },
    );
    let after = stylesheet_url(&page.body);
    assert!(data.contains(&after) || events.expect("css").contains(&after));
    assert_eq!(server.get(&before).status, 404, "the old name is gone");
}

#[test]
fn bad_input_and_rename_storms_never_stop_the_server() {
    let site = SiteTest::fixture("build/basic");
    let mut server = Server::start(&site);
    let mut events = server.events();
    assert_eq!(events.next().0, "ok");
    let good = site.file("content/blog/first.md");
    let serves_the_good_page = || {
        let page = server.get("/blog/first/");
        assert_eq!(page.status, 200);
        assert!(page.body.contains("The rest of the first post."));
    };

    // A file that is not UTF-8 (a save cut off in the middle of a character).
    std::fs::write(
        site.path("content/blog/first.md"),
        b"+++\ntitle = \"\xe2\x82",
    )
    .unwrap();
    let data = events.expect("problems");
    assert!(data.contains("content/blog/first.md"), "{data}");
    serves_the_good_page();
    site.write("content/blog/first.md", &good);
    events.expect("ok");

    // The templates folder deleted, then put back.
    let templates = site.path("templates");
    std::fs::remove_dir_all(&templates).unwrap();
    events.expect("problems");
    serves_the_good_page();
    crate::support::copy_dir(
        &crate::support::fixture_path("build/basic/templates"),
        &templates,
    );
    events.expect("ok");

    // A storm, as a `git checkout` makes: the blog folder moved away and back twenty times,
    // and a hundred pages written and deleted, with no pause.
    let blog = site.path("content/blog");
    let away = site.path("content/blog-away");
    for _ in 0..20 {
        std::fs::rename(&blog, &away).unwrap();
        std::fs::rename(&away, &blog).unwrap();
    }
    for i in 0..100 {
        site.write(
            &format!("content/storm/p{i}.md"),
            &format!("+++\ntitle = \"Storm {i}\"\n+++\nStorm page {i}.\n"),
        );
    }
    std::fs::remove_dir_all(site.path("content/storm")).unwrap();
    // When the storm has settled, saves still reload the site, which is the one on disk.
    site.write(
        "content/blog/first.md",
        &good.replace("The rest of", "After the storm, the rest of"),
    );
    eventually(
        || server.get("/blog/first/"),
        |p| {
            p.body
                .contains("After the storm, the rest of the first post.")
        },
    );
    assert_eq!(server.get("/storm/p7/").status, 404);
    assert_eq!(server.get("/blog/second-post/").status, 200);
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server is running"
    );
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let site = SiteTest::fixture("build/basic");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = site.run(["serve", "--port", &port]).fails_with(2);
    assert_eq!(
        run.stderr(),
        format!(
            "error: could not listen on `127.0.0.1:{port}`: Address already in use (os error 98); is \
             another server using the port? pass another `--port` (0 picks a free one)\n"
        )
    );
}

/// Every output a full build writes, by path.
fn full_build(root: &Path, out: &Path) -> (std::collections::BTreeMap<String, Vec<u8>>, String) {
    let _ = std::fs::remove_dir_all(out);
    let report = pipeline::build(
        root,
        &Overrides {
            output_dir: Some(out.to_path_buf()),
            base_url: Some(BASE.to_owned()),
            signing: Signing::Skip,
            // The reference is a build from nothing.
            cache: ancapex::cache::Use::Off,
            ..Overrides::default()
        },
    )
    .unwrap();
    let shown = render(&report.diagnostics);
    let files = if report.failed() {
        std::collections::BTreeMap::default()
    } else {
        crate::support::tree(out)
    };
    (files, shown)
}

fn render(diagnostics: &ancapex::Diagnostics) -> String {
    let mut lines: Vec<String> = ancapex::diagnostic::render(
        diagnostics,
        ancapex::diagnostic::Style::Plain,
        ancapex::diagnostic::Shown::All,
    )
    .lines()
    .map(str::to_owned)
    .collect();
    lines.sort();
    lines.join("\n")
}

pub(crate) const BASE: &str = "http://127.0.0.1:1111";

/// The session's outputs with the seal, as a build writes them.
fn session_files(session: &Session) -> std::collections::BTreeMap<String, Vec<u8>> {
    if session.diagnostics().has_errors() {
        return std::collections::BTreeMap::default();
    }
    let mut files: std::collections::BTreeMap<String, Vec<u8>> = session
        .files()
        .iter()
        .map(|(p, f)| (p.clone(), f.bytes().unwrap().into_owned()))
        .collect();
    for r in session.sealed().unwrap() {
        let ancapex::model::Body::Bytes(bytes) = r.body else {
            panic!("the seal is bytes")
        };
        files.insert(r.path, bytes);
    }
    files
}

#[track_caller]
pub(crate) fn assert_same(session: &Session, root: &Path, out: &Path, step: &str) {
    let (full, shown) = full_build(root, out);
    assert_eq!(
        render(session.diagnostics()),
        shown,
        "diagnostics after {step}"
    );
    let inc = session_files(session);
    let paths =
        |m: &std::collections::BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(paths(&inc), paths(&full), "output paths after {step}");
    for (path, bytes) in &full {
        assert!(
            inc[path] == *bytes,
            "`{path}` differs after {step}:\n--- incremental\n{}\n--- full\n{}",
            String::from_utf8_lossy(&inc[path]),
            String::from_utf8_lossy(bytes)
        );
    }
}

/// One edit of the series: what it does to the files, and the paths it touched.
type Edit = (&'static str, fn(&Path) -> Vec<PathBuf>);

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn rewrite(root: &Path, rel: &str, how: impl Fn(&str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root.join(rel)).unwrap();
    write(root, rel, &how(&text))
}

fn replace(root: &Path, rel: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(root.join(rel)).unwrap();
    assert!(text.contains(from), "`{from}` in {rel}");
    write(root, rel, &text.replacen(from, to, 1))
}

fn edits() -> Vec<Edit> {
    vec![
        ("edit a body", |r| {
            vec![replace(
                r,
                "content/blog/first.md",
                "The rest of",
                "All the rest of",
            )]
        }),
        ("edit a title", |r| {
            vec![replace(
                r,
                "content/blog/first.md",
                "First post",
                "Post number one",
            )]
        }),
        ("edit a date (the listing order)", |r| {
            vec![replace(
                r,
                "content/blog/first.md",
                "2026-01-01",
                "2026-03-09",
            )]
        }),
        ("edit a summary", |r| {
            vec![replace(
                r,
                "content/blog/first.md",
                "The summary of",
                "A new summary of",
            )]
        }),
        ("edit a section's text", |r| {
            vec![rewrite(r, "content/blog/_index.md", |t| {
                format!("{t}\nMore about the blog.\n")
            })]
        }),
        ("add a page", |r| {
            vec![write(
                r,
                "content/blog/added.md",
                "+++\ntitle = \"Added\"\ndate = 2026-02-02\n+++\nA page [linking](@/blog/first.md#intro).\n",
            )]
        }),
        ("edit the added page", |r| {
            vec![replace(
                r,
                "content/blog/added.md",
                "A page",
                "An edited page",
            )]
        }),
        ("link to the added page from another", |r| {
            vec![replace(
                r,
                "content/about.md",
                "Write to us.",
                "Write to us, or read [the added page](@/blog/added.md).",
            )]
        }),
        ("rename a page (the link to it breaks)", |r| {
            let from = r.join("content/blog/added.md");
            let to = r.join("content/blog/renamed.md");
            std::fs::rename(&from, &to).unwrap();
            vec![from, to]
        }),
        ("point the link at the renamed page", |r| {
            vec![replace(
                r,
                "content/about.md",
                "@/blog/added.md",
                "@/blog/renamed.md",
            )]
        }),
        ("break a page", |r| {
            vec![replace(
                r,
                "content/blog/renamed.md",
                "+++\ntitle",
                "+++\ntitle = = \"x\"\nt",
            )]
        }),
        ("fix it", |r| {
            vec![replace(
                r,
                "content/blog/renamed.md",
                "title = = \"x\"\nt",
                "title",
            )]
        }),
        (
            "give a page that others link to a slug (its URL moves)",
            |r| {
                vec![replace(
                    r,
                    "content/blog/first.md",
                    "date = 2026-03-09",
                    "date = 2026-03-09\nslug = \"first-post\"",
                )]
            },
        ),
        ("break a link", |r| {
            vec![replace(
                r,
                "content/blog/renamed.md",
                "#intro",
                "#no-such-anchor",
            )]
        }),
        ("fix the link", |r| {
            vec![replace(
                r,
                "content/blog/renamed.md",
                "#no-such-anchor",
                "#intro",
            )]
        }),
        ("delete a page", |r| {
            let p = r.join("content/blog/renamed.md");
            std::fs::remove_file(&p).unwrap();
            vec![p]
        }),
        ("take the link to the deleted page out", |r| {
            vec![replace(
                r,
                "content/about.md",
                ", or read [the added page](@/blog/renamed.md)",
                "",
            )]
        }),
        ("add a section", |r| {
            vec![
                write(
                    r,
                    "content/notes/_index.md",
                    "+++\ntitle = \"Notes\"\n+++\n",
                ),
                write(
                    r,
                    "content/notes/one.md",
                    "+++\ntitle = \"One\"\n+++\nNote one.\n",
                ),
            ]
        }),
        ("edit a page of the new section", |r| {
            vec![replace(
                r,
                "content/notes/one.md",
                "Note one.",
                "Note one, edited.",
            )]
        }),
        ("delete the section", |r| {
            let dir = r.join("content/notes");
            std::fs::remove_dir_all(&dir).unwrap();
            vec![dir.join("_index.md"), dir.join("one.md"), dir]
        }),
        ("change a template", |r| {
            vec![replace(
                r,
                "templates/page.html",
                "<body>",
                "<body class=\"changed\">",
            )]
        }),
        ("change a shortcode", |r| {
            vec![rewrite(r, "templates/shortcodes/note.html", |t| {
                format!("<!-- n -->{t}")
            })]
        }),
        ("add a partial template and one no output uses", |r| {
            vec![
                write(
                    r,
                    "templates/partials/foot.html",
                    "<footer>{{ config.title }}</footer>\n",
                ),
                write(r, "templates/unused.html", "<p>unused</p>\n"),
            ]
        }),
        ("include the partial in the page template", |r| {
            vec![replace(
                r,
                "templates/page.html",
                "</body>",
                "{% include \"partials/foot.html\" %}</body>",
            )]
        }),
        ("edit the included partial", |r| {
            vec![replace(
                r,
                "templates/partials/foot.html",
                "<footer>",
                "<footer class=\"edited\">",
            )]
        }),
        ("edit the template no output uses", |r| {
            vec![replace(
                r,
                "templates/unused.html",
                "unused",
                "still unused",
            )]
        }),
        ("break the partial", |r| {
            vec![replace(
                r,
                "templates/partials/foot.html",
                "{{ config.title }}",
                "{% if %}",
            )]
        }),
        ("fix the partial", |r| {
            vec![replace(
                r,
                "templates/partials/foot.html",
                "{% if %}",
                "{{ config.title }}",
            )]
        }),
        ("break the section template", |r| {
            vec![replace(
                r,
                "templates/section.html",
                "{{ section.title }}",
                "{{ section.title | no_such_filter }}",
            )]
        }),
        ("fix the section template", |r| {
            vec![replace(
                r,
                "templates/section.html",
                "{{ section.title | no_such_filter }}",
                "{{ section.title }}",
            )]
        }),
        ("change the 404 page's template", |r| {
            vec![replace(
                r,
                "templates/404.html",
                "Nothing at",
                "Nothing found at",
            )]
        }),
        ("delete the template no output uses", |r| {
            let p = r.join("templates/unused.html");
            std::fs::remove_file(&p).unwrap();
            vec![p]
        }),
        ("change site.toml", |r| {
            vec![replace(r, "site.toml", "title = ", "title = \"Renamed\" #")]
        }),
        ("edit a page without changing it", |r| {
            vec![rewrite(r, "content/about.md", str::to_owned)]
        }),
    ]
}

pub(crate) fn start(root: &Path) -> (Session, ancapex::pipeline::Update) {
    let overrides = Overrides {
        base_url: Some(BASE.to_owned()),
        ..Overrides::default()
    };
    Session::start(root, &overrides).unwrap()
}

#[test]
fn incremental_rebuilds_equal_full_builds_after_every_edit() {
    let site = SiteTest::fixture("build/basic");
    let root = site.root().to_path_buf();
    // Outside the site (a build refuses an output folder among its sources), and one per test.
    let full = tempfile::tempdir().unwrap();
    let out = full.path().join("public");
    let (mut session, first) = start(&root);
    assert_eq!(first.rebuild, Rebuild::Full);
    assert_same(&session, &root, &out, "the first build");
    let mut incremental = 0;
    for (step, edit) in edits() {
        let touched = edit(&root);
        let update = session.update(&touched).unwrap();
        if update.rebuild == Rebuild::Incremental {
            incremental += 1;
        }
        assert_same(&session, &root, &out, step);
    }
    // Page and template edits are incremental, not full rebuilds in disguise (20 of the 30
    // steps as the series stands; adds, deletes, renames and site.toml are full).
    assert!(incremental >= 18, "{incremental} incremental rebuilds");
}

/// The search index files of the last update that changed: `(shards, document chunks)`.
fn search_files_changed(update: &ancapex::pipeline::Update) -> (usize, usize) {
    let count = |dir: &str| {
        update
            .changed
            .iter()
            .filter(|p| p.starts_with(&format!("search/index/{dir}/")))
            .count()
    };
    (count("t"), count("d"))
}

#[test]
fn search_index_edits_change_only_their_shards_and_equal_full_builds() {
    let site = SiteTest::fixture("build/basic");
    let root = site.root().to_path_buf();
    // About 90,000 words over 30 pages: three shards of the vocabulary.
    let word = |n: usize| -> String {
        let mut x = n.wrapping_mul(2_654_435_761) % 1_000_003;
        (0..5)
            .map(|_| {
                let c = char::from(b'b' + u8::try_from(x % 24).unwrap());
                x = x / 24 + n % 7;
                c
            })
            .collect()
    };
    let body = |i: usize| {
        (0..3000)
            .map(|k| word(i * 31 + k % 700))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for i in 0..30 {
        write(
            &root,
            &format!("content/words/p{i}.md"),
            &format!("+++\ntitle = \"Words {i}\"\n+++\n{}\n", body(i)),
        );
    }
    let full = tempfile::tempdir().unwrap();
    let out = full.path().join("public");
    let (mut session, _) = start(&root);
    assert_same(&session, &root, &out, "the first build");
    let shards = session
        .files()
        .keys()
        .filter(|p| p.starts_with("search/index/t/"))
        .count();
    assert!(shards >= 3, "{shards} shards");
    let page = "content/words/p3.md";
    let steps: [(&str, String); 4] = [
        ("a word before every other", format!("{} aaaa", body(3))),
        ("the word gone again", body(3)),
        // Enough words for one more shard: the index's files change in number.
        (
            "forty thousand words more",
            format!(
                "{} {}",
                body(3),
                (0..40_000)
                    .map(|k| word(k % 5000))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        ),
        ("back to one shard fewer", body(3)),
    ];
    for (n, (step, text)) in steps.into_iter().enumerate() {
        let p = write(
            &root,
            page,
            &format!("+++\ntitle = \"Words 3\"\n+++\n{text}\n"),
        );
        let update = session.update(&[p]).unwrap();
        assert_eq!(update.rebuild, Rebuild::Incremental, "{step}");
        assert_same(&session, &root, &out, step);
        let (t, d) = search_files_changed(&update);
        if n < 2 {
            // The shards holding the words added or removed, and the page's chunk.
            assert!(t < shards, "{step}: {t} of {shards} shards changed");
            assert!(d <= 1, "{step}: {d} chunks changed");
        }
    }
}

#[test]
fn a_body_edit_renders_only_its_page_its_listings_and_the_feeds() {
    let site = SiteTest::fixture("build/basic");
    let root = site.root().to_path_buf();
    let (mut session, first) = start(&root);
    let p = replace(
        &root,
        "content/blog/tour.md",
        "Links: ",
        "A new first line.\n\nLinks: ",
    );
    let update = session.update(&[p]).unwrap();
    assert_eq!(update.rebuild, Rebuild::Incremental);
    assert!(
        update.rendered * 3 < first.rendered,
        "{} of {}",
        update.rendered,
        first.rendered
    );
    assert!(
        update.changed.contains(&"blog/tour/index.html".to_owned()),
        "{:?}",
        update.changed
    );
    for unchanged in ["about/index.html", "blog/first/index.html", "404.html"] {
        assert!(
            !update.changed.contains(&unchanged.to_owned()),
            "{:?}",
            update.changed
        );
    }
}

#[test]
fn a_front_matter_edit_also_remakes_the_sitemap_and_a_body_edit_does_not() {
    let site = SiteTest::fixture("build/basic");
    let root = site.root().to_path_buf();
    let (mut session, _) = start(&root);
    let body = replace(
        &root,
        "content/blog/tour.md",
        "Links: ",
        "Words.\n\nLinks: ",
    );
    let by_body = session.update(&[body]).unwrap();
    let matter = replace(
        &root,
        "content/blog/tour.md",
        "date = 2026-03-01",
        "date = 2026-03-01\nupdated = 2026-03-02",
    );
    let by_matter = session.update(&[matter]).unwrap();
    assert_eq!(by_body.rebuild, Rebuild::Incremental);
    assert_eq!(by_matter.rebuild, Rebuild::Incremental);
    // The sitemap besides, and of the search index only the files whose words changed (the
    // body edit's shard, not the date's).
    assert!(by_matter.rendered <= by_body.rendered + 1);
    assert!(!by_body.changed.contains(&"sitemap.xml".to_owned()));
    assert!(
        by_matter.changed.contains(&"sitemap.xml".to_owned()),
        "{:?}",
        by_matter.changed
    );
}

#[test]
fn a_template_edit_renders_only_the_outputs_that_use_it() {
    let site = SiteTest::fixture("build/basic");
    let root = site.root().to_path_buf();
    let (mut session, first) = start(&root);
    // Added templates change what the theme has: a full rebuild.
    let added = session
        .update(&[
            write(
                &root,
                "templates/partials/foot.html",
                "<footer>a</footer>\n",
            ),
            write(&root, "templates/unused.html", "<p>unused</p>\n"),
            replace(
                &root,
                "templates/page.html",
                "</body>",
                "{% include \"partials/foot.html\" %}</body>",
            ),
        ])
        .unwrap();
    assert_eq!(added.rebuild, Rebuild::Full);
    let has =
        |update: &ancapex::pipeline::Update, path: &str| update.changed.iter().any(|p| p == path);

    // A template included by the page template: every page, and nothing else.
    let foot = session
        .update(&[replace(&root, "templates/partials/foot.html", ">a<", ">b<")])
        .unwrap();
    assert_eq!(foot.rebuild, Rebuild::Incremental);
    assert_eq!(foot.rendered, foot.changed.len(), "{:?}", foot.changed);
    assert!(foot.rendered * 2 < first.rendered, "{}", foot.rendered);
    for page in ["blog/first/index.html", "about/index.html"] {
        assert!(has(&foot, page), "{:?}", foot.changed);
    }
    for other in [
        "index.html",
        "blog/index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
    ] {
        assert!(!has(&foot, other), "{:?}", foot.changed);
    }

    // The 404 page's own template: that page only.
    let not_found = session
        .update(&[replace(
            &root,
            "templates/404.html",
            "Nothing at",
            "Nothing found at",
        )])
        .unwrap();
    assert_eq!(not_found.rebuild, Rebuild::Incremental);
    assert_eq!(not_found.rendered, 1);
    assert_eq!(not_found.changed, ["404.html"]);

    // A shortcode: the page whose body calls it, what lists it, and the whole-site files.
    let note = session
        .update(&[rewrite(&root, "templates/shortcodes/note.html", |t| {
            t.replace("class=\"note\"", "class=\"note edited\"")
        })])
        .unwrap();
    assert_eq!(note.rebuild, Rebuild::Incremental);
    assert!(
        has(&note, "blog/tutorials/code/index.html"),
        "{:?}",
        note.changed
    );
    assert!(!has(&note, "about/index.html"), "{:?}", note.changed);
    assert!(note.rendered * 3 < first.rendered, "{}", note.rendered);

    // A template no output uses.
    let unused = session
        .update(&[replace(
            &root,
            "templates/unused.html",
            "unused",
            "still unused",
        )])
        .unwrap();
    assert_eq!(unused.rebuild, Rebuild::Incremental);
    assert_eq!(unused.rendered, 0);
    assert!(unused.changed.is_empty());
}

/// The failure report template as a report of its own (under its id, in review, so published).
fn add_failure_report(root: &Path) -> PathBuf {
    let text = std::fs::read_to_string(
        root.join("artifacts/failure-report-template/template/failure-report.md"),
    )
    .unwrap();
    let text = text.replace("status = \"draft\"", "status = \"review\"");
    write(root, "artifacts/failures/failure-report.md", &text)
}

/// Edits of records on the real site (artifact records, a run ledger, a failure report), with a
/// page and a template edit after them.
fn record_edits() -> Vec<Edit> {
    vec![
        ("edit an artifact's title", |r| {
            vec![replace(
                r,
                "artifacts/eval-suite/artifact.toml",
                "Eval Suite v0",
                "Eval Suite, version 0",
            )]
        }),
        ("edit an artifact's summary", |r| {
            vec![replace(
                r,
                "artifacts/ownership-matrix/artifact.toml",
                "clarifies rights",
                "settles rights",
            )]
        }),
        ("add an artifact", |r| {
            vec![write(
                r,
                "artifacts/added-memo/artifact.toml",
                "schema = \"ancapex.artifact/1\"\nid = \"added-memo\"\nversion = \"0.0.0\"\n\
                 title = \"Added Memo\"\nkind = \"design-memo\"\nstatus = \"planned\"\n\
                 summary = \"an added record\"\nphase = 2\n",
            )]
        }),
        ("break the added artifact", |r| {
            vec![replace(
                r,
                "artifacts/added-memo/artifact.toml",
                "\"planned\"",
                "\"plannd\"",
            )]
        }),
        ("fix it", |r| {
            vec![replace(
                r,
                "artifacts/added-memo/artifact.toml",
                "\"plannd\"",
                "\"planned\"",
            )]
        }),
        ("delete the added artifact", |r| {
            let dir = r.join("artifacts/added-memo");
            std::fs::remove_dir_all(&dir).unwrap();
            vec![dir.join("artifact.toml"), dir]
        }),
        ("edit a run ledger's title", |r| {
            vec![replace(
                r,
                "artifacts/ledgers/model-run-1/ledger.toml",
                "title = \"Model Run #1\"",
                "title = \"Model Run One\"",
            )]
        }),
        ("append a line that is not JSON to the ledger", |r| {
            vec![rewrite(
                r,
                "artifacts/ledgers/model-run-1/entries.jsonl",
                |t| format!("{t}not json\n"),
            )]
        }),
        ("take it out again", |r| {
            vec![rewrite(
                r,
                "artifacts/ledgers/model-run-1/entries.jsonl",
                |t| t.strip_suffix("not json\n").unwrap().to_owned(),
            )]
        }),
        ("edit the failure report", |r| {
            vec![rewrite(r, "artifacts/failures/failure-report.md", |t| {
                format!("{t}\nOne more line.\n")
            })]
        }),
        ("delete it", |r| {
            let p = r.join("artifacts/failures/failure-report.md");
            std::fs::remove_file(&p).unwrap();
            vec![p]
        }),
        ("add it back", |r| vec![add_failure_report(r)]),
        ("edit an artifact's title back", |r| {
            vec![replace(
                r,
                "artifacts/eval-suite/artifact.toml",
                "Eval Suite, version 0",
                "Eval Suite v0",
            )]
        }),
        ("edit a page after the records", |r| {
            vec![rewrite(r, "content/principles.md", |t| {
                format!("{t}\nOne more line.\n")
            })]
        }),
        ("edit the page template after the records", |r| {
            vec![replace(
                r,
                "themes/ancapex/templates/page.html",
                "<p class=\"page-back\">",
                "<p class=\"page-back edited\">",
            )]
        }),
    ]
}

#[test]
fn the_first_record_and_the_last_rebuild_to_the_full_build() {
    // A site with no records has no failure report index and no link to one.
    let site = SiteTest::init();
    let root = site.root().to_path_buf();
    let full = tempfile::tempdir().unwrap();
    let out = full.path().join("public");
    let (mut session, _) = start(&root);
    assert_same(&session, &root, &out, "the first build");
    let new = ancapex::artifact::NewArtifact {
        id: "memo".to_owned(),
        ..Default::default()
    };
    let record = ancapex::artifact::create(&root, &new).unwrap();
    session.update(std::slice::from_ref(&record)).unwrap();
    assert_same(&session, &root, &out, "the first record added");
    assert!(session.files().contains_key("failures/index.html"));
    std::fs::remove_file(&record).unwrap();
    session.update(&[record]).unwrap();
    assert_same(&session, &root, &out, "the last record removed");
    assert!(!session.files().contains_key("failures/index.html"));
}

#[test]
fn record_edits_rebuild_to_the_full_build() {
    let site = SiteTest::repo_site();
    let root = site.root().to_path_buf();
    // Pages whose templates read records: the artifacts through an included template, a
    // ledger through `get_ledger`.
    write(
        &root,
        "templates/registry.html",
        "<!doctype html><title>{{ page.title }}</title>{% include \"partials/kinds.html\" %}\n",
    );
    write(
        &root,
        "templates/partials/kinds.html",
        "<ul>{% for a in artifacts %}<li>{{ a.title }}: {{ a.summary }}</li>{% endfor %}</ul>\n",
    );
    write(
        &root,
        "templates/run.html",
        "<!doctype html><title>{{ page.title }}</title>{% set l = get_ledger(name=\"model-run-1\") %}\
         <p>{{ l.title }}: {{ l.entries | length }}</p>\n",
    );
    write(
        &root,
        "content/registry.md",
        "+++\ntitle = \"Registry\"\ntemplate = \"registry.html\"\n+++\nThe registry.\n",
    );
    write(
        &root,
        "content/run.md",
        "+++\ntitle = \"Run\"\ntemplate = \"run.html\"\n+++\nThe run.\n",
    );
    add_failure_report(&root);
    let full = tempfile::tempdir().unwrap();
    let out = full.path().join("public");
    let (mut session, _) = start(&root);
    assert_same(&session, &root, &out, "the first build");
    for (step, edit) in record_edits() {
        let touched = edit(&root);
        session.update(&touched).unwrap();
        assert_same(&session, &root, &out, step);
    }
}

/// How many outputs the real site renders when it starts and after an artifact's title
/// changes, with `pages` added to it first.
/// Renders the repo site with `pages` added, then edits a record: (outputs of the first build,
/// files of the search index among them, the edit's update). The search index has a file for
/// each 16 documents, so the pages added may add one.
fn record_edit_renders(pages: &[(String, String)]) -> (usize, usize, ancapex::pipeline::Update) {
    let site = SiteTest::repo_site();
    let root = site.root().to_path_buf();
    for (rel, text) in pages {
        write(&root, rel, text);
    }
    let (mut session, first) = start(&root);
    assert!(
        !session.diagnostics().has_errors(),
        "{}",
        render(session.diagnostics())
    );
    let update = session
        .update(&[replace(
            &root,
            "artifacts/eval-suite/artifact.toml",
            "Eval Suite v0",
            "Eval Suite, version 0",
        )])
        .unwrap();
    assert_eq!(update.rebuild, Rebuild::Incremental);
    let search = first
        .changed
        .iter()
        .filter(|p| p.starts_with("search/index/"))
        .count();
    (first.rendered, search, update)
}

#[test]
fn a_record_edit_renders_only_the_outputs_that_show_records() {
    let (first, search, alone) = record_edit_renders(&[]);
    assert!(alone.rendered < first, "{} of {first}", alone.rendered);
    // Its page, the registry and the page whose shortcodes list it.
    for shows in [
        "artifacts/eval-suite/index.html",
        "artifacts/index.html",
        "artifacts/index.json",
        "index.html",
    ] {
        assert!(
            alone.changed.iter().any(|p| p == shows),
            "{shows}: {:?}",
            alone.changed
        );
    }
    // A page that shows no record, through its body or its templates.
    assert!(
        !alone.changed.iter().any(|p| p == "why-ancapex/index.html"),
        "{:?}",
        alone.changed
    );

    // Thirty pages and a section that show no record add nothing to render; a page calling
    // the `artifact` shortcode adds itself and its section's listing (rendered, the same: it
    // lists titles).
    let mut pages: Vec<(String, String)> = (0..30)
        .map(|i| {
            let text = format!(
                "+++\ntitle = \"Note {i}\"\n+++\nA note.\n\n{{% card(title=\"Card\") %}}\nA card.\n{{% end %}}\n"
            );
            (format!("content/notes/n{i:02}.md"), text)
        })
        .collect();
    pages.push((
        "content/notes/_index.md".to_owned(),
        "+++\ntitle = \"Notes\"\n+++\n".to_owned(),
    ));
    let (with_notes_first, with_notes_search, with_notes) = record_edit_renders(&pages);
    assert_eq!(with_notes_first - with_notes_search, first - search + 31);
    assert_eq!(
        with_notes.rendered - with_notes_search,
        alone.rendered - search
    );
    pages.push((
        "content/notes/shows.md".to_owned(),
        "+++\ntitle = \"Shows\"\n+++\n{{ artifact(id=\"eval-suite\") }}\n".to_owned(),
    ));
    let (_, with_shows_search, with_shows) = record_edit_renders(&pages);
    assert_eq!(
        with_shows.rendered - with_shows_search,
        alone.rendered - search + 2
    );
    assert!(
        with_shows
            .changed
            .iter()
            .any(|p| p == "notes/shows/index.html"),
        "{:?}",
        with_shows.changed
    );
}

/// One random edit to a page of the fixture, or a page added or deleted.
#[derive(Debug, Clone)]
pub(crate) enum RandomEdit {
    Body(usize, u16),
    Title(usize, u16),
    Date(usize, u8),
    Draft(usize, bool),
    Add(u8),
    Delete(u8),
    Template(usize, u16),
}

const TEMPLATES: [&str; 4] = [
    "templates/page.html",
    "templates/section.html",
    "templates/index.html",
    "templates/shortcodes/note.html",
];

const PAGES: [&str; 3] = [
    "content/blog/first.md",
    "content/blog/second.md",
    "content/blog/tutorials/basics.md",
];

pub(crate) fn apply(root: &Path, edit: &RandomEdit) -> Vec<PathBuf> {
    // Every page's front matter opens with `+++\ntitle = "`; the edits insert after it.
    let front = |rel: &str, line: String| {
        rewrite(root, rel, |t| {
            t.replacen("+++\n", &format!("+++\n{line}\n"), 1)
        })
    };
    match *edit {
        RandomEdit::Body(i, n) => vec![rewrite(root, PAGES[i], |t| format!("{t}\nWord {n}.\n"))],
        RandomEdit::Title(i, n) => vec![rewrite(root, PAGES[i], |t| {
            let start = t.find("title = \"").unwrap() + 9;
            let end = start + t[start..].find('"').unwrap();
            format!("{}Title {n}{}", &t[..start], &t[end..])
        })],
        RandomEdit::Date(i, d) => vec![rewrite(root, PAGES[i], |t| {
            let kept: Vec<&str> = t.lines().filter(|l| !l.starts_with("updated = ")).collect();
            let t = kept.join("\n") + "\n";
            t.replacen(
                "+++\n",
                &format!("+++\nupdated = 2026-05-{:02}\n", d % 28 + 1),
                1,
            )
        })],
        RandomEdit::Draft(i, on) => {
            let text = std::fs::read_to_string(root.join(PAGES[i])).unwrap();
            let without = text.replace("draft = true\n", "");
            if on {
                write(root, PAGES[i], &without);
                vec![front(PAGES[i], "draft = true".to_owned())]
            } else {
                vec![write(root, PAGES[i], &without)]
            }
        }
        RandomEdit::Add(n) => vec![write(
            root,
            &format!("content/blog/extra-{}.md", n % 4),
            &format!(
                "+++\ntitle = \"Extra {n}\"\ndate = 2026-04-0{}\n+++\nSee [the first](@/blog/first.md).\n",
                n % 9 + 1
            ),
        )],
        RandomEdit::Delete(n) => {
            let p = root.join(format!("content/blog/extra-{}.md", n % 4));
            let _ = std::fs::remove_file(&p);
            vec![p]
        }
        // A mark in the first line of the template, replacing the last one.
        RandomEdit::Template(i, n) => vec![rewrite(root, TEMPLATES[i], |t| {
            let rest = t
                .strip_prefix("<!-- m")
                .map_or(t, |r| &r[r.find("-->").unwrap() + 3..]);
            format!("<!-- m{n} -->{rest}")
        })],
    }
}

pub(crate) fn random_edit() -> impl proptest::strategy::Strategy<Value = RandomEdit> {
    use proptest::prelude::*;
    prop_oneof![
        (0..PAGES.len(), any::<u16>()).prop_map(|(i, n)| RandomEdit::Body(i, n)),
        (0..PAGES.len(), any::<u16>()).prop_map(|(i, n)| RandomEdit::Title(i, n)),
        (0..PAGES.len(), any::<u8>()).prop_map(|(i, d)| RandomEdit::Date(i, d)),
        (0..PAGES.len(), any::<bool>()).prop_map(|(i, on)| RandomEdit::Draft(i, on)),
        any::<u8>().prop_map(RandomEdit::Add),
        any::<u8>().prop_map(RandomEdit::Delete),
        (0..TEMPLATES.len(), any::<u16>()).prop_map(|(i, n)| RandomEdit::Template(i, n)),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]

    #[test]
    fn any_edit_sequence_rebuilds_to_the_full_build(
        edits in proptest::collection::vec(random_edit(), 1..8)
    ) {
        let site = SiteTest::fixture("build/basic");
        let root = site.root().to_path_buf();
        // Outside the site (a build refuses an output folder among its sources), and one per test.
    let full = tempfile::tempdir().unwrap();
    let out = full.path().join("public");
        let (mut session, _) = start(&root);
        for (i, edit) in edits.iter().enumerate() {
            let touched = apply(&root, edit);
            session.update(&touched).unwrap();
            assert_same(&session, &root, &out, &format!("edit {i}: {edit:?}"));
        }
    }
}

#[test]
fn serving_a_folder_that_is_not_a_site_fails_at_once() {
    let site = SiteTest::empty();
    let run = site.run(["serve", "--port", "0"]).fails_with(2);
    assert!(
        run.stderr().starts_with("error: no `site.toml` in "),
        "{}",
        run.stderr()
    );
}

/// An artifact's card (`README.md`) edited under serve: the page shows the new card, as a full
/// build would; added and removed too.
#[test]
fn an_artifact_card_edit_is_served_as_a_full_build_would_make_it() {
    let site = SiteTest::repo_site();
    let root = site.root().to_path_buf();
    let card = "artifacts/eval-suite/README.md";
    write(&root, card, "# Eval Suite\n\nThe first card.\n");
    let full = tempfile::tempdir().unwrap();
    let out = full.path().join("public");
    let (mut session, _) = start(&root);
    assert_same(&session, &root, &out, "the first build");
    for (step, touched) in [
        ("edit the card", replace(&root, card, "first", "second")),
        ("empty the card", write(&root, card, "")),
        (
            "write it again",
            write(&root, card, "# Eval Suite\n\nThe third card.\n"),
        ),
    ] {
        session.update(&[touched]).unwrap();
        assert_same(&session, &root, &out, step);
    }
    let files = session.files();
    let bytes = files
        .get("artifacts/eval-suite/index.html")
        .unwrap()
        .bytes()
        .unwrap();
    let html = String::from_utf8_lossy(&bytes);
    assert!(html.contains("The third card."), "{html}");
}
