//! `site.toml`: the site's settings, with every unknown key refused at its place so typos never
//! pass silently, and the command-line overrides applied on top.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::{Clash, Error, Result};

/// The name of the config file at the site root.
pub const FILE_NAME: &str = "site.toml";

/// Whether draft pages are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Drafts {
    /// Drafts are left out (the default).
    #[default]
    Exclude,
    /// Drafts are built like other pages.
    Include,
}

/// Whether a build signs its manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signing {
    /// With the key `[signing]` or `ANCAPEX_SIGNING_KEY` gives, if any (the default).
    #[default]
    AsConfigured,
    /// Never: `verify --rebuild` compares digests and needs no secret key.
    Skip,
}

/// What a broken internal link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkLevel {
    /// Fails the build (the default).
    #[default]
    Error,
    /// Reported, the build goes on: for people bringing in an existing corpus.
    Warn,
}

/// Why the site is being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A build for publishing.
    #[default]
    Build,
    /// Checking only: nothing is written.
    Check,
    /// The live preview of `serve`.
    Serve,
}

/// `[markdown]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarkdownConfig {
    /// Highlight fenced code with syntect.
    pub highlight_code: bool,
    /// The syntect theme the syntax stylesheet is generated from.
    pub highlight_theme: Spanned<String>,
    /// A second syntect theme, used under `prefers-color-scheme: light`.
    pub highlight_theme_light: Option<Spanned<String>>,
    /// Add a `#` link to every heading.
    pub heading_anchors: bool,
    /// Typographic quotes and dashes.
    pub smart_punctuation: bool,
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        Self {
            highlight_code: true,
            highlight_theme: Spanned::new(0..0, "base16-ocean.dark".to_owned()),
            highlight_theme_light: None,
            heading_anchors: true,
            smart_punctuation: false,
        }
    }
}

/// `[build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuildConfig {
    /// Minify HTML output.
    pub minify: bool,
    /// Write an Atom feed of dated pages at `/atom.xml`.
    pub feed: bool,
    /// How many entries the feed holds.
    pub feed_limit: usize,
    /// Write `/sitemap.xml`.
    pub sitemap: bool,
    /// Where the site is written: a folder inside the site (`--output-dir` may name any other).
    pub output_dir: Spanned<String>,
    /// Static files that keep their names instead of being fingerprinted: paths inside
    /// `static/`, or folders ending with `/`.
    pub unhashed: Vec<String>,
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self {
            minify: true,
            feed: true,
            feed_limit: 20,
            sitemap: true,
            output_dir: Spanned::new(0..0, "public".to_owned()),
            unhashed: vec![],
        }
    }
}

/// `[links]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinksConfig {
    /// What a broken internal link or anchor is.
    pub internal: LinkLevel,
}

/// `[images]`: how images in markdown are resized and encoded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImagesConfig {
    /// The widths, in pixels, of the resized variants (those narrower than the image).
    pub widths: Vec<u32>,
    /// The `sizes` attribute: how wide the image is shown.
    pub sizes: String,
    /// The quality of lossy encodings (WebP, JPEG), 1 to 100.
    pub quality: u8,
    /// The most pixels (width times height) an image may have: a larger one is refused
    /// before it is decoded, which bounds the memory of a decompression bomb.
    pub max_pixels: u64,
}

impl Default for ImagesConfig {
    fn default() -> Self {
        Self {
            widths: vec![480, 960, 1600],
            sizes: "(max-width: 48rem) 100vw, 48rem".to_owned(),
            quality: 80,
            max_pixels: 50_000_000,
        }
    }
}

/// `[contact]`: where the contact form goes.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContactConfig {
    /// The form endpoint; empty means `mailto:` the email address.
    pub action: String,
    /// The fallback address.
    pub email: String,
    /// The form method.
    pub method: String,
}

impl Default for ContactConfig {
    fn default() -> Self {
        Self {
            action: String::new(),
            email: String::new(),
            method: "post".to_owned(),
        }
    }
}

/// `[cache]`: the build cache (see `cache`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// The folder, inside the site (`--cache-dir` may name any other).
    pub dir: Spanned<String>,
    /// The bound on its size, in MiB.
    pub max_mib: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            dir: Spanned::new(0..0, crate::cache::DEFAULT_DIR.to_owned()),
            max_mib: crate::cache::DEFAULT_MAX_BYTES >> 20,
        }
    }
}

