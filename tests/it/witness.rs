//! Witnessed run ledgers: three witnesses with a quorum of two co-sign the fixture ledger's
//! checkpoints with `ledger cosign`, the build verifies their cosignatures against the
//! ledger's `[policy]` and publishes them, a tampered cosignature fails the build, a witness
//! refuses a rollback and a fork, and `ledger monitor` watches the site published on loopback
//! and raises an alarm on a rollback, a fork, a tampered cosignature, tile or entry.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::publish::Weed;
use crate::support::{SiteTest, copy_dir};

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

/// The fixture with another history, signed by the log's own key: its first 6 entries are
/// the fixture's, then 9 others, so its checkpoint 15 is larger than any of the fixture's (9,
/// and 13 once its last entries are signed) and extends none of them.
fn forked() -> SiteTest {
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
    for i in 0..9 {
        fork.append_note("demo-run", &format!("another history {i}"));
    }
    fork.sign_ledger("demo-run");
    fork
}

/// `note` with one character of witness w2's signature changed (after its key id and time).
fn tamper_w2(note: &str) -> String {
    let line = note
        .lines()
        .find(|l| l.starts_with("\u{2014} witness.example/w2 "))
        .unwrap();
    let sig = line.rsplit(' ').next().unwrap();
    let flipped = if &sig[40..41] == "A" { "B" } else { "A" };
    let tampered = line.replace(sig, &format!("{}{flipped}{}", &sig[..40], &sig[41..]));
    note.replace(line, &tampered)
}

/// The fixture under a policy of three witnesses with a quorum of two, its newest checkpoint
/// co-signed by the first two; their keys, and states, are in `own`. Returns the site, the
/// two witnesses' keys and states, and the log's key.
fn witnessed(own: &Path) -> (SiteTest, [(PathBuf, PathBuf); 2], String) {
    let site = fixture();
    let (k1, v1) = witness(&site, own, 1);
    let (k2, v2) = witness(&site, own, 2);
    let (_, v3) = witness(&site, own, 3);
    set_policy(
        &site,
        &[("compute-a", &v1), ("evaluator-b", &v2), ("partner-c", &v3)],
        "2",
    );
    let log = log_key(&site);
    let ws = [(k1, own.join("state-1")), (k2, own.join("state-2"))];
    for (key, state) in &ws {
        cosign(&site, &site.path(LEDGER), key, state, Some(&log)).succeeds();
    }
    (site, ws, log)
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
    // And in every excerpt of the ledger on a page, for the newest checkpoint.
    let run = site.file("public/run/index.html");
    let excerpt = &run[run.find("class=\"ledger-excerpt-witnesses\"").unwrap()..];
    let excerpt = &excerpt[..excerpt.find("</p>").unwrap()];
    assert!(
        excerpt.contains(">Checkpoint 9 is witnessed: co-signed by compute-a (<time datetime=\""),
        "{excerpt}"
    );
    assert!(excerpt.contains("), evaluator-b (<time"), "{excerpt}");
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
    site.write(&format!("{LEDGER}/checkpoints/9"), &tamper_w2(&note));
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

    // A fork: the log's key signs another history (see `forked`).
    let fork = forked();
    let forked = fork.path(LEDGER);
    let err = cosign(&fork, &forked, &k1, &state, None)
        .fails_with(2)
        .stderr();
    assert!(
        err.contains("refused: fork: checkpoint 15 of `ledger.example/ledgers/demo-run` does not extend checkpoint 9, which this witness co-signed"),
        "{err}"
    );
    assert!(
        !fork
            .file(&format!("{LEDGER}/checkpoints/15"))
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

/// Runs `ledger monitor URL --state STATE` with the site's policy and, if given, the log key.
fn monitor<'a>(
    site: &'a SiteTest,
    url: &str,
    state: &Path,
    log_key: Option<&str>,
) -> crate::support::Outcome<'a> {
    let mut args = vec![
        "ledger".to_owned(),
        "monitor".to_owned(),
        url.to_owned(),
        "--state".to_owned(),
        state.to_string_lossy().into_owned(),
        "--policy".to_owned(),
        site.path(&format!("{LEDGER}/ledger.toml"))
            .to_string_lossy()
            .into_owned(),
    ];
    if let Some(k) = log_key {
        args.extend(["--log-key".to_owned(), k.to_owned()]);
    }
    site.run(args)
}

