//! What a run ledger says, as figures and tables for its run page, read from the verified
//! entries and never typed by hand: each numeric checkpoint metric against the step (one chart
//! per metric, one line per run), with the run's restarts, failures and configuration changes
//! marked on the axis and linked to their entries; each evaluation metric against the step of
//! the checkpoint it evaluated, with its 95% confidence interval; and the table of every
//! evaluation result. Each chart comes with its numbers as a table.
//!
//! Runs are told apart by the `run.start` entries: every entry after `run.start` with `run`
//! X, up to the next `run.start`, belongs to X (entries before any, to the ledger's name).

#![expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a chart's x is a step, a whole number far below 2^53, and back"
)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Entry, Ledger};
use crate::chart::{self, Chart, Marker, Point, Series};
use crate::text::{grouped, js_number};

/// Rows of a table, at most: a chart's longer series are sampled evenly (first and last
/// kept), and of evaluation results the newest are listed; every value is in `entries.jsonl`.
const TABLE_ROWS: usize = 100;

/// How many checkpoint metrics, and how many evaluation metrics, are drawn: a run that logs a
/// hundred metrics (a grad norm per layer, a task per suite) would otherwise make a page of a
/// hundred charts. The others are named under the charts; their values are in the entries.
const CHARTS: usize = 12;

/// A metric's values by run: each checkpoint and its value, in entry order.
type ByRun<'a> = BTreeMap<&'a str, Vec<(&'a Checkpoint<'a>, f64)>>;

/// A checkpoint's numbers.
struct Checkpoint<'a> {
    run: &'a str,
    step: u64,
    tokens: u64,
    entry: &'a Entry,
}

/// What a ledger's entries say, read once: its runs, checkpoints, marks and evaluation results.
struct Walk<'a> {
    /// The runs with a checkpoint or an evaluation, in order.
    runs: Vec<&'a str>,
    /// The checkpoints, by seq.
    checkpoints: BTreeMap<u64, Checkpoint<'a>>,
    /// The marks on the step axis, and the entry of each.
    markers: Vec<Marker>,
    marked: Vec<u64>,
    /// Every evaluation result, in entry order.
    results: Vec<EvalResult<'a>>,
}

/// One metric of an `eval` entry.
struct EvalResult<'a> {
    entry: &'a Entry,
    run: &'a str,
    checkpoint_seq: u64,
    /// The evaluated checkpoint's step, when the ledger has that checkpoint.
    step: Option<u64>,
    suite: &'a str,
    harness: &'a str,
    /// What the suite measures, as the Hub names tasks (`text-generation`), when the entry says.
    task: Option<&'a str>,
    metric: &'a str,
    value: f64,
    ci: Option<(f64, f64)>,
    n: Option<u64>,
}

impl EvalResult<'_> {
    /// `{seq, url, run, checkpoint_seq, checkpoint_url, step, suite, harness, task, metric,
    /// value, low, high, n, refs}`.
    fn view(&self, l: &Ledger, entry_url: fn(&str, u64) -> String) -> Value {
        json!({
            "seq": self.entry.seq,
            "url": entry_url(&l.name, self.entry.seq),
            "run": self.run,
            "checkpoint_seq": self.checkpoint_seq,
            "checkpoint_url": entry_url(&l.name, self.checkpoint_seq),
            "step": self.step.map(grouped),
            "suite": self.suite,
            "harness": self.harness,
            "task": self.task,
            "metric": self.metric,
            "value": js_number(self.value),
            "low": self.ci.map(|c| js_number(c.0)),
            "high": self.ci.map(|c| js_number(c.1)),
            "n": self.n.map(grouped),
            "refs": self.entry.refs,
        })
    }
}

