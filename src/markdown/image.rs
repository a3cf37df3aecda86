//! An image written in markdown, `![alt](plot.png "caption")`, as HTML: a `<picture>` with a
//! WebP `srcset` over the resized variants and the original format as the fallback, `width`
//! and `height` (no layout shift), lazy loading after the first image of a page, and a
//! `<figure>` with a `<figcaption>` when the image has a title.

use std::fmt::Write as _;

use crate::fingerprint::Assets;
use crate::images::{Format, Image};
use crate::text::escape_html;

/// How an image is shown on its page.
pub(super) struct Shown<'a> {
    /// The alt text.
    pub(super) alt: &'a str,
    /// The caption (the markdown title), if any.
    pub(super) caption: &'a str,
    /// Whether it is the page's first image, loaded at once (likely in view).
    pub(super) first: bool,
}

/// The HTML of an image the images stage made; none for a bad one.
pub(super) fn markup(image: &Image, shown: &Shown<'_>, assets: &Assets, sizes: &str) -> String {
    let alt = escape_html(shown.alt);
    let lazy = if shown.first { "" } else { " loading=\"lazy\"" };
    let mut out = String::new();
    match image {
        Image::Raster {
            width,
            height,
            output,
            variants,
            ..
        } => {
            let set = |format: Format| {
                let mut entries: Vec<String> = variants
                    .iter()
                    .filter(|v| v.format == format)
                    .filter_map(|v| Some(format!("{} {}w", assets.get(&v.path)?.url(), v.width)))
                    .collect();
                if format != Format::WebP && !entries.is_empty() {
                    entries.push(format!("/{output} {width}w"));
                }
                entries.join(", ")
            };
            let webp = set(Format::WebP);
            let fallback = variants
                .iter()
                .map(|v| v.format)
                .find(|&f| f != Format::WebP)
                .map(set)
                .unwrap_or_default();
            let sizes = escape_html(sizes);
            let picture = !webp.is_empty() && !output.to_ascii_lowercase().ends_with(".webp");
            if picture {
                let _ = write!(
                    out,
                    "<picture><source type=\"image/webp\" srcset=\"{}\" sizes=\"{sizes}\">",
                    escape_html(&webp)
                );
            }
            let _ = write!(out, "<img src=\"/{}\"", escape_html(output));
            let srcset = if picture { fallback } else { webp };
            if !srcset.is_empty() {
                let _ = write!(
                    out,
                    " srcset=\"{}\" sizes=\"{sizes}\"",
                    escape_html(&srcset)
                );
            }
            let _ = write!(
                out,
                " width=\"{width}\" height=\"{height}\" alt=\"{alt}\"{lazy} decoding=\"async\">"
            );
            if picture {
                out.push_str("</picture>");
            }
        }
        Image::Svg { size, output, .. } => {
            let src = assets
                .get(output)
                .map_or_else(|| format!("/{output}"), crate::fingerprint::Asset::url);
            let _ = write!(out, "<img src=\"{}\"", escape_html(&src));
            if let Some((w, h)) = size {
                let _ = write!(out, " width=\"{w}\" height=\"{h}\"");
            }
            let _ = write!(out, " alt=\"{alt}\"{lazy} decoding=\"async\">");
        }
        Image::Bad(_) => return String::new(),
    }
    if shown.caption.is_empty() {
        out
    } else {
        format!(
            "<figure>{out}<figcaption>{}</figcaption></figure>",
            escape_html(shown.caption)
        )
    }
}

/// A figure alone in its paragraph stands in its place: a `<figure>` cannot be inside a `<p>`.
pub(super) fn unwrap_figures(html: String) -> String {
    if !html.contains("<p><figure>") {
        return html;
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<p><figure>") {
        let after = &rest[at + "<p>".len()..];
        match after.find("</figure>") {
            Some(end) if after[end + "</figure>".len()..].starts_with("</p>") => {
                out.push_str(&rest[..at]);
                out.push_str(&after[..end + "</figure>".len()]);
                rest = &after[end + "</figure></p>".len()..];
            }
            _ => {
                out.push_str(&rest[..at + "<p><figure>".len()]);
                rest = &rest[at + "<p><figure>".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}
