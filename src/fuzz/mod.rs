//! Entry points for `scripts/fuzz` and for the tests that replay what it found: one function
//! per parser of untrusted text, taking the fuzzer's bytes. Not an API: they follow the
//! parsers wherever those go.
//!
//! Each one checks the invariants of untrusted input besides "no panic, no abort" (which the
//! fuzzer sees for itself): a record, report or page never makes the build read a file outside
//! the site, and a build never writes outside its output folder. A broken invariant panics, so
//! that the fuzzer keeps the input.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::artifact::ArtifactFile;
use crate::config::{Config, Overrides};
use crate::diagnostic::SourceText;
use crate::failure::FailureFile;
use crate::ledger::LedgerFiles;

/// What a secret outside the site holds: no output may ever contain it.
const CANARY: &str = "ANCAPEX-FUZZ-CANARY-outside-the-site";

/// A site folder for the whole run, beside a folder outside it that holds a secret.
struct Playground {
    root: PathBuf,
    outside: PathBuf,
    _dir: tempfile::TempDir,
}

/// The prefix of a playground's folder, before the process id that owns it.
const PLAYGROUND_PREFIX: &str = "ancapex-fuzz-";

fn playground() -> &'static Playground {
    static PLAYGROUND: OnceLock<Playground> = OnceLock::new();
    PLAYGROUND.get_or_init(|| {
        let temp = std::env::temp_dir();
        remove_abandoned(&temp);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PLAYGROUND_PREFIX}{}-", std::process::id()))
            .tempdir_in(&temp)
            .expect("a temp folder");
        let base = dir.path().canonicalize().expect("a canonical temp folder");
        let root = base.join("site");
        let outside = base.join("outside");
        for (path, text) in [
            (outside.join("secret.txt"), CANARY),
            (outside.join("artifact.toml"), CANARY),
            (root.join("artifacts/a/data.txt"), "data\n"),
            (root.join("artifacts/failures/evidence.txt"), "evidence\n"),
        ] {
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
            std::fs::write(&path, text).expect("a file");
        }
        Playground {
            root,
            outside,
            _dir: dir,
        }
    })
}

/// Removes the playgrounds of processes that have ended. The playground lives as long as the
/// process, in a static that is never dropped, and libFuzzer's forked children end by `exit()`
/// or a signal: each run of `cargo test` or of a fuzz child used to leave its folder behind.
fn remove_abandoned(temp: &std::path::Path) {
    // Whether a process has ended is read from /proc; without it, nothing is removed.
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PLAYGROUND_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Front matter, TOML or YAML as the fences say, then the page's URL parts.
pub fn front_matter(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let source = SourceText::new("content/page.md", text);
    if let Ok(split) = crate::front_matter::split(text) {
        let _ = crate::front_matter::parse(&source, &split);
    }
}

/// `site.toml`.
pub fn site_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let play = playground();
    if let Ok(config) = crate::config::parse(&play.root, text, &Overrides::default()) {
        assert!(
            config.output_dir.starts_with(&play.root),
            "site.toml put the output outside the site: {}",
            config.output_dir.display()
        );
    }
}

/// A theme's `theme.toml`.
pub fn theme_toml(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Some(config) = config() else { return };
    let source = SourceText::new("themes/t/theme.toml", text);
    let mut diagnostics = crate::diagnostic::Diagnostics::new();
    let _ = crate::theme::syntax_css(config, Some(&source), &mut diagnostics);
}

/// An artifact record, `artifacts/a/artifact.toml`, in a folder holding one file.
pub fn artifact_record(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let play = playground();
    let folder = play.root.join("artifacts/a");
    let file = ArtifactFile {
        dir: "a".to_owned(),
        folder: folder.clone(),
        source: SourceText::new("artifacts/a/artifact.toml", text),
        card: None,
    };
    let (artifacts, _) = crate::artifact::registry(&[file]);
    for a in &artifacts {
        for real in a.file_paths.iter().flatten() {
            assert!(
                real.starts_with(&folder),
                "a record read a file outside its folder: {}",
                real.display()
            );
        }
    }
}

