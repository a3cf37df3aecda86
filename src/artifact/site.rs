//! Artifact records on the site: the artifact kind's outputs (a page per record, the registry's
//! filtered lists, the records for machines, the feed, the records' files) and the values
//! their templates see.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use tera::Value;

use super::{Artifact, FileEntry, Link, LinkRel, Status, machine};
use crate::config::Config;
use crate::kind::{
    self, Body, Claim, Job, Made, Map, Output, Rendered, SearchRecord, Summary, Templates, UrlPath,
    opt_str,
};
use crate::load::Origin;
use crate::text::escape_html;

/// Views of run ledger entries by the artifact id they name.
pub(crate) type ByArtifact<'a> = HashMap<&'a str, Vec<serde_json::Value>>;

/// What the run ledgers say of each artifact, as its page shows it: made by the first page that
/// needs it.
pub(crate) struct FromLedgers<'a> {
    /// The `artifact.status` entries that name it (`status_history` on its page).
    pub(crate) status: ByArtifact<'a>,
    /// The evaluation results that name it, by their suite or their refs (`eval_results`).
    pub(crate) evals: ByArtifact<'a>,
}

/// The artifact records as a content kind.
pub(crate) struct Artifacts<'a> {
    records: &'a [Artifact],
    /// Every record's template value (what `get_artifact` finds), made by the first page that
    /// needs them.
    views: OnceLock<Vec<Value>>,
    from_ledgers: Box<dyn Fn() -> FromLedgers<'a> + Sync + 'a>,
    made: OnceLock<FromLedgers<'a>>,
}

impl<'a> Artifacts<'a> {
    pub(crate) fn new(
        records: &'a [Artifact],
        from_ledgers: Box<dyn Fn() -> FromLedgers<'a> + Sync + 'a>,
    ) -> Self {
        Self {
            records,
            views: OnceLock::new(),
            from_ledgers,
            made: OnceLock::new(),
        }
    }

    /// The template value of the record at `i`.
    fn view(&self, i: usize) -> Value {
        self.views.get_or_init(|| views(self.records))[i].clone()
    }
}

/// What a job of the artifacts makes.
enum Work {
    /// The page of the record at this index.
    Page(usize),
    /// `artifact.json` of the record at this index.
    Record(usize),
    /// The in-toto statement of the record at this index.
    Intoto(usize),
    /// `CITATION.cff` of the record at this index.
    Cff(usize),
    /// The BibTeX entry of the record at this index.
    Bibtex(usize),
    /// The Hugging Face Hub card (`README.md`) of the record at this index.
    Hub(usize),
    /// `artifacts/index.json`.
    Index,
    /// `artifacts/atom.xml`.
    Feed,
    /// The list of one status, kind or phase.
    List(Filter),
    /// A file of a record's folder, copied as it is.
    File(Origin),
}

/// The template of a record's page.
const PAGE: &str = "artifact.html";
/// The template of a filtered list.
const LIST: &str = "artifact_list.html";

