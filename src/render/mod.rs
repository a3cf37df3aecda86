//! The render stage: every output file of the site, from templates and generators, handed to a
//! sink one at a time (in parallel) so the whole site never has to sit in memory.

pub(crate) mod context;
pub(crate) mod feeds;
pub(crate) mod ledgers;
pub(crate) mod machine;
pub(crate) mod search;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use tera::{Context, Value};

use crate::artifact::Artifact;
use crate::config::Config;
use crate::ledger::Ledger;
use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::Result;
use crate::failure::FailureReport;
use crate::fingerprint::Assets;
use crate::load::Origin;
use crate::markdown::highlight;
use crate::model::{Body, Rendered, Site};
use crate::parse::url::output_file;
use crate::theme::{Lazy, Theme};
use context::{SectionView, View};

/// Paths the build writes besides pages, sections, aliases and static files; links to them are
/// valid.
pub fn generated_paths(config: &Config, artifacts: &[Artifact], ledgers: &[Ledger]) -> Vec<String> {
    let mut out = vec![
        "/404.html".to_owned(),
        "/robots.txt".to_owned(),
        format!("/{SYNTAX_CSS}"),
        "/_headers".to_owned(),
        format!("/{}", crate::manifest::FILE),
        format!("/{}", search::META),
    ];
    if config.build.sitemap {
        out.push("/sitemap.xml".to_owned());
    }
    if config.build.feed {
        out.push("/atom.xml".to_owned());
    }
    if !artifacts.is_empty() {
        out.push("/artifacts/index.json".to_owned());
        out.push("/artifacts/atom.xml".to_owned());
    }
    out.extend(
        context::artifact_filters(artifacts)
            .iter()
            .map(context::ArtifactFilter::url),
    );
    for a in artifacts {
        out.push(context::artifact_url(&a.id));
        out.push(format!("/artifacts/{}/artifact.json", a.id));
        out.push(format!("/artifacts/{}/{}.intoto.json", a.id, a.version));
        out.extend(
            a.files
                .iter()
                .filter_map(|f| context::artifact_file_url(a, f.get_ref())),
        );
    }
    out.extend(ledgers::generated_paths(ledgers));
    out
}

/// What `get_ledger` looks up.
pub(crate) fn ledger_views(ledgers: &Arc<[Ledger]>) -> crate::theme::LedgerLookup {
    ledgers::lookup(ledgers)
}

/// The failure pages this theme makes (the index and one page per report) and the reports'
/// evidence files; links to them are valid.
pub fn failure_paths(site: &Site, theme: &Theme) -> Vec<String> {
    let has = |name: &str| theme.has(name) || theme.is_broken(name);
    let mut out = vec![];
    if has("failure_list.html") && site.keeps_records() {
        out.push("/failures/".to_owned());
    }
    for r in &site.failures {
        if has("failure.html") {
            out.push(FailureReport::url(&r.id));
        }
        out.extend(r.evidence.iter().map(|e| r.evidence_url(e)));
    }
    out
}

/// The search page, when the theme has its template; links to it are valid.
pub fn search_paths(theme: &Theme) -> Vec<String> {
    if theme.has(search::TEMPLATE) || theme.is_broken(search::TEMPLATE) {
        vec![search::PAGE_URL.to_owned()]
    } else {
        vec![]
    }
}

/// Whether the theme's search page is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchPage {
    Build,
    Skip,
}

/// One output file to produce.
#[derive(Debug, Clone)]
enum Job {
    Page(usize),
    Section {
        index: usize,
        pager: usize,
        total: usize,
    },
    NotFound,
    Alias(usize),
    Sitemap,
    Feed,
    Robots,
    Redirects,
    /// A fingerprinted file, by its unhashed path.
    Asset(String),
    Static(Origin),
    Artifact(usize),
    ArtifactJson(usize),
    ArtifactIntoto(usize),
    ArtifactIndex,
    ArtifactList(usize),
    ArtifactFeed,
    LedgerPage {
        index: usize,
        pager: usize,
        total: usize,
        /// The ledger's view without entries, shared by its pages.
        summary: Arc<serde_json::Value>,
    },
    LedgerFile(Arc<Vec<u8>>),
    Failure(usize),
    FailureList,
    /// A file of the search index, by its place in the layout's paths.
    SearchFile(usize),
    SearchPage,
}