/// A failure report, `artifacts/failures/r.md`, beside one evidence file.
pub fn failure_report(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let play = playground();
    let folder = play.root.join("artifacts/failures");
    let file = FailureFile {
        stem: "r".to_owned(),
        folder: folder.clone(),
        source: SourceText::new("artifacts/failures/r.md", text),
    };
    let (reports, _) = crate::failure::reports(
        &[file],
        &[],
        &Vec::<crate::ledger::Ledger>::new(),
        crate::config::Drafts::Include,
        &crate::cache::Digests::none(),
    );
    for r in &reports {
        for e in &r.evidence {
            if let Some(path) = &e.file {
                assert!(
                    path.starts_with(&folder),
                    "a report read evidence outside its folder: {}",
                    path.display()
                );
            }
        }
    }
}

/// The configuration of the real Model Run #1 ledger, so that fuzzed entries and checkpoints
/// are checked against a real key.
const LEDGER_TOML: &str = include_str!("../../artifacts/ledgers/model-run-1/ledger.toml");
/// Its entries, the start of a fuzzed checkpoint's tree.
const LEDGER_ENTRIES: &str = include_str!("../../artifacts/ledgers/model-run-1/entries.jsonl");

fn check_ledger(entries: &str, checkpoints: Vec<(String, Arc<SourceText>)>) {
    let files = LedgerFiles {
        name: "model-run-1".to_owned(),
        config: Some(SourceText::new(
            "artifacts/ledgers/model-run-1/ledger.toml",
            LEDGER_TOML,
        )),
        entries: Some(SourceText::new(
            "artifacts/ledgers/model-run-1/entries.jsonl",
            entries,
        )),
        checkpoints,
    };
    let none = std::collections::BTreeSet::new();
    let known = crate::ledger::Known {
        failure_reports: &none,
        artifacts: &none,
    };
    let (ledger, _) = crate::ledger::verify(&files, &known);
    if let Some(ledger) = ledger {
        // What a valid ledger publishes: its files, each entry's proof.
        let _ = ledger.published();
    }
}

/// A run ledger's `entries.jsonl`.
pub fn ledger_entries(data: &[u8]) {
    let Some(text) = text(data) else { return };
    check_ledger(text, vec![]);
}

/// A checkpoint of a run ledger, against the real entries.
pub fn checkpoint(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = crate::ledger::checkpoint::Checkpoint::parse(text);
    let source = SourceText::new("artifacts/ledgers/model-run-1/checkpoints/7", text);
    check_ledger(LEDGER_ENTRIES, vec![("7".to_owned(), source)]);
}

/// A C2SP tlog-proof file.
pub fn tlog_proof(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = crate::ledger::proof::parse(text);
}

fn config() -> Option<&'static Config> {
    static CONFIG: OnceLock<Option<Config>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            crate::config::parse(
                &playground().root,
                "title = \"Fuzz\"\nbase_url = \"https://example.org\"\n",
                &Overrides::default(),
            )
            .ok()
        })
        .as_ref()
}

/// A page with shortcodes, built into a whole site with the built-in theme: the build may
/// fail, but it writes only inside its output folder, and nothing it publishes holds what is
/// outside the site.
pub fn markdown(data: &[u8]) {
    // One site on disk: one build at a time (tests run in parallel).
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    markdown_in("pages", data);
}

/// The sites `markdown_in` builds, each in a folder of the playground.
const SITES: [&str; 2] = ["pages", "checked"];

fn markdown_in(folder: &str, data: &[u8]) {
    let play = playground();
    let site = play.root.join(folder);
    let page = site.join("content/page.md");
    std::fs::create_dir_all(page.parent().expect("a parent")).expect("a folder");
    std::fs::write(
        site.join("site.toml"),
        "title = \"Fuzz\"\nbase_url = \"https://example.org\"\ntheme = \"ancapex\"\n",
    )
    .expect("site.toml");
    std::fs::write(&page, data).expect("the page");
    // A failed build leaves the last good output in place, which an earlier input made (and
    // was checked for): only a build that wrote is checked for what it wrote.
    let wrote = crate::pipeline::build(&site, &Overrides::default())
        .is_ok_and(|report| report.written.is_some());
    let output = site.join("public");
    for entry in walkdir::WalkDir::new(play.root.parent().expect("the playground")) {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        if !entry.file_type().is_file() {
            continue;
        }
        let ours = path == page
            || path == site.join("site.toml")
            || path.starts_with(&output)
            // The build cache holds what the outputs are made of, and keeps the bodies of
            // earlier inputs, so it is not checked for the secret (the outputs are).
            || path.starts_with(site.join(crate::cache::DEFAULT_DIR))
            || path.starts_with(crate::layout::artifacts(&play.root))
            || SITES
                .iter()
                .any(|other| *other != folder && path.starts_with(play.root.join(other)))
            || path.starts_with(&play.outside);
        assert!(ours, "the build wrote `{}`", path.display());
        // The fuzzer learns the secret from the comparison below and writes it into pages:
        // only an output that holds it when the page does not is a leak.
        if wrote && path.starts_with(&output) && !contains(data, CANARY.as_bytes()) {
            let bytes = std::fs::read(path).unwrap_or_default();
            assert!(
                !contains(&bytes, CANARY.as_bytes()),
                "`{}` holds a file from outside the site",
                path.display()
            );
        }
    }
    assert_outside_untouched(&play.outside);
}