impl kind::Kind for Artifacts<'_> {
    fn outputs(&self, templates: &dyn Templates) -> Vec<Output> {
        let mut out = vec![];
        let fixed = |work| Job::new(Made::Fixed, work);
        if !self.records.is_empty() {
            for (path, work) in [
                ("artifacts/index.json", Work::Index),
                ("artifacts/atom.xml", Work::Feed),
            ] {
                out.push(Output {
                    url: UrlPath::new(path),
                    job: fixed(work),
                    claim: Claim::generated(path),
                });
            }
        }
        if templates.has(LIST) {
            for f in filters(self.records) {
                let url = f.url();
                out.push(Output {
                    url: UrlPath::new(url.clone()),
                    job: fixed(Work::List(f)),
                    claim: Claim::generated(&url),
                });
            }
        }
        for (i, a) in self.records.iter().enumerate() {
            let claim = || Claim {
                what: format!("the page of artifact `{}`", a.id),
                at: Some((std::sync::Arc::clone(&a.source), 0..0)),
            };
            if templates.has(PAGE) {
                out.push(Output {
                    url: UrlPath::new(super::page_url(&a.id)),
                    job: fixed(Work::Page(i)),
                    claim: claim(),
                });
            }
            for (url, work) in machine_files(a, i) {
                out.push(Output {
                    url,
                    job: fixed(work),
                    claim: claim(),
                });
            }
            // Only files found inside the record's folder: a missing or escaping one is a
            // problem of the record, never a failure to copy.
            for (f, real) in a.files.iter().zip(&a.file_paths) {
                if let (Some(url), Some(real)) = (file_url(a, f.get_ref()), real) {
                    out.push(Output {
                        url: UrlPath::new(url),
                        job: fixed(Work::File(Origin::Disk(real.clone()))),
                        claim: claim(),
                    });
                }
            }
        }
        out
    }

    fn link_targets(&self, _templates: &dyn Templates) -> Vec<UrlPath> {
        // Pages and lists are valid targets whatever the theme, as they have always been.
        let mut out = vec![];
        if !self.records.is_empty() {
            out.push(UrlPath::new("/artifacts/index.json"));
            out.push(UrlPath::new("/artifacts/atom.xml"));
        }
        out.extend(filters(self.records).iter().map(|f| UrlPath::new(f.url())));
        for (i, a) in self.records.iter().enumerate() {
            out.push(UrlPath::new(super::page_url(&a.id)));
            out.extend(machine_files(a, i).into_iter().map(|(url, _)| url));
            out.extend(
                a.files
                    .iter()
                    .filter_map(|f| file_url(a, f.get_ref()))
                    .map(UrlPath::new),
            );
        }
        out
    }

    fn render(&self, job: &Job, templates: &dyn Templates) -> Rendered {
        let Some(work) = job.get::<Work>() else {
            return Err(Some(crate::diagnostic::Diagnostic::error(
                "an artifact was asked to render another kind's output",
            )));
        };
        match work {
            Work::Page(i) => {
                let a = &self.records[*i];
                let in_file = |d: Option<crate::diagnostic::Diagnostic>| {
                    d.map(|d| d.in_file(a.source.path.clone()))
                };
                let from = self.made.get_or_init(|| (self.from_ledgers)());
                let of = |by: &ByArtifact<'_>| {
                    Value::from_serializable(&by.get(a.id.as_str()).map_or(&[][..], Vec::as_slice))
                };
                templates
                    .render(
                        PAGE,
                        &super::page_url(&a.id),
                        vec![
                            ("artifact", self.view(*i)),
                            ("status_history", of(&from.status)),
                            (
                                "citation",
                                Value::from(super::cite::bibtex(
                                    a,
                                    &absolute(templates.config(), a),
                                    &templates.config().title,
                                )),
                            ),
                            ("eval_results", of(&from.evals)),
                        ],
                    )
                    .map_err(in_file)
            }
            Work::Record(i) => Ok(Body::Bytes(machine::record(&self.records[*i]))),
            Work::Intoto(i) => Ok(Body::Bytes(machine::intoto(&self.records[*i]))),
            Work::Cff(i) => {
                let (a, config) = (&self.records[*i], templates.config());
                Ok(Body::Bytes(
                    super::cite::cff(a, &absolute(config, a), &config.title).into_bytes(),
                ))
            }
            Work::Bibtex(i) => {
                let (a, config) = (&self.records[*i], templates.config());
                Ok(Body::Bytes(
                    super::cite::bibtex(a, &absolute(config, a), &config.title).into_bytes(),
                ))
            }
            Work::Hub(i) => {
                let a = &self.records[*i];
                let Some(meta) = super::hub::meta(a, &|id| super::kind_of(self.records, id)) else {
                    return Err(Some(crate::diagnostic::Diagnostic::error(
                        "a Hub card was asked of a record the Hub has no place for",
                    )));
                };
                let from = self.made.get_or_init(|| (self.from_ledgers)());
                let evals = from.evals.get(a.id.as_str()).map_or(&[][..], Vec::as_slice);
                Ok(Body::Bytes(
                    super::hub::readme(a, &meta, evals, &templates.config().base_url).into_bytes(),
                ))
            }
            Work::Index => Ok(Body::Bytes(machine::index(self.records))),
            Work::Feed => Ok(Body::Bytes(
                atom(self.records, templates.config()).into_bytes(),
            )),
            Work::List(filter) => {
                let listed: Vec<Value> = filter.members.iter().map(|&i| self.view(i)).collect();
                templates.render(
                    LIST,
                    &filter.url(),
                    vec![("filter", filter.value()), ("listed", Value::from(listed))],
                )
            }
            Work::File(origin) => Ok(Body::Copy(origin.clone())),
        }
    }

    fn search(&self) -> Vec<SearchRecord<'_>> {
        self.records
            .iter()
            .map(|a| {
                let kind = serde_json::to_value(a.kind).unwrap_or_default();
                let words = [
                    a.claim.as_deref().unwrap_or(""),
                    a.id.as_str(),
                    kind.as_str().unwrap_or(""),
                    a.status.as_str(),
                ]
                .join(" ");
                SearchRecord {
                    title: a.title.clone(),
                    url: UrlPath::new(super::page_url(&a.id)),
                    kind: "artifact",
                    summary: Summary::Clip(a.summary.clone()),
                    words,
                    body: None,
                }
            })
            .collect()
    }
}