fn walk(l: &Ledger) -> Walk<'_> {
    let mut run = l.name.as_str();
    let mut runs: Vec<&str> = vec![];
    let mut checkpoints: BTreeMap<u64, Checkpoint<'_>> = BTreeMap::new();
    let mut markers: Vec<Marker> = vec![];
    // The entry of each marker.
    let mut marked: Vec<u64> = vec![];
    // The step each run had reached, for marks whose entry names no step.
    let mut reached: BTreeMap<&str, u64> = BTreeMap::new();
    let mut evals: Vec<(&Entry, &str)> = vec![];
    for e in &l.entries {
        let body = |k: &str| e.body.get(k);
        let number = |k: &str| body(k).and_then(Value::as_u64);
        match e.kind.as_str() {
            "run.start" => {
                if let Some(name) = body("run").and_then(Value::as_str) {
                    run = name;
                }
            }
            "checkpoint" => {
                let (Some(step), Some(tokens)) = (number("step"), number("tokens")) else {
                    continue;
                };
                reached.insert(run, step);
                checkpoints.insert(
                    e.seq,
                    Checkpoint {
                        run,
                        step,
                        tokens,
                        entry: e,
                    },
                );
            }
            "eval" => evals.push((e, run)),
            "restart" => {
                if let Some(step) = number("from_step") {
                    mark(
                        &mut markers,
                        &mut marked,
                        marker(e, step, 'R', "restart", "restart from"),
                    );
                }
            }
            "failure" => {
                let step = number("step").or_else(|| reached.get(run).copied());
                if let Some(step) = step {
                    mark(
                        &mut markers,
                        &mut marked,
                        marker(e, step, 'F', "failure", "failure at"),
                    );
                }
            }
            "config.change" => {
                let step = reached.get(run).copied().unwrap_or(0);
                mark(
                    &mut markers,
                    &mut marked,
                    marker(e, step, 'C', "config", "configuration change after"),
                );
            }
            _ => continue,
        }
        if !runs.contains(&run) {
            runs.push(run);
        }
    }

    let mut results = vec![];
    for (e, run) in evals {
        let Some(checkpoint_seq) = e.body.get("checkpoint_seq").and_then(Value::as_u64) else {
            continue;
        };
        let text = |k: &str| e.body.get(k).and_then(Value::as_str).unwrap_or("");
        let Some(m) = e.body.get("metrics").and_then(Value::as_object) else {
            continue;
        };
        for (metric, r) in m {
            let Some(value) = r.get("value").and_then(Value::as_f64) else {
                continue;
            };
            results.push(EvalResult {
                entry: e,
                run,
                checkpoint_seq,
                step: checkpoints.get(&checkpoint_seq).map(|c| c.step),
                suite: text("suite"),
                harness: text("harness"),
                task: e.body.get("task").and_then(Value::as_str),
                metric,
                value,
                ci: r
                    .get("ci95")
                    .and_then(Value::as_array)
                    .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))),
                n: r.get("n").and_then(Value::as_u64),
            });
        }
    }
    runs.retain(|r| {
        checkpoints.values().any(|c| c.run == *r) || results.iter().any(|e| e.run == *r)
    });
    Walk {
        runs,
        checkpoints,
        markers,
        marked,
        results,
    }
}

/// The evaluation results of every ledger by the artifact each names (its suite, when that is
/// an artifact reference, and its `refs`), for the artifact pages: each a result's view, with
/// `ledger` (`{name, title, url}`); the newest [`TABLE_ROWS`] of each artifact.
pub(crate) fn evals_by_artifact(
    ledgers: &[Ledger],
    entry_url: fn(&str, u64) -> String,
    ledger_url: fn(&str) -> String,
) -> std::collections::HashMap<&str, Vec<Value>> {
    let mut out: std::collections::HashMap<&str, Vec<Value>> = std::collections::HashMap::new();
    for l in ledgers {
        for r in walk(l).results {
            let mut ids: Vec<&str> = std::iter::once(r.suite)
                .chain(r.entry.refs.iter().map(String::as_str))
                .filter_map(super::artifact_id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                let mut v = r.view(l, entry_url);
                v["ledger"] =
                    json!({ "name": l.name, "title": l.title, "url": ledger_url(&l.name) });
                out.entry(id).or_default().push(v);
            }
        }
    }
    // The newest results of each artifact, as on a run page.
    for results in out.values_mut() {
        let extra = results.len().saturating_sub(TABLE_ROWS);
        results.drain(..extra);
    }
    out
}

