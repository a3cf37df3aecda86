//! Run ledgers: the fixture run verifies and publishes its C2SP files; every kind of tampering
//! is caught at its line; the CLI round trip; `check --since` refuses rewrites; and an
//! independent Python verifier accepts our checkpoint and proof.

use crate::support::{SiteTest, git, ledger_test_key, manifest_dir, snapshot};

const LEDGER: &str = "artifacts/ledgers/demo-run";
const ENTRIES: &str = "artifacts/ledgers/demo-run/entries.jsonl";

fn fixture() -> SiteTest {
    SiteTest::fixture("ledger/site")
}

fn lines(site: &SiteTest) -> Vec<String> {
    site.file(ENTRIES).lines().map(str::to_owned).collect()
}

fn write_lines(site: &SiteTest, lines: &[String]) {
    site.write(ENTRIES, &format!("{}\n", lines.join("\n")));
}

/// Only the `error:`/`warning:` and ` --> ` lines, for runs whose lines hold fresh times.
pub(crate) fn headlines(text: &str) -> String {
    text.lines()
        .filter(|l| l.starts_with("error") || l.starts_with("warning") || l.contains(" --> "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fixture_ledger_verifies_with_a_readable_report() {
    fixture()
        .run(["ledger", "verify", "demo-run"])
        .succeeds()
        .stdout_snapshot();
}

#[test]
fn build_publishes_entries_checkpoints_tiles_and_pages() {
    let site = fixture();
    site.run(["build"]).succeeds();
    let base = "public/ledgers/demo-run";
    assert_eq!(
        site.file(&format!("{base}/entries.jsonl")),
        site.file(ENTRIES)
    );
    let newest = site.file(&format!("{base}/checkpoint"));
    let size: usize = newest.lines().nth(1).unwrap().parse().unwrap();
    assert_eq!(
        newest,
        site.file(&format!("{LEDGER}/checkpoints/{size}")),
        "the newest checkpoint is published as `checkpoint`"
    );
    assert!(
        size < lines(&site).len(),
        "the fixture has an unsigned tail"
    );
    // tlog-tiles: a partial level-0 tile and entry bundle for each checkpointed size (4 and
    // the newest), immutable like the checkpoints; no proof files (clients compute proofs
    // from the tiles).
    let headers = site.file("public/_headers");
    for n in [4, size] {
        let tile = site.bytes(&format!("{base}/tile/0/000.p/{n}"));
        assert_eq!(tile.len(), 32 * n);
        assert!(
            headers.contains(&format!(
                "/ledgers/demo-run/tile/0/000.p/{n}\n  Cache-Control: public, max-age=31536000, immutable"
            )),
            "{headers}"
        );
        let bundle = site.bytes(&format!("{base}/tile/entries/000.p/{n}"));
        let first = lines(&site)[0].clone();
        assert_eq!(
            &bundle[..2],
            &u16::try_from(first.len()).unwrap().to_be_bytes()
        );
        assert_eq!(&bundle[2..2 + first.len()], first.as_bytes());
    }
    assert!(!site.exists(&format!("{base}/proof")));
    // The run page: counts, checkpoints, open failures, the timeline with exact lines.
    let page = site.file(&format!("{base}/index.html"));
    assert!(page.contains("Open failures"), "{page}");
    assert!(page.contains("data-ledger-verify"));
    // The verifier is fingerprinted and carries its SRI value (the hashed-output tests check
    // that the value matches the bytes).
    assert!(
        page.contains("/js/ledger-verify.") && page.contains("integrity=\"sha384-"),
        "{page}"
    );
    assert!(!page.contains("style=\""), "no inline styles (strict CSP)");
    assert!(page.contains(&format!("id=\"seq-{size}\"")));
    // The excerpt page: last=5 shows the five newest entries only.
    let run = site.file("public/run/index.html");
    let n = lines(&site).len();
    assert!(run.contains(&format!("id=\"seq-{}\"", n - 1)));
    assert!(run.contains(&format!("id=\"seq-{}\"", n - 5)));
    assert!(
        !run.contains(&format!("data-seq=\"{}\" data-leaf", n - 6))
            || run.contains("ledger-type-failure")
    );
    let js = site.tree("public/js");
    assert!(
        js.keys()
            .any(|k| k.starts_with("ledger-verify.") && k.ends_with(".js")),
        "{:?}",
        js.keys()
    );
    // The artifact page has the status history from the ledger.
    let artifact = site.file("public/artifacts/demo-model/index.html");
    assert!(artifact.contains("Status history"), "{artifact}");
}

#[test]
fn excerpt_html_is_stable() {
    let site = fixture();
    site.run(["build"]).succeeds();
    let run = site.file("public/run/index.html");
    let start = run.find("<section class=\"ledger-excerpt\"").unwrap();
    let end = run[start..].find("</section>").unwrap() + start + "</section>".len();
    snapshot("excerpt", &run[start..end]);
}

#[test]
fn tampered_middle_line_fails_the_build_naming_the_line() {
    let site = fixture();
    let mut l = lines(&site);
    l[2] = l[2].replace("\"gpus\":8", "\"gpus\":16");
    assert_ne!(l[2], lines(&site)[2], "the fixture's line 3 has gpus 8");
    write_lines(&site, &l);
    site.run(["check"]).fails_with(1).stderr_snapshot();
}

#[test]
fn removed_line_fails_the_build_naming_the_line() {
    let site = fixture();
    let mut l = lines(&site);
    l.remove(3);
    write_lines(&site, &l);
    site.run(["check"]).fails_with(1).stderr_snapshot();
}

#[test]
fn swapped_lines_fail_the_build_naming_the_lines() {
    let site = fixture();
    let mut l = lines(&site);
    l.swap(3, 4);
    write_lines(&site, &l);
    site.run(["check"]).fails_with(1).stderr_snapshot();
}

#[test]
fn forged_checkpoint_signature_fails_the_build() {
    let site = fixture();
    let path = format!("{LEDGER}/checkpoints/4");
    let note = site.file(&path);
    // Claim a different root under the same signature.
    let mut text: Vec<String> = note.lines().map(str::to_owned).collect();
    text[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned();
    site.write(&path, &format!("{}\n", text.join("\n")));
    site.run(["check"]).fails_with(1).stderr_snapshot();
}

#[test]
fn checkpoint_for_a_rewritten_history_fails_the_build() {
    let site = fixture();
    // Someone with the key rewrites history from scratch (new lines, a new chain), signs it,
    // and keeps the old, already published checkpoint of size 4.
    let key_line = key_line(&site.file(&format!("{LEDGER}/ledger.toml")));
    site.run([
        "ledger",
        "init",
        "rewrite",
        "--origin",
        "ledger.example/ledgers/demo-run",
        "--key",
        &key_line,
        "--actor",
        "trainer",
        "--title",
        "Demo run",
    ])
    .succeeds();
    for text in ["a", "b", "c", "d", "e"] {
        site.append_note("rewrite", text);
    }
    site.run(["ledger", "sign", "rewrite", "--key", &ledger_test_key()])
        .succeeds();
    let dir = "artifacts/ledgers/rewrite";
    site.write(ENTRIES, &site.file(&format!("{dir}/entries.jsonl")));
    site.write(
        &format!("{LEDGER}/checkpoints/6"),
        &site.file(&format!("{dir}/checkpoints/6")),
    );
    for f in std::fs::read_dir(site.root().join(LEDGER).join("checkpoints")).unwrap() {
        let f = f.unwrap();
        let name = f.file_name().to_string_lossy().into_owned();
        if name != "4" && name != "6" {
            std::fs::remove_file(f.path()).unwrap();
        }
    }
    std::fs::remove_dir_all(site.root().join(dir)).unwrap();
    let err = site.run(["check"]).fails_with(1).stderr();
    snapshot("headlines", &headlines(&err));
}

/// Runs `ledger append demo-run --type <kind> --actor <actor> --body <body>`, expects it
/// refused (exit 1) and returns its error headlines.
fn refused_append(site: &SiteTest, kind: &str, actor: &str, body: &str) -> String {
    let out = site
        .run([
            "ledger", "append", "demo-run", "--type", kind, "--actor", actor, "--body", body,
        ])
        .fails_with(1)
        .stderr();
    headlines(&out)
}

#[test]
fn unknown_types_and_missing_fields_are_refused_by_append() {
    let site = fixture();
    let before = site.file(ENTRIES);
    snapshot(
        "unknown_type",
        &refused_append(&site, "loss.spike", "trainer", "{}"),
    );
    snapshot(
        "bad_failure",
        &refused_append(
            &site,
            "failure",
            "trainer",
            r#"{"class":"hardware","severity":"bad","step":3,"impact":"x","action":"y","failure_report":"no-such-report"}"#,
        ),
    );
    snapshot(
        "stranger",
        &refused_append(&site, "note", "stranger", r#"{"text":"hi"}"#),
    );
    assert_eq!(
        site.file(ENTRIES),
        before,
        "a refused append writes nothing"
    );
}

#[test]
fn cli_round_trip_keygen_init_append_sign_verify() {
    let site = fixture();
    let key = site.path("secret.key");
    let out = site
        .run([
            "ledger",
            "keygen",
            "--out",
            key.to_str().unwrap(),
            "--name",
            "ledger.example/ledgers/trip",
        ])
        .succeeds()
        .stdout();
    let key_line = out.lines().last().unwrap().to_owned();
    assert!(
        key_line.starts_with("ledger.example/ledgers/trip+"),
        "{out}"
    );
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("PRIVATE+KEY+ledger.example/ledgers/trip+")
    );
    site.run([
        "ledger",
        "init",
        "trip",
        "--origin",
        "ledger.example/ledgers/trip",
        "--key",
        &key_line,
    ])
    .succeeds();
    let first = site
        .run(["ledger", "sign", "trip", "--key", key.to_str().unwrap()])
        .succeeds()
        .stdout();
    assert_eq!(
        first,
        "signed artifacts/ledgers/trip/checkpoints/1 (1 entry)\n"
    );
    site.run([
        "ledger",
        "append",
        "trip",
        "--type",
        "artifact.status",
        "--body",
        r#"{"ref":"artifact:demo-model","from":null,"to":"planned"}"#,
        "--ref",
        "artifact:demo-model@0.0.0",
    ])
    .succeeds();
    let signed = site
        .run(["ledger", "sign", "trip", "--key", key.to_str().unwrap()])
        .succeeds()
        .stdout();
    assert_eq!(
        signed,
        "signed artifacts/ledgers/trip/checkpoints/2 (2 entries)\n"
    );
    let again = site
        .run(["ledger", "sign", "trip", "--key", key.to_str().unwrap()])
        .succeeds()
        .stdout();
    assert!(again.contains("already covers"), "{again}");
    site.run([
        "ledger",
        "append",
        "trip",
        "--type",
        "note",
        "--body",
        r#"{"text":"after"}"#,
    ])
    .succeeds();
    let report = site.run(["ledger", "verify", "trip"]).succeeds().stdout();
    assert!(report.contains("unsigned tail: 1 entry after"), "{report}");
    assert!(report.contains(": 3 entries\n"), "{report}");
    let text = site.file("artifacts/ledgers/trip/entries.jsonl");
    let l: Vec<&str> = text.lines().collect();
    assert_eq!(l.len(), 3);
    assert!(l[1].starts_with(r#"{"v":1,"log":"ledger.example/ledgers/trip","seq":1,"prev":""#));
    assert!(
        l[1].ends_with(r#","refs":["artifact:demo-model@0.0.0"]}"#),
        "{}",
        l[1]
    );
    assert!(!site.exists("artifacts/ledgers/trip/entries.jsonl.lock"));
    // A signing key that is not in ledger.toml is refused.
    let other = site.path("other.key");
    site.run(["ledger", "keygen", "--out", other.to_str().unwrap()])
        .succeeds();
    site.run(["ledger", "sign", "trip", "--key", other.to_str().unwrap()])
        .fails_with(2);
    site.run(["build"]).succeeds();
}

#[test]
fn check_since_refuses_edits_of_old_ledger_lines_and_allows_appends() {
    let site = fixture();
    git(&site, &["init", "-q", "-b", "main"]);
    git(&site, &["add", "."]);
    git(&site, &["commit", "-q", "-m", "ledger"]);
    site.append_note("demo-run", "appended later");
    site.run(["check", "--since", "HEAD"]).succeeds();
    // Edit the last line's text and recompute nothing: the build alone sees no chain break
    // (it is the unsigned tail's last line), but --since sees the rewrite.
    let mut l = lines(&site);
    let n = l.len();
    l[n - 2] = l[n - 2].replace("\"text\":\"", "\"text\":\"edited: ");
    l.pop();
    write_lines(&site, &l);
    let err = site
        .run(["check", "--since", "HEAD"])
        .fails_with(1)
        .stderr();
    snapshot("headlines", &headlines(&err));
    assert!(
        err.contains("is not an append-only extension of its version at `HEAD`"),
        "{err}"
    );
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "a missing python3 is reported, never a silent pass"
)]
fn independent_python_verifier_accepts_our_checkpoint_and_proof() {
    let Ok(python) = which_python() else {
        eprintln!("SKIPPED independent_python_verifier: python3 is not installed");
        return;
    };
    let site = fixture();
    let toml = site.file(&format!("{LEDGER}/ledger.toml"));
    let key = key_line(&toml);
    let script = manifest_dir().join("tests/tlog_verify.py");
    // `ledger proof` prints the C2SP tlog-proof of an entry (in the newest checkpoint: this
    // ledger names no witnesses).
    let proof = |site: &SiteTest, name: &str, seq: usize| {
        let text = site
            .run(["ledger", "proof", name, &seq.to_string()])
            .succeeds()
            .stdout();
        site.write("entry.tlog-proof", &text);
    };
    let run = |seq: usize, line: &str| {
        proof(&site, "demo-run", seq);
        site.write("line.txt", line);
        std::process::Command::new(&python)
            .arg(&script)
            .arg(&key)
            .arg(site.path("entry.tlog-proof"))
            .arg(site.path("line.txt"))
            .arg(site.path(ENTRIES))
            .output()
            .unwrap()
    };
    let l = lines(&site);
    for seq in [0, 1, 3, 8] {
        let out = run(seq, &l[seq]);
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!(
            "ok: entry {seq} is in ledger.example/ledgers/demo-run"
        )));
    }
    let altered = run(1, &l[1].replace("trainer", "trainee"));
    assert!(!altered.status.success(), "an altered line must not verify");
    let wrong_entry = run(1, &l[2]);
    assert!(!wrong_entry.status.success());
    // The unsigned tail has no proof yet.
    let err = site
        .run(["ledger", "proof", "demo-run", "9"])
        .fails_with(2)
        .stderr();
    assert!(
        err.contains(
            "no signed checkpoint of ledger `demo-run` covers seq 9: it has 13 entries, 9 signed"
        ),
        "{err}"
    );

    // The real Model Run #1 ledger and its checkpoint, signed with the real key.
    let repo = SiteTest::repo_site();
    let dir = "artifacts/ledgers/model-run-1";
    let key = key_line(&repo.file(&format!("{dir}/ledger.toml")));
    let entries = repo.file(&format!("{dir}/entries.jsonl"));
    for (seq, line) in entries.lines().enumerate() {
        proof(&repo, "model-run-1", seq);
        repo.write("line.txt", line);
        let out = std::process::Command::new(&python)
            .arg(&script)
            .arg(&key)
            .arg(repo.path("entry.tlog-proof"))
            .arg(repo.path("line.txt"))
            .arg(repo.path(&format!("{dir}/entries.jsonl")))
            .output()
            .unwrap();
        assert!(out.status.success(), "seq {seq}: {out:?}");
    }
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "a missing python3 is reported, never a silent pass"
)]
fn every_published_checkpoint_verifies_from_the_tiles_alone() {
    let Ok(python) = which_python() else {
        eprintln!(
            "SKIPPED every_published_checkpoint_verifies_from_the_tiles_alone: python3 is not installed"
        );
        return;
    };
    let script = manifest_dir().join("tests/tlog_verify.py");
    let verify = |site: &SiteTest, name: &str| {
        let key = key_line(&site.file(&format!("artifacts/ledgers/{name}/ledger.toml")));
        std::process::Command::new(&python)
            .arg(&script)
            .arg("--tiles")
            .arg(&key)
            .arg(site.path(&format!("public/ledgers/{name}")))
            .output()
            .unwrap()
    };
    // A run of 600 entries signed at sizes on both sides of full tiles: partial level-0 tiles
    // of 1, 7, 44 and 88 hashes, full ones, and partial level-1 tiles of 1 and 2.
    let site = fixture();
    let made = std::process::Command::new(&python)
        .arg(manifest_dir().join("bench/gen_ledger.py"))
        .args(["--site"])
        .arg(site.root())
        .args(["--entries", "600", "--name", "long-run"])
        .args(["--checkpoints", "1,7,256,300,512,600"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    site.run(["build"]).succeeds();
    for name in ["demo-run", "long-run"] {
        let out = verify(&site, name);
        assert!(out.status.success(), "{name}: {out:?}");
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        let checkpoints =
            std::fs::read_dir(site.path(&format!("public/ledgers/{name}/checkpoints")))
                .unwrap()
                .count();
        // Every `checkpoints/<size>` and the newest `checkpoint`.
        assert_eq!(said.lines().count(), checkpoints + 1, "{said}");
        assert!(
            said.lines().all(|l| l.starts_with("ok: checkpoint ")),
            "{said}"
        );
    }
    assert!(site.exists("public/ledgers/long-run/tile/1/000.p/1"));
    assert!(site.exists("public/ledgers/long-run/tile/0/000.p/7"));

    // The real Model Run #1 ledger.
    let repo = SiteTest::repo_site();
    repo.run(["build"]).succeeds();
    let out = verify(&repo, "model-run-1");
    assert!(out.status.success(), "{out:?}");

    // One changed byte in an older checkpoint's partial tile, and its tree no longer verifies.
    let tile = "public/ledgers/long-run/tile/0/001.p/44";
    let mut bytes = site.bytes(tile);
    bytes[5] ^= 1;
    std::fs::write(site.path(tile), bytes).unwrap();
    let out = verify(&site, "long-run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("checkpoint 300"),
        "{out:?}"
    );
}

/// The first verifier key line in a `ledger.toml`.
fn key_line(toml: &str) -> String {
    toml.lines()
        .find_map(|l| {
            l.strip_prefix("keys = [\"")
                .map(|k| k.trim_end_matches("\"]").to_owned())
        })
        .unwrap()
}

fn which_python() -> Result<String, ()> {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3".to_owned())
        .ok_or(())
}

#[test]
fn reserved_artifact_ids_are_errors() {
    let site = fixture();
    site.write(
        "artifacts/failures/artifact.toml",
        "schema  = \"ancapex.artifact/1\"\nid      = \"failures\"\nversion = \"0.0.0\"\ntitle   = \"X\"\nkind    = \"report\"\nstatus  = \"planned\"\nsummary = \"x\"\nphase   = 1\n",
    );
    let err = site.run(["check"]).fails_with(1).stderr();
    assert!(
        err.contains("error: artifact id `failures` is reserved"),
        "{err}"
    );
}

#[test]
fn ledgers_index_lists_every_run_and_links_to_it_are_valid() {
    let site = fixture();
    site.write(
        "content/runs.md",
        "+++\ntitle = \"Runs\"\n+++\nSee [every run](/ledgers/).\n",
    );
    site.run(["check"]).succeeds();
    site.run(["build"]).succeeds();
    let index = site.file("public/ledgers/index.html");
    let start = index.find("<ul class=\"post-list ledger-index\"").unwrap();
    let end = index[start..].find("</ul>").unwrap() + start + "</ul>".len();
    snapshot("ledger-index", &index[start..end]);
}

#[test]
fn a_site_without_ledgers_has_no_ledgers_index_to_link_to() {
    let site = SiteTest::init();
    site.write(
        "content/runs.md",
        "+++\ntitle = \"Runs\"\n+++\nSee [every run](/ledgers/).\n",
    );
    let out = site.run(["build"]).fails_with(1);
    assert!(out.stderr().contains("/ledgers/"), "{}", out.stderr());
    assert!(!site.path("public/ledgers/index.html").exists());
}