/// The files of the record at `i` for machines, citation managers and the Hub, with their
/// works: `artifact.json`, the in-toto statement, `CITATION.cff`, `citation.bib` and, for the
/// kinds the Hub has a place for, its card.
fn machine_files(a: &Artifact, i: usize) -> Vec<(UrlPath, Work)> {
    let mut out = vec![
        (record_url(a), Work::Record(i)),
        (intoto_url(a), Work::Intoto(i)),
        (cff_url(a), Work::Cff(i)),
        (bibtex_url(a), Work::Bibtex(i)),
    ];
    if super::hub::Card::of(a.kind).is_some() {
        out.push((hub_url(a), Work::Hub(i)));
    }
    out
}

/// Where the record's Hugging Face Hub card is published.
fn hub_url(a: &Artifact) -> UrlPath {
    UrlPath::new(format!("{}README.md", super::page_url(&a.id)))
}

/// `artifact.json` of a record.
fn record_url(a: &Artifact) -> UrlPath {
    UrlPath::new(format!("/artifacts/{}/artifact.json", a.id))
}

/// The in-toto statement of a record's version.
fn intoto_url(a: &Artifact) -> UrlPath {
    UrlPath::new(format!("/artifacts/{}/{}.intoto.json", a.id, a.version))
}

/// Every artifact's template value, in the records' order.
pub(crate) fn views(artifacts: &[Artifact]) -> Vec<Value> {
    // Who cites whom, found in one pass over every link: each record's `cited_by` then costs
    // its own citations, not a pass over every record (a registry of thousands).
    let mut cited: HashMap<&str, Vec<(&Artifact, &Link)>> = HashMap::new();
    for other in artifacts {
        for l in &other.links {
            if let Some(id) = crate::text::artifact_id(l.target.get_ref()) {
                cited.entry(id).or_default().push((other, l));
            }
        }
    }
    let kind_of = |id: &str| super::kind_of(artifacts, id);
    artifacts
        .iter()
        .map(|a| {
            let cited = cited.get(a.id.as_str()).map_or(&[][..], Vec::as_slice);
            artifact(a, cited, &kind_of)
        })
        .collect()
}

/// The record's page, as an absolute URL of the site.
fn absolute(config: &crate::config::Config, a: &Artifact) -> String {
    format!("{}{}", config.base_url, super::page_url(&a.id))
}

