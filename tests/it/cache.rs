//! The build cache across processes: every build with it writes what a build without it
//! (`--no-cache`) writes, after any edits; a cache that is truncated, corrupt, of another
//! format or another build of the tool, or missing a pack, is ignored with one warning; two
//! builds at once leave it whole; `cache clean` empties it.

use std::path::Path;

use sha2::Digest as _;

use crate::serve::{RandomEdit, apply, random_edit};
use crate::support::{SiteTest, tree};

/// The cache's folder in a site.
const CACHE: &str = ".ancapex/cache";

/// A build with the cache into `out`, and one without it into a fresh `clean`: both end the
/// same way, and, when they succeed, write the same files; when they fail, they report the
/// same problems. Returns the first's stderr.
#[track_caller]
fn same_as_clean(site: &SiteTest, out: &Path, clean: &Path, step: &str) -> String {
    let cached = site.run(["build", "--output-dir", out.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(clean);
    let fresh = site.run([
        "build",
        "--no-cache",
        "--output-dir",
        clean.to_str().unwrap(),
    ]);
    assert_eq!(cached.code(), fresh.code(), "{step}: {}", cached.stderr());
    if cached.code() != Some(0) {
        assert_eq!(cached.stderr(), fresh.stderr(), "{step}");
        return cached.stderr();
    }
    let cached = cached.stderr();
    let (a, b) = (tree(out), tree(clean));
    assert!(!a.is_empty(), "{step}: nothing built");
    if a != b {
        let differ: Vec<&String> = a
            .keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .collect();
        panic!("{step}: with the cache, these differ from a clean build: {differ:?}");
    }
    cached
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(6))]

    /// The manner of serve's equivalence test, with a fresh process for every build.
    #[test]
    fn any_edit_sequence_builds_with_the_cache_what_a_clean_build_does(
        edits in proptest::collection::vec(random_edit(), 1..8)
    ) {
        let site = SiteTest::fixture("build/basic");
        let outside = tempfile::tempdir().unwrap();
        let out = outside.path().join("public");
        let clean = outside.path().join("clean");
        same_as_clean(&site, &out, &clean, "first build");
        for (i, edit) in edits.iter().enumerate() {
            apply(site.root(), edit);
            let stderr = same_as_clean(&site, &out, &clean, &format!("edit {i}: {edit:?}"));
            proptest::prop_assert!(!stderr.contains("cache"), "{}", stderr);
            // Nothing changed since: everything is kept, and still the same.
            same_as_clean(&site, &out, &clean, &format!("again after edit {i}"));
        }
    }
}

#[test]
fn an_edit_of_a_body_renders_only_what_shows_it_and_keeps_the_rest() {
    let site = SiteTest::fixture("build/basic");
    let outside = tempfile::tempdir().unwrap();
    let (out, clean) = (outside.path().join("public"), outside.path().join("clean"));
    same_as_clean(&site, &out, &clean, "first build");
    let before = tree(&out);
    let inode = |rel: &str| {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata(out.join(rel)).unwrap().ino()
    };
    let kept = "about/index.html";
    let ino = inode(kept);
    apply(site.root(), &RandomEdit::Body(0, 7));
    same_as_clean(&site, &out, &clean, "a body edited");
    let after = tree(&out);
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed
            .iter()
            .any(|p| p.as_str() == "blog/first/index.html"),
        "{changed:?}"
    );
    // Another page is the file the last build left: kept, not written again.
    assert_eq!(inode(kept), ino);
}

/// A change made to an output folder by hand.
type Change = fn(&Path);

