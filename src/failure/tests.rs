use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::cache::Digests;
use crate::diagnostic::SourceText;

/// A lookup over ledgers given as `name -> entry types`, entry `seq` at index `seq`.
struct FakeLedgers(BTreeMap<&'static str, Vec<&'static str>>);

impl LedgerLookup for FakeLedgers {
    fn has_run(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn entry_type(&self, name: &str, seq: u64) -> Option<String> {
        let entries = self.0.get(name)?;
        let i = usize::try_from(seq).ok()?;
        entries.get(i).map(|t| (*t).to_owned())
    }
}

fn body() -> String {
    let mut s = String::from("\n# Title\n\n");
    s.extend(
        REQUIRED_SECTIONS
            .iter()
            .map(|r| format!("## {r}\n\ntext\n\n")),
    );
    s
}

fn file(stem: &str, front: &str) -> FailureFile {
    FailureFile {
        stem: stem.into(),
        folder: PathBuf::from("/nonexistent/artifacts/failures"),
        source: SourceText::new(
            format!("artifacts/failures/{stem}.md"),
            format!("+++\n{front}+++\n{}", body()),
        ),
    }
}

const HEAD: &str = "schema = \"ancapex.failure-report/1\"\nid = \"r\"\ntitle = \"T\"\nreport_type = \"incident\"\nstatus = \"review\"\nseverity = \"S2\"\ndetected = 2026-11-01\n";

/// A message with its line and column.
type Located = (String, Option<(usize, usize)>);

fn run_with(
    files: &[FailureFile],
    artifacts: &[Registered],
    ledgers: &dyn LedgerLookup,
) -> (Vec<FailureReport>, Vec<Located>) {
    let (reports, ds) = reports(files, artifacts, ledgers, Drafts::Exclude, &Digests::none());
    let msgs = ds
        .iter()
        .map(|d| (d.message.clone(), d.line_col()))
        .collect();
    (reports, msgs)
}

fn ledgers() -> FakeLedgers {
    FakeLedgers(BTreeMap::from([(
        "run-1",
        vec!["start", "failure", "eval"],
    )]))
}

#[test]
fn reads_a_valid_report() {
    let (reports, msgs) = run_with(&[file("r", HEAD)], &[], &NoLedgers);
    assert!(msgs.is_empty(), "{msgs:?}");
    let r = &reports[0];
    assert_eq!(
        (r.report_type, r.status, r.severity),
        (ReportType::Incident, ReportStatus::Review, Severity::S2)
    );
    assert_eq!(r.doc.url, "/failures/r/");
    assert!(r.doc.source.text[r.doc.body.clone()].starts_with("\n# Title"));
}

#[test]
fn runs_and_ledger_refs_resolve_through_the_lookup() {
    let front = format!(
        "{HEAD}runs = [\"run-1\", \"run-2\"]\nledger_refs = [\"ledger:run-1#1\", \"ledger:run-1#3\", \"ledger:run-9#0\", \"run-1#1\"]\n"
    );
    let (_, msgs) = run_with(&[file("r", &front)], &[], &ledgers());
    assert_eq!(
        msgs,
        [
            ("unknown run `run-2`".to_owned(), Some((9, 18))),
            (
                "dangling ledger reference `ledger:run-1#3`".to_owned(),
                Some((10, 34))
            ),
            ("unknown run `run-9`".to_owned(), Some((10, 52))),
            (
                "malformed ledger reference `run-1#1`".to_owned(),
                Some((10, 70))
            ),
        ]
    );
}

#[test]
fn without_ledgers_every_run_is_unknown() {
    let front = format!("{HEAD}runs = [\"run-1\"]\nledger_refs = [\"ledger:run-1#1\"]\n");
    let (_, msgs) = run_with(&[file("r", &front)], &[], &NoLedgers);
    let msgs: Vec<_> = msgs.into_iter().map(|(m, _)| m).collect();
    assert_eq!(msgs, ["unknown run `run-1`", "unknown run `run-1`"]);
}

#[test]
fn enums_suggest_the_nearest_value() {
    let front = HEAD
        .replace("\"incident\"", "\"negative_result\"")
        .replace("\"S2\"", "\"S5\"");
    let (reports, ds) = one(&front, Drafts::Exclude);
    assert!(reports.is_empty());
    let ds: Vec<_> = ds.iter().collect();
    assert_eq!(ds[0].message, "unknown report type `negative_result`");
    assert_eq!(
        ds[0].help.as_deref(),
        Some("did you mean `negative-result`?")
    );
    assert_eq!(ds[0].line_col(), Some((5, 15)));
    assert_eq!(ds[1].message, "unknown severity `S5`");
}

#[test]
fn negative_and_null_results_need_a_hypothesis() {
    for t in ["negative-result", "null-result"] {
        let front = HEAD.replace("\"incident\"", &format!("\"{t}\""));
        let (_, msgs) = run_with(&[file("r", &front)], &[], &NoLedgers);
        assert_eq!(
            msgs,
            [(
                format!("a `{t}` report needs a `hypothesis`"),
                Some((5, 15))
            )]
        );
        let with = format!("{front}hypothesis = \"it helps\"\n");
        assert!(run_with(&[file("r", &with)], &[], &NoLedgers).1.is_empty());
    }
}

#[test]
fn published_needs_a_date_and_a_reviewer_and_dates_are_in_order() {
    let front = HEAD.replace("\"review\"", "\"published\"") + "resolved = 2026-10-31\n";
    let (_, msgs) = run_with(&[file("r", &front)], &[], &NoLedgers);
    let msgs: Vec<_> = msgs.into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        msgs,
        [
            "status `published` needs a `published` date",
            "status `published` needs a reviewer",
            "`resolved` (2026-10-31) is before `detected` (2026-11-01)",
        ]
    );
}