/// Where `CITATION.cff` of the record is published.
fn cff_url(a: &Artifact) -> UrlPath {
    UrlPath::new(format!("{}CITATION.cff", super::page_url(&a.id)))
}

/// Where the record's BibTeX entry is published.
fn bibtex_url(a: &Artifact) -> UrlPath {
    UrlPath::new(format!("{}citation.bib", super::page_url(&a.id)))
}

/// Where a file of the artifact's folder is published: the digest is in the path, so the URL
/// never changes meaning and may be cached forever. `None` for `url` files and undigested ones.
pub(crate) fn file_url(a: &Artifact, file: &FileEntry) -> Option<String> {
    let path = file.path.as_ref()?.get_ref();
    let sha = file.sha256.as_ref()?.get_ref();
    let name = path.rsplit('/').next().unwrap_or(path);
    Some(format!("/artifacts/{}/files/{sha}/{name}", a.id))
}

/// An `artifact:<id>@<version>` target's page, a web URL as it is, anything else no link (a
/// contributor's `javascript:` never becomes a link).
fn target_href(target: &str) -> Option<String> {
    if let Some(rest) = target.strip_prefix("artifact:") {
        let id = rest.split('@').next().unwrap_or(rest);
        return Some(super::page_url(id));
    }
    (target.starts_with("https://") || target.starts_with("http://")).then(|| target.to_owned())
}

fn link_rel(rel: LinkRel) -> Value {
    Value::from_serializable(&rel)
}

/// The `artifact` value templates see, built from the record and the links of other records
/// citing it (`cited`, in the records' order). Text is left for Tera to escape; only the claim
/// is rendered, as untrusted markdown.
fn artifact(
    a: &Artifact,
    cited: &[(&Artifact, &Link)],
    kind_of: &dyn Fn(&str) -> Option<super::Kind>,
) -> Value {
    let mut v = Map::new();
    v.insert("id", Value::from(a.id.as_str()));
    v.insert("version", Value::from(a.version.as_str()));
    v.insert("title", Value::from(a.title.as_str()));
    v.insert("kind", Value::from_serializable(&a.kind));
    v.insert("status", Value::from(a.status.as_str()));
    v.insert("badge", Value::from(a.badge.as_str()));
    v.insert("summary", Value::from(a.summary.as_str()));
    v.insert(
        "claim",
        a.claim.as_deref().map_or_else(Value::none, |c| {
            Value::safe_string(&crate::text::markdown::untrusted(c))
        }),
    );
    v.insert("license", opt_str(a.license.as_deref()));
    v.insert(
        "phase",
        a.phase
            .map_or_else(Value::none, |p| Value::from(usize::from(p))),
    );
    v.insert("created", Value::from_serializable(&a.created));
    v.insert("updated", Value::from_serializable(&a.updated));
    v.insert("owners", Value::from_serializable(&a.owners));
    v.insert(
        "superseded_by",
        a.superseded_by
            .as_ref()
            .map_or_else(Value::none, |s| target_value(s.get_ref())),
    );
    v.insert("reason", opt_str(a.reason.as_deref()));
    v.insert("authors", Value::from_serializable(&a.authors));
    v.insert(
        "acceptance",
        a.acceptance.as_ref().map_or_else(Value::none, |acc| {
            let mut m = Map::new();
            m.insert("registered", Value::from_serializable(&acc.registered));
            let criteria: Vec<Value> = acc
                .criteria
                .iter()
                .map(|c| {
                    let c = c.get_ref();
                    let mut cm = Map::new();
                    cm.insert("text", Value::from(c.text.as_str()));
                    let evidence: Vec<Value> = c
                        .evidence
                        .iter()
                        .map(|e| evidence_value(a, e.get_ref()))
                        .collect();
                    cm.insert("evidence", Value::from(evidence));
                    Value::from(cm)
                })
                .collect();
            m.insert("criteria", Value::from(criteria));
            Value::from(m)
        }),
    );
    let files: Vec<Value> = a.files.iter().map(|f| file_value(a, f.get_ref())).collect();
    v.insert("files", Value::from(files));
    v.insert("downloads", Value::from(downloads(a)));
    v.insert("provenance", Value::from_serializable(&a.provenance));
    v.insert("signatures", Value::from_serializable(&a.signatures));
    let links: Vec<Value> = a
        .links
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("rel", link_rel(l.rel));
            m.insert("target", Value::from(l.target.get_ref().as_str()));
            m.insert(
                "url",
                target_href(l.target.get_ref()).map_or_else(Value::none, Value::from),
            );
            Value::from(m)
        })
        .collect();
    v.insert("links", Value::from(links));
    let cited_by: Vec<Value> = cited
        .iter()
        .map(|(other, l)| {
            let mut m = Map::new();
            m.insert("id", Value::from(other.id.as_str()));
            m.insert("version", Value::from(other.version.as_str()));
            m.insert("title", Value::from(other.title.as_str()));
            m.insert("rel", link_rel(l.rel));
            m.insert("url", Value::from(super::page_url(&other.id)));
            Value::from(m)
        })
        .collect();
    v.insert("cited_by", Value::from(cited_by));
    v.insert("url", Value::from(super::page_url(&a.id)));
    v.insert(
        "json_url",
        Value::from(format!("/artifacts/{}/artifact.json", a.id)),
    );
    v.insert(
        "intoto_url",
        Value::from(format!("/artifacts/{}/{}.intoto.json", a.id, a.version)),
    );
    v.insert(
        "card",
        a.card
            .as_ref()
            .map_or_else(Value::none, |c| Value::from(c.content.html.unpack())),
    );
    v.insert("cff_url", Value::from(cff_url(a).into_string()));
    v.insert("bibtex_url", Value::from(bibtex_url(a).into_string()));
    v.insert(
        "hub",
        super::hub::meta(a, kind_of).map_or_else(Value::none, |m| hub_value(a, &m)),
    );
    Value::from(v)
}

