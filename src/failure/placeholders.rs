//! The template's guidance left in a report. `new failure` and the published template
//! (`artifacts/failure-report-template/`) start a report from `template.md`; its prose values
//! (`title`, `hypothesis`, `outcome`, each action's `what` and `owner`, `authors`) and every
//! line of guidance in its body are placeholders. A draft may keep them while it is written; a
//! published report (`published`, `amended`, `retracted`) may not: each one left is an error at
//! its place.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::front_matter;

/// The report template, as `new failure` writes it.
pub const TEMPLATE: &str = include_str!("template.md");

/// What the template says that a report has to replace.
struct Placeholders {
    /// Prose values of the front matter.
    values: HashSet<String>,
    /// Lines of guidance in the body, trimmed.
    lines: HashSet<String>,
}

static PLACEHOLDERS: LazyLock<Placeholders> = LazyLock::new(|| {
    let split = front_matter::split(TEMPLATE).expect("the template has front matter");
    let doc = toml_edit::Document::parse(TEMPLATE[split.front.clone()].to_owned())
        .expect("the template's front matter parses");
    let mut values = HashSet::new();
    let mut strings = vec![];
    for (key, item) in doc.as_table() {
        if ["title", "hypothesis", "outcome", "authors"].contains(&key) {
            strings_in(item, &mut strings);
        }
    }
    if let Some(actions) = doc
        .get("actions")
        .and_then(toml_edit::Item::as_array_of_tables)
    {
        for action in actions {
            for key in ["what", "owner"] {
                if let Some(item) = action.get(key) {
                    strings_in(item, &mut strings);
                }
            }
        }
    }
    values.extend(strings.into_iter().map(|(s, _)| s));
    let lines = TEMPLATE[split.body]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    Placeholders { values, lines }
});

/// Every string in `item` (arrays and tables included) with its span in the front matter.
fn strings_in(item: &toml_edit::Item, out: &mut Vec<(String, Range<usize>)>) {
    match item {
        toml_edit::Item::Value(v) => value_strings(v, out),
        toml_edit::Item::Table(t) => t.iter().for_each(|(_, i)| strings_in(i, out)),
        toml_edit::Item::ArrayOfTables(a) => a
            .iter()
            .for_each(|t| t.iter().for_each(|(_, i)| strings_in(i, out))),
        toml_edit::Item::None => {}
    }
}

fn value_strings(value: &toml_edit::Value, out: &mut Vec<(String, Range<usize>)>) {
    match value {
        toml_edit::Value::String(s) => {
            if let Some(span) = s.span() {
                out.push((s.value().clone(), span));
            }
        }
        toml_edit::Value::Array(a) => a.iter().for_each(|v| value_strings(v, out)),
        toml_edit::Value::InlineTable(t) => t.iter().for_each(|(_, v)| value_strings(v, out)),
        _ => {}
    }
}

/// The placeholders left in a published report: its front matter (`front`) and body (`body`)
/// ranges of `source`.
pub(super) fn check(
    source: &Arc<SourceText>,
    front: Range<usize>,
    body: Range<usize>,
) -> Diagnostics {
    let known = &*PLACEHOLDERS;
    let mut ds = Diagnostics::new();
    let left = |span: Range<usize>| {
        Diagnostic::error("placeholder text from the template in a published report")
            .at(source, span)
            .label("the template's guidance, left as it was")
            .help("replace it with this report's own text (a `draft` may keep it while it is written)")
    };
    if let Ok(doc) = toml_edit::Document::parse(source.text[front.clone()].to_owned()) {
        let mut strings = vec![];
        for (_, item) in doc.as_table() {
            strings_in(item, &mut strings);
        }
        for (value, span) in strings {
            if known.values.contains(&value) {
                ds.push(left(front.start + span.start..front.start + span.end));
            }
        }
    }
    let mut at = body.start;
    for line in source.text[body].split_inclusive('\n') {
        let trimmed = line.trim();
        if !trimmed.is_empty() && known.lines.contains(trimmed) {
            let start = at + (line.len() - line.trim_start().len());
            ds.push(left(start..start + trimmed.len()));
        }
        at += line.len();
    }
    ds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_names_its_prose_and_guidance_as_placeholders() {
        let p = &*PLACEHOLDERS;
        assert!(p.values.contains("What failed, in a few words"));
        assert!(p.values.contains("Your Name"));
        assert!(
            p.values
                .contains("One concrete thing to do, with a checkable end.")
        );
        assert!(!p.values.contains("ancapex.failure-report/1"), "not prose");
        assert!(p.lines.contains("Why it happened: the chain of causes, with evidence for each link, and what is still unknown."));
        assert!(
            !p.lines.iter().any(|l| l.starts_with("##")),
            "headings stay"
        );
    }
}
