//! A record as the Hugging Face Hub reads a repository: a `README.md` whose YAML block is the
//! card's metadata and whose text is the card. Models and checkpoints get a model card,
//! data sets and evaluation suites a data set card; other kinds (reports, memos) have no
//! place on the Hub and get none.
//!
//! Where the record's fields overlap the Hub's metadata, the record decides:
//! - `license` is the record's licence as the Hub names it (a lowercase SPDX id on the Hub's
//!   list), else `other` with a `license_name` and the record's page as `license_link`;
//! - `base_model` and `datasets` (a data set card's `source_datasets`) are the record's
//!   `depends-on` links to models or checkpoints and to data sets, as ids of this registry
//!   (`artifact:` targets) or of the Hub (`https://huggingface.co/...` targets);
//! - `model-index` is the evaluation results the run ledgers record of it, each with the
//!   ledger entry it comes from as its `source`.
//!
//! The card's own YAML block (an `artifacts/<id>/README.md` written for the Hub) adds the keys
//! the record does not decide (`language`, `library_name`, `pipeline_tag`, ...) and its
//! `tags`. Where it sets a key the record decides to something else, [`check`] warns: a claim
//! in a card's metadata is not published unless the record makes it.

use std::ops::Range;
use std::sync::Arc;

use serde_json::Value as Json;
use serde_yaml_ng::{Mapping, Value as Yaml};

use super::{Artifact, Kind, LinkRel};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};

/// Which card the Hub would show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Card {
    Model,
    Dataset,
}

impl Card {
    /// The card of a kind, if the Hub has a place for it.
    pub(crate) fn of(kind: Kind) -> Option<Self> {
        match kind {
            Kind::Model | Kind::Checkpoint => Some(Self::Model),
            Kind::Dataset | Kind::EvalSuite => Some(Self::Dataset),
            _ => None,
        }
    }

    /// `model` or `dataset`, as the Hub says.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Dataset => "dataset",
        }
    }
}

/// The keys of a card's metadata the record decides.
const DECIDED: [&str; 8] = [
    "license",
    "license_name",
    "license_link",
    "base_model",
    "datasets",
    "source_datasets",
    "metrics",
    "model-index",
];

/// The licence ids the Hub lists (https://huggingface.co/docs/hub/repositories-licenses),
/// sorted. Those that are SPDX ids are the SPDX id in lowercase.
const HUB_LICENSES: [&str; 56] = [
    "afl-3.0",
    "agpl-3.0",
    "apache-2.0",
    "artistic-2.0",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "bsl-1.0",
    "c-uda",
    "cc",
    "cc-by-2.0",
    "cc-by-2.5",
    "cc-by-3.0",
    "cc-by-4.0",
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cc-by-nd-4.0",
    "cc-by-sa-3.0",
    "cc-by-sa-4.0",
    "cc0-1.0",
    "cdla-permissive-1.0",
    "cdla-permissive-2.0",
    "cdla-sharing-1.0",
    "ecl-2.0",
    "epl-1.0",
    "epl-2.0",
    "etalab-2.0",
    "eupl-1.1",
    "eupl-1.2",
    "gfdl",
    "gpl",
    "gpl-2.0",
    "gpl-3.0",
    "isc",
    "lgpl",
    "lgpl-2.1",
    "lgpl-3.0",
    "lppl-1.3c",
    "mit",
    "mpl-2.0",
    "ms-pl",
    "ncsa",
    "odbl",
    "odc-by",
    "ofl-1.1",
    "osl-3.0",
    "pddl",
    "postgresql",
    "unlicense",
];

/// A licence as the Hub names it: one of its ids, or `other` with a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct License {
    /// The Hub's id (`apache-2.0`), or `other`.
    pub(crate) id: String,
    /// For `other`: the licence's own name, as the Hub wants it (lowercase, `-` for spaces).
    pub(crate) name: Option<String>,
}

/// The Hub's name of an SPDX licence expression. SPDX ids differ from the Hub's only in case
/// and in GNU's `-only` and `-or-later`; an expression or an id not on the Hub's list is
/// `other`.
pub(crate) fn license(spdx: &str) -> License {
    let lower = spdx.trim().to_ascii_lowercase();
    let id = lower
        .strip_suffix("-only")
        .or_else(|| lower.strip_suffix("-or-later"))
        .unwrap_or(&lower);
    if HUB_LICENSES.binary_search(&id).is_ok() {
        return License {
            id: id.to_owned(),
            name: None,
        };
    }
    let name: String = lower
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    License {
        id: "other".to_owned(),
        name: Some(name),
    }
}

