//! Run ledgers: append-only JSON Lines logs under `artifacts/ledgers/<name>/` with a hash chain
//! (`prev`), an RFC 6962 Merkle tree over the exact bytes of each line, and C2SP signed
//! checkpoints. `ledger::check` verifies every ledger the load stage found and returns plain
//! data for the render stage; `command` holds the `ancapex ledger` subcommands.
//!
//! A leaf is one line of `entries.jsonl` without its newline, hashed as it is stored (never
//! re-serialised), so any tlog client computes the same tree from the published file.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};

pub mod checkpoint;
pub mod command;
pub mod cosign;
mod figures;
mod files;
mod frozen;
mod inline;
mod lookup;
mod memory;
pub mod monitor;
pub use crate::merkle;
pub mod note;
pub mod proof;
pub mod schema;
pub(crate) mod site;
pub mod tiles;
pub mod witness;

pub use files::LedgerFiles;
pub(crate) use files::{read as read_files, read_one as read_folder};
pub use frozen::since as frozen_since;
pub(crate) use lookup::{View, lookup};

use checkpoint::Checkpoint;
use merkle::Hash;
use note::Verifier;

/// A verified ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Its folder name under `artifacts/ledgers/`.
    pub name: String,
    /// A human title (the genesis title when `ledger.toml` has none).
    pub title: String,
    /// The log's origin line.
    pub origin: String,
    /// The keys whose checkpoint signatures count.
    pub keys: Vec<Verifier>,
    /// Who co-signs its checkpoints, and how many must.
    pub policy: witness::Policy,
    /// Who may append.
    pub actors: Vec<String>,
    /// Every entry, by seq.
    pub entries: Vec<Entry>,
    /// The signed checkpoints, smallest first.
    pub checkpoints: Vec<SignedCheckpoint>,
    /// The bytes of `entries.jsonl`.
    pub bytes: Arc<str>,
    /// The Merkle tree over every line, its subtree hashes computed once for every tree head,
    /// proof and tile.
    pub tree: Arc<merkle::Tree>,
    /// The report that settles each `failure` entry, by seq (see `settle`); an entry missing
    /// here is still pending.
    pub reports: BTreeMap<u64, Settled>,
    /// The warning for each `failure` entry whose line says `pending`, until `settle` finds
    /// its report.
    pub(crate) pending: Vec<(u64, Diagnostic)>,
}

/// The report a `failure` entry is settled by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The report's id (`artifacts/failures/<id>.md`).
    pub id: String,
    /// The report's page, when it is published in this build (else it is a draft, not
    /// linked).
    pub url: Option<String>,
}

/// What the ledger commands are told of the site's failure reports.
#[derive(Debug, Clone, Default)]
pub struct Reports {
    /// The id of every report file, published or not: a ledger line may name any of them.
    pub ids: BTreeSet<String>,
    /// The reports a build publishes, which settle the failures they cite.
    pub published: Vec<Citing>,
}

/// A published failure report, as the ledgers see it: what it cites and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citing {
    /// The report's id.
    pub id: String,
    /// Its page's URL.
    pub url: String,
    /// The ledger entries it cites (`ledger:<name>#<seq>`).
    pub ledger_refs: Vec<String>,
}

/// One ledger line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Position in the log.
    pub seq: u64,
    /// The time as written.
    pub ts: String,
    /// The entry type.
    pub kind: String,
    /// Who appended it.
    pub actor: String,
    /// The body.
    pub body: Map<String, Value>,
    /// Artifact references.
    pub refs: Vec<String>,
    /// The exact stored line, without its newline.
    pub line: String,
    /// SHA-256(0x00 || line).
    pub leaf: Hash,
}

/// A checkpoint note that verified.
#[derive(Debug, Clone)]
pub struct SignedCheckpoint {
    /// The tree head.
    pub checkpoint: Checkpoint,
    /// The whole signed note, the witnesses' cosignature lines included.
    pub note: String,
    /// The valid cosignatures of the policy's witnesses, in the policy's order.
    pub cosignatures: Vec<witness::Cosignature>,
}

/// What the other checks need from the rest of the site.
pub struct Known<'a> {
    /// Failure report ids (`artifacts/failures/<id>.md` stems).
    pub failure_reports: &'a BTreeSet<String>,
    /// Artifact ids.
    pub artifacts: &'a BTreeSet<String>,
}

