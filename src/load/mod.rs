//! The first stage: find every input file and read the text ones, in sorted order, with no
//! parsing. What the site is made of is decided here, once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::{Error, Result};
use crate::fs::{Followed, TEXT_LIMIT};

/// The theme compiled into the binary, used when `themes/<name>` is not in the site.
pub(crate) static BUILTIN_THEME: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/themes/ancapex");

/// The name of the built-in theme.
pub const BUILTIN_THEME_NAME: &str = "ancapex";

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file on disk.
    Disk(PathBuf),
    /// A file compiled into the binary.
    Builtin(&'static [u8]),
}

impl Origin {
    /// Reads the bytes.
    pub fn read(&self) -> Result<std::borrow::Cow<'static, [u8]>> {
        match self {
            Origin::Disk(path) => crate::fs::read(path).map(Into::into),
            Origin::Builtin(bytes) => Ok((*bytes).into()),
        }
    }
}

/// A markdown file in `content/`.
#[derive(Debug, Clone)]
pub struct ContentFile {
    /// Path inside `content/`, `/`-separated, e.g. `blog/_index.md`.
    pub rel: String,
    /// The text, with its root-relative path for diagnostics.
    pub source: Arc<SourceText>,
}

/// A non-markdown file: a bundle asset, a static file.
#[derive(Debug, Clone)]
pub struct AssetFile {
    /// Path relative to its folder (`content/` or `static/`), `/`-separated.
    pub rel: String,
    /// Where the bytes are.
    pub origin: Origin,
}

/// A template: its name (`page.html`, `shortcodes/card.html`) and text.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// The template's name, relative to `templates/`.
    pub name: String,
    /// The text, with its root-relative path for diagnostics.
    pub source: Arc<SourceText>,
}

/// Every input of a build.
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    /// Markdown files, sorted by path.
    pub content: Vec<ContentFile>,
    /// Other files inside `content/`, sorted by path.
    pub content_assets: Vec<AssetFile>,
    /// Static files, the site's over the theme's, by output path.
    pub statics: BTreeMap<String, Origin>,
    /// Templates, the site's over the theme's, by name.
    pub templates: BTreeMap<String, TemplateFile>,
    /// The theme's `theme.toml`, if it has one.
    pub theme_config: Option<Arc<SourceText>>,
}

impl SourceSet {
    /// The index in `content` of the markdown file at this `content/`-relative path.
    pub(crate) fn content_index(&self, rel: &str) -> Option<usize> {
        self.content
            .binary_search_by(|c| c.rel.as_str().cmp(rel))
            .ok()
    }
}

/// Finds and reads the site's inputs, all but the records under `artifacts/`, which
/// `records::load` reads.
pub fn sources(config: &Config) -> Result<(SourceSet, Diagnostics)> {
    sources_reusing(config, &[], None)
}

/// `sources`, keeping the text of each markdown file whose text is the same as in `known`
/// (sorted by path, as `SourceSet::content`): the same shared text, not a second copy of it.
/// `listed` is a listing of a folder made already (`fs::list_tree`, links not followed): the
/// content folder's is taken instead of listing it again.
pub(crate) fn sources_reusing(
    config: &Config,
    known: &[ContentFile],
    listed: Option<(PathBuf, Vec<crate::fs::Listed>)>,
) -> Result<(SourceSet, Diagnostics)> {
    let root = &config.root;
    let tree = Tree::of(config);
    let mut diagnostics = Diagnostics::new();
    let mut set = SourceSet::default();

    let content_dir = crate::layout::content(root);
    let listed = listed.and_then(|(dir, listed)| (dir == content_dir).then_some(listed));
    let (markdown, assets) = partition(
        tree.walk_listed(&content_dir, listed, &mut diagnostics)?,
        |rel| rel.ends_with(".md"),
    );
    set.content_assets = assets
        .into_iter()
        .map(|(rel, path)| AssetFile {
            rel,
            origin: Origin::Disk(path),
        })
        .collect();
    let read: Vec<_> = markdown
        .into_par_iter()
        .map(|(rel, path)| {
            let read = read_text(root, &path, TEXT_LIMIT)?;
            Ok(read.map(|source| {
                let before = known
                    .binary_search_by(|c| c.rel.as_str().cmp(&rel))
                    .ok()
                    .map(|i| &known[i].source)
                    .filter(|old| old.text == source.text);
                ContentFile {
                    source: before.map_or(source, Arc::clone),
                    rel,
                }
            }))
        })
        .collect::<Result<_>>()?;
    for r in read {
        match r {
            Ok(file) => set.content.push(file),
            Err(d) => diagnostics.push(d),
        }
    }

    load_theme(config, &mut set, &mut diagnostics)?;
    for (rel, path) in tree.walk(&crate::layout::static_files(root), &mut diagnostics)? {
        set.statics.insert(rel, Origin::Disk(path));
    }
    site_templates(tree, &mut set, &mut diagnostics)?;
    Ok((set, diagnostics))
}