#[test]
fn an_output_changed_since_the_last_build_is_brought_back_with_nothing_else_changed() {
    let site = SiteTest::fixture("build/basic");
    let outside = tempfile::tempdir().unwrap();
    let (out, clean) = (outside.path().join("public"), outside.path().join("clean"));
    same_as_clean(&site, &out, &clean, "first build");
    let changes: [(&str, Change); 4] = [
        ("a file added", |out| {
            std::fs::write(out.join("extra.html"), "extra").unwrap();
        }),
        ("a file changed", |out| {
            std::fs::write(out.join("about/index.html"), "changed").unwrap();
        }),
        ("a file removed", |out| {
            std::fs::remove_file(out.join("about/index.html")).unwrap();
        }),
        ("a file replaced by a link", |out| {
            std::fs::remove_file(out.join("about/index.html")).unwrap();
            std::os::unix::fs::symlink(out.join("index.html"), out.join("about/index.html"))
                .unwrap();
        }),
    ];
    for (what, change) in changes {
        change(&out);
        let stderr = same_as_clean(&site, &out, &clean, what);
        assert!(!stderr.contains("cache"), "{what}: {stderr}");
        let meta = std::fs::symlink_metadata(out.join("about/index.html")).unwrap();
        assert!(meta.is_file(), "{what}");
    }
}

#[test]
fn a_cache_committed_to_the_repository_is_not_used() {
    let site = SiteTest::fixture("build/basic");
    let outside = tempfile::tempdir().unwrap();
    let (out, clean) = (outside.path().join("public"), outside.path().join("clean"));
    same_as_clean(&site, &out, &clean, "first build");
    crate::support::git(&site, &["init", "-q", "-b", "main"]);
    crate::support::git(&site, &["add", "-f", "."]);
    crate::support::git(&site, &["commit", "-q", "-m", "with a cache"]);
    apply(site.root(), &RandomEdit::Body(1, 3));
    let stderr = same_as_clean(&site, &out, &clean, "committed cache");
    assert!(
        stderr.contains(
            "warning: the build cache is not used: `.ancapex/cache` holds files committed to \
             the repository"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.matches("build cache").count(), 1, "{stderr}");
    // Taken out of the repository, it is used again.
    crate::support::git(&site, &["rm", "-r", "-q", "--cached", ".ancapex/cache"]);
    let stderr = same_as_clean(&site, &out, &clean, "the cache untracked");
    assert!(!stderr.contains("cache"), "{stderr}");
}

/// A cache made by one build, then spoilt by `spoil` (given the cache's folder): the next build
/// warns once, in these words, and still builds what a clean build does; the one after that
/// finds the new cache whole.
fn spoilt(spoil: impl Fn(&Path), why: &str) {
    let site = SiteTest::fixture("build/basic");
    let outside = tempfile::tempdir().unwrap();
    let (out, clean) = (outside.path().join("public"), outside.path().join("clean"));
    same_as_clean(&site, &out, &clean, "first build");
    apply(site.root(), &RandomEdit::Body(1, 3));
    spoil(&site.root().join(CACHE));
    let stderr = same_as_clean(&site, &out, &clean, "spoilt cache");
    assert_eq!(stderr.matches("build cache").count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            &format!(
                "warning: the build cache in `{}` is ignored: ",
                site.root().join(CACHE).display()
            )
            .replace(&*site.root().to_string_lossy(), "[ROOT]")
        ),
        "{stderr}"
    );
    assert!(stderr.contains(why), "{stderr}");
    let stderr = same_as_clean(&site, &out, &clean, "the cache made again");
    assert!(!stderr.contains("cache"), "{stderr}");
}

fn packs(cache: &Path) -> Vec<std::path::PathBuf> {
    let mut packs: Vec<_> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    packs.sort();
    assert!(!packs.is_empty());
    packs
}

#[test]
fn a_truncated_cache_file_is_ignored_with_a_warning() {
    spoilt(
        |cache| {
            let pack = &packs(cache)[0];
            let bytes = std::fs::read(pack).unwrap();
            std::fs::write(pack, &bytes[..bytes.len() / 2]).unwrap();
        },
        "is not the file its index names",
    );
    spoilt(
        |cache| {
            let index = cache.join("index");
            let bytes = std::fs::read(&index).unwrap();
            std::fs::write(&index, &bytes[..bytes.len() - 1]).unwrap();
        },
        "its index is truncated or corrupt",
    );
}

