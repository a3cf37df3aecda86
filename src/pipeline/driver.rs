//! The driver: the one function that runs the stages in their order. `build`, `check` and
//! `serve` all go through `drive`; what differs is what they may reuse of the last run
//! (`Reuse`, nothing for a build or a check) and where the outputs go (`Target`).
//!
//! The stages, in order: configuration, load, parse, assemble (the site's structure),
//! records, artifact references, the frozen-record check (build and check only), static
//! files, theme, bodies (markdown), views, plan, render. Each stage looks at the `Reuse` it is
//! given and either runs from the sources, runs on what changed, or keeps what the last run
//! made; a stage that finds the reuse asked for impossible (the site's structure changed under
//! an edit of bodies, a template added under an edit of templates) gives up, and the driver
//! runs every stage again with the fallback. A new stage is wired in here, once.
//!
//! The state the stages make is borrowed (`&mut State`): kept by `serve` between runs, made
//! and dropped by a build.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::config::{self, Config, Overrides};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::Result;
use crate::fingerprint::Assets;
use crate::load::{self, SourceSet};
use crate::model::{Content, Document, Site};
use crate::output;
use crate::render::{self, Made, Plan, Views};
use crate::theme::{self, Theme, Used};
use crate::{parse, provenance, records};

/// What a run may reuse of the last one: the decision each of serve's strategies comes to.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reuse<'a> {
    /// Every stage from the sources (`Fresh`).
    Fresh(Fresh),
    /// Everything but the markdown files at these indexes of `sources.content` (edited, none
    /// added or removed): they are read and parsed again; their bodies alone are rendered
    /// again when their front matter and title are as they were, else the site is assembled
    /// again (and must keep its structure).
    Documents(&'a [usize]),
    /// Everything but the templates (edited, none added or removed), and the bodies calling an
    /// edited shortcode.
    Templates,
    /// Everything but the records (files in `artifacts/`), the theme made with them, and the
    /// bodies that show records.
    Records,
}

/// What a run from the sources may keep of the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fresh {
    /// Nothing: a build or a check, serve's first build, or a change to `site.toml`, a static
    /// file, the templates or anything else besides markdown files (records too, when they
    /// could not be rebuilt in place).
    Nothing,
    /// The rendered bodies whose text and URL are the same: only markdown files in `content/`
    /// changed (added, deleted or renamed).
    Bodies,
}

/// How the render stage renders: which outputs it keeps, and what the update says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum How {
    /// The site's structure as it was: every output stays, those not wanted as they are.
    InPlace,
    /// The plan made again (records added or removed): the outputs not wanted stay as they are,
    /// those no longer planned go.
    Replanned,
    /// Every output made again.
    Full,
}

/// What the markdown stage can reuse bodies from.
pub(super) enum Previous<'a> {
    /// Nothing: every body is rendered.
    Nothing,
    /// The renderings of the last build's site (see `take_contents`), moved over where the
    /// text and URL are the same.
    Site(HashMap<String, Content>),
    /// The site itself, changed in place: only the documents at these content paths are
    /// rendered again.
    InPlace(&'a BTreeSet<String>),
}

/// Where a run's bodies and outputs go: a build's staging folder (or nowhere, for a check), or
/// a serve session's kept outputs.
pub(super) trait Target {
    /// What the render stage gives back.
    type Done;
    /// Whether the state is kept for a next run (serve): then every stage's result is held
    /// (each file's parse, its artifact references), else what is rendered is let go.
    const KEEPS: bool;
    /// Told the configuration, before anything is loaded (a bad signing key fails first).
    fn configured(&mut self, config: &Config) -> Result<()>;
    /// Forgets every rendered body it knows (`None`), or the one at this source path.
    fn forget_bodies(&mut self, path: Option<&str>);
    /// The markdown stage: renders the bodies `previous` does not give.
    fn bodies(
        &mut self,
        previous: Previous<'_>,
        site: &mut Site,
        config: &Config,
        theme: &Theme,
        assets: &Assets,
        generated: &[String],
    ) -> Diagnostics;
    /// The outputs whose last rendering used what `pred` accepts.
    fn using(&self, pred: &dyn Fn(&Used) -> bool) -> HashSet<String>;
    /// Whether an output at `path` was made by an earlier run.
    fn has_output(&self, path: &str) -> bool;
    /// The file digests the records stage may take instead of hashing (`cache::Digests`).
    fn digests(&self) -> crate::cache::Digests<'_> {
        crate::cache::Digests::none()
    }
    /// Told the digests the records stage made, to keep.
    fn digested(&mut self, _: crate::cache::digests::Made) {}
    /// The search entries of documents the markdown stage took back with their bodies (the
    /// build cache keeps them together), by source path, for the views to take.
    fn search_entries(&mut self) -> HashMap<String, Arc<render::search::Entry>> {
        HashMap::new()
    }
    /// A listing of the content folder made already (`fs::list_tree`, links not followed),
    /// with the folder it is of, for the load stage to take instead of listing it again.
    fn content_listing(&mut self) -> Option<(std::path::PathBuf, Vec<crate::fs::Listed>)> {
        None
    }
    /// The render stage: renders the `wanted` outputs of the state's plan.
    fn render(&mut self, state: &State, rendering: Rendering<'_>) -> Result<Self::Done>;
}