/// A model or data set the record depends on: its id (in this registry or on the Hub) and
/// where to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ref {
    pub(crate) id: String,
    pub(crate) url: String,
}

/// What the record says in the Hub's terms.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) card: Card,
    pub(crate) license: Option<License>,
    pub(crate) base_model: Vec<Ref>,
    pub(crate) datasets: Vec<Ref>,
}

/// `a`'s metadata as the Hub reads it, if the Hub has a place for its kind; `kind_of` gives
/// the kind of another record by id.
pub(crate) fn meta(a: &Artifact, kind_of: &dyn Fn(&str) -> Option<Kind>) -> Option<Meta> {
    let card = Card::of(a.kind)?;
    let mut base_model = vec![];
    let mut datasets = vec![];
    for l in a.links.iter().filter(|l| l.rel == LinkRel::DependsOn) {
        let Some((card_of_target, r)) = target(l.target.get_ref(), kind_of) else {
            continue;
        };
        let list = match card_of_target {
            Card::Model if card == Card::Model => &mut base_model,
            Card::Model => continue,
            Card::Dataset => &mut datasets,
        };
        if !list.contains(&r) {
            list.push(r);
        }
    }
    Some(Meta {
        card,
        license: a.license.as_deref().map(license),
        base_model,
        datasets,
    })
}

