//! Hashed, verifiable output: fingerprinted names and SRI values checked against the bytes
//! served (hashed here, independently of the code that named them), `_headers`, the site
//! manifest, reproducible builds and `verify`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use data_encoding::BASE64;
use sha2::{Digest as _, Sha256, Sha384};

use crate::support::{SiteTest, assert_same_tree, snapshot};

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// `name.<16 hex>.ext` -> the hex.
fn name_hash(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    let mut parts = name.rsplit('.');
    let _ext = parts.next()?;
    let hash = parts.next()?;
    (hash.len() == 16 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then_some(hash)
}

/// The attributes of every `<tag …>` in an HTML page (quoted or, minified, bare values).
fn tags(html: &str, tag: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{tag} ");
    let mut out = vec![];
    for part in html.split(&open).skip(1) {
        let inside = &part[..part.find('>').unwrap_or(part.len())];
        let mut attrs = BTreeMap::new();
        let mut rest = inside.trim();
        while !rest.is_empty() {
            let key_end = rest
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(rest.len());
            let key = rest[..key_end].to_owned();
            rest = &rest[key_end..];
            let value = if let Some(v) = rest.strip_prefix('=') {
                let (value, after) = if let Some(q @ ('"' | '\'')) = v.chars().next() {
                    let end = v[1..].find(q).map_or(v.len(), |e| e + 1);
                    (v[1..end].to_owned(), &v[(end + 1).min(v.len())..])
                } else {
                    let end = v.find(char::is_whitespace).unwrap_or(v.len());
                    (v[..end].to_owned(), &v[end..])
                };
                rest = after;
                value
            } else {
                String::new()
            };
            attrs.insert(key, value);
            rest = rest.trim_start();
        }
        out.push(attrs);
    }
    out
}

#[test]
fn every_fingerprinted_name_and_integrity_value_matches_the_served_bytes() {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    let tree = site.tree("public");
    let mut fingerprinted = 0;
    for (path, bytes) in &tree {
        if let Some(hash) = name_hash(path) {
            assert_eq!(hash, &hex(&Sha256::digest(bytes))[..16], "{path}");
            fingerprinted += 1;
        }
    }
    assert!(
        fingerprinted >= 2,
        "site.css and syntax.css are fingerprinted"
    );
    assert!(!tree.contains_key("css/site.css") && !tree.contains_key("css/syntax.css"));
    let mut checked = 0;
    for (path, bytes) in tree.iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = String::from_utf8_lossy(bytes);
        assert!(
            !html.contains("<style"),
            "{path} has an inline style element"
        );
        let links = tags(&html, "link")
            .into_iter()
            .filter(|a| a.get("rel").is_some_and(|r| r == "stylesheet"));
        let scripts = tags(&html, "script");
        for attrs in links.chain(scripts) {
            let url = attrs
                .get("href")
                .or_else(|| attrs.get("src"))
                .unwrap_or_else(|| panic!("{path}: an inline script: {attrs:?}"));
            let integrity = attrs
                .get("integrity")
                .unwrap_or_else(|| panic!("{path}: `{url}` has no integrity"));
            let served = &tree[url.trim_start_matches('/')];
            let want = format!("sha384-{}", BASE64.encode(&Sha384::digest(served)));
            assert_eq!(integrity, &want, "{path}: `{url}`");
            assert!(
                name_hash(url).is_some(),
                "{path}: `{url}` is not fingerprinted"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn changing_one_css_rule_renames_that_file_and_changes_only_the_pages_using_it() {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    let before = site.tree("public");
    let css = "themes/ancapex/static/css/site.css";
    let text = site.file(css);
    let rule = text.find('}').unwrap();
    site.write(
        css,
        &format!("{} outline: 0; {}", &text[..rule], &text[rule..]),
    );
    site.run(["build"]).succeeds();
    let after = site.tree("public");

    let gone: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    let new: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(gone[0].starts_with("css/site.") && new[0].starts_with("css/site."));
    let new_name = new[0].as_str();

    let changed: BTreeSet<&str> = before
        .iter()
        .filter(|(k, v)| after.get(*k).is_some_and(|a| a != *v))
        .map(|(k, _)| k.as_str())
        .collect();
    let referencing: BTreeSet<&str> = after
        .iter()
        .filter(|(k, v)| k.ends_with(".html") && String::from_utf8_lossy(v).contains(new_name))
        .map(|(k, _)| k.as_str())
        .collect();
    assert!(referencing.len() > 3, "{referencing:?}");
    let mut expected = referencing.clone();
    // The two files that list every name.
    expected.extend(["_headers", "site-manifest.json"]);
    assert_eq!(changed, expected);
}

#[test]
fn headers_give_fingerprinted_files_a_year_and_pages_revalidation() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    let headers = site.file("public/_headers");
    snapshot("_headers", &headers);
    assert!(!headers.contains("unsafe-inline"));
    let logo = site.fingerprinted("public/img/logo.png");
    let rule = format!(
        "/{}\n  Cache-Control: public, max-age=31536000, immutable\n",
        logo.trim_start_matches("public/")
    );
    assert!(headers.contains(&rule), "{headers}");
}

#[test]
fn the_csp_carries_the_hash_of_inline_code_that_remains() {
    let site = SiteTest::fixture("build/basic");
    // Inline scripts are the theme's (a page's markdown may carry none).
    site.write(
        "templates/inline.html",
        "<!doctype html><title>{{ page.title }}</title><script>console.log(1)</script>\n",
    );
    site.write(
        "content/inline.md",
        "+++\ntitle = \"Inline\"\ntemplate = \"inline.html\"\n+++\nA page with a script.\n",
    );
    site.run(["build"]).succeeds();
    let headers = site.file("public/_headers");
    let want = format!(
        "script-src 'self' 'sha256-{}';",
        BASE64.encode(&Sha256::digest(b"console.log(1)"))
    );
    assert!(headers.contains(&want), "{headers}");
}

/// The manifest with every digest replaced, for a snapshot of its shape.
fn redacted(manifest: &serde_json::Value) -> String {
    let mut m = manifest.clone();
    for s in m["subject"].as_array_mut().unwrap() {
        s["digest"]["sha256"] = "[SHA256]".into();
        s["annotations"]["size"] = "[SIZE]".into();
    }
    m["predicate"]["siteDigest"] = "[DIGEST]".into();
    serde_json::to_string_pretty(&m).unwrap()
}

/// RFC 6962 Merkle tree hash, written again here so the test does not trust the code under
/// test.
fn merkle(leaves: &[Vec<u8>]) -> [u8; 32] {
    if leaves.len() == 1 {
        return Sha256::new()
            .chain_update([0])
            .chain_update(&leaves[0])
            .finalize()
            .into();
    }
    let k = leaves.len().next_power_of_two() / 2;
    Sha256::new()
        .chain_update([1])
        .chain_update(merkle(&leaves[..k]))
        .chain_update(merkle(&leaves[k..]))
        .finalize()
        .into()
}

#[test]
fn the_manifest_lists_every_other_file_with_its_digest_and_the_site_digest() {
    let site = SiteTest::fixture("build/basic").env("SOURCE_DATE_EPOCH", "1700000000");
    let out = site.run(["build"]).succeeds().stdout();
    let tree = site.tree("public");
    let manifest: serde_json::Value = serde_json::from_slice(&tree["site-manifest.json"]).unwrap();
    snapshot("site-manifest", &redacted(&manifest));
    let subjects = manifest["subject"].as_array().unwrap();
    let names: Vec<&str> = subjects
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let files: Vec<&str> = tree
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "site-manifest.json")
        .collect();
    assert_eq!(names, files);
    let mut leaves = vec![];
    for s in subjects {
        let name = s["name"].as_str().unwrap();
        let sha = hex(&Sha256::digest(&tree[name]));
        assert_eq!(s["digest"]["sha256"], sha.as_str(), "{name}");
        assert_eq!(s["annotations"]["size"], tree[name].len(), "{name}");
        leaves.push(format!("{sha}  {name}\n").into_bytes());
    }
    let digest = hex(&merkle(&leaves));
    assert_eq!(manifest["predicate"]["siteDigest"], digest.as_str());
    assert!(out.contains(&format!("site digest: {digest}")), "{out}");
    assert_eq!(manifest["predicate"]["sourceDate"], "2023-11-14T22:13:20Z");
}

/// Sets every file's modification time under `dir` to a different, arbitrary moment.
fn shuffle_mtimes(dir: &std::path::Path, seed: &mut u64) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            shuffle_mtimes(&path, seed);
        } else {
            *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000 + (*seed >> 35));
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(when).unwrap();
        }
    }
}

