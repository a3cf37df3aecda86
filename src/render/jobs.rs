//! The jobs: each planned output rendered from its template or generator.

use rayon::prelude::*;

use super::context::{self, SectionView, View};
use super::plan::{Job, Made, Plan, made};
use super::templates::{ThemeTemplates, base_context, require_template};
use super::views::Views;
use super::{feeds, search};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::fingerprint::Assets;
use crate::model::{Body, Site};
use crate::records::kinds;
use crate::theme::Theme;

/// One output as `some` made it: its body or the template's problem, and the templates and
/// documents (`get_page`, `get_section`) it used.
pub(crate) struct Output {
    pub(crate) path: String,
    pub(crate) made: Made,
    pub(crate) body: Result<Body, Option<Diagnostic>>,
    pub(crate) used: crate::theme::Used,
}

/// Renders the outputs of `plan` that `wanted` says to, in parallel, handing each to `sink`,
/// and returns the sink's results. The theme's lookups must hold `views.documents` (kept by
/// the caller, which may update them in place).
#[expect(
    clippy::too_many_arguments,
    reason = "the render stage's inputs, as the pipeline passes them"
)]
pub(crate) fn some<T: Send>(
    site: &Site,
    theme: &Theme,
    config: &Config,
    assets: &Assets,
    views: &Views,
    plan: &Plan,
    wanted: &(dyn Fn(&str, Made) -> bool + Sync),
    sink: &(dyn Fn(Output) -> T + Sync),
) -> Vec<T> {
    let page_values = &views.pages;
    let section_values = &views.sections;
    // Built by the first of its files rendered, for all of them.
    let search_index = std::sync::OnceLock::new();
    let kinds = kinds(&site.records);
    let templates = ThemeTemplates(theme, config);
    plan.jobs
        .par_iter()
        .filter_map(|(path, job)| {
            let made = made(job);
            if !wanted(path, made) {
                return None;
            }
            // The index makes only the files that changed; the others stay as they are.
            let search_file = match job {
                Job::SearchFile(i) => Some(
                    search_index
                        .get_or_init(|| search::index(site, views, plan.search))
                        .file(*i)?,
                ),
                _ => None,
            };
            let (body, used) = crate::theme::tracking(|| match job {
                Job::Page(i) => render_page(site, *i, page_values, theme),
                Job::Section {
                    index,
                    pager,
                    total,
                } => render_section(site, *index, *pager, *total, section_values, theme),
                Job::NotFound => render_404(theme),
                Job::Alias(i) => Ok(Body::Html(feeds::alias_page(&site.aliases[*i].to, config))),
                Job::Sitemap => Ok(Body::Bytes(feeds::sitemap(site, config).into_bytes())),
                Job::Feed => Ok(Body::Bytes(feeds::atom(site, config).into_bytes())),
                Job::Robots => Ok(Body::Bytes(feeds::robots(config).into_bytes())),
                Job::Redirects => Ok(Body::Bytes(feeds::redirects(site).into_bytes())),
                Job::Asset(path) => Ok(Body::Bytes(
                    assets
                        .get(path)
                        .map(|a| a.bytes.clone())
                        .unwrap_or_default(),
                )),
                Job::Static(origin) => Ok(Body::Copy(origin.clone())),
                Job::Kind(k, job) => kinds[*k].render(job, &templates),
                Job::SearchFile(_) => Ok(Body::Bytes(search_file.clone().unwrap_or_default())),
                Job::SearchPage => render_search_page(theme),
            });
            Some(sink(Output {
                path: path.clone(),
                made,
                body,
                used,
            }))
        })
        .collect()
}

fn pick_template<'a>(
    theme: &Theme,
    doc: &'a crate::model::Document,
    fallback: Option<&'a toml::Spanned<String>>,
    default: &'a str,
) -> Result<&'a str, Option<Diagnostic>> {
    let chosen = doc.meta.template.as_ref().or(fallback);
    let name = chosen.map_or(default, |t| t.get_ref().as_str());
    if theme.is_broken(name) {
        return Err(None);
    }
    Err(Some(match chosen {
        Some(t) if theme.has(t.get_ref()) => return Ok(t.get_ref()),
        Some(t) => {
            let d = Diagnostic::error(format!("template `{}` not found", t.get_ref()))
                .label("no such file in `templates/` of the site or theme");
            // The span is in whichever file named the template.
            if doc.meta.template.is_some() {
                d.at(&doc.source, t.span())
            } else {
                d.in_file(doc.source.path.clone())
            }
        }
        None if theme.has(default) => return Ok(default),
        None => Diagnostic::error(format!(
            "template `{default}` not found in the site or theme"
        ))
        .in_file(doc.source.path.clone()),
    }))
}

fn render_page(
    site: &Site,
    i: usize,
    pages: &[View],
    theme: &Theme,
) -> Result<Body, Option<Diagnostic>> {
    let page = &site.pages[i];
    let section = &site.sections[page.section];
    let name = pick_template(
        theme,
        &page.doc,
        section.doc.meta.page_template.as_ref(),
        "page.html",
    )?;
    let mut ctx = base_context(&page.doc.url, theme);
    ctx.insert_value("page", pages[i].full());
    theme.render(name, &ctx).map(Body::Html).map_err(Some)
}

fn render_section(
    site: &Site,
    index: usize,
    pager: usize,
    total: usize,
    sections: &[SectionView],
    theme: &Theme,
) -> Result<Body, Option<Diagnostic>> {
    let section = &site.sections[index];
    let default = if index == 0 {
        "index.html"
    } else {
        "section.html"
    };
    let name = pick_template(theme, &section.doc, None, default)?;
    let url = if pager == 1 {
        section.doc.url.clone()
    } else {
        format!("{}page/{pager}/", section.doc.url)
    };
    let mut ctx = base_context(&url, theme);
    let view = &sections[index];
    if let Some(by) = section
        .doc
        .meta
        .paginate_by
        .as_ref()
        .map(|b| *b.get_ref())
        .filter(|b| *b > 0)
    {
        ctx.insert_value("section", view.listing());
        ctx.insert_value(
            "paginator",
            context::paginator(section, view, by, pager, total),
        );
    } else {
        ctx.insert_value("section", view.full());
    }
    theme.render(name, &ctx).map(Body::Html).map_err(Some)
}

fn render_search_page(theme: &Theme) -> Result<Body, Option<Diagnostic>> {
    require_template(theme, search::TEMPLATE)?;
    let mut ctx = base_context(search::PAGE_URL, theme);
    ctx.insert("search_index", &format!("/{}", search::META));
    theme
        .render(search::TEMPLATE, &ctx)
        .map(Body::Html)
        .map_err(Some)
}

fn render_404(theme: &Theme) -> Result<Body, Option<Diagnostic>> {
    if theme.has("404.html") {
        return theme
            .render("404.html", &base_context("/404.html", theme))
            .map(Body::Html)
            .map_err(Some);
    }
    Ok(Body::Html("<!doctype html><html><head><meta charset=\"utf-8\"><title>Not found</title></head><body><h1>Not found</h1><p><a href=\"/\">Home</a></p></body></html>\n".to_owned()))
}