/// What the render stage is told besides the state.
pub(super) struct Rendering<'a> {
    pub(super) how: How,
    pub(super) wanted: &'a (dyn Fn(&str, Made) -> bool + Sync),
    /// The problems of every stage before it.
    pub(super) diagnostics: Diagnostics,
    /// Fingerprinted files whose published name changed: (old URL, new URL, new integrity).
    pub(super) moved: Vec<(String, String, String)>,
}

/// What the stages made.
pub(super) struct State {
    pub(super) config: Config,
    pub(super) sources: SourceSet,
    /// The records' files.
    pub(super) record_files: records::Files,
    /// `parse::document` of each of `sources.content` (kept by serve only).
    pub(super) parsed: Vec<std::result::Result<Document, Diagnostic>>,
    pub(super) site: Site,
    pub(super) assets: Assets,
    pub(super) views: Views,
    /// The templates and what their functions look up: the same while only markdown changes.
    pub(super) theme: Theme,
    /// The paths generated besides documents and files (valid link targets).
    pub(super) generated: Vec<String>,
    /// The theme's problems.
    pub(super) themed: Diagnostics,
    /// Every output: the same while the site's structure is.
    pub(super) plan: Plan,
    /// What outputs are packed against (see `kept::File`); serve only.
    pub(super) dictionary: Arc<[u8]>,
    /// Problems of loading and of the static files.
    pub(super) settled: Diagnostics,
    /// Problems of the records (`records::check`), and of the frozen-record check.
    pub(super) recorded: Diagnostics,
    /// Problems of the site's structure (`parse::assemble`).
    pub(super) structural: Diagnostics,
    /// Artifact references checked, per content file (serve), or all under one empty key.
    pub(super) cited: HashMap<String, Diagnostics>,
}

impl State {
    /// The state of a site with nothing in it yet, the stages to fill it in.
    fn empty(config: Config) -> Self {
        let site = Site::default();
        let assets = Assets::default();
        let (theme, _) = theme::load(&SourceSet::default(), &config.base_url);
        let plan = render::outputs(&site, &theme, &config, &assets);
        Self {
            config,
            sources: SourceSet::default(),
            record_files: records::Files::default(),
            parsed: vec![],
            site,
            assets,
            views: Views::default(),
            theme,
            generated: vec![],
            themed: Diagnostics::new(),
            plan,
            dictionary: Arc::default(),
            settled: Diagnostics::new(),
            recorded: Diagnostics::new(),
            structural: Diagnostics::new(),
            cited: HashMap::new(),
        }
    }

    /// The problems of every stage before the markdown stage: loading, records and static
    /// files, the site's structure, front matter, artifact references and the theme.
    pub(super) fn kept_diagnostics(&self) -> Diagnostics {
        let mut diagnostics = self.settled.clone();
        diagnostics.extend(self.recorded.iter().cloned());
        diagnostics.extend(self.structural.iter().cloned());
        for p in &self.parsed {
            if let Err(d) = p {
                diagnostics.push(d.clone());
            }
        }
        for ds in self.cited.values() {
            diagnostics.extend(ds.iter().cloned());
        }
        diagnostics.extend(self.themed.iter().cloned());
        diagnostics
    }
}

