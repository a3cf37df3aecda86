//! The second stage: front matter, URLs, sections and their page lists. No markdown is
//! rendered here; the result says where every page goes and in which order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{Config, Drafts};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::front_matter::{self, SortBy};
use crate::load::{Origin, SourceSet};
use crate::model::{Alias, Content, Document, Page, Section, Site};
use crate::url;

/// Parses every content file into the site's structure.
pub fn site(sources: &SourceSet, config: &Config) -> (Site, Diagnostics) {
    let parsed: Vec<_> = sources.content.par_iter().map(document).collect();
    assemble(parsed, sources, config)
}

/// The site's structure from every content file's front matter as `document` parsed it (in
/// the order of `sources.content`): what `site` does after parsing each file, for a caller
/// that keeps the files it already parsed.
pub(crate) fn assemble(
    parsed: Vec<Result<Document, Diagnostic>>,
    sources: &SourceSet,
    config: &Config,
) -> (Site, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    // Each list made once at its size: a large site's documents are many megabytes.
    let mut section_docs = vec![];
    let mut page_docs = Vec::with_capacity(parsed.len());
    for r in parsed {
        match r {
            Ok(doc) if file_name(&doc.rel) == "_index.md" => section_docs.push(doc),
            Ok(doc) => page_docs.push(doc),
            Err(d) => diagnostics.push(d),
        }
    }

    let mut site = Site::default();
    if !section_docs.iter().any(|d| d.rel == "_index.md") {
        section_docs.insert(0, implicit_root(config));
    }
    section_docs
        .sort_by(|a, b| (a.rel != "_index.md", &a.rel).cmp(&(b.rel != "_index.md", &b.rel)));

    let mut section_by_dir: HashMap<String, usize> = HashMap::new();
    for (i, mut doc) in section_docs.into_iter().enumerate() {
        let dir = parent_dir(&doc.rel).to_owned();
        doc.url = if dir.is_empty() {
            "/".to_owned()
        } else {
            format!("/{dir}/")
        };
        check_section_only_fields(&doc, true, &mut diagnostics);
        if let Some(path) = &doc.meta.path {
            diagnostics.push(
                Diagnostic::error("`path` is for pages; a section's URL is its folder")
                    .at(&doc.source, path.span()),
            );
        }
        section_by_dir.insert(dir, i);
        site.sections.push(Section {
            doc,
            parent: None,
            pages: vec![],
            subsections: vec![],
        });
    }
    for i in 1..site.sections.len() {
        let parent = nearest_section(
            &section_by_dir,
            parent_dir(parent_dir(&site.sections[i].doc.rel)),
        );
        site.sections[i].parent = Some(parent);
        site.sections[parent].subsections.push(i);
    }

    let bundle_dirs: HashSet<String> = page_docs
        .iter()
        .filter(|d| file_name(&d.rel) == "index.md")
        .map(|d| parent_dir(&d.rel).to_owned())
        .collect();
    let owners: Vec<&str> = sources
        .content_assets
        .iter()
        .map(|a| owner_dir(&a.rel, &bundle_dirs, &section_by_dir))
        .collect();
    let mut assets_by_owner: HashMap<&str, Vec<String>> = HashMap::new();
    for (asset, owner) in sources.content_assets.iter().zip(&owners) {
        assets_by_owner
            .entry(owner)
            .or_default()
            .push(asset.rel.clone());
    }
    // Bundles left out of this build: their files are not published either.
    let mut hidden_bundles: Vec<String> = vec![];
    site.pages.reserve_exact(page_docs.len());
    for mut doc in page_docs {
        if doc.meta.draft && config.drafts == Drafts::Exclude {
            if file_name(&doc.rel) == "index.md" {
                hidden_bundles.push(parent_dir(&doc.rel).to_owned());
            }
            continue;
        }
        check_section_only_fields(&doc, false, &mut diagnostics);
        let is_bundle = file_name(&doc.rel) == "index.md";
        let dir = if is_bundle {
            parent_dir(parent_dir(&doc.rel))
        } else {
            parent_dir(&doc.rel)
        };
        let section = nearest_section(&section_by_dir, dir);
        let own_dir = if is_bundle { parent_dir(&doc.rel) } else { "" };
        let assets = if is_bundle {
            assets_by_owner.remove(own_dir).unwrap_or_default()
        } else {
            vec![]
        };
        // A page without a valid URL is reported and left out, files and all.
        match page_url(&doc) {
            Ok(url) => doc.url = url,
            Err(d) => {
                diagnostics.push(d);
                if is_bundle {
                    hidden_bundles.push(own_dir.to_owned());
                }
                continue;
            }
        }
        site.pages.push(Page {
            doc,
            section,
            assets,
        });
    }
    site.pages.sort_by(|a, b| a.doc.rel.cmp(&b.doc.rel));

    check_url_collisions(&mut site, &mut diagnostics);
    site.aliases = aliases(&site, &mut diagnostics);
    for (i, page) in site.pages.iter().enumerate() {
        site.sections[page.section].pages.push(i);
    }
    order(&mut site);
    site.urls = site
        .documents()
        .map(|d| (d.rel.clone(), d.url.clone()))
        .collect();
    let hidden: HashSet<&str> = hidden_bundles.iter().map(String::as_str).collect();
    site.files = files(sources, &site, |i| hidden.contains(owners[i]));
    (site, diagnostics)
}

