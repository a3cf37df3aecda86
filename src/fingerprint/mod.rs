//! Fingerprinting: theme and site static files (stylesheets, scripts, fonts, images) are
//! published as `name.<hash>.ext`, the hash taken from the bytes actually written, so a CDN may
//! cache them forever. References inside stylesheets (`url(…)`, `@import`) are rewritten to
//! the fingerprinted names first, fonts and images before the stylesheets that use them and
//! imported stylesheets before their importers, so every name covers what it pulls in.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use data_encoding::BASE64;
use sha2::{Digest as _, Sha256, Sha384};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::Result;
use crate::load::Origin;

/// How many hex digits of the SHA-256 of the final bytes go into a name (64 bits).
pub const HASH_LEN: usize = 16;

/// Extensions of the files that are fingerprinted; anything else keeps its name, since people
/// link to it (a PDF, a `.txt`).
const FINGERPRINTED: [&str; 17] = [
    "css", "js", "mjs", "woff", "woff2", "ttf", "otf", "eot", "png", "jpg", "jpeg", "gif", "svg",
    "webp", "avif", "ico", "wasm",
];

/// One fingerprinted file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Where it is written: `css/site.<hash>.css`.
    pub path: String,
    /// The bytes written (references already rewritten).
    pub bytes: Vec<u8>,
    /// The Subresource Integrity value of the bytes: `sha384-<base64>`.
    pub integrity: String,
}

impl Asset {
    /// The site-relative URL.
    pub fn url(&self) -> String {
        format!("/{}", self.path)
    }
}

/// Every fingerprinted file, by the path it would have had without its hash.
#[derive(Debug, Clone, Default)]
pub struct Assets {
    by_source: BTreeMap<String, Asset>,
    /// The paths of the files generated rather than read from `static/` (the syntax
    /// stylesheet, resized images).
    generated: BTreeSet<String>,
    /// The images beside the content, their variants among the assets.
    pub images: crate::images::Images,
}

impl Assets {
    /// The asset for a path such as `css/site.css`.
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.by_source.get(crate::url::in_output(path))
    }

    /// Every asset, by its unhashed path.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Asset)> {
        self.by_source.iter()
    }

    /// The unhashed paths of the generated files.
    pub fn generated(&self) -> impl Iterator<Item = &str> {
        self.generated.iter().map(String::as_str)
    }

    /// The fingerprinted output paths.
    pub fn output_paths(&self) -> BTreeSet<String> {
        self.by_source.values().map(|a| a.path.clone()).collect()
    }
}

/// Whether the static file at `path` is fingerprinted: by its extension, unless it is one of
/// the names browsers and crawlers ask for (`favicon.ico`, `robots.txt`), under `.well-known/`,
/// or listed in `[build] unhashed` (a file, or a folder ending with `/`).
pub fn applies_to(path: &str, unhashed: &[String]) -> bool {
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    FINGERPRINTED.contains(&ext.as_str())
        && path != "favicon.ico"
        && !path.starts_with(".well-known/")
        && !unhashed.iter().any(|u| {
            let u = crate::url::in_output(u);
            u == path || (u.ends_with('/') && path.starts_with(u))
        })
}

