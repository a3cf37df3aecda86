//! The serving policy of every output file, as plain data: its cache class, its media type and
//! the security headers every response carries. `_headers` (Netlify, Cloudflare Pages) is
//! written from it, the site manifest records it, and a publish step can set the same headers
//! on the objects it uploads.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use data_encoding::BASE64;
use sha2::{Digest as _, Sha256};

/// How long a file may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheClass {
    /// Named by its content (a fingerprinted asset, a content-addressed artifact file): the
    /// bytes behind the URL never change, so it may be cached forever.
    Immutable,
    /// Pages and the files that say what the site is (manifest, headers): always revalidated.
    Revalidate,
    /// Feeds, sitemap, robots.txt: a few minutes of staleness is harmless.
    Short,
}

impl CacheClass {
    /// The `Cache-Control` value.
    pub fn cache_control(self) -> &'static str {
        match self {
            CacheClass::Immutable => "public, max-age=31536000, immutable",
            CacheClass::Revalidate => "public, max-age=0, must-revalidate",
            CacheClass::Short => "public, max-age=300",
        }
    }

    /// The class named `name` in the manifest.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Immutable, Self::Revalidate, Self::Short]
            .into_iter()
            .find(|c| c.as_str() == name)
    }

    /// The name in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheClass::Immutable => "immutable",
            CacheClass::Revalidate => "revalidate",
            CacheClass::Short => "short",
        }
    }
}

/// How one output file is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePolicy {
    /// How long it may be cached.
    pub cache: CacheClass,
    /// Its `Content-Type`, with a charset for text.
    pub media_type: &'static str,
}

/// Whether a file's name says what its bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Fingerprinted (`name.<hash>.ext`) by this build.
    Fingerprinted,
    /// A stable name.
    Stable,
}

/// The policy of the output file at `path` (relative, `/`-separated).
pub fn file(path: &str, naming: Naming) -> FilePolicy {
    let cache = if naming == Naming::Fingerprinted || is_content_addressed(path) {
        CacheClass::Immutable
    } else if matches!(
        path,
        "atom.xml" | "artifacts/atom.xml" | "sitemap.xml" | "robots.txt"
    ) {
        CacheClass::Short
    } else {
        CacheClass::Revalidate
    };
    FilePolicy {
        cache,
        media_type: media_type(path),
    }
}

/// `artifacts/<id>/files/<sha256>/<name>`: artifact files are published under their digest.
fn is_content_addressed(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["artifacts", _, "files", sha, _] => {
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())
        }
        // A run ledger's signed checkpoint for a tree size never changes, nor does a tile
        // (C2SP tlog-tiles): its path names its width, and a partial tile (`.p/<width>`) of a
        // checkpointed size stays published beside the full tile that follows it.
        ["ledgers", _, "checkpoints", size] => size.bytes().all(|b| b.is_ascii_digit()),
        ["ledgers", _, "tile", ..] => true,
        _ => false,
    }
}

/// The media type of a file, by its name.
pub fn media_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "atom.xml" {
        return "application/atom+xml; charset=utf-8";
    }
    if name.ends_with(".intoto.json") {
        return "application/vnd.in-toto+json";
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "txt" | "minisig" | "sha256" | "sig" | "tlog-proof" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "toml" => "application/toml",
        "yaml" | "yml" => "application/yaml",
        // CITATION.cff is YAML; BibTeX is text.
        "cff" => "application/yaml; charset=utf-8",
        "bib" => "text/x-bibtex; charset=utf-8",
        "jsonl" => "application/jsonl",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/vnd.microsoft.icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        _ if name == "_headers" || name == "_redirects" => "text/plain; charset=utf-8",
        // A run ledger's checkpoints are signed notes (C2SP), which are text.
        _ if path.starts_with("ledgers/")
            && (name == "checkpoint" || path.contains("/checkpoints/")) =>
        {
            "text/plain; charset=utf-8"
        }
        _ => "application/octet-stream",
    }
}

/// CSP hash sources (`'sha256-…'`) of what a page runs or styles inline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inline {
    /// `<script>` elements without `src`.
    pub scripts: BTreeSet<String>,
    /// `<style>` elements.
    pub styles: BTreeSet<String>,
    /// `style="…"` attributes (allowed only through `'unsafe-hashes'`).
    pub style_attributes: BTreeSet<String>,
}

impl Inline {
    /// Adds another page's.
    pub fn extend(&mut self, other: Inline) {
        self.scripts.extend(other.scripts);
        self.styles.extend(other.styles);
        self.style_attributes.extend(other.style_attributes);
    }

    /// Whether nothing is inline.
    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty() && self.styles.is_empty() && self.style_attributes.is_empty()
    }
}

