//! The view structs templates see: built once per page and shared (template values are
//! reference-counted), so a section listing a thousand pages clones no page. A view's body
//! (`content`) is kept packed beside it and added only for the outputs that show it, so the
//! rendered site is never held in memory whole.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tera::Value;

use crate::artifact::{Artifact, FileEntry, Link, LinkRel, Status};
use crate::config::Config;
use crate::model::{Document, Heading, Packed, Page, Section, Site};

type Map = BTreeMap<&'static str, Value>;

fn opt_str(s: Option<&str>) -> Value {
    s.map_or_else(Value::none, Value::from)
}

fn document(doc: &Document, config: &Config) -> Map {
    let m = &doc.meta;
    let mut v = Map::new();
    v.insert("title", Value::from(doc.title.as_str()));
    v.insert("description", opt_str(m.description.as_deref()));
    v.insert(
        "date",
        m.date
            .as_ref()
            .map_or_else(Value::none, |d| Value::from(d.to_string())),
    );
    v.insert(
        "updated",
        m.updated
            .as_ref()
            .map_or_else(Value::none, |d| Value::from(d.to_string())),
    );
    v.insert("url", Value::from(doc.url.as_str()));
    v.insert(
        "permalink",
        Value::from(format!("{}{}", config.base_url, doc.url)),
    );
    v.insert(
        "summary",
        doc.content
            .summary
            .as_deref()
            .map_or_else(Value::none, Value::safe_string),
    );
    v.insert("word_count", Value::from(doc.content.word_count));
    v.insert(
        "reading_time",
        Value::from(doc.content.word_count.div_ceil(200).max(1)),
    );
    v.insert("weight", m.weight.map_or_else(Value::none, Value::from));
    v.insert("draft", Value::from(m.draft));
    v.insert("extra", extra(&m.extra));
    v.insert("relative_path", Value::from(doc.rel.as_str()));
    v
}

/// Front matter or site `[extra]`, with dates as strings.
pub(crate) fn extra(table: &toml::Table) -> Value {
    let json = crate::parse::front_matter::toml_to_json(&toml::Value::Table(table.clone()));
    Value::from_serializable(&json)
}

/// A page's view.
pub(crate) fn page(site: &Site, page: &Page, config: &Config) -> Value {
    let mut v = document(&page.doc, config);
    let slug = page
        .doc
        .url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    v.insert("slug", Value::from(slug));
    v.insert(
        "aliases",
        Value::from(
            page.doc
                .meta
                .aliases
                .iter()
                .map(|a| a.get_ref().clone())
                .collect::<Vec<_>>(),
        ),
    );
    let dir = page.doc.rel.rfind('/').map_or("", |i| &page.doc.rel[..i]);
    let assets: Vec<String> = page
        .assets
        .iter()
        .map(|a| format!("{}{}", page.doc.url, &a[dir.len() + 1..]))
        .collect();
    v.insert("assets", Value::from(assets));
    v.insert(
        "section",
        Value::from(site.sections[page.section].doc.rel.as_str()),
    );
    Value::from(v)
}

/// A subsection as listed by its parent.
fn section_ref(section: &Section, config: &Config) -> Value {
    let d = &section.doc;
    let mut v = Map::new();
    v.insert("title", Value::from(d.title.as_str()));
    v.insert("description", opt_str(d.meta.description.as_deref()));
    v.insert("url", Value::from(d.url.as_str()));
    v.insert(
        "permalink",
        Value::from(format!("{}{}", config.base_url, d.url)),
    );
    v.insert("relative_path", Value::from(d.rel.as_str()));
    v.insert(
        "weight",
        d.meta.weight.map_or_else(Value::none, Value::from),
    );
    v.insert("extra", extra(&d.meta.extra));
    Value::from(v)
}

/// The template value of a table of contents.
fn toc(headings: &[Heading]) -> Value {
    Value::from_serializable(headings)
}

/// A document's view without its body, and its body, packed, and its table of contents. The
/// `toc` is made into a template value only with the body: as values, the headings of a large
/// site's pages take more memory than the rest of their views.
#[derive(Clone)]
pub(crate) struct View {
    pub(crate) base: Value,
    pub(crate) content: Packed,
    pub(crate) toc: Arc<[Heading]>,
}

impl View {
    /// A document's view: `base` without the body and the table of contents.
    pub(crate) fn new(base: Value, content: &crate::model::Content) -> Self {
        Self {
            base,
            content: content.html.clone(),
            toc: Arc::clone(&content.toc),
        }
    }

    /// The view as templates see it, with `content` and `toc`.
    pub(crate) fn full(&self) -> Value {
        with(
            &self.base,
            [
                ("content", Value::safe_string(&self.content.unpack())),
                ("toc", toc(&self.toc)),
            ],
        )
    }
}

