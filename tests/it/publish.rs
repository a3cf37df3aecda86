//! `ancapex publish` against a real SeaweedFS on 127.0.0.1 (started and stopped by these
//! tests; `./scripts/test` installs it and sets `ANCAPEX_TEST_WEED`), checked with an
//! independent client (curl with `--aws-sigv4`), and against a directory.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ancapex::publish::{self, Event, Phase};

use crate::support::{SiteTest, tree};

const KEY: &str = "ancapextest";
const SECRET: &str = "ancapextestsecret";
const BUCKET: &str = "site";
const RECORD: &str = ".well-known/ancapex/publish.json";

/// A SeaweedFS (`weed mini`) on 127.0.0.1 with a data folder of its own; stopped by its PID
/// when dropped. Anyone may read its objects without credentials, as visitors read a site's
/// bucket (`ledger monitor` does, in `witness.rs`); writing needs the test's key.
pub(crate) struct Weed {
    bin: PathBuf,
    dir: tempfile::TempDir,
    ports: Vec<u16>,
    child: Option<Child>,
}

impl Weed {
    pub(crate) fn start() -> Self {
        let bin = std::env::var_os("ANCAPEX_TEST_WEED").map(PathBuf::from).expect(
            "ANCAPEX_TEST_WEED is not set: run ./scripts/test, which installs SeaweedFS and points it at the `weed` binary",
        );
        assert!(
            bin.is_file(),
            "ANCAPEX_TEST_WEED=`{}` is not a file: run ./scripts/test",
            bin.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("ancapex-weed-")
            .tempdir()
            .unwrap();
        std::fs::write(
            dir.path().join("s3.json"),
            format!(
                r#"{{"identities":[{{"name":"test","credentials":[{{"accessKey":"{KEY}","secretKey":"{SECRET}"}}],"actions":["Admin","Read","Write","List","Tagging"]}},{{"name":"anonymous","actions":["Read"]}}]}}"#
            ),
        )
        .unwrap();
        let mut weed = Self {
            bin,
            dir,
            ports: free_ports(),
            child: None,
        };
        weed.serve();
        weed
    }

    /// Starts the server; on a failed start (another process took a port between our check
    /// and its bind, a slow machine) tries again on other ports, three times in all.
    fn serve(&mut self) {
        let mut failures = vec![];
        for _ in 0..3 {
            match self.spawn() {
                Ok(()) => return,
                Err(e) => failures.push(e),
            }
            self.kill();
            self.ports = free_ports();
        }
        panic!("SeaweedFS would not start:\n{}", failures.join("\n---\n"));
    }

    fn spawn(&mut self) -> Result<(), String> {
        let p = &self.ports;
        let data = self.dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let log = std::fs::File::create(self.dir.path().join("weed.log")).unwrap();
        let child = Command::new(&self.bin)
            .arg("mini")
            .arg("-ip=127.0.0.1")
            .arg("-ip.bind=127.0.0.1")
            .arg(format!("-dir={}", data.display()))
            .arg(format!(
                "-s3.config={}",
                self.dir.path().join("s3.json").display()
            ))
            .arg(format!("-bucket={BUCKET}"))
            .arg(format!("-s3.port={}", p[0]))
            .arg(format!("-master.port={}", p[1]))
            .arg(format!("-master.port.grpc={}", p[2]))
            .arg(format!("-volume.port={}", p[3]))
            .arg(format!("-volume.port.grpc={}", p[4]))
            .arg(format!("-filer.port={}", p[5]))
            .arg(format!("-filer.port.grpc={}", p[6]))
            .arg(format!("-admin.port={}", p[7]))
            .arg(format!("-admin.port.grpc={}", p[8]))
            .arg(format!("-webdav.port={}", p[9]))
            .arg(format!("-s3.port.grpc={}", p[10]))
            .arg(format!("-debug.port={}", p[11]))
            .arg(format!("-s3.debug.port={}", p[12]))
            .arg(format!("-metricsPort={}", p[13]))
            .arg("-s3.port.iceberg=0")
            .arg("-s3.port.lance=0")
            .arg("-admin.ui=false")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("weed starts");
        self.child = Some(child);
        // Ready when the bucket lists.
        let started = Instant::now();
        loop {
            if let Some((200, _, _)) =
                self.try_curl(&["-X", "GET"], &format!("/{BUCKET}?list-type=2"))
            {
                return Ok(());
            }
            let log = || {
                let log =
                    std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            };
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!("it exited ({status}); its log ends:\n{}", log()));
            }
            if started.elapsed() > Duration::from_secs(40) {
                return Err(format!(
                    "it did not serve the bucket within 40 s; its log ends:\n{}",
                    log()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Kills the server (SIGKILL, by its PID) and waits for it.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same data and ports.
    fn restart(&mut self) {
        self.kill();
        self.serve();
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[0])
    }

    fn s3(&self) -> publish::S3Config {
        publish::S3Config {
            endpoint: Some(self.endpoint()),
            region: Some("us-east-1".to_owned()),
            access_key_id: Some(KEY.to_owned()),
            secret_access_key: Some(SECRET.to_owned()),
            session_token: None,
        }
    }

    /// The AWS environment for the binary.
    pub(crate) fn env(&self, site: SiteTest) -> SiteTest {
        site.env("AWS_ENDPOINT_URL", &self.endpoint())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
    }

    /// A signed request with curl: (status, headers lowercased, body).
    fn try_curl(
        &self,
        args: &[&str],
        path: &str,
    ) -> Option<(u16, BTreeMap<String, String>, Vec<u8>)> {
        let headers = self
            .dir
            .path()
            .join(format!("headers-{}", std::process::id()));
        let out = Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "20",
                "--aws-sigv4",
                "aws:amz:us-east-1:s3",
            ])
            .arg("--user")
            .arg(format!("{KEY}:{SECRET}"))
            .args(["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"])
            .arg("-D")
            .arg(&headers)
            .args(args)
            .arg(format!("{}{path}", self.endpoint()))
            .output()
            .expect("curl runs");
        if !out.status.success() {
            return None;
        }
        let text = std::fs::read_to_string(&headers).ok()?;
        let mut lines = text.lines();
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let map = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Some((status, map, out.stdout))
    }

    #[track_caller]
    fn curl(&self, args: &[&str], path: &str) -> (u16, BTreeMap<String, String>, Vec<u8>) {
        self.try_curl(args, path)
            .unwrap_or_else(|| panic!("curl {args:?} {path} failed"))
    }

    /// An object's (headers, bytes), or none. A 5xx is retried for a while: a server just
    /// restarted lists before its volumes are back.
    fn get(&self, key: &str) -> Option<(BTreeMap<String, String>, Vec<u8>)> {
        let started = Instant::now();
        loop {
            let (status, headers, body) = self.curl(&[], &format!("/{BUCKET}/{key}"));
            match status {
                200 => return Some((headers, body)),
                404 => return None,
                500.. if started.elapsed() < Duration::from_secs(30) => {
                    std::thread::sleep(Duration::from_millis(250));
                }
                s => panic!("GET {key}: {s} {}", String::from_utf8_lossy(&body)),
            }
        }
    }

    /// Puts an object with another client, as someone else would.
    fn put_foreign(&self, key: &str, bytes: &str) {
        let (status, _, body) = self.curl(
            &["-X", "PUT", "--data-binary", bytes],
            &format!("/{BUCKET}/{key}"),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }

    /// Deletes an object with another client, as someone else would.
    fn delete_foreign(&self, key: &str) {
        let (status, _, body) = self.curl(&["-X", "DELETE"], &format!("/{BUCKET}/{key}"));
        assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    }

    /// Every key in the bucket with its ETag (ListObjectsV2, all pages).
    fn list(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/{BUCKET}?list-type=2&max-keys=1000");
            if let Some(t) = &token {
                path.push_str("&continuation-token=");
                path.push_str(
                    &t.replace('+', "%2B")
                        .replace('/', "%2F")
                        .replace('=', "%3D"),
                );
            }
            let (status, _, body) = self.curl(&[], &path);
            let xml = String::from_utf8(body).unwrap();
            assert_eq!(status, 200, "{xml}");
            for contents in xml.split("<Contents>").skip(1) {
                let key = between(contents, "<Key>", "</Key>").replace("&amp;", "&");
                let etag = between(contents, "<ETag>", "</ETag>");
                out.insert(key, etag);
            }
            if xml.contains("<IsTruncated>true</IsTruncated>") {
                token = Some(between(
                    &xml,
                    "<NextContinuationToken>",
                    "</NextContinuationToken>",
                ));
            } else {
                return out;
            }
        }
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy in front of the server that keeps every byte clients send, so a test can see
/// what went over the wire without trusting the publisher's own account.
struct Wire {
    port: u16,
    sent: std::sync::Arc<Mutex<Vec<u8>>>,
}

impl Wire {
    fn to(upstream: u16) -> Self {
        use std::io::{Read as _, Write as _};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent = std::sync::Arc::new(Mutex::new(vec![]));
        let log = sent.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let Ok(mut server) = std::net::TcpStream::connect(("127.0.0.1", upstream)) else {
                    return;
                };
                let (mut client_r, mut server_w) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n) = client_r.read(&mut buf) {
                        // Logged before it is passed on: a request is in the log before the
                        // server can answer it, so the log keeps the order the requests were
                        // made in across connections.
                        log.lock().unwrap().extend_from_slice(&buf[..n]);
                        if n == 0 || server_w.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = server_w.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server, &mut client);
                    let _ = client.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Self { port, sent }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything sent so far, and forgets it.
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }

    /// The request lines (`PUT /site/www/x HTTP/1.1`) in what was sent (a request may follow
    /// a binary body on the same "line").
    fn requests(bytes: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(bytes);
        text.match_indices(" HTTP/1.1\r\n")
            .filter_map(|(end, _)| {
                let start = ["GET /", "PUT /", "POST /", "HEAD /", "DELETE /"]
                    .iter()
                    .filter_map(|m| text[..end].rfind(m))
                    .max()?;
                let line = &text[start..end + " HTTP/1.1".len()];
                (!line.contains('\n')).then(|| line.to_owned())
            })
            .collect()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts that `text` (a run's output) contains `needle`, showing the output when not.
#[track_caller]
fn has(text: &str, needle: &str) {
    assert!(text.contains(needle), "no `{needle}` in:\n{text}");
}

/// Adds a line to the roadmap page and rebuilds.
fn edit_roadmap(site: &SiteTest, line: &str) {
    let page = site.file("content/roadmap.md");
    site.write("content/roadmap.md", &format!("{page}\n\n{line}\n"));
    site.run(["build"]).succeeds();
}

/// Ports for one server, taken together while held so that no two are the same.
fn free_ports() -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..14)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn between(text: &str, open: &str, close: &str) -> String {
    let start = text.find(open).map_or(0, |i| i + open.len());
    let end = text[start..].find(close).map_or(text.len(), |i| start + i);
    text[start..end].to_owned()
}

/// The repository's own site, built.
fn built_site() -> SiteTest {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    site
}

/// The files of the built site by key (the published keys).
fn site_files(site: &SiteTest) -> BTreeMap<String, Vec<u8>> {
    site.tree("public")
}

/// The keys a run uploaded, from its plain progress lines (stderr is not a terminal here).
fn uploaded(stderr: &str) -> BTreeSet<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            l.strip_prefix("new ")
                .or_else(|| l.strip_prefix("changed "))
        })
        .map(|rest| rest.trim_start().split(' ').next().unwrap().to_owned())
        .collect()
}

fn s3_target() -> String {
    format!("s3://{BUCKET}/www")
}

/// Checks every file of the site on the bucket under `www/`: bytes, Content-Type and
/// Cache-Control from the site's manifest and the serving policy.
#[track_caller]
fn assert_bucket_holds(weed: &Weed, site: &SiteTest) {
    let manifest: serde_json::Value =
        serde_json::from_str(&site.file("public/site-manifest.json")).unwrap();
    let mut expected: BTreeMap<String, (String, String)> = manifest["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let class = s["annotations"]["cache"].as_str().unwrap();
            let cache = ancapex::policy::CacheClass::parse(class)
                .unwrap()
                .cache_control();
            (
                s["name"].as_str().unwrap().to_owned(),
                (
                    s["mediaType"].as_str().unwrap().to_owned(),
                    cache.to_owned(),
                ),
            )
        })
        .collect();
    expected.insert(
        "site-manifest.json".to_owned(),
        (
            "application/json".to_owned(),
            "public, max-age=0, must-revalidate".to_owned(),
        ),
    );
    let files = site_files(site);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the manifest lists the site"
    );
    for (key, bytes) in &files {
        let (headers, body) = weed
            .get(&format!("www/{key}"))
            .unwrap_or_else(|| panic!("`{key}` is not on the bucket"));
        assert!(body == *bytes, "`{key}`: other bytes on the bucket");
        let (media_type, cache) = &expected[key];
        assert_eq!(headers.get("content-type"), Some(media_type), "`{key}`");
        assert_eq!(headers.get("cache-control"), Some(cache), "`{key}`");
    }
}