/// The view of a ledger's figures: `charts` (the metric charts, then the evaluation charts,
/// each `{id, title, svg, table: {head, rows, note}}`, at most [`CHARTS`] of each), `undrawn`
/// (the metrics past those, named), `evals` (every evaluation result, as
/// [`EvalResult::view`]), `runs` (their names, in order) and `marks`.
pub(crate) fn view(l: &Ledger, entry_url: fn(&str, u64) -> String) -> Value {
    let Walk {
        runs,
        checkpoints,
        markers,
        marked,
        results: evals,
    } = walk(l);
    let mut charts = vec![];
    // Metric name -> run -> (checkpoint, value), in entry order.
    let mut metrics: BTreeMap<&str, ByRun<'_>> = BTreeMap::new();
    for c in checkpoints.values() {
        let Some(m) = c.entry.body.get("metrics").and_then(Value::as_object) else {
            continue;
        };
        for (name, v) in m {
            if let Some(v) = v.as_f64().filter(|v| v.is_finite()) {
                metrics
                    .entry(name)
                    .or_default()
                    .entry(c.run)
                    .or_default()
                    .push((c, v));
            }
        }
    }
    // Losses first, as a training dashboard shows them; then the rest by name.
    let mut names: Vec<&&str> = metrics.keys().collect();
    names.sort_by_key(|n| (!n.contains("loss"), **n));
    let undrawn: Vec<String> = names
        .iter()
        .skip(CHARTS)
        .map(|n| (**n).to_owned())
        .collect();
    for (i, name) in names.into_iter().take(CHARTS).enumerate() {
        let by_run = &metrics[name];
        let series: Vec<Series> = ordered(&runs, by_run)
            .map(|(run, points)| Series {
                name: run.to_owned(),
                points: points
                    .iter()
                    .map(|(c, v)| Point {
                        x: c.step as f64,
                        y: *v,
                        ci: None,
                    })
                    .collect(),
            })
            .collect();
        let count: usize = by_run.values().map(Vec::len).sum();
        let rows: Vec<Value> = ordered(&runs, by_run)
            .flat_map(|(run, points)| {
                sample(points).into_iter().map(move |(c, v)| {
                    json!([
                        cell(run),
                        cell(&grouped(c.step)),
                        cell(&grouped(c.tokens)),
                        cell(&js_number(v)),
                        link(
                            &format!("#{}", c.entry.seq),
                            &entry_url(&l.name, c.entry.seq)
                        ),
                    ])
                })
            })
            .collect();
        let title = format!("{name} by step");
        charts.push(figure(
            &Chart {
                id: format!("metric-{i}"),
                title: title.clone(),
                desc: describe(name, &series, &markers),
                x_label: "step".to_owned(),
                y_label: (*name).to_owned(),
                series,
                markers: markers.clone(),
            },
            &title,
            &json!({
                "head": ["run", "step", "tokens", name, "entry"],
                "rows": rows,
                "note": table_note(count, rows.len()),
            }),
        ));
    }

    // Every evaluation result, and a chart per suite and metric.
    // The table holds the newest results; the charts, every one.
    let shown = &evals[evals.len().saturating_sub(TABLE_ROWS)..];
    let results: Vec<Value> = shown.iter().map(|r| r.view(l, entry_url)).collect();
    let mut by_metric: BTreeMap<(&str, &str), BTreeMap<&str, Vec<Point>>> = BTreeMap::new();
    for r in &evals {
        if let Some(step) = r.step {
            by_metric
                .entry((r.suite, r.metric))
                .or_default()
                .entry(r.run)
                .or_default()
                .push(Point {
                    x: step as f64,
                    y: r.value,
                    ci: r.ci,
                });
        }
    }
    let evals_undrawn: Vec<String> = by_metric
        .keys()
        .skip(CHARTS)
        .map(|(suite, metric)| format!("{metric} on {suite}"))
        .collect();
    for (i, ((suite, metric), by_run)) in by_metric.iter().take(CHARTS).enumerate() {
        let mut series: Vec<Series> = ordered(&runs, by_run)
            .map(|(run, points)| Series {
                name: run.to_owned(),
                points: points.clone(),
            })
            .collect();
        for s in &mut series {
            s.points.sort_by(|a, b| a.x.total_cmp(&b.x));
        }
        let rows: Vec<Value> = series
            .iter()
            .flat_map(|s| {
                s.points.iter().map(|p| {
                    let ci = p.ci.map_or_else(
                        || "–".to_owned(),
                        |c| format!("{} to {}", js_number(c.0), js_number(c.1)),
                    );
                    json!([
                        cell(&s.name),
                        cell(&grouped(p.x as u64)),
                        cell(&js_number(p.y)),
                        cell(&ci),
                    ])
                })
            })
            .collect();
        let title = format!("{metric} on {suite}, by checkpoint step");
        charts.push(figure(
            &Chart {
                id: format!("eval-{i}"),
                title: title.clone(),
                desc: describe(metric, &series, &[]),
                x_label: "checkpoint step".to_owned(),
                y_label: (*metric).to_owned(),
                series,
                markers: vec![],
            },
            &title,
            &json!({
                "head": ["run", "step", metric, "95% interval"],
                "rows": rows,
                "note": Value::Null,
            }),
        ));
    }
    // The marks, with their links: listed beside the charts, which hold no links; the newest
    // of a long run's.
    let skip = marked.len().saturating_sub(TABLE_ROWS);
    let marks: Vec<Value> = marked
        .iter()
        .zip(&markers)
        .skip(skip)
        .map(|(seq, m)| {
            json!({
                "tag": m.tag.to_string(),
                "class": m.class,
                "label": m.label,
                "url": entry_url(&l.name, *seq),
            })
        })
        .collect();
    json!({
        "charts": charts,
        "undrawn": undrawn.into_iter().chain(evals_undrawn).collect::<Vec<_>>(),
        "evals": results,
        "evals_total": evals.len(),
        "runs": runs,
        "marks": marks,
        "marks_total": markers.len(),
    })
}

