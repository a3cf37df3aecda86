use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::config::{self, Overrides};
use crate::front_matter::FrontMatter;
use crate::text::markdown::{first_heading, untrusted};

struct Fake;

impl Shortcodes for Fake {
    fn names(&self) -> Vec<String> {
        vec!["card".into(), "note".into()]
    }

    fn render(&self, call: &ShortcodeCall<'_>) -> Result<String, Diagnostic> {
        let args = serde_json::to_string(call.args).unwrap();
        Ok(match call.body {
            Some(body) => format!(
                "<div class=\"{}\" data-args='{args}' data-nth=\"{}\">{body}</div>",
                call.name, call.nth
            ),
            None => format!("<span class=\"{}\" data-args='{args}'></span>", call.name),
        })
    }
}

fn config() -> Config {
    config::parse(
        Path::new("/s"),
        "title = \"T\"\nbase_url = \"https://e.org\"\n",
        &Overrides::default(),
    )
    .unwrap()
}

fn render_with(text: &str, title: Option<&str>, urls: &[(&str, &str)]) -> (Content, Diagnostics) {
    let config = config();
    let urls: BTreeMap<String, String> = urls
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    let assets = crate::fingerprint::Assets::default();
    let env = Env::new(&config, &urls, &Fake, &assets);
    let doc = Document {
        rel: "blog/post.md".into(),
        source: SourceText::new("content/blog/post.md", text),
        body: 0..text.len(),
        meta: std::sync::Arc::new(FrontMatter {
            title: title.map(str::to_owned),
            ..FrontMatter::default()
        }),
        title: String::new(),
        url: "/blog/post/".into(),
        content: Content::default(),
    };
    document(&doc, &env)
}

fn html(text: &str) -> String {
    let (c, ds) = render_with(text, Some("T"), &[]);
    assert!(ds.is_empty(), "{ds:?}");
    c.html.unpack()
}

#[test]
fn headings_get_unique_ids_anchors_and_a_nested_toc() {
    let (c, _) = render_with(
        "## Intro\n\n### Deep `code`\n\n## Intro\n\n## Custom {#mine}\n",
        Some("T"),
        &[],
    );
    assert!(c.html.unpack().contains("<h2 id=\"intro\">Intro <a class=\"anchor\" href=\"#intro\" aria-label=\"Link to this section: Intro\">#</a></h2>"), "{}", c.html.unpack());
    assert!(c.html.unpack().contains("<h2 id=\"intro-1\">"));
    assert!(c.html.unpack().contains("<h2 id=\"mine\">"));
    assert_eq!(c.toc.len(), 3);
    assert_eq!(c.toc[0].children[0].id, "deep-code");
    assert_eq!(c.anchors, ["intro", "deep-code", "intro-1", "mine"]);
}

#[test]
fn first_heading_becomes_the_title_and_leaves_the_body() {
    let (c, _) = render_with("# The Title\n\nText\n\n# Second\n", None, &[]);
    assert!(
        !c.html.unpack().contains("The Title"),
        "{}",
        c.html.unpack()
    );
    assert!(c.html.unpack().contains("<h1 id=\"second\">"));
    assert_eq!(
        first_heading("intro\n\n# The *Title*\n").as_deref(),
        Some("The Title")
    );
}

#[test]
fn content_links_are_rewritten_to_urls() {
    let urls = [
        ("roadmap.md", "/roadmap/"),
        ("blog/other.md", "/blog/other/"),
    ];
    let (c, ds) = render_with(
        "[a](@/roadmap.md#phase-1) [b](other.md) [c](../roadmap.md) [d](https://x.org/a.md)",
        Some("T"),
        &urls,
    );
    assert!(ds.is_empty(), "{ds:?}");
    assert!(
        c.html.unpack().contains("href=\"/roadmap/#phase-1\""),
        "{}",
        c.html.unpack()
    );
    assert!(c.html.unpack().contains("href=\"/blog/other/\""));
    assert!(c.html.unpack().contains("href=\"/roadmap/\""));
    assert!(c.html.unpack().contains("href=\"https://x.org/a.md\""));
    assert_eq!(
        c.links[0],
        InternalLink {
            path: "/roadmap/".into(),
            anchor: Some("phase-1".into()),
            span: 0..25,
            relative: None,
        }
    );
}

#[test]
fn broken_content_link_points_at_the_link() {
    let (_, ds) = render_with(
        "text\n\nsee [here](@/nope.md) now",
        Some("T"),
        &[("nope2.md", "/x/")],
    );
    let d = ds.iter().next().unwrap();
    assert_eq!(
        d.message,
        "broken link: `@/nope.md` points to `content/nope.md`, which does not exist"
    );
    assert_eq!(d.line_col(), Some((3, 5)));
    assert_eq!(d.help.as_deref(), Some("did you mean `nope2.md`?"));
}

#[test]
fn relative_links_are_recorded_for_the_site_wide_check() {
    let (c, _) = render_with(
        "[x](../../s001/p1/) [y](#top) ![i](img.png)",
        Some("T"),
        &[],
    );
    let paths: Vec<_> = c
        .links
        .iter()
        .map(|l| (l.path.as_str(), l.anchor.as_deref()))
        .collect();
    assert_eq!(
        paths,
        [
            ("/s001/p1/", None),
            ("/blog/post/", Some("top")),
            ("/blog/post/img.png", None)
        ]
    );
}

