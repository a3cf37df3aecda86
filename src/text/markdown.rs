//! Markdown read without the site: a contributor's text rendered safely, a page's first
//! heading and every heading of a text. Plain functions of pulldown-cmark, a shared leaf, so
//! that `parse`, records and the theme use them without the markdown stage.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Renders a contributor's text (artifact summaries, claims, template filters): raw HTML is
/// shown as text, never kept, so contributed text can never become markup.
pub(crate) fn untrusted(text: &str) -> String {
    let events = Parser::new_ext(text, options(false)).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        e => e,
    });
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The text of the first `# ` heading, used as the title when the front matter has none.
pub(crate) fn first_heading(body: &str) -> Option<String> {
    let mut inside = false;
    let mut title = String::new();
    for event in Parser::new_ext(body, options(false)) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => inside = true,
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => return Some(title.trim().to_owned()),
            Event::Text(t) | Event::Code(t) if inside => title.push_str(&t),
            _ => {}
        }
    }
    None
}

/// Every heading of a markdown text: its level, its text and its byte range in `body`.
pub(crate) fn headings(body: &str) -> Vec<(u8, String, Range<usize>)> {
    let mut out = vec![];
    let mut open: Option<(u8, String, Range<usize>)> = None;
    for (event, range) in Parser::new_ext(body, options(false)).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                open = Some((level as u8, String::new(), range));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, title, range)) = open.take() {
                    out.push((level, title.trim().to_owned(), range));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, title, _)) = open.as_mut() {
                    title.push_str(&t);
                }
            }
            _ => {}
        }
    }
    out
}

pub(crate) fn options(smart_punctuation: bool) -> Options {
    let mut o = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    if smart_punctuation {
        o |= Options::ENABLE_SMART_PUNCTUATION;
    }
    o
}
