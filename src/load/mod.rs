//! The first stage: find every input file and read the text ones, in sorted order, with no
//! parsing. What the site is made of is decided here, once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::{Error, Result};

/// The theme compiled into the binary, used when `themes/<name>` is not in the site.
pub(crate) static BUILTIN_THEME: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/themes/ancapex");

/// The name of the built-in theme.
pub const BUILTIN_THEME_NAME: &str = "ancapex";

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A record under `artifacts/`.
#[derive(Debug, Clone)]
pub struct ArtifactFile {
    /// The folder name, which must equal the record's id.
    pub dir: String,
    /// The folder on disk, where the record's files are read and hashed.
    pub folder: PathBuf,
    /// The text of `artifact.toml`.
    pub source: Arc<SourceText>,
}

/// The files of one ledger under `artifacts/ledgers/<name>/`.
#[derive(Debug, Clone)]
pub struct LedgerFiles {
    /// The folder name.
    pub name: String,
    /// `ledger.toml`, if there is one.
    pub config: Option<Arc<SourceText>>,
    /// `entries.jsonl`, if there is one.
    pub entries: Option<Arc<SourceText>>,
    /// Each file in `checkpoints/`: its name and text, sorted by name.
    pub checkpoints: Vec<(String, Arc<SourceText>)>,
}

/// A failure report, `artifacts/failures/<id>.md`.
#[derive(Debug, Clone)]
pub struct FailureFile {
    /// The file name without `.md`, which must equal the report's id.
    pub stem: String,
    /// The folder the report is in (`artifacts/failures/`), where its evidence paths start.
    pub folder: PathBuf,
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
    /// Artifact records, sorted by folder.
    pub artifacts: Vec<ArtifactFile>,
    /// Failure reports, sorted by file name.
    pub failures: Vec<FailureFile>,
    /// The theme's `theme.toml`, if it has one.
    pub theme_config: Option<Arc<SourceText>>,
    /// Run ledgers, sorted by folder.
    pub ledgers: Vec<LedgerFiles>,
}

impl SourceSet {
    /// The index in `content` of the markdown file at this `content/`-relative path.
    pub(crate) fn content_index(&self, rel: &str) -> Option<usize> {
        self.content
            .binary_search_by(|c| c.rel.as_str().cmp(rel))
            .ok()
    }
}

/// Finds and reads the site's inputs.
pub fn sources(config: &Config) -> Result<(SourceSet, Diagnostics)> {
    sources_reusing(config, &[])
}

/// `sources`, keeping the text of each markdown file whose text is the same as in `known`
/// (sorted by path, as `SourceSet::content`): the same shared text, not a second copy of it.
pub(crate) fn sources_reusing(
    config: &Config,
    known: &[ContentFile],
) -> Result<(SourceSet, Diagnostics)> {
    let root = &config.root;
    let mut diagnostics = Diagnostics::new();
    let mut set = SourceSet::default();

    let content_dir = root.join("content");
    let (markdown, assets) = partition(walk(&content_dir)?, |rel| rel.ends_with(".md"));
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
            let read = read_text(root, &path)?;
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
    for (rel, path) in walk(&root.join("static"))? {
        set.statics.insert(rel, Origin::Disk(path));
    }
    site_templates(root, &mut set, &mut diagnostics)?;

    read_records(root, &mut set, &mut diagnostics)?;
    Ok((set, diagnostics))
}

/// The templates alone, read as `sources` reads them (the site's over the theme's), with the
/// problems reading the theme and them.
pub(crate) fn templates(config: &Config) -> Result<(BTreeMap<String, TemplateFile>, Diagnostics)> {
    let mut diagnostics = Diagnostics::new();
    let mut set = SourceSet::default();
    load_theme(config, &mut set, &mut diagnostics)?;
    site_templates(&config.root, &mut set, &mut diagnostics)?;
    Ok((set.templates, diagnostics))
}

/// The records alone (artifact records, run ledgers, failure reports), read as `sources` reads
/// them, with the problems reading them.
pub(crate) fn records(config: &Config) -> Result<(SourceSet, Diagnostics)> {
    let mut diagnostics = Diagnostics::new();
    let mut set = SourceSet::default();
    read_records(&config.root, &mut set, &mut diagnostics)?;
    Ok((set, diagnostics))
}

/// Reads the artifact records, run ledgers and failure reports under `artifacts/`.
fn read_records(root: &Path, set: &mut SourceSet, diagnostics: &mut Diagnostics) -> Result<()> {
    let artifacts_dir = root.join("artifacts");
    if artifacts_dir.is_dir() {
        for entry in sorted_dir(&artifacts_dir)? {
            let record = entry.join("artifact.toml");
            if record.is_file() {
                let dir = entry
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Some(source) = text_or_report(root, &record, diagnostics)? {
                    set.artifacts.push(ArtifactFile {
                        dir,
                        folder: entry,
                        source,
                    });
                }
            }
        }
    }
    set.ledgers = ledgers(root, diagnostics)?;
    set.failures = failures(root, diagnostics)?;
    Ok(())
}

/// Reads the failure reports, `artifacts/failures/*.md` (files in subfolders are their
/// evidence).
pub(crate) fn failures(root: &Path, diagnostics: &mut Diagnostics) -> Result<Vec<FailureFile>> {
    let failures_dir = root.join("artifacts").join("failures");
    let mut out = vec![];
    for (rel, path) in walk(&failures_dir)? {
        let Some(stem) = report_id(&rel) else {
            continue;
        };
        if let Some(source) = text_or_report(root, &path, diagnostics)? {
            out.push(FailureFile {
                stem: stem.to_owned(),
                folder: failures_dir.clone(),
                source,
            });
        }
    }
    Ok(out)
}