fn digest_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("site digest: "))
        .unwrap_or_else(|| panic!("no site digest in {stdout}"))
        .to_owned()
}

#[test]
fn two_builds_in_different_folders_with_shuffled_mtimes_and_one_thread_are_identical() {
    let first = SiteTest::fixture("build/basic");
    let second = SiteTest::fixture("build/basic")
        .env("RAYON_NUM_THREADS", "1")
        .env("TZ", "Pacific/Chatham")
        .env("LC_ALL", "de_DE.UTF-8");
    shuffle_mtimes(second.root(), &mut 7);
    let a = digest_line(&first.run(["build"]).succeeds().stdout());
    let b = digest_line(&second.run(["build"]).succeeds().stdout());
    assert_eq!(a, b);
    let tree = first.tree("public");
    assert_same_tree(&tree, &second.tree("public"));
    let root = first.root().to_string_lossy().into_owned();
    for (path, bytes) in &tree {
        assert!(
            !String::from_utf8_lossy(bytes).contains(&root),
            "{path} holds the build folder"
        );
    }
}

#[test]
fn verify_names_a_changed_byte_a_deleted_file_and_an_added_file() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    let public = site.path("public");
    let verify = ["verify".as_ref(), public.as_os_str()];
    site.run(verify).succeeds().stdout_snapshot();
    let mut bytes = site.bytes("public/about/index.html");
    bytes[10] ^= 1;
    std::fs::write(site.path("public/about/index.html"), bytes).unwrap();
    site.remove("public/robots.txt");
    site.write("public/extra/new.txt", "hello");
    let out = site.run(verify).fails_with(1).stdout();
    snapshot("stdout-after", &out);
    for line in [
        "modified: about/index.html",
        "missing: robots.txt",
        "unexpected: extra/new.txt",
    ] {
        assert!(out.lines().any(|l| l == line), "{line}\n{out}");
    }
}

