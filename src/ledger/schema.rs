//! The ledger line schema: the envelope every line has (`v`, `log`, `seq`, `prev`, `ts`,
//! `type`, `actor`, `body`, `refs`) and, per entry type, the fields its body must have.
//! Unknown types, unknown fields and missing fields are errors; problems are reported at the
//! field in the line.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, SourceText};

/// What a body field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A non-empty string.
    Text,
    /// A non-negative integer.
    Count,
    /// A non-negative integer or null.
    CountOrNull,
    /// A non-empty string or null.
    TextOrNull,
    /// Any JSON value.
    Any,
    /// One of the listed words.
    OneOf(&'static [&'static str]),
    /// A list of `{path, sha256, size, uri}` objects.
    Files,
    /// An object of metric name to number.
    Metrics,
    /// An object of metric name to `{value, ci95: [low, high], n}`.
    EvalMetrics,
}

/// One body field: its name, what it holds, and whether it must be there.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The key in `body`.
    pub name: &'static str,
    /// What it holds.
    pub shape: Shape,
    /// Whether it must be present.
    pub required: bool,
}

const fn req(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: true,
    }
}

const fn opt(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: false,
    }
}

/// The failure severities, mildest first.
pub const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];
/// How a run can end.
pub const OUTCOMES: &[&str] = &["completed", "stopped", "failed"];

/// Every entry type and its body fields. Documented in the run-ledger-template artifact.
pub const TYPES: &[(&str, &[Field])] = &[
    (
        "log.genesis",
        &[req("title", Shape::Text), opt("description", Shape::Text)],
    ),
    (
        "run.start",
        &[
            req("run", Shape::Text),
            req("config", Shape::Text),
            opt("plan", Shape::Text),
        ],
    ),
    (
        "config.change",
        &[
            req("key", Shape::Text),
            req("from", Shape::Any),
            req("to", Shape::Any),
            req("reason", Shape::Text),
        ],
    ),
    (
        "node.join",
        &[req("node", Shape::Text), opt("gpus", Shape::Count)],
    ),
    (
        "node.leave",
        &[req("node", Shape::Text), req("reason", Shape::Text)],
    ),
    (
        "checkpoint",
        &[
            req("step", Shape::Count),
            req("tokens", Shape::Count),
            req("files", Shape::Files),
            req("metrics", Shape::Metrics),
        ],
    ),
    (
        "eval",
        &[
            req("checkpoint_seq", Shape::Count),
            req("suite", Shape::Text),
            req("harness", Shape::Text),
            req("metrics", Shape::EvalMetrics),
            opt("task", Shape::Text),
        ],
    ),
    (
        "failure",
        &[
            req("class", Shape::Text),
            req("severity", Shape::OneOf(SEVERITIES)),
            req("step", Shape::CountOrNull),
            req("impact", Shape::Text),
            req("action", Shape::Text),
            req("failure_report", Shape::Text),
        ],
    ),
    (
        "restart",
        &[
            req("from_step", Shape::Count),
            req("reason", Shape::Text),
            opt("failure_seq", Shape::Count),
        ],
    ),
    (
        "artifact.status",
        &[
            req("ref", Shape::Text),
            req("from", Shape::TextOrNull),
            req("to", Shape::Text),
        ],
    ),
    (
        "claim.registered",
        &[req("claim", Shape::Text), req("artifact", Shape::Text)],
    ),
    ("note", &[req("text", Shape::Text)]),
    (
        "correction",
        &[
            req("target_seq", Shape::Count),
            req("reason", Shape::Text),
            opt("failure_report", Shape::Text),
        ],
    ),
    (
        "run.end",
        &[
            req("outcome", Shape::OneOf(OUTCOMES)),
            req("summary", Shape::Text),
        ],
    ),
];

/// The envelope keys, in the order `ledger append` writes them.
pub const ENVELOPE: [&str; 9] = [
    "v", "log", "seq", "prev", "ts", "type", "actor", "body", "refs",
];

/// The longest line, so each entry fits a tlog-tiles entry bundle (u16 length prefix).
pub const MAX_LINE: usize = 65_535;

/// The parsed envelope of one line.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Position in the log.
    pub seq: u64,
    /// Hex leaf hash of the previous line.
    pub prev: Option<String>,
    /// The time, as written.
    pub ts: String,
    /// The time, parsed.
    pub time: jiff::Timestamp,
    /// The entry type.
    pub kind: String,
    /// Who appended it.
    pub actor: String,
    /// The body.
    pub body: Map<String, Value>,
    /// Artifact references.
    pub refs: Vec<String>,
}

/// Where a line is: the file and the byte range of the line in it.
pub struct At<'a> {
    /// The `entries.jsonl` text.
    pub source: &'a Arc<SourceText>,
    /// Byte offset of the line.
    pub start: usize,
    /// The line, without its newline.
    pub line: &'a str,
}