/// Renders the site into `sink`. Template problems come back as diagnostics; a sink failure
/// (the disk) stops the stage.
pub fn site(
    site: &Site,
    theme: &Theme,
    config: &Config,
    assets: &Assets,
    sink: &(dyn Fn(Rendered) -> Result<()> + Sync),
) -> Result<Diagnostics> {
    let views = views(site, config);
    let plan = outputs(site, theme, config, assets);
    theme.lookups.set_documents(Some(views.documents(site)));
    let results = some(
        site,
        theme,
        config,
        assets,
        &views,
        &plan,
        &|_, _| true,
        &|made| match made.body {
            Ok(body) => sink(Rendered {
                path: made.path,
                body,
            })
            .map(|()| None),
            Err(d) => Ok(d),
        },
    );
    let mut diagnostics = plan.diagnostics;
    for r in results {
        if let Some(d) = r? {
            diagnostics.push(d);
        }
    }
    Ok(diagnostics)
}

/// The template views of every page and section, and their search index entries.
pub(crate) fn views(site: &Site, config: &Config) -> Views {
    let (pages, page_entries): (Vec<View>, Vec<Arc<search::Entry>>) = site
        .pages
        .par_iter()
        .map(|p| page_view(site, p, config))
        .unzip();
    let mut views = Views {
        pages,
        sections: vec![],
        page_entries,
        section_entries: vec![],
        search: std::sync::Mutex::default(),
    };
    (views.sections, views.section_entries) = site
        .sections
        .iter()
        .map(|s| views.section_view(site, s, config))
        .unzip();
    views
}

fn page_view(site: &Site, p: &crate::model::Page, config: &Config) -> (View, Arc<search::Entry>) {
    (
        View::new(context::page(site, p, config), &p.doc.content),
        search::document_entry(&p.doc, search::Kind::Page),
    )
}

impl Views {
    fn section_view(
        &self,
        site: &Site,
        s: &crate::model::Section,
        config: &Config,
    ) -> (SectionView, Arc<search::Entry>) {
        let view = SectionView {
            own: View::new(context::section(site, s, config), &s.doc.content),
            pages: s.pages.iter().map(|&i| self.pages[i].clone()).collect(),
        };
        (view, search::document_entry(&s.doc, search::Kind::Section))
    }

    /// Makes again, in place, the views of the pages and sections marked dirty (a section is
    /// dirty when any of its pages is); the others are kept (see `pipeline::Session`).
    pub(crate) fn update(
        &mut self,
        site: &Site,
        config: &Config,
        dirty_page: &[bool],
        dirty_section: &[bool],
    ) {
        for (i, p) in site.pages.iter().enumerate() {
            if dirty_page[i] {
                (self.pages[i], self.page_entries[i]) = page_view(site, p, config);
            }
        }
        for (i, s) in site.sections.iter().enumerate() {
            if dirty_section[i] {
                (self.sections[i], self.section_entries[i]) = self.section_view(site, s, config);
            }
        }
    }

    /// What `get_page` and `get_section` find: each document's view by content path, made
    /// into a template value the first time a template asks for it.
    pub(crate) fn documents(&self, site: &Site) -> BTreeMap<String, Lazy> {
        let sections = site
            .sections
            .iter()
            .zip(&self.sections)
            .map(|(s, v)| (s.doc.rel.clone(), section_lookup(v)));
        let pages = site
            .pages
            .iter()
            .zip(&self.pages)
            .map(|(p, v)| (p.doc.rel.clone(), page_lookup(v)));
        sections.chain(pages).collect()
    }

