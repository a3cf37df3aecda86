//! An incremental build kept in memory, for `serve`: the same stages as a build, in the same
//! order, but each rebuild re-does only what the changed files reach.
//!
//! What is kept: every content file's text and parsed front matter, every body's rendered
//! markdown, every template view, and every output's digest with the templates and documents it
//! used (`get_page`, `get_section`); the outputs' bytes are kept packed in a temporary file
//! (`kept`). When only markdown files were edited and the site's structure stayed the same (the
//! same pages and sections, URLs, aliases and files), only the edited files are re-read,
//! re-parsed and re-rendered, and only the outputs that show them are rendered again: their
//! pages, the listings of their sections, the outputs that looked them up, and the few
//! generated from the whole site (feeds, sitemap). When only templates were edited (none added
//! or removed), only the outputs that used an edited template, or one extending or including
//! it, are rendered again, and the bodies that call an edited shortcode. When only records
//! changed (files in `artifacts/`: artifact records and their files, run ledgers, failure
//! reports), the content and the templates are kept as they are: the records are read and
//! checked again and the theme made again with them, the bodies of the failure reports and
//! those calling a shortcode that reads records are rendered again, and only the outputs that
//! show records are rendered again: those whose templates read them (by `get_artifact`,
//! `get_ledger` or a global made from them, directly or through a template they extend or
//! include), those showing a body rendered again, and the outputs made from the records
//! themselves or from the whole site. Any other change runs every stage again. When only
//! markdown files were added, deleted or renamed, the rendered bodies whose text and URL are
//! the same are reused (unless they link to a page whose URL changed, or call a shortcode that
//! looks up URLs) and every output is rendered. Any other change (`site.toml`, a static file, a
//! template added or removed) starts again from nothing. Either way the outputs are the ones a
//! full build of the same sources writes (a test checks it).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{self, Config, Mode, Overrides, Signing};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::{Error, Result};
use crate::fingerprint::Assets;
use crate::load::{self, SourceSet};
use crate::model::{Content, Document, Rendered, Site};
use crate::output;
use crate::render::{self, Made, Plan, Views};
use crate::theme::{self, Theme, Used};
use crate::{markdown, parse, provenance};

pub use super::kept::File;
use super::kept::Spill;

/// Every output of the site by path.
pub type Files = BTreeMap<String, Arc<File>>;

/// How a rebuild was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuild {
    /// Only the edited documents and what shows them.
    Incremental,
    /// Every stage again.
    Full,
}

/// What a rebuild changed.
#[derive(Debug, Clone)]
pub struct Update {
    /// How it was done.
    pub rebuild: Rebuild,
    /// Outputs added or whose bytes changed.
    pub changed: Vec<String>,
    /// Outputs no longer in the site.
    pub removed: Vec<String>,
    /// Outputs rendered (changed or not).
    pub rendered: usize,
    /// Fingerprinted files whose published name changed: (old URL, new URL, new integrity).
    pub moved: Vec<(String, String, String)>,
}

/// What a rebuild that runs every stage may keep of the last build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Nothing: the first build, or a change to `site.toml`, a static file, the templates or
    /// anything else besides markdown files (records too, when they could not be rebuilt in
    /// place).
    Nothing,
    /// The rendered bodies whose text and URL are the same: only markdown files in `content/`
    /// changed (added, deleted or renamed).
    Bodies,
}

/// How `render` renders: which outputs it keeps, and what the update says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// The site's structure as it was: every output stays, those not wanted as they are.
    InPlace,
    /// The plan made again (records added or removed): the outputs not wanted stay as they are,
    /// those no longer planned go.
    Replanned,
    /// Every output made again, into a new spill file.
    Full,
}

/// What an output was made from and what it looked up.
#[derive(Debug, Clone)]
struct Entry {
    file: Option<Arc<File>>,
    made: Made,
    used: Used,
    problem: Option<Diagnostic>,
}

/// What a body was rendered from, and its problems (the rendering itself stays in the site).
#[derive(Clone)]
struct Body {
    text: Arc<SourceText>,
    url: String,
    diagnostics: Diagnostics,
}

impl Body {
    /// Whether this is the rendering of `doc`'s body: the same text at the same URL.
    fn renders(&self, doc: &Document) -> bool {
        self.url == doc.url
            && (Arc::ptr_eq(&self.text, &doc.source) || self.text.text == doc.source.text)
    }
}

