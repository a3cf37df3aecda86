//! A note's text as a reader sees it: a small, fixed part of markdown's inline syntax, rendered
//! to escaped HTML. `code`, `**strong**`, `*emphasis*` (or `_emphasis_` between words) and
//! `[text](https://…)` links; everything else as written, raw HTML as text.
//!
//! Written here rather than with the markdown stage's parser because the browser must render
//! the same from the verified line to check what a page shows (`static/js/ledger-verify.js`,
//! `noteParts`): a run page's summaries are read again from their signed lines, and a full
//! CommonMark parser has no twin small enough to ship there. The two are kept equal by a
//! shared corpus (`tests/fixtures/ledger/notes.json`). The rules are simple on purpose: each
//! span is one delimiter to its first match, with no nesting, and any position is the same in
//! both languages (the delimiters are ASCII, whitespace and word characters are ASCII).

use crate::text::escape_html;

/// One piece of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part<'a> {
    Text(&'a str),
    Code(&'a str),
    Strong(&'a str),
    Emphasis(&'a str),
    Link { text: &'a str, href: &'a str },
}

/// The pieces of `s`, in order; adjacent text is not merged (see [`html`]).
pub(crate) fn parts(s: &str) -> Vec<Part<'_>> {
    let b = s.as_bytes();
    let mut out = vec![];
    let (mut i, mut text) = (0, 0);
    while i < b.len() {
        let found = match b[i] {
            b'`' => find(s, i + 1, "`")
                .filter(|&j| j > i + 1)
                .map(|j| (Part::Code(&s[i + 1..j]), j + 1)),
            b'*' if s[i..].starts_with("**") => find(s, i + 2, "**")
                .filter(|&j| spanned(b, i + 2, j))
                .map(|j| (Part::Strong(&s[i + 2..j]), j + 2)),
            b'*' => find(s, i + 1, "*")
                .filter(|&j| spanned(b, i + 1, j))
                .map(|j| (Part::Emphasis(&s[i + 1..j]), j + 1)),
            // Between words only: `model_run_1` stays as written.
            b'_' if i == 0 || !b[i - 1].is_ascii_alphanumeric() => find(s, i + 1, "_")
                .filter(|&j| spanned(b, i + 1, j))
                .filter(|&j| b.get(j + 1).is_none_or(|c| !c.is_ascii_alphanumeric()))
                .map(|j| (Part::Emphasis(&s[i + 1..j]), j + 1)),
            b'[' => link(s, i),
            _ => None,
        };
        match found {
            Some((part, next)) => {
                if text < i {
                    out.push(Part::Text(&s[text..i]));
                }
                out.push(part);
                i = next;
                text = next;
            }
            None => i += 1,
        }
    }
    if text < b.len() {
        out.push(Part::Text(&s[text..]));
    }
    out
}

/// `[text](http(s)://…)` at `i`: its part and where the text after it starts.
fn link(s: &str, i: usize) -> Option<(Part<'_>, usize)> {
    let close = find(s, i + 1, "](")?;
    let text = &s[i + 1..close];
    let end = find(s, close + 2, ")")?;
    let href = &s[close + 2..end];
    let web = href.starts_with("https://") || href.starts_with("http://");
    let plain = |t: &str| {
        !t.bytes()
            .any(|c| c.is_ascii_whitespace() || c == b'[' || c == b']')
    };
    (web && !text.is_empty() && !text.contains(['[', ']']) && plain(href))
        .then_some((Part::Link { text, href }, end + 1))
}

/// Whether `from..to` is a span's content: not empty, and neither starting nor ending with
/// whitespace.
fn spanned(b: &[u8], from: usize, to: usize) -> bool {
    to > from && !b[from].is_ascii_whitespace() && !b[to - 1].is_ascii_whitespace()
}

/// The first `pat` in `s` at or after `from`.
fn find(s: &str, from: usize, pat: &str) -> Option<usize> {
    s.get(from..)?.find(pat).map(|j| from + j)
}

/// The note as HTML: each piece escaped, in its element.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for p in parts(s) {
        match p {
            Part::Text(t) => out.push_str(&escape_html(t)),
            Part::Code(t) => wrap(&mut out, "code", t),
            Part::Strong(t) => wrap(&mut out, "strong", t),
            Part::Emphasis(t) => wrap(&mut out, "em", t),
            Part::Link { text, href } => {
                out.push_str("<a href=\"");
                out.push_str(&escape_html(href));
                out.push_str("\">");
                out.push_str(&escape_html(text));
                out.push_str("</a>");
            }
        }
    }
    out
}

fn wrap(out: &mut String, tag: &str, text: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    out.push_str(&escape_html(text));
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The corpus the browser's renderer is checked against too.
    const CORPUS: &str = include_str!("../../tests/fixtures/ledger/notes.json");

    #[test]
    fn notes_render_as_the_shared_corpus_says() {
        let cases: Vec<serde_json::Value> = serde_json::from_str(CORPUS).unwrap();
        assert!(cases.len() >= 20);
        for case in cases {
            let text = case["text"].as_str().unwrap();
            assert_eq!(html(text), case["html"].as_str().unwrap(), "{text:?}");
        }
    }

    #[test]
    fn every_piece_is_found_and_nothing_is_lost() {
        assert_eq!(
            parts("a `b` **c** *d* _e_ [f](https://g.example/h) i"),
            [
                Part::Text("a "),
                Part::Code("b"),
                Part::Text(" "),
                Part::Strong("c"),
                Part::Text(" "),
                Part::Emphasis("d"),
                Part::Text(" "),
                Part::Emphasis("e"),
                Part::Text(" "),
                Part::Link {
                    text: "f",
                    href: "https://g.example/h"
                },
                Part::Text(" i"),
            ]
        );
    }
}