/// The templates alone, read as `sources` reads them (the site's over the theme's), with the
/// problems reading the theme and them.
pub(crate) fn templates(config: &Config) -> Result<(BTreeMap<String, TemplateFile>, Diagnostics)> {
    let mut diagnostics = Diagnostics::new();
    let mut set = SourceSet::default();
    load_theme(config, &mut set, &mut diagnostics)?;
    site_templates(Tree::of(config), &mut set, &mut diagnostics)?;
    Ok((set.templates, diagnostics))
}

/// Reads the site's own `templates/` over the theme's.
fn site_templates(
    tree: Tree<'_>,
    set: &mut SourceSet,
    diagnostics: &mut Diagnostics,
) -> Result<()> {
    for (rel, path) in tree.walk(&crate::layout::templates(tree.root), diagnostics)? {
        if let Some(source) = tree.text(&path, TEXT_LIMIT, diagnostics)? {
            set.templates
                .insert(rel.clone(), TemplateFile { name: rel, source });
        }
    }
    Ok(())
}

fn load_theme(config: &Config, set: &mut SourceSet, diagnostics: &mut Diagnostics) -> Result<()> {
    let Some(name) = &config.theme else {
        return Ok(());
    };
    let tree = Tree::of(config);
    let dir = crate::layout::theme(&config.root, name.get_ref());
    if let Some(dir) = tree.optional_folder(&dir, diagnostics) {
        if let Some(theme_toml) = tree.optional(&dir.join("theme.toml"), diagnostics) {
            set.theme_config = tree.text(&theme_toml, TEXT_LIMIT, diagnostics)?;
        }
        for (rel, path) in tree.walk(&dir.join(crate::layout::STATIC), diagnostics)? {
            set.statics.insert(rel, Origin::Disk(path));
        }
        for (rel, path) in tree.walk(&dir.join(crate::layout::TEMPLATES), diagnostics)? {
            if let Some(source) = tree.text(&path, TEXT_LIMIT, diagnostics)? {
                set.templates
                    .insert(rel.clone(), TemplateFile { name: rel, source });
            }
        }
    } else if name.get_ref() == BUILTIN_THEME_NAME {
        load_builtin_theme(set);
    } else if std::fs::symlink_metadata(&dir).is_ok() {
        // There, but refused (a link out of the site) or not a folder: reported above.
    } else {
        diagnostics.push(
            Diagnostic::error(format!("theme `{}` not found", name.get_ref()))
                .at(&config.source, name.span())
                .label(format!("no folder `themes/{}`", name.get_ref()))
                .help(format!("the built-in theme is `{BUILTIN_THEME_NAME}`")),
        );
    }
    Ok(())
}

fn load_builtin_theme(set: &mut SourceSet) {
    fn visit(
        dir: &'static include_dir::Dir<'static>,
        out: &mut Vec<&'static include_dir::File<'static>>,
    ) {
        out.extend(dir.files());
        for d in dir.dirs() {
            visit(d, out);
        }
    }
    let mut files = vec![];
    visit(&BUILTIN_THEME, &mut files);
    for file in files {
        let path = file.path().to_string_lossy().replace('\\', "/");
        if path == "theme.toml" {
            let text = String::from_utf8_lossy(file.contents()).into_owned();
            set.theme_config = Some(SourceText::new("<builtin theme>/theme.toml", text));
        } else if let Some(rel) = path.strip_prefix("static/") {
            set.statics
                .insert(rel.to_owned(), Origin::Builtin(file.contents()));
        } else if let Some(name) = path.strip_prefix("templates/") {
            let text = String::from_utf8_lossy(file.contents()).into_owned();
            let source = SourceText::new(format!("<builtin theme>/{path}"), text);
            set.templates.insert(
                name.to_owned(),
                TemplateFile {
                    name: name.to_owned(),
                    source,
                },
            );
        }
    }
}

