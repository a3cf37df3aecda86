//! Run ledgers on the site: the ledger kind's outputs, and views of run ledgers for templates:
//! the run page (`ledger.html`, paginated), the excerpts
//! `get_ledger` hands the `ledger` shortcode, and the `artifact.status` history on artifact
//! pages. Each entry keeps its exact stored line so the browser can hash it as the build did.
//! A ledger's summary (counts, checkpoints, open failures) is made once, and each page or
//! excerpt adds views of only the entries it shows, so a run page costs the same in a ledger
//! of a hundred entries or of a hundred thousand.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Entry, Ledger, merkle, tiles};
use crate::kind::{
    self, Claim, Job, Made, Output, Rendered, SearchRecord, Summary, Templates, UrlPath,
};

/// The run ledgers as a content kind: each ledger's run pages (`ledger.html`) and published
/// files (entries, checkpoints, tiles, proofs), and the index of every run (`ledger_list.html`,
/// at `/ledgers/`).
pub(crate) struct Ledgers<'a>(pub(crate) &'a [Ledger]);

/// What a job of the ledgers makes.
enum Work {
    /// Run page `pager` of `total` of the ledger at `index`.
    Page {
        index: usize,
        pager: usize,
        total: usize,
        /// The ledger's view without entries, shared by its pages.
        summary: Arc<Value>,
        /// Its charts and evaluation results, shown on its first page.
        figures: Option<Arc<Value>>,
    },
    /// A published file, made when planned.
    File(Arc<Vec<u8>>),
    /// The index of every run ledger.
    Index,
}

/// The template of a run page.
const PAGE: &str = "ledger.html";
/// The template of the index of run ledgers.
const INDEX: &str = "ledger_list.html";
/// The URL of the index of run ledgers.
const INDEX_URL: &str = "/ledgers/";

impl kind::Kind for Ledgers<'_> {
    fn outputs(&self, templates: &dyn Templates) -> Vec<Output> {
        let mut out = vec![];
        if templates.has(INDEX) && !self.0.is_empty() {
            out.push(Output {
                url: UrlPath::new(INDEX_URL),
                job: Job::new(Made::Fixed, Work::Index),
                claim: Claim::generated(INDEX_URL),
            });
        }
        for (index, l) in self.0.iter().enumerate() {
            let claim = || Claim::generated(&format!("ledgers/{}/", l.name));
            if templates.has(PAGE) {
                let total = pages(l);
                let summary = Arc::new(summary_view(l));
                let figures = Arc::new(super::figures::view(l, entry_url));
                for pager in 1..=total {
                    let work = Work::Page {
                        index,
                        pager,
                        total,
                        summary: Arc::clone(&summary),
                        figures: (pager == 1).then(|| Arc::clone(&figures)),
                    };
                    out.push(Output {
                        url: UrlPath::new(page_url(&l.name, pager)),
                        job: Job::new(Made::Fixed, work),
                        claim: claim(),
                    });
                }
            }
            for (path, bytes) in l.published() {
                out.push(Output {
                    url: UrlPath::new(format!("{}{path}", url(&l.name))),
                    job: Job::new(Made::Fixed, Work::File(Arc::new(bytes))),
                    claim: claim(),
                });
            }
        }
        out
    }

    fn link_targets(&self, templates: &dyn Templates) -> Vec<UrlPath> {
        let mut out = vec![];
        if templates.has(INDEX) && !self.0.is_empty() {
            out.push(UrlPath::new(INDEX_URL));
        }
        // Run pages are valid targets whatever the theme, as they have always been.
        for l in self.0 {
            out.extend((1..=pages(l)).map(|p| UrlPath::new(page_url(&l.name, p))));
            out.extend(
                l.published_paths()
                    .into_iter()
                    .map(|p| UrlPath::new(format!("{}{p}", url(&l.name)))),
            );
        }
        out
    }

    fn render(&self, job: &Job, templates: &dyn Templates) -> Rendered {
        match job.get::<Work>() {
            Some(Work::Page {
                index,
                pager,
                total,
                summary,
                figures,
            }) => {
                let (l, pager, total) = (&self.0[*index], *pager, *total);
                let start = ((pager - 1) * PER_PAGE).min(l.entries.len());
                let end = (start + PER_PAGE).min(l.entries.len());
                let pager_view = json!({
                    "current": pager,
                    "total": total,
                    "previous": (pager > 1).then(|| page_url(&l.name, pager - 1)),
                    "next": (pager < total).then(|| page_url(&l.name, pager + 1)),
                });
                templates.render(
                    PAGE,
                    &page_url(&l.name, pager),
                    vec![
                        ("ledger", {
                            let mut view = with_entries(summary, l, &l.entries[start..end]);
                            if let Some(f) = figures {
                                view["figures"] = Value::clone(f);
                            }
                            tera_value(&view)
                        }),
                        ("pager", tera_value(&pager_view)),
                    ],
                )
            }
            Some(Work::File(bytes)) => Ok(kind::Body::Bytes(bytes.to_vec())),
            Some(Work::Index) => {
                let runs = self.0.iter().map(summary_view).collect();
                templates.render(
                    INDEX,
                    INDEX_URL,
                    vec![("ledgers", tera_value(&Value::Array(runs)))],
                )
            }
            None => Err(Some(crate::diagnostic::Diagnostic::error(
                "a run ledger was asked to render another kind's output",
            ))),
        }
    }

    fn search(&self) -> Vec<SearchRecord<'_>> {
        self.0
            .iter()
            .map(|l| SearchRecord {
                title: l.title.clone(),
                url: UrlPath::new(page_url(&l.name, 1)),
                kind: "ledger",
                summary: Summary::Text(format!(
                    "Run ledger `{}`: {} entries, each verifiable against its signed checkpoint",
                    l.name,
                    l.entries.len()
                )),
                words: format!("{} {}", l.origin, l.actors.join(" ")),
                body: None,
            })
            .collect()
    }

    /// Each run's first page, and the index of runs.
    fn sitemap(&self) -> Vec<UrlPath> {
        let mut out: Vec<UrlPath> = self
            .0
            .iter()
            .map(|l| UrlPath::new(page_url(&l.name, 1)))
            .collect();
        if !self.0.is_empty() {
            out.push(UrlPath::new(INDEX_URL));
        }
        out
    }
}