/// Runs the stages, reusing what `reuse` says of the state in `kept`; when that reuse turns
/// out impossible, runs them again from the sources, keeping what `fallback` says. `kept` is
/// the last run's state (none for a build, a check or serve's first build) and holds this
/// one's after.
pub(super) fn drive<T: Target>(
    root: &Path,
    overrides: &Overrides,
    kept: &mut Option<State>,
    reuse: Reuse<'_>,
    fallback: Fresh,
    target: &mut T,
) -> Result<T::Done> {
    let mut reuse = reuse;
    loop {
        let done = match reuse {
            Reuse::Fresh(fresh) => {
                // What this run makes again from scratch goes first, so that the two are never
                // held at once; the last run's sources and parses are kept until they are
                // reused (the same text is shared, the same text's parse is moved over), its
                // rendered bodies until they are (unless nothing is kept), with its URLs to
                // compare; the rest of its site goes at once, and the rest of its state once the
                // markdown stage starts.
                let carried = Carried::out_of(kept.as_mut(), fresh);
                let mut config = config::load(root, overrides)?;
                config.provenance = provenance::of(root);
                target.configured(&config)?;
                let mut state = State::empty(config);
                let done = stages(root, overrides, &mut state, kept, reuse, carried, target)?;
                *kept = Some(state);
                done
            }
            _ => match kept.as_mut() {
                Some(state) => {
                    let carried = Carried::default();
                    stages(root, overrides, state, &mut None, reuse, carried, target)?
                }
                None => None,
            },
        };
        match done {
            Some(done) => return Ok(done),
            // A run from the sources never gives up.
            None => reuse = Reuse::Fresh(fallback),
        }
    }
}

/// What a run from the sources carries over from the last run's state.
#[derive(Default)]
struct Carried {
    /// The last run's content files, sorted by path.
    known: Vec<load::ContentFile>,
    /// Their parses, moved over where the text is the same.
    known_parsed: Vec<Option<std::result::Result<Document, Diagnostic>>>,
    /// The last run's rendered bodies by source path (when bodies are kept).
    contents: HashMap<String, Content>,
    /// The last run's URLs (when bodies are kept).
    old_urls: BTreeMap<String, String>,
}

impl Carried {
    fn out_of(old: Option<&mut State>, fresh: Fresh) -> Self {
        let Some(old) = old else {
            return Self::default();
        };
        old.views = Views::default();
        old.theme.lookups.set_documents(None);
        let mut site = std::mem::take(&mut old.site);
        let mut carried = Self::default();
        if fresh != Fresh::Nothing {
            carried.contents = take_contents(&mut site);
            carried.old_urls = std::mem::take(&mut site.urls);
        }
        drop(site);
        carried.known = std::mem::take(&mut old.sources.content);
        carried.known_parsed = std::mem::take(&mut old.parsed)
            .into_iter()
            .map(Some)
            .collect();
        carried
    }
}

/// Whether the output at a path, made as told, is rendered again.
type Wanted = dyn Fn(&str, Made) -> bool + Sync;