impl Ledger {
    /// The entry at `seq`.
    pub fn entry(&self, seq: u64) -> Option<&Entry> {
        usize::try_from(seq).ok().and_then(|i| self.entries.get(i))
    }

    /// The newest checkpoint.
    pub fn latest(&self) -> Option<&SignedCheckpoint> {
        self.checkpoints.last()
    }

    /// Leaf hashes of every line.
    pub fn leaves(&self) -> Vec<Hash> {
        self.tree.leaves().to_vec()
    }

    /// The signed checkpoints whose tree holds entry `seq`, smallest first: none while it is
    /// in the unsigned tail.
    pub fn holding(&self, seq: u64) -> impl DoubleEndedIterator<Item = &SignedCheckpoint> {
        self.checkpoints
            .iter()
            .filter(move |c| seq < c.checkpoint.size)
    }

    /// Whether the policy names witnesses and a quorum of them co-signed `checkpoint`.
    pub fn witnessed(&self, checkpoint: &SignedCheckpoint) -> bool {
        self.policy.quorum > 0 && self.policy.met_by(&checkpoint.cosignatures)
    }

    /// The inclusion proof of `seq` as C2SP tlog-proof text, and the checkpoint it proves
    /// against, whose note (with its cosignature lines, as the spec allows) ends the proof:
    /// the newest witnessed checkpoint that holds the entry, else the newest checkpoint (not
    /// yet witnessed). A witnessed checkpoint is the stronger proof: its witnesses saw the same
    /// history. None for entries in the unsigned tail.
    pub fn proof(&self, seq: u64) -> Option<(String, &SignedCheckpoint)> {
        let cp = self
            .holding(seq)
            .rev()
            .find(|c| self.witnessed(c))
            .or_else(|| self.holding(seq).next_back())?;
        let size = usize::try_from(cp.checkpoint.size).ok()?;
        let path = self.tree.inclusion_proof(usize::try_from(seq).ok()?, size);
        Some((proof::text(seq, &path, &cp.note), cp))
    }
}

/// The parts of `ledger.toml`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    origin: String,
    title: Option<String>,
    keys: Vec<String>,
    actors: Vec<String>,
    policy: Option<witness::PolicyToml>,
}

/// Verifies every ledger: the config, each line's schema, the seq, `prev` and time order, and
/// every checkpoint's signature, tree and consistency. Only checkpoints that verify are kept.
pub fn check(files: &[LedgerFiles], known: &Known<'_>) -> (Vec<Ledger>, Diagnostics) {
    let mut ledgers = vec![];
    let mut ds = Diagnostics::new();
    for f in files {
        // A ledger with errors stays in, so its pages and excerpts report nothing more; the
        // errors fail the build anyway.
        let (ledger, mine) = verify(f, known);
        ledgers.extend(ledger);
        ds.extend(mine);
    }
    (ledgers, ds)
}

/// Verifies one ledger.
pub fn verify(f: &LedgerFiles, known: &Known<'_>) -> (Option<Ledger>, Diagnostics) {
    let mut ds = Diagnostics::new();
    let Some(config_src) = &f.config else {
        ds.push(
            Diagnostic::error(format!("ledger `{}` has no `ledger.toml`", f.name))
                .in_file(format!("artifacts/ledgers/{}", f.name))
                .help("create it with `ancapex ledger init`"),
        );
        return (None, ds);
    };
    let config: Config = match toml::from_str(&config_src.text) {
        Ok(c) => c,
        Err(e) => {
            let d = Diagnostic::error(format!(
                "invalid ledger config: {}",
                crate::config::toml_message(&e)
            ));
            ds.push(match crate::config::toml_error_span(&e, &config_src.text) {
                Some(span) => d.at(config_src, span),
                None => d.in_file(config_src.path.clone()),
            });
            return (None, ds);
        }
    };
    let mut keys = vec![];
    for k in &config.keys {
        match Verifier::parse(k) {
            Ok(v) => keys.push(v),
            Err(why) => ds.push(
                Diagnostic::error(format!("invalid verifier key: {why}"))
                    .at(config_src, locate(&config_src.text, k)),
            ),
        }
    }
    if config.keys.is_empty() {
        ds.push(
            Diagnostic::error("ledger has no verifier keys")
                .at(config_src, locate(&config_src.text, "keys"))
                .help("add the key line printed by `ancapex ledger keygen`"),
        );
    }
    let policy = witness::policy(config.policy.as_ref(), config_src, &mut ds);
    let Some(src) = &f.entries else {
        ds.push(
            Diagnostic::error(format!("ledger `{}` has no `entries.jsonl`", f.name))
                .in_file(format!("artifacts/ledgers/{}", f.name)),
        );
        return (None, ds);
    };
    let (entries, mut lines, pending) = check_entries(&f.name, src, &config, known, &mut ds);
    let mut ledger = Ledger {
        name: f.name.clone(),
        title: config
            .title
            .clone()
            .or_else(|| {
                entries
                    .first()
                    .and_then(|e| e.body.get("title")?.as_str().map(str::to_owned))
            })
            .unwrap_or_else(|| f.name.clone()),
        origin: config.origin.clone(),
        keys,
        policy,
        actors: config.actors.clone(),
        entries,
        checkpoints: vec![],
        bytes: Arc::clone(&src.text),
        tree: Arc::new(merkle::Tree::new(std::mem::take(&mut lines.leaves))),
        reports: BTreeMap::new(),
        pending,
    };
    ledger.checkpoints = check_checkpoints(f, &ledger, &lines, src, &mut ds);
    (Some(ledger), ds)
}

