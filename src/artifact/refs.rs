//! `artifact:<id>@<version>` written anywhere in content (front matter, shortcode arguments,
//! text) is resolved like a record's own links, so no page cites a record that is not there.

use std::collections::HashSet;
use std::sync::Arc;

use super::Artifact;
use super::integrity::{Citing, resolve_reference};
use crate::diagnostic::{Diagnostics, SourceText};

const PREFIX: &str = "artifact:";

/// Every `artifact:` reference in `files`, resolved. `records` names every record folder, so a
/// record that was itself reported broken is not reported again through its citations.
pub(crate) fn in_content<'a>(
    files: impl IntoIterator<Item = &'a Arc<SourceText>>,
    artifacts: &[Artifact],
    records: &HashSet<String>,
) -> Diagnostics {
    let mut ds = Diagnostics::new();
    for source in files {
        for (start, text) in references(&source.text) {
            let citing = Citing {
                source,
                span: start..start + text.len(),
                id: None,
                rel: None,
            };
            resolve_reference(&citing, text, artifacts, records, &mut ds);
        }
    }
    ds
}

/// `(offset, "artifact:id@version")` for each reference in a text. The token runs over the
/// characters ids and versions use; a full stop ending a sentence is not part of it.
fn references(text: &str) -> Vec<(usize, &str)> {
    let mut out = vec![];
    let mut from = 0;
    while let Some(found) = text[from..].find(PREFIX) {
        let start = from + found;
        let rest = &text[start + PREFIX.len()..];
        let len = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+'))
            })
            .unwrap_or(rest.len());
        let token = rest[..len].trim_end_matches('.');
        let preceded_by_word = text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !token.is_empty() && !preceded_by_word {
            out.push((start, &text[start..start + PREFIX.len() + token.len()]));
        }
        from = start + PREFIX.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_in_text_and_arguments() {
        let t = "See artifact:eval-suite@0.1.0. Also {{ artifact(ref=\"artifact:memo@1.0.0-rc.1\") }} and myartifact:x@1 and artifact:<id>@<version>.";
        let refs: Vec<&str> = references(t).into_iter().map(|(_, r)| r).collect();
        assert_eq!(
            refs,
            ["artifact:eval-suite@0.1.0", "artifact:memo@1.0.0-rc.1"]
        );
        assert_eq!(&t[references(t)[0].0..][..9], "artifact:");
    }

    #[test]
    fn malformed_reference_is_reported_at_its_place() {
        let src = SourceText::new(
            "content/a.md",
            "+++\ntitle = \"A\"\n[extra]\ncites = \"artifact:eval-suite\"\n+++\n",
        );
        let ds = in_content([&src], &[], &HashSet::new());
        let d = ds.iter().next().unwrap();
        assert_eq!(
            d.message,
            "malformed artifact reference `artifact:eval-suite`"
        );
        assert_eq!(d.line_col(), Some((4, 10)));
    }

    #[test]
    fn dangling_reference_in_a_page_is_an_error_and_a_broken_record_is_not_reported_twice() {
        let src = SourceText::new("content/a.md", "cites artifact:nope@0.1.0\n");
        let ds = in_content([&src], &[], &HashSet::new());
        assert_eq!(
            ds.iter().next().unwrap().message,
            "dangling reference `artifact:nope@0.1.0`"
        );
        let known: HashSet<String> = ["nope".to_owned()].into();
        assert!(in_content([&src], &[], &known).is_empty());
    }
}