#[test]
fn publishes_the_real_site_with_its_headers_and_a_second_publish_uploads_nothing() {
    let weed = Weed::start();
    let site = weed.env(built_site());
    let first = site.run(["publish", "--to", &s3_target()]).succeeds();
    assert_eq!(
        uploaded(&first.stderr()),
        site_files(&site).keys().cloned().collect::<BTreeSet<_>>()
    );
    has(&first.stdout(), " 0 unchanged, 0 deleted");
    assert!(!first.stderr().contains("warning"), "{}", first.stderr());
    assert_bucket_holds(&weed, &site);
    let record: serde_json::Value =
        serde_json::from_slice(&weed.get(&format!("www/{RECORD}")).unwrap().1).unwrap();
    assert_eq!(record["generation"], 1);
    assert_eq!(
        record["objects"].as_object().unwrap().len(),
        site_files(&site).len()
    );

    let listed = weed.list();
    let wire = Wire::to(weed.ports[0]);
    let site = site.env("AWS_ENDPOINT_URL", &wire.endpoint());
    let again = site.run(["publish", "--to", &s3_target()]).succeeds();
    // On the wire: no PUT but of our own record and probe.
    let puts: Vec<String> = Wire::requests(&wire.take())
        .into_iter()
        .filter(|r| r.starts_with("PUT ") && !r.contains("/.well-known/ancapex/"))
        .collect();
    assert_eq!(puts, Vec::<String>::new());
    assert_eq!(
        uploaded(&again.stderr()),
        BTreeSet::new(),
        "{}",
        again.stderr()
    );
    assert!(
        again
            .stdout()
            .contains(": 0 uploaded (0 bytes), 0 header-only updates"),
        "{}",
        again.stdout()
    );
    // Only the record was rewritten.
    let now = weed.list();
    let touched: Vec<&String> = now.keys().filter(|k| now[*k] != listed[*k]).collect();
    assert_eq!(touched, [&format!("www/{RECORD}")]);

    // Not trusting the record: listed and compared by the SHA-256 stored with each object.
    let verified = site
        .run(["publish", "--to", &s3_target(), "--verify-remote"])
        .succeeds();
    assert_eq!(uploaded(&verified.stderr()), BTreeSet::new());
}