/// The last build's state.
struct State {
    config: Config,
    sources: SourceSet,
    /// `parse::document` of each of `sources.content`.
    parsed: Vec<std::result::Result<Document, Diagnostic>>,
    site: Site,
    assets: Assets,
    views: Views,
    /// The templates and what their functions look up: the same while only markdown changes.
    theme: Theme,
    /// The paths generated besides documents and files (valid link targets).
    generated: Vec<String>,
    /// The theme's problems.
    themed: Diagnostics,
    /// Every output: the same while the site's structure is.
    plan: Plan,
    /// What outputs are packed against (see `File`): made by each full rebuild.
    dictionary: Arc<[u8]>,
    /// Problems of the stages not redone incrementally (loading, static files).
    settled: Diagnostics,
    /// Problems of the records (`pipeline::records`).
    recorded: Diagnostics,
    /// Problems of the site's structure (`parse::assemble`).
    structural: Diagnostics,
    /// Artifact references checked, per content file.
    cited: HashMap<String, Diagnostics>,
}

/// An incremental build of one site.
pub struct Session {
    root: PathBuf,
    overrides: Overrides,
    state: Option<State>,
    bodies: HashMap<String, Body>,
    outputs: BTreeMap<String, Entry>,
    /// The outputs that rendered, as served: changed in place by each rebuild (copied only
    /// when a request still holds the last one).
    files: Arc<Files>,
    /// Where outputs are kept (none if no temporary file could be made: then in memory). Each
    /// full rebuild starts a new one.
    spill: Option<Arc<Spill>>,
    diagnostics: Diagnostics,
    /// A full rebuild failed (site.toml invalid, a folder unreadable): the next one must run
    /// every stage.
    stale: bool,
}

impl Session {
    /// Builds the site under `root` in memory (never signed, never written to disk). Problems
    /// in the content are in `diagnostics`; an operational failure (site.toml unreadable or
    /// invalid, a folder unreadable) is the error.
    pub fn start(root: &Path, overrides: &Overrides) -> Result<(Self, Update)> {
        let mut session = Self {
            root: root.to_path_buf(),
            overrides: Overrides {
                mode: Mode::Serve,
                signing: Signing::Skip,
                ..overrides.clone()
            },
            state: None,
            bodies: HashMap::new(),
            outputs: BTreeMap::new(),
            files: Arc::new(Files::new()),
            spill: None,
            diagnostics: Diagnostics::new(),
            stale: false,
        };
        let update = session.full(Keep::Nothing)?;
        Ok((session, update))
    }

    /// The problems of the last rebuild, sorted.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// Every output rendered from the current sources (with errors, those that rendered).
    pub fn files(&self) -> Arc<Files> {
        Arc::clone(&self.files)
    }