/// Entries per run page.
pub(crate) const PER_PAGE: usize = 50;

/// The run page of a ledger.
pub(crate) fn url(name: &str) -> String {
    format!("/ledgers/{name}/")
}

/// How many run pages a ledger has.
pub(crate) fn pages(l: &Ledger) -> usize {
    l.entries.len().div_ceil(PER_PAGE).max(1)
}

/// The URL of run page `pager` (1-based).
pub(crate) fn page_url(name: &str, pager: usize) -> String {
    if pager == 1 {
        url(name)
    } else {
        format!("{}page/{pager}/", url(name))
    }
}

fn tera_value(v: &Value) -> tera::Value {
    tera::Value::from_serializable(v)
}

/// A body value as the summary shows it: text as it is, anything else as JSON written the way
/// the browser's `ledger-verify.js` writes it (keys sorted, numbers as JavaScript prints them),
/// so that the summary it reads from the verified line is this one, character for character.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "none".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let mut out = String::new();
            js_json(other, &mut out);
            out
        }
    }
}

/// JSON with sorted keys and JavaScript's numbers (`JSON.stringify` of the same value with its
/// keys sorted).
fn js_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&crate::text::js_number(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                js_json(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            // serde_json's map is sorted by key.
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                js_json(x, out);
            }
            out.push('}');
        }
    }
}

