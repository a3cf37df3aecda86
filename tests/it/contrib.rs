//! What contributors use besides `build`: `check` reports for machines (JSON, GitHub
//! annotations).

use crate::support::{SiteTest, git};

#[test]
fn check_format_json_is_one_document_on_stdout() {
    let site = SiteTest::fixture("invalid/several_mistakes");
    let out = site
        .run(["check", "--format", "json"])
        .fails_with(1)
        .stdout_snapshot();
    assert_eq!(out.stderr(), "");
    let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    assert_eq!(v["errors"], 3);
}

#[test]
fn check_format_github_annotates_each_problem_and_keeps_the_human_report() {
    let site = SiteTest::fixture("invalid/several_mistakes");
    let human = site.run(["check"]).fails_with(1).stderr();
    let out = site
        .run(["check", "--format", "github"])
        .fails_with(1)
        .stdout_snapshot();
    assert_eq!(out.stderr(), human);
}

#[test]
fn check_format_github_reports_warnings_as_warnings() {
    SiteTest::fixture("invalid/broken_link_as_warning")
        .run(["check", "--format", "github"])
        .succeeds()
        .stdout_snapshot();
}

#[test]
fn check_format_json_on_a_clean_site_has_no_diagnostics() {
    let site = SiteTest::fixture("build/basic");
    let out = site.run(["check", "--format", "json"]).succeeds();
    assert_eq!(
        out.stdout(),
        "{\n  \"errors\": 0,\n  \"warnings\": 0,\n  \"diagnostics\": []\n}\n"
    );
}

#[test]
fn new_artifact_writes_a_record_that_passes_check() {
    let site = SiteTest::fixture("build/basic");
    site.run([
        "new",
        "artifact",
        "eval-suite",
        "--kind",
        "eval-suite",
        "--title",
        "Eval \"Suite\" v0",
    ])
    .succeeds()
    .stdout_snapshot();
    let text = site.file("artifacts/eval-suite/artifact.toml");
    assert!(text.contains("status  = \"planned\""), "{text}");
    assert!(text.contains("# [[files]]"), "{text}");
    site.run(["check"]).succeeds();
}

#[test]
fn new_artifact_refuses_an_existing_id() {
    let site = SiteTest::fixture("build/basic");
    site.run(["new", "artifact", "eval-suite"]).succeeds();
    let before = site.file("artifacts/eval-suite/artifact.toml");
    site.run(["new", "artifact", "eval-suite", "--kind", "model"])
        .fails_with(2)
        .stderr_snapshot();
    assert_eq!(site.file("artifacts/eval-suite/artifact.toml"), before);
}

#[test]
fn new_artifact_refuses_an_invalid_id_or_kind() {
    let site = SiteTest::fixture("build/basic");
    site.run(["new", "artifact", "Eval_Suite"])
        .fails_with(2)
        .stderr_snapshot();
    site.run(["new", "artifact", "ok", "--kind", "paper"])
        .fails_with(2);
    let err = site
        .run(["new", "artifact", "ok", "--kind", "eval"])
        .fails_with(2)
        .stderr();
    assert_eq!(
        err,
        "error: unknown artifact kind `eval`: expected one of report, design-memo, matrix, eval-suite, template, dataset, model, checkpoint, code; did you mean `eval-suite`?\n"
    );
    assert!(!site.exists("artifacts"));
}

const DRAFT: &str = r#"# A record with comments everywhere.
schema  = "ancapex.artifact/1"
id      = "report-draft"     # the folder name
version = "0.1.0"
title   = "Report draft"
kind    = "report"
status  = "drafting"
summary = "a draft"

# The report itself.
[[files]]
path = "report.txt"   # hashed by `artifact hash`
role = "primary"

# Its data, with a stale digest.
[[files]]
path   = "data.csv"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
size   = 1
role   = "data"
"#;

#[test]
fn artifact_hash_fills_digests_keeping_comments_then_check_passes() {
    let site = SiteTest::fixture("build/basic");
    site.write("artifacts/report-draft/artifact.toml", DRAFT)
        .write("artifacts/report-draft/report.txt", "abc")
        .write("artifacts/report-draft/data.csv", "a,b\n1,2\n");
    site.run(["check"]).fails_with(1);
    site.run(["artifact", "hash", "report-draft"])
        .succeeds()
        .stdout_snapshot();
    let text = site.file("artifacts/report-draft/artifact.toml");
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let csv = "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470";
    let expected = DRAFT
        .replace(
            "role = \"primary\"\n",
            &format!("role = \"primary\"\nsha256 = \"{abc}\"\nsize = 3\n"),
        )
        .replace(
            "0000000000000000000000000000000000000000000000000000000000000000",
            csv,
        )
        .replace("size   = 1", "size   = 8");
    assert_eq!(text, expected);
    site.run(["check"]).succeeds();
    let again = site.run(["artifact", "hash", "report-draft"]).succeeds();
    assert_eq!(
        again.stdout(),
        "artifacts/report-draft/artifact.toml: every digest and size is already right\n"
    );
}