/// The runs of `by_run` in ledger order.
fn ordered<'m, T>(
    runs: &'m [&'m str],
    by_run: &'m BTreeMap<&str, T>,
) -> impl Iterator<Item = (&'m str, &'m T)> {
    runs.iter()
        .filter_map(move |r| by_run.get(r).map(|v| (*r, v)))
}

/// A table cell.
fn cell(text: &str) -> Value {
    json!({ "text": text, "url": Value::Null })
}

/// A table cell that links.
fn link(text: &str, url: &str) -> Value {
    json!({ "text": text, "url": url })
}

/// A chart's view.
fn figure(chart: &Chart, title: &str, table: &Value) -> Value {
    json!({
        "id": chart.id,
        "title": title,
        "svg": chart::svg(chart),
        "table": table,
    })
}

/// Keeps mark `m` and the entry it marks.
fn mark(markers: &mut Vec<Marker>, marked: &mut Vec<u64>, (seq, m): (u64, Marker)) {
    markers.push(m);
    marked.push(seq);
}

/// A mark on the axis for entry `e` at `step`, and the entry's seq.
fn marker(e: &Entry, step: u64, tag: char, class: &'static str, what: &str) -> (u64, Marker) {
    let m = Marker {
        x: step as f64,
        tag,
        label: format!("{what} step {} (entry #{})", grouped(step), e.seq),
        class,
    };
    (e.seq, m)
}

/// The chart in words: each run's first and last values, and the marks.
fn describe(name: &str, series: &[Series], markers: &[Marker]) -> String {
    let mut parts: Vec<String> = series
        .iter()
        .filter_map(|s| {
            let (first, last) = (s.points.first()?, s.points.last()?);
            if s.points.len() == 1 {
                return Some(format!(
                    "{name} of {}: {} at step {}",
                    s.name,
                    js_number(first.y),
                    grouped(first.x as u64)
                ));
            }
            Some(format!(
                "{name} of {} from {} at step {} to {} at step {}, {}",
                s.name,
                js_number(first.y),
                grouped(first.x as u64),
                js_number(last.y),
                grouped(last.x as u64),
                crate::text::count(s.points.len(), "point", "points")
            ))
        })
        .collect();
    for (class, one, many) in [
        ("restart", "restart", "restarts"),
        ("failure", "failure", "failures"),
        ("config", "configuration change", "configuration changes"),
    ] {
        let k = markers.iter().filter(|m| m.class == class).count();
        if k > 0 {
            parts.push(format!("{} marked", crate::text::count(k, one, many)));
        }
    }
    let mut text = parts.join("; ");
    text.push('.');
    text
}

/// At most [`TABLE_ROWS`] of `points`, evenly spaced, the first and last included.
fn sample<T: Copy>(points: &[T]) -> Vec<T> {
    if points.len() <= TABLE_ROWS {
        return points.to_vec();
    }
    let last = points.len() - 1;
    (0..TABLE_ROWS)
        .map(|i| points[i * last / (TABLE_ROWS - 1)])
        .collect()
}