/// A section's view and its pages'.
#[derive(Clone)]
pub(crate) struct SectionView {
    pub(crate) own: View,
    pub(crate) pages: Vec<View>,
}

impl SectionView {
    /// The view as templates see it: `content`, and `pages` each with their `content`.
    pub(crate) fn full(&self) -> Value {
        let pages: Vec<Value> = self.pages.iter().map(View::full).collect();
        with(
            &self.own.base,
            [
                ("content", Value::safe_string(&self.own.content.unpack())),
                ("toc", toc(&self.own.toc)),
                ("pages", Value::from(pages)),
            ],
        )
    }

    /// The view of a paginated listing: its `pages` without their bodies and tables of
    /// contents, which come with the paginator's pages, so that each listing page does not
    /// unpack the whole section.
    pub(crate) fn listing(&self) -> Value {
        let pages: Vec<Value> = self.pages.iter().map(|p| p.base.clone()).collect();
        with(
            &self.own.base,
            [
                ("content", Value::safe_string(&self.own.content.unpack())),
                ("toc", toc(&self.own.toc)),
                ("pages", Value::from(pages)),
            ],
        )
    }
}

/// `base` (a map) with `entries` added.
fn with<const N: usize>(base: &Value, entries: [(&'static str, Value); N]) -> Value {
    let mut map = base.as_map().cloned().unwrap_or_default();
    for (key, value) in entries {
        map.insert(key.into(), value);
    }
    Value::from(map)
}

/// A section's view without its body and pages (see `SectionView`).
pub(crate) fn section(site: &Site, section: &Section, config: &Config) -> Value {
    let mut v = document(&section.doc, config);
    v.insert(
        "subsections",
        Value::from(
            section
                .subsections
                .iter()
                .map(|&i| section_ref(&site.sections[i], config))
                .collect::<Vec<_>>(),
        ),
    );
    Value::from(v)
}

/// The paginator for listing page `index` (1-based) of a section.
pub(crate) fn paginator(
    section: &Section,
    view: &SectionView,
    by: usize,
    index: usize,
    total: usize,
) -> Value {
    let chunk: Vec<Value> = view
        .pages
        .iter()
        .skip((index - 1) * by)
        .take(by)
        .map(View::full)
        .collect();
    let url_of = |k: usize| {
        if k == 1 {
            section.doc.url.clone()
        } else {
            format!("{}page/{k}/", section.doc.url)
        }
    };
    let mut v = Map::new();
    v.insert("pages", Value::from(chunk));
    v.insert("current_index", Value::from(index));
    v.insert("number_pagers", Value::from(total));
    v.insert("paginate_by", Value::from(by));
    v.insert("first", Value::from(url_of(1)));
    v.insert("last", Value::from(url_of(total)));
    v.insert(
        "previous",
        if index > 1 {
            Value::from(url_of(index - 1))
        } else {
            Value::none()
        },
    );
    v.insert(
        "next",
        if index < total {
            Value::from(url_of(index + 1))
        } else {
            Value::none()
        },
    );
    Value::from(v)
}

/// What every template sees: `config`, `artifacts` (`views`, from `artifact_views`),
/// `artifact_filters`, `serve`, `has_records`.
pub(crate) fn globals(
    config: &Config,
    site: &crate::model::Site,
    views: &[Value],
) -> BTreeMap<&'static str, Value> {
    let artifacts = &site.artifacts;
    let mut c = Map::new();
    c.insert("title", Value::from(config.title.as_str()));
    c.insert("description", Value::from(config.description.as_str()));
    c.insert("base_url", Value::from(config.base_url.as_str()));
    c.insert("language", Value::from(config.language.as_str()));
    c.insert("extra", extra(&config.extra));
    c.insert("contact", Value::from_serializable(&config.contact));
    let mut g = BTreeMap::new();
    g.insert("config", Value::from(c));
    let [names, filters] = crate::theme::RECORD_GLOBALS;
    g.insert(names, Value::from(views.to_vec()));
    let filter_values: Vec<Value> = artifact_filters(artifacts)
        .iter()
        .map(ArtifactFilter::value)
        .collect();
    g.insert(filters, Value::from(filter_values));
    g.insert(
        "serve",
        Value::from(config.mode == crate::config::Mode::Serve),
    );
    // Whether there is a failure report index to link to. Not a record global: it changes only
    // when the first record comes or the last goes, and then serve rebuilds everything.
    g.insert("has_records", Value::from(site.keeps_records()));
    g
}

/// Every artifact's template value, in the records' order.
pub(crate) fn artifact_views(artifacts: &[Artifact]) -> Vec<Value> {
    // Who cites whom, found in one pass over every link: each record's `cited_by` then costs
    // its own citations, not a pass over every record (a registry of thousands).
    let mut cited: HashMap<&str, Vec<(&Artifact, &Link)>> = HashMap::new();
    for other in artifacts {
        for l in &other.links {
            if let Some(id) = cited_id(l.target.get_ref()) {
                cited.entry(id).or_default().push((other, l));
            }
        }
    }
    artifacts
        .iter()
        .map(|a| artifact(a, cited.get(a.id.as_str()).map_or(&[], Vec::as_slice)))
        .collect()
}

/// An artifact's page URL.
pub(crate) fn artifact_url(id: &str) -> String {
    crate::artifact::page_url(id)
}

/// Where a file of the artifact's folder is published: the digest is in the path, so the URL
/// never changes meaning and may be cached forever. `None` for `url` files and undigested ones.
pub(crate) fn artifact_file_url(a: &Artifact, file: &FileEntry) -> Option<String> {
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
        return Some(artifact_url(id));
    }
    (target.starts_with("https://") || target.starts_with("http://")).then(|| target.to_owned())
}