#[test]
fn a_changed_page_sends_only_the_files_that_changed_and_lists_them_for_the_cdn() {
    let weed = Weed::start();
    let site = weed.env(built_site());
    site.run(["publish", "--to", &s3_target()]).succeeds();
    let before = site_files(&site);
    edit_roadmap(&site, "One more line.");
    let after = site_files(&site);
    let changed: BTreeSet<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(changed.contains("roadmap/index.html"), "{changed:?}");
    assert!(changed.len() < 10, "a one-page change touched {changed:?}");

    let (out, purge) = publish_for_a_purge(&site);
    assert_eq!(uploaded(&out.stderr()), changed);
    assert_bucket_holds(&weed, &site);
    let mut want: Vec<String> = changed
        .iter()
        .flat_map(|k| match k.strip_suffix("index.html") {
            Some(dir) => vec![format!("/{dir}"), format!("/{k}")],
            None => vec![format!("/{k}")],
        })
        .collect();
    want.sort();
    assert_eq!(purge, want);
}

/// Publishes to the bucket with `--invalidation-list`; the run and the list's lines.
fn publish_for_a_purge(site: &SiteTest) -> (crate::support::Outcome<'_>, Vec<String>) {
    let list = site.path("purge.txt");
    let out = site
        .run([
            "publish",
            "--to",
            &s3_target(),
            "--invalidation-list",
            list.to_str().unwrap(),
        ])
        .succeeds();
    let purge = std::fs::read_to_string(&list).unwrap();
    (out, purge.lines().map(str::to_owned).collect())
}