/// The canonical path of the site folder `root`: what [`Tree::new`] judges links against.
pub(crate) fn real_root(root: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(root).map_err(crate::fs::io("could not find", root))
}

/// How many links to folders one walk follows: enough for any layout, and a bound on the
/// folders that links inside the site can make a walk visit again and again.
const FOLDER_LINKS: usize = 256;

/// The site's folder as it was given (for the paths shown) and as the filesystem resolves it.
/// Every file and folder of the site is reached through it, and a symbolic link is followed
/// only when it leads to a place inside the site: anything else is a located problem, and
/// nothing behind it is opened.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tree<'a> {
    /// The site root as given.
    pub(crate) root: &'a Path,
    /// The site root, canonical.
    real: &'a Path,
}

impl<'a> Tree<'a> {
    /// The site's folder of a configuration.
    pub(crate) fn of(config: &'a Config) -> Self {
        Self::new(&config.root, &config.real_root)
    }

    /// The site folder `root`, whose canonical path is `real`.
    pub(crate) fn new(root: &'a Path, real: &'a Path) -> Self {
        Self { root, real }
    }

    fn shown(&self, path: &Path) -> String {
        crate::fs::rel_path(self.root, path)
    }

    /// Where `path` (which may be, or pass through, links) really is, when that is inside
    /// the site; a reported problem, and nothing, when it leads out or nowhere; nothing when
    /// there is nothing at `path`.
    fn inside(&self, path: &Path, diagnostics: &mut Diagnostics) -> Option<PathBuf> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        match crate::fs::follow(self.real, path) {
            Followed::Inside(real) => Some(real),
            Followed::Outside(_) => {
                diagnostics.push(crate::fs::link_out(
                    &self.shown(path),
                    &crate::fs::link_text(&self.link_on_the_way(path)),
                ));
                None
            }
            Followed::Nowhere if meta.file_type().is_symlink() => {
                diagnostics.push(crate::fs::link_nowhere(
                    &self.shown(path),
                    &crate::fs::link_text(path),
                ));
                None
            }
            Followed::Nowhere => None,
        }
    }

    /// The first link on the way from the root to `path` that leads out (`path` itself when
    /// none of the folders before it is a link), to name it in the message.
    fn link_on_the_way(&self, path: &Path) -> PathBuf {
        let mut at = self.root.to_path_buf();
        if let Ok(rel) = path.strip_prefix(self.root) {
            for part in rel.components() {
                at.push(part);
                let is_link =
                    std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink());
                if is_link && !matches!(crate::fs::follow(self.real, &at), Followed::Inside(_)) {
                    return at;
                }
            }
        }
        path.to_path_buf()
    }

    /// `path` if it is a file inside the site (through links that stay inside); nothing when
    /// it is missing, and a reported problem when it is a link that leads out or nowhere.
    pub(crate) fn optional(&self, path: &Path, diagnostics: &mut Diagnostics) -> Option<PathBuf> {
        self.inside(path, diagnostics)
            .filter(|real| real.is_file())
            .map(|_| path.to_path_buf())
    }

    /// `path` if it is a folder inside the site, as `optional` is for files.
    pub(crate) fn optional_folder(
        &self,
        path: &Path,
        diagnostics: &mut Diagnostics,
    ) -> Option<PathBuf> {
        self.real_folder(path, diagnostics)
            .map(|_| path.to_path_buf())
    }

    /// Where the folder `path` really is, if it is one inside the site.
    fn real_folder(&self, path: &Path, diagnostics: &mut Diagnostics) -> Option<PathBuf> {
        self.inside(path, diagnostics).filter(|real| real.is_dir())
    }

    /// The folders directly in `dir`, sorted (hidden ones skipped). A missing `dir` has none.
    pub(crate) fn folders(
        &self,
        dir: &Path,
        diagnostics: &mut Diagnostics,
    ) -> Result<Vec<PathBuf>> {
        if self.optional_folder(dir, diagnostics).is_none() {
            return Ok(vec![]);
        }
        let io = |source| Error::Io {
            action: "could not list",
            path: dir.to_path_buf(),
            source,
        };
        let mut entries = vec![];
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            if !is_ignored(&entry.file_name()) {
                entries.push(entry.path());
            }
        }
        entries.sort();
        Ok(entries
            .into_iter()
            .filter(|path| self.optional_folder(path, diagnostics).is_some())
            .collect())
    }

    /// The text of a file found by this tree, or its problem reported (over `limit`, not
    /// UTF-8).
    pub(crate) fn text(
        &self,
        path: &Path,
        limit: u64,
        diagnostics: &mut Diagnostics,
    ) -> Result<Option<Arc<SourceText>>> {
        Ok(match crate::fs::read_source(self.root, path, limit)? {
            Ok(s) => Some(s),
            Err(d) => {
                diagnostics.push(d);
                None
            }
        })
    }

    /// Files under `dir`, sorted, with their `/`-separated path relative to it. Hidden files
    /// and editor leftovers are skipped; a missing folder has no files. A link to a file or
    /// folder inside the site is listed (or walked) under its own name; a link that leads out,
    /// nowhere, or back into a folder it is in, a file over `COPY_LIMIT` and anything that is
    /// not a file (a pipe, a device) are reported and left out.
    pub(crate) fn walk(&self, dir: &Path, diagnostics: &mut Diagnostics) -> Result<Listing> {
        self.walk_listed(dir, None, diagnostics)
    }

    /// [`walk`](Self::walk), with `dir`'s listing when it was made already.
    fn walk_listed(
        &self,
        dir: &Path,
        listed: Option<Vec<crate::fs::Listed>>,
        diagnostics: &mut Diagnostics,
    ) -> Result<Listing> {
        let mut out = vec![];
        if let Some(real) = self.real_folder(dir, diagnostics) {
            let mut walk = Walk {
                tree: *self,
                top: dir,
                links_left: FOLDER_LINKS,
                diagnostics,
                out: &mut out,
            };
            walk.folder(dir, &real, listed)?;
        }
        Ok(out)
    }
}

