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

/// Rows of a chart's table, at most: longer series are sampled evenly (first and last kept);
/// every value is in `entries.jsonl`.
const TABLE_ROWS: usize = 100;

/// A metric's values by run: each checkpoint and its value, in entry order.
type ByRun<'a> = BTreeMap<&'a str, Vec<(&'a Checkpoint<'a>, f64)>>;

/// A checkpoint's numbers.
struct Checkpoint<'a> {
    run: &'a str,
    step: u64,
    tokens: u64,
    entry: &'a Entry,
}

/// The view of a ledger's figures: `charts` (the metric charts, then the evaluation charts,
/// each `{id, title, svg, table: {head, rows, note}}`), `evals` (every evaluation result,
/// `{seq, url, run, checkpoint_seq, checkpoint_url, step, suite, harness, metric, value, low,
/// high, n}`) and `runs` (their names, in order).
pub(crate) fn view(l: &Ledger, entry_url: fn(&str, u64) -> String) -> Value {
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
    runs.retain(|r| {
        checkpoints.values().any(|c| c.run == *r) || evals.iter().any(|(_, er)| er == r)
    });

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
    for (i, name) in names.into_iter().enumerate() {
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
    let mut results = vec![];
    let mut by_metric: BTreeMap<(String, String), BTreeMap<&str, Vec<Point>>> = BTreeMap::new();
    for (e, run) in &evals {
        let Some(cseq) = e.body.get("checkpoint_seq").and_then(Value::as_u64) else {
            continue;
        };
        let checkpoint = checkpoints.get(&cseq);
        let suite = e.body.get("suite").and_then(Value::as_str).unwrap_or("");
        let harness = e.body.get("harness").and_then(Value::as_str).unwrap_or("");
        let Some(m) = e.body.get("metrics").and_then(Value::as_object) else {
            continue;
        };
        for (metric, r) in m {
            let Some(value) = r.get("value").and_then(Value::as_f64) else {
                continue;
            };
            let ci = r
                .get("ci95")
                .and_then(Value::as_array)
                .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
            let n = r.get("n").and_then(Value::as_u64);
            results.push(json!({
                "seq": e.seq,
                "url": entry_url(&l.name, e.seq),
                "run": run,
                "checkpoint_seq": cseq,
                "checkpoint_url": entry_url(&l.name, cseq),
                "step": checkpoint.map(|c| grouped(c.step)),
                "suite": suite,
                "harness": harness,
                "metric": metric,
                "value": js_number(value),
                "low": ci.map(|c| js_number(c.0)),
                "high": ci.map(|c| js_number(c.1)),
                "n": n.map(grouped),
                "refs": e.refs,
            }));
            if let Some(c) = checkpoint {
                by_metric
                    .entry((suite.to_owned(), metric.clone()))
                    .or_default()
                    .entry(run)
                    .or_default()
                    .push(Point {
                        x: c.step as f64,
                        y: value,
                        ci,
                    });
            }
        }
    }
    for (i, ((suite, metric), by_run)) in by_metric.iter().enumerate() {
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
                y_label: metric.clone(),
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
    // The marks, with their links: listed beside the charts, which hold no links.
    let marks: Vec<Value> = marked
        .iter()
        .zip(&markers)
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
        "evals": results,
        "runs": runs,
        "marks": marks,
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