/// The stages in their order, on `state`. `old` is the last run's state when this run is from
/// the sources (`state` then starts empty). None when the reuse asked for is impossible.
#[expect(
    clippy::too_many_lines,
    reason = "the stage order, written once: each stage is a short match on the reuse"
)]
fn stages<T: Target>(
    root: &Path,
    overrides: &Overrides,
    state: &mut State,
    old: &mut Option<State>,
    reuse: Reuse<'_>,
    carried: Carried,
    target: &mut T,
) -> Result<Option<T::Done>> {
    let Carried {
        known,
        mut known_parsed,
        mut contents,
        old_urls,
    } = carried;

    // Load.
    // The markdown files whose text changed, by index and content path.
    let mut changed = vec![];
    let mut changed_rels = BTreeSet::new();
    // The templates as they were, and those edited.
    let mut before_templates = BTreeMap::new();
    let mut edited_templates = BTreeSet::new();
    match reuse {
        Reuse::Fresh(_) => {
            let listed = target.content_listing();
            let (sources, ds) = load::sources_reusing(&state.config, &known, listed)?;
            state.settled.extend(ds);
            state.sources = sources;
            let (files, ds) = records::load(&state.config)?;
            state.settled.extend(ds);
            state.record_files = files;
        }
        Reuse::Documents(edited) => {
            // Changed in place: when this gives up, the run from the sources that follows
            // replaces the state (or marks it stale).
            for &i in edited {
                let file = &state.sources.content[i];
                let path = crate::layout::content(root).join(&file.rel);
                // Unreadable, not UTF-8, too large, gone since or now a link (which only a
                // walk may follow): the run from the sources reports it.
                let is_link =
                    std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                let read = (!is_link).then(|| load::read_text(root, &path, crate::fs::TEXT_LIMIT));
                let Some(Ok(Ok(source))) = read else {
                    return Ok(None);
                };
                if source.text == file.source.text {
                    continue;
                }
                changed_rels.insert(file.rel.clone());
                changed.push(i);
                state.sources.content[i].source = source;
            }
        }
        Reuse::Templates => {
            let read = load::templates(&state.config)
                .ok()
                .filter(|(templates, problems)| {
                    problems.is_empty() && templates.keys().eq(state.sources.templates.keys())
                });
            let Some((templates, _)) = read else {
                return Ok(None);
            };
            edited_templates = templates
                .iter()
                .zip(state.sources.templates.values())
                .filter(|((_, new), old)| new.source.text != old.source.text)
                .map(|((name, _), _)| name.clone())
                .collect();
            before_templates = std::mem::replace(&mut state.sources.templates, templates);
        }
        Reuse::Records => {
            let Ok((fresh, loaded)) = records::load(&state.config) else {
                return Ok(None);
            };
            state.record_files = fresh;
            // The problems of reading records are those in `artifacts/`.
            let mut settled: Diagnostics = state
                .settled
                .iter()
                .filter(|d| !d.file().is_some_and(|f| f.starts_with("artifacts/")))
                .cloned()
                .collect();
            settled.extend(loaded);
            state.settled = settled;
        }
    }

    // Parse.
    // An edit of bodies only (the front matter and the title as they were) leaves the site's
    // structure as it is: the documents are changed in place, the site is not assembled again.
    let mut in_place = true;
    let mut parsed = vec![];
    match reuse {
        Reuse::Fresh(_) => {
            use rayon::prelude::*;
            // The parse of a file is made from its path and text alone.
            let mut reused: Vec<_> = state
                .sources
                .content
                .iter()
                .map(|file| {
                    let i = known.binary_search_by(|c| c.rel.cmp(&file.rel)).ok()?;
                    let same = Arc::ptr_eq(&known[i].source, &file.source);
                    same.then(|| known_parsed.get_mut(i).and_then(Option::take))?
                })
                .collect();
            drop(known);
            drop(known_parsed);
            parsed = state
                .sources
                .content
                .par_iter()
                .zip(reused.par_iter_mut())
                .map(|(file, reused)| reused.take().unwrap_or_else(|| parse::document(file)))
                .collect();
        }
        Reuse::Documents(_) => {
            for &i in &changed {
                let doc = parse::document(&state.sources.content[i]);
                in_place &= body_only(&state.parsed[i], &doc);
                state.parsed[i] = doc;
            }
        }
        Reuse::Templates | Reuse::Records => {}
    }

    // Assemble: the site's structure.
    // The site before this run's, when it was assembled again in place of it.
    let mut replaced = None;
    match reuse {
        Reuse::Fresh(_) => {
            // A build lets each parse go into the site; serve keeps them to reuse.
            let parsed = if T::KEEPS {
                state.parsed = parsed;
                state.parsed.clone()
            } else {
                parsed
            };
            (state.site, state.structural) = parse::assemble(parsed, &state.sources, &state.config);
        }
        Reuse::Documents(_) if in_place => {
            for doc in state.site.bodies_mut() {
                if !changed_rels.contains(&doc.rel) {
                    continue;
                }
                let parsed = state
                    .sources
                    .content_index(&doc.rel)
                    .map(|i| &state.parsed[i]);
                if let Some(Ok(new)) = parsed {
                    doc.source = Arc::clone(&new.source);
                    doc.body = new.body.clone();
                }
            }
        }
        Reuse::Documents(_) => {
            let (mut site, structural) =
                parse::assemble(state.parsed.clone(), &state.sources, &state.config);
            if !same_structure(&state.site, &site) {
                return Ok(None);
            }
            // The records are as they were.
            site.records = std::mem::take(&mut state.site.records);
            replaced = Some(std::mem::replace(&mut state.site, site));
            state.structural = structural;
        }
        Reuse::Templates | Reuse::Records => {}
    }

    // Records: the artifact registry, the run ledgers and the failure reports.
    match reuse {
        Reuse::Fresh(_) => {
            let digests = target.digests();
            state.site.records = records::check(
                &state.record_files,
                state.config.drafts,
                &digests,
                &mut state.recorded,
            );
            let made = digests.made();
            target.digested(made);
        }
        Reuse::Records => {
            let kept_records = state.site.records.any();
            let mut recorded = Diagnostics::new();
            state.site.records = records::check(
                &state.record_files,
                state.config.drafts,
                &crate::cache::Digests::none(),
                &mut recorded,
            );
            if state.site.records.any() != kept_records {
                // The first record came or the last went: every page's links to the failure
                // report index change (`has_records`), so every stage runs again.
                return Ok(None);
            }
            state.recorded = recorded;
        }
        Reuse::Documents(_) | Reuse::Templates => {}
    }

    // Artifact references in content files.
    match reuse {
        Reuse::Fresh(_) | Reuse::Records if T::KEEPS => {
            state.cited = cited_by_file(&state.sources, &state.record_files, &state.site);
        }
        Reuse::Fresh(_) | Reuse::Records => {
            let cited = state.sources.content.iter().map(|c| &c.source);
            let ds = records::cited(cited, &state.site.records, &state.record_files);
            state.cited = HashMap::from([(String::new(), ds)]);
        }
        Reuse::Documents(_) => {
            for &i in &changed {
                let file = &state.sources.content[i];
                let cited =
                    records::cited([&file.source], &state.site.records, &state.record_files);
                state.cited.insert(file.rel.clone(), cited);
            }
        }
        Reuse::Templates => {}
    }

    // Published records and ledgers, against a git revision (build and check).
    if !T::KEEPS {
        if let Some(rev) = super::frozen_against(overrides, &state.config) {
            let frozen = records::frozen_since(root, &rev, &state.record_files)?;
            state.recorded.extend(frozen);
        }
    }

    // Static files.
    if let Reuse::Fresh(_) = reuse {
        state.assets = super::static_files(
            &state.sources,
            &state.site,
            &state.config,
            &mut state.settled,
        )?;
    }

    // Theme.
    // The markdown stage runs before the render stage: shortcodes find no documents.
    let documents = match reuse {
        Reuse::Fresh(_) => None,
        _ => Some(state.theme.lookups.take_documents().unwrap_or_default()),
    };
    // The templates an edit of templates reaches; the templates reading records.
    let mut reached = BTreeSet::new();
    let mut readers = None;
    if !matches!(reuse, Reuse::Documents(_)) {
        let mut themed = Diagnostics::new();
        let (theme, generated) = super::theme_for(
            &state.sources,
            &state.config,
            &state.site,
            &state.assets,
            &mut themed,
        );
        match reuse {
            Reuse::Templates => {
                // The generated paths changed (a template of an optional page broken or fixed).
                if generated != state.generated {
                    return Ok(None);
                }
                // A template left out of the theme (or back in) because of another one's edit
                // (one it includes broken) renders differently too.
                edited_templates.extend(
                    theme
                        .broken()
                        .symmetric_difference(state.theme.broken())
                        .cloned(),
                );
                let now = texts(&state.sources.templates);
                reached = theme::dependents(&texts(&before_templates), &now, &edited_templates)
                    .unwrap_or_else(|| state.sources.templates.keys().cloned().collect());
            }
            Reuse::Records => {
                // Records added or removed change the paths `get_url` finds.
                let mut names = theme::record_names();
                if generated != state.generated {
                    names.push(theme::GET_URL);
                }
                readers = theme::reading(&texts(&state.sources.templates), &names);
            }
            Reuse::Fresh(_) | Reuse::Documents(_) => {}
        }
        state.theme = theme;
        state.themed = themed;
        state.generated = generated;
    }

    // Bodies: the markdown stage.
    // Fingerprinted files whose name changed.
    let mut moved = vec![];
    // The documents whose bodies are rendered again, in place.
    let redone: BTreeSet<String> = match reuse {
        Reuse::Fresh(_) => BTreeSet::new(),
        Reuse::Documents(_) => changed_rels,
        Reuse::Templates => {
            let shortcodes: BTreeSet<&str> = reached
                .iter()
                .filter_map(|n| n.strip_prefix("shortcodes/")?.strip_suffix(".html"))
                .collect();
            state
                .site
                .bodies()
                .filter(|d| {
                    d.content
                        .shortcodes
                        .iter()
                        .any(|s| shortcodes.contains(s.as_str()))
                })
                .map(|d| d.rel.clone())
                .collect()
        }
        // The failure reports are made anew, with no body yet.
        Reuse::Records => state
            .site
            .documents()
            .filter(|d| calls_any(&d.content, readers.as_ref()))
            .chain(state.site.records.bodies())
            .map(|d| d.rel.clone())
            .collect(),
    };
    if let Reuse::Fresh(fresh) = reuse {
        if let Some(old) = old.as_ref() {
            moved = moved_assets(&old.assets, &state.assets);
        }
        let urls_same = old.is_some() && old_urls == state.site.urls;
        let assets_same = old.as_ref().is_some_and(|old| {
            old.assets
                .iter()
                .map(|(k, a)| (k, &a.path))
                .eq(state.assets.iter().map(|(k, a)| (k, &a.path)))
        });
        if fresh == Fresh::Nothing || !assets_same {
            target.forget_bodies(None);
        } else if !urls_same {
            // Pages added, deleted or moved: the bodies whose links point to one of them, or to
            // no page (their help names the nearest), or that call a shortcode which can look
            // up URLs, are rendered again.
            let looking_up = theme::reading(&texts(&state.sources.templates), &[theme::GET_URL]);
            for (path, content) in &contents {
                let moved = content.targets.iter().any(|t| {
                    let now = state.site.urls.get(t);
                    now.is_none() || old_urls.get(t) != now
                });
                if moved || calls_any(content, looking_up.as_ref()) {
                    target.forget_bodies(Some(path));
                }
            }
        }
    }
    let mut diagnostics = state.kept_diagnostics();
    let previous = match reuse {
        // The last run's state goes here.
        Reuse::Fresh(_) => match old.take() {
            Some(_) => Previous::Site(std::mem::take(&mut contents)),
            None => Previous::Nothing,
        },
        Reuse::Documents(_) => match replaced.as_mut() {
            Some(replaced) => Previous::Site(take_contents(replaced)),
            None => Previous::InPlace(&redone),
        },
        Reuse::Templates | Reuse::Records => Previous::InPlace(&redone),
    };
    diagnostics.extend(target.bodies(
        previous,
        &mut state.site,
        &state.config,
        &state.theme,
        &state.assets,
        &state.generated,
    ));
    if !T::KEEPS {
        // Every body is rendered (and held packed): from here on only front matter is pointed
        // at, so the markdown text, most of a large site's memory, is let go.
        state.sources.content.clear();
        state.site.keep_front_matter_only();
    }

    // Views: what templates see of each page and section.
    let mut dirty = (vec![], vec![]);
    match (reuse, documents) {
        (Reuse::Fresh(_), _) | (_, None) => {
            let known = target.search_entries();
            state.views = render::views(&state.site, &state.config, &|doc| {
                known.get(&doc.source.path).cloned()
            });
        }
        (_, Some(documents)) => {
            let old_sections = match &replaced {
                Some(replaced) => &replaced.sections,
                None => &state.site.sections,
            };
            dirty = reshow(
                &mut state.views,
                &state.theme,
                &state.config,
                (&state.site, old_sections),
                &redone,
                documents,
            );
        }
    }

    // Plan: every output.
    let mut replanned = false;
    match reuse {
        Reuse::Fresh(_) | Reuse::Records => {
            state.plan = render::outputs(&state.site, &state.theme, &state.config, &state.assets);
        }
        // Bodies rendered again can change the number of the search index's files (the rest
        // of the plan is the same): plan again, and the outputs no longer planned go.
        Reuse::Documents(_) | Reuse::Templates if !state.plan.fits_search(&state.site) => {
            state.plan = render::outputs(&state.site, &state.theme, &state.config, &state.assets);
            replanned = true;
        }
        // A clash is reported in a document that may have moved: plan again to point at it.
        Reuse::Documents(_) if !state.plan.diagnostics.is_empty() => {
            state.plan = render::outputs(&state.site, &state.theme, &state.config, &state.assets);
        }
        Reuse::Documents(_) | Reuse::Templates => {}
    }
    if let Reuse::Fresh(_) = reuse {
        let documents = state.views.documents(&state.site);
        state.theme.lookups.set_documents(Some(documents));
    }
    // The theme's markup changed: pack against the new one.
    if T::KEEPS && (matches!(reuse, Reuse::Fresh(_)) || reached.contains("404.html")) {
        state.dictionary = dictionary(state);
    }

    // Render.
    let (dirty_page, dirty_section) = dirty;
    let wanted: Box<Wanted> = match reuse {
        Reuse::Fresh(_) => Box::new(|_: &str, _: Made| true),
        Reuse::Documents(_) => {
            // The outputs whose templates looked up an edited document.
            let looked_up = target.using(&|used| used.documents.iter().any(|r| redone.contains(r)));
            Box::new(move |path: &str, made: Made| match made {
                Made::Page(i) => dirty_page[i] || looked_up.contains(path),
                Made::Section(i) => dirty_section[i] || looked_up.contains(path),
                Made::Fixed => looked_up.contains(path),
                Made::Whole => true,
                Made::Matter => !in_place,
            })
        }
        Reuse::Templates => {
            let uses = target.using(&|used| used.templates.iter().any(|t| reached.contains(t)));
            let looked_up = target.using(&|used| used.documents.iter().any(|r| redone.contains(r)));
            let bodies_changed = !redone.is_empty();
            Box::new(move |path: &str, made: Made| {
                uses.contains(path)
                    || looked_up.contains(path)
                    || match made {
                        Made::Page(i) => dirty_page[i],
                        Made::Section(i) => dirty_section[i],
                        Made::Whole => bodies_changed,
                        Made::Fixed | Made::Matter => false,
                    }
            })
        }
        Reuse::Records => {
            // Those whose last rendering used a template that reads records (`readers`; none:
            // every template), those showing a document whose body was rendered again, those
            // made from the records or the whole site, and new ones.
            let reads = target.using(&|used| {
                readers
                    .as_ref()
                    .is_none_or(|r| used.templates.iter().any(|t| r.contains(t)))
            });
            let looked_up = target.using(&|used| used.documents.iter().any(|r| redone.contains(r)));
            let new: HashSet<String> = state
                .plan
                .planned()
                .filter(|(path, _)| !target.has_output(path))
                .map(|(path, _)| path.to_owned())
                .collect();
            Box::new(move |path: &str, made: Made| {
                reads.contains(path)
                    || looked_up.contains(path)
                    || new.contains(path)
                    || match made {
                        Made::Page(i) => dirty_page[i],
                        Made::Section(i) => dirty_section[i],
                        Made::Fixed | Made::Whole | Made::Matter => true,
                    }
            })
        }
    };
    let how = match reuse {
        Reuse::Fresh(_) => How::Full,
        Reuse::Records => How::Replanned,
        Reuse::Documents(_) | Reuse::Templates if replanned => How::Replanned,
        Reuse::Documents(_) | Reuse::Templates => How::InPlace,
    };
    let done = target.render(
        state,
        Rendering {
            how,
            wanted: &*wanted,
            diagnostics,
            moved,
        },
    )?;
    if !T::KEEPS {
        state.views = Views::default();
        state.theme.lookups.set_documents(None);
    }
    Ok(Some(done))
}