/// One walk of a folder: what it found and what is still allowed.
struct Walk<'t, 'a> {
    tree: Tree<'a>,
    top: &'t Path,
    links_left: usize,
    diagnostics: &'t mut Diagnostics,
    out: &'t mut Listing,
}

impl Walk<'_, '_> {
    /// Walks `dir` (as named from the top of the walk), whose canonical path is `real`. The
    /// folders are listed in parallel, and only the files kept are `stat`ed (for their size),
    /// in parallel too: a content folder of 10,000 pages walked a folder at a time, with a
    /// `stat` of every entry, was most of the load stage.
    fn folder(
        &mut self,
        dir: &Path,
        real: &Path,
        listed: Option<Vec<crate::fs::Listed>>,
    ) -> Result<()> {
        use crate::fs::Kind;
        let listed = match listed {
            Some(listed) => listed,
            None => {
                crate::fs::list_tree(dir, None).map_err(crate::fs::io("could not walk", dir))?
            }
        };
        let listed: Vec<crate::fs::Listed> = listed
            .into_iter()
            .filter(|e| {
                e.kind != Kind::Folder
                    && e.path
                        .strip_prefix(dir)
                        .is_ok_and(|rel| !rel.iter().any(is_ignored))
            })
            .collect();
        let sizes: Vec<u64> = listed
            .par_iter()
            .map(|e| match e.kind {
                Kind::File => std::fs::symlink_metadata(&e.path).map_or(0, |m| m.len()),
                _ => 0,
            })
            .collect();
        for (entry, size) in listed.into_iter().zip(sizes) {
            let shown = self.tree.shown(&entry.path);
            match entry.kind {
                Kind::File => self.file(entry.path, &shown, size),
                Kind::Link => {
                    // Where the link is: its folder, canonical (no link below `dir` is
                    // followed by the listing), and its name.
                    let here = entry
                        .path
                        .strip_prefix(dir)
                        .map_or_else(|_| real.to_path_buf(), |rel| real.join(rel));
                    self.link(entry.path, &here, &shown)?;
                }
                Kind::Folder => {}
                Kind::Other => self.diagnostics.push(
                    Diagnostic::warning(format!("`{shown}` is not a file or a folder; left out"))
                        .in_file(shown)
                        .help("pipes, sockets and devices are not part of a site"),
                ),
            }
        }
        Ok(())
    }

