//! Which templates a template edit reaches: the edited ones and those that extend or include
//! them, for a serve session to re-render only the outputs that use one.
//!
//! Tera keeps what a template extends and includes to itself, so the tags are read here from
//! the text, erring on the side of too many: a tag inside a comment or a `raw` block counts
//! too. Components are the exception: Tera finds them by name across every template, so an
//! edit of a template that defines one (before or after) reaches every template.
//!
//! The same reading tells which templates read a global value (the views of the records), for
//! a change of records to re-render only the outputs whose templates read them.

use std::collections::{BTreeMap, BTreeSet};

/// The templates whose rendering an edit of `edited` can change: the edited ones and every
/// template that extends or includes one of those, through any number of steps, in either
/// version (`before` or `after`). None when it can change every template.
pub(crate) fn dependents(
    before: &BTreeMap<String, &str>,
    after: &BTreeMap<String, &str>,
    edited: &BTreeSet<String>,
) -> Option<BTreeSet<String>> {
    // Template name to the templates that use it.
    let mut users: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for texts in [before, after] {
        for (name, text) in texts {
            let tags = tags(text);
            if edited.contains(name) && tags.defines_component {
                return None;
            }
            for used in tags.uses {
                users.entry(used).or_default().insert(name);
            }
        }
    }
    let mut reached: BTreeSet<String> = edited.clone();
    let mut todo: Vec<String> = edited.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        for &user in users.get(&name).into_iter().flatten() {
            if reached.insert(user.to_owned()) {
                todo.push(user.to_owned());
            }
        }
    }
    Some(reached)
}

/// The templates whose rendering can read one of the globals `names`: those that name one in
/// a tag (`{{ … }}` or `{% … %}`, outside string literals), and every template that extends or
/// includes one of those, through any number of steps. None when it can be every template (a
/// template that names one defines a component).
pub(crate) fn reading(texts: &BTreeMap<String, &str>, names: &[&str]) -> Option<BTreeSet<String>> {
    let direct: BTreeSet<String> = texts
        .iter()
        .filter(|(_, text)| names_any(text, names))
        .map(|(name, _)| name.clone())
        .collect();
    dependents(texts, texts, &direct)
}

/// Whether a tag of `text` names one of `names`, erring on the side of yes: a field of that
/// name (`page.extra.artifacts`), or a name in a comment inside a tag or in a `raw` block,
/// counts too.
fn names_any(text: &str, names: &[&str]) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        let close = match (b[i], b[i + 1]) {
            (b'{', b'{') => b'}',
            (b'{', b'%') => b'%',
            _ => {
                i += 1;
                continue;
            }
        };
        i += 2;
        while i < b.len() {
            match b[i] {
                quote @ (b'"' | b'\'' | b'`') => {
                    i += 1;
                    while i < b.len() && b[i] != quote {
                        i += 1;
                    }
                    i += 1;
                }
                c if c == close && b.get(i + 1) == Some(&b'}') => {
                    i += 2;
                    break;
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = i;
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                    if names.contains(&&text[start..i]) {
                        return true;
                    }
                }
                _ => i += 1,
            }
        }
    }
    false
}

/// What one template's tags say about it.
#[derive(Debug, Default, PartialEq)]
struct Tags {
    /// The templates it extends or includes.
    uses: Vec<String>,
    /// Whether it defines a component.
    defines_component: bool,
}

/// Reads the `{% extends "…" %}`, `{% include "…" %}` and `{% component … %}` tags of a
/// template's text.
fn tags(text: &str) -> Tags {
    let mut out = Tags::default();
    let mut rest = text;
    while let Some(at) = rest.find("{%") {
        rest = &rest[at + 2..];
        let tag = rest.trim_start_matches('-').trim_start();
        let word_end = tag
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tag.len());
        match &tag[..word_end] {
            "extends" | "include" => {
                if let Some(name) = string(tag[word_end..].trim_start()) {
                    out.uses.push(name.to_owned());
                }
            }
            "component" => out.defines_component = true,
            _ => {}
        }
    }
    out
}

