//! The view structs templates see: built once per page and shared (template values are
//! reference-counted), so a section listing a thousand pages clones no page.

use std::collections::BTreeMap;

use tera::Value;

use crate::artifact::Artifact;
use crate::config::Config;
use crate::model::{Document, Page, Section, Site};

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
    v.insert("content", Value::safe_string(&doc.content.html));
    v.insert(
        "summary",
        doc.content
            .summary
            .as_deref()
            .map_or_else(Value::none, Value::safe_string),
    );
    v.insert("toc", Value::from_serializable(&doc.content.toc));
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

/// A section's view, its pages taken from the already built page views.
pub(crate) fn section(site: &Site, section: &Section, pages: &[Value], config: &Config) -> Value {
    let mut v = document(&section.doc, config);
    v.insert(
        "pages",
        Value::from(
            section
                .pages
                .iter()
                .map(|&i| pages[i].clone())
                .collect::<Vec<_>>(),
        ),
    );
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
    pages: &[Value],
    by: usize,
    index: usize,
    total: usize,
) -> Value {
    let chunk: Vec<Value> = section
        .pages
        .iter()
        .skip((index - 1) * by)
        .take(by)
        .map(|&i| pages[i].clone())
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

/// What every template sees: `config`, `artifacts`, `serve`.
pub(crate) fn globals(config: &Config, artifacts: &[Artifact]) -> BTreeMap<&'static str, Value> {
    let mut c = Map::new();
    c.insert("title", Value::from(config.title.as_str()));
    c.insert("description", Value::from(config.description.as_str()));
    c.insert("base_url", Value::from(config.base_url.as_str()));
    c.insert("language", Value::from(config.language.as_str()));
    c.insert("extra", extra(&config.extra));
    c.insert("contact", Value::from_serializable(&config.contact));
    let mut g = BTreeMap::new();
    g.insert("config", Value::from(c));
    g.insert("artifacts", Value::from_serializable(artifacts));
    g.insert(
        "serve",
        Value::from(config.mode == crate::config::Mode::Serve),
    );
    g
}