#[test]
fn artifact_hash_refuses_a_path_out_of_the_folder() {
    let site = SiteTest::fixture("build/basic");
    let text = DRAFT.replace("\"report.txt\"", "\"../secret.txt\"");
    site.write("artifacts/report-draft/artifact.toml", &text)
        .write("artifacts/secret.txt", "secret")
        .write("artifacts/report-draft/data.csv", "a,b\n1,2\n");
    site.run(["artifact", "hash", "report-draft"])
        .fails_with(2)
        .stderr_snapshot();
    assert_eq!(site.file("artifacts/report-draft/artifact.toml"), text);
}

const PUBLISHED: &str = r#"schema  = "ancapex.artifact/1"
id      = "eval"
version = "1.0.0"
title   = "Eval"
kind    = "eval-suite"
status  = "published"
summary = "an evaluation"
license = "CC-BY-4.0"

[[authors]]
name = "A Reviewer"
role = "reviewer"

[[files]]
path   = "report.txt"
sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
size   = 3
role   = "primary"

[[files]]
path   = "data.csv"
sha256 = "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470"
size   = 8
role   = "data"
"#;

/// A site in a git repository whose first commit has a published record.
fn published_in_git() -> SiteTest {
    let site = SiteTest::fixture("build/basic");
    site.write("artifacts/eval/artifact.toml", PUBLISHED)
        .write("artifacts/eval/report.txt", "abc")
        .write("artifacts/eval/data.csv", "a,b\n1,2\n");
    git(&site, &["init", "-q", "-b", "main"]);
    git(&site, &["add", "."]);
    git(&site, &["commit", "-q", "-m", "published eval"]);
    site
}

#[test]
fn check_since_passes_when_published_records_are_unchanged() {
    let site = published_in_git();
    site.write(
        "artifacts/eval/artifact.toml",
        &PUBLISHED.replace("an evaluation", "an evaluation suite"),
    );
    site.run(["check", "--since", "HEAD"]).succeeds();
}

#[test]
fn check_since_fails_when_a_published_record_changed_or_lost_a_file() {
    let site = published_in_git();
    let i = PUBLISHED
        .find("\n[[files]]\npath   = \"data.csv\"")
        .unwrap();
    let changed = PUBLISHED[..=i].replace("version = \"1.0.0\"", "version = \"1.1.0\"");
    site.write("artifacts/eval/artifact.toml", &changed)
        .remove("artifacts/eval/data.csv");
    site.run(["check"]).fails_with(1);
    site.run(["check", "--since", "HEAD"])
        .fails_with(1)
        .stderr_snapshot();
}

#[test]
fn check_since_a_bad_revision_is_a_usage_error() {
    let site = published_in_git();
    site.run(["check", "--since", "no-such-rev"])
        .fails_with(2)
        .stderr_snapshot();
}

#[test]
fn check_since_refuses_a_status_moving_backwards_in_the_lifecycle() {
    let site = published_in_git();
    let text = site.file("artifacts/eval/artifact.toml");
    site.write(
        "artifacts/eval/artifact.toml",
        &text
            .replacen("status  = \"published\"", "status  = \"review\"", 1)
            .replacen("status = \"published\"", "status = \"review\"", 1),
    );
    let err = site
        .run(["check", "--since", "HEAD"])
        .fails_with(1)
        .stderr();
    assert!(err.contains("error: status went from `published` at `HEAD` to `review`, which the lifecycle does not allow"), "{err}");
    assert!(err.contains(" --> artifacts/eval/artifact.toml:"), "{err}");
}

#[test]
fn artifact_hash_refuses_to_rewrite_a_published_record() {
    let site = published_in_git();
    site.write("artifacts/eval/report.txt", "abd");
    site.run(["artifact", "hash", "eval"])
        .fails_with(2)
        .stderr_snapshot();
    assert_eq!(site.file("artifacts/eval/artifact.toml"), PUBLISHED);
    // Nothing to change is not a change.
    site.write("artifacts/eval/report.txt", "abc");
    let out = site.run(["artifact", "hash", "eval"]).succeeds();
    assert_eq!(
        out.stdout(),
        "artifacts/eval/artifact.toml: every digest and size is already right\n"
    );
}