/// The issue's whole story on loopback: the witnesses co-sign, the lab builds and publishes to
/// S3, a monitor watches the bucket's public URL as the ledger grows; then the lab publishes a
/// rollback and then a forked history, and each is refused by `cosign` and reported by
/// `monitor`.
#[test]
fn a_published_ledger_is_monitored_and_its_rollback_and_fork_are_caught() {
    let own = tempfile::tempdir().unwrap();
    let (site, ws, log) = witnessed(own.path());
    let weed = Weed::start();
    let site = weed.env(site);
    let publish = |site: &SiteTest| {
        site.run(["build"]).succeeds();
        site.run(["publish", "--to", "s3://site/www"]).succeeds();
    };
    publish(&site);
    let url = format!("{}/site/www/ledgers/demo-run/", weed.endpoint());
    let state = own.path().join("monitor");
    let seen = monitor(&site, &url, &state, Some(&log)).succeeds().stdout();
    assert_eq!(
        seen,
        "ok: checkpoint 9 of `ledger.example/ledgers/demo-run` (first seen): its signature, every entry and 2 tiles verified; witnessed by compute-a, evaluator-b (quorum 2)\n"
    );

    // The ledger grows: its last four entries are signed and co-signed; the monitor follows.
    site.sign_ledger("demo-run");
    for (key, state) in &ws {
        cosign(&site, &site.path(LEDGER), key, state, None).succeeds();
    }
    publish(&site);
    let seen = monitor(&site, &url, &state, None).succeeds().stdout();
    assert!(
        seen.starts_with("ok: checkpoint 13 of `ledger.example/ledgers/demo-run` (it extends checkpoint 9, seen before)"),
        "{seen}"
    );

    // A rollback: the lab publishes the site without its newest checkpoint.
    let newest = site.file(&format!("{LEDGER}/checkpoints/13"));
    site.remove(&format!("{LEDGER}/checkpoints/13"));
    let refused = cosign(&site, &site.path(LEDGER), &ws[0].0, &ws[0].1, None)
        .fails_with(2)
        .stderr();
    assert!(
        refused.contains("refused: rollback: checkpoint 9 of `ledger.example/ledgers/demo-run` is older than checkpoint 13"),
        "{refused}"
    );
    publish(&site);
    let alarm = monitor(&site, &url, &state, None).fails_with(2).stderr();
    assert!(
        alarm.contains("alarm: rollback: checkpoint 9 of `ledger.example/ledgers/demo-run` is older than checkpoint 13, which this monitor saw before"),
        "{alarm}"
    );
    site.write(&format!("{LEDGER}/checkpoints/13"), &newest);

    // A fork: the log's key signs another history, published in place of the first.
    let fork = weed.env(forked());
    let refused = cosign(&fork, &fork.path(LEDGER), &ws[0].0, &ws[0].1, None)
        .fails_with(2)
        .stderr();
    assert!(
        refused.contains("refused: fork: checkpoint 15 of `ledger.example/ledgers/demo-run` does not extend checkpoint 13"),
        "{refused}"
    );
    publish(&fork);
    let alarm = monitor(&site, &url, &state, None).fails_with(2).stderr();
    assert!(
        alarm.contains("alarm: fork: checkpoint 15 of `ledger.example/ledgers/demo-run` does not extend checkpoint 13, which this monitor saw before; its first 13 entries are another history"),
        "{alarm}"
    );
    // The alarms left the monitor's memory as it was: the lab's true site is still checkpoint
    // 13 to it.
    publish(&site);
    let seen = monitor(&site, &url, &state, None).succeeds().stdout();
    assert!(
        seen.contains(
            "ok: checkpoint 13 of `ledger.example/ledgers/demo-run` (the one seen before)"
        ),
        "{seen}"
    );
}

/// The fixture ledger's URL on a server of `root`.
fn serve(root: PathBuf) -> String {
    format!("{}/ledgers/demo-run/", crate::support::serve_dir(root))
}

