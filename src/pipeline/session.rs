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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{Config, Mode, Overrides, Signing};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::{Error, Result};
use crate::fingerprint::Assets;
use crate::markdown;
use crate::model::{Document, Rendered, Site};
use crate::output;
use crate::render::{self, Made};
use crate::theme::{Theme, Used};

use super::driver::{self, Fresh, How, Previous, Rendering, Reuse, State, Target};
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

/// An incremental build of one site.
pub struct Session {
    root: PathBuf,
    overrides: Overrides,
    /// What the stages made last (none until the first build has run).
    state: Option<State>,
    /// The rendered bodies and outputs.
    kept: Kept,
    /// A full rebuild failed (site.toml invalid, a folder unreadable): the next one must run
    /// every stage.
    stale: bool,
}

/// Where a session's runs put bodies and outputs (the driver's `Target` for serve).
struct Kept {
    bodies: HashMap<String, Body>,
    outputs: BTreeMap<String, Entry>,
    /// The outputs that rendered, as served: changed in place by each rebuild (copied only
    /// when a request still holds the last one).
    files: Arc<Files>,
    /// Where outputs are kept (none if no temporary file could be made: then in memory). Each
    /// full rebuild starts a new one.
    spill: Option<Arc<Spill>>,
    diagnostics: Diagnostics,
    /// The build cache, read by the first build only (which starts warm from it) and given
    /// the bodies it rendered; with its warning, when it was ignored.
    cache: Cached,
    /// The search entries the first build took from the cache with their bodies, until the
    /// views take them.
    entries: HashMap<String, Arc<crate::render::search::Entry>>,
}

/// The build cache of a session: not opened yet, open for the first build, or done with.
enum Cached {
    Unopened,
    Open(Box<(crate::cache::Cache, Option<Diagnostic>)>),
    Done,
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
            kept: Kept {
                bodies: HashMap::new(),
                outputs: BTreeMap::new(),
                files: Arc::new(Files::new()),
                spill: None,
                diagnostics: Diagnostics::new(),
                cache: Cached::Unopened,
                entries: HashMap::new(),
            },
            stale: false,
        };
        let update = session.run(Reuse::Fresh(Fresh::Nothing), Fresh::Nothing)?;
        Ok((session, update))
    }

    /// The problems of the last rebuild, sorted.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.kept.diagnostics
    }

    /// Every output rendered from the current sources (with errors, those that rendered).
    pub fn files(&self) -> Arc<Files> {
        Arc::clone(&self.kept.files)
    }

    /// `_headers` and `site-manifest.json` for the current outputs, as a build writes them
    /// last; none while the site has errors.
    pub fn sealed(&self) -> Result<Vec<Rendered>> {
        let Some(state) = &self.state else {
            return Ok(vec![]);
        };
        if self.kept.diagnostics.has_errors() {
            return Ok(vec![]);
        }
        let written = self
            .kept
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
        // What the change allows to reuse: the edited documents alone, the templates alone or
        // the records alone are done again in place; when that turns out impossible (or for any
        // other change), every stage runs again, keeping the rendered bodies when only
        // markdown files changed.
        let fallback = if !self.stale
            && changed.iter().all(|p| {
                self.rel_in_content(p)
                    .is_some_and(|rel| rel.ends_with(".md"))
            }) {
            Fresh::Bodies
        } else {
            Fresh::Nothing
        };
        let edited = if self.stale {
            None
        } else {
            self.edited_documents(changed)
        };
        let reuse = if self.stale {
            Reuse::Fresh(fallback)
        } else if let Some(edited) = &edited {
            Reuse::Documents(edited)
        } else if self.only_templates(changed) {
            Reuse::Templates
        } else if changed
            .iter()
            .all(|p| p.starts_with(crate::layout::artifacts(&self.root)))
        {
            Reuse::Records
        } else {
            Reuse::Fresh(fallback)
        };
        // Until a rebuild succeeds, the kept state may be older than the sources (a rebuild
        // in place never fails: only one from the sources does).
        self.stale = true;
        let update = self.run(reuse, fallback)?;
        self.stale = false;
        Ok(update)
    }

    /// Runs the stages (see `driver`), reusing what `reuse` says, else what `fallback` says.
    fn run(&mut self, reuse: Reuse<'_>, fallback: Fresh) -> Result<Update> {
        driver::drive(
            &self.root,
            &self.overrides,
            &mut self.state,
            reuse,
            fallback,
            &mut self.kept,
        )
    }

    /// `content/`-relative path of `path`, if it is in the content folder.
    fn rel_in_content(&self, path: &Path) -> Option<String> {
        let content = crate::layout::content(&self.root);
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
        let mut folders = vec![crate::layout::templates(&self.root)];
        if let Some(name) = &state.config.theme {
            folders.push(
                crate::layout::theme(&self.root, name.get_ref()).join(crate::layout::TEMPLATES),
            );
        }
        !changed.is_empty()
            && changed
                .iter()
                .all(|p| folders.iter().any(|f| p.starts_with(f) && p != f))
    }
}