impl At<'_> {
    /// The span of `"key":` (searched from `from`), or the whole line.
    pub fn key(&self, key: &str, from: usize) -> std::ops::Range<usize> {
        let pat = format!("\"{key}\":");
        match self.line.get(from..).and_then(|l| l.find(&pat)) {
            Some(i) => {
                let s = self.start + from + i;
                s..s + pat.len() - 1
            }
            None => self.whole(),
        }
    }

    /// The span of the whole line.
    pub fn whole(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.line.len()
    }

    fn body_start(&self) -> usize {
        self.line.find("\"body\":").unwrap_or(0)
    }

    /// An error at a body field.
    pub fn body_error(&self, field: &str, message: String) -> Diagnostic {
        Diagnostic::error(message).at(self.source, self.key(field, self.body_start()))
    }

    /// An error at an envelope field.
    pub fn error(&self, field: &str, message: String) -> Diagnostic {
        Diagnostic::error(message).at(self.source, self.key(field, 0))
    }
}

/// Parses and checks one line's envelope and body shape against `origin`.
pub fn check(at: &At<'_>, origin: &str) -> Result<Envelope, Vec<Diagnostic>> {
    if at.line.len() > MAX_LINE {
        return Err(vec![
            Diagnostic::error(format!(
                "ledger line is {} bytes; the limit is {MAX_LINE}",
                at.line.len()
            ))
            .at(at.source, at.start..at.start + 1)
            .help("keep large data in artifact files and reference them by sha256"),
        ]);
    }
    let value: Value = match serde_json::from_str(at.line) {
        Ok(v) => v,
        Err(e) => {
            let col = e.column().saturating_sub(1);
            return Err(vec![
                Diagnostic::error(format!(
                    "ledger line is not valid JSON: {}",
                    crate::text::parser_message(&e.to_string())
                ))
                .at(at.source, at.start + col..at.start + col + 1),
            ]);
        }
    };
    let Value::Object(mut obj) = value else {
        return Err(vec![
            Diagnostic::error("ledger line is not a JSON object").at(at.source, at.whole()),
        ]);
    };
    let mut errors = vec![];
    for key in obj.keys() {
        if !ENVELOPE.contains(&key.as_str()) {
            errors.push(
                at.error(key, format!("unknown field `{key}` in a ledger line"))
                    .help(format!("the fields are {}", ENVELOPE.join(", "))),
            );
        }
    }
    let mut missing = |k: &str| {
        errors
            .push(Diagnostic::error(format!("ledger line has no `{k}`")).at(at.source, at.whole()));
    };
    for k in ["v", "log", "seq", "prev", "ts", "type", "actor", "body"] {
        if !obj.contains_key(k) {
            missing(k);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if obj["v"].as_u64() != Some(1) {
        errors.push(at.error("v", "unknown ledger line version; expected `1`".into()));
    }
    if obj["log"].as_str() != Some(origin) {
        errors.push(at.error(
            "log",
            format!("`log` is not this ledger's origin `{origin}`"),
        ));
    }
    let seq = obj["seq"].as_u64();
    if seq.is_none() {
        errors.push(at.error("seq", "`seq` is not a non-negative integer".into()));
    }
    let prev = match &obj["prev"] {
        Value::Null => None,
        Value::String(s) if is_hex64(s) => Some(s.clone()),
        _ => {
            errors.push(at.error("prev", "`prev` is not null or 64 hex digits".into()));
            None
        }
    };
    let ts = obj["ts"].as_str().unwrap_or_default().to_owned();
    let time = parse_time(&ts);
    if time.is_none() {
        errors.push(at.error(
            "ts",
            format!("`ts` `{ts}` is not an RFC 3339 UTC time like `2026-01-31T12:00:00Z`"),
        ));
    }
    let kind = obj["type"].as_str().unwrap_or_default().to_owned();
    let actor = obj["actor"].as_str().unwrap_or_default().to_owned();
    if actor.is_empty() {
        errors.push(at.error("actor", "`actor` is not a non-empty string".into()));
    }
    let refs = match obj.get("refs") {
        None => vec![],
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(_) => {
            errors.push(at.error("refs", "`refs` is not a list of strings".into()));
            vec![]
        }
    };
    let body = if let Some(Value::Object(b)) = obj.remove("body") {
        b
    } else {
        errors.push(at.error("body", "`body` is not a JSON object".into()));
        Map::new()
    };
    match TYPES.iter().find(|(t, _)| *t == kind) {
        None => {
            let names: Vec<_> = TYPES.iter().map(|(t, _)| *t).collect();
            errors.push(
                at.error("type", format!("unknown ledger entry type `{kind}`"))
                    .help(format!("the types are {}", names.join(", "))),
            );
        }
        Some((_, fields)) => check_body(at, &kind, fields, &body, &mut errors),
    }
    match (errors.is_empty(), seq, time) {
        (true, Some(seq), Some(time)) => Ok(Envelope {
            seq,
            prev,
            ts,
            time,
            kind,
            actor,
            body,
            refs,
        }),
        _ => Err(errors),
    }
}

fn check_body(
    at: &At<'_>,
    kind: &str,
    fields: &[Field],
    body: &Map<String, Value>,
    errors: &mut Vec<Diagnostic>,
) {
    for key in body.keys() {
        if !fields.iter().any(|f| f.name == key) {
            let names: Vec<_> = fields.iter().map(|f| f.name).collect();
            errors.push(
                at.body_error(key, format!("unknown field `{key}` in a `{kind}` body"))
                    .help(format!("a `{kind}` body has {}", names.join(", "))),
            );
        }
    }
    for f in fields {
        match body.get(f.name) {
            None if f.required => errors.push(
                at.error("body", format!("`{kind}` body has no `{}`", f.name))
                    .label(format!("expected `{}`: {}", f.name, describe(f.shape))),
            ),
            None => {}
            Some(v) => {
                if let Err(why) = shape_ok(f.shape, v) {
                    errors.push(
                        at.body_error(f.name, format!("`{}` in a `{kind}` body {why}", f.name)),
                    );
                }
            }
        }
    }
}

/// The shape in words, for messages and the template's documentation.
pub fn describe(shape: Shape) -> String {
    match shape {
        Shape::Text => "a non-empty string".into(),
        Shape::Count => "a non-negative integer".into(),
        Shape::CountOrNull => "a non-negative integer or null".into(),
        Shape::TextOrNull => "a non-empty string or null".into(),
        Shape::Any => "any JSON value".into(),
        Shape::OneOf(words) => format!("one of {}", words.join(", ")),
        Shape::Files => "a list of {path, sha256, size, uri}".into(),
        Shape::Metrics => "an object of metric name to number".into(),
        Shape::EvalMetrics => "an object of metric name to {value, ci95: [low, high], n}".into(),
    }
}

fn shape_ok(shape: Shape, v: &Value) -> Result<(), String> {
    let ok = match shape {
        Shape::Text => v.as_str().is_some_and(|s| !s.is_empty()),
        Shape::Count => v.as_u64().is_some(),
        Shape::CountOrNull => v.is_null() || v.as_u64().is_some(),
        Shape::TextOrNull => v.is_null() || v.as_str().is_some_and(|s| !s.is_empty()),
        Shape::Any => true,
        Shape::OneOf(words) => v.as_str().is_some_and(|s| words.contains(&s)),
        Shape::Files => return files_ok(v),
        Shape::Metrics => v
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_number)),
        Shape::EvalMetrics => return eval_metrics_ok(v),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("is not {}", describe(shape)))
    }
}