/// What no honest publish makes, served by hand: a tampered cosignature, a tile that is not
/// what the entries give, and entries that do not give the checkpoint. Each is an alarm, and
/// none moves the monitor's memory.
#[test]
fn a_monitor_reports_a_tampered_cosignature_a_bad_tile_and_entries_that_do_not_match() {
    let own = tempfile::tempdir().unwrap();
    let (site, _, log) = witnessed(own.path());
    site.run(["build"]).succeeds();
    let live = own.path().join("live");
    copy_dir(&site.path("public"), &live);
    let url = serve(live.clone());
    let state = own.path().join("monitor");
    monitor(&site, &url, &state, Some(&log)).succeeds();
    let alarm = |path: &str, bytes: &[u8], expected: &str| {
        let file = live.join("ledgers/demo-run").join(path);
        let served = std::fs::read(&file).unwrap();
        std::fs::write(&file, bytes).unwrap();
        let err = monitor(&site, &url, &state, None).fails_with(2).stderr();
        assert!(err.contains(expected), "{err}");
        std::fs::write(&file, served).unwrap();
    };
    let note = site.file("public/ledgers/demo-run/checkpoint");
    alarm(
        "checkpoint",
        tamper_w2(&note).as_bytes(),
        "alarm: the cosignature of witness `evaluator-b` does not verify",
    );
    let mut tile = std::fs::read(live.join("ledgers/demo-run/tile/0/000.p/9")).unwrap();
    tile[0] ^= 1;
    alarm(
        "tile/0/000.p/9",
        &tile,
        "alarm: tile `tile/0/000.p/9` of checkpoint 9 is not what the entries give",
    );
    let entries = site.file("public/ledgers/demo-run/entries.jsonl");
    alarm(
        "entries.jsonl",
        entries.replacen("trainer", "trainee", 1).as_bytes(),
        "alarm: the published entries do not give checkpoint 9: its first lines do not give the checkpoint's root",
    );
    // Nothing above moved its memory, and the honest site still verifies.
    let seen = monitor(&site, &url, &state, None).succeeds().stdout();
    assert!(
        seen.contains(
            "ok: checkpoint 9 of `ledger.example/ledgers/demo-run` (the one seen before)"
        ),
        "{seen}"
    );
}

/// `ledger proof` proves an entry against the newest checkpoint its witnesses co-signed, and
/// the proof's checkpoint note carries their cosignature lines, as C2SP tlog-proof allows; an
/// entry that only a newer, unwitnessed checkpoint holds is proved against that one, said so.
#[test]
fn an_offline_proof_carries_the_cosignatures_of_the_newest_witnessed_checkpoint() {
    let own = tempfile::tempdir().unwrap();
    let (site, _, _) = witnessed(own.path());
    // Checkpoint 13 signs the last four entries; no witness has co-signed it yet.
    site.sign_ledger("demo-run");
    let proof = |seq: &str| site.run(["ledger", "proof", "demo-run", seq]).succeeds();

    let three = proof("3");
    let nine = site.file(&format!("{LEDGER}/checkpoints/9"));
    assert!(
        three.stdout().ends_with(&format!("\n\n{nine}")),
        "the proof ends with checkpoint 9's note:\n{}",
        three.stdout()
    );
    assert_eq!(nine.matches("\n\u{2014} witness.example/w").count(), 2);
    // (The fixture's two pending failures are warned about after it.)
    assert_eq!(
        three.stderr().lines().next(),
        Some("against checkpoint 9, witnessed by compute-a, evaluator-b (quorum 2)")
    );

    let ten = proof("10");
    let thirteen = site.file(&format!("{LEDGER}/checkpoints/13"));
    assert!(ten.stdout().ends_with(&format!("\n\n{thirteen}")));
    assert_eq!(
        ten.stderr().lines().next(),
        Some(
            "against checkpoint 13, not yet witnessed (0 of a quorum of 2): no witnessed checkpoint holds entry 10 yet"
        )
    );
}

/// A published record whose claim leans on entry `seq` of the fixture ledger.
fn claim_on(site: &SiteTest, evidence: &str) {
    site.write("artifacts/demo-claim/a.txt", "");
    site.write(
        "artifacts/demo-claim/artifact.toml",
        &format!(
            r#"schema  = "ancapex.artifact/1"
id      = "demo-claim"
version = "1.0.0"
title   = "Demo claim"
kind    = "model"
status  = "published"
summary = "a claim on the demo run"
claim   = "the demo run reached its target"
license = "CC-BY-4.0"

[[authors]]
name = "R"
role = "reviewer"

[[files]]
path   = "a.txt"
sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
size   = 0
role   = "primary"

[acceptance]
criteria = [{{ text = "the run's entry shows it", evidence = [{evidence}] }}]
"#
        ),
    );
}

