//! The builder every integration test drives: a fixture site copied into a fresh temp
//! folder, the real `ancapex` binary run on it, and helpers to read what it wrote.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate root, where `tests/fixtures/` and the real site live.
pub(crate) fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<name>`.
/// The path of the ledger fixtures' committed TEST signing key (never used for real content).
pub(crate) fn ledger_test_key() -> String {
    manifest_dir()
        .join("tests/fixtures/ledger/TEST-ONLY.key")
        .to_string_lossy()
        .into_owned()
}

pub(crate) fn fixture_path(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name)
}

/// A site in a temp folder of its own, deleted when the test ends.
pub(crate) struct SiteTest {
    dir: tempfile::TempDir,
    root: PathBuf,
    envs: Vec<(String, String)>,
}

impl SiteTest {
    /// A copy of `tests/fixtures/<name>`.
    pub(crate) fn fixture(name: &str) -> Self {
        let site = Self::empty();
        let from = fixture_path(name);
        assert!(from.is_dir(), "no fixture `{}`", from.display());
        copy_dir(&from, &site.root);
        site
    }

    /// A copy of the repository's own site (`site.toml`, `content/`, `artifacts/`, `themes/`).
    pub(crate) fn repo_site() -> Self {
        let site = Self::empty();
        let repo = manifest_dir();
        std::fs::copy(repo.join("site.toml"), site.root.join("site.toml")).unwrap();
        for dir in ["content", "artifacts", "themes", "static"] {
            if repo.join(dir).is_dir() {
                copy_dir(&repo.join(dir), &site.root.join(dir));
            }
        }
        site
    }

    /// A site made by `ancapex init` in the root.
    pub(crate) fn init() -> Self {
        let site = Self::empty();
        let root = site.root().to_str().unwrap().to_owned();
        site.run_bare(["init", &root]).succeeds();
        site
    }

    /// An empty folder (for `init`).
    pub(crate) fn empty() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ancapex-it-")
            .tempdir()
            .unwrap();
        // Canonical, so that what the binary prints is the same string we normalise.
        let root = dir.path().canonicalize().unwrap();
        Self {
            dir,
            root,
            envs: vec![],
        }
    }

    /// The site root.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// A path inside the temp folder, outside the site root's own files (e.g. an output dir).
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Sets an environment variable for the runs.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Writes (or overwrites) a file in the site.
    pub(crate) fn write(&self, rel: &str, text: &str) -> &Self {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Replaces `from` (which the file must hold) with `to` in a file of the site.
    #[track_caller]
    pub(crate) fn replace(&self, rel: &str, from: &str, to: &str) -> &Self {
        let text = self.file(rel);
        assert!(text.contains(from), "`{rel}` does not hold `{from}`");
        self.write(rel, &text.replace(from, to))
    }

    /// Deletes a file from the site.
    pub(crate) fn remove(&self, rel: &str) -> &Self {
        std::fs::remove_file(self.root.join(rel)).unwrap();
        self
    }

    /// Appends a note by `trainer` saying `text` to the site's ledger `name` with `ledger
    /// append`, which must succeed.
    pub(crate) fn append_note(&self, name: &str, text: &str) -> &Self {
        let body = serde_json::json!({ "text": text }).to_string();
        self.run([
            "ledger", "append", name, "--type", "note", "--actor", "trainer", "--body", &body,
        ])
        .succeeds();
        self
    }

    /// Signs the site's ledger `name` with the fixtures' test key (`ledger sign`), which must
    /// succeed.
    pub(crate) fn sign_ledger(&self, name: &str) -> &Self {
        self.run(["ledger", "sign", name, "--key", &ledger_test_key()])
            .succeeds();
        self
    }

    /// The text of a file in the site (after a build: an output file).
    pub(crate) fn file(&self, rel: &str) -> String {
        let path = self.root.join(rel);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("could not read `{}`: {e}", path.display()))
    }

    /// The bytes of a file in the site.
    pub(crate) fn bytes(&self, rel: &str) -> Vec<u8> {
        let path = self.root.join(rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("could not read `{}`: {e}", path.display()))
    }

    /// The path of the fingerprinted file published for `rel` (`public/css/site.css` ->
    /// `public/css/site.<hash>.css`), found by listing its folder.
    #[track_caller]
    pub(crate) fn fingerprinted(&self, rel: &str) -> String {
        let (dir, name) = rel.rsplit_once('/').unwrap();
        let (stem, ext) = name.rsplit_once('.').unwrap();
        let found: Vec<String> = std::fs::read_dir(self.root.join(dir))
            .unwrap_or_else(|e| panic!("could not list `{dir}`: {e}"))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| {
                n.strip_prefix(stem)
                    .and_then(|r| r.strip_prefix('.'))
                    .and_then(|r| r.strip_suffix(ext))
                    .and_then(|r| r.strip_suffix('.'))
                    .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            })
            .collect();
        assert_eq!(found.len(), 1, "fingerprinted `{rel}`: {found:?}");
        format!("{dir}/{}", found[0])
    }

    /// Whether a file or folder exists in the site.
    pub(crate) fn exists(&self, rel: &str) -> bool {
        self.root.join(rel).exists()
    }

    /// Every file under `rel`, by `/`-separated path, with its bytes.
    pub(crate) fn tree(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        tree(&self.root.join(rel))
    }

    /// Runs `ancapex --root <site> <args>`.
    pub(crate) fn run<I, S>(&self, args: I) -> Outcome<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ancapex"));
        cmd.arg("--root").arg(&self.root).args(args);
        self.output(cmd)
    }

    /// Runs `ancapex <args>` with no `--root`, from the temp folder.
    pub(crate) fn run_bare<I, S>(&self, args: I) -> Outcome<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ancapex"));
        cmd.current_dir(self.dir.path()).args(args);
        self.output(cmd)
    }

    fn output(&self, mut cmd: Command) -> Outcome<'_> {
        cmd.env("NO_COLOR", "1").env_remove("SOURCE_DATE_EPOCH");
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        let output = cmd.output().expect("the ancapex binary runs");
        Outcome { site: self, output }
    }

    /// Replaces the temp path in `text` with `[ROOT]`.
    pub(crate) fn normalise(&self, text: &str) -> String {
        let mut out = text.replace(&*self.root.to_string_lossy(), "[ROOT]");
        let raw = self.dir.path().to_string_lossy();
        if raw != self.root.to_string_lossy() {
            out = out.replace(&*raw, "[ROOT]");
        }
        out
    }
}