#[test]
fn summary_is_what_comes_before_more() {
    let (c, _) = render_with("First.\n\n<!-- more -->\n\nSecond.", Some("T"), &[]);
    assert_eq!(c.summary.as_deref(), Some("<p>First.</p>\n"));
}

#[test]
fn shortcodes_render_inline_and_as_blocks() {
    let out = html(
        "Hi {{ card(n=1) }} there.\n\n{% note(kind=\"x\") %}\n**bold** body\n{% end %}\n\nafter",
    );
    assert!(
        out.contains("<p>Hi <span class=\"card\" data-args='{\"n\":1}'></span> there.</p>"),
        "{out}"
    );
    assert!(out.contains("<div class=\"note\" data-args='{\"kind\":\"x\"}' data-nth=\"1\"><p><strong>bold</strong> body</p>\n</div>"), "{out}");
    assert!(!out.contains("<p><div"), "{out}");
}

#[test]
fn many_calls_each_land_in_their_place_in_order() {
    let text: String = (0..120)
        .map(|i| {
            if i % 3 == 0 {
                format!("{{{{ card(n={i}) }}}}\n\n")
            } else if i % 3 == 1 {
                format!("Call {i}: {{{{ card(n={i}) }}}} inline.\n\n")
            } else {
                format!("{{% note(n={i}) %}}\nbody {i} {{{{ card(n={i}) }}}}\n{{% end %}}\n\n")
            }
        })
        .collect();
    let out = html(&text);
    let expected: String = (0..120)
        .map(|i| {
            let card = format!("<span class=\"card\" data-args='{{\"n\":{i}}}'></span>");
            match i % 3 {
                0 => card,
                1 => format!("<p>Call {i}: {card} inline.</p>\n"),
                _ => format!(
                    "<div class=\"note\" data-args='{{\"n\":{i}}}' data-nth=\"{}\"><p>body {i} {card}</p>\n</div>",
                    i / 3 + 1
                ),
            }
        })
        .collect();
    assert_eq!(out.replace('\n', ""), expected.replace('\n', ""));
}

#[test]
fn a_call_alone_in_its_paragraph_replaces_the_paragraph_even_after_inline_ones() {
    assert_eq!(
        html("a {{ card(n=1) }} b\n\n{{ card(n=2) }}\n\nc"),
        "<p>a <span class=\"card\" data-args='{\"n\":1}'></span> b</p>\n\
         <span class=\"card\" data-args='{\"n\":2}'></span>\n\
         <p>c</p>\n"
    );
    // The placeholder's mark in the text, by itself or with digits after it, stays as written.
    assert_eq!(
        html("x \u{E000}7 \u{E000} {{ card(n=3) }}"),
        "<p>x \u{E000}7 \u{E000} <span class=\"card\" data-args='{\"n\":3}'></span></p>\n"
    );
}

#[test]
fn escaped_and_code_shortcodes_stay_literal() {
    let out = html("{{/* card(n=1) */}}\n\n`{{ card() }}`\n\n```\n{% note() %}\n```\n");
    assert!(out.contains("<p>{{ card(n=1) }}</p>"), "{out}");
    assert!(out.contains("<code>{{ card() }}</code>"), "{out}");
    assert!(out.contains("{% note() %}"), "{out}");
}

#[test]
fn unknown_shortcode_suggests_a_name() {
    let (_, ds) = render_with("x\n{{ crad(n=1) }}", Some("T"), &[]);
    let d = ds.iter().next().unwrap();
    assert_eq!(d.message, "unknown shortcode `crad`");
    assert_eq!(d.line_col(), Some((2, 1)));
    assert_eq!(d.help.as_deref(), Some("did you mean `card`?"));
}

#[test]
fn spans_after_a_shortcode_still_point_into_the_file() {
    let text = "{% note() %}\nbody\n\nmore body\n{% end %}\n\n[bad](@/missing.md)\n";
    let (_, ds) = render_with(text, Some("T"), &[]);
    assert_eq!(ds.iter().next().unwrap().line_col(), Some((7, 1)));
    // Inside a block's body too.
    let text = "{% note() %}\nline\n[bad](@/missing.md)\n{% end %}\n";
    let (_, ds) = render_with(text, Some("T"), &[]);
    assert_eq!(ds.iter().next().unwrap().line_col(), Some((3, 1)));
}

#[test]
fn untrusted_text_never_becomes_markup() {
    let out = untrusted("<script>alert(1)</script>\n\n**ok** <b onclick=x>");
    assert!(!out.contains("<script>") && !out.contains("<b "), "{out}");
    assert!(
        out.contains("&lt;script&gt;") && out.contains("<strong>ok</strong>"),
        "{out}"
    );
}

#[test]
fn tables_footnotes_tasks_and_strikethrough_are_on() {
    let out = html("| a |\n|---|\n| 1 |\n\n- [x] done\n\n~~old~~ note[^1]\n\n[^1]: the note\n");
    for want in [
        "<table>",
        "type=\"checkbox\"",
        "<del>old</del>",
        "footnote-definition",
    ] {
        assert!(out.contains(want), "{want} in {out}");
    }
}

#[test]
fn table_alignment_is_a_class_not_an_inline_style() {
    let out = html("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n");
    assert!(!out.contains("style="), "{out}");
    for side in ["left", "center", "right"] {
        assert!(
            out.contains(&format!("<td class=\"align-{side}\">")),
            "{out}"
        );
    }
}