/// Makes again the views of the pages and sections that show a changed document (`dirty`, of
/// the site and its sections before the change), and their `get_page` values, and gives the
/// documents back to the theme. Returns which pages and sections that was.
fn reshow(
    views: &mut Views,
    theme: &Theme,
    config: &Config,
    (site, old_sections): (&Site, &[crate::model::Section]),
    changed: &BTreeSet<String>,
    mut documents: BTreeMap<String, theme::Lazy>,
) -> (Vec<bool>, Vec<bool>) {
    let (pages, sections) = dirty(site, old_sections, changed);
    views.update(site, config, &pages, &sections);
    views.update_documents(site, &mut documents, &pages, &sections);
    theme.lookups.set_documents(Some(documents));
    (pages, sections)
}

/// The artifact references of every content file, checked against the site's records.
fn cited_by_file(
    sources: &SourceSet,
    files: &records::Files,
    site: &Site,
) -> HashMap<String, Diagnostics> {
    sources
        .content
        .iter()
        .map(|c| {
            let ds = records::cited([&c.source], &site.records, files);
            (c.rel.clone(), ds)
        })
        .collect()
}

/// Whether a body calls a shortcode whose template is one of `templates` (none: any shortcode).
fn calls_any(content: &Content, templates: Option<&BTreeSet<String>>) -> bool {
    content
        .shortcodes
        .iter()
        .any(|name| templates.is_none_or(|t| t.contains(&crate::layout::shortcode_template(name))))
}

