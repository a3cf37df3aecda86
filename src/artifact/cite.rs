//! How to cite an artifact: `CITATION.cff` (Citation File Format 1.2.0, what GitHub and Zenodo
//! read) and a BibTeX entry, published beside its page and shown in a cite box on it. Both
//! come from the record alone: title, version, authors (as entities: a record names people
//! and groups by one `name`), the date it was last updated (else created), its licence when
//! that is one SPDX id (CFF takes ids, not expressions), its summary and its page's address.

use super::{Artifact, Kind};
use crate::citation::{self, Work};

/// What a citation says of `a`, whose page is at `url`; `fallback` (the site's title) is the
/// author when the record names none, as CFF requires one.
fn work<'a>(a: &'a Artifact, url: &'a str, fallback: &'a str) -> Work<'a> {
    let mut authors: Vec<&str> = a.authors.iter().map(|p| p.name.as_str()).collect();
    if authors.is_empty() {
        authors.push(fallback);
    }
    Work {
        key: format!("ancapex:{}:{}", a.id, a.version),
        cff_type: cff_type(a.kind),
        message: "If you use this artifact, please cite it as below.",
        title: &a.title,
        version: Some(&a.version),
        date: date(a),
        license: citation::single_spdx(a.license.as_deref()),
        url,
        summary: &a.summary,
        authors,
        keywords: vec!["ancapex", kind_name(a.kind)],
        note: format!("{}, version {}", kind_name(a.kind), a.version),
    }
}

/// `CITATION.cff` of `a`, whose page is at `url`.
pub(crate) fn cff(a: &Artifact, url: &str, fallback: &str) -> String {
    citation::cff(&work(a, url, fallback))
}

/// The BibTeX entry of `a` (a `@misc`, keyed `ancapex:<id>:<version>`).
pub(crate) fn bibtex(a: &Artifact, url: &str, fallback: &str) -> String {
    citation::bibtex(&work(a, url, fallback))
}

/// The date of the version cited: updated, else created, as `YYYY-MM-DD`.
fn date(a: &Artifact) -> Option<String> {
    a.updated
        .as_ref()
        .or(a.created.as_ref())
        .map(|d| d.as_str().to_owned())
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