fn table_note(count: usize, shown: usize) -> Value {
    (shown < count)
        .then(|| {
            format!(
                "{shown} of {} checkpoints, evenly spaced; every value is in entries.jsonl.",
                grouped(count as u64)
            )
        })
        .map_or(Value::Null, Value::from)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ledger_files, run};
    use super::*;

    fn url(name: &str, seq: u64) -> String {
        format!("/ledgers/{name}/#seq-{seq}")
    }

    /// The titles of a view's charts, in order.
    fn titles(v: &Value) -> Vec<&str> {
        v["charts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap())
            .collect()
    }

    /// Two runs: a checkpoint each, an evaluation of the first's with 120 metrics, a restart.
    fn ledger() -> Ledger {
        let metrics: Vec<String> = (0..120)
            .map(|i| format!(r#""m{i:03}":{{"value":0.{i:03},"ci95":[0.1,0.2],"n":10}}"#))
            .collect();
        let eval = format!(
            r#"{{"checkpoint_seq":2,"suite":"artifact:m@1.0.0","harness":"h","metrics":{{{}}}}}"#,
            metrics.join(",")
        );
        let bodies = [
            ("log.genesis", r#"{"title":"t"}"#),
            ("run.start", r#"{"run":"a","config":"c"}"#),
            (
                "checkpoint",
                r#"{"step":100,"tokens":409600,"files":[],"metrics":{"loss":2.5,"lr":0.001}}"#,
            ),
            ("eval", eval.as_str()),
            ("restart", r#"{"from_step":50,"reason":"r"}"#),
            ("run.start", r#"{"run":"b","config":"c"}"#),
            (
                "checkpoint",
                r#"{"step":200,"tokens":819200,"files":[],"metrics":{"loss":2.0}}"#,
            ),
        ];
        let (l, ds) = run(&ledger_files(&bodies, None), &[]);
        assert!(!ds.has_errors(), "{:?}", ds.iter().next());
        l.unwrap()
    }

    #[test]
    fn runs_metrics_and_marks_are_read_from_the_entries() {
        let v = view(&ledger(), url);
        assert_eq!(v["runs"], json!(["a", "b"]));
        let titles = titles(&v);
        assert_eq!(titles[..2], ["loss by step", "lr by step"]);
        assert_eq!(titles[2], "m000 on artifact:m@1.0.0, by checkpoint step");
        // A hundred and twenty evaluation metrics: the first twelve drawn, the rest named.
        assert_eq!(titles.len(), 2 + CHARTS);
        assert_eq!(
            titles[2 + CHARTS - 1],
            "m011 on artifact:m@1.0.0, by checkpoint step"
        );
        let undrawn = v["undrawn"].as_array().unwrap();
        assert_eq!(undrawn.len(), 120 - CHARTS);
        assert_eq!(undrawn[0], "m012 on artifact:m@1.0.0");
        assert_eq!(v["marks"][0]["label"], "restart from step 50 (entry #4)");
        assert_eq!(v["marks"][0]["url"], "/ledgers/t/#seq-4");
    }

    #[test]
    fn many_checkpoint_metrics_draw_the_losses_first_and_name_the_rest() {
        let metrics: Vec<String> = (0..13)
            .map(|i| format!(r#""a{i:02}":{i}"#))
            .chain(std::iter::once(r#""val_loss":1.5"#.to_owned()))
            .collect();
        let checkpoint = format!(
            r#"{{"step":100,"tokens":409600,"files":[],"metrics":{{{}}}}}"#,
            metrics.join(",")
        );
        let bodies = [
            ("log.genesis", r#"{"title":"t"}"#),
            ("checkpoint", checkpoint.as_str()),
        ];
        let (l, ds) = run(&ledger_files(&bodies, None), &[]);
        assert!(!ds.has_errors(), "{:?}", ds.iter().next());
        let v = view(&l.unwrap(), url);
        let titles = titles(&v);
        assert_eq!(titles.len(), CHARTS);
        assert_eq!(titles[0], "val_loss by step");
        assert_eq!(titles[CHARTS - 1], "a10 by step");
        assert_eq!(v["undrawn"], json!(["a11", "a12"]));
    }

    #[test]
    fn the_tables_hold_the_newest_hundred_results() {
        let l = ledger();
        let v = view(&l, url);
        assert_eq!(v["evals_total"], 120);
        let evals = v["evals"].as_array().unwrap();
        assert_eq!(evals.len(), TABLE_ROWS);
        assert_eq!(evals[0]["metric"], "m020");
        assert_eq!(evals[99]["metric"], "m119");
        let by = evals_by_artifact(std::slice::from_ref(&l), url, |n| format!("/ledgers/{n}/"));
        assert_eq!(by["m"].len(), TABLE_ROWS);
        assert_eq!(by["m"][99]["ledger"]["url"], "/ledgers/t/");
    }
}