    /// `_headers` and `site-manifest.json` for the current outputs, as a build writes them
    /// last; none while the site has errors.
    pub fn sealed(&self) -> Result<Vec<Rendered>> {
        let Some(state) = &self.state else {
            return Ok(vec![]);
        };
        if self.diagnostics.has_errors() {
            return Ok(vec![]);
        }
        let written = self
            .outputs
            .iter()
            .filter_map(|(p, e)| e.file.as_ref().map(|f| (p.clone(), f.written.clone())))
            .collect();
        let out = Mutex::new(vec![]);
        let mut ds = Diagnostics::new();
        super::seal(
            written,
            &|r| {
                out.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(r);
                Ok(())
            },
            &state.assets,
            &state.config,
            None,
            &mut ds,
        )?;
        Ok(out
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Rebuilds after the files at `changed` (absolute paths, or under the root) were written,
    /// created or removed.
    pub fn update(&mut self, changed: &[PathBuf]) -> Result<Update> {
        if !self.stale {
            if let Some(edited) = self.edited_documents(changed) {
                if let Some(update) = self.incremental(&edited) {
                    return Ok(update);
                }
            } else if self.only_templates(changed) {
                if let Some(update) = self.retheme() {
                    return Ok(update);
                }
            } else if changed
                .iter()
                .all(|p| p.starts_with(self.root.join("artifacts")))
            {
                if let Some(update) = self.records_in_place() {
                    return Ok(update);
                }
            }
        }
        let keep = if !self.stale
            && changed.iter().all(|p| {
                self.rel_in_content(p)
                    .is_some_and(|rel| rel.ends_with(".md"))
            }) {
            Keep::Bodies
        } else {
            Keep::Nothing
        };
        // Until a full rebuild succeeds, the kept state is older than the sources.
        self.stale = true;
        let update = self.full(keep)?;
        self.stale = false;
        Ok(update)
    }

    /// `content/`-relative path of `path`, if it is in the content folder.
    fn rel_in_content(&self, path: &Path) -> Option<String> {
        let content = self.root.join("content");
        let rel = path.strip_prefix(&content).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    /// The indexes in `sources.content` of the changed files, when every one of them is a
    /// markdown file the site already has and still has: the case an incremental rebuild
    /// handles.
    fn edited_documents(&self, changed: &[PathBuf]) -> Option<Vec<usize>> {
        let state = self.state.as_ref()?;
        let mut out = vec![];
        for path in changed {
            let rel = self.rel_in_content(path)?;
            if !rel.ends_with(".md") || !path.is_file() {
                return None;
            }
            out.push(state.sources.content_index(&rel)?);
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// Whether every changed path is in a folder of templates the site uses: its own
    /// `templates/` or its theme's.
    fn only_templates(&self, changed: &[PathBuf]) -> bool {
        let Some(state) = &self.state else {
            return false;
        };
        let mut folders = vec![self.root.join("templates")];
        if let Some(name) = &state.config.theme {
            folders.push(
                self.root
                    .join("themes")
                    .join(name.get_ref())
                    .join("templates"),
            );
        }
        !changed.is_empty()
            && changed
                .iter()
                .all(|p| folders.iter().any(|f| p.starts_with(f) && p != f))
    }

    /// Re-renders what an edit of templates reaches: the outputs that asked for an edited
    /// template or for one that extends or includes it, the bodies that call an edited
    /// shortcode, and what shows those bodies. None when the edit takes a full rebuild: a
    /// template added, removed or unreadable, or the generated paths changed (a template of
    /// an optional page broken or fixed).
    fn retheme(&mut self) -> Option<Update> {
        let mut state = self.state.take()?;
        let read = load::templates(&state.config)
            .ok()
            .filter(|(templates, problems)| {
                problems.is_empty() && templates.keys().eq(state.sources.templates.keys())
            });
        let Some((templates, _)) = read else {
            self.state = Some(state);
            return None;
        };
        let mut edited: BTreeSet<String> = templates
            .iter()
            .zip(state.sources.templates.values())
            .filter(|((_, new), old)| new.source.text != old.source.text)
            .map(|((name, _), _)| name.clone())
            .collect();
        let before = std::mem::replace(&mut state.sources.templates, templates);
        let mut themed = Diagnostics::new();
        let (theme, generated) = super::theme_for(
            &state.sources,
            &state.config,
            &state.site,
            &state.assets,
            &mut themed,
        );
        if generated != state.generated {
            state.sources.templates = before;
            self.state = Some(state);
            return None;
        }
        // A template left out of the theme (or back in) because of another one's edit (one it
        // includes broken) renders differently too.
        edited.extend(
            theme
                .broken()
                .symmetric_difference(state.theme.broken())
                .cloned(),
        );
        let reached = theme::dependents(&texts(&before), &texts(&state.sources.templates), &edited)
            .unwrap_or_else(|| state.sources.templates.keys().cloned().collect());
        // The markdown stage runs before the render stage: shortcodes find no documents.
        let documents = state.theme.lookups.take_documents().unwrap_or_default();
        state.theme = theme;
        state.themed = themed;
        let shortcodes: BTreeSet<&str> = reached
            .iter()
            .filter_map(|n| n.strip_prefix("shortcodes/")?.strip_suffix(".html"))
            .collect();
        let calling: BTreeSet<String> = state
            .site
            .bodies()
            .filter(|d| {
                d.content
                    .shortcodes
                    .iter()
                    .any(|s| shortcodes.contains(s.as_str()))
            })
            .map(|d| d.rel.clone())
            .collect();
        let mut diagnostics = state.kept_diagnostics();
        let mut site = std::mem::take(&mut state.site);
        diagnostics.extend(self.bodies(
            Previous::InPlace(&calling),
            &mut site,
            &state.config,
            &state.theme,
            &state.assets,
            &state.generated,
        ));
        let (dirty_page, dirty_section) = reshow(
            &mut state.views,
            &state.theme,
            &state.config,
            (&site, &site.sections),
            &calling,
            documents,
        );
        let how = state.replan(&site);
        state.site = site;
        // The theme's markup changed: pack against the new one.
        if reached.contains("404.html") {
            state.dictionary = dictionary(&state);
        }
        let uses = self.using(|used| used.templates.iter().any(|t| reached.contains(t)));
        let looked_up = self.using(|used| used.documents.iter().any(|r| calling.contains(r)));
        let bodies_changed = !calling.is_empty();
        let wanted = |path: &str, made: Made| {
            uses.contains(path)
                || looked_up.contains(path)
                || match made {
                    Made::Page(i) => dirty_page[i],
                    Made::Section(i) => dirty_section[i],
                    Made::Whole => bodies_changed,
                    Made::Fixed | Made::Matter => false,
                }
        };
        let update = self.render(&state.site, &state, how, &wanted, diagnostics);
        self.state = Some(state);
        Some(update)
    }

    /// The outputs whose last rendering used what `pred` accepts.
    fn using(&self, pred: impl Fn(&Used) -> bool) -> HashSet<String> {
        self.outputs
            .iter()
            .filter(|(_, e)| pred(&e.used))
            .map(|(path, _)| path.clone())
            .collect()
    }

    /// Re-renders what the edited documents reach; none when the edit changed the site's
    /// structure, which takes a full rebuild.
    fn incremental(&mut self, edited: &[usize]) -> Option<Update> {
        let mut state = self.state.take()?;
        let mut changed_rels = BTreeSet::new();
        // The indexes in `sources.content` of the files whose text changed.
        let mut changed = vec![];
        let mut in_place = true;
        // Changed in place: when this gives up, the full rebuild that follows replaces the
        // state (or marks it stale).
        for &i in edited {
            let file = &state.sources.content[i];
            let path = self.root.join("content").join(&file.rel);
            // Unreadable, not UTF-8, too large, gone since or now a link (which only a walk
            // may follow): the full rebuild reports it.
            let is_link =
                std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
            let read =
                (!is_link).then(|| load::read_text(&self.root, &path, crate::fs::TEXT_LIMIT));
            let Some(Ok(Ok(source))) = read else {
                self.state = Some(state);
                return None;
            };
            if source.text == file.source.text {
                continue;
            }
            changed_rels.insert(file.rel.clone());
            changed.push(i);
            state.sources.content[i].source = source;
            let parsed = parse::document(&state.sources.content[i]);
            in_place &= body_only(&state.parsed[i], &parsed);
            state.parsed[i] = parsed;
        }
        // An edit of bodies only (the front matter and the title as they were) leaves the
        // site's structure as it is: the documents are changed in place, the site is not
        // assembled again.
        let (mut site, structural) = if in_place {
            let mut site = std::mem::take(&mut state.site);
            for doc in documents_mut(&mut site) {
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
            (site, state.structural.clone())
        } else {
            let (mut site, structural) =
                parse::assemble(state.parsed.clone(), &state.sources, &state.config);
            if !same_structure(&state.site, &site) {
                self.state = Some(state);
                return None;
            }
            site.artifacts = std::mem::take(&mut state.site.artifacts);
            site.ledgers = std::mem::take(&mut state.site.ledgers);
            site.failures = std::mem::take(&mut state.site.failures);
            (site, structural)
        };
        for &i in &changed {
            let file = &state.sources.content[i];
            let cited = super::cited_records([&file.source], &site, &state.sources);
            state.cited.insert(file.rel.clone(), cited);
        }
        state.structural = structural;
        let mut diagnostics = state.kept_diagnostics();
        // The markdown stage runs before the render stage: shortcodes find no documents.
        let documents = state.theme.lookups.take_documents().unwrap_or_default();
        let previous = if in_place {
            Previous::InPlace(&changed_rels)
        } else {
            Previous::Site(take_contents(&mut state.site))
        };
        diagnostics.extend(self.bodies(
            previous,
            &mut site,
            &state.config,
            &state.theme,
            &state.assets,
            &state.generated,
        ));

        let old_sections = if in_place {
            &site.sections
        } else {
            &state.site.sections
        };
        let (dirty_page, dirty_section) = reshow(
            &mut state.views,
            &state.theme,
            &state.config,
            (&site, old_sections),
            &changed_rels,
            documents,
        );
        // A clash is reported in a document that may have moved: plan again to point at it.
        let how = state.replan(&site);
        if how == How::InPlace && !state.plan.diagnostics.is_empty() {
            state.plan = render::outputs(&site, &state.theme, &state.config, &state.assets);
        }
        // The outputs whose templates looked up an edited document.
        let looked_up = self.using(|used| used.documents.iter().any(|r| changed_rels.contains(r)));
        let wanted = |path: &str, made: Made| match made {
            Made::Page(i) => dirty_page[i] || looked_up.contains(path),
            Made::Section(i) => dirty_section[i] || looked_up.contains(path),
            Made::Fixed => looked_up.contains(path),
            Made::Whole => true,
            Made::Matter => !in_place,
        };
        let update = self.render(&site, &state, how, &wanted, diagnostics);
        state.site = site;
        self.state = Some(state);
        Some(update)
    }

    /// Runs every stage again, keeping what `keep` allows of the last build: a body is
    /// rendered again when the URLs or files it looked up changed.
    fn full(&mut self, keep: Keep) -> Result<Update> {
        // What this build makes again from scratch goes first, so that the two are never held
        // at once; the last build's sources and parsed front matter are kept until they are
        // reused (the same text is shared, the same text's parse is moved over), its rendered
        // bodies until they are (unless `keep` is nothing), with its URLs to compare; the rest
        // of its site goes at once. Until this build succeeds the state is stale (see `update`).
        let mut contents = HashMap::new();
        let mut old_urls = BTreeMap::new();
        let (known, mut known_parsed) = match self.state.as_mut() {
            Some(old) => {
                old.views = Views::default();
                old.theme.lookups.set_documents(None);
                let mut site = std::mem::take(&mut old.site);
                if keep != Keep::Nothing {
                    contents = take_contents(&mut site);
                    old_urls = std::mem::take(&mut site.urls);
                }
                drop(site);
                (
                    std::mem::take(&mut old.sources.content),
                    std::mem::take(&mut old.parsed)
                        .into_iter()
                        .map(Some)
                        .collect(),
                )
            }
            None => (vec![], vec![]),
        };
        let mut config = config::load(&self.root, &self.overrides)?;
        config.provenance = provenance::of(&self.root);
        let mut settled = Diagnostics::new();
        let (sources, ds) = load::sources_reusing(&config, &known)?;
        settled.extend(ds);
        let parsed: Vec<_> = {
            use rayon::prelude::*;
            // The parse of a file is made from its path and text alone.
            let mut reused: Vec<_> = sources
                .content
                .iter()
                .map(|file| {
                    let i = known.binary_search_by(|c| c.rel.cmp(&file.rel)).ok()?;
                    let same = Arc::ptr_eq(&known[i].source, &file.source);
                    same.then(|| known_parsed.get_mut(i).and_then(Option::take))?
                })
                .collect();
            drop(known);
            sources
                .content
                .par_iter()
                .zip(reused.par_iter_mut())
                .map(|(file, reused)| reused.take().unwrap_or_else(|| parse::document(file)))
                .collect()
        };
        let (mut site, structural) = parse::assemble(parsed.clone(), &sources, &config);
        let mut recorded = Diagnostics::new();
        super::records(&mut site, &sources, &config, &mut recorded);
        let assets = super::static_files(&sources, &config, &mut settled)?;
        let cited = cited_by_file(&sources, &site);
        let mut diagnostics = settled.clone();
        diagnostics.extend(recorded.iter().cloned());
        diagnostics.extend(structural.iter().cloned());
        for p in &parsed {
            if let Err(d) = p {
                diagnostics.push(d.clone());
            }
        }
        for ds in cited.values() {
            diagnostics.extend(ds.iter().cloned());
        }
        let mut themed = Diagnostics::new();
        let (theme, generated) = super::theme_for(&sources, &config, &site, &assets, &mut themed);
        diagnostics.extend(themed.iter().cloned());
        let moved = match &self.state {
            Some(old) => moved(&old.assets, &assets),
            None => vec![],
        };
        let urls_same = self.state.is_some() && old_urls == site.urls;
        let assets_same = self.state.as_ref().is_some_and(|old| {
            old.assets
                .iter()
                .map(|(k, a)| (k, &a.path))
                .eq(assets.iter().map(|(k, a)| (k, &a.path)))
        });
        if keep == Keep::Nothing || !assets_same {
            self.bodies.clear();
        } else if !urls_same {
            // Pages added, deleted or moved: the bodies whose links point to one of them, or to
            // no page (their help names the nearest), or that call a shortcode which can look
            // up URLs, are rendered again.
            let looking_up = theme::reading(&texts(&sources.templates), &[theme::GET_URL]);
            for (path, content) in &contents {
                let moved = content.targets.iter().any(|t| {
                    let now = site.urls.get(t);
                    now.is_none() || old_urls.get(t) != now
                });
                if moved || calls_any(content, looking_up.as_ref()) {
                    self.bodies.remove(path);
                }
            }
        }
        let previous = match self.state.take() {
            Some(_) => Previous::Site(contents),
            None => Previous::Nothing,
        };
        diagnostics.extend(self.bodies(previous, &mut site, &config, &theme, &assets, &generated));
        let views = render::views(&site, &config);
        let plan = render::outputs(&site, &theme, &config, &assets);
        theme.lookups.set_documents(Some(views.documents(&site)));
        let mut state = State {
            config,
            sources,
            parsed,
            site,
            assets,
            views,
            theme,
            generated,
            themed,
            plan,
            dictionary: Arc::default(),
            settled,
            recorded,
            structural,
            cited,
        };
        state.dictionary = dictionary(&state);
        let update = self.render(&state.site, &state, How::Full, &|_, _| true, diagnostics);
        self.state = Some(state);
        Ok(Update { moved, ..update })
    }

    /// Re-renders what a change of records (files in `artifacts/`) reaches, the content and the
    /// templates as they were: the records are read and checked again, and the theme made again
    /// with them; the bodies of the failure reports and those calling a shortcode that reads
    /// records are rendered again, and the outputs that show records (see `showing_records`).
    /// None when the records cannot be read (the full rebuild that follows reports it).
    fn records_in_place(&mut self) -> Option<Update> {
        let mut state = self.state.take()?;
        let kept_records = state.site.keeps_records();
        let Ok((fresh, loaded)) = load::records(&state.config) else {
            self.state = Some(state);
            return None;
        };
        state.sources.artifacts = fresh.artifacts;
        state.sources.ledgers = fresh.ledgers;
        state.sources.failures = fresh.failures;
        // The problems of reading records are those in `artifacts/`.
        let mut settled: Diagnostics = state
            .settled
            .iter()
            .filter(|d| !d.file().is_some_and(|f| f.starts_with("artifacts/")))
            .cloned()
            .collect();
        settled.extend(loaded);
        state.settled = settled;
        let mut site = std::mem::take(&mut state.site);
        let mut recorded = Diagnostics::new();
        super::records(&mut site, &state.sources, &state.config, &mut recorded);
        if site.keeps_records() != kept_records {
            // The first record came or the last went: every page's links to the failure
            // report index change (`has_records`), so every stage runs again.
            state.site = site;
            self.state = Some(state);
            return None;
        }
        state.recorded = recorded;
        state.cited = cited_by_file(&state.sources, &site);
        // The markdown stage runs before the render stage: shortcodes find no documents.
        let documents = state.theme.lookups.take_documents().unwrap_or_default();
        let mut themed = Diagnostics::new();
        let (theme, generated) = super::theme_for(
            &state.sources,
            &state.config,
            &site,
            &state.assets,
            &mut themed,
        );
        // Records added or removed change the paths `get_url` finds.
        let mut names = theme::record_names();
        if generated != state.generated {
            names.push(theme::GET_URL);
        }
        state.theme = theme;
        state.themed = themed;
        state.generated = generated;
        let readers = theme::reading(&texts(&state.sources.templates), &names);
        // The failure reports are made anew, with no body yet.
        let redone: BTreeSet<String> = site
            .documents()
            .filter(|d| calls_any(&d.content, readers.as_ref()))
            .chain(site.failures.iter().map(|f| &f.doc))
            .map(|d| d.rel.clone())
            .collect();
        let mut diagnostics = state.kept_diagnostics();
        diagnostics.extend(self.bodies(
            Previous::InPlace(&redone),
            &mut site,
            &state.config,
            &state.theme,
            &state.assets,
            &state.generated,
        ));
        let dirty = reshow(
            &mut state.views,
            &state.theme,
            &state.config,
            (&site, &site.sections),
            &redone,
            documents,
        );
        state.plan = render::outputs(&site, &state.theme, &state.config, &state.assets);
        state.site = site;
        let wanted = self.showing_records(&state, readers.as_ref(), &redone, dirty);
        let update = self.render(&state.site, &state, How::Replanned, &wanted, diagnostics);
        self.state = Some(state);
        Some(update)
    }

    /// After a change of records alone, which outputs of `state`'s plan to render again: those
    /// whose last rendering used a template that reads records (`readers`; none: every
    /// template), those showing a document whose body was rendered again (`redone`, making the
    /// pages and sections that are `dirty`), those made from the records or the whole site, and
    /// new ones.
    fn showing_records(
        &self,
        state: &State,
        readers: Option<&BTreeSet<String>>,
        redone: &BTreeSet<String>,
        (dirty_page, dirty_section): (Vec<bool>, Vec<bool>),
    ) -> impl Fn(&str, Made) -> bool + Sync + use<> {
        let reads =
            self.using(|used| readers.is_none_or(|r| used.templates.iter().any(|t| r.contains(t))));
        let looked_up = self.using(|used| used.documents.iter().any(|r| redone.contains(r)));
        let new: HashSet<String> = state
            .plan
            .planned()
            .filter(|(path, _)| !self.outputs.contains_key(*path))
            .map(|(path, _)| path.to_owned())
            .collect();
        move |path: &str, made: Made| {
            reads.contains(path)
                || looked_up.contains(path)
                || new.contains(path)
                || match made {
                    Made::Page(i) => dirty_page[i],
                    Made::Section(i) => dirty_section[i],
                    Made::Fixed | Made::Whole | Made::Matter => true,
                }
        }
    }

    /// The markdown stage, reusing every body whose text and URL are the same as last time:
    /// the rendering is moved over from `old`, the last build's site, not copied.
    fn bodies(
        &mut self,
        previous: Previous<'_>,
        site: &mut Site,
        config: &Config,
        theme: &crate::theme::Theme,
        assets: &Assets,
        generated: &[String],
    ) -> Diagnostics {
        let mut kept = HashSet::new();
        let edited = match previous {
            Previous::Nothing => None,
            Previous::Site(mut before) => {
                for doc in documents_mut(site) {
                    let known = self.bodies.get(&doc.source.path);
                    if known.is_some_and(|b| b.renders(doc)) {
                        if let Some(content) = before.remove(&doc.source.path) {
                            doc.content = content;
                            kept.insert(doc.source.path.clone());
                        }
                    }
                }
                None
            }
            Previous::InPlace(edited) => Some(edited),
        };
        let is_kept = |doc: &Document| match edited {
            Some(edited) => !edited.contains(&doc.rel),
            None => kept.contains(&doc.source.path),
        };
        let urls = site.urls.clone();
        let env = markdown::Env::new(config, &urls, theme, assets);
        let known = &self.bodies;
        let (per_body, links) = markdown::site_reusing(site, &env, generated, &|doc| {
            if !is_kept(doc) {
                return None;
            }
            known.get(&doc.source.path).map(|b| b.diagnostics.clone())
        });
        let mut diagnostics = Diagnostics::new();
        let mut present = HashSet::with_capacity(per_body.len());
        for (doc, ds) in site.bodies().zip(per_body) {
            diagnostics.extend(ds.iter().cloned());
            if edited.is_none() {
                present.insert(doc.source.path.as_str());
            }
            if is_kept(doc) {
                continue;
            }
            self.bodies.insert(
                doc.source.path.clone(),
                Body {
                    text: Arc::clone(&doc.source),
                    url: doc.url.clone(),
                    diagnostics: ds,
                },
            );
        }
        // Changed in place, the site has the same documents.
        if edited.is_none() && self.bodies.len() != present.len() {
            self.bodies
                .retain(|path, _| present.contains(path.as_str()));
        }
        diagnostics.extend(links);
        diagnostics
    }

    /// Renders the `wanted` outputs of the state's plan, keeps the others, and records the
    /// rebuild's problems. A full rebuild also drops the outputs no longer planned.
    fn render(
        &mut self,
        site: &Site,
        state: &State,
        how: How,
        wanted: &(dyn Fn(&str, Made) -> bool + Sync),
        mut diagnostics: Diagnostics,
    ) -> Update {
        let minify = state.config.build.minify;
        // Every output is made again: the last spill file goes once nothing served is in it.
        if how == How::Full {
            self.spill = Spill::new().ok();
        }
        let spill = self.spill.as_ref();
        let made = render::some(
            site,
            &state.theme,
            &state.config,
            &state.assets,
            &state.views,
            &state.plan,
            wanted,
            &|out| {
                let (file, problem) = match out.body {
                    Ok(body) => match output::contents(body, minify) {
                        Ok(bytes) => {
                            let written = output::describe(&out.path, &bytes);
                            let file =
                                File::new(bytes.into_owned(), written, &state.dictionary, spill);
                            (Some(Arc::new(file)), None)
                        }
                        Err(e) => (None, Some(read_failure(&out.path, &e))),
                    },
                    Err(d) => (None, d),
                };
                let entry = Entry {
                    file,
                    made: out.made,
                    used: out.used,
                    problem,
                };
                (out.path, entry)
            },
        );
        diagnostics.extend(state.plan.diagnostics.iter().cloned());
        let rendered = made.len();
        let mut changed = vec![];
        let files = Arc::make_mut(&mut self.files);
        for (path, entry) in made {
            let before = self.outputs.get(&path).and_then(|e| e.file.as_ref());
            let same = match (before, &entry.file) {
                (Some(a), Some(b)) => a.written.sha256 == b.written.sha256,
                (None, None) => true,
                _ => false,
            };
            if !same && entry.file.is_some() {
                changed.push(path.clone());
            }
            match &entry.file {
                Some(f) => {
                    files.insert(path.clone(), Arc::clone(f));
                }
                None => {
                    files.remove(&path);
                }
            }
            self.outputs.insert(path, entry);
        }
        let mut removed = vec![];
        // A rebuild in place keeps the plan: every output stays.
        if how != How::InPlace {
            let keep: HashMap<&str, Made> = state.plan.planned().collect();
            removed = self
                .outputs
                .keys()
                .filter(|p| !keep.contains_key(p.as_str()))
                .cloned()
                .collect();
            for p in &removed {
                self.outputs.remove(p);
                files.remove(p);
            }
            for (path, e) in &mut self.outputs {
                if let Some(made) = keep.get(path.as_str()) {
                    e.made = *made;
                }
            }
        }
        // Saves append to the spill file: once it is mostly replaced outputs, the live ones
        // move to a new one.
        if self.spill.as_ref().is_some_and(|s| s.wasteful()) {
            self.respill();
        }
        diagnostics.extend(self.outputs.values().filter_map(|e| e.problem.clone()));
        diagnostics.normalize();
        self.diagnostics = diagnostics;
        changed.sort();
        Update {
            rebuild: match how {
                How::InPlace | How::Replanned => Rebuild::Incremental,
                How::Full => Rebuild::Full,
            },
            changed,
            removed,
            rendered,
            moved: vec![],
        }
    }
}

impl Session {
    /// Moves every output kept in the spill file to a new one. The old file goes (and its
    /// space with it) once nothing served is in it: at the next site the server takes.
    fn respill(&mut self) {
        let (Some(old), Ok(new)) = (self.spill.clone(), Spill::new()) else {
            return;
        };
        let files = Arc::make_mut(&mut self.files);
        for (path, entry) in &mut self.outputs {
            let Some(file) = entry.file.as_mut().filter(|f| f.is_in(&old)) else {
                continue;
            };
            // Unreadable: left where it is, to be reported if it is asked for.
            if let Ok(moved) = file.moved_to(&new) {
                *file = Arc::new(moved);
                files.insert(path.clone(), Arc::clone(file));
            }
        }
        self.spill = Some(new);
    }
}

impl State {
    /// Plans again when the bodies rendered again changed the number of the search index's
    /// files (the rest of the plan is the same): the outputs no longer planned then go.
    fn replan(&mut self, site: &Site) -> How {
        if self.plan.fits_search(site) {
            return How::InPlace;
        }
        self.plan = render::outputs(site, &self.theme, &self.config, &self.assets);
        How::Replanned
    }

    /// The problems of the stages a rebuild in place does not run again: loading, records and
    /// static files, the site's structure, front matter, artifact references and the theme.
    fn kept_diagnostics(&self) -> Diagnostics {
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
fn cited_by_file(sources: &SourceSet, site: &Site) -> HashMap<String, Diagnostics> {
    sources
        .content
        .iter()
        .map(|c| {
            let ds = super::cited_records([&c.source], site, sources);
            (c.rel.clone(), ds)
        })
        .collect()
}

/// Whether a body calls a shortcode whose template is one of `templates` (none: any shortcode).
fn calls_any(content: &Content, templates: Option<&BTreeSet<String>>) -> bool {
    content
        .shortcodes
        .iter()
        .any(|name| templates.is_none_or(|t| t.contains(&theme::shortcode_template(name))))
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
fn dirty(
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

/// What the markdown stage can reuse bodies from.
enum Previous<'a> {
    /// Nothing: every body is rendered.
    Nothing,
    /// The renderings of the last build's site (see `take_contents`), moved over where the
    /// text and URL are the same.
    Site(HashMap<String, Content>),
    /// The site itself, changed in place: only the documents at these content paths are
    /// rendered again.
    InPlace(&'a BTreeSet<String>),
}

/// Whether an edit changed only a document's body: both versions parse, with the same front
/// matter text and the same title. Then the site's structure cannot have changed.
fn body_only(
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
    documents_mut(site)
        .map(|doc| (doc.source.path.clone(), std::mem::take(&mut doc.content)))
        .collect()
}

/// Every document with a body, to fill in.
fn documents_mut(site: &mut Site) -> impl Iterator<Item = &mut Document> {
    site.sections
        .iter_mut()
        .map(|s| &mut s.doc)
        .chain(site.pages.iter_mut().map(|p| &mut p.doc))
        .chain(site.failures.iter_mut().map(|f| &mut f.doc))
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
fn moved(old: &Assets, new: &Assets) -> Vec<(String, String, String)> {
    new.iter()
        .filter_map(|(k, a)| {
            let before = old.get(k)?;
            (before.path != a.path).then(|| (before.url(), a.url(), a.integrity.clone()))
        })
        .collect()
}

/// A copied file that could not be read, as a problem of the build.
fn read_failure(path: &str, e: &Error) -> Diagnostic {
    Diagnostic::error(format!(
        "could not read the file published at `{path}`: {e}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(from: &Path, to: &Path) {
        let real = from.canonicalize().unwrap();
        let tree = load::Tree::new(from, &real);
        for (rel, path) in tree.walk(from, &mut Diagnostics::new()).unwrap() {
            let target = to.join(rel);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(path, target).unwrap();
        }
    }

    #[test]
    fn a_full_rebuild_shares_the_unchanged_texts_and_moves_their_parse_over() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build/basic");
        copy(&fixture, dir.path());
        let (mut session, _) = Session::start(dir.path(), &Overrides::default()).unwrap();
        let texts = |s: &Session| -> BTreeMap<String, Arc<SourceText>> {
            let state = s.state.as_ref().unwrap();
            state
                .sources
                .content
                .iter()
                .map(|c| (c.rel.clone(), Arc::clone(&c.source)))
                .collect()
        };
        let before = texts(&session);
        let about = dir.path().join("content/about.md");
        let text = std::fs::read_to_string(&about).unwrap();
        std::fs::write(&about, format!("{text}\nOne more line.\n")).unwrap();
        let site_toml = dir.path().join("site.toml");
        let config = std::fs::read_to_string(&site_toml).unwrap();
        std::fs::write(&site_toml, format!("{config}\n# edited\n")).unwrap();
        let update = session.update(&[about, site_toml]).unwrap();
        assert_eq!(update.rebuild, Rebuild::Full);
        let after = texts(&session);
        assert_eq!(before.len(), after.len());
        for (rel, text) in &after {
            assert_eq!(Arc::ptr_eq(text, &before[rel]), rel != "about.md", "{rel}");
        }
        let state = session.state.as_ref().unwrap();
        // Every parse is of the file's text as it is now.
        for (file, parsed) in state.sources.content.iter().zip(&state.parsed) {
            if let Ok(doc) = parsed {
                assert!(Arc::ptr_eq(&doc.source, &file.source), "{}", file.rel);
            }
        }
    }

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