/// Reads the site's own `templates/` over the theme's.
fn site_templates(root: &Path, set: &mut SourceSet, diagnostics: &mut Diagnostics) -> Result<()> {
    for (rel, path) in walk(&root.join("templates"))? {
        if let Some(source) = text_or_report(root, &path, diagnostics)? {
            set.templates
                .insert(rel.clone(), TemplateFile { name: rel, source });
        }
    }
    Ok(())
}

/// Reads every ledger folder under `artifacts/ledgers/`.
pub(crate) fn ledgers(root: &Path, diagnostics: &mut Diagnostics) -> Result<Vec<LedgerFiles>> {
    let dir = root.join("artifacts").join("ledgers");
    let mut out = vec![];
    if !dir.is_dir() {
        return Ok(out);
    }
    for folder in sorted_dir(&dir)? {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(ledger(root, &folder, name, diagnostics)?);
    }
    Ok(out)
}

/// Reads one ledger folder.
pub(crate) fn ledger(
    root: &Path,
    folder: &Path,
    name: String,
    diagnostics: &mut Diagnostics,
) -> Result<LedgerFiles> {
    let optional = |file: &str, diagnostics: &mut Diagnostics| {
        let path = folder.join(file);
        if path.is_file() {
            text_or_report(root, &path, diagnostics)
        } else {
            Ok(None)
        }
    };
    let config = optional("ledger.toml", diagnostics)?;
    let entries = optional("entries.jsonl", diagnostics)?;
    let mut checkpoints = vec![];
    for (rel, path) in walk(&folder.join("checkpoints"))? {
        if let Some(text) = text_or_report(root, &path, diagnostics)? {
            checkpoints.push((rel, text));
        }
    }
    Ok(LedgerFiles {
        name,
        config,
        entries,
        checkpoints,
    })
}

/// The stems of `artifacts/failures/*.md`.
pub(crate) fn failure_report_ids(root: &Path) -> Result<std::collections::BTreeSet<String>> {
    Ok(walk(&root.join("artifacts").join("failures"))?
        .into_iter()
        .filter_map(|(rel, _)| report_id(&rel).map(str::to_owned))
        .collect())
}

/// The report id of a file in `artifacts/failures/`: the stem of a `.md` file directly there
/// (files in subfolders are evidence).
fn report_id(rel: &str) -> Option<&str> {
    rel.strip_suffix(".md").filter(|s| !s.contains('/'))
}

fn load_theme(config: &Config, set: &mut SourceSet, diagnostics: &mut Diagnostics) -> Result<()> {
    let Some(name) = &config.theme else {
        return Ok(());
    };
    let dir = config.root.join("themes").join(name.get_ref());
    if dir.is_dir() {
        let theme_toml = dir.join("theme.toml");
        if theme_toml.is_file() {
            set.theme_config = text_or_report(&config.root, &theme_toml, diagnostics)?;
        }
        for (rel, path) in walk(&dir.join("static"))? {
            set.statics.insert(rel, Origin::Disk(path));
        }
        for (rel, path) in walk(&dir.join("templates"))? {
            if let Some(source) = text_or_report(&config.root, &path, diagnostics)? {
                set.templates
                    .insert(rel.clone(), TemplateFile { name: rel, source });
            }
        }
    } else if name.get_ref() == BUILTIN_THEME_NAME {
        load_builtin_theme(set);
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

/// Files under `dir`, sorted, with their `/`-separated path relative to it. Hidden files and
/// editor leftovers are skipped. A missing folder has no files.
pub(crate) fn walk(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    if !dir.is_dir() {
        return Ok(vec![]);
    }
    let mut out = vec![];
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_ignored(e.file_name()));
    for entry in walker {
        let entry = entry.map_err(|source| Error::Walk {
            path: dir.to_path_buf(),
            source,
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        out.push((crate::fs::rel_path(dir, entry.path()), entry.into_path()));
    }
    Ok(out)
}

pub(crate) fn is_ignored(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || name.ends_with(".swp")
        || name.ends_with(".tmp")
}

fn sorted_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| Error::Io {
        action: "could not list",
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = vec![];
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if !is_ignored(&entry.file_name()) && entry.path().is_dir() {
            entries.push(entry.path());
        }
    }
    entries.sort();
    Ok(entries)
}

type Listing = Vec<(String, PathBuf)>;

fn partition(files: Listing, pred: impl Fn(&str) -> bool) -> (Listing, Listing) {
    files.into_iter().partition(|(rel, _)| pred(rel))
}

/// Reads a text file; a file that is not UTF-8 is a content problem, not an I/O failure.
pub(crate) fn read_text(root: &Path, path: &Path) -> Result<Result<Arc<SourceText>, Diagnostic>> {
    let bytes = crate::fs::read(path)?;
    let shown = crate::fs::rel_path(root, path);
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceText::new(shown, text)),
        Err(e) => Err(Diagnostic::error(format!(
            "`{shown}` is not valid UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        ))
        .in_file(shown)
        .help("save the file as UTF-8")),
    })
}

fn text_or_report(
    root: &Path,
    path: &Path,
    diagnostics: &mut Diagnostics,
) -> Result<Option<Arc<SourceText>>> {
    Ok(match read_text(root, path)? {
        Ok(s) => Some(s),
        Err(d) => {
            diagnostics.push(d);
            None
        }
    })
}