/// Each template's text by name.
fn texts(templates: &BTreeMap<String, load::TemplateFile>) -> BTreeMap<String, &str> {
    templates
        .iter()
        .map(|(name, file)| (name.clone(), &*file.source.text))
        .collect()
}

/// The pages and sections (by index) whose outputs show a document at `changed` (content
/// paths): the changed ones, the pages of a changed section, and the sections that list a
/// changed page or subsection or whose pages are not those of `old_sections`.
pub(super) fn dirty(
    site: &Site,
    old_sections: &[crate::model::Section],
    changed: &BTreeSet<String>,
) -> (Vec<bool>, Vec<bool>) {
    let pages: Vec<bool> = site
        .pages
        .iter()
        .map(|p| {
            changed.contains(&p.doc.rel) || changed.contains(&site.sections[p.section].doc.rel)
        })
        .collect();
    let sections = site
        .sections
        .iter()
        .zip(old_sections)
        .map(|(s, old)| {
            changed.contains(&s.doc.rel)
                || s.pages != old.pages
                || s.pages.iter().any(|&i| pages[i])
                || s.subsections
                    .iter()
                    .any(|&i| changed.contains(&site.sections[i].doc.rel))
        })
        .collect();
    (pages, sections)
}

/// Whether an edit changed only a document's body: both versions parse, with the same front
/// matter text and the same title. Then the site's structure cannot have changed.
pub(super) fn body_only(
    old: &std::result::Result<Document, Diagnostic>,
    new: &std::result::Result<Document, Diagnostic>,
) -> bool {
    match (old, new) {
        (Ok(old), Ok(new)) => {
            old.body.start == new.body.start
                && old.title == new.title
                && old.source.text[..old.body.start] == new.source.text[..new.body.start]
        }
        _ => false,
    }
}