#[test]
fn objects_changed_on_the_bucket_by_someone_else_are_found_by_a_listing_and_repaired() {
    let weed = Weed::start();
    let site = weed.env(built_site());
    site.run(["publish", "--to", &s3_target()]).succeeds();
    // Someone else overwrites the homepage with another client and deletes a page.
    weed.put_foreign("www/index.html", "defaced");
    weed.delete_foreign("www/manifesto/index.html");
    let wire = Wire::to(weed.ports[0]);
    let site = site.env("AWS_ENDPOINT_URL", &wire.endpoint());
    let (out, purge) = publish_for_a_purge(&site);
    has(
        &out.stderr(),
        "warning: 2 files on s3://site/www were changed or removed since the last publish, not by ancapex; published them again: index.html, manifesto/index.html",
    );
    assert_eq!(
        uploaded(&out.stderr()),
        BTreeSet::from(["index.html".to_owned(), "manifesto/index.html".to_owned()])
    );
    assert_bucket_holds(&weed, &site);
    assert_eq!(
        purge,
        ["/", "/index.html", "/manifesto/", "/manifesto/index.html"]
    );
    // Cheaply: listings (one request per 1,000 keys) and a look at the one object that
    // differs, not a request per object.
    let requests = Wire::requests(&wire.take());
    let looks: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("HEAD ") && !r.contains("/.well-known/"))
        .collect();
    assert_eq!(
        looks,
        ["HEAD /site/www/index.html HTTP/1.1"],
        "{requests:#?}"
    );
    let listings = requests
        .iter()
        .filter(|r| r.starts_with("GET /site?") || r.starts_with("GET /site/?"))
        .count();
    assert!(
        (1..=2).contains(&listings),
        "{listings} listings: {requests:#?}"
    );
    // Then there is nothing to repair, and nothing said.
    let again = site.run(["publish", "--to", &s3_target()]).succeeds();
    assert_eq!(uploaded(&again.stderr()), BTreeSet::new());
    assert!(!again.stderr().contains("warning"), "{}", again.stderr());
    // A dry run says what it would repair.
    weed.put_foreign("www/index.html", "defaced again");
    let dry = site
        .run(["publish", "--to", &s3_target(), "--dry-run"])
        .succeeds();
    has(&dry.stdout(), "  changed   index.html");
    has(
        &dry.stderr(),
        "warning: 1 file on s3://site/www was changed or removed since the last publish, not by ancapex; would publish it again: index.html",
    );
}