#[cfg(unix)]
#[test]
fn a_cache_file_that_is_a_link_is_ignored_with_a_warning_even_to_the_same_bytes() {
    // A checkout can hold the cache's folder: a link in it could lead anywhere. One to a copy
    // of the very bytes it replaces, outside the site, is still not read.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.pack");
    spoilt(
        |cache| {
            let pack = &packs(cache)[0];
            std::fs::copy(pack, &copy).unwrap();
            std::fs::remove_file(pack).unwrap();
            std::os::unix::fs::symlink(&copy, pack).unwrap();
        },
        "which its index names, is not a plain file",
    );
    let index = elsewhere.path().join("index");
    spoilt(
        |cache| {
            std::fs::copy(cache.join("index"), &index).unwrap();
            std::fs::remove_file(cache.join("index")).unwrap();
            std::os::unix::fs::symlink(&index, cache.join("index")).unwrap();
        },
        "its index is not a plain file",
    );
}

#[test]
fn a_flipped_byte_in_the_cache_is_ignored_with_a_warning() {
    spoilt(
        |cache| {
            let index = cache.join("index");
            let mut bytes = std::fs::read(&index).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x01;
            std::fs::write(&index, bytes).unwrap();
        },
        "its index is truncated or corrupt (its checksum does not match)",
    );
}

/// The index rewritten with its format (bytes 8 to 12) or the name of the tool that wrote it
/// (a length from byte 12, then the text) replaced, and a checksum that matches.
fn rewrite_index(cache: &Path, format: Option<u32>, identity: Option<&str>) {
    let index = cache.join("index");
    let bytes = std::fs::read(&index).unwrap();
    let body = &bytes[..bytes.len() - 32];
    let len = usize::try_from(u64::from_le_bytes(body[12..20].try_into().unwrap())).unwrap();
    let mut out = body[..8].to_vec();
    match format {
        Some(f) => out.extend_from_slice(&f.to_le_bytes()),
        None => out.extend_from_slice(&body[8..12]),
    }
    let identity = identity.map_or_else(|| body[20..20 + len].to_vec(), |i| i.as_bytes().to_vec());
    out.extend_from_slice(&(identity.len() as u64).to_le_bytes());
    out.extend_from_slice(&identity);
    out.extend_from_slice(&body[20 + len..]);
    let sum = sha2::Sha256::digest(&out);
    out.extend_from_slice(&sum);
    std::fs::write(&index, out).unwrap();
}

#[test]
fn a_cache_of_an_older_format_is_ignored_with_a_warning() {
    spoilt(
        |cache| rewrite_index(cache, Some(0), None),
        "its index is in format 0, and this version of ancapex reads format 4",
    );
}

#[test]
fn a_cache_of_another_version_is_ignored_with_a_warning() {
    spoilt(
        |cache| rewrite_index(cache, None, Some("ancapex 0.0.1 0123")),
        "its index was written by another build of ancapex (`ancapex 0.0.1 0123`",
    );
}

#[test]
fn a_cache_missing_entries_is_ignored_with_a_warning() {
    spoilt(
        |cache| {
            for pack in packs(cache) {
                if pack
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("bodies-")
                {
                    std::fs::remove_file(pack).unwrap();
                }
            }
        },
        "which its index names, is missing",
    );
}

#[test]
fn a_file_that_is_not_a_cache_is_ignored_with_one_warning() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    std::fs::write(site.root().join(CACHE).join("index"), b"not a cache").unwrap();
    let stderr = site.run(["build"]).succeeds().stderr();
    assert_eq!(
        stderr.matches("warning: the build cache").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("its index is truncated"), "{stderr}");
}