/// What the page shows of the record's Hub metadata, as the Hub does: `{card, url, license:
/// {id, name}, tags, base_model: [{id, url}], datasets: [{id, url}]}`.
fn hub_value(a: &Artifact, m: &super::hub::Meta) -> Value {
    let refs = |rs: &[super::hub::Ref]| {
        let list: Vec<Value> = rs
            .iter()
            .map(|r| {
                let mut v = Map::new();
                v.insert("id", Value::from(r.id.as_str()));
                v.insert("url", Value::from(r.url.as_str()));
                Value::from(v)
            })
            .collect();
        Value::from(list)
    };
    let mut v = Map::new();
    v.insert("card", Value::from(m.card.name()));
    v.insert("url", Value::from(hub_url(a).into_string()));
    v.insert(
        "license",
        m.license.as_ref().map_or_else(Value::none, |l| {
            let mut lv = Map::new();
            lv.insert("id", Value::from(l.id.as_str()));
            lv.insert("name", opt_str(l.name.as_deref()));
            Value::from(lv)
        }),
    );
    v.insert("tags", Value::from(super::hub::card_tags(a)));
    v.insert("base_model", refs(&m.base_model));
    v.insert("datasets", refs(&m.datasets));
    Value::from(v)
}

fn target_value(target: &str) -> Value {
    let mut m = Map::new();
    m.insert("target", Value::from(target));
    m.insert(
        "url",
        target_href(target).map_or_else(Value::none, Value::from),
    );
    Value::from(m)
}

