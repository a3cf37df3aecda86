//! Failure reports: a site with a valid report of every type builds a page per published report
//! and an index with totals; one run over reports with one mistake each reports all of them; the
//! real failure report template passes the same checks.

use crate::support::{SiteTest, article, snapshot};

#[test]
fn every_published_report_gets_a_page_and_drafts_do_not() {
    let site = SiteTest::fixture("failures/valid");
    let out = site.run(["build"]).succeeds();
    assert_eq!(out.stderr(), "");
    for id in [
        "bigger-batch",
        "loss-spike",
        "score-drift",
        "warmup",
        "web-crawl-retraction",
    ] {
        assert!(
            site.exists(&format!("public/failures/{id}/index.html")),
            "{id}"
        );
    }
    assert!(!site.exists("public/failures/unfinished"));
    snapshot(
        "loss-spike",
        article(&site.file("public/failures/loss-spike/index.html")),
    );
}

#[test]
fn drafts_are_published_with_the_drafts_flag() {
    let site = SiteTest::fixture("failures/valid");
    site.run(["build", "--drafts"]).succeeds();
    assert!(site.exists("public/failures/unfinished/index.html"));
}

#[test]
fn evidence_is_published_under_its_digest() {
    let site = SiteTest::fixture("failures/valid");
    site.run(["build"]).succeeds();
    let csv = site.file("artifacts/failures/loss-spike/loss.csv");
    let files: Vec<(String, Vec<u8>)> = site
        .tree("public/failures/loss-spike/files")
        .into_iter()
        .collect();
    assert_eq!(files.len(), 1);
    let (path, bytes) = &files[0];
    assert!(path.ends_with("/loss.csv"), "{path}");
    assert_eq!(bytes, csv.as_bytes());
    let page = site.file("public/failures/loss-spike/index.html");
    assert!(page.contains(&format!("href=\"/failures/loss-spike/files/{path}\"")));
}

#[test]
fn the_index_lists_reports_with_totals_per_type() {
    let site = SiteTest::fixture("failures/valid");
    site.run(["build"]).succeeds();
    snapshot("index", article(&site.file("public/failures/index.html")));
}