/// The span of the first occurrence of `needle` in `text`, or the start.
pub(super) fn locate(text: &str, needle: &str) -> std::ops::Range<usize> {
    text.find(needle).map_or(0..0, |i| i..i + needle.len())
}

/// The lines of an `entries.jsonl` as they are hashed into the tree: each without its
/// newline (a last line without one is a line too).
pub(super) fn entry_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
}

/// Every line's leaf hash (valid or not; moved into the ledger's tree), and the first line
/// after which the `prev` chain breaks (0-based), to name the changed line when a checkpoint
/// no longer matches.
struct Lines {
    leaves: Vec<Hash>,
    chain_break: Option<usize>,
}

fn check_entries(
    name: &str,
    src: &Arc<SourceText>,
    config: &Config,
    known: &Known<'_>,
    ds: &mut Diagnostics,
) -> (Vec<Entry>, Lines, Vec<(u64, Diagnostic)>) {
    let mut lines = Lines {
        leaves: vec![],
        chain_break: None,
    };
    let text: &str = &src.text;
    let mut entries: Vec<Entry> = vec![];
    if !text.is_empty() && !text.ends_with('\n') {
        let start = text.rfind('\n').map_or(0, |i| i + 1);
        ds.push(
            Diagnostic::error("the last ledger line has no newline")
                .at(src, start..text.len())
                .label("an interrupted append?")
                .help("every line ends with a newline; `ancapex ledger append` writes whole lines"),
        );
    }
    let mut start = 0;
    let mut prev_leaf: Option<Hash> = None;
    let mut prev_time: Option<jiff::Timestamp> = None;
    let mut prev_seq: Option<u64> = None;
    let mut pending = Pending::new();
    let mut kinds: BTreeMap<u64, String> = BTreeMap::new();
    for (i, line) in entry_lines(text).enumerate() {
        let line_start = start;
        start += line.len() + 1;
        let at = schema::At {
            source: src,
            start: line_start,
            line,
        };
        let leaf = merkle::leaf_hash(line.as_bytes());
        lines.leaves.push(leaf);
        // Each seq follows the one before, so one removed line is one error, not one per line.
        let expected_seq = prev_seq.map_or(0, |s| s + 1);
        let env = match schema::check(&at, &config.origin) {
            Ok(env) => env,
            Err(errors) => {
                for e in errors {
                    ds.push(e);
                }
                prev_leaf = Some(leaf);
                prev_seq = Some(prev_seq.map_or(0, |s| s + 1));
                continue;
            }
        };
        if env.seq != expected_seq {
            ds.push(
                at.error(
                    "seq",
                    format!(
                        "ledger line {} has `seq` {}; expected {expected_seq}",
                        i + 1,
                        env.seq
                    ),
                )
                .help(
                    "seq counts lines from 0 without gaps: was a line removed, moved or inserted?",
                ),
            );
        }
        let want_prev = prev_leaf.map(|h| merkle::hex(&h));
        if env.prev != want_prev {
            if i > 0 && lines.chain_break.is_none() {
                lines.chain_break = Some(i - 1);
            }
            let d = match &want_prev {
                None => at.error("prev", "the first ledger line has a `prev`; expected null".into()),
                Some(_) => at
                    .error(
                        "prev",
                        format!("`prev` does not match the leaf hash of line {i}"),
                    )
                    .label(format!("line {i} was changed, removed or moved after this line was written"))
                    .help("ledger lines are never edited: revert the change and append a `correction`"),
            };
            ds.push(d);
        }
        if prev_time.is_some_and(|p| env.time < p) {
            ds.push(at.error(
                "ts",
                format!("`ts` `{}` is earlier than the line before it", env.ts),
            ));
        }
        if env.seq == 0 && env.kind != "log.genesis" {
            ds.push(at.error("type", "the first ledger line is not `log.genesis`".into()));
        }
        if env.seq != 0 && env.kind == "log.genesis" {
            ds.push(at.error("type", "`log.genesis` can only be the first line".into()));
        }
        if !config.actors.contains(&env.actor) {
            ds.push(
                at.error(
                    "actor",
                    format!("`{}` may not append to this ledger", env.actor),
                )
                .help(format!("`ledger.toml` allows {}", quoted(&config.actors))),
            );
        }
        cross_check(name, &at, &env, &kinds, known, &mut pending, ds);
        kinds.insert(env.seq, env.kind.clone());
        prev_leaf = Some(leaf);
        prev_time = Some(env.time);
        prev_seq = Some(env.seq);
        entries.push(Entry {
            seq: env.seq,
            ts: env.ts,
            kind: env.kind,
            actor: env.actor,
            body: env.body,
            refs: env.refs,
            line: line.to_owned(),
            leaf,
        });
    }
    (entries, lines, pending.into_iter().collect())
}