#[test]
fn id_must_match_the_file_name() {
    let (reports, msgs) = run_with(&[file("other", HEAD)], &[], &NoLedgers);
    assert!(reports.is_empty());
    assert_eq!(
        msgs,
        [(
            "failure report id `r` does not match its file name `other.md`".to_owned(),
            Some((3, 6))
        )]
    );
}

#[test]
fn drafts_are_checked_but_not_published() {
    let front = HEAD.replace("\"review\"", "\"draft\"");
    let (reports, ds) = one(&front, Drafts::Exclude);
    assert!(reports.is_empty() && ds.is_empty());
    let (reports, _) = reports_with_drafts(&front);
    assert_eq!(reports.len(), 1);
}

fn reports_with_drafts(front: &str) -> (Vec<FailureReport>, Diagnostics) {
    one(front, Drafts::Include)
}

/// One report, `r`, with this front matter, checked alone.
fn one(front: &str, drafts: Drafts) -> (Vec<FailureReport>, Diagnostics) {
    reports(
        &[file("r", front)],
        &[],
        &NoLedgers,
        drafts,
        &Digests::none(),
    )
}

#[test]
fn yaml_or_missing_front_matter_is_refused() {
    let f = FailureFile {
        source: SourceText::new("artifacts/failures/r.md", "---\nid: r\n---\n"),
        ..file("r", HEAD)
    };
    let (_, msgs) = run_with(&[f], &[], &NoLedgers);
    assert_eq!(
        msgs[0].0,
        "a failure report needs TOML front matter between `+++` lines"
    );
}

#[test]
fn unknown_key_points_at_the_key_in_the_file() {
    let (_, msgs) = run_with(
        &[file("r", &format!("{HEAD}sevrity = 1\n"))],
        &[],
        &NoLedgers,
    );
    assert!(msgs[0].0.starts_with("unknown field `sevrity`"), "{msgs:?}");
    assert_eq!(msgs[0].1, Some((9, 1)));
}

#[test]
fn open_actions_are_those_not_done_or_closed() {
    let front = format!(
        "{HEAD}[[actions]]\nwhat = \"a\"\ntype = \"corrective\"\nowner = \"o\"\nstate = \"open\"\n[[actions]]\nwhat = \"b\"\ntype = \"preventive\"\nowner = \"o\"\nstate = \"done\"\n[[actions]]\nwhat = \"c\"\ntype = \"process\"\nowner = \"o\"\ndue = 2026-12-01\nstate = \"blocked\"\n[[actions]]\nwhat = \"d\"\ntype = \"detective\"\nowner = \"o\"\nstate = \"closed\"\n"
    );
    let (reports, msgs) = run_with(&[file("r", &front)], &[], &NoLedgers);
    assert!(msgs.is_empty(), "{msgs:?}");
    assert_eq!(reports[0].open_actions(), 2);
}

#[test]
fn totals_sum_per_run_and_per_type() {
    let cost =
        |gpu: &str, steps: u64| format!("[cost]\ngpu_hours_lost = {gpu}\nsteps_lost = {steps}\n");
    let open =
        "[[actions]]\nwhat = \"a\"\ntype = \"corrective\"\nowner = \"o\"\nstate = \"open\"\n";
    let a = format!(
        "{}runs = [\"run-1\", \"run-2\"]\n{}{open}",
        HEAD.replace("id = \"r\"", "id = \"a\""),
        cost("2.5", 10)
    );
    let b = format!(
        "{}runs = [\"run-1\"]\n{}",
        HEAD.replace("id = \"r\"", "id = \"b\"")
            .replace("\"incident\"", "\"null-result\"")
            + "hypothesis = \"h\"\n",
        cost("1.0", 5)
    );
    let ledgers = FakeLedgers(BTreeMap::from([("run-1", vec![]), ("run-2", vec![])]));
    let (reports, msgs) = run_with(&[file("a", &a), file("b", &b)], &[], &ledgers);
    assert!(msgs.is_empty(), "{msgs:?}");
    let s = summary(&reports);
    let t = |reports, gpu_hours_lost, steps_lost, open_actions| Totals {
        reports,
        gpu_hours_lost,
        steps_lost,
        open_actions,
    };
    assert_eq!(s.all, t(2, 3.5, 15, 1));
    assert_eq!(
        s.by_run,
        [
            ("run-1".to_owned(), t(2, 3.5, 15, 1)),
            ("run-2".to_owned(), t(1, 2.5, 10, 1))
        ]
    );
    assert_eq!(
        s.by_type,
        [
            (ReportType::Incident, t(1, 2.5, 10, 1)),
            (ReportType::NullResult, t(1, 1.0, 5, 0))
        ]
    );
}
