//! The sections every report has, checked as markdown headings of level 2 or deeper (level 1 is
//! the title), in any order, compared without regard to case or repeated spaces. A heading close
//! to a missing section's name is reported at its place with a did-you-mean.

use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};

/// The required sections, in the order the template uses.
pub const REQUIRED: [&str; 9] = [
    "Summary",
    "Impact",
    "Context and expectation",
    "Timeline",
    "Analysis",
    "Resolution",
    "Evidence and reproduction",
    "Action items",
    "Lessons",
];

fn normalize(title: &str) -> String {
    title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Checks the headings of `source.text[body]`.
pub(crate) fn check(source: &Arc<SourceText>, body: Range<usize>) -> Diagnostics {
    let mut ds = Diagnostics::new();
    let text = &source.text[body.clone()];
    // Spans of the heading lines, without the line break.
    let headings: Vec<(u8, String, Range<usize>)> = crate::text::markdown::headings(text)
        .into_iter()
        .map(|(level, title, r)| {
            let line = text[r.clone()].trim_end();
            (
                level,
                normalize(&title),
                body.start + r.start..body.start + r.start + line.len(),
            )
        })
        .collect();
    let required: Vec<String> = REQUIRED.iter().map(|r| normalize(r)).collect();
    let candidates: Vec<&str> = required.iter().map(String::as_str).collect();
    let mut used = vec![false; headings.len()];
    let mut missing = vec![];
    for (name, wanted) in REQUIRED.iter().zip(&required) {
        match headings.iter().position(|(_, t, _)| t == wanted) {
            Some(i) if headings[i].0 >= 2 => used[i] = true,
            Some(i) => {
                used[i] = true;
                ds.push(
                    Diagnostic::error(format!(
                        "section `{name}` must be a heading of level 2 or deeper"
                    ))
                    .at(source, headings[i].2.clone())
                    .label("level 1 is the title")
                    .help(format!("write `## {name}`")),
                );
            }
            None => missing.push((*name, wanted.as_str())),
        }
    }
    let list = REQUIRED.join(", ");
    for (name, wanted) in missing {
        // A heading that is no required section and is nearest to this one: a typo.
        let near = headings.iter().enumerate().find(|(i, (_, t, _))| {
            !used[*i] && crate::text::did_you_mean(t, &candidates) == Some(wanted)
        });
        let d = Diagnostic::error(format!("failure report is missing the section `{name}`"));
        ds.push(match near {
            Some((i, (_, _, span))) => {
                used[i] = true;
                d.at(source, span.clone())
                    .label("not a required section")
                    .help(format!("did you mean `{name}`?"))
            }
            None => d.in_file(source.path.clone()).help(format!(
                "a report has the sections {list}, as `##` headings"
            )),
        });
    }
    ds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_but(skip: &str, extra: &str) -> String {
        let mut s = String::from("# Title\n\n");
        s.extend(
            REQUIRED
                .iter()
                .filter(|r| **r != skip)
                .map(|r| format!("## {r}\n\ntext\n\n")),
        );
        s.push_str(extra);
        s
    }

    /// Message, line and column, help.
    type Found = (String, Option<(usize, usize)>, Option<String>);

    fn run(text: &str) -> Vec<Found> {
        let src = SourceText::new("artifacts/failures/x.md", text);
        check(&src, 0..text.len())
            .iter()
            .map(|d| (d.message.clone(), d.line_col(), d.help.clone()))
            .collect()
    }

    #[test]
    fn every_section_present_in_any_order_and_case_passes() {
        let mut text = all_but("Summary", "");
        text.push_str("### SUMMARY\n");
        assert!(run(&text).is_empty());
    }

    #[test]
    fn missing_section_is_named_with_the_full_list() {
        let out = run(&all_but("Timeline", ""));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, "failure report is missing the section `Timeline`");
        assert_eq!(out[0].1, None);
        assert_eq!(
            out[0].2.as_deref(),
            Some(
                "a report has the sections Summary, Impact, Context and expectation, Timeline, Analysis, Resolution, Evidence and reproduction, Action items, Lessons, as `##` headings"
            )
        );
    }

    #[test]
    fn near_miss_points_at_the_heading() {
        let text = all_but("Lessons", "## Lesons learnt\n");
        let out = run(&text);
        // "lesons learnt" is too far from "lessons" for a typo: the section is just missing.
        assert_eq!(out[0].1, None);
        let text = all_but("Lessons", "## Lesson\n");
        let out = run(&text);
        assert_eq!(out[0].0, "failure report is missing the section `Lessons`");
        assert_eq!(out[0].1, Some((35, 1)));
        assert_eq!(out[0].2.as_deref(), Some("did you mean `Lessons`?"));
    }

    #[test]
    fn a_level_one_section_is_refused() {
        let text = all_but("Impact", "# Impact\n");
        let out = run(&text);
        assert_eq!(
            out[0].0,
            "section `Impact` must be a heading of level 2 or deeper"
        );
        assert_eq!(out[0].2.as_deref(), Some("write `## Impact`"));
    }
}