    /// Replaces in `documents` the entries of the pages and sections marked dirty.
    pub(crate) fn update_documents(
        &self,
        site: &Site,
        documents: &mut BTreeMap<String, Lazy>,
        dirty_page: &[bool],
        dirty_section: &[bool],
    ) {
        for (i, s) in site.sections.iter().enumerate() {
            if dirty_section[i] {
                documents.insert(s.doc.rel.clone(), section_lookup(&self.sections[i]));
            }
        }
        for (i, p) in site.pages.iter().enumerate() {
            if dirty_page[i] {
                documents.insert(p.doc.rel.clone(), page_lookup(&self.pages[i]));
            }
        }
    }
}

fn section_lookup(view: &SectionView) -> Lazy {
    let v = Arc::new(view.clone());
    let selected = Arc::clone(&v);
    Lazy::section(
        move || v.full(),
        move |keep| {
            selected
                .pages
                .iter()
                .filter(|p| keep(&p.base))
                .map(View::full)
                .collect()
        },
    )
}

fn page_lookup(view: &View) -> Lazy {
    let v = view.clone();
    Lazy::new(move || v.full())
}

/// The views templates see, by page and section index, and the documents' search entries.
#[derive(Default)]
pub(crate) struct Views {
    pub(crate) pages: Vec<View>,
    pub(crate) sections: Vec<SectionView>,
    /// Each page's entry of the search index.
    page_entries: Vec<Arc<search::Entry>>,
    /// Each section's entry of the search index.
    section_entries: Vec<Arc<search::Entry>>,
    /// What the search index was last built from, so that it changes only where the entries
    /// did.
    search: std::sync::Mutex<search::Kept>,
}

/// What an output is made from, for incremental rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Made {
    /// The page of this index.
    Page(usize),
    /// A listing page of the section of this index.
    Section(usize),
    /// From the theme, config, static files, records and ledgers only (besides the documents
    /// its templates look up, which are tracked).
    Fixed,
    /// From the whole site (feeds, sitemap, indexes): made again whenever content changes.
    Whole,
    /// From every document's URL and front matter, not their bodies (the sitemap): made again
    /// when a front matter changes.
    Matter,
}

/// One output as `some` made it: its body or the template's problem, and the templates and
/// documents (`get_page`, `get_section`) it used.
pub(crate) struct Output {
    pub(crate) path: String,
    pub(crate) made: Made,
    pub(crate) body: Result<Body, Option<Diagnostic>>,
    pub(crate) used: crate::theme::Used,
}

/// Every output of the site and what makes it, with the problems found planning them (two
/// outputs at one path). A serve session keeps it while the site's structure stays the same.
pub(crate) struct Plan {
    jobs: Vec<(String, Job)>,
    filters: Vec<context::ArtifactFilter>,
    /// How many files the search index has.
    search: search::Layout,
    /// Clashes, reported at their cause.
    pub(crate) diagnostics: Diagnostics,
}

impl Plan {
    /// Whether the search index of `site` has the files this plan has: an edit can change
    /// the number of words enough to need another shard.
    pub(crate) fn fits_search(&self, site: &Site) -> bool {
        self.search == search::Layout::of(site)
    }

    /// Every planned output's path and what it is made from.
    pub(crate) fn planned(&self) -> impl Iterator<Item = (&str, Made)> {
        self.jobs
            .iter()
            .map(|(path, job)| (path.as_str(), made(job)))
    }
}