    fn file(&mut self, path: PathBuf, shown: &str, size: u64) {
        if size > crate::fs::COPY_LIMIT {
            self.diagnostics
                .push(crate::fs::too_big(shown, size, crate::fs::COPY_LIMIT));
        } else {
            let rel = crate::fs::rel_path(self.top, &path);
            self.out.push((rel, path));
        }
    }

    /// A link found at `path` (canonically `here`): listed or walked when it stays inside.
    fn link(&mut self, path: PathBuf, here: &Path, shown: &str) -> Result<()> {
        let Some(target) = self.tree.inside(&path, self.diagnostics) else {
            return Ok(());
        };
        let Ok(meta) = std::fs::metadata(&target) else {
            return Ok(());
        };
        if meta.is_file() {
            self.file(path, shown, meta.len());
        } else if meta.is_dir() {
            if here.starts_with(&target) {
                self.diagnostics.push(
                    Diagnostic::error(format!(
                        "`{shown}` is a symbolic link to `{}`, a folder it is in: following it would never end",
                        crate::fs::link_text(&path)
                    ))
                    .in_file(shown)
                    .help("remove the link"),
                );
            } else if self.links_left == 0 {
                self.diagnostics.push(
                    Diagnostic::error(format!(
                        "`{shown}` is one link to a folder too many: a walk follows at most {FOLDER_LINKS}"
                    ))
                    .in_file(shown)
                    .help("link fewer folders, or copy them in"),
                );
            } else {
                self.links_left -= 1;
                self.folder(&path, &target, None)?;
            }
        }
        Ok(())
    }
}

pub(crate) fn is_ignored(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || name.ends_with(".swp")
        || name.ends_with(".tmp")
}

type Listing = Vec<(String, PathBuf)>;

fn partition(files: Listing, pred: impl Fn(&str) -> bool) -> (Listing, Listing) {
    files.into_iter().partition(|(rel, _)| pred(rel))
}

/// Reads a text file of at most `limit` bytes; a file that is larger or not UTF-8 is a content
/// problem, not an I/O failure.
pub(crate) fn read_text(
    root: &Path,
    path: &Path,
    limit: u64,
) -> Result<Result<Arc<SourceText>, Diagnostic>> {
    crate::fs::read_source(root, path, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_lists_files_in_order_leaving_out_hidden_ones_and_editor_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for rel in [
            "content/b.md",
            "content/a/index.md",
            "content/a/photo.png",
            "content/a.md",
            "content/a.md~",
            "content/#a.md#",
            "content/.a.md.swp",
            "content/notes.tmp",
            "content/.hidden/page.md",
            "content/z/.git/config",
            "content/z/y/x.md",
        ] {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, rel).unwrap();
        }
        std::os::unix::fs::symlink(root.join("content/b.md"), root.join("content/c.md")).unwrap();
        let mut diagnostics = Diagnostics::new();
        let listed = Tree::new(&root, &root)
            .walk(&root.join("content"), &mut diagnostics)
            .unwrap();
        let rels: Vec<&str> = listed.iter().map(|(rel, _)| rel.as_str()).collect();
        assert_eq!(
            rels,
            [
                "a/index.md",
                "a/photo.png",
                "a.md",
                "b.md",
                "c.md",
                "z/y/x.md"
            ]
        );
        assert_eq!(listed[4].1, root.join("content/c.md"));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }
}