fn quoted(list: &[String]) -> String {
    if list.is_empty() {
        return "nobody".into();
    }
    list.iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that need earlier entries or the rest of the site.
/// Warnings for `failure` entries whose report is still `pending`, by seq, for `settle`.
type Pending = BTreeMap<u64, Diagnostic>;

fn cross_check(
    name: &str,
    at: &schema::At<'_>,
    env: &schema::Envelope,
    kinds: &BTreeMap<u64, String>,
    known: &Known<'_>,
    pending: &mut Pending,
    ds: &mut Diagnostics,
) {
    let earlier = |field: &str, want: &str, ds: &mut Diagnostics| {
        let Some(target) = env.body.get(field).and_then(Value::as_u64) else {
            return;
        };
        if target >= env.seq || kinds.get(&target).is_some_and(|k| want != "*" && k != want) {
            let what = if want == "*" {
                "entry".to_owned()
            } else {
                format!("`{want}` entry")
            };
            ds.push(at.body_error(
                field,
                format!("`{field}` {target} does not name an earlier {what}"),
            ));
        }
    };
    match env.kind.as_str() {
        "eval" => earlier("checkpoint_seq", "checkpoint", ds),
        "restart" => earlier("failure_seq", "failure", ds),
        "correction" => {
            earlier("target_seq", "*", ds);
            // A correction may name the report of the failure entry it corrects.
            if let Some(report) = env.body.get("failure_report").and_then(Value::as_str) {
                let target = env.body.get("target_seq").and_then(Value::as_u64);
                match target.and_then(|t| kinds.get(&t)) {
                    Some(kind) if kind != "failure" => ds.push(
                        at.body_error(
                            "failure_report",
                            format!(
                                "a correction names a failure report only for a `failure` entry; entry {} is `{kind}`",
                                target.unwrap_or_default()
                            ),
                        ),
                    ),
                    _ => {}
                }
                if !known.failure_reports.contains(report) {
                    ds.push(
                        at.body_error(
                            "failure_report",
                            format!("failure report `{report}` does not exist"),
                        )
                        .help("name a file `artifacts/failures/<id>.md` by its id"),
                    );
                }
            }
        }
        "failure" => {
            let report = env
                .body
                .get("failure_report")
                .and_then(Value::as_str)
                .unwrap_or("");
            if report == "pending" {
                pending.insert(
                    env.seq,
                    Diagnostic::warning(format!("failure at seq {} has no report yet", env.seq))
                        .at(at.source, at.key("failure_report", 0))
                        .help(format!(
                            "publish a report that cites it: `ancapex new failure --run {} --entry {}` writes one with `ledger_refs = [\"ledger:{}#{}\"]`; or append a `correction` with `target_seq` {} and `failure_report` naming the report",
                            name, env.seq, name, env.seq, env.seq
                        )),
                );
            } else if !known.failure_reports.contains(report) {
                ds.push(
                    at.body_error(
                        "failure_report",
                        format!("failure report `{report}` does not exist"),
                    )
                    .help("name a file `artifacts/failures/<id>.md` by its id, or `pending`"),
                );
            }
        }
        "artifact.status" => {
            let r = env.body.get("ref").and_then(Value::as_str).unwrap_or("");
            match artifact_id(r) {
                Some(id) if known.artifacts.contains(id) => {}
                _ => ds.push(
                    at.body_error("ref", format!("`{r}` does not name an artifact"))
                        .help("write `artifact:<id>` or `artifact:<id>@<version>`"),
                ),
            }
        }
        _ => {}
    }
    for r in &env.refs {
        match artifact_id(r) {
            Some(id) if known.artifacts.contains(id) => {}
            _ => ds.push(at.error("refs", format!("`{r}` in `refs` does not name an artifact"))),
        }
    }
}

/// Settles the `failure` entries of every ledger: the report of one is the report its line
/// names, or (for `pending`) a published report that cites it in `ledger_refs`, or the report
/// a later `correction` of it names (which wins over the others). Returns the warnings of the
/// entries still pending. `published` are the reports published in this build, by id.
pub fn settle(ledgers: &mut [Ledger], published: &[Citing]) -> Diagnostics {
    let mut urls = BTreeMap::new();
    let mut cited: BTreeMap<&str, &str> = BTreeMap::new();
    for report in published {
        urls.insert(report.id.as_str(), report.url.as_str());
        for r in &report.ledger_refs {
            // The first report by id, as the reports are sorted.
            cited.entry(r.as_str()).or_insert(&report.id);
        }
    }
    let mut ds = Diagnostics::new();
    for l in ledgers {
        let mut named: BTreeMap<u64, String> = BTreeMap::new();
        for e in &l.entries {
            let report = e.body.get("failure_report").and_then(Value::as_str);
            match (e.kind.as_str(), report) {
                ("failure", Some(r)) if r != "pending" => {
                    named.insert(e.seq, r.to_owned());
                }
                ("correction", Some(r)) => {
                    if let Some(target) = e.body.get("target_seq").and_then(Value::as_u64) {
                        named.insert(target, r.to_owned());
                    }
                }
                _ => {}
            }
        }
        let mut reports = BTreeMap::new();
        for e in l.entries.iter().filter(|e| e.kind == "failure") {
            let reference = format!("ledger:{}#{}", l.name, e.seq);
            let id = named
                .remove(&e.seq)
                .or_else(|| cited.get(reference.as_str()).map(|id| (*id).to_owned()));
            if let Some(id) = id {
                let url = urls.get(id.as_str()).map(|u| (*u).to_owned());
                reports.insert(e.seq, Settled { id, url });
            }
        }
        for (seq, warning) in &l.pending {
            if !reports.contains_key(seq) {
                ds.push(warning.clone());
            }
        }
        l.reports = reports;
    }
    ds
}

pub use crate::text::artifact_id;

/// A checkpoint file as read: its size, source, tree head, whether the entries give its root,
/// and its witnesses' valid cosignatures.
type Parsed<'a> = (
    u64,
    &'a Arc<SourceText>,
    Checkpoint,
    bool,
    Vec<witness::Cosignature>,
);