/// Plans every output; clashes are reported in the plan's diagnostics.
pub(crate) fn outputs(site: &Site, theme: &Theme, config: &Config, assets: &Assets) -> Plan {
    let mut diagnostics = Diagnostics::new();
    let filters = context::artifact_filters(&site.artifacts);
    // A theme without the artifact templates has no artifact pages; the JSON mirrors stay.
    let has = |name: &str| theme.has(name) || theme.is_broken(name);
    let search_page = if has(search::TEMPLATE) {
        SearchPage::Build
    } else {
        SearchPage::Skip
    };
    let search = search::Layout::of(site);
    let mut jobs = plan(
        site,
        config,
        &filters,
        assets,
        (search_page, search),
        &mut diagnostics,
    );
    let (pages, lists) = (has("artifact.html"), has("artifact_list.html"));
    let run_pages = has("ledger.html");
    // Likewise for failure reports; their evidence files are published either way.
    let (failure_pages, failure_list) = (has("failure.html"), has("failure_list.html"));
    jobs.retain(|(_, job)| match job {
        Job::Artifact(_) => pages,
        Job::LedgerPage { .. } => run_pages,
        Job::ArtifactList(_) => lists,
        Job::Failure(_) => failure_pages,
        Job::FailureList => failure_list,
        _ => true,
    });
    Plan {
        jobs,
        filters,
        search,
        diagnostics,
    }
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
    let filters = &plan.filters;
    // Built by the first of its files rendered, for all of them.
    let search_index = std::sync::OnceLock::new();
    let histories = std::sync::OnceLock::new();
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
                Job::Artifact(i) => render_artifact(
                    site,
                    *i,
                    theme,
                    histories.get_or_init(|| ledgers::status_histories(&site.ledgers)),
                ),
                Job::ArtifactJson(i) => Ok(Body::Bytes(machine::record(&site.artifacts[*i]))),
                Job::ArtifactIntoto(i) => Ok(Body::Bytes(machine::intoto(&site.artifacts[*i]))),
                Job::ArtifactIndex => Ok(Body::Bytes(machine::index(&site.artifacts))),
                Job::ArtifactFeed => Ok(Body::Bytes(
                    feeds::artifact_atom(&site.artifacts, config).into_bytes(),
                )),
                Job::ArtifactList(i) => render_artifact_list(site, &filters[*i], theme),
                Job::LedgerPage {
                    index,
                    pager,
                    total,
                    summary,
                } => render_ledger(&site.ledgers[*index], summary, (*pager, *total), theme),
                Job::LedgerFile(bytes) => Ok(Body::Bytes(bytes.to_vec())),
                Job::Failure(i) => render_failure(site, *i, theme),
                Job::FailureList => render_failure_list(site, theme),
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

fn made(job: &Job) -> Made {
    match job {
        Job::Page(i) => Made::Page(*i),
        Job::Section { index, .. } => Made::Section(*index),
        Job::NotFound
        | Job::Alias(_)
        | Job::Asset(_)
        | Job::Static(_)
        | Job::Artifact(_)
        | Job::ArtifactJson(_)
        | Job::ArtifactIntoto(_)
        | Job::ArtifactList(_)
        | Job::LedgerPage { .. }
        | Job::LedgerFile(_)
        | Job::Failure(_)
        | Job::FailureList
        | Job::SearchPage
        // From the config, the aliases (which an incremental update keeps) or the records.
        | Job::Robots
        | Job::Redirects
        | Job::ArtifactIndex
        | Job::ArtifactFeed => Made::Fixed,
        Job::Feed | Job::SearchFile(_) => Made::Whole,
        Job::Sitemap => Made::Matter,
    }
}

/// What claims an output path, for reporting a clash at its cause.
struct Claim {
    what: String,
    at: Option<(Arc<SourceText>, Range<usize>)>,
}

impl Claim {
    fn generated(what: &str) -> Self {
        Self {
            what: format!("the generated `{what}`"),
            at: None,
        }
    }

    fn file(path: &str) -> Self {
        Self {
            what: format!("`{path}`"),
            at: None,
        }
    }

    fn document(doc: &crate::model::Document) -> Self {
        let cause = doc
            .meta
            .path
            .as_ref()
            .or(doc.meta.slug.as_ref())
            .map_or(0..0, toml::Spanned::span);
        Self {
            what: format!("`{}`", doc.source.path),
            at: Some((Arc::clone(&doc.source), cause)),
        }
    }

    fn report(&self, message: String) -> Diagnostic {
        let d = Diagnostic::error(message).help("give it another `slug`, `path` or file name");
        match &self.at {
            Some((source, span)) if !span.is_empty() => d.at(source, span.clone()),
            Some((source, _)) => d.in_file(source.path.clone()),
            None => d,
        }
    }
}

/// Every output path and what makes it. Generated files are claimed first, so a page that
/// lands on one (or on one's folder) is the one reported.
fn plan(
    site: &Site,
    config: &Config,
    filters: &[context::ArtifactFilter],
    assets: &Assets,
    (search_page, search): (SearchPage, search::Layout),
    diagnostics: &mut Diagnostics,
) -> Vec<(String, Job)> {
    let mut claims: Vec<(String, Job, Claim)> = vec![
        (
            "404.html".into(),
            Job::NotFound,
            Claim::generated("404.html"),
        ),
        (
            "robots.txt".into(),
            Job::Robots,
            Claim::generated("robots.txt"),
        ),
    ];
    for (i, path) in search.paths().into_iter().enumerate() {
        claims.push((path, Job::SearchFile(i), Claim::generated(search::DIR)));
    }
    // Only a theme with a search page claims its URL; any other site may have its own there.
    if search_page == SearchPage::Build {
        claims.push((
            output_file(search::PAGE_URL),
            Job::SearchPage,
            Claim::generated(search::PAGE_URL),
        ));
    }
    for generated in [SYNTAX_CSS] {
        if let Some(a) = assets.get(generated) {
            claims.push((
                a.path.clone(),
                Job::Asset(generated.to_owned()),
                Claim::generated(generated),
            ));
        }
    }
    if config.build.sitemap {
        claims.push((
            "sitemap.xml".into(),
            Job::Sitemap,
            Claim::generated("sitemap.xml"),
        ));
    }
    if config.build.feed {
        claims.push(("atom.xml".into(), Job::Feed, Claim::generated("atom.xml")));
    }
    if !site.aliases.is_empty() {
        claims.push((
            "_redirects".into(),
            Job::Redirects,
            Claim::generated("_redirects"),
        ));
    }
    for (index, section) in site.sections.iter().enumerate() {
        let by = section
            .doc
            .meta
            .paginate_by
            .as_ref()
            .map_or(0, |b| *b.get_ref());
        let total = if by == 0 {
            1
        } else {
            section.pages.len().div_ceil(by).max(1)
        };
        for pager in 1..=total {
            let url = if pager == 1 {
                section.doc.url.clone()
            } else {
                format!("{}page/{pager}/", section.doc.url)
            };
            claims.push((
                output_file(&url),
                Job::Section {
                    index,
                    pager,
                    total,
                },
                Claim::document(&section.doc),
            ));
        }
    }
    for (i, page) in site.pages.iter().enumerate() {
        claims.push((
            output_file(&page.doc.url),
            Job::Page(i),
            Claim::document(&page.doc),
        ));
    }
    for (i, alias) in site.aliases.iter().enumerate() {
        let claim = Claim {
            what: format!("the alias `{}` in `{}`", alias.from, alias.source.path),
            at: Some((Arc::clone(&alias.source), alias.span.clone())),
        };
        claims.push((output_file(&alias.from), Job::Alias(i), claim));
    }
    if !site.artifacts.is_empty() {
        claims.push((
            "artifacts/index.json".into(),
            Job::ArtifactIndex,
            Claim::generated("artifacts/index.json"),
        ));
        claims.push((
            "artifacts/atom.xml".into(),
            Job::ArtifactFeed,
            Claim::generated("artifacts/atom.xml"),
        ));
    }
    for (i, f) in filters.iter().enumerate() {
        let url = f.url();
        claims.push((
            output_file(&url),
            Job::ArtifactList(i),
            Claim::generated(&url),
        ));
    }
    for (i, a) in site.artifacts.iter().enumerate() {
        let what = format!("artifact `{}`", a.id);
        let claim = || Claim {
            what: format!("the page of {what}"),
            at: Some((Arc::clone(&a.source), 0..0)),
        };
        claims.push((
            output_file(&context::artifact_url(&a.id)),
            Job::Artifact(i),
            claim(),
        ));
        claims.push((
            format!("artifacts/{}/artifact.json", a.id),
            Job::ArtifactJson(i),
            claim(),
        ));
        claims.push((
            format!("artifacts/{}/{}.intoto.json", a.id, a.version),
            Job::ArtifactIntoto(i),
            claim(),
        ));
        // Only files found inside the record's folder: a missing or escaping one is a
        // problem of the record, never a failure to copy.
        for (f, real) in a.files.iter().zip(&a.file_paths) {
            if let (Some(url), Some(real)) = (context::artifact_file_url(a, f.get_ref()), real) {
                claims.push((
                    url.trim_start_matches('/').to_owned(),
                    Job::Static(Origin::Disk(real.clone())),
                    claim(),
                ));
            }
        }
    }
    for (index, l) in site.ledgers.iter().enumerate() {
        let claim = || Claim::generated(&format!("ledgers/{}/", l.name));
        let total = ledgers::pages(l);
        let summary = Arc::new(ledgers::summary_view(l));
        for pager in 1..=total {
            claims.push((
                output_file(&ledgers::page_url(&l.name, pager)),
                Job::LedgerPage {
                    index,
                    pager,
                    total,
                    summary: Arc::clone(&summary),
                },
                claim(),
            ));
        }
        for (path, bytes) in l.published() {
            claims.push((
                format!("ledgers/{}/{path}", l.name),
                Job::LedgerFile(Arc::new(bytes)),
                claim(),
            ));
        }
    }
    if site.keeps_records() {
        claims.push((
            "failures/index.html".into(),
            Job::FailureList,
            Claim::generated("failures/index.html"),
        ));
    }
    for (i, r) in site.failures.iter().enumerate() {
        let claim = || Claim {
            what: format!("the page of failure report `{}`", r.id),
            at: Some((Arc::clone(&r.doc.source), 0..0)),
        };
        claims.push((
            output_file(&FailureReport::url(&r.id)),
            Job::Failure(i),
            claim(),
        ));
        for e in &r.evidence {
            if let Some(file) = &e.file {
                claims.push((
                    r.evidence_url(e).trim_start_matches('/').to_owned(),
                    Job::Static(Origin::Disk(file.clone())),
                    claim(),
                ));
            }
        }
    }
    for (path, origin) in &site.files {
        let shown = match origin {
            Origin::Disk(p) => crate::fs::rel_path(&config.root, p),
            Origin::Builtin(_) => format!("<builtin theme>/static/{path}"),
        };
        let (out, job) = match assets.get(path) {
            Some(a) => (a.path.clone(), Job::Asset(path.clone())),
            None => (path.clone(), Job::Static(origin.clone())),
        };
        claims.push((out, job, Claim::file(&shown)));
    }

    let mut jobs: BTreeMap<String, (Job, Claim)> = BTreeMap::new();
    for (path, job, claim) in claims {
        let clash = jobs
            .get(&path)
            .map(|(_, first)| {
                format!(
                    "{} would be written over {}, at `{path}`",
                    claim.what, first.what
                )
            })
            .or_else(|| {
                // A file where another output needs a folder, or a folder where one needs a file.
                ancestors(&path).find_map(|dir| {
                    jobs.get(dir).map(|(_, first)| {
                        format!(
                            "{} needs the folder `{dir}/`, where {} is written",
                            claim.what, first.what
                        )
                    })
                })
            })
            .or_else(|| {
                let prefix = format!("{path}/");
                jobs.range(prefix.clone()..)
                    .next()
                    .filter(|(p, _)| p.starts_with(&prefix))
                    .map(|(p, (_, first))| {
                        format!(
                            "{} would be written at `{path}`, the folder of {} (`{p}`)",
                            claim.what, first.what
                        )
                    })
            });
        match clash {
            Some(message) => diagnostics.push(claim.report(message)),
            None => {
                jobs.insert(path, (job, claim));
            }
        }
    }
    jobs.into_iter()
        .map(|(path, (job, _))| (path, job))
        .collect()
}

/// `a/b/c.html` -> `a`, `a/b`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// `theme.toml`: what a theme says about itself and the syntax themes it was designed with.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeToml {
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "read for validation; shown by tools, not by the build"
    )]
    name: Option<String>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "read for validation; shown by tools, not by the build"
    )]
    description: Option<String>,
    #[serde(default)]
    highlight: ThemeHighlight,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeHighlight {
    dark: Option<toml::Spanned<String>>,
    light: Option<toml::Spanned<String>>,
}

