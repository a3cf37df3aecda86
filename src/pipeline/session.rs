//! An incremental build kept in memory, for `serve`: the same stages as a build, in the same
//! order, but each rebuild re-does only what the changed files reach.
//!
//! What is kept: every content file's text and parsed front matter, every body's rendered
//! markdown, every template view, and every output with its digest and the documents its
//! templates looked up (`get_page`, `get_section`). When only markdown files were edited and
//! the site's structure stayed the same (the same pages and sections, URLs, aliases and
//! files), only the edited files are re-read, re-parsed and re-rendered, and only the outputs
//! that show them are rendered again: their pages, the listings of their sections, the outputs
//! that looked them up, and the few generated from the whole site (feeds, sitemap). Any other
//! change (a template, a record, `site.toml`, a file added, deleted or renamed) runs every stage
//! again, still reusing the rendered bodies when nothing they depend on changed. Either way the
//! outputs are the ones a full build of the same sources writes (a test checks it).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{self, Config, Mode, Overrides, Signing};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::{Error, Result};
use crate::fingerprint::Assets;
use crate::load::{self, SourceSet};
use crate::model::{Content, Document, Rendered, Site};
use crate::output::{self, Written};
use crate::render::{self, Made, Plan, Views};
use crate::theme::Theme;
use crate::{markdown, parse, provenance};

/// One output file, in memory, LZ4-compressed against a dictionary of the theme's markup (the
/// site's 404 page): a large site's pages are most of what a serving session holds, and most
/// of a page is its theme's header and footer, which then pack to almost nothing. Files over
/// `PACK_LIMIT` are kept as they are: they are the few made from the whole site (the search
/// index, the sitemap), made again on every save, where packing would cost more time than it
/// saves memory.
#[derive(Debug, Clone)]
pub struct File {
    stored: Stored,
    /// The digest of the bytes, their size and inline sources.
    pub written: Written,
}

#[derive(Debug, Clone)]
enum Stored {
    Packed {
        bytes: Box<[u8]>,
        dictionary: Arc<[u8]>,
    },
    Raw(Box<[u8]>),
}

/// The size above which an output is kept unpacked.
const PACK_LIMIT: usize = 256 * 1024;

impl File {
    fn new(bytes: Vec<u8>, written: Written, dictionary: &Arc<[u8]>) -> Self {
        let stored = if bytes.len() > PACK_LIMIT {
            Stored::Raw(bytes.into())
        } else {
            Stored::Packed {
                bytes: lz4_flex::block::compress_prepend_size_with_dict(&bytes, dictionary).into(),
                dictionary: Arc::clone(dictionary),
            }
        };
        Self { stored, written }
    }

    /// The bytes as a build writes them.
    pub fn bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match &self.stored {
            // Only `new` packs these bytes: they always unpack.
            Stored::Packed { bytes, dictionary } => {
                lz4_flex::block::decompress_size_prepended_with_dict(bytes, dictionary)
                    .expect("packed by `File::new`")
                    .into()
            }
            Stored::Raw(bytes) => bytes.as_ref().into(),
        }
    }
}

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