/// The rendered bodies of `site`, taken out of it, by source path.
fn take_contents(site: &mut Site) -> HashMap<String, Content> {
    site.bodies_mut()
        .map(|doc| (doc.source.path.clone(), std::mem::take(&mut doc.content)))
        .collect()
}

/// Whether an edit left the site's structure as it was: the same pages and sections in the
/// same order, the same URLs, aliases and files. Then every output keeps its index and path.
fn same_structure(old: &Site, new: &Site) -> bool {
    old.pages.len() == new.pages.len()
        && old.sections.len() == new.sections.len()
        && old
            .documents()
            .zip(new.documents())
            .all(|(a, b)| a.rel == b.rel)
        && old.urls == new.urls
        && old.aliases.len() == new.aliases.len()
        && old
            .aliases
            .iter()
            .zip(&new.aliases)
            .all(|(a, b)| a.from == b.from && a.to == b.to)
        && old.files == new.files
        && old
            .pages
            .iter()
            .zip(&new.pages)
            .all(|(a, b)| a.section == b.section && a.assets == b.assets)
        // The number of listing pages.
        && old.sections.iter().zip(&new.sections).all(|(a, b)| {
            a.doc.meta.paginate_by.as_ref().map(toml::Spanned::get_ref)
                == b.doc.meta.paginate_by.as_ref().map(toml::Spanned::get_ref)
        })
}

