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

#[test]
fn a_model_is_published_as_a_hub_card_with_the_results_its_ledger_records() {
    let site = extended();
    site.write(
        "artifacts/pilot-data/artifact.toml",
        "schema = \"ancapex.artifact/1\"\nid = \"pilot-data\"\nversion = \"0.1.0\"\ntitle = \"Pilot data\"\nkind = \"dataset\"\nstatus = \"forming\"\nsummary = \"the pilot's training text\"\nlicense = \"CC-BY-4.0\"\n\n[[links]]\nrel = \"depends-on\"\ntarget = \"https://huggingface.co/datasets/allenai/c4\"\n",
    );
    site.write(
        "artifacts/pilot-model/artifact.toml",
        "schema = \"ancapex.artifact/1\"\nid = \"pilot-model\"\nversion = \"0.1.0\"\ntitle = \"Pilot model\"\nkind = \"model\"\nstatus = \"forming\"\nsummary = \"a small model\"\nlicense = \"Apache-2.0\"\n\n[[links]]\nrel = \"depends-on\"\ntarget = \"artifact:pilot-data@0.1.0\"\n\n[[links]]\nrel = \"depends-on\"\ntarget = \"https://huggingface.co/EleutherAI/pythia-160m\"\n\n[[links]]\nrel = \"depends-on\"\ntarget = \"https://lab.example/tokenizer\"\n",
    );
    site.write(
        "artifacts/pilot-model/README.md",
        "---\nlanguage: en\nlibrary_name: transformers\nlicense: mit\ntags:\n- causal-lm\nmodel-index:\n- name: pilot\n  results: []\n---\n# Pilot model\n\nA small model, trained on [its data](/artifacts/pilot-data/).\n",
    );
    // An evaluation of one of the run's checkpoints that names the model.
    let checkpoint = site
        .file("artifacts/ledgers/model-run-1/entries.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["type"] == "checkpoint")
        .map(|e| e["seq"].as_u64().unwrap())
        .unwrap();
    let body = serde_json::json!({
        "checkpoint_seq": checkpoint,
        "suite": "artifact:eval-suite@0.0.0",
        "harness": "lm-eval-harness 0.4.5",
        "task": "text-generation",
        "metrics": {
            "accuracy": { "value": 0.5, "ci95": [0.47, 0.53], "n": 1000 },
            "exact_match": { "value": 0.25, "ci95": [0.23, 0.27], "n": 2500 },
        },
    })
    .to_string();
    let out = site
        .run([
            "ledger",
            "append",
            "model-run-1",
            "--type",
            "eval",
            "--actor",
            "ancapex",
            "--body",
            &body,
            "--ref",
            "artifact:pilot-model@0.1.0",
        ])
        .succeeds()
        .stdout();
    let seq = out.split_whitespace().nth(2).unwrap().to_owned();
    let stderr = site.run(["build"]).succeeds().stderr();
    // What the card's metadata says against the record is a warning at its place, and the
    // record's value is published.
    assert!(
        stderr.contains("the card says `license: mit` but the record's licence is `Apache-2.0` (`apache-2.0` on the Hub)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("artifacts/pilot-model/README.md:4:10"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "the card's `model-index` is left out: evaluation results come from the run ledgers"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("artifacts/pilot-model/README.md:7:1"),
        "{stderr}"
    );
    let card = site.file("public/artifacts/pilot-model/README.md");
    let entry = "https://ancapex.org/ledgers/model-run-1/";
    let card = card
        .replace(entry, "[RUN]/")
        .replace(&format!("#{seq}"), "#[SEQ]")
        .replace(&format!("#seq-{seq}"), "#seq-[SEQ]");
    snapshot("card", &card);
    // A data set gets a data set card, with its title as the Hub's pretty name and the data
    // sets it is made from as the Hub writes them.
    let data = site.file("public/artifacts/pilot-data/README.md");
    assert!(
        data.starts_with("---\nlicense: cc-by-4.0\nsource_datasets:\n- extended|allenai/c4\ntags:\n- ancapex\n- dataset\npretty_name: Pilot data\n---\n\n# Pilot data\n\nthe pilot's training text\n"),
        "{data}"
    );
    // One made from nothing else is the Hub's `original`.
    assert!(
        site.file("public/artifacts/eval-suite/README.md")
            .contains("\nsource_datasets:\n- original\n"),
    );
    // Records with no place on the Hub get no card.
    assert!(!site.exists("public/artifacts/ownership-matrix/README.md"));
    // The page shows the metadata as the Hub does.
    let page = site
        .file("public/artifacts/pilot-model/index.html")
        .replace('"', "");
    assert!(
        page.contains("<li class=artifact-tag>License: apache-2.0</li><li class=artifact-tag>transformers</li><li class=artifact-tag>en</li><li class=artifact-tag>causal-lm</li></ul>"),
        "{page}"
    );
    assert!(
        page.contains("<dt>Base model</dt><dd><a href=https://huggingface.co/EleutherAI/pythia-160m><code>EleutherAI/pythia-160m</code></a></dd><dt>Datasets used to train</dt><dd><a href=/artifacts/pilot-data/><code>pilot-data</code></a></dd></dl>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=/artifacts/pilot-model/README.md>Hugging Face model card</a>"),
        "{page}"
    );
}
