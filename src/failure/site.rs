//! Failure reports on the site: the failure kind's outputs (a page per report, the index at
//! `/failures/`, the reports' evidence files) and the values their templates see.

use tera::Value;

use super::{FailureReport, Named as _};
use crate::kind::{
    self, Claim, Job, Made, Map, Output, Rendered, SearchRecord, Summary, Templates, UrlPath,
    opt_str,
};
use crate::load::Origin;

/// The failure reports as a content kind.
pub(crate) struct Reports<'a> {
    list: &'a [FailureReport],
    /// Whether the site has the index at `/failures/`: any site that keeps records has it,
    /// even with no report yet, so that a record can link to it.
    index: bool,
    links: Links,
}

/// Where a report's references lead: the other kinds' pages, given where the kind is
/// registered.
#[derive(Clone, Copy)]
pub(crate) struct Links {
    /// The page of the artifact record of this id.
    pub(crate) artifact: fn(&str) -> String,
    /// Where a run page shows entry `seq` of ledger `name`.
    pub(crate) entry: fn(&str, u64) -> String,
}

impl<'a> Reports<'a> {
    pub(crate) fn new(reports: &'a [FailureReport], keeps_records: bool, links: Links) -> Self {
        Self {
            list: reports,
            index: keeps_records,
            links,
        }
    }
}

/// What a job of the failure reports makes.
enum Work {
    /// The page of the report at this index.
    Page(usize),
    /// The index of every report.
    Index,
    /// An evidence file, copied as it is.
    Evidence(Origin),
}

/// The template of a report's page.
const PAGE: &str = "failure.html";
/// The template of the index of reports.
const INDEX: &str = "failure_list.html";
/// The URL of the index of reports.
const INDEX_URL: &str = "/failures/";

impl kind::Kind for Reports<'_> {
    fn outputs(&self, templates: &dyn Templates) -> Vec<Output> {
        let mut out = vec![];
        if self.index && templates.has(INDEX) {
            out.push(Output {
                url: UrlPath::new(INDEX_URL),
                job: Job::new(Made::Fixed, Work::Index),
                claim: Claim::generated("failures/index.html"),
            });
        }
        for (i, r) in self.list.iter().enumerate() {
            let claim = || Claim {
                what: format!("the page of failure report `{}`", r.id),
                at: Some((std::sync::Arc::clone(&r.doc.source), 0..0)),
            };
            if templates.has(PAGE) {
                out.push(Output {
                    url: UrlPath::new(FailureReport::url(&r.id)),
                    job: Job::new(Made::Fixed, Work::Page(i)),
                    claim: claim(),
                });
            }
            for e in &r.evidence {
                if let Some(file) = &e.file {
                    out.push(Output {
                        url: UrlPath::new(r.evidence_url(e)),
                        job: Job::new(Made::Fixed, Work::Evidence(Origin::Disk(file.clone()))),
                        claim: claim(),
                    });
                }
            }
        }
        out
    }

    fn link_targets(&self, templates: &dyn Templates) -> Vec<UrlPath> {
        let mut out = vec![];
        if templates.has(INDEX) && self.index {
            out.push(UrlPath::new(INDEX_URL));
        }
        for r in self.list {
            if templates.has(PAGE) {
                out.push(UrlPath::new(FailureReport::url(&r.id)));
            }
            out.extend(r.evidence.iter().map(|e| UrlPath::new(r.evidence_url(e))));
        }
        out
    }

    fn render(&self, job: &Job, templates: &dyn Templates) -> Rendered {
        match job.get::<Work>() {
            Some(Work::Page(i)) => {
                let r = &self.list[*i];
                templates
                    .render(
                        PAGE,
                        &FailureReport::url(&r.id),
                        vec![("report", view(r, self.links))],
                    )
                    .map_err(|d| d.map(|d| d.in_file(r.doc.source.path.clone())))
            }
            Some(Work::Index) => {
                let reports: Vec<Value> = self.list.iter().map(|r| view(r, self.links)).collect();
                templates.render(
                    INDEX,
                    INDEX_URL,
                    vec![
                        ("reports", Value::from(reports)),
                        ("totals", totals(self.list)),
                    ],
                )
            }
            Some(Work::Evidence(origin)) => Ok(kind::Body::Copy(origin.clone())),
            None => Err(Some(crate::diagnostic::Diagnostic::error(
                "a failure report was asked to render another kind's output",
            ))),
        }
    }

    /// The reports and their index, which is built (and says so) even before the first.
    fn sitemap(&self) -> Vec<UrlPath> {
        let mut out: Vec<UrlPath> = self.search().into_iter().map(|r| r.url).collect();
        out.push(UrlPath::new(INDEX_URL));
        out
    }

    fn search(&self) -> Vec<SearchRecord<'_>> {
        let mut out = vec![];
        if !self.list.is_empty() {
            out.push(SearchRecord {
                title: "Failure reports".to_owned(),
                url: UrlPath::new(INDEX_URL),
                kind: "section",
                summary: Summary::Text(
                    "Negative results, incidents and retractions, published as first-class pages"
                        .to_owned(),
                ),
                words: String::new(),
                body: None,
            });
        }
        for r in self.list {
            out.push(SearchRecord {
                title: r.title.clone(),
                url: UrlPath::new(FailureReport::url(&r.id)),
                kind: "failure",
                summary: r.outcome.clone().map_or(Summary::Body, Summary::Clip),
                words: r.categories.join(" "),
                body: Some(Box::new(|| r.doc.content.html.unpack())),
            });
        }
        out
    }
}