/// `[signing]`: sign `site-manifest.json` with minisign.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigningConfig {
    /// A minisign secret key file, relative to the root (`ANCAPEX_SIGNING_KEY` wins over it).
    pub key: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    #[serde(default)]
    description: String,
    base_url: Spanned<String>,
    #[serde(default = "default_language")]
    language: String,
    #[serde(default)]
    theme: Option<Spanned<String>>,
    #[serde(default)]
    markdown: MarkdownConfig,
    #[serde(default)]
    build: BuildConfig,
    #[serde(default)]
    links: LinksConfig,
    #[serde(default)]
    images: ImagesConfig,
    #[serde(default)]
    contact: ContactConfig,
    #[serde(default)]
    signing: SigningConfig,
    #[serde(default)]
    cache: CacheConfig,
    #[serde(default)]
    extra: toml::Table,
}

fn default_language() -> String {
    "en".to_owned()
}

/// The loaded configuration, with overrides applied.
#[derive(Debug, Clone)]
pub struct Config {
    /// The site root (where site.toml is).
    pub root: PathBuf,
    /// The site root as the filesystem resolves it: nothing outside it is read or followed.
    pub real_root: PathBuf,
    /// The absolute output directory.
    pub output_dir: PathBuf,
    /// Site title.
    pub title: String,
    /// Site description.
    pub description: String,
    /// Absolute base URL without a trailing slash.
    pub base_url: String,
    /// BCP 47 language tag.
    pub language: String,
    /// Theme name (`themes/<name>`), if any.
    pub theme: Option<Spanned<String>>,
    /// `[markdown]`.
    pub markdown: MarkdownConfig,
    /// `[build]`.
    pub build: BuildConfig,
    /// `[links]`.
    pub links: LinksConfig,
    /// `[images]`.
    pub images: ImagesConfig,
    /// `[contact]`.
    pub contact: ContactConfig,
    /// `[signing]`.
    pub signing: SigningConfig,
    /// The build cache's folder, none without one (`--no-cache`, or a check).
    pub cache_dir: Option<PathBuf>,
    /// The bound on the cache's size, in bytes.
    pub cache_max_bytes: u64,
    /// `[extra]`, for themes.
    pub extra: toml::Table,
    /// Whether drafts are built.
    pub drafts: Drafts,
    /// Build, check or serve.
    pub mode: Mode,
    /// The text of site.toml, for diagnostics that point into it.
    pub source: Arc<SourceText>,
    /// The source commit and date (filled in by the pipeline).
    pub provenance: crate::provenance::Provenance,
}