/// The generated stylesheet of highlighted code, fingerprinted like the static ones.
pub(crate) const SYNTAX_CSS: &str = "css/syntax.css";

/// `css/syntax.css`: the syntect theme site.toml names, else the one the theme names, and a
/// light one under `prefers-color-scheme: light` when either names one.
pub(crate) fn syntax_css(
    config: &Config,
    theme_config: Option<&Arc<SourceText>>,
    diagnostics: &mut Diagnostics,
) -> String {
    let md = &config.markdown;
    let theme_toml: ThemeToml = match theme_config {
        Some(src) => toml::from_str(&src.text).unwrap_or_else(|e: toml::de::Error| {
            let d = Diagnostic::error(crate::config::toml_message(&e));
            diagnostics.push(match crate::config::toml_error_span(&e, &src.text) {
                Some(span) => d.at(src, span),
                None => d.in_file(src.path.clone()),
            });
            ThemeToml::default()
        }),
        None => ThemeToml::default(),
    };
    let site_set = !md.highlight_theme.span().is_empty();
    let (dark, dark_src) = match (&theme_toml.highlight.dark, theme_config) {
        (Some(t), Some(src)) if !site_set => (t, src),
        _ => (&md.highlight_theme, &config.source),
    };
    let light = match (
        &md.highlight_theme_light,
        &theme_toml.highlight.light,
        theme_config,
    ) {
        (Some(t), _, _) => Some((t, &config.source)),
        (None, Some(t), Some(src)) => Some((t, src)),
        _ => None,
    };
    let mut one = |name: &toml::Spanned<String>, source: &Arc<SourceText>| {
        highlight::css(name.get_ref()).unwrap_or_else(|| {
            let names = highlight::theme_names();
            let list: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut d = Diagnostic::error(format!("unknown highlight theme `{}`", name.get_ref()))
                .at(source, name.span())
                .label(format!("expected one of {}", list.join(", ")));
            if let Some(best) = crate::text::did_you_mean(name.get_ref(), &list) {
                d = d.help(format!("did you mean `{best}`?"));
            }
            if name.span().is_empty() {
                d.location = None;
                d = d.in_file(source.path.clone());
            }
            diagnostics.push(d);
            String::new()
        })
    };
    let mut css = one(dark, dark_src);
    if let Some((light, src)) = light {
        let light_css = one(light, src);
        css = format!("{css}\n@media (prefers-color-scheme: light) {{\n{light_css}}}\n");
    }
    css
}