#[test]
fn check_in_a_git_checkout_compares_published_records_with_head() {
    let site = published_in_git();
    // An uncommitted edit of a published record: a plain `check` sees it.
    site.write(
        "artifacts/eval/artifact.toml",
        &PUBLISHED.replace("version = \"1.0.0\"", "version = \"1.0.1\""),
    );
    site.run(["check"]).fails_with(1).stderr_snapshot();
    // Committed, it is what HEAD holds: `--since` the revision before it still sees it, as
    // the pull-request workflow does with the base branch.
    git(&site, &["commit", "-q", "-am", "edit a published record"]);
    site.run(["check"]).succeeds().stdout_snapshot();
    let err = site
        .run(["check", "--since", "HEAD~1"])
        .fails_with(1)
        .stderr();
    assert!(
        err.contains("error: `version` of published record `eval@1.0.0` changed since `HEAD~1`"),
        "{err}"
    );
}

/// Today's date, as `new failure` writes it (UTC).
fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

#[test]
fn new_failure_writes_a_draft_report_about_a_run_entry_that_passes_check() {
    let site = SiteTest::fixture("ledger/site");
    let out = site
        .run(["new", "failure", "--run", "demo-run", "--entry", "7"])
        .succeeds();
    assert_eq!(
        out.stdout(),
        format!(
            "created artifacts/failures/demo-run-failure-1.md (a draft about entry 7 of run ledger `demo-run`, detected {})\nnext: replace the template's guidance with what happened, then run `ancapex check`\n",
            today()
        )
    );
    let text = site.file("artifacts/failures/demo-run-failure-1.md");
    let template = ancapex::failure::TEMPLATE;
    // The template, with its id, the run, the entry and today's date filled in.
    for (from, to) in [
        ("id = \"failure-report\"", "id = \"demo-run-failure-1\""),
        (
            "report_type = \"negative-result\"",
            "report_type = \"incident\"",
        ),
        ("runs = []", "runs = [\"demo-run\"]"),
        ("ledger_refs = []", "ledger_refs = [\"ledger:demo-run#7\"]"),
    ] {
        assert!(template.contains(from), "{from}");
        assert!(text.contains(to), "{to} in:\n{text}");
    }
    assert!(
        text.contains(&format!("detected = {}\n", today())),
        "{text}"
    );
    assert!(text.contains("status = \"draft\""), "{text}");
    assert!(text.ends_with(&template[template.rfind("+++").unwrap()..]));
    site.run(["check"]).succeeds();
    // The next free id, a type and a title.
    site.run([
        "new",
        "failure",
        "--run",
        "demo-run",
        "--type",
        "null-result",
        "--title",
        "No gain from the bigger batch",
    ])
    .succeeds();
    let second = site.file("artifacts/failures/demo-run-failure-2.md");
    assert!(second.contains("report_type = \"null-result\""), "{second}");
    assert!(
        second.contains("title = \"No gain from the bigger batch\""),
        "{second}"
    );
    // An id of one's own, with no run.
    site.run(["new", "failure", "disk-full"]).succeeds();
    assert!(site.exists("artifacts/failures/disk-full.md"));
    site.run(["check"]).succeeds();
}

#[test]
fn new_failure_refuses_what_would_not_check() {
    let site = SiteTest::fixture("ledger/site");
    let err = |args: &[&str]| {
        let mut all = vec!["new", "failure"];
        all.extend(args);
        site.run(all).fails_with(2).stderr()
    };
    assert_eq!(
        err(&["--run", "demo-rum"]),
        "error: no run ledger `demo-rum` in `artifacts/ledgers/`; did you mean `demo-run`?\n"
    );
    assert_eq!(
        err(&["--run", "demo-run", "--entry", "6"]),
        "error: entry 6 of ledger `demo-run` is an `eval` entry, not a `failure`\n"
    );
    assert_eq!(
        err(&["--run", "demo-run", "--entry", "99"]),
        "error: ledger `demo-run` has no entry 99 (it has 13)\n"
    );
    assert_eq!(
        err(&["--type", "negative"]),
        "error: unknown report type `negative`: expected one of incident, negative-result, null-result, irreproducible, retraction; did you mean `negative-result`?\n"
    );
    assert_eq!(
        err(&["Disk_Full"]),
        "error: failure report id `Disk_Full` is not valid: use lowercase letters, digits and `-`, starting with a letter or digit\n"
    );
    site.run(["new", "failure", "disk-full"]).succeeds();
    assert_eq!(
        err(&["disk-full"]),
        "error: failure report `disk-full` already exists: `artifacts/failures/disk-full.md`; ids are never reused\n"
    );
    assert!(err(&["--entry", "7"]).contains("--run"));
}
