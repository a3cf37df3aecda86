//! How to cite an artifact: `CITATION.cff` (Citation File Format 1.2.0, what GitHub and Zenodo
//! read) and a BibTeX entry, published beside its page and shown in a cite box on it. Both
//! come from the record alone: title, version, authors (as entities: a record names people
//! and groups by one `name`), the date it was last updated (else created), its licence when
//! that is one SPDX id (CFF takes ids, not expressions), its summary and its page's address.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Artifact, Kind};

/// `CITATION.cff` of `a`, whose page is at `url`; `fallback` (the site's title) is the author
/// when the record names none, as CFF requires one.
pub(crate) fn cff(a: &Artifact, url: &str, fallback: &str) -> String {
    #[derive(Serialize)]
    struct Author<'a> {
        name: &'a str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    struct Citation<'a> {
        cff_version: &'a str,
        message: &'a str,
        #[serde(rename = "type")]
        kind: &'a str,
        title: &'a str,
        version: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        date_released: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        license: Option<&'a str>,
        url: &'a str,
        #[serde(rename = "abstract")]
        summary: &'a str,
        authors: Vec<Author<'a>>,
        keywords: Vec<&'a str>,
    }
    let mut authors: Vec<Author<'_>> = a.authors.iter().map(|p| Author { name: &p.name }).collect();
    if authors.is_empty() {
        authors.push(Author { name: fallback });
    }
    let cff = Citation {
        cff_version: "1.2.0",
        message: "If you use this artifact, please cite it as below.",
        kind: cff_type(a.kind),
        title: &a.title,
        version: &a.version,
        date_released: date(a),
        license: single_spdx(a.license.as_deref()),
        url,
        summary: &a.summary,
        authors,
        keywords: vec!["ancapex", kind_name(a.kind)],
    };
    // Serialising plain strings and lists cannot fail.
    serde_yaml_ng::to_string(&cff).unwrap_or_default()
}

/// The BibTeX entry of `a` (a `@misc`, keyed `ancapex:<id>:<version>`).
pub(crate) fn bibtex(a: &Artifact, url: &str, fallback: &str) -> String {
    let authors: Vec<String> = if a.authors.is_empty() {
        vec![format!("{{{}}}", tex(fallback))]
    } else {
        // Braced: a group's or a person's name as written, never split into first and last.
        a.authors
            .iter()
            .map(|p| format!("{{{}}}", tex(&p.name)))
            .collect()
    };
    let mut out = format!(
        "@misc{{ancapex:{}:{},\n  title = {{{}}},\n  author = {{{}}},\n",
        a.id,
        a.version,
        tex(&a.title),
        authors.join(" and ")
    );
    if let Some(d) = date(a) {
        let _ = writeln!(out, "  year = {{{}}},", &d[..4]);
    }
    let _ = write!(
        out,
        "  version = {{{}}},\n  howpublished = {{\\url{{{url}}}}},\n  url = {{{url}}},\n  note = {{{}, version {}}}\n}}\n",
        tex(&a.version),
        tex(kind_name(a.kind)),
        tex(&a.version)
    );
    out
}

/// The date of the version cited: updated, else created, as `YYYY-MM-DD`.
fn date(a: &Artifact) -> Option<String> {
    a.updated
        .as_ref()
        .or(a.created.as_ref())
        .map(|d| d.as_str().to_owned())
}

/// A licence CFF accepts: one SPDX id, not an expression.
fn single_spdx(license: Option<&str>) -> Option<&str> {
    license.filter(|l| !l.contains(' ') && !l.contains('('))
}

/// CFF's two types: code is software, everything else a data set (reports and memos included:
/// CFF has no type for a document).
fn cff_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Code => "software",
        _ => "dataset",
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Report => "report",
        Kind::DesignMemo => "design memo",
        Kind::Matrix => "matrix",
        Kind::EvalSuite => "evaluation suite",
        Kind::Template => "template",
        Kind::Dataset => "data set",
        Kind::Model => "model",
        Kind::Checkpoint => "checkpoint",
        Kind::Code => "code",
    }
}

/// Text for a BibTeX field: TeX's special characters escaped.
fn tex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tex_specials_are_escaped() {
        assert_eq!(
            tex(r"50% of {x} & $y #1 a_b ^ ~ \"),
            r"50\% of \{x\} \& \$y \#1 a\_b \^{} \~{} \textbackslash{}"
        );
    }

    #[test]
    fn only_a_single_spdx_id_is_a_cff_licence() {
        assert_eq!(single_spdx(Some("CC-BY-4.0")), Some("CC-BY-4.0"));
        assert_eq!(single_spdx(Some("MIT OR Apache-2.0")), None);
        assert_eq!(single_spdx(Some("(MIT)")), None);
        assert_eq!(single_spdx(None), None);
    }
}