/// What an output was made from and what it looked up.
#[derive(Debug, Clone)]
struct Entry {
    file: Option<Arc<File>>,
    made: Made,
    reads: Vec<String>,
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
    /// Problems of the stages not redone incrementally (loading, records, static files).
    settled: Diagnostics,
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
            diagnostics: Diagnostics::new(),
            stale: false,
        };
        let update = session.full(true)?;
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
            }
        }
        let only_content = !self.stale
            && changed.iter().all(|p| {
                self.rel_in_content(p)
                    .is_some_and(|rel| rel.ends_with(".md"))
            });
        // Until a full rebuild succeeds, the kept state is older than the sources.
        self.stale = true;
        let update = self.full(!only_content)?;
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
            // Unreadable or not UTF-8 (or gone since): the full rebuild reports it.
            let Ok(Ok(source)) = load::read_text(&self.root, &path) else {
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
        let mut diagnostics = state.settled.clone();
        diagnostics.extend(structural.iter().cloned());
        state.structural = structural;
        for p in &state.parsed {
            if let Err(d) = p {
                diagnostics.push(d.clone());
            }
        }
        for ds in state.cited.values() {
            diagnostics.extend(ds.iter().cloned());
        }
        diagnostics.extend(state.themed.iter().cloned());
        // The markdown stage runs before the render stage: shortcodes find no documents.
        let mut documents = state.theme.lookups.take_documents().unwrap_or_default();
        let previous = if in_place {
            Previous::InPlace(&changed_rels)
        } else {
            Previous::Site(&mut state.site)
        };
        diagnostics.extend(self.bodies(
            previous,
            &mut site,
            &state.config,
            &state.theme,
            &state.assets,
            &state.generated,
        ));

        let dirty_page: Vec<bool> = site
            .pages
            .iter()
            .map(|p| {
                changed_rels.contains(&p.doc.rel)
                    || changed_rels.contains(&site.sections[p.section].doc.rel)
            })
            .collect();
        let old_sections = if in_place {
            &site.sections
        } else {
            &state.site.sections
        };
        let dirty_section: Vec<bool> = site
            .sections
            .iter()
            .zip(old_sections)
            .map(|(s, old)| {
                changed_rels.contains(&s.doc.rel)
                    || s.pages != old.pages
                    || s.pages.iter().any(|&i| dirty_page[i])
                    || s.subsections
                        .iter()
                        .any(|&i| changed_rels.contains(&site.sections[i].doc.rel))
            })
            .collect();
        state
            .views
            .update(&site, &state.config, &dirty_page, &dirty_section);
        state
            .views
            .update_documents(&site, &mut documents, &dirty_page, &dirty_section);
        state.theme.lookups.set_documents(Some(documents));
        // A clash is reported in a document that may have moved: plan again to point at it.
        if !state.plan.diagnostics.is_empty() {
            state.plan = render::outputs(&site, &state.theme, &state.config, &state.assets);
        }
        // The outputs whose templates looked up an edited document.
        let looked_up: HashSet<String> = self
            .outputs
            .iter()
            .filter(|(_, e)| e.reads.iter().any(|r| changed_rels.contains(r)))
            .map(|(p, _)| p.clone())
            .collect();
        let wanted = |path: &str, made: Made| match made {
            Made::Page(i) => dirty_page[i] || looked_up.contains(path),
            Made::Section(i) => dirty_section[i] || looked_up.contains(path),
            Made::Fixed => looked_up.contains(path),
            Made::Whole => true,
            Made::Matter => !in_place,
        };
        let update = self.render(&site, &state, Rebuild::Incremental, &wanted, diagnostics);
        state.site = site;
        self.state = Some(state);
        Some(update)
    }

    /// Runs every stage again. The rendered bodies are kept when only markdown files changed
    /// (and the URLs they link to stayed the same); `reset` drops them.
    fn full(&mut self, reset: bool) -> Result<Update> {
        let mut config = config::load(&self.root, &self.overrides)?;
        config.provenance = provenance::of(&self.root);
        let mut settled = Diagnostics::new();
        let (sources, ds) = load::sources(&config)?;
        settled.extend(ds);
        let parsed: Vec<_> = {
            use rayon::prelude::*;
            sources.content.par_iter().map(parse::document).collect()
        };
        let (mut site, structural) = parse::assemble(parsed.clone(), &sources, &config);
        super::records(&mut site, &sources, &config, &mut settled);
        let assets = super::static_files(&sources, &config, &mut settled)?;
        let cited: HashMap<String, Diagnostics> = sources
            .content
            .iter()
            .map(|c| {
                let ds = super::cited_records([&c.source], &site, &sources);
                (c.rel.clone(), ds)
            })
            .collect();
        let mut diagnostics = settled.clone();
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
        let urls_same = self
            .state
            .as_ref()
            .is_some_and(|s| s.site.urls == site.urls);
        if reset || !urls_same {
            self.bodies.clear();
        }
        let mut old = self.state.take().map(|s| s.site);
        let previous = match old.as_mut() {
            Some(site) => Previous::Site(site),
            None => Previous::Nothing,
        };
        diagnostics.extend(self.bodies(previous, &mut site, &config, &theme, &assets, &generated));
        drop(old);
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
            structural,
            cited,
        };
        state.dictionary = dictionary(&state);
        let update = self.render(
            &state.site,
            &state,
            Rebuild::Full,
            &|_, _| true,
            diagnostics,
        );
        self.state = Some(state);
        Ok(Update { moved, ..update })
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
            Previous::Site(old) => {
                let mut before: HashMap<String, Content> = HashMap::new();
                for doc in documents_mut(old) {
                    before.insert(doc.source.path.clone(), std::mem::take(&mut doc.content));
                }
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
        let env = markdown::Env {
            config,
            urls: &site.urls.clone(),
            shortcodes: theme,
            assets,
        };
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
        rebuild: Rebuild,
        wanted: &(dyn Fn(&str, Made) -> bool + Sync),
        mut diagnostics: Diagnostics,
    ) -> Update {
        let minify = state.config.build.minify;
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
                            let file = File::new(bytes.into_owned(), written, &state.dictionary);
                            (Some(Arc::new(file)), None)
                        }
                        Err(e) => (None, Some(read_failure(&out.path, &e))),
                    },
                    Err(d) => (None, d),
                };
                let entry = Entry {
                    file,
                    made: out.made,
                    reads: out.reads,
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
        // An incremental rebuild keeps the plan: every output stays.
        if rebuild == Rebuild::Full {
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
        diagnostics.extend(self.outputs.values().filter_map(|e| e.problem.clone()));
        diagnostics.normalize();
        self.diagnostics = diagnostics;
        changed.sort();
        Update {
            rebuild,
            changed,
            removed,
            rendered,
            moved: vec![],
        }
    }
}

/// What the markdown stage can reuse bodies from.
enum Previous<'a> {
    /// Nothing: every body is rendered.
    Nothing,
    /// The last build's site, whose renderings are moved over where the text and URL are
    /// the same.
    Site(&'a mut Site),
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

    fn written(bytes: &[u8]) -> Written {
        output::describe("x.html", bytes)
    }

    #[test]
    fn a_file_gives_back_its_bytes_packed_against_a_dictionary_or_kept_raw() {
        let dictionary: Arc<[u8]> = Arc::from(&b"<html><head><title>Site</title></head>"[..]);
        let small = b"<html><head><title>Site</title></head><body>page</body></html>".to_vec();
        let file = File::new(small.clone(), written(&small), &dictionary);
        assert!(matches!(file.stored, Stored::Packed { .. }));
        assert_eq!(file.bytes(), small.as_slice());
        // Another dictionary: what was packed against the first still unpacks.
        let other: Arc<[u8]> = Arc::from(&b"nothing alike"[..]);
        assert_eq!(
            File::new(small.clone(), written(&small), &other).bytes(),
            small.as_slice()
        );
        let large: Vec<u8> = (0..=PACK_LIMIT)
            .map(|i| u8::try_from(i % 251).unwrap_or_default())
            .collect();
        let file = File::new(large.clone(), written(&large), &dictionary);
        assert!(matches!(file.stored, Stored::Raw(_)));
        assert_eq!(file.bytes(), large.as_slice());
        let empty = File::new(vec![], written(&[]), &Arc::from(&[][..]));
        assert!(empty.bytes().is_empty());
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