/// An entry's `metrics` as `name value, …` (names sorted), each value as `value` reads it from
/// the metric's body: a checkpoint's is the number, an eval's its `value`.
fn metrics(e: &Entry, value: impl Fn(&Value) -> Option<&Value>) -> String {
    e.body
        .get("metrics")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {}", text(value(v))))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// A one-line reading of an entry's body.
pub(crate) fn summary(e: &Entry) -> String {
    let b = |k: &str| text(e.body.get(k));
    // A count, its thousands grouped.
    let g = |k: &str| crate::text::group_digits(&b(k));
    match e.kind.as_str() {
        "log.genesis" => format!("Ledger opened: {}", b("title")),
        "run.start" => format!("Run {} started with config {}", b("run"), b("config")),
        "config.change" => format!(
            "{}: {} → {} ({})",
            b("key"),
            b("from"),
            b("to"),
            b("reason")
        ),
        "node.join" => match e.body.get("gpus") {
            Some(_) => format!("Node {} joined with {} GPUs", b("node"), g("gpus")),
            None => format!("Node {} joined", b("node")),
        },
        "node.leave" => format!("Node {} left: {}", b("node"), b("reason")),
        "checkpoint" => {
            let metrics = metrics(e, |v| Some(v));
            format!(
                "Checkpoint at step {}, {} tokens, {}{}",
                g("step"),
                g("tokens"),
                crate::text::count(
                    e.body
                        .get("files")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len),
                    "file",
                    "files"
                ),
                if metrics.is_empty() {
                    String::new()
                } else {
                    format!(": {metrics}")
                }
            )
        }
        "eval" => {
            let metrics = metrics(e, |v| v.get("value"));
            format!(
                "Eval of checkpoint #{} on {} ({}): {metrics}",
                b("checkpoint_seq"),
                b("suite"),
                b("harness")
            )
        }
        // The report is not read from the line: a later report or correction settles a
        // `pending` one, and the page says which (`report` in the entry's view).
        "failure" => format!(
            "{} {} failure at step {}: {}. Action: {}.",
            b("severity"),
            b("class"),
            g("step"),
            b("impact"),
            b("action")
        ),
        "restart" => format!("Restarted from step {}: {}", g("from_step"), b("reason")),
        "artifact.status" => format!("{}: {} → {}", b("ref"), b("from"), b("to")),
        "claim.registered" => format!("Claim {} registered for {}", b("claim"), b("artifact")),
        "note" => b("text"),
        "correction" => format!("Correction to #{}: {}", b("target_seq"), b("reason")),
        "run.end" => format!("Run ended ({}): {}", b("outcome"), b("summary")),
        _ => String::new(),
    }
}

/// Where entry `seq` of ledger `name` is shown: its run page, at its anchor.
pub(crate) fn entry_url(name: &str, seq: u64) -> String {
    let pager = usize::try_from(seq).unwrap_or(0) / PER_PAGE + 1;
    format!("{}#seq-{seq}", page_url(name, pager))
}

/// One entry for a template. A signed entry names the level-0 tile of the newest checkpoint's
/// tree that holds its leaf hash, where a client starts computing its inclusion proof.
pub(crate) fn entry(l: &Ledger, e: &Entry) -> Value {
    let size = l.latest().map_or(0, |c| c.checkpoint.size);
    let signed = e.seq < size;
    let tile = signed.then(|| {
        let index = e.seq / tiles::WIDTH as u64;
        let in_tile = size - index * tiles::WIDTH as u64;
        let tile = tiles::Tile {
            level: Some(0),
            index,
            width: usize::try_from(in_tile).map_or(tiles::WIDTH, |w| w.min(tiles::WIDTH)),
        };
        format!("{}{}", url(&l.name), tile.path())
    });
    // A failure's report, as settled by the whole site: none while it is pending.
    let report = (e.kind == "failure").then(|| {
        l.reports.get(&e.seq).map_or(Value::Null, |r| {
            json!({
                "id": r.id,
                "url": r.url,
            })
        })
    });
    let summary = summary(e);
    // A note is written by a person, in markdown: shown with its inline markup.
    let summary_html = if e.kind == "note" {
        super::inline::html(&summary)
    } else {
        crate::text::escape_html(&summary)
    };
    json!({
        "seq": e.seq,
        "ts": e.ts,
        "type": e.kind,
        "actor": e.actor,
        "summary": summary,
        "summary_html": summary_html,
        "body": e.body,
        "refs": e.refs,
        "line": e.line,
        "leaf": merkle::hex(&e.leaf),
        "signed": signed,
        "tile_url": tile,
        "url": entry_url(&l.name, e.seq),
        "report": report,
    })
}

