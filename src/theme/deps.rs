//! Which templates a template edit reaches: the edited ones and those that extend or include
//! them, for a serve session to re-render only the outputs that use one.
//!
//! Tera keeps what a template extends and includes to itself, so the tags are read here from
//! the text, erring on the side of too many: a tag inside a comment or a `raw` block counts
//! too. Components are the exception: Tera finds them by name across every template, so an
//! edit of a template that defines one (before or after) reaches every template.

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