/// One piece of evidence: `file:<path>` links to the published file when the record lists it,
/// `ledger:<name>#<seq>` to the entry on its run page, saying when it does not count yet.
fn evidence_value(a: &Artifact, evidence: &str) -> Value {
    let ledger = a.ledger_evidence.get(evidence);
    let url = evidence
        .strip_prefix("file:")
        .and_then(|path| {
            a.files
                .iter()
                .map(toml::Spanned::get_ref)
                .find(|f| f.path.as_ref().is_some_and(|p| p.get_ref() == path))
                .and_then(|f| file_url(a, f))
        })
        .or_else(|| ledger.map(|l| l.url.clone()));
    let mut m = Map::new();
    m.insert("text", Value::from(evidence));
    m.insert("url", url.map_or_else(Value::none, Value::from));
    m.insert(
        "pending",
        ledger
            .and_then(|l| l.pending)
            .map_or_else(Value::none, Value::from),
    );
    Value::from(m)
}

/// The files a visitor can download and check, for the page's command: each
/// `{saved_as, saved_as_shell, url, url_shell, relative, sha256}`. `saved_as` is where `curl`
/// writes it and `sha256sum -c` reads it (the record's path, else the URL's last segment);
/// the `_shell` forms are quoted for a POSIX shell (`url_shell` without its quotes, as the
/// theme puts the site's address before a `relative` one).
fn downloads(a: &Artifact) -> Vec<Value> {
    let quoted = |s: &str| s.replace('\'', "'\\''");
    a.files
        .iter()
        .map(toml::Spanned::get_ref)
        .filter_map(|f| {
            let sha = f.sha256.as_ref()?.get_ref();
            let (url, relative) = match file_url(a, f) {
                Some(u) => (u, true),
                None => (target_href(f.url.as_ref()?.get_ref())?, false),
            };
            let saved = match &f.path {
                Some(p) => p.get_ref().clone(),
                None => url.rsplit('/').next().unwrap_or(&url).to_owned(),
            };
            let mut m = Map::new();
            m.insert(
                "saved_as_shell",
                Value::from(format!("'{}'", quoted(&saved))),
            );
            m.insert("saved_as", Value::from(saved));
            m.insert("url_shell", Value::from(quoted(&url)));
            m.insert("url", Value::from(url));
            m.insert("relative", Value::from(relative));
            m.insert("sha256", Value::from(sha.as_str()));
            Some(Value::from(m))
        })
        .collect()
}

fn file_value(a: &Artifact, f: &FileEntry) -> Value {
    let name = f
        .path
        .as_ref()
        .or(f.url.as_ref())
        .map(|p| {
            let p = p.get_ref();
            p.rsplit('/').next().unwrap_or(p).to_owned()
        })
        .unwrap_or_default();
    let sha = f.sha256.as_ref().map(|s| s.get_ref().clone());
    let mut m = Map::new();
    m.insert("name", Value::from(name.as_str()));
    m.insert(
        "path",
        opt_str(f.path.as_ref().map(|p| p.get_ref().as_str())),
    );
    let url = file_url(a, f).or_else(|| f.url.as_ref().and_then(|u| target_href(u.get_ref())));
    m.insert("url", url.map_or_else(Value::none, Value::from));
    m.insert("sha256", opt_str(sha.as_deref()));
    m.insert(
        "size",
        f.size
            .as_ref()
            .map_or_else(Value::none, |s| Value::from(*s.get_ref())),
    );
    m.insert(
        "size_human",
        f.size.as_ref().map_or_else(Value::none, |s| {
            Value::from(crate::text::size(*s.get_ref()))
        }),
    );

    m.insert("media_type", opt_str(f.media_type.as_deref()));
    m.insert("role", Value::from_serializable(&f.role));
    m.insert("license", opt_str(f.license.as_deref()));
    m.insert(
        "check",
        sha.map_or_else(Value::none, |s| {
            Value::from(format!("echo \"{s}  {name}\" | sha256sum -c"))
        }),
    );
    Value::from(m)
}

/// A pre-rendered view of the registry: the records of one status, kind or phase.
pub(crate) struct Filter {
    /// `status`, `kind` or `phase`.
    pub(crate) by: &'static str,
    /// The status, kind or phase number.
    pub(crate) value: String,
    /// Indexes of the records in the view, by id.
    pub(crate) members: Vec<usize>,
}