/// What the command line says on top of site.toml.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--output-dir`.
    pub output_dir: Option<PathBuf>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--drafts`.
    pub drafts: Drafts,
    /// The command.
    pub mode: Mode,
    /// `check --since REV`: published records must be as they were at this git revision.
    pub since: Option<String>,
    /// Whether the manifest is signed.
    pub signing: Signing,
    /// The build cache: as configured, elsewhere, or none.
    pub cache: crate::cache::Use,
    /// Whether file digests kept in the cache are used (`--rehash`: none are).
    pub rehash: crate::cache::Rehash,
}

/// Reads and validates `site.toml` under `root`.
pub fn load(root: &Path, overrides: &Overrides) -> Result<Config> {
    let path = root.join(FILE_NAME);
    if !path.is_file() {
        return Err(Error::NotASite {
            root: root.to_path_buf(),
            file: FILE_NAME,
        });
    }
    if let Some(problem) = outside_link(root, &path) {
        return Err(Error::Config {
            path,
            diagnostics: Diagnostics::from_iter([problem]),
        });
    }
    let text =
        crate::fs::read_source(root, &path, crate::fs::TEXT_LIMIT)?.map_err(|d| Error::Config {
            path: path.clone(),
            diagnostics: Diagnostics::from_iter([d]),
        })?;
    let config = parse(root, &text.text, overrides)
        .map_err(|diagnostics| Error::Config { path, diagnostics })?;
    check_output_dir(root, &config.output_dir)?;
    Ok(config)
}

/// `site.toml` as a symbolic link that leads out of the site: a pull request may change it, so it
/// is read only from inside the site, like every other input.
fn outside_link(root: &Path, path: &Path) -> Option<Diagnostic> {
    let real_root = std::fs::canonicalize(root).ok()?;
    match crate::fs::follow(&real_root, path) {
        crate::fs::Followed::Inside(_) => None,
        _ => Some(crate::fs::link_out(FILE_NAME, &crate::fs::link_text(path))),
    }
}

/// The output folder is replaced wholesale by every build, so it must never be, or hold, the
/// site's sources.
fn check_output_dir(root: &Path, output: &Path) -> Result<()> {
    let root = normalize(root);
    let output = normalize(output);
    if root.starts_with(&output) {
        return Err(Error::OutputFolder {
            output,
            clash: Clash::HoldsSite,
        });
    }
    let inputs = crate::layout::INPUTS;
    for source in inputs.iter().copied().chain([FILE_NAME, ".git"]) {
        if output.starts_with(root.join(source)) {
            return Err(Error::OutputFolder {
                output,
                clash: Clash::Inside(source),
            });
        }
    }
    Ok(())
}

/// An absolute path with `.` and `..` resolved by their text (the folder may not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// Why `name` is not one folder name (`ancapex`, `my-theme`), if it is not.
fn plain_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name == "." || name == ".." {
        Err("is not a folder name")
    } else if name.contains(['/', '\\']) || Path::new(name).is_absolute() {
        Err("is a path, not a folder name")
    } else {
        Ok(())
    }
}

/// Reports a path `site.toml` names (`key`) that is absolute or climbs out of the site with
/// `..`: a pull request may edit `site.toml`, so it names places inside the site only; the
/// command line and the environment, which are the operator's, may name any.
fn inside_site(
    diagnostics: &mut Diagnostics,
    source: &Arc<SourceText>,
    key: &str,
    value: &Spanned<String>,
    help: &str,
) {
    let path = Path::new(value.get_ref());
    let why = if value.get_ref().is_empty() {
        "is empty"
    } else if path.is_absolute() || value.get_ref().starts_with(['/', '\\']) {
        "is an absolute path"
    } else if path
        .components()
        .any(|c| c == std::path::Component::ParentDir)
    {
        "climbs out of the site with `..`"
    } else {
        return;
    };
    diagnostics.push(
        Diagnostic::error(format!("`{key}` `{}` {why}", value.get_ref()))
            .at(source, value.span())
            .label("a path inside the site's folder")
            .help(help),
    );
}

/// Reports a `[cache] dir` that is the site's folder itself, one of its sources or the output
/// (or inside one): the cache's files would be read as the site's, published, or mixed with
/// them.
fn cache_apart(
    diagnostics: &mut Diagnostics,
    source: &Arc<SourceText>,
    dir: &Spanned<String>,
    output: &Spanned<String>,
) {
    let parts = |p: &str| -> Vec<String> {
        Path::new(p)
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect()
    };
    let cache = parts(dir.get_ref());
    let output = parts(output.get_ref());
    let why = match cache.first().map(String::as_str) {
        None => "is the site's folder itself".to_owned(),
        Some(first) if crate::layout::INPUTS.contains(&first) || first == ".git" => {
            format!("is inside `{first}/`, one of the site's sources")
        }
        Some(_)
            if !output.is_empty() && (cache.starts_with(&output) || output.starts_with(&cache)) =>
        {
            "shares its folder with the output".to_owned()
        }
        Some(_) => return,
    };
    diagnostics.push(
        Diagnostic::error(format!("`dir` `{}` {why}", dir.get_ref()))
            .at(source, dir.span())
            .label("a folder of its own, inside the site")
            .help("keep the default, `.ancapex/cache`"),
    );
}

/// Parses the text of a `site.toml`.
pub fn parse(root: &Path, text: &str, overrides: &Overrides) -> Result<Config, Diagnostics> {
    let source = SourceText::new(FILE_NAME, text);
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let d = Diagnostic::error(toml_message(&e));
        let d = match toml_error_span(&e, text) {
            Some(span) => d.at(&source, span),
            None => d.in_file(FILE_NAME),
        };
        Diagnostics::from_iter([d])
    })?;
    let mut diagnostics = Diagnostics::new();
    let base_url = overrides
        .base_url
        .clone()
        .unwrap_or_else(|| raw.base_url.get_ref().clone());
    if !(base_url.starts_with("http://")
        || base_url.starts_with("https://")
        || base_url.starts_with('/'))
    {
        diagnostics.push(
            Diagnostic::error(format!(
                "`base_url` must be an absolute URL, not `{base_url}`"
            ))
            .at(&source, raw.base_url.span())
            .help("for example `https://example.org`"),
        );
    }
    if let Some(theme) = &raw.theme {
        if let Err(why) = plain_name(theme.get_ref()) {
            diagnostics.push(
                Diagnostic::error(format!("theme `{}` {why}", theme.get_ref()))
                    .at(&source, theme.span())
                    .label("a folder name under `themes/`")
                    .help("the built-in theme is `ancapex`; a theme of the site's own is `themes/<name>/`"),
            );
        }
    }
    if overrides.output_dir.is_none() {
        inside_site(
            &mut diagnostics,
            &source,
            "output_dir",
            &raw.build.output_dir,
            "to write the site elsewhere, pass `--output-dir DIR` on the command line",
        );
    }
    if let Some(key) = &raw.signing.key {
        inside_site(
            &mut diagnostics,
            &source,
            "key",
            key,
            "to sign with a key kept elsewhere, give its text in `ANCAPEX_SIGNING_KEY`",
        );
    }
    if matches!(overrides.cache, crate::cache::Use::Configured) {
        inside_site(
            &mut diagnostics,
            &source,
            "dir",
            &raw.cache.dir,
            "to keep the cache elsewhere, pass `--cache-dir DIR` on the command line",
        );
        cache_apart(
            &mut diagnostics,
            &source,
            &raw.cache.dir,
            &raw.build.output_dir,
        );
    }
    if raw.build.feed_limit == 0 {
        diagnostics.push(Diagnostic::error("`feed_limit` must be at least 1").in_file(FILE_NAME));
    }
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let output_dir = overrides
        .output_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(raw.build.output_dir.get_ref()));
    let output_dir = if output_dir.is_absolute() {
        output_dir
    } else {
        root.join(output_dir)
    };
    Ok(Config {
        root: root.to_path_buf(),
        real_root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
        output_dir,
        title: raw.title,
        description: raw.description,
        base_url: base_url.trim_end_matches('/').to_owned(),
        language: raw.language,
        theme: raw.theme,
        markdown: raw.markdown,
        build: raw.build,
        links: raw.links,
        images: raw.images,
        contact: raw.contact,
        signing: raw.signing,
        cache_dir: match &overrides.cache {
            crate::cache::Use::Configured => Some(root.join(raw.cache.dir.get_ref())),
            crate::cache::Use::At(dir) => Some(dir.clone()),
            crate::cache::Use::Off => None,
        },
        cache_max_bytes: raw.cache.max_mib.saturating_mul(1 << 20),
        extra: raw.extra,
        drafts: overrides.drafts,
        mode: overrides.mode,
        source,
        provenance: crate::provenance::Provenance::default(),
    })
}