fn assert_outside_untouched(outside: &Path) {
    for name in ["secret.txt", "artifact.toml"] {
        let text = std::fs::read_to_string(outside.join(name)).unwrap_or_default();
        assert_eq!(text, CANARY, "the build changed `{name}` outside the site");
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A fuzz target: the fuzzer's bytes in, a panic on a broken invariant.
pub type Target = fn(&[u8]);

/// Every target by name, for `scripts/fuzz` and the replay of its findings.
pub const TARGETS: &[(&str, Target)] = &[
    ("front_matter", front_matter),
    ("markdown", markdown),
    ("artifact_record", artifact_record),
    ("failure_report", failure_report),
    ("ledger_entries", ledger_entries),
    ("checkpoint", checkpoint),
    ("tlog_proof", tlog_proof),
    ("site_toml", site_toml),
    ("theme_toml", theme_toml),
];

#[cfg(test)]
mod tests {
    use super::PLAYGROUND_PREFIX;

    #[test]
    fn playgrounds_of_ended_processes_are_removed_and_no_other_folder() {
        let temp = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            let path = temp.path().join(name);
            std::fs::create_dir_all(path.join("site")).unwrap();
            path
        };
        let ended = make(&format!("{PLAYGROUND_PREFIX}4294967294-abc"));
        let mine = make(&format!("{PLAYGROUND_PREFIX}{}-abc", std::process::id()));
        let init = make(&format!("{PLAYGROUND_PREFIX}1-abc"));
        let other = make("ancapex-fuzz-notapid");
        let unrelated = make("something-else");
        super::remove_abandoned(temp.path());
        assert!(!ended.exists());
        for kept in [mine, init, other, unrelated] {
            assert!(kept.exists(), "{}", kept.display());
        }
    }
    /// Every seed and every input the fuzzer ever found (`fuzz/seeds/<target>/`,
    /// `fuzz/regressions/<target>/`), through its target: no panic, no abort, the invariants
    /// hold.
    #[test]
    fn every_seed_and_past_finding_passes_its_target() {
        let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut replayed = 0;
        for (name, target) in super::TARGETS {
            for folder in ["seeds", "regressions"] {
                let Ok(files) = std::fs::read_dir(fuzz.join(folder).join(name)) else {
                    continue;
                };
                for file in files {
                    let path = file.unwrap().path();
                    target(&std::fs::read(&path).unwrap());
                    replayed += 1;
                }
            }
        }
        assert!(
            replayed >= super::TARGETS.len(),
            "only {replayed} inputs replayed"
        );
    }

    #[test]
    fn the_markdown_target_really_builds_the_page() {
        super::markdown_in(
            "checked",
            b"+++\ntitle = \"T\"\n+++\nhello from the fuzz page\n",
        );
        let page = super::playground()
            .root
            .join("checked/public/page/index.html");
        let html = std::fs::read_to_string(page).unwrap();
        assert!(html.contains("hello from the fuzz page"), "{html}");
    }

    #[test]
    fn a_failed_build_after_a_page_that_held_the_secret_is_not_a_leak() {
        // The first page holds the secret and builds; the second fails, leaving the first's
        // output in place, which is not the second's doing.
        let page = format!("+++\ntitle = \"T\"\n+++\n{}\n", super::CANARY);
        super::markdown_in("checked", page.as_bytes());
        super::markdown_in("checked", b"+++\ntitle = 5\n+++\n");
    }
}