/// The dictionary outputs are packed against: the 404 page, which has the theme's markup and
/// little else (empty when the theme has none).
fn dictionary(state: &State) -> Arc<[u8]> {
    let page = render::some(
        &state.site,
        &state.theme,
        &state.config,
        &state.assets,
        &state.views,
        &state.plan,
        &|path, _| path == "404.html",
        &|out| {
            let body = out.body.ok()?;
            output::contents(body, state.config.build.minify)
                .ok()
                .map(std::borrow::Cow::into_owned)
        },
    );
    page.into_iter().flatten().next().unwrap_or_default().into()
}

/// Fingerprinted files whose name changed between two builds.
fn moved_assets(old: &Assets, new: &Assets) -> Vec<(String, String, String)> {
    new.iter()
        .filter_map(|(k, a)| {
            let before = old.get(k)?;
            (before.path != a.path).then(|| (before.url(), a.url(), a.integrity.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> std::result::Result<Document, Diagnostic> {
        let file = load::ContentFile {
            rel: "a.md".into(),
            source: crate::diagnostic::SourceText::new("content/a.md", text),
        };
        parse::document(&file)
    }

    #[test]
    fn only_an_edit_after_an_unchanged_front_matter_and_title_is_a_body_edit() {
        let old = parsed("+++\ntitle = \"A\"\n+++\nOne.\n");
        assert!(body_only(
            &old,
            &parsed("+++\ntitle = \"A\"\n+++\nTwo.\n\nThree.\n")
        ));
        assert!(!body_only(&old, &parsed("+++\ntitle = \"B\"\n+++\nOne.\n")));
        assert!(!body_only(
            &old,
            &parsed("+++\ntitle = \"A\" \n+++\nOne.\n")
        ));
        assert!(!body_only(&old, &parsed("+++\ntitle = \n+++\nOne.\n")));
        // Without a title in the front matter the first heading is the title.
        let untitled = parsed("+++\n+++\n# Head\n\nOne.\n");
        assert!(body_only(&untitled, &parsed("+++\n+++\n# Head\n\nTwo.\n")));
        assert!(!body_only(
            &untitled,
            &parsed("+++\n+++\n# Other\n\nOne.\n")
        ));
    }
}
