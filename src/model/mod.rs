//! The site as the later stages see it: pages and sections with their URLs, and, once the
//! markdown stage has run, their rendered content.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::SourceText;
pub use crate::document::{Content, Document, Heading, InternalLink, Packed};
use crate::front_matter::SortBy;

/// A page: any `.md` file other than `_index.md`.
#[derive(Debug, Clone)]
pub struct Page {
    /// Shared fields.
    pub doc: Document,
    /// Index of the section it belongs to.
    pub section: usize,
    /// Bundle files copied next to the page's output, paths inside `content/`.
    pub assets: Vec<String>,
}

/// A section: an `_index.md`.
#[derive(Debug, Clone)]
pub struct Section {
    /// Shared fields.
    pub doc: Document,
    /// The enclosing section, none for the root.
    pub parent: Option<usize>,
    /// Its pages (drafts left out unless built with drafts), sorted by `sort_by`.
    pub pages: Vec<usize>,
    /// Its direct subsections, sorted by weight then path.
    pub subsections: Vec<usize>,
}

impl Section {
    /// How the section orders its pages.
    pub fn sort_by(&self) -> SortBy {
        self.doc
            .meta
            .sort_by
            .as_ref()
            .map_or(SortBy::Weight, |s| *s.get_ref())
    }
}

/// An old URL that redirects to a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The old site-relative path.
    pub from: String,
    /// The page's URL.
    pub to: String,
    /// The page's file, for diagnostics.
    pub source: Arc<SourceText>,
    /// Where the alias is written in it.
    pub span: Range<usize>,
}

/// The whole site.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// Pages, sorted by `rel`; drafts are present only when built with drafts.
    pub pages: Vec<Page>,
    /// Sections, sorted by `rel`; the root section (`_index.md`) is first.
    pub sections: Vec<Section>,
    /// Redirects from aliases.
    pub aliases: Vec<Alias>,
    /// Content `rel` path to URL, for `@/` links and `get_url`.
    pub urls: BTreeMap<String, String>,
    /// Bundle and static files by output path, for link checks.
    pub files: BTreeMap<String, crate::load::Origin>,
    /// The records under `artifacts/`, checked.
    pub records: crate::records::Records,
}

impl Site {
    /// Once the markdown stage has rendered every body: keeps of each document's source text
    /// only the front matter, which is all that later diagnostics point at.
    pub fn keep_front_matter_only(&mut self) {
        let docs = self
            .sections
            .iter_mut()
            .map(|s| &mut s.doc)
            .chain(self.pages.iter_mut().map(|p| &mut p.doc));
        for doc in docs {
            let end = doc.body.start.min(doc.source.text.len());
            doc.source = SourceText::new(doc.source.path.clone(), &doc.source.text[..end]);
            doc.body = end..end;
        }
    }

    /// All documents, sections first.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.sections
            .iter()
            .map(|s| &s.doc)
            .chain(self.pages.iter().map(|p| &p.doc))
    }

    /// Every document with a rendered markdown body: sections, pages, then the records'
    /// documents.
    pub fn bodies(&self) -> impl Iterator<Item = &Document> {
        self.documents().chain(self.records.bodies())
    }

    /// [`Site::bodies`], to fill in.
    pub fn bodies_mut(&mut self) -> impl Iterator<Item = &mut Document> {
        self.sections
            .iter_mut()
            .map(|s| &mut s.doc)
            .chain(self.pages.iter_mut().map(|p| &mut p.doc))
            .chain(self.records.bodies_mut())
    }
}

/// One output file, as the render stage hands it to the output stage.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Path inside the output directory, `/`-separated, never absolute, never with `..`.
    pub path: String,
    /// The bytes, or where to copy them from.
    pub body: Body,
}

/// The contents of an output file.
pub use crate::kind::Body;