/// The badge of the demo claim, from its JSON mirror.
fn badge(site: &SiteTest) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&site.file("public/artifacts/demo-claim/artifact.json")).unwrap();
    json["badge"].as_str().unwrap().to_owned()
}

/// Once a policy names witnesses, a claim is supported by ledger evidence only when a
/// witnessed checkpoint holds the entry, unless the policy says `unwitnessed_evidence = true`;
/// unsigned evidence never supports one; an unknown run or entry is an error.
#[test]
fn ledger_evidence_supports_a_claim_only_once_witnessed() {
    let site = fixture();
    let own = tempfile::tempdir().unwrap();
    let (_, v1) = witness(&site, own.path(), 1);
    let (_, v2) = witness(&site, own.path(), 2);
    set_policy(&site, &[("compute-a", &v1), ("evaluator-b", &v2)], "2");

    // Signed in checkpoint 9, which no witness has co-signed.
    claim_on(&site, r#""ledger:demo-run#3""#);
    let out = site.run(["build"]).succeeds().stderr();
    assert!(
        out.contains("warning: evidence `ledger:demo-run#3` is not witnessed yet"),
        "{out}"
    );
    assert!(
        out.contains("no checkpoint that holds it has 2 cosignatures (at most 0): the claim shows as unproven"),
        "{out}"
    );
    assert_eq!(badge(&site), "unproven");
    let page = site.file("public/artifacts/demo-claim/index.html");
    assert!(
        page.contains(r#"<a href="/ledgers/demo-run/#seq-3"><code>ledger:demo-run#3</code></a> <span class="evidence-pending">(not witnessed yet: it does not support the claim)</span>"#),
        "{page}"
    );

    // The policy lets unwitnessed evidence count.
    let toml = site.file(&format!("{LEDGER}/ledger.toml"));
    site.write(
        &format!("{LEDGER}/ledger.toml"),
        &toml.replace("quorum = 2", "quorum = 2\nunwitnessed_evidence = true"),
    );
    let out = site.run(["build"]).succeeds().stderr();
    assert!(!out.contains("evidence `ledger:"), "{out}");
    assert_eq!(badge(&site), "supported");
    site.write(&format!("{LEDGER}/ledger.toml"), &toml);

    // Two witnesses co-sign checkpoint 9: the claim is supported.
    let log = log_key(&site);
    for n in [1, 2] {
        let key = own.path().join(format!("w{n}.key"));
        let state = own.path().join(format!("state-{n}"));
        cosign(&site, &site.path(LEDGER), &key, &state, Some(&log)).succeeds();
    }
    let out = site.run(["build"]).succeeds().stderr();
    assert!(!out.contains("evidence `ledger:"), "{out}");
    assert_eq!(badge(&site), "supported");
    let page = site.file("public/artifacts/demo-claim/index.html");
    assert!(!page.contains("evidence-pending"), "{page}");

    // An entry in the unsigned tail supports nothing, witnesses or not.
    claim_on(&site, r#""ledger:demo-run#11""#);
    let out = site.run(["build"]).succeeds().stderr();
    assert!(
        out.contains("warning: evidence `ledger:demo-run#11` is not signed yet"),
        "{out}"
    );
    assert_eq!(badge(&site), "unproven");

    // An unknown run and a missing entry are errors, at the evidence.
    claim_on(&site, r#""ledger:demo-runs#3", "ledger:demo-run#13""#);
    let err = site.run(["build"]).fails_with(1).stderr();
    assert!(err.contains("error: unknown run `demo-runs`"), "{err}");
    assert!(err.contains("did you mean `demo-run`?"), "{err}");
    assert!(
        err.contains("error: dangling ledger evidence `ledger:demo-run#13`"),
        "{err}"
    );
    assert!(
        err.contains("ledger `demo-run` has 13 entries, numbered from 0"),
        "{err}"
    );
    assert!(
        err.contains("artifacts/demo-claim/artifact.toml:22:62"),
        "{err}"
    );
}