#[test]
fn a_header_rule_change_replaces_headers_without_sending_bytes() {
    let weed = Weed::start();
    let site = weed.env(built_site());
    site.run(["publish", "--to", &s3_target()]).succeeds();
    // The policy now says the sitemap revalidates (as a new ancapex version might): the
    // manifest's cache class changes, no file's bytes do.
    let manifest = site.file("public/site-manifest.json");
    let mut value: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    for s in value["subject"].as_array_mut().unwrap() {
        if s["name"] == "sitemap.xml" {
            assert_eq!(s["annotations"]["cache"], "short");
            s["annotations"]["cache"] = "revalidate".into();
        }
    }
    let mut edited = serde_json::to_vec_pretty(&value).unwrap();
    edited.push(b'\n');
    std::fs::write(site.path("public/site-manifest.json"), edited).unwrap();

    let before = weed.get("www/sitemap.xml").unwrap();
    assert_eq!(before.0["cache-control"], "public, max-age=300");
    let wire = Wire::to(weed.ports[0]);
    let site = site.env("AWS_ENDPOINT_URL", &wire.endpoint());
    let out = site.run(["publish", "--to", &s3_target()]).succeeds();
    // On the wire: the manifest's bytes went, the sitemap's did not; the sitemap got one
    // copy onto itself.
    let sent = wire.take();
    assert!(contains(&sent, &site.bytes("public/site-manifest.json")));
    assert!(
        !contains(&sent, &before.1),
        "the sitemap's bytes were sent again"
    );
    let puts: Vec<String> = Wire::requests(&sent)
        .into_iter()
        .filter(|r| r.starts_with("PUT ") && !r.contains("/.well-known/"))
        .collect();
    assert_eq!(
        puts,
        [
            "PUT /site/www/sitemap.xml HTTP/1.1",
            "PUT /site/www/site-manifest.json HTTP/1.1"
        ]
    );
    assert!(String::from_utf8_lossy(&sent).contains("x-amz-copy-source: site/www/sitemap.xml"));
    // Only the manifest itself has new bytes.
    assert_eq!(
        uploaded(&out.stderr()),
        BTreeSet::from(["site-manifest.json".to_owned()])
    );
    has(&out.stderr(), "headers   sitemap.xml (0 bytes)");
    has(&out.stdout(), "1 header-only update,");
    let after = weed.get("www/sitemap.xml").unwrap();
    assert_eq!(
        after.0["cache-control"],
        "public, max-age=0, must-revalidate"
    );
    assert_eq!(after.0["content-type"], "application/xml; charset=utf-8");
    assert_eq!(after.1, before.1);
    // And the new headers are recorded: nothing to do next time.
    let again = site.run(["publish", "--to", &s3_target()]).succeeds();
    has(&again.stdout(), " 0 header-only updates");
}

#[test]
fn deletes_wait_for_the_new_pages_respect_the_cap_and_spare_foreign_objects() {
    let weed = Weed::start();
    let site = weed.env(built_site());
    site.run(["publish", "--to", &s3_target()]).succeeds();
    weed.put_foreign("www/keep-me.txt", "not ours");
    weed.put_foreign("elsewhere.txt", "not ours either");
    site.remove("content/first-act.md");
    // Pages linking to it would not build: drop those links.
    for page in [
        "content/_index.md",
        "content/roadmap.md",
        "content/movement.md",
    ] {
        if site.exists(page) {
            let text = site.file(page).replace("/first-act/", "/roadmap/");
            site.write(page, &text);
        }
    }
    site.run(["build"]).succeeds();
    assert!(!site.exists("public/first-act/index.html"));

    // Over the cap: nothing deleted, and said so.
    let capped = site
        .run(["publish", "--to", &s3_target(), "--max-deletes", "0"])
        .succeeds();
    has(
        &capped.stderr(),
        "warning: not deleting 1 key the site no longer has: more than --max-deletes 0",
    );
    assert!(weed.get("www/first-act/index.html").is_some());

    let dry = site
        .run(["publish", "--to", &s3_target(), "--dry-run"])
        .succeeds();
    has(&dry.stdout(), "  delete    first-act/index.html");
    assert!(weed.get("www/first-act/index.html").is_some());

    let out = site.run(["publish", "--to", &s3_target()]).succeeds();
    let stderr = out.stderr();
    let recorded = stderr
        .find("publish record written")
        .expect("the record is written");
    let deleted = stderr
        .find("deleted   first-act/index.html")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(recorded < deleted, "{stderr}");
    assert!(weed.get("www/first-act/index.html").is_none());
    assert!(
        weed.get("www/keep-me.txt").is_some(),
        "a foreign object survives"
    );
    assert!(weed.get("elsewhere.txt").is_some());
    assert_bucket_holds(&weed, &site);
}

