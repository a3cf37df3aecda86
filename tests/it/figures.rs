//! What a run ledger says, drawn: the real Model Run #1 ledger, extended by
//! `tests/fixtures/figures/extend.py` with two runs' checkpoints carrying metrics, a failure
//! and its restart, a configuration change and evaluations with 95% intervals, builds a run
//! page with a chart per metric, a chart per evaluation metric and the table of results, all
//! from the entries; the real site as it is (no metrics yet) shows none.

use crate::support::{SiteTest, manifest_dir, snapshot};

const RUN_PAGE: &str = "public/ledgers/model-run-1/index.html";

/// The real site with Model Run #1 extended.
fn extended() -> SiteTest {
    let site = SiteTest::repo_site();
    let out = std::process::Command::new("python3")
        .arg(manifest_dir().join("tests/fixtures/figures/extend.py"))
        .arg(env!("CARGO_BIN_EXE_ancapex"))
        .arg(site.root())
        .output()
        .expect("python3 runs tests/fixtures/figures/extend.py");
    assert!(out.status.success(), "{out:?}");
    site
}

/// Every `<svg …>…</svg>` in `html`.
fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg ")
        .map(|(i, _)| {
            let end = html[i..].find("</svg>").unwrap() + "</svg>".len();
            &html[i..i + end]
        })
        .collect()
}

#[test]
fn a_run_page_draws_its_metrics_and_evaluations_from_the_entries() {
    let site = extended();
    site.run(["build"]).succeeds();
    // The page is minified: attribute quotes come and go, so they are left out here.
    let page = site.file(RUN_PAGE).replace('"', "");
    let charts = svgs(&page);
    let titles: Vec<&str> = charts
        .iter()
        .map(|svg| {
            let t = &svg[svg.find("-title>").unwrap() + "-title>".len()..];
            &t[..t.find("</title>").unwrap()]
        })
        .collect();
    assert_eq!(
        titles,
        [
            "loss by step",
            "grad_norm by step",
            "lr by step",
            "accuracy on artifact:eval-suite@0.0.0, by checkpoint step",
            "exact_match on artifact:eval-suite@0.0.0, by checkpoint step",
        ]
    );
    let loss = charts[0];
    // Both runs, told apart, and said in words.
    assert!(
        loss.contains("chart-s0") && loss.contains("chart-s1"),
        "{loss}"
    );
    assert!(
        loss.contains("<desc id=metric-0-desc>loss of model-run-1 from 5.1 at step 0 to 2.181 at step 6,250, 26 points; loss of model-run-1-ablation from 5.25 at step 0"),
        "{loss}"
    );
    assert!(loss.contains("1 restart marked; 1 failure marked; 1 configuration change marked."));
    // The marks are drawn on the axis, and listed beside the charts with links to their
    // entries (an image holds no links).
    assert!(!loss.contains("<a "), "{loss}");
    let marks = &page[page.find("class=chart-marks").unwrap()..];
    let marks = &marks[..marks.find("</ul>").unwrap()];
    for (class, what, seq) in [
        ("restart", "restart from step 3,000", 24),
        ("failure", "failure at step 3,200", 23),
        ("config", "configuration change after step 3,250", 25),
    ] {
        assert!(
            loss.contains(&format!(
                "chart-marker-{class}><title>{what} (entry #{seq})"
            )),
            "no {class} mark in {loss}"
        );
        assert!(
            marks.contains(&format!(
                "<a href=/ledgers/model-run-1/#seq-{seq}>{what} (entry #{seq})</a>"
            )),
            "{marks}"
        );
    }
    // Evaluations: error bars, and every result in the table with its interval and sample.
    assert!(charts[3].contains("class=chart-ci"));
    let evals = &page[page.find("class=eval-table").unwrap()..];
    let evals = &evals[..evals.find("</table>").unwrap()];
    assert_eq!(evals.matches("<tr><td>").count(), 8, "{evals}");
    assert!(
        evals.contains("<td>accuracy</td><td>0.412</td><td>0.381 to 0.441</td><td>1,000</td>"),
        "{evals}"
    );
    assert!(evals.contains(", step 2,000 (model-run-1)</td>"), "{evals}");
    // Each chart's numbers, as a table, with tokens grouped.
    assert!(page.contains("<summary>The numbers</summary>"));
    assert!(
        page.contains("<td>4,194,304,000</td>"),
        "tokens at step 1,000"
    );

    // Drawn the same way every build, and only on the first page.
    let again = site.run(["build"]).succeeds();
    drop(again);
    assert_eq!(site.file(RUN_PAGE).replace('"', ""), page);
    assert!(
        !site
            .file("public/ledgers/model-run-1/page/2/index.html")
            .contains("<svg")
    );
    snapshot("loss-chart", loss);
}

#[test]
fn a_ledger_without_metrics_has_no_figures() {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    let page = site.file(RUN_PAGE);
    assert!(!page.contains("<svg "));
    assert!(!page.contains("Metrics over the run"));
    assert!(!page.contains("eval-table"));
}

/// An evaluation names its suite, `artifact:eval-suite@0.0.0`: the suite's artifact page lists
/// every result of it, from every run, with its interval and sample, linked to the entries.
#[test]
fn an_artifact_page_lists_the_evaluation_results_that_name_it() {
    let site = extended();
    site.run(["build"]).succeeds();
    let page = site
        .file("public/artifacts/eval-suite/index.html")
        .replace('"', "");
    let evals = &page[page.find("class=eval-table").unwrap()..];
    let evals = &evals[..evals.find("</table>").unwrap()];
    assert_eq!(evals.matches("<tr><td>").count(), 8, "{evals}");
    assert!(
        evals.contains(
            "<td><a href=/ledgers/model-run-1/>Model Run #1</a> (model-run-1-ablation)</td>"
        ),
        "{evals}"
    );
    assert!(
        evals.contains("<td>exact_match</td><td>0.251</td><td>0.229 to 0.275</td><td>2,500</td>"),
        "{evals}"
    );
    // Another artifact, named by no evaluation, has no such table.
    let other = site.file("public/artifacts/ownership-matrix/index.html");
    assert!(!other.contains("eval-table"));
}