fn files_ok(v: &Value) -> Result<(), String> {
    let Some(list) = v.as_array() else {
        return Err(format!("is not {}", describe(Shape::Files)));
    };
    for (i, f) in list.iter().enumerate() {
        let ok = f.as_object().is_some_and(|o| {
            o.len() == 4
                && o.get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
                && o.get("sha256")
                    .and_then(Value::as_str)
                    .is_some_and(is_hex64)
                && o.get("size").and_then(Value::as_u64).is_some()
                && o.get("uri")
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty())
        });
        if !ok {
            return Err(format!(
                "has file {i} that is not {{path, sha256 (64 hex digits), size, uri}}"
            ));
        }
    }
    Ok(())
}

fn eval_metrics_ok(v: &Value) -> Result<(), String> {
    let Some(m) = v.as_object() else {
        return Err(format!("is not {}", describe(Shape::EvalMetrics)));
    };
    for (name, metric) in m {
        let ok = metric.as_object().is_some_and(|o| {
            o.len() == 3
                && o.get("value").is_some_and(Value::is_number)
                && o.get("n").and_then(Value::as_u64).is_some()
                && o.get("ci95").and_then(Value::as_array).is_some_and(|a| {
                    a.len() == 2 && a.iter().all(Value::is_number) && a[0].as_f64() <= a[1].as_f64()
                })
        });
        if !ok {
            return Err(format!(
                "has metric `{name}` that is not {{value, ci95: [low, high], n}}"
            ));
        }
    }
    Ok(())
}

/// Whether `s` is 64 lowercase hex digits.
pub fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses an RFC 3339 UTC time ending in `Z`.
pub fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    if !s.ends_with('Z') {
        return None;
    }
    s.parse().ok()
}