fn check_checkpoints(
    files: &LedgerFiles,
    ledger: &Ledger,
    lines: &Lines,
    entries_src: &Arc<SourceText>,
    ds: &mut Diagnostics,
) -> Vec<SignedCheckpoint> {
    let tree = &ledger.tree;
    // Sizes of checkpoints that match the current entries, to narrow down a changed line.
    let mut matching: Vec<u64> = vec![0];
    let mut out: Vec<SignedCheckpoint> = vec![];
    let mut parsed: Vec<Parsed<'_>> = vec![];
    for (file, src) in &files.checkpoints {
        let err = |m: String| Diagnostic::error(m).in_file(src.path.clone());
        let note = match note::parse(&src.text) {
            Ok(parsed) => parsed,
            Err(why) => {
                ds.push(err(format!("checkpoint is not a signed note: {why}")));
                continue;
            }
        };
        let cp = match Checkpoint::parse(note.text) {
            Ok(c) => c,
            Err(why) => {
                ds.push(err(format!("invalid checkpoint: {why}")));
                continue;
            }
        };
        if note.verified_by(&ledger.keys).is_none() {
            let sig_at = note.text.len() + 1;
            ds.push(
                Diagnostic::error(
                    "checkpoint signature does not verify with any key in `ledger.toml`",
                )
                .at(src, sig_at..src.text.len().saturating_sub(1))
                .label("forged, or signed with another key")
                .help("sign checkpoints with `ancapex ledger sign --key <private key file>`"),
            );
            continue;
        }
        if *file != cp.size.to_string() {
            ds.push(err(format!(
                "checkpoint file `{file}` holds a checkpoint of size {}",
                cp.size
            )));
            continue;
        }
        if cp.origin != ledger.origin {
            ds.push(err(format!(
                "checkpoint origin `{}` is not the ledger's `{}`",
                cp.origin, ledger.origin
            )));
            continue;
        }
        let Ok(size) = usize::try_from(cp.size) else {
            continue;
        };
        if size > tree.size() {
            ds.push(
                err(format!(
                    "checkpoint signs {} but `entries.jsonl` has {}",
                    crate::text::count(size, "entry", "entries"),
                    tree.size()
                ))
                .help("signed lines were removed from the end of the ledger"),
            );
            parsed.push((cp.size, src, cp, false, vec![]));
            continue;
        }
        let ok = tree.root(size) == cp.root;
        let cosignatures = witness::cosignatures(&note, &ledger.policy, src, ds);
        parsed.push((cp.size, src, cp, ok, cosignatures));
    }
    parsed.sort_by_key(|p| p.0);
    for (size, src, _, ok, _) in &parsed {
        if *ok {
            matching.push(*size);
            continue;
        }
        if usize::try_from(*size).ok().is_none_or(|s| s > tree.size()) {
            continue;
        }
        let mut from = matching.last().copied().unwrap_or(0);
        let line_span = |seq: u64| -> std::ops::Range<usize> {
            let text: &str = &entries_src.text;
            let start: usize = text
                .split_inclusive('\n')
                .take(usize::try_from(seq).unwrap_or(usize::MAX))
                .map(str::len)
                .sum();
            // The first character: the caret line stays short however long the line is.
            let end = text[start..]
                .chars()
                .next()
                .map_or(start, |c| start + c.len_utf8());
            start..end
        };
        let what = match lines.chain_break.map(|b| b as u64) {
            Some(b) if (from..*size).contains(&b) => {
                from = b;
                format!(
                    "the chain breaks after line {}: a line was changed, removed or moved",
                    b + 1
                )
            }
            _ if from + 1 == *size => format!("line {size} was changed"),
            _ => format!("a line from {} to {size} was changed", from + 1),
        };
        ds.push(
            Diagnostic::error(format!(
                "`{}` does not match the signed checkpoint `{}`: {what} after it was signed",
                entries_src.path, src.path
            ))
            .at(entries_src, line_span(from))
            .label(format!(
                "the tree of the first {size} lines has another root"
            ))
            .help("signed lines are never edited: revert the change and append a `correction`"),
        );
    }
    // Successive checkpoints must be consistent: each must be a prefix of the next.
    for pair in parsed.windows(2) {
        let ((old_size, _, old, _, _), (new_size, new_src, new, new_ok, _)) = (&pair[0], &pair[1]);
        if !new_ok {
            continue;
        }
        let (Ok(new_len), Ok(old_len)) = (usize::try_from(*new_size), usize::try_from(*old_size))
        else {
            continue;
        };
        let proof = tree.consistency_proof(old_len, new_len);
        if !merkle::verify_consistency(*old_size, *new_size, &proof, &old.root, &new.root) {
            ds.push(
                Diagnostic::error(format!(
                    "checkpoint `{}` is not consistent with the earlier checkpoint of size {old_size}",
                    new_src.path
                ))
                .in_file(new_src.path.clone())
                .help("the history was rewritten after the earlier checkpoint was signed"),
            );
        }
    }
    for (_, src, cp, ok, cosignatures) in parsed {
        if ok {
            out.push(SignedCheckpoint {
                checkpoint: cp,
                note: src.text.to_string(),
                cosignatures,
            });
        }
    }
    out
}