impl Kept {
    /// The markdown stage, reusing every body whose text and URL are the same as last time:
    /// the rendering is moved over from `old`, the last build's site, not copied.
    fn markdown(
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
                for doc in site.bodies_mut() {
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
        // The first build starts warm: the bodies the build cache holds are taken.
        let cache = std::mem::replace(&mut self.cache, Cached::Done);
        let (mut cache, warning) = match cache {
            Cached::Open(open) if edited.is_none() && kept.is_empty() => {
                let (cache, warning) = *open;
                (Some(cache), warning)
            }
            _ => (None, None),
        };
        let taken = cache
            .as_ref()
            .map(|c| super::cached::take(site, config, assets, c, None));
        let is_kept = |doc: &Document| match edited {
            Some(edited) => !edited.contains(&doc.rel),
            None => kept.contains(&doc.source.path),
        };
        let urls = site.urls.clone();
        let env = markdown::Env::new(config, &urls, theme, assets);
        let known = &self.bodies;
        let (per_body, links) = markdown::site_reusing(site, &env, generated, &|doc| {
            if taken.as_ref().is_some_and(|t| t.has(doc)) {
                return Some(Diagnostics::new());
            }
            if !is_kept(doc) {
                return None;
            }
            known.get(&doc.source.path).map(|b| b.diagnostics.clone())
        });
        if let (Some(mut taken), Some(cache)) = (taken, &mut cache) {
            taken.settle(site, &per_body);
            // The views are made after this stage: the bodies are kept without their search
            // entries, which the next build keeps once it has made them.
            taken.keep(site, None, cache);
            self.entries = taken.take_entries();
            // A cache that cannot be written costs the next start time only.
            let _ = cache.save();
        }
        let mut diagnostics = Diagnostics::new();
        diagnostics.extend(warning);
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
    fn render_kept(&mut self, state: &State, rendering: Rendering<'_>) -> Update {
        let Rendering {
            how,
            wanted,
            mut diagnostics,
            moved,
        } = rendering;
        let site = &state.site;
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
        // The images `resize_image` asked for: served, never removed (a URL a page no longer
        // asks for costs nothing).
        match super::resized_images(state) {
            Ok((resized, clashes)) => {
                diagnostics.extend(clashes);
                for r in resized {
                    match output::contents(r.body, minify) {
                        Ok(bytes) => {
                            let written = output::describe(&r.path, &bytes);
                            let file =
                                File::new(bytes.into_owned(), written, &state.dictionary, spill);
                            files.insert(r.path, Arc::new(file));
                        }
                        Err(e) => diagnostics.push(read_failure(&r.path, &e)),
                    }
                }
            }
            Err(e) => diagnostics.push(Diagnostic::error(format!(
                "could not encode the images `resize_image` asked for: {e}"
            ))),
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
            moved,
        }
    }

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

impl Target for Kept {
    type Done = Update;
    const KEEPS: bool = true;

    fn configured(&mut self, config: &Config) -> Result<()> {
        if let (Cached::Unopened, Some(dir)) = (&self.cache, &config.cache_dir) {
            let (cache, warning) = crate::cache::open_in(&config.root, dir, config.cache_max_bytes);
            self.cache = match cache {
                Some(cache) => Cached::Open(Box::new((cache, warning))),
                None => Cached::Done,
            };
        }
        Ok(())
    }

    fn forget_bodies(&mut self, path: Option<&str>) {
        match path {
            Some(path) => {
                self.bodies.remove(path);
            }
            None => self.bodies.clear(),
        }
    }

    fn bodies(
        &mut self,
        previous: Previous<'_>,
        site: &mut Site,
        config: &Config,
        theme: &Theme,
        assets: &Assets,
        generated: &[String],
    ) -> Diagnostics {
        self.markdown(previous, site, config, theme, assets, generated)
    }

    fn search_entries(&mut self) -> HashMap<String, Arc<crate::render::search::Entry>> {
        std::mem::take(&mut self.entries)
    }

    fn using(&self, pred: &dyn Fn(&Used) -> bool) -> HashSet<String> {
        self.outputs
            .iter()
            .filter(|(_, e)| pred(&e.used))
            .map(|(path, _)| path.clone())
            .collect()
    }

    fn has_output(&self, path: &str) -> bool {
        self.outputs.contains_key(path)
    }

    fn render(&mut self, state: &State, rendering: Rendering<'_>) -> Result<Update> {
        Ok(self.render_kept(state, rendering))
    }
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
        let tree = crate::load::Tree::new(from, &real);
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
}