#[test]
fn a_dry_run_changes_nothing() {
    let weed = Weed::start();
    let site = weed.env(built_site());
    let empty = site
        .run(["publish", "--to", &s3_target(), "--dry-run"])
        .succeeds();
    has(&empty.stdout(), "  new       index.html");
    has(&empty.stdout(), "would publish generation 1");
    assert!(weed.list().is_empty());
    site.run(["publish", "--to", &s3_target()]).succeeds();
    edit_roadmap(&site, "Another line.");
    let listed = weed.list();
    let out = site
        .run(["publish", "--to", &s3_target(), "--dry-run"])
        .succeeds();
    has(&out.stdout(), "  changed   roadmap/index.html");
    assert_eq!(weed.list(), listed);
}

/// Records the phase of every write, and can act on the n-th.
struct Recorder<F: Fn(usize, Phase) + Sync> {
    done: Mutex<Vec<(Phase, String)>>,
    on_done: F,
    phases: Mutex<Vec<Phase>>,
}

impl<F: Fn(usize, Phase) + Sync> Recorder<F> {
    fn new(on_done: F) -> Self {
        Self {
            done: Mutex::new(vec![]),
            on_done,
            phases: Mutex::new(vec![]),
        }
    }

    /// Every write happened in phase order.
    #[track_caller]
    fn assert_ordered(&self) {
        let done = self.done.lock().unwrap();
        assert!(
            done.windows(2).all(|w| w[0].0 <= w[1].0),
            "writes out of phase order: {done:?}"
        );
    }
}

impl<F: Fn(usize, Phase) + Sync> publish::Progress for Recorder<F> {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Phase { phase, .. } => self.phases.lock().unwrap().push(*phase),
            Event::Done { key, .. } => {
                let phase = *self.phases.lock().unwrap().last().unwrap();
                let n = {
                    let mut done = self.done.lock().unwrap();
                    done.push((phase, (*key).to_owned()));
                    done.len()
                };
                (self.on_done)(n, phase);
            }
            _ => {}
        }
    }
}

fn options(dir: &Path, target: &str, s3: publish::S3Config) -> publish::Options {
    publish::Options {
        dir: dir.to_path_buf(),
        target: publish::Target::parse(target).unwrap(),
        s3,
        mode: publish::Mode::Publish,
        limits: publish::Limits {
            max_deletes: 256,
            keep_generations: 3,
        },
        concurrency: 2,
        listing: publish::Listing::WhenNoRecord,
        // Few, short retries: a killed server fails the publish within a second or two.
        tuning: publish::Tuning {
            retries: 3,
            backoff: Duration::from_millis(100),
            timeout: Duration::from_secs(10),
        },
        invalidation_list: None,
    }
}

/// The site-local targets of `href` and `src` in an HTML page that are files (not pages);
/// the output is minified, so values may be unquoted.
fn assets_of(html: &str, base_url: &str) -> Vec<String> {
    let mut out = vec![];
    for attr in ["href=", "src="] {
        for part in html.split(attr).skip(1) {
            let url = match part.chars().next() {
                Some(q @ ('"' | '\'')) => part[1..].split(q).next().unwrap(),
                _ => part.split([' ', '>']).next().unwrap(),
            };
            let path = url.strip_prefix(base_url).unwrap_or(url);
            let Some(path) = path.strip_prefix('/') else {
                continue;
            };
            let path = path.split(['#', '?']).next().unwrap();
            let last = path.rsplit('/').next().unwrap();
            if last.contains('.') && !last.ends_with(".html") {
                out.push(path.to_owned());
            }
        }
    }
    out
}