/// What a `depends-on` target is on the Hub: a record of this registry whose kind has a
/// card, or a model or data set page of `huggingface.co`.
fn target(t: &str, kind_of: &dyn Fn(&str) -> Option<Kind>) -> Option<(Card, Ref)> {
    if let Some(id) = crate::text::artifact_id(t) {
        let card = Card::of(kind_of(id)?)?;
        return Some((
            card,
            Ref {
                id: id.to_owned(),
                url: super::page_url(id),
            },
        ));
    }
    let path = t
        .strip_prefix("https://huggingface.co/")?
        .split(['?', '#'])
        .next()?;
    let (card, path) = match path.strip_prefix("datasets/") {
        Some(rest) => (Card::Dataset, rest),
        None => (Card::Model, path),
    };
    // `owner/name`, or a bare `name` of the Hub's oldest repositories.
    let id: Vec<&str> = path.split('/').take(2).collect();
    let well_formed = id.iter().all(|p| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    (well_formed && !id.is_empty()).then(|| {
        (
            card,
            Ref {
                id: id.join("/"),
                url: t.to_owned(),
            },
        )
    })
}

/// Where the YAML block of a card's text is (`---` … `---`, at its very start), if it has one.
pub(crate) fn yaml_block(text: &str) -> Option<Range<usize>> {
    let rest = text.strip_prefix("---\n")?;
    let end = if rest.starts_with("---\n") {
        0
    } else {
        rest.find("\n---\n")? + 1
    };
    Some(4..4 + end)
}

/// Where the card's text starts: after its YAML block, if it has one.
pub(crate) fn body_start(text: &str) -> usize {
    yaml_block(text).map_or(0, |r| r.end + 4)
}

/// What the card's own metadata says of the record, for its page as the Hub shows it: its
/// `pipeline_tag`, `library_name`, `language` (one or a list) and `tags`, each once.
pub(crate) fn card_tags(a: &Artifact) -> Vec<String> {
    let Some((_, _, m)) = card_mapping(a) else {
        return vec![];
    };
    let mut out: Vec<String> = vec![];
    for key in ["pipeline_tag", "library_name", "language", "tags"] {
        let values: Vec<&Yaml> = match m.get(key) {
            Some(Yaml::Sequence(s)) => s.iter().collect(),
            Some(v) => vec![v],
            None => vec![],
        };
        for v in values.into_iter().filter_map(Yaml::as_str) {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
    }
    out
}

/// The card's own metadata, when it is a YAML mapping.
fn card_mapping(a: &Artifact) -> Option<(Arc<SourceText>, Range<usize>, Mapping)> {
    let source = &a.card.as_ref()?.source;
    let block = yaml_block(&source.text)?;
    match serde_yaml_ng::from_str(&source.text[block.clone()]) {
        Ok(Yaml::Mapping(m)) => Some((Arc::clone(source), block, m)),
        _ => None,
    }
}

/// Warnings for cards whose YAML block is not metadata, or sets what the record decides to
/// something else.
pub(crate) fn check(artifacts: &[Artifact], kind_of: &dyn Fn(&str) -> Option<Kind>) -> Diagnostics {
    let mut ds = Diagnostics::new();
    for a in artifacts {
        let (Some(meta), Some(card)) = (meta(a, kind_of), a.card.as_ref()) else {
            continue;
        };
        let Some(block) = yaml_block(&card.source.text) else {
            continue;
        };
        let Some((source, block, m)) = card_mapping(a) else {
            // Why: a parser's own words (a line, an alias bomb refused), else not a mapping.
            let why = serde_yaml_ng::from_str::<Yaml>(&card.source.text[block.clone()])
                .err()
                .map_or_else(
                    || "is not a mapping of keys to values".to_owned(),
                    |e| format!("does not parse: {e}"),
                );
            // The block without its last newline, so the closing `---` is not underlined.
            let shown = block.start..block.end.saturating_sub(1).max(block.start);
            ds.push(
                Diagnostic::warning(format!("the card's YAML block {why}"))
                    .at(&card.source, shown)
                    .label("left out of the Hub card")
                    .help("write it as the Hub does: `license: mit`, one key a line"),
            );
            continue;
        };
        let at = |key: &str| {
            let yaml = &source.text[block.clone()];
            crate::front_matter::yaml_key_or_value_span(yaml, key)
                .map_or(block.start..block.start, |r| {
                    r.start + block.start..r.end + block.start
                })
        };
        let warn = |key: &str, message: String, help: &str| {
            Diagnostic::warning(message)
                .at(&source, at(key))
                .label("the record's value is published")
                .help(help.to_owned())
        };
        if m.contains_key("model-index") {
            ds.push(
                Diagnostic::warning(
                    "the card's `model-index` is left out: evaluation results come from the run ledgers",
                )
                .at(&source, at("model-index"))
                .help("record each result as an `eval` entry of a run ledger that names this artifact"),
            );
        }
        if let Some(theirs) = m.get("license").and_then(Yaml::as_str) {
            let ours = meta.license.as_ref().map(|l| l.id.as_str());
            if ours != Some(theirs) {
                ds.push(warn(
                    "license",
                    format!(
                        "the card says `license: {theirs}` but the record's licence is {}",
                        a.license.as_deref().map_or_else(
                            || "not set".to_owned(),
                            |l| format!("`{l}` (`{}` on the Hub)", ours.unwrap_or_default())
                        )
                    ),
                    "set `license` in `artifact.toml` and leave it out of the card",
                ));
            }
        }
        for (key, ours) in depends_on(&meta) {
            let Some(value) = m.get(key) else { continue };
            let mut theirs: Vec<&str> = match value {
                Yaml::String(s) => vec![s.as_str()],
                Yaml::Sequence(s) => s.iter().filter_map(Yaml::as_str).collect(),
                _ => vec![],
            };
            let mut ours: Vec<&str> = ours.iter().map(String::as_str).collect();
            theirs.sort_unstable();
            ours.sort_unstable();
            if theirs != ours {
                ds.push(warn(
                    key,
                    format!(
                        "the card's `{key}` ({}) differs from the record's `depends-on` links ({})",
                        list_or_none(&theirs),
                        list_or_none(&ours)
                    ),
                    "link each with `[[links]]`, `rel = \"depends-on\"` and an `artifact:` or `https://huggingface.co/` target",
                ));
            }
        }
    }
    ds
}

/// What the record's `depends-on` links give the card, by key: a model card's `base_model`
/// and `datasets` (ids), a data set card's `source_datasets` (`original`, else
/// `extended|<id>` for each data set it is made from, as the Hub writes it).
fn depends_on(meta: &Meta) -> Vec<(&'static str, Vec<String>)> {
    let ids = |refs: &[Ref]| refs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    match meta.card {
        Card::Model => vec![
            ("base_model", ids(&meta.base_model)),
            ("datasets", ids(&meta.datasets)),
        ],
        Card::Dataset if meta.datasets.is_empty() => {
            vec![("source_datasets", vec!["original".to_owned()])]
        }
        Card::Dataset => vec![(
            "source_datasets",
            meta.datasets
                .iter()
                .map(|r| format!("extended|{}", r.id))
                .collect(),
        )],
    }
}

fn list_or_none(ids: &[&str]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

/// `artifacts/<id>/README.md`: the card as the Hub reads it. `evals` are the record's
/// evaluation results (as on its page: each with `ledger`, `seq`, `url`, `suite`, `task`,
/// `metric`, `value`), `base` the site's address.
pub(crate) fn readme(a: &Artifact, meta: &Meta, evals: &[Json], base: &str) -> String {
    let page = format!("{base}{}", super::page_url(&a.id));
    let mut m = Mapping::new();
    let mut put = |k: &str, v: Yaml| {
        m.insert(Yaml::from(k), v);
    };
    if let Some(l) = &meta.license {
        put("license", Yaml::from(l.id.as_str()));
        if let Some(name) = &l.name {
            put("license_name", Yaml::from(name.as_str()));
            put("license_link", Yaml::from(page.as_str()));
        }
    }
    for (key, values) in depends_on(meta) {
        if !values.is_empty() {
            put(
                key,
                Yaml::Sequence(values.into_iter().map(Yaml::from).collect()),
            );
        }
    }
    let card = card_mapping(a).map(|(_, _, m)| m).unwrap_or_default();
    let mut tags = vec![Yaml::from("ancapex"), Yaml::from(super::kind_name(a))];
    if let Some(Yaml::Sequence(theirs)) = card.get("tags") {
        for t in theirs.iter().filter(|t| t.is_string()) {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
    }
    put("tags", Yaml::Sequence(tags));
    if meta.card == Card::Dataset && !card.contains_key("pretty_name") {
        put("pretty_name", Yaml::from(a.title.as_str()));
    }
    if meta.card == Card::Model && !evals.is_empty() {
        let (metrics, index) = model_index(&a.id, evals, base);
        put("metrics", metrics);
        put("model-index", index);
    }
    for (k, v) in card {
        let decided = k
            .as_str()
            .is_some_and(|k| DECIDED.contains(&k) || k == "tags");
        if !decided && !m.contains_key(&k) {
            m.insert(k, v);
        }
    }
    let yaml = serde_yaml_ng::to_string(&m).unwrap_or_default();
    let body = match &a.card {
        Some(c) => absolute_links(c.source.text[body_start(&c.source.text)..].trim(), base),
        None => format!("# {}\n\n{}", a.title, a.summary),
    };
    format!(
        "---\n{yaml}---\n\n{body}\n\n<!-- Made by ancapex from the record at {page}: its files, their SHA-256 digests and the evidence for its claim are there. -->\n"
    )
}

/// `markdown` with its links and images to this site's paths (`/artifacts/x/`) made absolute
/// (`<base>/artifacts/x/`): on the Hub, a path is the Hub's. Inline links and reference
/// definitions are rewritten where their destination is written; the rest is left as it is.
fn absolute_links(markdown: &str, base: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag};
    let is_path = |d: &str| d.starts_with('/') && !d.starts_with("//");
    let mut at: Vec<usize> = vec![];
    let parser = Parser::new(markdown);
    for (_, def) in parser.reference_definitions().iter() {
        if is_path(&def.dest) {
            if let Some(i) = markdown[def.span.clone()].find(def.dest.as_ref()) {
                at.push(def.span.start + i);
            }
        }
    }
    for (event, range) in parser.into_offset_iter() {
        let Event::Start(Tag::Link { dest_url: dest, .. } | Tag::Image { dest_url: dest, .. }) =
            &event
        else {
            continue;
        };
        if !is_path(dest) {
            continue;
        }
        // The destination follows the text: `[text](/dest)`.
        if let Some(i) = markdown[range.clone()].rfind(&format!("({dest}")) {
            at.push(range.start + i + 1);
        }
    }
    at.sort_unstable();
    at.dedup();
    let mut out = String::with_capacity(markdown.len() + at.len() * base.len());
    let mut last = 0;
    for i in at {
        out.push_str(&markdown[last..i]);
        out.push_str(base);
        last = i;
    }
    out.push_str(&markdown[last..]);
    out
}

/// The Hub's `metrics` (each metric's name, once) and `model-index` of the evaluation
/// results: one result per `eval` entry, with its metrics, its suite as the data set and the
/// entry as the source. A result whose entry names no `task` has the Hub's `other`.
fn model_index(id: &str, evals: &[Json], base: &str) -> (Yaml, Yaml) {
    let text = |r: &Json, k: &str| r.get(k).and_then(Json::as_str).unwrap_or("").to_owned();
    let mut names: Vec<String> = vec![];
    let mut results: Vec<(String, u64, Mapping)> = vec![];
    for r in evals {
        let (ledger, seq) = (
            r.pointer("/ledger/name")
                .and_then(Json::as_str)
                .unwrap_or(""),
            r.get("seq").and_then(Json::as_u64).unwrap_or(0),
        );
        let metric = text(r, "metric");
        if !names.contains(&metric) {
            names.push(metric.clone());
        }
        let mut entry_metric = Mapping::new();
        entry_metric.insert("type".into(), Yaml::from(metric.as_str()));
        // The views carry numbers as text, as the page shows them; the Hub wants numbers.
        let value = match r.get("value") {
            Some(Json::String(s)) => s
                .parse::<f64>()
                .map_or_else(|_| Yaml::from(s.as_str()), Yaml::from),
            Some(v) => serde_yaml_ng::to_value(v).unwrap_or_default(),
            None => Yaml::Null,
        };
        entry_metric.insert("value".into(), value);
        entry_metric.insert("name".into(), Yaml::from(metric.as_str()));
        let same = results
            .last_mut()
            .filter(|(l, s, _)| l == ledger && *s == seq);
        if let Some((_, _, result)) = same {
            if let Some(Yaml::Sequence(ms)) = result.get_mut("metrics") {
                ms.push(Yaml::Mapping(entry_metric));
            }
            continue;
        }
        let suite = text(r, "suite");
        let task = Some(text(r, "task")).filter(|t| !t.is_empty());
        let mut result = Mapping::new();
        let mut t = Mapping::new();
        t.insert(
            "type".into(),
            Yaml::from(task.as_deref().unwrap_or("other")),
        );
        result.insert("task".into(), Yaml::Mapping(t));
        let mut d = Mapping::new();
        d.insert(
            "type".into(),
            Yaml::from(crate::text::artifact_id(&suite).unwrap_or(&suite)),
        );
        d.insert("name".into(), Yaml::from(suite.as_str()));
        result.insert("dataset".into(), Yaml::Mapping(d));
        result.insert(
            "metrics".into(),
            Yaml::Sequence(vec![Yaml::Mapping(entry_metric)]),
        );
        let mut source = Mapping::new();
        let title = r
            .pointer("/ledger/title")
            .and_then(Json::as_str)
            .unwrap_or(ledger);
        source.insert("name".into(), Yaml::from(format!("{title}, entry #{seq}")));
        source.insert(
            "url".into(),
            Yaml::from(format!("{base}{}", text(r, "url"))),
        );
        result.insert("source".into(), Yaml::Mapping(source));
        results.push((ledger.to_owned(), seq, result));
    }
    let mut model = Mapping::new();
    model.insert("name".into(), Yaml::from(id));
    model.insert(
        "results".into(),
        Yaml::Sequence(
            results
                .into_iter()
                .map(|(_, _, r)| Yaml::Mapping(r))
                .collect(),
        ),
    );
    (
        Yaml::Sequence(names.into_iter().map(Yaml::from).collect()),
        Yaml::Sequence(vec![Yaml::Mapping(model)]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hubs_licence_list_is_sorted_for_its_search() {
        assert!(HUB_LICENSES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn an_spdx_licence_is_named_as_the_hub_names_it() {
        let id = |s: &str| license(s);
        assert_eq!(id("Apache-2.0").id, "apache-2.0");
        assert_eq!(id("CC-BY-4.0").id, "cc-by-4.0");
        assert_eq!(id("CC0-1.0").id, "cc0-1.0");
        assert_eq!(id("GPL-3.0-or-later").id, "gpl-3.0");
        assert_eq!(id("LGPL-2.1-only").id, "lgpl-2.1");
        assert_eq!(id("MIT").name, None);
        assert_eq!(
            id("MIT OR Apache-2.0"),
            License {
                id: "other".into(),
                name: Some("mit-or-apache-2.0".into())
            }
        );
        assert_eq!(
            id("LicenseRef-Ancapex-Open-Weights-1.0").name.as_deref(),
            Some("licenseref-ancapex-open-weights-1.0")
        );
    }

    #[test]
    fn a_depends_on_target_is_a_model_or_a_data_set_here_or_on_the_hub() {
        let kind_of = |id: &str| match id {
            "base" => Some(Kind::Checkpoint),
            "corpus" => Some(Kind::Dataset),
            "memo" => Some(Kind::DesignMemo),
            _ => None,
        };
        let t = |s: &str| target(s, &kind_of).map(|(c, r)| (c, r.id, r.url));
        assert_eq!(
            t("artifact:base@1.0.0"),
            Some((Card::Model, "base".into(), "/artifacts/base/".into()))
        );
        assert_eq!(t("artifact:corpus").map(|x| x.0), Some(Card::Dataset));
        assert_eq!(t("artifact:memo@0.1.0"), None);
        assert_eq!(t("artifact:missing@0.1.0"), None);
        assert_eq!(
            t("https://huggingface.co/EleutherAI/pythia-160m?x=1"),
            Some((
                Card::Model,
                "EleutherAI/pythia-160m".into(),
                "https://huggingface.co/EleutherAI/pythia-160m?x=1".into()
            ))
        );
        assert_eq!(
            t("https://huggingface.co/datasets/allenai/c4/tree/main").map(|x| (x.0, x.1)),
            Some((Card::Dataset, "allenai/c4".into()))
        );
        assert_eq!(
            t("https://huggingface.co/gpt2").map(|x| x.1),
            Some("gpt2".into())
        );
        assert_eq!(t("https://huggingface.co/"), None);
        assert_eq!(t("https://huggingface.co/a b/c"), None);
        assert_eq!(t("https://example.org/EleutherAI/pythia-160m"), None);
    }

    #[test]
    fn the_sites_paths_in_a_card_become_addresses() {
        let md = "See [the data](/artifacts/d/ \"t\"), ![plot](/img/p.png), [ext](https://x.org/a), [rel](other.md), [net](//cdn.example/x), [ref][r] and `[code](/no/)`.\n\n[r]: /ledgers/run/\n";
        assert_eq!(
            absolute_links(md, "https://lab.example"),
            "See [the data](https://lab.example/artifacts/d/ \"t\"), ![plot](https://lab.example/img/p.png), [ext](https://x.org/a), [rel](other.md), [net](//cdn.example/x), [ref][r] and `[code](/no/)`.\n\n[r]: https://lab.example/ledgers/run/\n"
        );
    }

    #[test]
    fn the_yaml_block_is_found_only_at_the_start() {
        let text = "---\nlicense: mit\n---\n# Card\n";
        let block = yaml_block(text).unwrap();
        assert_eq!(&text[block], "license: mit\n");
        assert_eq!(&text[body_start(text)..], "# Card\n");
        assert_eq!(yaml_block("---\n---\nbody"), Some(4..4));
        assert_eq!(body_start("---\n---\nbody"), 8);
        assert_eq!(yaml_block("# Card\n---\nx: 1\n---\n"), None);
        assert_eq!(yaml_block("---\nnever closed\n"), None);
        assert_eq!(body_start("# Card\n"), 0);
    }

    #[test]
    fn each_eval_entry_is_one_result_with_its_metrics_and_its_source() {
        let result = |seq: u64, metric: &str, value: f64, task: Option<&str>| {
            serde_json::json!({
                "seq": seq, "url": format!("/ledgers/run/#entry-{seq}"),
                "suite": "artifact:suite@1.0.0", "task": task,
                "metric": metric, "value": value.to_string(),
                "ledger": { "name": "run", "title": "Run" },
            })
        };
        let evals = [
            result(7, "accuracy", 0.5, Some("text-generation")),
            result(7, "f1", 0.25, Some("text-generation")),
            result(9, "accuracy", 0.75, None),
        ];
        let (metrics, index) = model_index("m", &evals, "https://lab.example");
        let yaml = serde_yaml_ng::to_string(&(metrics, index)).unwrap();
        assert_eq!(
            yaml,
            "\
- - accuracy
  - f1
- - name: m
    results:
    - task:
        type: text-generation
      dataset:
        type: suite
        name: artifact:suite@1.0.0
      metrics:
      - type: accuracy
        value: 0.5
        name: accuracy
      - type: f1
        value: 0.25
        name: f1
      source:
        name: 'Run, entry #7'
        url: https://lab.example/ledgers/run/#entry-7
    - task:
        type: other
      dataset:
        type: suite
        name: artifact:suite@1.0.0
      metrics:
      - type: accuracy
        value: 0.75
        name: accuracy
      source:
        name: 'Run, entry #9'
        url: https://lab.example/ledgers/run/#entry-9
"
        );
    }
}