#[test]
fn verify_rebuild_accepts_the_sources_build_and_names_a_tampered_file() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    let public = site.path("public");
    let rebuild = ["verify".as_ref(), "--rebuild".as_ref(), public.as_os_str()];
    let ok = site.run(rebuild).succeeds().stdout();
    assert!(
        ok.starts_with("verified ") && ok.contains("a fresh build"),
        "{ok}"
    );
    // A page changed after the build.
    let page = site
        .file("public/index.html")
        .replace("</body>", "<p>x</p></body>");
    site.write("public/index.html", &page);
    site.run(["verify".as_ref(), public.as_os_str()])
        .fails_with(1);
    let out = site.run(rebuild).fails_with(1).stdout();
    assert!(out.lines().any(|l| l == "modified: index.html"), "{out}");
}

#[test]
fn verify_without_a_manifest_is_an_operational_error() {
    let site = SiteTest::fixture("build/basic");
    site.write("elsewhere/index.html", "<p>hi</p>");
    site.run(["verify".as_ref(), site.path("elsewhere").as_os_str()])
        .fails_with(2)
        .stderr_snapshot();
}

#[test]
fn unknown_asset_is_a_located_template_error_with_a_suggestion() {
    let site = SiteTest::fixture("build/basic");
    site.write(
        "templates/404.html",
        "{% set css = asset(path=\"css/sytax.css\") %}<link href=\"{{ css.url }}\">\n",
    );
    let err = site.run(["build"]).fails_with(1).stderr();
    assert!(err.contains("templates/404.html:1:"), "{err}");
    assert!(err.contains("did you mean `css/syntax.css`?"), "{err}");
}

#[test]
fn a_stylesheet_import_cycle_fails_the_build() {
    let site = SiteTest::fixture("build/basic");
    site.write("static/css/a.css", "@import 'b.css';");
    site.write("static/css/b.css", "@import url(a.css);");
    let err = site.run(["build"]).fails_with(1).stderr();
    assert!(
        err.contains(
            "stylesheets import each other in a cycle: `css/a.css` -> `css/b.css` -> `css/a.css`"
        ),
        "{err}"
    );
}