/// Fingerprints the static files `applies_to` picks, plus generated ones (`css/syntax.css`).
/// A stylesheet import cycle is reported; its files keep their references as written.
pub fn apply(
    statics: &BTreeMap<String, Origin>,
    generated: Vec<(String, Vec<u8>)>,
    unhashed: &[String],
) -> Result<(Assets, Diagnostics)> {
    let mut inputs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (path, origin) in statics {
        if applies_to(path, unhashed) {
            inputs.insert(path.clone(), origin.read()?.into_owned());
        }
    }
    let mut assets = Assets {
        generated: generated.iter().map(|(p, _)| p.clone()).collect(),
        ..Assets::default()
    };
    inputs.extend(generated);
    let mut diagnostics = Diagnostics::new();
    let is_css = |p: &str| p.to_ascii_lowercase().ends_with(".css");
    for (path, bytes) in &inputs {
        if !is_css(path) {
            assets
                .by_source
                .insert(path.clone(), asset(path, bytes.clone()));
        }
    }
    let sheets: BTreeMap<&str, (String, Vec<Reference>)> = inputs
        .iter()
        .filter(|(p, _)| is_css(p))
        .map(|(p, b)| {
            let text = String::from_utf8_lossy(b).into_owned();
            let refs = references(&text, p);
            (p.as_str(), (text, refs))
        })
        .collect();
    let order = match css_order(&sheets) {
        Ok(order) => order,
        Err(cycle) => {
            diagnostics.push(
                Diagnostic::error(format!(
                    "stylesheets import each other in a cycle: {}",
                    cycle
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(" -> ")
                ))
                .help("a fingerprinted name covers what a stylesheet imports, so imports cannot go round"),
            );
            sheets.keys().copied().collect()
        }
    };
    for path in order {
        let (text, refs) = &sheets[path];
        let rewritten = rewrite(text, refs, &assets);
        assets
            .by_source
            .insert(path.to_owned(), asset(path, rewritten.into_bytes()));
    }
    Ok((assets, diagnostics))
}

fn asset(path: &str, bytes: Vec<u8>) -> Asset {
    let sha = crate::text::hex(&Sha256::digest(&bytes));
    Asset {
        path: fingerprinted_name(path, &sha[..HASH_LEN]),
        integrity: integrity(&bytes),
        bytes,
    }
}

/// The Subresource Integrity value of bytes: `sha384-` and the base64 digest.
pub fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", BASE64.encode(&Sha384::digest(bytes)))
}

/// `css/site.css` -> `css/site.<hash>.css`; a name without an extension gets `.<hash>` at the
/// end.
pub fn fingerprinted_name(path: &str, hash: &str) -> String {
    let (dir, name) = path.rsplit_once('/').map_or(("", path), |(d, n)| (d, n));
    let named = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{hash}.{ext}"),
        _ => format!("{name}.{hash}"),
    };
    if dir.is_empty() {
        named
    } else {
        format!("{dir}/{named}")
    }
}

/// A URL in a stylesheet that names a file of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    /// Where the URL's text is in the stylesheet.
    span: Range<usize>,
    /// The site path it resolves to, without query or fragment.
    target: String,
}