/// The string literal `text` starts with (any of Tera's three quotes), without its quotes.
fn string(text: &str) -> Option<&str> {
    let quote = text
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let body = &text[1..];
    body.find(quote).map(|end| &body[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn map<'a>(templates: &[(&str, &'a str)]) -> BTreeMap<String, &'a str> {
        templates
            .iter()
            .map(|(n, t)| ((*n).to_owned(), *t))
            .collect()
    }

    #[test]
    fn reads_extends_include_and_component_tags_in_every_spelling() {
        let t = tags(
            "{% extends \"base.html\" %}{%- include 'partials/nav.html' -%}\n\
             {%include `x.html`%} {{ \"{% not a tag\" }} {% if a %}{% endif %}",
        );
        assert_eq!(t.uses, ["base.html", "partials/nav.html", "x.html"]);
        assert!(!t.defines_component);
        assert!(tags("{% component card(title) %}x{% endcomponent %}").defines_component);
        // A call is not a definition.
        assert!(!tags("{{ <card title=\"a\" /> }}").defines_component);
        assert_eq!(tags("{% include").uses, Vec::<String>::new());
        assert_eq!(tags("{% include \"unclosed").uses, Vec::<String>::new());
    }

    #[test]
    fn an_edit_reaches_what_extends_or_includes_it_at_any_depth() {
        let templates = map(&[
            ("base.html", "<html>{% block body %}{% endblock %}</html>"),
            (
                "page.html",
                "{% extends \"base.html\" %}{% block body %}{% include \"partials/meta.html\" %}{% endblock %}",
            ),
            ("post.html", "{% extends \"page.html\" %}"),
            ("section.html", "{% extends \"base.html\" %}"),
            ("partials/meta.html", "<p>meta</p>"),
            ("404.html", "<p>not found</p>"),
        ]);
        let reached = |edited: &[&str]| dependents(&templates, &templates, &set(edited)).unwrap();
        assert_eq!(
            reached(&["partials/meta.html"]),
            set(&["partials/meta.html", "page.html", "post.html"])
        );
        assert_eq!(
            reached(&["base.html"]),
            set(&["base.html", "page.html", "post.html", "section.html"])
        );
        assert_eq!(reached(&["404.html"]), set(&["404.html"]));
        assert_eq!(reached(&[]), set(&[]));
    }

    #[test]
    fn a_global_is_read_where_a_tag_names_it_and_by_what_extends_or_includes_that() {
        const NAMES: [&str; 3] = ["artifacts", "artifact_filters", "get_ledger"];
        for (text, reads) in [
            ("{% for a in artifacts %}{{ a.id }}{% endfor %}", true),
            ("{{artifact_filters|length}}", true),
            ("{%- if artifacts -%}x{%- endif -%}", true),
            ("{% set l = get_ledger(name=\"run\") %}", true),
            // Prose and string literals name nothing.
            (
                "<p>artifacts</p>{{ \"the artifacts\" }}{% set d = 'artifacts' %}",
                false,
            ),
            (
                "{{ `artifacts` ~ artifacts_count }}{{ my_artifacts }}",
                false,
            ),
            ("{ artifacts } {# artifacts #} {{ page.title }}", false),
            // A field of that name counts: erring on the side of yes.
            ("{{ page.extra.artifacts }}", true),
            // Unclosed tags and strings end with the text.
            ("{{ \"unclosed", false),
            ("{% if x %}{{ artifacts", true),
        ] {
            assert_eq!(names_any(text, &NAMES), reads, "{text}");
        }
        let templates = map(&[
            (
                "base.html",
                "<title>Pages, artifacts</title>{% block body %}{% endblock %}",
            ),
            (
                "list.html",
                "{% extends \"base.html\" %}{% block body %}{% include \"partials/filters.html\" %}{% endblock %}",
            ),
            (
                "partials/filters.html",
                "{% for f in artifact_filters %}{{ f }}{% endfor %}",
            ),
            ("page.html", "{% extends \"base.html\" %}"),
            (
                "artifact.html",
                "{% extends \"base.html\" %}{{ artifacts | length }}",
            ),
        ]);
        assert_eq!(
            reading(&templates, &NAMES).unwrap(),
            set(&["artifact.html", "list.html", "partials/filters.html"])
        );
        let component = map(&[
            ("page.html", "x"),
            (
                "c.html",
                "{% component c() %}{{ artifacts }}{% endcomponent %}",
            ),
        ]);
        assert_eq!(reading(&component, &NAMES), None);
    }

    #[test]
    fn the_version_before_an_edit_counts_too_and_components_reach_everything() {
        let before = map(&[("page.html", "{% include \"a.html\" %}"), ("a.html", "a")]);
        let after = map(&[("page.html", "no include now"), ("a.html", "a")]);
        // The page is edited and included `a.html` before: an edit of both reaches the page.
        assert_eq!(
            dependents(&before, &after, &set(&["a.html"])).unwrap(),
            set(&["a.html", "page.html"])
        );
        let defines = map(&[
            ("page.html", "x"),
            ("c.html", "{% component c() %}{% endcomponent %}"),
        ]);
        let not_now = map(&[("page.html", "x"), ("c.html", "gone")]);
        assert_eq!(dependents(&defines, &not_now, &set(&["c.html"])), None);
        assert_eq!(dependents(&not_now, &defines, &set(&["c.html"])), None);
        // A template defining a component that is not edited changes nothing.
        assert_eq!(
            dependents(&defines, &defines, &set(&["page.html"])).unwrap(),
            set(&["page.html"])
        );
    }
}
