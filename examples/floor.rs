//! The floor of the performance benchmark: what our libraries allow, with nothing of ours.
//!
//! Reads every markdown file under `DIR/content`, drops its front matter, turns it into HTML with
//! pulldown-cmark (the same extensions as a build), highlights fenced code with syntect (the same
//! syntax set and class style), and writes `OUT/<path>.html`, in parallel. No templates, no links
//! checked, no minifying. `bench/compare.py` runs it beside the full build.
//!
//! usage: cargo run --release --example floor -- DIR OUT [--no-highlight]

// A benchmark program: it prints its count and usage itself, and stops at the first I/O error.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use rayon::prelude::*;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn highlight(lang: &str, code: &str) -> String {
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_token(lang)
        .unwrap_or_else(|| set.find_syntax_plain_text());
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        set,
        ClassStyle::SpacedPrefixed { prefix: "z-" },
    );
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            break;
        }
    }
    format!("<pre><code>{}</code></pre>", generator.finalize())
}

fn body(text: &str) -> &str {
    text.strip_prefix("+++")
        .and_then(|rest| rest.find("\n+++").map(|end| &rest[end + 4..]))
        .unwrap_or(text)
}

fn render(markdown: &str, highlighting: bool) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut events = Vec::new();
    let mut code: Option<(String, String)> = None;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if highlighting => {
                code = Some((lang.to_string(), String::new()));
            }
            Event::Text(text) if code.is_some() => {
                if let Some((_, buffer)) = code.as_mut() {
                    buffer.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) if code.is_some() => {
                if let Some((lang, buffer)) = code.take() {
                    events.push(Event::Html(highlight(&lang, &buffer).into()));
                }
            }
            e => events.push(e),
        }
    }
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let highlighting = !args.iter().any(|a| a == "--no-highlight");
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [dir, out] = paths.as_slice() else {
        eprintln!("usage: floor DIR OUT [--no-highlight]");
        std::process::exit(2);
    };
    let content = Path::new(dir.as_str()).join("content");
    let files: Vec<PathBuf> = walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    files.par_iter().for_each(|path| {
        let text = std::fs::read_to_string(path).expect("read a page");
        let html = render(body(&text), highlighting);
        let rel = path.strip_prefix(&content).expect("under content");
        let target = Path::new(out.as_str()).join(rel).with_extension("html");
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("make a folder");
        }
        std::fs::write(&target, html).expect("write a page");
    });
    println!("{} pages", files.len());
}