/// One file a ledger publishes under `/ledgers/<name>/`.
enum Published {
    /// `entries.jsonl`, as stored.
    Entries,
    /// `checkpoints/<size>`: the checkpoint at this index of [`Ledger::checkpoints`].
    Checkpoint(usize),
    /// `checkpoint`: the newest.
    Latest,
    /// A tlog tile or entry bundle.
    Tile(tiles::Tile),
}

impl Ledger {
    /// What it publishes: `entries.jsonl`, the newest `checkpoint`, every `checkpoints/<size>`
    /// and the tlog-tiles of every checkpointed tree size (full tiles, and the partial tiles of
    /// each size). Inclusion proofs are not files: a client computes them from the tiles (the
    /// run page's script does), as tlog clients do; see `proof` for an offline one.
    fn files(&self) -> Vec<Published> {
        let mut out = vec![Published::Entries];
        out.extend((0..self.checkpoints.len()).map(Published::Checkpoint));
        if self.latest().is_none() {
            return out;
        }
        out.push(Published::Latest);
        let sizes: Vec<u64> = self.checkpoints.iter().map(|c| c.checkpoint.size).collect();
        out.extend(tiles::needed(&sizes).into_iter().map(Published::Tile));
        out
    }

    fn path(&self, file: &Published) -> String {
        match file {
            Published::Entries => "entries.jsonl".to_owned(),
            Published::Checkpoint(i) => {
                format!("checkpoints/{}", self.checkpoints[*i].checkpoint.size)
            }
            Published::Latest => "checkpoint".to_owned(),
            Published::Tile(t) => t.path(),
        }
    }