/// Every HTML page on the bucket points only at files that are on the bucket.
#[track_caller]
fn assert_no_page_misses_an_asset(weed: &Weed) {
    let keys = weed.list();
    let mut checked = 0;
    for key in keys.keys().filter(|k| k.ends_with(".html")) {
        let html = String::from_utf8(weed.get(key).unwrap().1).unwrap();
        for asset in assets_of(&html, "https://ancapex.org") {
            assert!(
                keys.contains_key(&format!("www/{asset}")),
                "live page `{key}` points at `{asset}`, which is not on the bucket"
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} asset references checked");
}

#[test]
fn a_publish_killed_with_the_server_leaves_a_consistent_site_and_the_next_one_converges() {
    let mut weed = Weed::start();
    let site = built_site();
    let dir = site.path("public");
    publish::run(&options(&dir, &s3_target(), weed.s3()), &publish::Quiet).unwrap();

    // A new stylesheet: every page changes to point at its new fingerprinted name.
    let css = site.file("themes/ancapex/static/css/site.css");
    site.write(
        "themes/ancapex/static/css/site.css",
        &format!("{css}\n.publish-test {{ color: red; }}\n"),
    );
    site.run(["build"]).succeeds();
    let new_css = site.fingerprinted("public/css/site.css");
    let new_css = new_css.strip_prefix("public/").unwrap();
    assert!(weed.get(&format!("www/{new_css}")).is_none());

    // Killed (SIGKILL) as the first page goes out.
    let killed = Mutex::new(false);
    let pid = weed.child.as_ref().unwrap().id();
    let recorder = Recorder::new(|_, phase| {
        let mut k = killed.lock().unwrap();
        if phase == Phase::Pages && !*k {
            Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .unwrap();
            *k = true;
        }
    });
    let err = publish::run(&options(&dir, &s3_target(), weed.s3()), &recorder)
        .expect_err("the server went away mid-publish");
    assert!(
        matches!(err, ancapex::Error::Store { .. }),
        "a store error: {err}"
    );
    assert!(*killed.lock().unwrap(), "the publish reached its pages");
    recorder.assert_ordered();

    weed.restart();
    // The new stylesheet went out before any page that uses it, and every live page's assets
    // are there.
    assert!(weed.get(&format!("www/{new_css}")).is_some());
    assert_no_page_misses_an_asset(&weed);

    let recorder = Recorder::new(|_, _| {});
    let report = publish::run(&options(&dir, &s3_target(), weed.s3()), &recorder).unwrap();
    recorder.assert_ordered();
    assert!(report.uploaded > 0);
    // What the interrupted publish wrote carries our digest: not a change by someone else.
    assert_eq!(report.repaired, Vec::<String>::new());
    assert_bucket_holds(&weed, &site);
    assert_no_page_misses_an_asset(&weed);
    let again = publish::run(&options(&dir, &s3_target(), weed.s3()), &publish::Quiet).unwrap();
    assert_eq!((again.uploaded, again.header_only), (0, 0));
}

#[test]
fn of_two_publishes_at_once_the_later_record_write_loses_cleanly() {
    let weed = Weed::start();
    let site = weed.env(built_site());
    let dir = site.path("public");
    site.run(["publish", "--to", &s3_target()]).succeeds();
    edit_roadmap(&site, "Race.");

    // While this publish sends its pages, another publish of the same site runs to the end.
    let raced = Mutex::new(false);
    let recorder = Recorder::new(|_, _| {
        let mut r = raced.lock().unwrap();
        if !*r {
            *r = true;
            site.run(["publish", "--to", &s3_target()]).succeeds();
        }
    });
    let err = publish::run(&options(&dir, &s3_target(), weed.s3()), &recorder)
        .expect_err("the record changed under this publish");
    assert!(*raced.lock().unwrap());
    assert_eq!(
        err.to_string(),
        format!(
            "another publish to {} finished while this one ran: its record was kept and nothing was deleted; publish again to bring the target up to date",
            s3_target()
        )
    );
    // The winner's record stands, and the site is whole.
    let record: serde_json::Value =
        serde_json::from_slice(&weed.get(&format!("www/{RECORD}")).unwrap().1).unwrap();
    assert_eq!(record["generation"], 2);
    assert_bucket_holds(&weed, &site);
}

#[test]
fn publishes_to_a_directory_with_the_same_plan_and_warns_it_cannot_lock() {
    let site = built_site();
    let out_dir = tempfile::tempdir().unwrap();
    // A dry run makes nothing: not the folder, not its temporary folder.
    let missing = out_dir.path().join("not-yet");
    let dry = site
        .run([
            "publish",
            "--to",
            &format!("file://{}", missing.display()),
            "--dry-run",
        ])
        .succeeds();
    has(&dry.stdout(), "  new       index.html");
    assert!(!missing.exists());
    let target = format!("file://{}", out_dir.path().display());
    let cannot_lock = format!(
        "warning: {target} ignores conditional writes: two publishes running at once could both write the publish record"
    );
    // Said where it matters: in a dry run and on the first publish, not on every publish.
    let dry = site
        .run(["publish", "--to", &target, "--dry-run"])
        .succeeds();
    has(&dry.stderr(), &cannot_lock);
    assert!(tree(out_dir.path()).is_empty());
    assert!(!out_dir.path().join(".well-known").exists());
    let first = site.run(["publish", "--to", &target]).succeeds();
    has(&first.stderr(), &cannot_lock);
    let mut published = tree(out_dir.path());
    let record = published
        .remove(RECORD)
        .expect("the record is kept in the directory");
    let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
    assert_eq!(record["generation"], 1);
    published.retain(|k, _| !k.starts_with(".well-known/ancapex/"));
    crate::support::assert_same_tree(&published, &site_files(&site));

    std::fs::write(out_dir.path().join("foreign.txt"), "mine").unwrap();
    let again = site.run(["publish", "--to", &target]).succeeds();
    assert_eq!(
        uploaded(&again.stderr()),
        BTreeSet::new(),
        "{}",
        again.stderr()
    );
    assert!(!again.stderr().contains("warning"), "{}", again.stderr());

    edit_roadmap(&site, "Directory.");
    let third = site.run(["publish", "--to", &target]).succeeds();
    assert!(uploaded(&third.stderr()).contains("roadmap/index.html"));
    let mut published = tree(out_dir.path());
    assert_eq!(published.remove("foreign.txt").unwrap(), b"mine");
    published.retain(|k, _| !k.starts_with(".well-known/ancapex/"));
    crate::support::assert_same_tree(&published, &site_files(&site));
}

#[test]
fn files_changed_in_a_directory_target_by_someone_else_are_repaired() {
    let site = built_site();
    let out_dir = tempfile::tempdir().unwrap();
    let target = format!("file://{}", out_dir.path().display());
    site.run(["publish", "--to", &target]).succeeds();
    let dir = out_dir.path();
    std::fs::write(dir.join("index.html"), "defaced").unwrap();
    std::fs::remove_file(dir.join("manifesto/index.html")).unwrap();
    // The same bytes with a new modification time are not a change.
    let roadmap = std::fs::File::options()
        .write(true)
        .open(dir.join("roadmap/index.html"))
        .unwrap();
    roadmap
        .set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
        .unwrap();
    drop(roadmap);
    let out = site.run(["publish", "--to", &target]).succeeds();
    has(
        &out.stderr(),
        &format!(
            "warning: 2 files on {target} were changed or removed since the last publish, not by ancapex; published them again: index.html, manifesto/index.html"
        ),
    );
    assert_eq!(
        uploaded(&out.stderr()),
        BTreeSet::from(["index.html".to_owned(), "manifesto/index.html".to_owned()])
    );
    let mut published = tree(dir);
    published.retain(|k, _| !k.starts_with(".well-known/ancapex/"));
    crate::support::assert_same_tree(&published, &site_files(&site));
    let again = site.run(["publish", "--to", &target]).succeeds();
    assert_eq!(uploaded(&again.stderr()), BTreeSet::new());
    assert!(!again.stderr().contains("warning"), "{}", again.stderr());
}

#[test]
fn verify_passes_right_after_a_publish_to_a_directory() {
    let site = built_site();
    let out_dir = tempfile::tempdir().unwrap();
    let target = format!("file://{}", out_dir.path().display());
    site.run(["publish", "--to", &target]).succeeds();
    let dir = out_dir.path().to_str().unwrap();
    let out = site.run(["verify", dir]).succeeds();
    has(
        &out.stdout(),
        "besides the publish record `.well-known/ancapex/publish.json`",
    );
    site.run(["verify", "--rebuild", dir]).succeeds();
    // Only the record is ours: anything else under its folder is still unexpected.
    std::fs::write(out_dir.path().join(".well-known/ancapex/extra.html"), "x").unwrap();
    let out = site.run(["verify", dir]).fails_with(1);
    has(&out.stdout(), "unexpected: .well-known/ancapex/extra.html");
}

#[test]
fn a_site_that_does_not_verify_is_not_published() {
    let site = built_site();
    let out_dir = tempfile::tempdir().unwrap();
    site.write("public/index.html", "<p>edited by hand</p>");
    let target = format!("file://{}", out_dir.path().display());
    site.run(["publish", "--to", &target])
        .fails_with(2)
        .stderr_snapshot();
    assert!(tree(out_dir.path()).is_empty());
}

#[test]
fn an_unknown_target_is_refused_with_the_forms_expected() {
    let site = built_site();
    site.run(["publish", "--to", "gs://bucket"])
        .fails_with(2)
        .stderr_snapshot();
    site.run(["publish", "--to", "file://relative/path"])
        .fails_with(2);
}

#[test]
fn a_large_file_goes_up_in_parts_and_arrives_whole() {
    let weed = Weed::start();
    let site = SiteTest::repo_site();
    // 20 MB that do not compress: three parts of 8 MiB at most.
    let mut big = Vec::with_capacity(20_000_000);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while big.len() < 20_000_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::create_dir_all(site.path("static/data")).unwrap();
    std::fs::write(site.path("static/data/big.bin"), &big).unwrap();
    site.run(["build"]).succeeds();
    let wire = Wire::to(weed.ports[0]);
    let site = weed.env(site).env("AWS_ENDPOINT_URL", &wire.endpoint());
    site.run(["publish", "--to", &s3_target()]).succeeds();
    let requests = Wire::requests(&wire.take());
    let big_requests: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("/site/www/data/big.bin"))
        .collect();
    assert!(
        big_requests
            .iter()
            .any(|r| r.starts_with("POST ") && r.contains("?uploads")),
        "a multipart upload: {big_requests:?}"
    );
    let parts = big_requests
        .iter()
        .filter(|r| r.contains("partNumber="))
        .count();
    assert_eq!(parts, 3, "{big_requests:?}");
    let (headers, body) = weed.get("www/data/big.bin").unwrap();
    assert!(body == big, "the file arrived whole");
    assert_eq!(headers["content-type"], "application/octet-stream");
    let object = weed.curl(&["-I"], &format!("/{BUCKET}/www/data/big.bin")).1;
    let sha = {
        use sha2::Digest as _;
        data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&big))
    };
    assert_eq!(object.get("x-amz-meta-ancapex-sha256"), Some(&sha));
}