/// What one run of the binary did.
pub(crate) struct Outcome<'a> {
    site: &'a SiteTest,
    output: Output,
}

impl Outcome<'_> {
    /// Asserts exit code 0.
    #[track_caller]
    pub(crate) fn succeeds(self) -> Self {
        self.exits_with(0)
    }

    /// Asserts the given non-zero exit code.
    #[track_caller]
    pub(crate) fn fails_with(self, code: i32) -> Self {
        assert_ne!(code, 0, "use succeeds()");
        self.exits_with(code)
    }

    /// Asserts the exit code, zero or not.
    #[track_caller]
    pub(crate) fn exits_with(self, code: i32) -> Self {
        assert_eq!(
            self.output.status.code(),
            Some(code),
            "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// The exit code.
    pub(crate) fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// Standard output, temp path normalised.
    pub(crate) fn stdout(&self) -> String {
        self.site
            .normalise(&String::from_utf8_lossy(&self.output.stdout))
    }

    /// Standard error, temp path normalised.
    pub(crate) fn stderr(&self) -> String {
        self.site
            .normalise(&String::from_utf8_lossy(&self.output.stderr))
    }

    /// Snapshots standard error, named after the test.
    #[track_caller]
    pub(crate) fn stderr_snapshot(self) -> Self {
        snapshot("stderr", &self.stderr());
        self
    }

    /// Snapshots standard output, named after the test.
    #[track_caller]
    pub(crate) fn stdout_snapshot(self) -> Self {
        snapshot("stdout", &self.stdout());
        self
    }
}

/// An insta snapshot named `<module>__<test>__<what>`, taken from the test thread's name (libtest
/// names each test's thread after the test), with timings and byte counts normalised.
#[track_caller]
pub(crate) fn snapshot(what: &str, value: &str) {
    let thread = std::thread::current();
    let test = thread
        .name()
        .filter(|n| *n != "main")
        .expect("snapshots are named after the test thread");
    let name = format!("{}__{what}", test.replace("::", "__"));
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(manifest_dir().join("tests/it/snapshots"));
    settings.set_omit_expression(true);
    settings.add_filter(r"in \d+ ms", "in [TIME]");
    settings.add_filter(r"\d+ bytes", "[BYTES] bytes");
    // Digests change with every byte of the theme; the tests in `hashed` check them.
    settings.add_filter(r"site digest:? [0-9a-f]{64}", "site digest [DIGEST]");
    settings.add_filter(r"\.[0-9a-f]{16}\.([A-Za-z0-9]+)\b", ".[HASH].$1");
    settings.add_filter(r"sha384-[A-Za-z0-9+/]{64}", "sha384-[SRI]");
    settings.bind(|| insta::assert_snapshot!(name, value));
}

/// The `<article>` of a page: what a generated page's template makes, without the theme's frame.
pub(crate) fn article(html: &str) -> &str {
    let start = html.find("<article").expect("an <article>");
    let end = html.rfind("</article>").expect("an </article>") + "</article>".len();
    &html[start..end]
}

/// Every file under `dir`, by `/`-separated relative path, with its bytes.
pub(crate) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    collect(dir, dir, &mut out);
    out
}

fn collect(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(base, &path, out);
        } else {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(rel, std::fs::read(&path).unwrap());
        }
    }
}

/// Copies a folder recursively.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Asserts two trees hold the same files with the same bytes, naming the first difference.
#[track_caller]
pub(crate) fn assert_same_tree(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    let names_a: Vec<&String> = a.keys().collect();
    let names_b: Vec<&String> = b.keys().collect();
    assert_eq!(names_a, names_b, "the two trees hold different files");
    for (name, bytes) in a {
        assert!(
            *bytes == b[name],
            "`{name}` differs:\n--- first\n{}\n--- second\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&b[name])
        );
    }
}

/// The visible text of an HTML document: tags removed (with nothing in their place, as a
/// browser's copied text joins inline elements), entities decoded, whitespace collapsed.
pub(crate) fn visible_text(html: &str) -> String {
    let mut stripped = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => stripped.push(c),
            _ => {}
        }
    }
    collapse(&unescape(&stripped))
}

/// Whitespace runs to one space, trimmed.
pub(crate) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            "larr" => Some('←'),
            "rarr" => Some('→'),
            "middot" => Some('·'),
            "mdash" => Some('—'),
            "ndash" => Some('–'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        if let Some(c) = decoded {
            out.push(c);
            rest = &rest[end + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Runs git in the site's folder, as a fixed test user; any failure fails the test.
pub(crate) fn git(site: &SiteTest, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(site.root())
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "{out:?}");
}

/// A static file server on 127.0.0.1 serving the files under `root` as they are at each request
/// (one connection at a time, HTTP/1.1, closed after each response); its URL, without a
/// trailing slash. It runs until the test process ends.
pub(crate) fn serve_dir(root: PathBuf) -> String {
    use std::io::{BufRead as _, BufReader, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let response = match std::fs::read(root.join(path)) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    format!("http://{addr}")
}