/// One content file's front matter and title.
pub(crate) fn document(file: &crate::load::ContentFile) -> Result<Document, Diagnostic> {
    let source = &file.source;
    let split = front_matter::split(&source.text).map_err(|(msg, span)| {
        Diagnostic::error(msg)
            .at(source, span)
            .help("close it with the same fence on a line of its own")
    })?;
    let meta = front_matter::parse(source, &split)?;
    let title = match &meta.title {
        Some(t) => t.clone(),
        None => crate::text::markdown::first_heading(&source.text[split.body.clone()])
            .unwrap_or_default(),
    };
    Ok(Document {
        rel: file.rel.clone(),
        source: Arc::clone(source),
        body: split.body,
        meta: Arc::new(meta),
        title,
        url: String::new(),
        content: Content::default(),
    })
}

fn implicit_root(config: &Config) -> Document {
    Document {
        rel: "_index.md".to_owned(),
        source: SourceText::new("content/_index.md", ""),
        body: 0..0,
        meta: Arc::default(),
        title: config.title.clone(),
        url: "/".to_owned(),
        content: Content::default(),
    }
}

fn check_section_only_fields(doc: &Document, is_section: bool, diagnostics: &mut Diagnostics) {
    let m = &doc.meta;
    if is_section {
        for (name, span) in [("slug", m.slug.as_ref().map(toml::Spanned::span))] {
            if let Some(span) = span {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{name}` is for pages; a section's URL is its folder"
                    ))
                    .at(&doc.source, span),
                );
            }
        }
        return;
    }
    let spans = [
        ("sort_by", m.sort_by.as_ref().map(toml::Spanned::span)),
        (
            "page_template",
            m.page_template.as_ref().map(toml::Spanned::span),
        ),
        (
            "paginate_by",
            m.paginate_by.as_ref().map(toml::Spanned::span),
        ),
    ];
    for (name, span) in spans {
        if let Some(span) = span {
            diagnostics.push(
                Diagnostic::error(format!("`{name}` is for sections, not pages"))
                    .at(&doc.source, span)
                    .help("move it to the section's `_index.md`"),
            );
        }
    }
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

fn parent_dir(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

fn nearest_section(by_dir: &HashMap<String, usize>, mut dir: &str) -> usize {
    loop {
        if let Some(i) = by_dir.get(dir) {
            return *i;
        }
        if dir.is_empty() {
            return 0;
        }
        dir = parent_dir(dir);
    }
}

/// The folder that owns a content file: the nearest enclosing bundle or section (or the root).
fn owner_dir<'a>(
    rel: &'a str,
    bundles: &HashSet<String>,
    sections: &HashMap<String, usize>,
) -> &'a str {
    let mut dir = parent_dir(rel);
    loop {
        if bundles.contains(dir) || sections.contains_key(dir) || dir.is_empty() {
            return dir;
        }
        dir = parent_dir(dir);
    }
}

fn page_url(doc: &Document) -> Result<String, Diagnostic> {
    let source = &doc.source;
    if let Some(path) = &doc.meta.path {
        return url::normalize_path(path.get_ref())
            .map_err(|msg| Diagnostic::error(msg).at(source, path.span()));
    }
    let is_bundle = file_name(&doc.rel) == "index.md";
    let (dir, stem) = if is_bundle {
        let own = parent_dir(&doc.rel);
        (parent_dir(own), file_name(own))
    } else {
        (
            parent_dir(&doc.rel),
            file_name(&doc.rel).trim_end_matches(".md"),
        )
    };
    let last = match &doc.meta.slug {
        Some(slug) => {
            let s = slug.get_ref();
            if s.is_empty() || s.contains('/') || s == "." || s == ".." {
                return Err(Diagnostic::error(format!(
                    "slug `{s}` must be one non-empty path segment"
                ))
                .at(source, slug.span())
                .help("use `path` to move a page elsewhere"));
            }
            s.clone()
        }
        None => stem.to_owned(),
    };
    let joined = if dir.is_empty() {
        last
    } else {
        format!("{dir}/{last}")
    };
    url::normalize_path(&joined).map_err(|msg| Diagnostic::error(msg).in_file(source.path.clone()))
}

/// Two documents with one URL: the later one (by path) is reported at what gave it that URL
/// (its `slug` or `path`, else the file) and left out.
fn check_url_collisions(site: &mut Site, diagnostics: &mut Diagnostics) {
    let mut seen: BTreeMap<String, String> = site
        .sections
        .iter()
        .map(|s| (s.doc.url.clone(), s.doc.source.path.clone()))
        .collect();
    let pages = std::mem::take(&mut site.pages);
    for page in pages {
        let doc = &page.doc;
        if let Some(first) = seen.get(&doc.url) {
            let d = Diagnostic::error(format!(
                "`{first}` and `{}` both map to the URL `{}`",
                doc.source.path, doc.url
            ))
            .help("give one of them another `slug` or `path`");
            let cause = doc.meta.path.as_ref().or(doc.meta.slug.as_ref());
            diagnostics.push(match cause {
                Some(c) => d
                    .at(&doc.source, c.span())
                    .label("this gives it the same URL"),
                None => d.in_file(doc.source.path.clone()),
            });
        } else {
            seen.insert(doc.url.clone(), doc.source.path.clone());
            site.pages.push(page);
        }
    }
}

fn aliases(site: &Site, diagnostics: &mut Diagnostics) -> Vec<Alias> {
    let taken: BTreeMap<&str, &str> = site
        .documents()
        .map(|d| (d.url.as_str(), d.source.path.as_str()))
        .collect();
    let mut out: Vec<Alias> = vec![];
    // Where each alias already taken is in `out`: a site may have tens of thousands.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for doc in site.documents() {
        for alias in &doc.meta.aliases {
            let from = match url::normalize_alias(alias.get_ref(), parent_dir(&doc.rel)) {
                Ok(from) => from,
                Err(msg) => {
                    diagnostics.push(
                        Diagnostic::error(msg)
                            .at(&doc.source, alias.span())
                            .help("an alias starting with `/` is a path of the site; one without, a path from the page's folder"),
                    );
                    continue;
                }
            };
            if let Some(owner) = taken.get(from.as_str()) {
                diagnostics.push(
                    Diagnostic::error(format!("alias `{from}` is the URL of `{owner}`"))
                        .at(&doc.source, alias.span()),
                );
            } else if let Some(&other) = seen.get(&from) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "alias `{from}` already redirects to `{}`",
                        out[other].to
                    ))
                    .at(&doc.source, alias.span()),
                );
            } else {
                seen.insert(from.clone(), out.len());
                out.push(Alias {
                    from,
                    to: doc.url.clone(),
                    source: Arc::clone(&doc.source),
                    span: alias.span(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.from.cmp(&b.from));
    out
}

/// Sorts each section's pages by its `sort_by`, and subsections by weight.
fn order(site: &mut Site) {
    let pages = &site.pages;
    for section in &mut site.sections {
        let sort_by = section.sort_by();
        section.pages.sort_by(|&a, &b| {
            let (a, b) = (&pages[a].doc, &pages[b].doc);
            match sort_by {
                SortBy::Weight => (a.meta.weight.is_none(), a.meta.weight, &a.title, &a.rel)
                    .cmp(&(b.meta.weight.is_none(), b.meta.weight, &b.title, &b.rel)),
                SortBy::Date => {
                    let key = |d: &Document| {
                        std::cmp::Reverse(d.meta.date.as_ref().map(front_matter::Date::timestamp))
                    };
                    (key(a), &a.rel).cmp(&(key(b), &b.rel))
                }
                SortBy::Title => {
                    (a.title.to_lowercase(), &a.rel).cmp(&(b.title.to_lowercase(), &b.rel))
                }
            }
        });
    }
    let weights: Vec<(Option<i64>, String)> = site
        .sections
        .iter()
        .map(|s| (s.doc.meta.weight, s.doc.rel.clone()))
        .collect();
    for section in &mut site.sections {
        section.subsections.sort_by(|&a, &b| {
            (weights[a].0.is_none(), &weights[a]).cmp(&(weights[b].0.is_none(), &weights[b]))
        });
    }
}

/// Every non-markdown file the site publishes, by output path; `hidden(i)` says whether content
/// asset `i` belongs to a bundle left out of the build.
fn files(
    sources: &SourceSet,
    site: &Site,
    hidden: impl Fn(usize) -> bool,
) -> BTreeMap<String, Origin> {
    let mut out: BTreeMap<String, Origin> = sources
        .statics
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut placed: HashMap<&str, String> = HashMap::new();
    for page in &site.pages {
        let dir = parent_dir(&page.doc.rel);
        for asset in &page.assets {
            let inside = asset
                .strip_prefix(dir)
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(asset);
            placed.insert(
                asset.as_str(),
                format!("{}{inside}", url::in_output(&page.doc.url)),
            );
        }
    }
    for (i, asset) in sources.content_assets.iter().enumerate() {
        if hidden(i) {
            continue;
        }
        let out_path = placed
            .get(asset.rel.as_str())
            .cloned()
            .unwrap_or_else(|| asset.rel.clone());
        out.insert(out_path, asset.origin.clone());
    }
    out
}
