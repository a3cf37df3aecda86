//! The site search index: one small JSON file, built with the site, that a theme's search page
//! loads in the browser. It lists every page, section, artifact, run ledger and failure report with its
//! title, URL, kind, a one-line summary and the start of its text, cut at a word boundary so
//! the file stays small enough to fetch on a phone.

use serde::Serialize;

use crate::model::{Document, Site};

/// The index's output path, at the root of the site.
pub(crate) const FILE: &str = "search-index.json";
/// The search page's URL; it is built when the theme has `search.html`.
pub(crate) const PAGE_URL: &str = "/search/";
/// The template of the search page.
pub(crate) const TEMPLATE: &str = "search.html";
/// Longest summary kept, in characters.
const SUMMARY_CHARS: usize = 160;
/// Longest text kept after the summary, in characters: enough for the words a page is about
/// (its opening), not its whole body.
const TEXT_CHARS: usize = 320;

/// One searchable thing.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub(crate) struct Entry {
    /// What to show as the result's link.
    pub(crate) title: String,
    /// Where it is, site-relative.
    pub(crate) url: String,
    /// `page`, `section`, `artifact`, `ledger` or `failure`.
    pub(crate) kind: &'static str,
    /// One line under the title.
    pub(crate) summary: String,
    /// More words to match on, not shown.
    pub(crate) text: String,
}

/// What a document is in the index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Section,
    Page,
}

/// A page's or section's entry as JSON. Each is kept with the document's view, so a rebuild
/// turns into text only the documents it re-rendered.
pub(crate) fn document_entry(doc: &Document, kind: Kind) -> std::sync::Arc<str> {
    let text = plain_text(&doc.content.html.unpack());
    let summary = doc
        .meta
        .description
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| clip(&text, SUMMARY_CHARS));
    let (kind, fallback) = match kind {
        Kind::Section => ("section", "Home"),
        Kind::Page => ("page", doc.url.as_str()),
    };
    let entry = Entry {
        title: if doc.title.is_empty() {
            fallback.to_owned()
        } else {
            doc.title.clone()
        },
        url: doc.url.clone(),
        kind,
        text: rest_of(&text, &summary),
        summary,
    };
    serde_json::to_string(&entry)
        .expect("plain strings always serialize")
        .into()
}

/// The entries of the records, in a stable order: artifacts, run ledgers, failure reports.
fn record_entries(site: &Site) -> Vec<Entry> {
    let mut out = Vec::new();
    for a in &site.artifacts {
        let mut text = a.claim.clone().unwrap_or_default();
        let kind = serde_json::to_value(a.kind).unwrap_or_default();
        for word in [
            a.id.as_str(),
            kind.as_str().unwrap_or(""),
            a.status.as_str(),
        ] {
            text.push(' ');
            text.push_str(word);
        }
        out.push(Entry {
            title: a.title.clone(),
            url: super::context::artifact_url(&a.id),
            kind: "artifact",
            summary: clip(&a.summary, SUMMARY_CHARS),
            text: clip(text.trim(), TEXT_CHARS),
        });
    }
    for l in site.ledgers.iter() {
        out.push(Entry {
            title: l.title.clone(),
            url: super::ledgers::page_url(&l.name, 1),
            kind: "ledger",
            summary: format!(
                "Run ledger `{}`: {} entries, each verifiable against its signed checkpoint",
                l.name,
                l.entries.len()
            ),
            text: clip(&format!("{} {}", l.origin, l.actors.join(" ")), TEXT_CHARS),
        });
    }
    if !site.failures.is_empty() {
        out.push(Entry {
            title: "Failure reports".to_owned(),
            url: "/failures/".to_owned(),
            kind: "section",
            summary: "Negative results, incidents and retractions, published as first-class pages"
                .to_owned(),
            text: String::new(),
        });
    }
    for r in &site.failures {
        let body = plain_text(&r.doc.content.html.unpack());
        let summary = clip(r.outcome.as_deref().unwrap_or(&body), SUMMARY_CHARS);
        let mut text = r.categories.join(" ");
        text.push(' ');
        text.push_str(&body);
        out.push(Entry {
            title: r.title.clone(),
            url: crate::failure::FailureReport::url(&r.id),
            kind: "failure",
            text: rest_of(&text, &summary),
            summary,
        });
    }
    out
}