    /// The paths it publishes under `/ledgers/<name>/`, without making their bytes.
    pub fn published_paths(&self) -> Vec<String> {
        self.files().iter().map(|f| self.path(f)).collect()
    }

    /// The published files, as (path under `/ledgers/<name>/`, bytes).
    pub fn published(&self) -> Vec<(String, Vec<u8>)> {
        let lines: Vec<&[u8]> = self
            .bytes
            .split_terminator('\n')
            .map(str::as_bytes)
            .collect();
        self.files()
            .iter()
            .map(|f| {
                let bytes = match f {
                    Published::Entries => self.bytes.as_bytes().to_vec(),
                    Published::Checkpoint(i) => self.checkpoints[*i].note.clone().into_bytes(),
                    Published::Latest => self
                        .latest()
                        .map(|c| c.note.clone().into_bytes())
                        .unwrap_or_default(),
                    Published::Tile(t) if t.level.is_some() => t.hashes(&self.tree),
                    Published::Tile(t) => t.bundle(&lines),
                };
                (self.path(f), bytes)
            })
            .collect()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    const ORIGIN: &str = "example.com/ledgers/t";

    fn line(seq: u64, prev: Option<&Hash>, kind: &str, body: &str) -> String {
        let prev = prev.map_or("null".to_owned(), |h| format!("\"{}\"", merkle::hex(h)));
        format!(
            "{{\"v\":1,\"log\":\"{ORIGIN}\",\"seq\":{seq},\"prev\":{prev},\"ts\":\"2026-01-0{}T00:00:00Z\",\"type\":\"{kind}\",\"actor\":\"a\",\"body\":{body}}}",
            seq + 1
        )
    }

    pub(super) fn ledger_files(bodies: &[(&str, &str)], sign_at: Option<usize>) -> LedgerFiles {
        let signer = note::Signer::from_seed(ORIGIN, note::KeyType::Ed25519, [9; 32]);
        let mut text = String::new();
        let mut prev: Option<Hash> = None;
        let mut leaves = vec![];
        for (seq, (kind, body)) in bodies.iter().enumerate() {
            let l = line(seq as u64, prev.as_ref(), kind, body);
            let leaf = merkle::leaf_hash(l.as_bytes());
            leaves.push(leaf);
            prev = Some(leaf);
            text.push_str(&l);
            text.push('\n');
        }
        let checkpoints = sign_at
            .map(|n| {
                let cp = Checkpoint {
                    origin: ORIGIN.into(),
                    size: n as u64,
                    root: merkle::root(&leaves[..n]),
                };
                vec![(
                    n.to_string(),
                    SourceText::new(format!("checkpoints/{n}"), signer.sign(&cp.text())),
                )]
            })
            .unwrap_or_default();
        let config = format!(
            "origin = \"{ORIGIN}\"\nkeys = [\"{}\"]\nactors = [\"a\"]\n",
            signer.verifier().line()
        );
        LedgerFiles {
            name: "t".into(),
            config: Some(SourceText::new("ledger.toml", config)),
            entries: Some(SourceText::new("entries.jsonl", text)),
            checkpoints,
        }
    }

    pub(super) fn run(files: &LedgerFiles, reports: &[&str]) -> (Option<Ledger>, Diagnostics) {
        let reports = reports.iter().map(|s| (*s).to_owned()).collect();
        let artifacts = ["m".to_owned()].into_iter().collect();
        verify(
            files,
            &Known {
                failure_reports: &reports,
                artifacts: &artifacts,
            },
        )
    }

    const FAILURE: &str = r#"{"class":"hw","severity":"high","step":null,"impact":"i","action":"a","failure_report":"gpu-loss"}"#;

    #[test]
    fn a_failure_naming_an_existing_report_verifies_and_proofs_check_out() {
        let files = ledger_files(
            &[
                ("log.genesis", r#"{"title":"T"}"#),
                ("failure", FAILURE),
                (
                    "artifact.status",
                    r#"{"ref":"artifact:m@1.0.0","from":null,"to":"planned"}"#,
                ),
            ],
            Some(2),
        );
        let (ledger, ds) = run(&files, &["gpu-loss"]);
        assert!(ds.is_empty(), "{ds:?}");
        let ledger = ledger.unwrap();
        assert_eq!(ledger.entry(1).unwrap().kind, "failure");
        let cp = &ledger.latest().unwrap().checkpoint;
        let (text, against) = ledger.proof(1).unwrap();
        assert_eq!(&against.checkpoint, cp);
        let p = proof::parse(&text).unwrap();
        assert!(merkle::verify_inclusion(
            1,
            cp.size,
            &ledger.entries[1].leaf,
            &p.path,
            &cp.root
        ));
        assert!(ledger.proof(2).is_none(), "the unsigned tail has no proof");
    }

    #[test]
    fn a_missing_report_is_an_error_and_pending_a_warning_until_settled() {
        let files = ledger_files(
            &[("log.genesis", r#"{"title":"T"}"#), ("failure", FAILURE)],
            None,
        );
        let (_, ds) = run(&files, &[]);
        assert!(ds.has_errors());
        let pending = FAILURE.replace("gpu-loss", "pending");
        let settled = |bodies: &[(&str, &str)], cited: &[String]| {
            let (ledger, ds) = run(&ledger_files(bodies, None), &["gpu-loss"]);
            assert!(ds.is_empty(), "{ds:?}");
            let mut ledgers = vec![ledger.unwrap()];
            let report = Citing {
                id: "gpu-loss".to_owned(),
                url: "/failures/gpu-loss/".to_owned(),
                ledger_refs: cited.to_vec(),
            };
            let ds = settle(&mut ledgers, &[report]);
            let l = ledgers.pop().unwrap();
            (ds.iter().count(), l.reports.get(&1).map(|r| r.id.clone()))
        };
        let genesis = ("log.genesis", r#"{"title":"T"}"#);
        let failure = ("failure", pending.as_str());
        // Nothing cites it: a warning.
        assert_eq!(settled(&[genesis, failure], &[]), (1, None));
        // A correction with a reason alone settles nothing.
        let reason = (
            "correction",
            r#"{"target_seq":1,"reason":"report: gpu-loss"}"#,
        );
        assert_eq!(settled(&[genesis, failure, reason], &[]), (1, None));
        // A published report that cites it does, as does a correction naming a report.
        let cites = ["ledger:t#1".to_owned()];
        assert_eq!(
            settled(&[genesis, failure], &cites),
            (0, Some("gpu-loss".to_owned()))
        );
        let naming = (
            "correction",
            r#"{"target_seq":1,"reason":"reported","failure_report":"gpu-loss"}"#,
        );
        assert_eq!(
            settled(&[genesis, failure, naming], &[]),
            (0, Some("gpu-loss".to_owned()))
        );
    }
}