/// Finds the inline scripts, style elements and style attributes of a (final, minified) HTML
/// page, for the CSP. A scan of the bytes, not a parse: the output is ours, and anything it
/// misses shows up as a violation in the browser test, never as a weaker policy.
pub fn inline_sources(html: &[u8]) -> Inline {
    let text = String::from_utf8_lossy(html);
    let lower = text.to_ascii_lowercase();
    let mut out = Inline::default();
    for (tag, into) in [("script", &mut out.scripts), ("style", &mut out.styles)] {
        let open = format!("<{tag}");
        let close = format!("</{tag}");
        let mut at = 0;
        while let Some(i) = lower[at..].find(&open).map(|i| i + at) {
            let after = i + open.len();
            let boundary = lower[after..].chars().next();
            let Some(end_of_tag) = lower[after..].find('>').map(|e| e + after) else {
                break;
            };
            at = end_of_tag + 1;
            if !matches!(boundary, Some('>' | ' ' | '\t' | '\n' | '\r' | '/')) {
                continue;
            }
            let attrs = &lower[after..end_of_tag];
            let Some(body_end) = lower[at..].find(&close).map(|e| e + at) else {
                break;
            };
            let body = &text[at..body_end];
            at = body_end;
            if tag == "script" && (attrs.contains("src=") || is_data_script(attrs)) {
                continue;
            }
            if !body.is_empty() {
                into.insert(hash_source(body.as_bytes()));
            }
        }
    }
    let mut at = 0;
    while let Some(i) = lower[at..].find(" style=").map(|i| i + at) {
        let value_at = i + " style=".len();
        at = value_at;
        let quote = text[value_at..].chars().next();
        let value = match quote {
            Some(q @ ('"' | '\'')) => text[value_at + 1..].split(q).next(),
            _ => text[value_at..]
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next(),
        };
        if let Some(v) = value {
            out.style_attributes.insert(hash_source(v.as_bytes()));
        }
    }
    out
}

/// `<script type="application/json">` and the like are data, not code: CSP does not apply.
fn is_data_script(attrs: &str) -> bool {
    attrs.contains("type=") && !attrs.contains("javascript") && !attrs.contains("module")
}

fn hash_source(bytes: &[u8]) -> String {
    format!("'sha256-{}'", BASE64.encode(&Sha256::digest(bytes)))
}

/// Who a form may be sent to, from `[contact]`.
#[derive(Debug, Clone, Default)]
pub struct FormTargets {
    /// Extra `form-action` sources besides `'self'`.
    pub sources: Vec<String>,
}

impl FormTargets {
    /// The contact form's endpoint: its origin, or `mailto:` when it falls back to email.
    pub fn contact(action: &str) -> Self {
        let source = if action.is_empty() {
            "mailto:".to_owned()
        } else if let Some(rest) = action
            .strip_prefix("https://")
            .map(|r| ("https://", r))
            .or_else(|| action.strip_prefix("http://").map(|r| ("http://", r)))
        {
            let (scheme, rest) = rest;
            format!("{scheme}{}", rest.split('/').next().unwrap_or(rest))
        } else {
            // A path on this site.
            return Self::default();
        };
        Self {
            sources: vec![source],
        }
    }
}

