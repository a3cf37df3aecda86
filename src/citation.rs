//! How to cite a work in the two forms citation managers read: `CITATION.cff` (Citation File
//! Format 1.2.0, what GitHub and Zenodo read) and a BibTeX `@misc` entry. An artifact's
//! citation (`artifact::cite`) and the site's (`render`) are both written here, from plain
//! data; each says what it fills in.

use std::fmt::Write as _;

use serde::Serialize;

/// What a citation says of a work.
pub(crate) struct Work<'a> {
    /// The BibTeX key.
    pub(crate) key: String,
    /// CFF's type: `software` or `dataset`.
    pub(crate) cff_type: &'static str,
    /// CFF's `message`: what to do with the citation.
    pub(crate) message: &'a str,
    pub(crate) title: &'a str,
    pub(crate) version: Option<&'a str>,
    /// `YYYY-MM-DD`.
    pub(crate) date: Option<String>,
    /// One SPDX id (CFF takes ids, not expressions).
    pub(crate) license: Option<&'a str>,
    pub(crate) url: &'a str,
    pub(crate) summary: &'a str,
    /// Names, each cited as an entity (a person or a group, as written).
    pub(crate) authors: Vec<&'a str>,
    pub(crate) keywords: Vec<&'a str>,
    /// BibTeX's `note`.
    pub(crate) note: String,
}

/// `CITATION.cff` of `w`.
pub(crate) fn cff(w: &Work<'_>) -> String {
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
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        date_released: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        license: Option<&'a str>,
        url: &'a str,
        #[serde(rename = "abstract")]
        summary: &'a str,
        authors: Vec<Author<'a>>,
        keywords: &'a [&'a str],
    }
    let cff = Citation {
        cff_version: "1.2.0",
        message: w.message,
        kind: w.cff_type,
        title: w.title,
        version: w.version,
        date_released: w.date.as_deref(),
        license: w.license,
        url: w.url,
        summary: w.summary,
        authors: w.authors.iter().map(|name| Author { name }).collect(),
        keywords: &w.keywords,
    };
    // Serialising plain strings and lists cannot fail.
    serde_yaml_ng::to_string(&cff).unwrap_or_default()
}

/// The BibTeX entry of `w`: each author braced, a name as written and never split into first
/// and last.
pub(crate) fn bibtex(w: &Work<'_>) -> String {
    let authors: Vec<String> = w
        .authors
        .iter()
        .map(|name| format!("{{{}}}", tex(name)))
        .collect();
    let mut out = format!(
        "@misc{{{},\n  title = {{{}}},\n  author = {{{}}},\n",
        w.key,
        tex(w.title),
        authors.join(" and ")
    );
    if let Some(year) = w.date.as_deref().and_then(|d| d.get(..4)) {
        let _ = writeln!(out, "  year = {{{year}}},");
    }
    if let Some(version) = w.version {
        let _ = writeln!(out, "  version = {{{}}},", tex(version));
    }
    let _ = write!(
        out,
        "  howpublished = {{\\url{{{url}}}}},\n  url = {{{url}}},\n  note = {{{}}}\n}}\n",
        tex(&w.note),
        url = w.url,
    );
    out
}

/// A licence CFF accepts: one SPDX id, not an expression.
pub(crate) fn single_spdx(license: Option<&str>) -> Option<&str> {
    license.filter(|l| !l.contains(' ') && !l.contains('('))
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

    #[test]
    fn a_work_without_version_or_date_leaves_them_out() {
        let w = Work {
            key: "k".into(),
            cff_type: "dataset",
            message: "Cite it.",
            title: "A_b",
            version: None,
            date: None,
            license: None,
            url: "https://lab.example",
            summary: "s",
            authors: vec!["Lab & Co"],
            keywords: vec!["x"],
            note: "records".into(),
        };
        assert_eq!(
            bibtex(&w),
            "@misc{k,\n  title = {A\\_b},\n  author = {{Lab \\& Co}},\n  howpublished = {\\url{https://lab.example}},\n  url = {https://lab.example},\n  note = {records}\n}\n"
        );
        assert_eq!(
            cff(&w),
            "cff-version: 1.2.0\nmessage: Cite it.\ntype: dataset\ntitle: A_b\nurl: https://lab.example\nabstract: s\nauthors:\n- name: Lab & Co\nkeywords:\n- x\n"
        );
    }
}
