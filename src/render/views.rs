//! Views: what templates see of pages and sections, made once and updated in place by a serve
//! session, and what `get_page` and `get_section` look up.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::context::{self, SectionView, View};
use super::search;
use crate::config::Config;
use crate::model::{Document, Site};
use crate::theme::Lazy;

/// The template views of every page and section, and their search index entries: a
/// document's entry is taken from `known` where it gives one (the build cache keeps each with
/// the body it was made from), else made.
pub(crate) fn views(site: &Site, config: &Config, known: &Known<'_>) -> Views {
    let (pages, page_entries): (Vec<View>, Vec<Arc<search::Entry>>) = site
        .pages
        .par_iter()
        .map(|p| page_view(site, p, config, known))
        .unzip();
    let mut views = Views {
        pages,
        sections: vec![],
        page_entries,
        section_entries: vec![],
        search: std::sync::Mutex::default(),
    };
    (views.sections, views.section_entries) = site
        .sections
        .iter()
        .map(|s| views.section_view(site, s, config, known))
        .unzip();
    views
}

/// A document's search entry made before, if any.
pub(crate) type Known<'a> = dyn Fn(&Document) -> Option<Arc<search::Entry>> + Sync + 'a;

fn page_view(
    site: &Site,
    p: &crate::model::Page,
    config: &Config,
    known: &Known<'_>,
) -> (View, Arc<search::Entry>) {
    (
        View::new(context::page(site, p, config), &p.doc.content),
        known(&p.doc).unwrap_or_else(|| search::document_entry(&p.doc, search::Kind::Page)),
    )
}

impl Views {
    fn section_view(
        &self,
        site: &Site,
        s: &crate::model::Section,
        config: &Config,
        known: &Known<'_>,
    ) -> (SectionView, Arc<search::Entry>) {
        let view = SectionView {
            own: View::new(context::section(site, s, config), &s.doc.content),
            pages: s.pages.iter().map(|&i| self.pages[i].clone()).collect(),
        };
        let entry =
            known(&s.doc).unwrap_or_else(|| search::document_entry(&s.doc, search::Kind::Section));
        (view, entry)
    }

    /// The search entry of each page and section, in `Site::documents` order (sections
    /// first).
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Arc<search::Entry>> {
        self.section_entries.iter().chain(&self.page_entries)
    }

    /// Makes again, in place, the views of the pages and sections marked dirty (a section is
    /// dirty when any of its pages is); the others are kept (see `pipeline::Session`).
    pub(crate) fn update(
        &mut self,
        site: &Site,
        config: &Config,
        dirty_page: &[bool],
        dirty_section: &[bool],
    ) {
        for (i, p) in site.pages.iter().enumerate() {
            if dirty_page[i] {
                (self.pages[i], self.page_entries[i]) = page_view(site, p, config, &|_| None);
            }
        }
        for (i, s) in site.sections.iter().enumerate() {
            if dirty_section[i] {
                (self.sections[i], self.section_entries[i]) =
                    self.section_view(site, s, config, &|_| None);
            }
        }
    }

    /// What `get_page` and `get_section` find: each document's view by content path, made
    /// into a template value the first time a template asks for it.
    pub(crate) fn documents(&self, site: &Site) -> BTreeMap<String, Lazy> {
        let sections = site
            .sections
            .iter()
            .zip(&self.sections)
            .map(|(s, v)| (s.doc.rel.clone(), section_lookup(v)));
        let pages = site
            .pages
            .iter()
            .zip(&self.pages)
            .map(|(p, v)| (p.doc.rel.clone(), page_lookup(v)));
        sections.chain(pages).collect()
    }

    /// Replaces in `documents` the entries of the pages and sections marked dirty.
    pub(crate) fn update_documents(
        &self,
        site: &Site,
        documents: &mut BTreeMap<String, Lazy>,
        dirty_page: &[bool],
        dirty_section: &[bool],
    ) {
        for (i, s) in site.sections.iter().enumerate() {
            if dirty_section[i] {
                documents.insert(s.doc.rel.clone(), section_lookup(&self.sections[i]));
            }
        }
        for (i, p) in site.pages.iter().enumerate() {
            if dirty_page[i] {
                documents.insert(p.doc.rel.clone(), page_lookup(&self.pages[i]));
            }
        }
    }
}

fn section_lookup(view: &SectionView) -> Lazy {
    let v = Arc::new(view.clone());
    let selected = Arc::clone(&v);
    Lazy::section(
        move || v.full(),
        move |keep| {
            selected
                .pages
                .iter()
                .filter(|p| keep(&p.base))
                .map(View::full)
                .collect()
        },
    )
}

fn page_lookup(view: &View) -> Lazy {
    let v = view.clone();
    Lazy::new(move || v.full())
}

/// The views templates see, by page and section index, and the documents' search entries.
#[derive(Default)]
pub(crate) struct Views {
    pub(crate) pages: Vec<View>,
    pub(crate) sections: Vec<SectionView>,
    /// Each page's entry of the search index.
    pub(super) page_entries: Vec<Arc<search::Entry>>,
    /// Each section's entry of the search index.
    pub(super) section_entries: Vec<Arc<search::Entry>>,
    /// What the search index was last built from, so that it changes only where the entries
    /// did.
    pub(super) search: std::sync::Mutex<search::Kept>,
}