/// Every `url(…)` and `@import "…"` of a stylesheet that resolves to a path of the site; data:,
/// absolute (`https:`, `//host`) and fragment-only URLs are left out. Comments are skipped.
fn references(css: &str, sheet: &str) -> Vec<Reference> {
    let lower = css.to_ascii_lowercase();
    let bytes = css.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if lower[i..].starts_with("/*") {
            i = lower[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |e| i + 2 + e + 2);
            continue;
        }
        let value_start = if lower[i..].starts_with("url(") {
            Some((i + 4, true))
        } else if lower[i..].starts_with("@import") {
            Some((i + 7, false))
        } else {
            None
        };
        let Some((mut at, in_url)) = value_start else {
            i += css[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let span = match bytes.get(at) {
            Some(&q @ (b'"' | b'\'')) => css[at + 1..].find(q as char).map(|e| at + 1..at + 1 + e),
            // `@import url(…)`: the `url(` is found on the next turn.
            _ if !in_url => None,
            _ => css[at..]
                .find(')')
                .map(|e| at..at + css[at..at + e].trim_end().len()),
        };
        i = at.max(i + 1);
        if let Some(span) = span {
            i = span.end;
            if let Some(target) = resolve(sheet, &css[span.clone()]) {
                out.push(Reference { span, target });
            }
        }
    }
    out
}

/// The site path a stylesheet URL points to, if it points into the site.
fn resolve(sheet: &str, url: &str) -> Option<String> {
    let url = url.trim();
    let path = url.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() || path.starts_with("//") {
        return None;
    }
    if let Some(colon) = path.find(':')
        && !path[..colon].contains('/')
    {
        // A scheme: data:, https:, …
        return None;
    }
    let resolved = crate::url::resolve(&format!("/{sheet}"), path)?;
    Some(crate::url::in_output(&resolved).to_owned())
}

/// The stylesheet with every reference to a fingerprinted file renamed: only the file name
/// changes, so relative and absolute URLs stay what they were.
fn rewrite(css: &str, refs: &[Reference], assets: &Assets) -> String {
    let mut out = String::with_capacity(css.len() + refs.len() * (HASH_LEN + 1));
    let mut last = 0;
    for r in refs {
        let Some(asset) = assets.get(&r.target) else {
            continue;
        };
        let url = &css[r.span.clone()];
        let path_len = url.find(['?', '#']).unwrap_or(url.len());
        let name_start = url[..path_len].rfind('/').map_or(0, |i| i + 1);
        let new_name = asset.path.rsplit('/').next().unwrap_or(&asset.path);
        out.push_str(&css[last..r.span.start + name_start]);
        out.push_str(new_name);
        last = r.span.start + path_len;
    }
    out.push_str(&css[last..]);
    out
}

/// The stylesheets in an order where every imported sheet comes before its importers, or the
/// first cycle found.
fn css_order<'a>(
    sheets: &BTreeMap<&'a str, (String, Vec<Reference>)>,
) -> std::result::Result<Vec<&'a str>, Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        sheets: &BTreeMap<&'a str, (String, Vec<Reference>)>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
        out: &mut Vec<&'a str>,
    ) -> std::result::Result<(), Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                let from = stack.iter().position(|n| *n == node).unwrap_or(0);
                let mut cycle: Vec<String> =
                    stack[from..].iter().map(|s| (*s).to_owned()).collect();
                cycle.push(node.to_owned());
                return Err(cycle);
            }
            None => {}
        }
        marks.insert(node, Mark::Visiting);
        stack.push(node);
        for r in &sheets[node].1 {
            if let Some((dep, _)) = sheets.get_key_value(r.target.as_str()) {
                visit(dep, sheets, marks, stack, out)?;
            }
        }
        stack.pop();
        marks.insert(node, Mark::Done);
        out.push(node);
        Ok(())
    }
    let mut marks = BTreeMap::new();
    let mut out = vec![];
    for node in sheets.keys() {
        visit(node, sheets, &mut marks, &mut vec![], &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(files: &[(&str, &str)]) -> (Assets, Diagnostics) {
        let generated = files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec()))
            .collect();
        apply(&BTreeMap::new(), generated, &[]).unwrap()
    }

    fn text(assets: &Assets, path: &str) -> String {
        String::from_utf8(assets.get(path).unwrap().bytes.clone()).unwrap()
    }

    #[test]
    fn names_carry_the_hash_before_the_extension() {
        assert_eq!(
            fingerprinted_name("css/site.css", "0123"),
            "css/site.0123.css"
        );
        assert_eq!(fingerprinted_name("a.min.js", "ab"), "a.min.ab.js");
        assert_eq!(fingerprinted_name("LICENSE", "ab"), "LICENSE.ab");
    }

    #[test]
    fn the_name_and_integrity_are_of_the_written_bytes() {
        let (assets, _) = build(&[("js/a.js", "let a = 1;\n")]);
        let a = assets.get("js/a.js").unwrap();
        let sha = crate::text::hex(&Sha256::digest(b"let a = 1;\n"));
        assert_eq!(a.path, format!("js/a.{}.js", &sha[..HASH_LEN]));
        // `printf 'let a = 1;\n' | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            a.integrity,
            "sha384-jYHyquNi0AecRHxMvGaQfk1Caico9ih/vcg/1Teie1ttyvdSfNrD5c/nFNvgmDPO"
        );
    }

    #[test]
    fn stylesheet_references_follow_the_fingerprinted_names() {
        let (assets, ds) = build(&[
            ("fonts/f.woff2", "FONT"),
            ("img/bg.png", "PNG"),
            (
                "css/site.css",
                "@import \"base.css\";\n@font-face{src:url('../fonts/f.woff2?v=1#x') format('woff2')}\nbody{background:url( /img/bg.png )}\n.d{background:url(data:image/png;base64,AAAA)}\n.e{background:url(https://cdn.example/x.png)}\n/* url(gone.png) */\n.m{background:url(missing.png)}\n",
            ),
            ("css/base.css", "@import url(\"./reset.css\");"),
            ("css/reset.css", "*{margin:0}"),
        ]);
        assert!(ds.is_empty());
        let name = |p: &str| {
            let a = assets.get(p).unwrap();
            a.path.rsplit('/').next().unwrap().to_owned()
        };
        let site = text(&assets, "css/site.css");
        assert!(
            site.contains(&format!("@import \"{}\";", name("css/base.css"))),
            "{site}"
        );
        assert!(
            site.contains(&format!("url('../fonts/{}?v=1#x')", name("fonts/f.woff2"))),
            "{site}"
        );
        assert!(
            site.contains(&format!("url( /img/{} )", name("img/bg.png"))),
            "{site}"
        );
        assert!(site.contains("url(data:image/png;base64,AAAA)"));
        assert!(site.contains("url(https://cdn.example/x.png)"));
        assert!(site.contains("/* url(gone.png) */") && site.contains("url(missing.png)"));
        let base = text(&assets, "css/base.css");
        assert_eq!(
            base,
            format!("@import url(\"./{}\");", name("css/reset.css"))
        );
    }

    #[test]
    fn a_changed_import_renames_its_importer() {
        let one = build(&[("a.css", "@import 'b.css';"), ("b.css", "p{color:red}")]).0;
        let two = build(&[("a.css", "@import 'b.css';"), ("b.css", "p{color:blue}")]).0;
        assert_ne!(
            one.get("a.css").unwrap().path,
            two.get("a.css").unwrap().path
        );
    }

    #[test]
    fn an_import_cycle_is_reported() {
        let (_, ds) = build(&[
            ("a.css", "@import 'b.css';"),
            ("b.css", "@import url(a.css);"),
        ]);
        let d = ds.iter().next().expect("a diagnostic");
        assert_eq!(
            d.message,
            "stylesheets import each other in a cycle: `a.css` -> `b.css` -> `a.css`"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_same_bytes_always_get_the_same_name(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            stem in "[a-z]{1,8}",
        ) {
            let path = format!("img/{stem}.png");
            let one = apply(&BTreeMap::new(), vec![(path.clone(), bytes.clone())], &[]).unwrap().0;
            let two = apply(&BTreeMap::new(), vec![(path.clone(), bytes.clone())], &[]).unwrap().0;
            let a = one.get(&path).unwrap();
            proptest::prop_assert_eq!(a, two.get(&path).unwrap());
            let sha = crate::text::hex(&Sha256::digest(&bytes));
            proptest::prop_assert_eq!(&a.path, &format!("img/{stem}.{}.png", &sha[..HASH_LEN]));
        }
    }

    #[test]
    fn well_known_names_keep_their_names() {
        let none: &[String] = &[];
        assert!(applies_to("css/site.css", none));
        assert!(applies_to("img/logo.PNG", none));
        assert!(!applies_to("favicon.ico", none));
        assert!(!applies_to(".well-known/security.txt", none));
        assert!(!applies_to("papers/a.pdf", none));
        let listed = ["/img/og.png".to_owned(), "embed/".to_owned()];
        assert!(!applies_to("img/og.png", &listed));
        assert!(!applies_to("embed/w.js", &listed));
        assert!(applies_to("img/other.png", &listed));
    }
}
