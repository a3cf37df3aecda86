//! Planning: every output of the site, its path and the job that makes it, with clashes between
//! outputs found at their cause; and the paths links may point at besides documents and files.

use std::collections::BTreeMap;

use super::feeds;
use super::search;
use super::templates::ThemeTemplates;
use crate::config::Config;
use crate::diagnostic::Diagnostics;
use crate::fingerprint::Assets;
pub(crate) use crate::kind::Made;
use crate::kind::{self, Claim, UrlPath};
use crate::load::Origin;
use crate::model::Site;
use crate::theme::{SYNTAX_CSS, Theme};
use crate::url::output_file;

/// Paths the build writes besides pages, sections, aliases and static files, for this theme;
/// links to them are valid.
pub fn link_targets(config: &Config, site: &Site, theme: &Theme) -> Vec<String> {
    let mut out = generated_paths(config);
    let templates = ThemeTemplates(theme, config);
    for kind in super::kinds(site, None) {
        out.extend(
            kind.link_targets(&templates)
                .into_iter()
                .map(UrlPath::into_string),
        );
    }
    out.extend(search_paths(theme));
    out
}

/// Paths the build writes whatever the theme.
fn generated_paths(config: &Config) -> Vec<String> {
    let mut out = vec![
        "/404.html".to_owned(),
        "/robots.txt".to_owned(),
        // The site's own, else the generated ones.
        format!("/{}", feeds::CFF),
        format!("/{}", feeds::BIBTEX),
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
    out
}

/// The search page, when the theme has its template; links to it are valid.
fn search_paths(theme: &Theme) -> Vec<String> {
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
pub(super) enum Job {
    NotFound,
    Sitemap,
    Feed,
    Robots,
    Redirects,
    /// The site's `CITATION.cff`, when it has none of its own.
    SiteCff,
    /// The site's `citation.bib`, when it has none of its own.
    SiteBibtex,
    /// A fingerprinted file, by its unhashed path.
    Asset(String),
    Static(Origin),
    /// An output of the content kind at this place in `kinds`.
    Kind(usize, kind::Job),
    /// A file of the search index, by its place in the layout's paths.
    SearchFile(usize),
    SearchPage,
}

/// Every output of the site and what makes it, with the problems found planning them (two
/// outputs at one path). A serve session keeps it while the site's structure stays the same.
pub(crate) struct Plan {
    pub(super) jobs: Vec<(String, Job)>,
    /// How many files the search index has.
    pub(super) search: search::Layout,
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
    let has = |name: &str| theme.has(name) || theme.is_broken(name);
    let search_page = if has(search::TEMPLATE) {
        SearchPage::Build
    } else {
        SearchPage::Skip
    };
    let search = search::Layout::of(site);
    let jobs = plan(
        site,
        (config, theme),
        assets,
        (search_page, search),
        &mut diagnostics,
    );
    Plan {
        jobs,
        search,
        diagnostics,
    }
}

pub(super) fn made(job: &Job) -> Made {
    match job {
        Job::Kind(_, job) => job.made,
        Job::NotFound
        | Job::Asset(_)
        | Job::Static(_)
        | Job::SearchPage
        // From the config or the aliases (which an incremental update keeps).
        | Job::Robots
        | Job::Redirects
        | Job::SiteCff
        | Job::SiteBibtex
        => Made::Fixed,
        Job::Feed | Job::SearchFile(_) => Made::Whole,
        Job::Sitemap => Made::Matter,
    }
}

/// Every output path and what makes it. Generated files are claimed first, so a page that
/// lands on one (or on one's folder) is the one reported.
fn plan(
    site: &Site,
    (config, theme): (&Config, &Theme),
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
    // The syntax stylesheet and the images' variants; a sanitised SVG is claimed below, as
    // the file it is made from.
    for generated in assets.generated() {
        if let Some(a) = assets
            .get(generated)
            .filter(|_| !site.files.contains_key(generated))
        {
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
    let templates = ThemeTemplates(theme, config);
    for (k, kind) in super::kinds(site, None).iter().enumerate() {
        for out in kind.outputs(&templates) {
            claims.push((out.url.output_file(), Job::Kind(k, out.job), out.claim));
        }
    }
    // A site's own citation (a static file) is the one it means; the generated one steps aside.
    for (file, job) in [(feeds::CFF, Job::SiteCff), (feeds::BIBTEX, Job::SiteBibtex)] {
        if !site.files.contains_key(file) {
            claims.push((file.to_owned(), job, Claim::generated(file)));
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
