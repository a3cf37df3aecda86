//! The view structs templates see: built once per page and shared (template values are
//! reference-counted), so a section listing a thousand pages clones no page. A view's body
//! (`content`) is kept packed beside it and added only for the outputs that show it, so the
//! rendered site is never held in memory whole.

use std::collections::BTreeMap;
use std::sync::Arc;

use tera::Value;

use crate::config::Config;
use crate::kind::{Map, opt_str};
use crate::model::{Document, Heading, Packed, Page, Section, Site};

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
    let json = crate::front_matter::toml_to_json(&toml::Value::Table(table.clone()));
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
/// `artifact_filters`, `badges`, `serve`, `has_records`.
pub(crate) fn globals(
    config: &Config,
    site: &crate::model::Site,
    views: &[Value],
) -> BTreeMap<&'static str, Value> {
    let mut c = Map::new();
    c.insert("title", Value::from(config.title.as_str()));
    c.insert("description", Value::from(config.description.as_str()));
    c.insert("base_url", Value::from(config.base_url.as_str()));
    c.insert("language", Value::from(config.language.as_str()));
    c.insert("extra", extra(&config.extra));
    c.insert("contact", Value::from_serializable(&config.contact));
    c.insert("feed", Value::from(config.build.feed));
    let mut g = BTreeMap::new();
    g.insert("config", Value::from(c));
    let [names, filters] = crate::theme::RECORD_GLOBALS;
    g.insert(names, Value::from(views.to_vec()));
    g.insert(filters, Value::from(site.records.artifact_filters()));
    g.insert("badges", Value::from(crate::records::Records::badges()));
    g.insert(
        "serve",
        Value::from(config.mode == crate::config::Mode::Serve),
    );
    // Whether there is a failure report index to link to. Not a record global: it changes only
    // when the first record comes or the last goes, and then serve rebuilds everything.
    g.insert("has_records", Value::from(site.records.any()));
    g
}