/// An artifact a failure report names (`<id>` or `<id>@<version>`), with its page.
fn artifact_ref(text: &str, links: Links) -> Value {
    let id = text.split('@').next().unwrap_or(text);
    let mut m = Map::new();
    m.insert("text", Value::from(text));
    m.insert("url", Value::from((links.artifact)(id)));
    Value::from(m)
}

/// The `report` value templates see. Text is left for Tera to escape; the body is the markdown
/// stage's HTML.
pub(crate) fn view(r: &FailureReport, links: Links) -> Value {
    let date = |d: Option<&crate::front_matter::Date>| {
        d.map_or_else(Value::none, |d| Value::from(d.to_string()))
    };
    let mut v = Map::new();
    v.insert("id", Value::from(r.id.as_str()));
    v.insert("title", Value::from(r.title.as_str()));
    v.insert("url", Value::from(FailureReport::url(&r.id)));
    v.insert("report_type", Value::from(r.report_type.as_str()));
    v.insert("status", Value::from(r.status.as_str()));
    v.insert("severity", Value::from(r.severity.as_str()));
    v.insert("severity_label", Value::from(r.severity.label()));
    v.insert("categories", Value::from_serializable(&r.categories));
    v.insert("detected", date(Some(&r.detected)));
    v.insert("resolved", date(r.resolved.as_ref()));
    v.insert("published", date(r.published.as_ref()));
    v.insert("authors", Value::from_serializable(&r.authors));
    v.insert("reviewers", Value::from_serializable(&r.reviewers));
    v.insert("runs", Value::from_serializable(&r.runs));
    v.insert("ledger_refs", Value::from_serializable(&r.ledger_refs));
    // Each cited entry with where the run page shows it.
    let entries: Vec<Value> = r
        .ledger_refs
        .iter()
        .map(|text| {
            let mut m = Map::new();
            m.insert("text", Value::from(text.as_str()));
            let url = text
                .strip_prefix("ledger:")
                .and_then(|rest| rest.split_once('#'))
                .and_then(|(name, seq)| Some((links.entry)(name, seq.parse().ok()?)));
            m.insert("url", url.map_or_else(Value::none, Value::from));
            Value::from(m)
        })
        .collect();
    v.insert("ledger_entries", Value::from(entries));
    let refs = |list: &[String]| {
        Value::from(
            list.iter()
                .map(|t| artifact_ref(t, links))
                .collect::<Vec<_>>(),
        )
    };
    v.insert("artifacts_affected", refs(&r.artifacts_affected));
    v.insert("claims_affected", refs(&r.claims_affected));
    v.insert("hypothesis", opt_str(r.hypothesis.as_deref()));
    v.insert("outcome", opt_str(r.outcome.as_deref()));
    v.insert("cost", Value::from_serializable(&r.cost));
    let evidence: Vec<Value> = r
        .evidence
        .iter()
        .map(|e| {
            let name = e.path.rsplit('/').next().unwrap_or(&e.path);
            let mut m = Map::new();
            m.insert("path", Value::from(e.path.as_str()));
            m.insert("name", Value::from(name));
            m.insert("sha256", Value::from(e.sha256.as_str()));
            m.insert("description", opt_str(e.description.as_deref()));
            m.insert("url", Value::from(r.evidence_url(e)));
            m.insert(
                "check",
                Value::from(format!("echo \"{}  {name}\" | sha256sum -c", e.sha256)),
            );
            Value::from(m)
        })
        .collect();
    v.insert("evidence", Value::from(evidence));
    let actions: Vec<Value> = r
        .actions
        .iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("what", Value::from(a.what.as_str()));
            m.insert("type", Value::from_serializable(&a.kind));
            m.insert("owner", Value::from(a.owner.as_str()));
            m.insert("due", date(a.due.as_ref()));
            m.insert("state", Value::from_serializable(&a.state));
            m.insert("open", Value::from(a.state.is_open()));
            Value::from(m)
        })
        .collect();
    v.insert("actions", Value::from(actions));
    v.insert("open_actions", Value::from(r.open_actions()));
    v.insert("content", Value::safe_string(&r.doc.content.html.unpack()));
    v.insert("toc", Value::from_serializable(&*r.doc.content.toc));
    Value::from(v)
}

/// What the failure index shows besides the list: `all`, `by_run` and `by_type` rows of
/// `{reports, gpu_hours_lost, steps_lost, open_actions}`, with `run` or `report_type`.
fn totals(reports: &[FailureReport]) -> Value {
    let s = super::summary(reports);
    let row = |key: &'static str, name: &str, t: &super::Totals| {
        let mut m = serde_json::to_value(t).unwrap_or_default();
        m[key] = serde_json::Value::from(name);
        m
    };
    let runs: Vec<_> = s.by_run.iter().map(|(k, t)| row("run", k, t)).collect();
    let types: Vec<_> = s
        .by_type
        .iter()
        .map(|(k, t)| row("report_type", k.as_str(), t))
        .collect();
    let mut m = Map::new();
    m.insert("all", Value::from_serializable(&s.all));
    m.insert("by_run", Value::from_serializable(&runs));
    m.insert("by_type", Value::from_serializable(&types));
    Value::from(m)
}
