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
use crate::render::{self, Made, Views};
use crate::{markdown, parse, provenance};

/// One output file, in memory, LZ4-compressed: a large site's pages are most of what a serving
/// session holds, and they pack to about a quarter.
#[derive(Debug, Clone)]
pub struct File {
    packed: Box<[u8]>,
    /// The digest of the bytes, their size and inline sources.
    pub written: Written,
}

impl File {
    fn new(bytes: &[u8], written: Written) -> Self {
        Self {
            packed: lz4_flex::compress_prepend_size(bytes).into(),
            written,
        }
    }

    /// The bytes as a build writes them.
    pub fn bytes(&self) -> Vec<u8> {
        // Only `new` packs these bytes: they always unpack.
        lz4_flex::decompress_size_prepended(&self.packed).expect("packed by `File::new`")
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
    /// Problems of the stages not redone incrementally (loading, records, static files).
    settled: Diagnostics,
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
    pub fn files(&self) -> Files {
        self.outputs
            .iter()
            .filter_map(|(path, e)| e.file.clone().map(|f| (path.clone(), f)))
            .collect()
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
            let i = state
                .sources
                .content
                .binary_search_by(|c| c.rel.as_str().cmp(&rel))
                .ok()?;
            out.push(i);
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
            state.sources.content[i].source = source;
            state.parsed[i] = parse::document(&state.sources.content[i]);
        }
        let (mut site, structural) =
            parse::assemble(state.parsed.clone(), &state.sources, &state.config);
        if !same_structure(&state.site, &site) {
            self.state = Some(state);
            return None;
        }
        site.artifacts = std::mem::take(&mut state.site.artifacts);
        site.ledgers = std::mem::take(&mut state.site.ledgers);
        site.failures = std::mem::take(&mut state.site.failures);
        for rel in &changed_rels {
            let i = state
                .sources
                .content
                .binary_search_by(|c| c.rel.as_str().cmp(rel))
                .unwrap_or_default();
            let cited =
                super::cited_records([&state.sources.content[i].source], &site, &state.sources);
            state.cited.insert(rel.clone(), cited);
        }
        let mut diagnostics = state.settled.clone();
        diagnostics.extend(structural);
        for p in &state.parsed {
            if let Err(d) = p {
                diagnostics.push(d.clone());
            }
        }
        for ds in state.cited.values() {
            diagnostics.extend(ds.iter().cloned());
        }
        let (theme, generated) = super::theme_for(
            &state.sources,
            &state.config,
            &site,
            &state.assets,
            &mut diagnostics,
        );
        diagnostics.extend(self.bodies(
            Some(&mut state.site),
            &mut site,
            &state.config,
            &theme,
            &state.assets,
            &generated,
        ));

        let dirty_page: Vec<bool> = site
            .pages
            .iter()
            .map(|p| {
                changed_rels.contains(&p.doc.rel)
                    || changed_rels.contains(&site.sections[p.section].doc.rel)
            })
            .collect();
        let dirty_section: Vec<bool> = site
            .sections
            .iter()
            .zip(&state.site.sections)
            .map(|(s, old)| {
                changed_rels.contains(&s.doc.rel)
                    || s.pages != old.pages
                    || s.pages.iter().any(|&i| dirty_page[i])
                    || s.subsections
                        .iter()
                        .any(|&i| changed_rels.contains(&site.sections[i].doc.rel))
            })
            .collect();
        let old_views = &state.views;
        let views = render::views(&site, &state.config, &|i| {
            (!dirty_page[i]).then(|| old_views.pages[i].clone())
        });
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
        };
        let update = self.render(
            &site,
            &theme,
            &state.config,
            &state.assets,
            &views,
            &wanted,
            diagnostics,
        );
        state.site = site;
        state.views = views;
        self.state = Some(state);
        Some(Update {
            rebuild: Rebuild::Incremental,
            moved: vec![],
            ..update
        })
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
        diagnostics.extend(structural);
        for p in &parsed {
            if let Err(d) = p {
                diagnostics.push(d.clone());
            }
        }
        for ds in cited.values() {
            diagnostics.extend(ds.iter().cloned());
        }
        let (theme, generated) =
            super::theme_for(&sources, &config, &site, &assets, &mut diagnostics);
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
        diagnostics.extend(self.bodies(
            old.as_mut(),
            &mut site,
            &config,
            &theme,
            &assets,
            &generated,
        ));
        drop(old);
        let views = render::views(&site, &config, &|_| None);
        let update = self.render(
            &site,
            &theme,
            &config,
            &assets,
            &views,
            &|_, _| true,
            diagnostics,
        );
        self.state = Some(State {
            config,
            sources,
            parsed,
            site,
            assets,
            views,
            settled,
            cited,
        });
        Ok(Update {
            rebuild: Rebuild::Full,
            moved,
            ..update
        })
    }

    /// The markdown stage, reusing every body whose text and URL are the same as last time:
    /// the rendering is moved over from `old`, the last build's site, not copied.
    fn bodies(
        &mut self,
        old: Option<&mut Site>,
        site: &mut Site,
        config: &Config,
        theme: &crate::theme::Theme,
        assets: &Assets,
        generated: &[String],
    ) -> Diagnostics {
        let mut before: HashMap<String, Content> = HashMap::new();
        if let Some(old) = old {
            for doc in documents_mut(old) {
                before.insert(doc.source.path.clone(), std::mem::take(&mut doc.content));
            }
        }
        let mut kept = HashSet::new();
        for doc in documents_mut(site) {
            let known = self.bodies.get(&doc.source.path);
            if known.is_some_and(|b| b.renders(doc)) {
                if let Some(content) = before.remove(&doc.source.path) {
                    doc.content = content;
                    kept.insert(doc.source.path.clone());
                }
            }
        }
        drop(before);
        let env = markdown::Env {
            config,
            urls: &site.urls.clone(),
            shortcodes: theme,
            assets,
        };
        let known = &self.bodies;
        let (per_body, links) = markdown::site_reusing(site, &env, generated, &|doc| {
            if !kept.contains(&doc.source.path) {
                return None;
            }
            known.get(&doc.source.path).map(|b| b.diagnostics.clone())
        });
        let mut diagnostics = Diagnostics::new();
        let mut present = HashSet::with_capacity(per_body.len());
        for (doc, ds) in site.bodies().zip(per_body) {
            diagnostics.extend(ds.iter().cloned());
            present.insert(doc.source.path.as_str());
            if kept.contains(&doc.source.path) {
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
        if self.bodies.len() != present.len() {
            self.bodies
                .retain(|path, _| present.contains(path.as_str()));
        }
        diagnostics.extend(links);
        diagnostics
    }

    /// Renders the `wanted` outputs, keeps the others, drops those no longer planned, and
    /// records the rebuild's problems.
    #[expect(
        clippy::too_many_arguments,
        reason = "the render stage's inputs, as the pipeline passes them"
    )]
    fn render(
        &mut self,
        site: &Site,
        theme: &crate::theme::Theme,
        config: &Config,
        assets: &Assets,
        views: &Views,
        wanted: &(dyn Fn(&str, Made) -> bool + Sync),
        mut diagnostics: Diagnostics,
    ) -> Update {
        let minify = config.build.minify;
        let (plan_ds, planned, made) =
            render::some(site, theme, config, assets, views, wanted, &|out| {
                let (file, problem) = match out.body {
                    Ok(body) => match output::contents(body, minify) {
                        Ok(bytes) => {
                            let written = output::describe(&out.path, &bytes);
                            let file = File::new(&bytes, written);
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
            });
        diagnostics.extend(plan_ds);
        let rendered = made.len();
        let mut changed = vec![];
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
            self.outputs.insert(path, entry);
        }
        let keep: HashSet<&str> = planned.iter().map(|(p, _)| p.as_str()).collect();
        let removed: Vec<String> = self
            .outputs
            .keys()
            .filter(|p| !keep.contains(p.as_str()))
            .cloned()
            .collect();
        for p in &removed {
            self.outputs.remove(p);
        }
        for (path, made) in planned {
            if let Some(e) = self.outputs.get_mut(&path) {
                e.made = made;
            }
        }
        diagnostics.extend(self.outputs.values().filter_map(|e| e.problem.clone()));
        diagnostics.normalize();
        self.diagnostics = diagnostics;
        changed.sort();
        Update {
            rebuild: Rebuild::Full,
            changed,
            removed,
            rendered,
            moved: vec![],
        }
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
