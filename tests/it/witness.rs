//! Witnessed run ledgers: three witnesses with a quorum of two co-sign the fixture ledger's
//! checkpoints with `ledger cosign`, the build verifies their cosignatures against the
//! ledger's `[policy]` and publishes them, a tampered cosignature fails the build, and a
//! witness refuses a rollback and a fork.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::support::{SiteTest, copy_dir, manifest_dir};

const LEDGER: &str = "artifacts/ledgers/demo-run";

fn fixture() -> SiteTest {
    SiteTest::fixture("ledger/site")
}

/// The fixture ledger's own key line, from its ledger.toml.
fn log_key(site: &SiteTest) -> String {
    let toml = site.file(&format!("{LEDGER}/ledger.toml"));
    let start = toml.find("keys = [\"").unwrap() + "keys = [\"".len();
    toml[start..start + toml[start..].find('"').unwrap()].to_owned()
}

/// Makes witness `n`'s key outside the site (a witness keeps its own); its file and verifier
/// key line.
fn witness(site: &SiteTest, dir: &Path, n: u8) -> (PathBuf, String) {
    let key = dir.join(format!("w{n}.key"));
    let out = site
        .run([
            "ledger",
            "keygen",
            "--witness",
            "--out",
            key.to_str().unwrap(),
            "--name",
            &format!("witness.example/w{n}"),
        ])
        .succeeds()
        .stdout();
    assert!(out.contains("witness verifier key"), "{out}");
    (key, out.lines().last().unwrap().to_owned())
}

fn set_policy(site: &SiteTest, witnesses: &[(&str, &str)], quorum: &str) {
    let mut toml = site.file(&format!("{LEDGER}/ledger.toml"));
    toml.push_str("\n[policy]\nwitnesses = [\n");
    for (name, key) in witnesses {
        let _ = writeln!(toml, "  {{ name = \"{name}\", key = \"{key}\" }},");
    }
    let _ = writeln!(toml, "]\nquorum = {quorum}");
    site.write(&format!("{LEDGER}/ledger.toml"), &toml);
}

fn cosign<'a>(
    site: &'a SiteTest,
    ledger: &Path,
    key: &Path,
    state: &Path,
    log_key: Option<&str>,
) -> crate::support::Outcome<'a> {
    let mut args = vec![
        "ledger".to_owned(),
        "cosign".to_owned(),
        ledger.to_string_lossy().into_owned(),
        "--key".to_owned(),
        key.to_string_lossy().into_owned(),
        "--state".to_owned(),
        state.to_string_lossy().into_owned(),
    ];
    if let Some(k) = log_key {
        args.extend(["--log-key".to_owned(), k.to_owned()]);
    }
    site.run(args)
}

#[test]
fn three_witnesses_with_a_quorum_of_two_cosign_and_the_build_verifies_them() {
    let site = fixture();
    let own = tempfile::tempdir().unwrap();
    let (k1, v1) = witness(&site, own.path(), 1);
    let (k2, v2) = witness(&site, own.path(), 2);
    let (_, v3) = witness(&site, own.path(), 3);
    set_policy(
        &site,
        &[("compute-a", &v1), ("evaluator-b", &v2), ("partner-c", &v3)],
        "2",
    );
    // Before any cosignature the ledger builds: its checkpoints are not yet witnessed.
    site.run(["build"]).succeeds();
    let ledger = site.path(LEDGER);
    let log = log_key(&site);
    let (s1, s2) = (own.path().join("state-1"), own.path().join("state-2"));
    let first = cosign(&site, &ledger, &k1, &s1, Some(&log))
        .succeeds()
        .stdout();
    assert_eq!(
        first,
        "co-signed checkpoint 9 of `ledger.example/ledgers/demo-run` as `witness.example/w1` (first checkpoint co-signed for this log); wrote [ROOT]/artifacts/ledgers/demo-run/checkpoints/9\n"
    );
    cosign(&site, &ledger, &k2, &s2, Some(&log)).succeeds();
    // The state remembers the log's key, and a witness that co-signs again replaces its line.
    let again = cosign(&site, &ledger, &k1, &s1, None).succeeds().stdout();
    assert!(
        again.contains("it extends checkpoint 9, the last co-signed"),
        "{again}"
    );
    let note = site.file(&format!("{LEDGER}/checkpoints/9"));
    assert_eq!(
        note.matches("\u{2014} witness.example/w1 ").count(),
        1,
        "{note}"
    );
    assert_eq!(
        note.matches("\u{2014} witness.example/w2 ").count(),
        1,
        "{note}"
    );
    assert!(
        note.starts_with("ledger.example/ledgers/demo-run\n9\n"),
        "{note}"
    );

    site.run(["build"]).succeeds();
    // Visitors see who witnessed each checkpoint and when, and which are not yet witnessed.
    let page = site.file("public/ledgers/demo-run/index.html");
    assert!(
        page.contains("2 of 3 must co-sign a checkpoint: compute-a"),
        "{page}"
    );
    let nine = &page[page.find("checkpoints/9").unwrap()..];
    let nine = &nine[..nine.find("</li>").unwrap()];
    assert!(nine.contains(">witnessed</span>"), "{nine}");
    // In the policy's order, with the time each co-signed.
    assert!(
        nine.contains("Co-signed by compute-a (<time datetime=\""),
        "{nine}"
    );
    assert!(nine.contains("), evaluator-b (<time"), "{nine}");
    let four = &page[page.find("checkpoints/4").unwrap()..];
    let four = &four[..four.find("</li>").unwrap()];
    assert!(
        four.contains(">not yet witnessed</span> (0 of 2 cosignatures)"),
        "{four}"
    );
    let published = site.file("public/ledgers/demo-run/checkpoint");
    assert_eq!(
        published, note,
        "the checkpoint is published with its cosignatures"
    );
    let report = site
        .run(["ledger", "verify", "demo-run"])
        .succeeds()
        .stdout();
    assert!(report.contains("9 entries"), "{report}");

    // One character of w2's signature changed (after its key id and time): the build fails
    // at its line.
    let line = note
        .lines()
        .find(|l| l.starts_with("\u{2014} witness.example/w2 "))
        .unwrap();
    let sig = line.rsplit(' ').next().unwrap();
    let flipped = if &sig[40..41] == "A" { "B" } else { "A" };
    let tampered = line.replace(sig, &format!("{}{flipped}{}", &sig[..40], &sig[41..]));
    site.replace(&format!("{LEDGER}/checkpoints/9"), line, &tampered);
    let err = site.run(["build"]).fails_with(1).stderr();
    assert!(
        err.contains("error: the cosignature of witness `evaluator-b` does not verify"),
        "{err}"
    );
    // The log signs at line 5, w2 co-signed next, and w1 again last.
    assert!(
        err.contains(&format!("{LEDGER}/checkpoints/9:6:1")),
        "{err}"
    );
}