/// A ledger for templates without its entries: what every run page and excerpt of it shows.
pub(crate) fn summary_view(l: &Ledger) -> Value {
    let mut counts = serde_json::Map::new();
    for e in &l.entries {
        let n = counts.get(&e.kind).and_then(Value::as_u64).unwrap_or(0);
        counts.insert(e.kind.clone(), Value::from(n + 1));
    }
    let base = url(&l.name);
    let closed: Vec<u64> = l
        .entries
        .iter()
        .filter(|e| e.kind == "restart")
        .filter_map(|e| e.body.get("failure_seq").and_then(Value::as_u64))
        .collect();
    let open: Vec<Value> = l
        .entries
        .iter()
        .filter(|e| e.kind == "failure" && !closed.contains(&e.seq))
        .map(|e| entry(l, e))
        .collect();
    let signed = l.latest().map_or(0, |c| c.checkpoint.size);
    let key = l.keys.first().map(|k| {
        use base64::Engine as _;
        json!({
            "name": k.name,
            "line": k.line(),
            "id": format!("{:08x}", k.id),
            "public": base64::engine::general_purpose::STANDARD.encode(k.public_key()),
        })
    });
    json!({
        "name": l.name,
        "title": l.title,
        "origin": l.origin,
        "url": base,
        "entries_url": format!("{base}entries.jsonl"),
        "checkpoint_url": l.latest().map(|_| format!("{base}checkpoint")),
        "tiles_url": l.latest().map(|_| format!("{base}tile/")),
        "keys": l.keys.iter().map(crate::ledger::note::Verifier::line).collect::<Vec<_>>(),
        "key": key,
        "size": l.entries.len(),
        "signed": signed,
        "unsigned": l.entries.len() as u64 - signed,
        "counts": counts,
        "checkpoints": l.checkpoints.iter().map(|c| json!({
            "size": c.checkpoint.size,
            "root": merkle::hex(&c.checkpoint.root),
            "url": format!("{base}checkpoints/{}", c.checkpoint.size),
            "cosigned_by": c.cosignatures.iter().map(|co| json!({
                "witness": co.witness,
                "time": posix_time(co.time),
            })).collect::<Vec<_>>(),
            "witnessed": l.witnessed(c),
        })).collect::<Vec<_>>(),
        "policy": {
            "witnesses": l.policy.witnesses.iter().map(|w| json!({
                "name": w.name,
                "key": w.key.line(),
            })).collect::<Vec<_>>(),
            "quorum": l.policy.quorum,
        },
        "checkpoint_note": l.latest().map(|c| c.note.clone()),
        "open_failures": open,
        "entries": [],
    })
}

/// A cosignature's time, POSIX seconds, as an RFC 3339 UTC time (`2026-12-05T04:30:00Z`).
fn posix_time(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(|| seconds.to_string(), |t| t.to_string())
}

/// The summary view of `l` with the views of `entries` (a slice of its entries).
pub(crate) fn with_entries(summary: &Value, l: &Ledger, entries: &[Entry]) -> Value {
    let mut view = summary.clone();
    view["entries"] = entries.iter().map(|e| entry(l, e)).collect();
    view
}

/// The evaluation results of every ledger by the artifact each names (see
/// `figures::evals_by_artifact`).
pub(crate) fn evals_by_artifact(ledgers: &[Ledger]) -> HashMap<&str, Vec<Value>> {
    super::figures::evals_by_artifact(ledgers, entry_url, url)
}

/// The `artifact.status` entries of every ledger, by the artifact id their `ref` names, in
/// ledger and entry order: found in one pass, for every artifact page at once.
pub(crate) fn status_histories(ledgers: &[Ledger]) -> HashMap<&str, Vec<Value>> {
    let mut out: HashMap<&str, Vec<Value>> = HashMap::new();
    for l in ledgers {
        for e in &l.entries {
            if e.kind != "artifact.status" {
                continue;
            }
            let r = e.body.get("ref").and_then(Value::as_str).unwrap_or("");
            if let Some(id) = crate::ledger::artifact_id(r) {
                let mut v = entry(l, e);
                v["ledger"] = json!({ "name": l.name, "title": l.title, "url": url(&l.name) });
                v["from"] = e.body.get("from").cloned().unwrap_or(Value::Null);
                v["to"] = e.body.get("to").cloned().unwrap_or(Value::Null);
                out.entry(id).or_default().push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summaries the browser's `ledger-verify.js` must agree with, one or more per entry
    /// type; `tests/browser/ledger-summary.test.mjs` checks the script against the same file.
    const CORPUS: &str = include_str!("../../tests/fixtures/ledger/summaries.json");

    #[test]
    fn summaries_are_the_ones_the_browser_reads_from_the_line() {
        let cases: Vec<Value> = serde_json::from_str(CORPUS).unwrap();
        let mut types = std::collections::BTreeSet::new();
        for case in &cases {
            let kind = case["type"].as_str().unwrap().to_owned();
            let e = Entry {
                seq: 0,
                ts: String::new(),
                kind: kind.clone(),
                actor: String::new(),
                body: case["body"].as_object().unwrap().clone(),
                refs: vec![],
                line: String::new(),
                leaf: [0; 32],
            };
            assert_eq!(summary(&e), case["summary"].as_str().unwrap(), "{case}");
            types.insert(kind);
        }
        for (kind, _) in crate::ledger::schema::TYPES {
            assert!(types.contains(*kind), "no summary of a `{kind}` entry");
        }
    }
}