fn link_rel(rel: LinkRel) -> Value {
    Value::from_serializable(&rel)
}

/// The `artifact` value templates see, built from the record and the links of other records
/// citing it (`cited`, in the records' order). Text is left for Tera to escape; only the claim
/// is rendered, as untrusted markdown.
fn artifact(a: &Artifact, cited: &[(&Artifact, &Link)]) -> Value {
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
            m.insert("url", Value::from(artifact_url(&other.id)));
            Value::from(m)
        })
        .collect();
    v.insert("cited_by", Value::from(cited_by));
    v.insert("url", Value::from(artifact_url(&a.id)));
    v.insert(
        "json_url",
        Value::from(format!("/artifacts/{}/artifact.json", a.id)),
    );
    v.insert(
        "intoto_url",
        Value::from(format!("/artifacts/{}/{}.intoto.json", a.id, a.version)),
    );
    Value::from(v)
}

/// The artifact id a link target names (any version), if it names one.
fn cited_id(target: &str) -> Option<&str> {
    target
        .strip_prefix("artifact:")
        .and_then(|rest| rest.split('@').next())
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

/// One piece of evidence: `file:<path>` links to the published file when the record lists it.
fn evidence_value(a: &Artifact, evidence: &str) -> Value {
    let url = evidence.strip_prefix("file:").and_then(|path| {
        a.files
            .iter()
            .map(toml::Spanned::get_ref)
            .find(|f| f.path.as_ref().is_some_and(|p| p.get_ref() == path))
            .and_then(|f| artifact_file_url(a, f))
    });
    let mut m = Map::new();
    m.insert("text", Value::from(evidence));
    m.insert("url", url.map_or_else(Value::none, Value::from));
    Value::from(m)
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
    let url =
        artifact_file_url(a, f).or_else(|| f.url.as_ref().and_then(|u| target_href(u.get_ref())));
    m.insert("url", url.map_or_else(Value::none, Value::from));
    m.insert("sha256", opt_str(sha.as_deref()));
    m.insert(
        "size",
        f.size
            .as_ref()
            .map_or_else(Value::none, |s| Value::from(*s.get_ref())),
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
pub(crate) struct ArtifactFilter {
    /// `status`, `kind` or `phase`.
    pub(crate) by: &'static str,
    /// The status, kind or phase number.
    pub(crate) value: String,
    /// Indexes of the records in the view, by id.
    pub(crate) members: Vec<usize>,
}

impl ArtifactFilter {
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

fn kind_name(a: &Artifact) -> String {
    serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Every filter view with at least one record: statuses in lifecycle order, kinds by name,
/// phases by number.
pub(crate) fn artifact_filters(artifacts: &[Artifact]) -> Vec<ArtifactFilter> {
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
            .map(|(value, members)| ArtifactFilter { by, value, members })
            .collect::<Vec<_>>()
    };
    let mut statuses = group("status", &|a: &Artifact| Some(a.status.as_str().to_owned()));
    statuses.sort_by_key(|f| Status::ALL.iter().position(|s| s.as_str() == f.value));
    let mut kinds = group("kind", &|a: &Artifact| Some(kind_name(a)));
    kinds.sort_by(|a, b| a.value.cmp(&b.value));
    let mut phases = group("phase", &|a: &Artifact| a.phase.map(|p| p.to_string()));
    phases.sort_by_key(|f| f.value.parse::<u8>().unwrap_or(u8::MAX));
    statuses.into_iter().chain(kinds).chain(phases).collect()
}