#[test]
fn a_witness_refuses_a_rollback_a_fork_and_another_log_key() {
    let site = fixture();
    let own = tempfile::tempdir().unwrap();
    let (k1, _) = witness(&site, own.path(), 1);
    let state = own.path().join("state");
    let log = log_key(&site);
    let ledger = site.path(LEDGER);
    // Without the log's key the first time, it refuses to guess.
    let err = cosign(&site, &ledger, &k1, &state, None)
        .fails_with(2)
        .stderr();
    assert!(
        err.contains("has not co-signed log `ledger.example/ledgers/demo-run` before"),
        "{err}"
    );
    cosign(&site, &ledger, &k1, &state, Some(&log)).succeeds();

    // A rollback: the same log shown without its newest checkpoint.
    let old = own.path().join("old");
    copy_dir(&ledger, &old);
    std::fs::remove_file(old.join("checkpoints/9")).unwrap();
    let err = cosign(&site, &old, &k1, &state, None)
        .fails_with(2)
        .stderr();
    assert!(
        err.contains("refused: rollback: checkpoint 4 of `ledger.example/ledgers/demo-run` is older than checkpoint 9, which this witness co-signed"),
        "{err}"
    );

    // A fork: the log's key signs another history of 11 entries whose first 9 are not the
    // ones co-signed (the last 7 lines replaced).
    let fork = fixture();
    let entries: Vec<String> = fork
        .file(&format!("{LEDGER}/entries.jsonl"))
        .lines()
        .take(6)
        .map(str::to_owned)
        .collect();
    fork.write(
        &format!("{LEDGER}/entries.jsonl"),
        &format!("{}\n", entries.join("\n")),
    );
    fork.remove(&format!("{LEDGER}/checkpoints/9"));
    for i in 0..5 {
        fork.run([
            "ledger",
            "append",
            "demo-run",
            "--type",
            "note",
            "--actor",
            "trainer",
            "--body",
            &format!(r#"{{"text":"another history {i}"}}"#),
        ])
        .succeeds();
    }
    let key = manifest_dir().join("tests/fixtures/ledger/TEST-ONLY.key");
    fork.run(["ledger", "sign", "demo-run", "--key", key.to_str().unwrap()])
        .succeeds();
    let forked = fork.path(LEDGER);
    let err = cosign(&fork, &forked, &k1, &state, None)
        .fails_with(2)
        .stderr();
    assert!(
        err.contains("refused: fork: checkpoint 11 of `ledger.example/ledgers/demo-run` does not extend checkpoint 9, which this witness co-signed"),
        "{err}"
    );
    assert!(
        !fork
            .file(&format!("{LEDGER}/checkpoints/11"))
            .contains("witness.example/w1")
    );

    // Another key for the same log is refused, whatever it signs.
    let (_, stranger) = witness(&site, own.path(), 9);
    let other_log = stranger.replace("witness.example/w9", "ledger.example/ledgers/demo-run");
    let err = cosign(&site, &ledger, &k1, &state, Some(&other_log))
        .fails_with(2)
        .stderr();
    assert!(
        err.contains("refused: `--log-key` is not the key this witness trusts"),
        "{err}"
    );
    // Nothing was refused silently: the state still holds checkpoint 9.
    cosign(&site, &ledger, &k1, &state, None).succeeds();
}

#[cfg(unix)]
#[test]
fn a_link_planted_in_the_ledger_folder_is_not_written_through() {
    let site = fixture();
    let own = tempfile::tempdir().unwrap();
    let (k1, _) = witness(&site, own.path(), 1);
    let precious = own.path().join("precious");
    std::fs::write(&precious, "the witness's own file\n").unwrap();
    let ledger = site.path(LEDGER);
    std::os::unix::fs::symlink(&precious, ledger.join("checkpoints/9.replacing-tmp")).unwrap();
    cosign(
        &site,
        &ledger,
        &k1,
        &own.path().join("state"),
        Some(&log_key(&site)),
    )
    .succeeds();
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "the witness's own file\n"
    );
    assert!(
        site.file(&format!("{LEDGER}/checkpoints/9"))
            .contains("witness.example/w1")
    );
}