/// `search-index.json` (`{"version":1,"entries":[...]}`, compact): sections, pages, artifacts,
/// run ledgers and failure reports. The documents' entries are the views', already JSON, so
/// the index is mostly a concatenation. The version is bumped when the entries change shape,
/// so a cached script can tell.
pub(crate) fn index(site: &Site, views: &super::Views) -> Vec<u8> {
    let records = record_entries(site);
    let documents = views.section_entries.iter().chain(&views.page_entries);
    let size: usize = documents.clone().map(|e| e.len() + 1).sum();
    let mut out = Vec::with_capacity(size + 256 * records.len() + 32);
    out.extend_from_slice(br#"{"version":1,"entries":["#);
    let mut first = true;
    let mut comma = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    for e in documents {
        comma(&mut out);
        out.extend_from_slice(e.as_bytes());
    }
    for e in &records {
        comma(&mut out);
        serde_json::to_writer(&mut out, e).expect("plain strings always serialize");
    }
    out.extend_from_slice(b"]}");
    out
}

/// The text of `text` after what the summary already says, clipped.
fn rest_of(text: &str, summary: &str) -> String {
    let rest = text.strip_prefix(summary).unwrap_or(text);
    clip(rest.trim_start(), TEXT_CHARS)
}

/// At most `max` characters of `text`, cut at the last whole word.
fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => {
            let cut = &text[..end];
            let at_word = match text[end..].chars().next() {
                Some(c) if c.is_whitespace() => cut,
                _ => cut.rsplit_once(char::is_whitespace).map_or(cut, |(w, _)| w),
            };
            at_word.trim_end().to_owned()
        }
    }
}

/// The visible text of an HTML fragment: tags dropped (with the contents of `script`, `style`,
/// `template` and the hidden ledger lines), entities decoded, whitespace collapsed.
fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            push_text(&mut out, &rest[..lt]);
        }
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[1..gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        match skip_until {
            Some(end) if closing && name == end => skip_until = None,
            None if !closing => {
                skip_until = ["script", "style", "template", "pre"]
                    .into_iter()
                    .find(|s| *s == name)
                    // A heading's `#` self-link says nothing about the page.
                    .or_else(|| (name == "a" && tag.contains("class=\"anchor\"")).then_some("a"));
            }
            _ => {}
        }
        // Other tags separate words; inline ones sit inside a sentence.
        if !INLINE.contains(&name.as_str()) {
            out.push(' ');
        }
        rest = &after[gt + 1..];
    }
    if skip_until.is_none() {
        push_text(&mut out, rest);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tags that do not break a line of text.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "cite", "code", "del", "em", "i", "ins", "kbd", "mark", "q", "s", "small",
    "span", "strong", "sub", "sup", "time", "u",
];

/// Appends text with the common HTML entities decoded.
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let entity = after.find(';').filter(|&i| i <= 10).map(|i| &after[..=i]);
        let decoded = entity.and_then(|e| match e {
            "&amp;" => Some('&'),
            "&lt;" => Some('<'),
            "&gt;" => Some('>'),
            "&quot;" => Some('"'),
            "&apos;" | "&#39;" | "&#x27;" => Some('\''),
            "&nbsp;" => Some(' '),
            _ => {
                let num = e.strip_prefix("&#")?.strip_suffix(';')?;
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(code)
            }
        });
        if let (Some(e), Some(c)) = (entity, decoded) {
            out.push(c);
            rest = &after[e.len()..];
        } else {
            out.push('&');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_code_and_decodes_entities() {
        let html = "<h2 id=\"a\">Runs &amp; evals</h2><p>One<br>two&nbsp;&#x2192; <em>three</em></p>\
                    <pre><code>let x = 1;</code></pre><script>alert(1)</script><p>four &unknown; 5 &lt; 6</p>";
        assert_eq!(
            plain_text(html),
            "Runs & evals One two \u{2192} three four &unknown; 5 < 6"
        );
    }

    #[test]
    fn plain_text_of_an_unclosed_tag_stops_there() {
        assert_eq!(plain_text("words <a href=\"x"), "words");
    }

    #[test]
    fn plain_text_keeps_inline_markup_in_its_sentence_and_drops_heading_anchors() {
        let html = "<h2 id=\"why\">Why <a class=\"anchor\" href=\"#why\" aria-label=\"Link\">#</a></h2>\
                    <p>See <a href=\"/x/\">the <em>runs</em></a>.</p>";
        assert_eq!(plain_text(html), "Why See the runs.");
    }

    #[test]
    fn clip_cuts_at_a_word_boundary() {
        assert_eq!(clip("alpha beta gamma", 8), "alpha");
        assert_eq!(clip("alpha beta gamma", 10), "alpha beta");
        assert_eq!(clip("alpha beta gamma", 11), "alpha beta");
        assert_eq!(clip("short", 80), "short");
        assert_eq!(clip("unbroken", 3), "unb");
        // Characters, not bytes: never a cut inside a code point.
        assert_eq!(clip("ééé ééé", 5), "ééé");
    }

    #[test]
    fn rest_of_skips_what_the_summary_says() {
        assert_eq!(rest_of("One two. Three four.", "One two."), "Three four.");
        assert_eq!(rest_of("Other text", "A description"), "Other text");
    }

    #[test]
    fn the_text_kept_is_bounded() {
        let long = "word ".repeat(10_000);
        assert!(clip(&long, TEXT_CHARS).chars().count() <= TEXT_CHARS);
        assert!(clip(&long, SUMMARY_CHARS).chars().count() <= SUMMARY_CHARS);
    }
}