#[test]
fn two_builds_at_once_leave_a_cache_that_reads_back_whole() {
    let site = SiteTest::fixture("build/basic");
    let outside = tempfile::tempdir().unwrap();
    let clean = outside.path().join("clean");
    for round in 0..3u16 {
        apply(site.root(), &RandomEdit::Body(usize::from(round), round));
        let outs: Vec<_> = (0..2)
            .map(|i| outside.path().join(format!("out{i}")))
            .collect();
        let handles: Vec<_> = outs
            .iter()
            .map(|out| {
                std::process::Command::new(env!("CARGO_BIN_EXE_ancapex"))
                    .args([
                        "--root",
                        site.root().to_str().unwrap(),
                        "build",
                        "--output-dir",
                    ])
                    .arg(out)
                    .env("NO_COLOR", "1")
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for h in handles {
            let out = h.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stderr = same_as_clean(&site, &outs[0], &clean, &format!("round {round}"));
        assert!(!stderr.contains("cache"), "round {round}: {stderr}");
    }
}

#[test]
fn cache_clean_empties_the_cache_and_no_cache_writes_none() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build", "--no-cache"]).succeeds();
    assert!(!site.root().join(".ancapex").exists());
    site.run(["build"]).succeeds();
    assert!(site.root().join(CACHE).join("index").is_file());
    let stdout = site.run(["cache", "clean"]).succeeds().stdout();
    assert!(
        stdout.starts_with("emptied the build cache in [ROOT]/.ancapex/cache ("),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(site.root().join(CACHE)).unwrap().count(),
        0
    );
    let elsewhere = tempfile::tempdir().unwrap();
    site.run(["build", "--cache-dir", elsewhere.path().to_str().unwrap()])
        .succeeds();
    assert!(elsewhere.path().join("index").is_file());
}

#[test]
fn a_cache_folder_that_is_a_link_is_not_used() {
    let site = SiteTest::fixture("build/basic");
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), site.root().join(".ancapex")).unwrap();
    let stderr = site.run(["build"]).succeeds().stderr();
    assert!(
        stderr.contains("warning: the build cache is not used: `.ancapex` is a link"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

#[test]
fn the_cache_settings_in_site_toml_are_used() {
    let site = SiteTest::fixture("build/basic");
    let toml = site.file("site.toml");
    site.write(
        "site.toml",
        &format!("{toml}\n[cache]\ndir = \"cache-here\"\nmax_mib = 64\n"),
    );
    site.run(["build"]).succeeds();
    assert!(site.root().join("cache-here/index").is_file());
    site.write("site.toml", &format!("{toml}\n[cache]\ndir = \"../out\"\n"));
    let stderr = site.run(["build"]).fails_with(2).stderr();
    assert!(
        stderr.contains("`dir` `../out` climbs out of the site with `..`"),
        "{stderr}"
    );
}

/// Sets the file's modification time to `then`.
fn set_time(path: &Path, then: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(then)
        .unwrap();
}

#[test]
fn an_evidence_digest_is_reused_while_the_file_is_as_it_was_and_rehash_hashes_again() {
    let site = SiteTest::fixture("build/artifacts");
    let evidence = site
        .root()
        .join("artifacts/published-eval/runs/scores.json");
    // A minute back: the digest of a file modified in the last two seconds is not kept.
    let a_minute_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    set_time(&evidence, a_minute_ago);
    site.run(["build"]).succeeds();
    // Other bytes of the same length, written in place, the time set back: the file's identity
    // is what it was, which is what the cache trusts (README, "What the cache trusts").
    let text = std::fs::read(&evidence).unwrap();
    let mut other = text.clone();
    other[0] = if other[0] == b' ' { b'\n' } else { b' ' };
    std::fs::write(&evidence, &other).unwrap();
    set_time(&evidence, a_minute_ago);
    site.run(["build"]).succeeds();
    // `--rehash` hashes it again and finds it changed; so does any other change of identity.
    let stderr = site.run(["build", "--rehash"]).fails_with(1).stderr();
    assert!(
        stderr.contains("SHA-256 of `runs/scores.json` does not match the record"),
        "{stderr}"
    );
    std::fs::write(&evidence, &other).unwrap();
    let stderr = site.run(["build"]).fails_with(1).stderr();
    assert!(stderr.contains("does not match the record"), "{stderr}");
}

#[test]
fn a_failure_reports_evidence_digest_is_reused_as_an_artifacts_is() {
    let site = SiteTest::fixture("failures/valid");
    let evidence = site.root().join("artifacts/failures/loss-spike/loss.csv");
    let a_minute_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    set_time(&evidence, a_minute_ago);
    site.run(["build"]).succeeds();
    // Other bytes of the same length in place, the time set back: the digest kept is taken.
    let mut other = std::fs::read(&evidence).unwrap();
    other[0] = if other[0] == b'x' { b'y' } else { b'x' };
    std::fs::write(&evidence, &other).unwrap();
    set_time(&evidence, a_minute_ago);
    site.run(["build"]).succeeds();
    let mismatch = "SHA-256 of evidence `loss-spike/loss.csv` does not match the report";
    let stderr = site.run(["build", "--rehash"]).fails_with(1).stderr();
    assert!(stderr.contains(mismatch), "{stderr}");
    let stderr = site.run(["build", "--no-cache"]).fails_with(1).stderr();
    assert!(stderr.contains(mismatch), "{stderr}");
}

#[test]
fn serve_starts_warm_from_the_cache_and_serves_what_a_clean_build_writes() {
    let site = SiteTest::fixture("build/basic");
    let outside = tempfile::tempdir().unwrap();
    // In this process: the cache is of the tool that wrote it, here the test's own executable.
    let overrides = ancapex::config::Overrides {
        base_url: Some(crate::serve::BASE.to_owned()),
        output_dir: Some(outside.path().join("built")),
        ..ancapex::config::Overrides::default()
    };
    ancapex::pipeline::build(site.root(), &overrides).unwrap();
    let bodies = |cache: &Path| {
        packs(cache)
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("bodies-")
            })
            .collect::<Vec<_>>()
    };
    let before = bodies(&site.root().join(CACHE));
    let (mut session, _) = crate::serve::start(site.root());
    // Every body it could keep was taken from the cache: none was added to it.
    assert_eq!(bodies(&site.root().join(CACHE)), before);
    let out = outside.path().join("full");
    crate::serve::assert_same(&session, site.root(), &out, "a warm start");
    let touched = apply(site.root(), &RandomEdit::Body(2, 9));
    session.update(&touched).unwrap();
    crate::serve::assert_same(&session, site.root(), &out, "an edit after a warm start");
}

#[test]
fn cache_clean_removes_the_caches_files_and_nothing_else() {
    // An operator's `--cache-dir` that names a folder of theirs by mistake loses nothing.
    let site = SiteTest::fixture("build/basic");
    let theirs = tempfile::tempdir().unwrap();
    std::fs::write(theirs.path().join("notes.txt"), "mine").unwrap();
    std::fs::create_dir(theirs.path().join("photos")).unwrap();
    std::fs::write(theirs.path().join("photos/a.jpg"), "jpeg").unwrap();
    let dir = theirs.path().to_str().unwrap();
    site.run(["build", "--cache-dir", dir]).succeeds();
    assert!(theirs.path().join("index").is_file());
    site.run(["cache", "clean", "--cache-dir", dir]).succeeds();
    let mut left: Vec<String> = std::fs::read_dir(theirs.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["notes.txt", "photos"]);
    assert_eq!(
        std::fs::read_to_string(theirs.path().join("photos/a.jpg")).unwrap(),
        "jpeg"
    );
}

#[test]
fn a_cache_folder_among_the_sites_sources_is_refused_at_its_place() {
    let site = SiteTest::fixture("build/basic");
    let toml = site.file("site.toml");
    for (dir, why) in [
        ("content", "is inside `content/`, one of the site's sources"),
        (
            "static/cache",
            "is inside `static/`, one of the site's sources",
        ),
        (".", "is the site's folder itself"),
        ("public/cache", "shares its folder with the output"),
    ] {
        site.write("site.toml", &format!("{toml}\n[cache]\ndir = \"{dir}\"\n"));
        // A problem of `site.toml`, as for every setting: exit 2.
        let stderr = site.run(["build"]).fails_with(2).stderr();
        assert!(
            stderr.contains(&format!("error: `dir` `{dir}` {why}")),
            "{dir}: {stderr}"
        );
        assert!(stderr.contains("--> site.toml:"), "{dir}: {stderr}");
    }
}