#[test]
fn a_broken_anchor_into_a_report_is_reported() {
    let site = SiteTest::fixture("failures/valid");
    site.write(
        "content/_index.md",
        "+++\ntitle = \"Failures\"\n+++\n\n[x](/failures/loss-spike/#timelime)\n",
    );
    let err = site.run(["check"]).fails_with(1).stderr();
    assert!(
        err.starts_with("error: broken anchor: `/failures/loss-spike/` has no `#timelime`\n"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `#timeline`?"), "{err}");
}

#[test]
fn every_failure_report_mistake_is_reported_in_one_run() {
    let site = SiteTest::fixture("invalid/failures_all_mistakes");
    site.run(["build"]).fails_with(1).stderr_snapshot();
    assert!(!site.exists("public"));
}

#[test]
fn the_real_site_without_reports_has_an_empty_failure_index() {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    let index = site.file("public/failures/index.html");
    assert!(index.contains("No failures reported yet."), "{index}");
}

/// The template of the real `failure-report-template` artifact, placed as a report of the real
/// site, passes every check and renders (it is a draft, so with `--drafts`).
#[test]
fn the_failure_report_template_passes_validation() {
    let site = SiteTest::repo_site();
    let template = site.file("artifacts/failure-report-template/template/failure-report.md");
    site.write("artifacts/failures/failure-report.md", &template);
    let out = site.run(["build", "--drafts"]).succeeds();
    assert_eq!(out.stderr(), "");
    let page = site.file("public/failures/failure-report/index.html");
    assert!(page.contains("id=context-and-expectation"), "{page}");
}

/// The template the real site publishes is the one `new failure` writes and the placeholder
/// check knows.
#[test]
fn the_published_template_is_the_builtin_one() {
    let published = crate::support::manifest_dir()
        .join("artifacts/failure-report-template/template/failure-report.md");
    assert_eq!(
        std::fs::read_to_string(published).unwrap(),
        ancapex::failure::TEMPLATE
    );
}

/// The template copied as a report and marked published, its guidance left in.
fn published_template(site: &SiteTest) -> String {
    site.file("artifacts/failure-report-template/template/failure-report.md")
        .replace("id = \"failure-report\"", "id = \"copied\"")
        .replace("status = \"draft\"", "status = \"published\"")
        .replace("# published = 2026-01-03", "published = 2026-01-03")
        .replace("reviewers = []", "reviewers = [\"A Reviewer\"]")
}

#[test]
fn a_published_report_left_with_the_templates_placeholders_fails_at_each() {
    let site = SiteTest::repo_site();
    site.write("artifacts/failures/copied.md", &published_template(&site));
    let err = site.run(["check"]).fails_with(1).stderr();
    snapshot("headlines", &crate::ledger::headlines(&err));
    // The title first, at its value.
    assert!(
        err.starts_with(
            "error: placeholder text from the template in a published report\n  --> artifacts/failures/copied.md:11:9\n   |\n11 | title = \"What failed, in a few words\"\n"
        ),
        "{err}"
    );
    // Written over, it passes; a draft may keep the guidance.
    let draft = published_template(&site).replace("status = \"published\"", "status = \"draft\"");
    site.write("artifacts/failures/copied.md", &draft);
    site.run(["check"]).succeeds();
}

/// A published report `node-loss` about the ledger fixture's run, citing `refs` (TOML strings).
fn node_loss(refs: &str) -> String {
    let valid = SiteTest::fixture("failures/valid");
    let text = valid.file("artifacts/failures/bigger-batch.md");
    let body = &text[text.rfind("+++").unwrap() + 3..];
    format!(
        "+++\nschema = \"ancapex.failure-report/1\"\nid = \"node-loss\"\ntitle = \"A node lost two GPUs\"\n\
         report_type = \"incident\"\nstatus = \"published\"\nseverity = \"S3\"\ndetected = 2026-11-25\n\
         published = 2026-11-26\nreviewers = [\"Grace\"]\nruns = [\"demo-run\"]\nledger_refs = [{refs}]\n+++{body}"
    )
}

/// Appends an entry to the fixture's run as its trainer.
fn append(site: &SiteTest, kind: &str, body: &str) {
    site.run([
        "ledger", "append", "demo-run", "--actor", "trainer", "--type", kind, "--body", body,
    ])
    .succeeds();
}

/// The `<li>` of entry `seq` on a run page.
fn entry_item(page: &str, seq: u64) -> &str {
    let at = page
        .find(&format!("id=seq-{seq} "))
        .or_else(|| page.find(&format!("id=\"seq-{seq}\"")))
        .unwrap_or_else(|| panic!("no entry {seq} in {page}"));
    let start = page[..at].rfind("<li").unwrap();
    let end = at + page[at..].find("</li>").unwrap();
    &page[start..end]
}

#[test]
fn a_pending_failure_is_settled_only_by_a_report_citing_it_or_a_correction_naming_one() {
    let site = SiteTest::fixture("ledger/site");
    // The fixture's run has two `failure` entries whose report is `pending`, at seq 7 and 10.
    let pending = |site: &SiteTest| {
        let err = site.run(["check"]).succeeds().stderr();
        (
            err.contains("warning: failure at seq 7 has no report yet"),
            err.contains("warning: failure at seq 10 has no report yet"),
        )
    };
    assert_eq!(pending(&site), (true, true));
    // A correction with any reason settles nothing.
    append(
        &site,
        "correction",
        r#"{"target_seq":10,"reason":"a report is coming"}"#,
    );
    assert_eq!(pending(&site), (true, true));
    // A published report that cites entry 7 settles it.
    site.write(
        "artifacts/failures/node-loss.md",
        &node_loss("\"ledger:demo-run#7\""),
    );
    assert_eq!(pending(&site), (false, true));
    // The run page and the report agree, and link to each other.
    site.run(["build"]).succeeds();
    let run = site.file("public/ledgers/demo-run/index.html");
    let seven = entry_item(&run, 7);
    assert!(seven.contains("/failures/node-loss/"), "{seven}");
    assert!(!seven.contains("Report: pending"), "{seven}");
    let ten = entry_item(&run, 10);
    assert!(ten.contains("Report: pending"), "{ten}");
    let report = site.file("public/failures/node-loss/index.html");
    assert!(report.contains("/ledgers/demo-run/#seq-7"), "{report}");
    // A correction that names a report settles entry 10.
    append(
        &site,
        "correction",
        r#"{"target_seq":10,"reason":"reported","failure_report":"node-loss"}"#,
    );
    assert_eq!(pending(&site), (false, false));
    site.run(["build"]).succeeds();
    let run = site.file("public/ledgers/demo-run/index.html");
    assert!(entry_item(&run, 10).contains("/failures/node-loss/"));
    // A correction naming a report that does not exist, or naming one for an entry that is not
    // a failure, is refused.
    let refused = |body: &str| {
        site.run([
            "ledger",
            "append",
            "demo-run",
            "--actor",
            "trainer",
            "--type",
            "correction",
            "--body",
            body,
        ])
        .fails_with(1)
        .stderr()
    };
    let err = refused(r#"{"target_seq":10,"reason":"x","failure_report":"no-such-report"}"#);
    assert!(
        err.starts_with("error: failure report `no-such-report` does not exist\n"),
        "{err}"
    );
    let err = refused(r#"{"target_seq":6,"reason":"x","failure_report":"node-loss"}"#);
    assert!(
        err.starts_with(
            "error: a correction names a failure report only for a `failure` entry; entry 6 is `eval`\n"
        ),
        "{err}"
    );
}

#[test]
fn reports_resolve_their_runs_and_entries_against_the_run_ledgers() {
    // The ledger fixture's run has `failure` entries at seq 7 and 10; a report about the first
    // names the run and the entry, and both resolve. An entry past the end does not.
    let site = SiteTest::fixture("ledger/site");
    let report = node_loss;
    site.write(
        "artifacts/failures/node-loss.md",
        &report("\"ledger:demo-run#7\""),
    );
    site.run(["build"]).succeeds();
    let page = site.file("public/failures/node-loss/index.html");
    assert!(page.contains("ledger:demo-run#7"), "{page}");

    site.write(
        "artifacts/failures/node-loss.md",
        &report("\"ledger:demo-run#7\", \"ledger:demo-run#999\""),
    );
    let err = site.run(["build"]).fails_with(1).stderr();
    assert!(err.contains("demo-run#999"), "{err}");
    assert!(err.contains("artifacts/failures/node-loss.md:"), "{err}");
}