impl Filter {
    /// `/artifacts/<by>/<value>/`.
    pub(crate) fn url(&self) -> String {
        format!("/artifacts/{}/{}/", self.by, self.value)
    }

    /// What templates see of the view: `by`, `value`, `url`, `count`.
    pub(crate) fn value(&self) -> Value {
        let mut m = Map::new();
        m.insert("by", Value::from(self.by));
        m.insert("value", Value::from(self.value.as_str()));
        m.insert("url", Value::from(self.url()));
        m.insert("count", Value::from(self.members.len()));
        Value::from(m)
    }
}

/// Every filter view with at least one record: statuses in lifecycle order, kinds by name,
/// phases by number.
pub(crate) fn filters(artifacts: &[Artifact]) -> Vec<Filter> {
    let group = |by: &'static str, key: &dyn Fn(&Artifact) -> Option<String>| {
        let mut groups: Vec<(String, Vec<usize>)> = vec![];
        for (i, a) in artifacts.iter().enumerate() {
            let Some(k) = key(a) else { continue };
            match groups.iter_mut().find(|(g, _)| *g == k) {
                Some((_, members)) => members.push(i),
                None => groups.push((k, vec![i])),
            }
        }
        groups
            .into_iter()
            .map(|(value, members)| Filter { by, value, members })
            .collect::<Vec<_>>()
    };
    let mut statuses = group("status", &|a: &Artifact| Some(a.status.as_str().to_owned()));
    statuses.sort_by_key(|f| Status::ALL.iter().position(|s| s.as_str() == f.value));
    let mut kinds = group("kind", &|a: &Artifact| Some(super::kind_name(a)));
    kinds.sort_by(|a, b| a.value.cmp(&b.value));
    let mut phases = group("phase", &|a: &Artifact| a.phase.map(|p| p.to_string()));
    phases.sort_by_key(|f| f.value.parse::<u8>().unwrap_or(u8::MAX));
    statuses.into_iter().chain(kinds).chain(phases).collect()
}

/// `artifacts/atom.xml`: one entry per record, newest change first, dated by the record's
/// `updated`, else `created`, else the source date; ties go by id, so the feed is the same for
/// the same records.
fn atom(artifacts: &[Artifact], config: &Config) -> String {
    let date = |a: &Artifact| {
        a.updated.as_ref().or(a.created.as_ref()).map_or_else(
            || config.provenance.date(),
            |d| format!("{}T00:00:00Z", d.as_str()),
        )
    };
    let mut entries: Vec<(String, &Artifact)> = artifacts.iter().map(|a| (date(a), a)).collect();
    entries.sort_by(|(da, a), (db, b)| db.cmp(da).then_with(|| a.id.cmp(&b.id)));
    let updated = entries
        .first()
        .map_or_else(|| config.provenance.date(), |(d, _)| d.clone());
    let base = &config.base_url;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        out,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n  <title>{} artifacts</title>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"{2}/artifacts/atom.xml\"/>\n  <link rel=\"alternate\" type=\"text/html\" href=\"{2}/artifacts/\"/>\n  <id>{2}/artifacts/atom.xml</id>\n  <updated>{3}</updated>\n",
        escape_html(&config.language),
        escape_html(&config.title),
        escape_html(base),
        updated
    );
    for (date, a) in entries {
        let link = escape_html(&format!("{base}/artifacts/{}/", a.id));
        let _ = write!(
            out,
            "  <entry>\n    <title>{} v{}: {}</title>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n    <id>{link}</id>\n    <updated>{date}</updated>\n    <author><name>{}</name></author>\n    <category term=\"{}\"/>\n    <summary>{}</summary>\n  </entry>\n",
            escape_html(&a.title),
            escape_html(&a.version),
            a.badge.as_str(),
            escape_html(&config.title),
            a.status.as_str(),
            escape_html(&a.summary),
        );
    }
    out.push_str("</feed>\n");
    out
}
