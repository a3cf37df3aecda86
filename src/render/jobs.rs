//! The jobs: each planned output rendered from its template or generator.

use rayon::prelude::*;

use super::plan::{Job, Made, Plan, made};
use super::templates::{ThemeTemplates, base_context, require_template};
use super::views::Views;
use super::{feeds, search};
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::fingerprint::Assets;
use crate::model::{Body, Site};
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
    // Built by the first of its files rendered, for all of them.
    let search_index = std::sync::OnceLock::new();
    let kinds = super::kinds(site, Some(views));
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
                Job::NotFound => render_404(theme),
                Job::Sitemap => {
                    // The records' pages their kinds list, those that are built.
                    let planned: std::collections::HashSet<&str> =
                        plan.planned().map(|(path, _)| path).collect();
                    let records: Vec<String> = kinds[1..]
                        .iter()
                        .flat_map(|k| k.sitemap())
                        .filter(|u| planned.contains(u.output_file().as_str()))
                        .map(crate::url::UrlPath::into_string)
                        .collect();
                    Ok(Body::Bytes(
                        feeds::sitemap(site, config, &records).into_bytes(),
                    ))
                }
                Job::Feed => Ok(Body::Bytes(feeds::atom(site, config).into_bytes())),
                Job::Robots => Ok(Body::Bytes(feeds::robots(config).into_bytes())),
                Job::SiteCff => Ok(Body::Bytes(feeds::cff(config).into_bytes())),
                Job::SiteBibtex => Ok(Body::Bytes(feeds::bibtex(config).into_bytes())),
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