#[test]
fn a_signed_manifest_verifies_against_its_pinned_key_only() {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let other = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let site = SiteTest::fixture("build/basic");
    site.write(
        "keys/site.key",
        &pair.sk.to_box(None).unwrap().into_string(),
    );
    site.write("keys/site.pub", &pair.pk.to_box().unwrap().into_string());
    let config = site.file("site.toml");
    site.write(
        "site.toml",
        &format!("{config}\n[signing]\nkey = \"keys/site.key\"\n"),
    );
    let built = site.run(["build"]).succeeds().stdout();
    assert!(site.exists("public/site-manifest.json.minisig"));
    let digest = digest_line(&built).replace("site digest: ", "");

    let public = site.path("public");
    let pinned = |key: &str| {
        vec![
            "verify".to_owned(),
            public.to_string_lossy().into_owned(),
            "--key".to_owned(),
            key.to_owned(),
        ]
    };
    let file = site.path("keys/site.pub").to_string_lossy().into_owned();
    let out = site.run(pinned(&file)).succeeds().stdout();
    assert!(
        out.contains(&format!("signature: good (site digest {digest})")),
        "{out}"
    );
    site.run(pinned(&pair.pk.to_base64())).succeeds();
    // Checking digests needs no key, and the rebuild is not signed.
    site.run(["verify".as_ref(), "--rebuild".as_ref(), public.as_os_str()])
        .succeeds();

    let out = site
        .run(pinned(&other.pk.to_base64()))
        .fails_with(1)
        .stdout();
    assert!(out.contains("signature: bad: "), "{out}");
    site.run(pinned("not a key")).fails_with(2);
    site.remove("public/site-manifest.json.minisig");
    let out = site.run(pinned(&file)).fails_with(1).stdout();
    assert!(
        out.contains("signature: missing: no site-manifest.json.minisig"),
        "{out}"
    );
}

#[test]
fn a_signing_key_from_the_environment_wins_and_a_broken_one_stops_the_build() {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let key = pair.sk.to_box(None).unwrap().into_string();
    let site = SiteTest::fixture("build/basic").env("ANCAPEX_SIGNING_KEY", &key);
    site.run(["build"]).succeeds();
    let public = site.path("public");
    let b64 = pair.pk.to_base64();
    site.run([
        "verify".as_ref(),
        public.as_os_str(),
        "--key".as_ref(),
        b64.as_ref(),
    ])
    .succeeds();
    let broken = SiteTest::fixture("build/basic").env("ANCAPEX_SIGNING_KEY", "nonsense");
    let err = broken.run(["build"]).fails_with(2).stderr();
    assert!(
        err.starts_with("error: `ANCAPEX_SIGNING_KEY` does not hold a minisign secret key"),
        "{err}"
    );
    assert!(!broken.exists("public"));
}

#[test]
fn content_addressed_artifact_files_are_cached_forever() {
    let site = SiteTest::fixture("build/artifacts");
    site.run(["build"]).succeeds();
    let headers = site.file("public/_headers");
    let tree = site.tree("public");
    let files: Vec<&String> = tree.keys().filter(|k| k.contains("/files/")).collect();
    assert!(!files.is_empty());
    for path in files {
        let sha = path.split('/').nth(3).unwrap();
        assert_eq!(sha, hex(&Sha256::digest(&tree[path])), "{path}");
        let rule = format!("/{path}\n  Cache-Control: public, max-age=31536000, immutable\n");
        assert!(headers.contains(&rule), "{path}");
    }
}

#[test]
fn verify_notices_a_manifest_whose_digest_was_edited() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    let manifest = site.file("public/site-manifest.json");
    let digest = manifest.split("\"siteDigest\": \"").nth(1).unwrap()[..64].to_owned();
    let forged = "0".repeat(64);
    site.write(
        "public/site-manifest.json",
        &manifest.replace(&digest, &forged),
    );
    let public = site.path("public");
    let out = site
        .run(["verify".as_ref(), public.as_os_str()])
        .fails_with(1)
        .stdout();
    assert!(
        out.lines()
            .any(|l| l
                == "edited: site-manifest.json: its site digest is not the one its files give"),
        "{out}"
    );
}