fn base_context(url: &str, theme: &Theme) -> Context {
    let mut ctx = Context::new();
    ctx.insert("current_path", url);
    let base = theme.base_url();
    ctx.insert("current_url", &format!("{base}{url}"));
    ctx
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

fn render_artifact(
    site: &Site,
    i: usize,
    theme: &Theme,
    histories: &HashMap<&str, Vec<serde_json::Value>>,
) -> Result<Body, Option<Diagnostic>> {
    let a = &site.artifacts[i];
    require_template(theme, "artifact.html")
        .map_err(|d| d.map(|d| d.in_file(a.source.path.clone())))?;
    let mut ctx = base_context(&context::artifact_url(&a.id), theme);
    ctx.insert_value("artifact", artifact_view(theme, &a.id)?);
    ctx.insert_value(
        "status_history",
        Value::from_serializable(histories.get(a.id.as_str()).map_or(&[][..], Vec::as_slice)),
    );
    theme
        .render("artifact.html", &ctx)
        .map(Body::Html)
        .map_err(Some)
}

fn render_ledger(
    l: &Ledger,
    summary: &serde_json::Value,
    (pager, total): (usize, usize),
    theme: &Theme,
) -> Result<Body, Option<Diagnostic>> {
    require_template(theme, "ledger.html")?;
    let start = ((pager - 1) * ledgers::PER_PAGE).min(l.entries.len());
    let end = (start + ledgers::PER_PAGE).min(l.entries.len());
    let view = ledgers::with_entries(summary, l, &l.entries[start..end]);
    let mut ctx = base_context(&ledgers::page_url(&l.name, pager), theme);
    ctx.insert_value("ledger", Value::from_serializable(&view));
    ctx.insert_value(
        "pager",
        Value::from_serializable(&serde_json::json!({
            "current": pager,
            "total": total,
            "previous": (pager > 1).then(|| ledgers::page_url(&l.name, pager - 1)),
            "next": (pager < total).then(|| ledgers::page_url(&l.name, pager + 1)),
        })),
    );
    theme
        .render("ledger.html", &ctx)
        .map(Body::Html)
        .map_err(Some)
}

/// An artifact's template value, as `get_artifact` finds it (made once per build).
fn artifact_view(theme: &Theme, id: &str) -> Result<Value, Option<Diagnostic>> {
    theme
        .lookups
        .artifacts
        .get()
        .and_then(|views| views.get(id))
        .cloned()
        .ok_or_else(|| {
            Some(Diagnostic::error(format!(
                "artifact `{id}` is not known yet"
            )))
        })
}

fn require_template(theme: &Theme, name: &str) -> Result<(), Option<Diagnostic>> {
    if theme.is_broken(name) {
        return Err(None);
    }
    if theme.has(name) {
        Ok(())
    } else {
        Err(Some(Diagnostic::error(format!(
            "template `{name}` not found in the site or theme"
        ))))
    }
}

fn render_artifact_list(
    site: &Site,
    filter: &context::ArtifactFilter,
    theme: &Theme,
) -> Result<Body, Option<Diagnostic>> {
    require_template(theme, "artifact_list.html")?;
    let mut ctx = base_context(&filter.url(), theme);
    ctx.insert_value("filter", filter.value());
    let listed = filter
        .members
        .iter()
        .map(|&i| artifact_view(theme, &site.artifacts[i].id))
        .collect::<Result<Vec<Value>, _>>()?;
    ctx.insert_value("listed", Value::from(listed));
    theme
        .render("artifact_list.html", &ctx)
        .map(Body::Html)
        .map_err(Some)
}

fn render_failure(site: &Site, i: usize, theme: &Theme) -> Result<Body, Option<Diagnostic>> {
    let r = &site.failures[i];
    require_template(theme, "failure.html")
        .map_err(|d| d.map(|d| d.in_file(r.doc.source.path.clone())))?;
    let mut ctx = base_context(&FailureReport::url(&r.id), theme);
    ctx.insert_value("report", context::failure(r));
    theme
        .render("failure.html", &ctx)
        .map(Body::Html)
        .map_err(Some)
}

fn render_failure_list(site: &Site, theme: &Theme) -> Result<Body, Option<Diagnostic>> {
    require_template(theme, "failure_list.html")?;
    let mut ctx = base_context("/failures/", theme);
    let reports: Vec<Value> = site.failures.iter().map(context::failure).collect();
    ctx.insert_value("reports", Value::from(reports));
    ctx.insert_value("totals", context::failure_totals(&site.failures));
    theme
        .render("failure_list.html", &ctx)
        .map(Body::Html)
        .map_err(Some)
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