/// Where a toml error is in `text`: its own span, or, for a key of too many dotted parts
/// (which the parser reports without one), that key's line.
pub(crate) fn toml_error_span(e: &toml::de::Error, text: &str) -> Option<std::ops::Range<usize>> {
    e.span().or_else(|| {
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let key = line.split('=').next().unwrap_or(line);
            if key.matches('.').count() >= 79 {
                let start = offset + (line.len() - line.trim_start().len());
                return Some(start..offset + key.trim_end().len());
            }
            offset += line.len();
        }
        None
    })
}

/// A toml error's message without its own rendering of the source (we draw our own).
pub(crate) fn toml_message(e: &toml::de::Error) -> String {
    crate::text::parser_message(e.message())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Config {
        parse(Path::new("/site"), text, &Overrides::default()).unwrap()
    }

    #[test]
    fn defaults_fill_what_is_missing() {
        let c = parse_ok("title = \"T\"\nbase_url = \"https://example.org/\"\n");
        assert_eq!(c.base_url, "https://example.org");
        assert_eq!(c.output_dir, Path::new("/site/public"));
        assert!(c.build.minify && c.markdown.highlight_code);
        assert_eq!(c.links.internal, LinkLevel::Error);
    }

    #[test]
    fn unknown_key_points_at_the_key() {
        let text = "title = \"T\"\nbase_url = \"https://e.org\"\n[build]\nminfy = true\n";
        let ds = parse(Path::new("/s"), text, &Overrides::default()).unwrap_err();
        let d = ds.iter().next().unwrap();
        assert!(
            d.message.starts_with("unknown field `minfy`"),
            "{}",
            d.message
        );
        assert_eq!(d.line_col(), Some((4, 1)));
    }

    #[test]
    fn output_over_the_sources_is_refused() {
        let root = Path::new("/site");
        for bad in [
            "/site",
            "/",
            "/site/content",
            "/site/content/x",
            "/site/./themes/../static",
            "/site/site.toml",
        ] {
            assert!(check_output_dir(root, Path::new(bad)).is_err(), "{bad}");
        }
        for good in ["/site/public", "/tmp/out", "/site/content-out"] {
            assert!(check_output_dir(root, Path::new(good)).is_ok(), "{good}");
        }
    }

    #[test]
    fn overrides_win() {
        let o = Overrides {
            base_url: Some("http://127.0.0.1:1111".into()),
            output_dir: Some("/tmp/out".into()),
            ..Overrides::default()
        };
        let c = parse(
            Path::new("/s"),
            "title = \"T\"\nbase_url = \"https://e.org\"\n",
            &o,
        )
        .unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:1111");
        assert_eq!(c.output_dir, Path::new("/tmp/out"));
    }
}