/// The headers every response carries.
pub fn security_headers(inline: &Inline, forms: &FormTargets) -> Vec<(&'static str, String)> {
    let list = |set: &BTreeSet<String>| {
        set.iter().fold(String::new(), |mut out, s| {
            let _ = write!(out, " {s}");
            out
        })
    };
    let mut style = format!("'self'{}", list(&inline.styles));
    if !inline.style_attributes.is_empty() {
        let _ = write!(style, " 'unsafe-hashes'{}", list(&inline.style_attributes));
    }
    let form = std::iter::once("'self'".to_owned())
        .chain(forms.sources.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let csp = format!(
        "default-src 'none'; script-src 'self'{}; style-src {style}; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action {form}; base-uri 'self'; object-src 'none'; frame-ancestors 'none'",
        list(&inline.scripts)
    );
    vec![
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff".to_owned()),
        (
            "Referrer-Policy",
            "strict-origin-when-cross-origin".to_owned(),
        ),
        (
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()".to_owned(),
        ),
        ("X-Frame-Options", "DENY".to_owned()),
    ]
}

/// The path a host matches a file's headers on: a folder's `index.html` is served at the folder.
pub(crate) fn served_at(path: &str) -> String {
    match path.strip_suffix("index.html") {
        Some(dir) if dir.is_empty() || dir.ends_with('/') => format!("/{dir}"),
        _ => format!("/{path}"),
    }
}

/// `_headers`: the security headers for every path, then one `Cache-Control` rule per file.
/// Hosts join the values of a header set by several matching rules, so `Cache-Control` is set
/// by exactly one rule for each file and never on `/*`. Nor is it set on folders (`/css/*`):
/// hosts apply a rule to every response on its paths, so a request for a fingerprinted name not
/// (yet) there would get a 404 that caches cannot drop for a year. So this file lists every
/// file, and a renamed asset changes it, as it changes the manifest.
pub fn headers_file<'a>(
    files: impl IntoIterator<Item = (&'a str, FilePolicy)>,
    security: &[(&'static str, String)],
) -> String {
    let mut out = String::from("/*\n");
    for (name, value) in security {
        let _ = writeln!(out, "  {name}: {value}");
    }
    for (path, policy) in files {
        let _ = writeln!(
            out,
            "{}\n  Cache-Control: {}",
            served_at(path),
            policy.cache.cache_control()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprinted_and_content_addressed_files_are_immutable() {
        let sha = "a".repeat(64);
        let artifact = format!("artifacts/x/files/{sha}/w.bin");
        assert_eq!(file(&artifact, Naming::Stable).cache, CacheClass::Immutable);
        assert_eq!(
            file("css/site.0123456789abcdef.css", Naming::Fingerprinted).cache,
            CacheClass::Immutable
        );
        assert_eq!(
            file("index.html", Naming::Stable).cache,
            CacheClass::Revalidate
        );
        assert_eq!(file("atom.xml", Naming::Stable).cache, CacheClass::Short);
        assert_eq!(
            file("artifacts/x/files/short/w.bin", Naming::Stable).cache,
            CacheClass::Revalidate
        );
    }

    #[test]
    fn ledger_checkpoints_and_tiles_are_immutable_the_rest_revalidates() {
        let class = |p: &str| file(p, Naming::Stable).cache;
        assert_eq!(class("ledgers/run/checkpoints/7"), CacheClass::Immutable);
        assert_eq!(class("ledgers/run/tile/0/000"), CacheClass::Immutable);
        assert_eq!(
            class("ledgers/run/tile/entries/x001/234"),
            CacheClass::Immutable
        );
        assert_eq!(class("ledgers/run/tile/0/000.p/7"), CacheClass::Immutable);
        assert_eq!(
            class("ledgers/run/tile/entries/000.p/7"),
            CacheClass::Immutable
        );
        assert_eq!(class("ledgers/run/checkpoint"), CacheClass::Revalidate);
        assert_eq!(class("ledgers/run/entries.jsonl"), CacheClass::Revalidate);
        assert_eq!(
            media_type("ledgers/run/checkpoint"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            media_type("ledgers/run/checkpoints/7"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            media_type("ledgers/run/proof/3.tlog-proof"),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn text_media_types_carry_a_charset() {
        assert_eq!(media_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(media_type("css/x.1234.css"), "text/css; charset=utf-8");
        assert_eq!(media_type("f.woff2"), "font/woff2");
        assert_eq!(media_type("noext"), "application/octet-stream");
        assert_eq!(
            media_type("artifacts/a/CITATION.cff"),
            "application/yaml; charset=utf-8"
        );
        assert_eq!(
            media_type("artifacts/a/citation.bib"),
            "text/x-bibtex; charset=utf-8"
        );
    }

    #[test]
    fn inline_code_is_hashed_and_external_code_is_not() {
        let html = br#"<p style="color: red">x</p><script src="/a.js"></script><script>alert(1)</script><style>p{}</style><script type="application/ld+json">{}</script><scripted>"#;
        let found = inline_sources(html);
        assert_eq!(found.scripts, BTreeSet::from([hash_source(b"alert(1)")]));
        assert_eq!(found.styles, BTreeSet::from([hash_source(b"p{}")]));
        assert_eq!(
            found.style_attributes,
            BTreeSet::from([hash_source(b"color: red")])
        );
        assert!(inline_sources(b"<p>plain</p>").is_empty());
    }

    #[test]
    fn known_csp_hash() {
        // `echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64`
        assert_eq!(
            hash_source(b"alert(1)"),
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
    }

    #[test]
    fn the_csp_never_allows_unsafe_inline() {
        let mut inline = Inline::default();
        inline.scripts.insert("'sha256-x'".into());
        let headers = security_headers(&inline, &FormTargets::contact(""));
        let csp = &headers[0].1;
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("script-src 'self' 'sha256-x';"), "{csp}");
        assert!(csp.contains("form-action 'self' mailto:;"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }

    #[test]
    fn index_pages_are_matched_at_their_folder() {
        assert_eq!(served_at("index.html"), "/");
        assert_eq!(served_at("blog/index.html"), "/blog/");
        assert_eq!(served_at("404.html"), "/404.html");
        assert_eq!(served_at("css/myindex.html"), "/css/myindex.html");
    }
}
