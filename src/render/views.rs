//! Views: what templates see of pages and sections, made once and updated in place by a serve
//! session, and what `get_page`, `get_section` and `get_ledger` look up.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use super::context::{self, SectionView, View};
use super::search;
use crate::config::Config;
use crate::ledger::{self, Entry, Ledger};
use crate::model::Site;
use crate::theme::{Lazy, LedgerLookup, Selection};

/// The entries `select` picks of `entries` (sorted by seq). With `last`, entries are looked
/// at from the end only until enough are found, whatever the ledger's length.
fn select<'a>(select: &Selection, entries: &'a [Entry]) -> Vec<&'a Entry> {
    let start = select
        .from
        .map_or(0, |f| entries.partition_point(|e| e.seq < f));
    let end = select
        .to
        .map_or(entries.len(), |t| entries.partition_point(|e| e.seq <= t));
    let range = entries.get(start..end).unwrap_or_default();
    let wanted = |e: &&Entry| select.types.as_ref().is_none_or(|ts| ts.contains(&e.kind));
    match select.last {
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            let mut kept: Vec<&Entry> = range.iter().rev().filter(wanted).take(n).collect();
            kept.reverse();
            kept
        }
        None => range.iter().filter(wanted).collect(),
    }
}

/// What `get_ledger` looks up: each ledger's summary view, made once, and the views of the
/// entries a call selects, made for that call.
pub(crate) fn ledger_views(ledgers: &Arc<[Ledger]>) -> LedgerLookup {
    let ledgers = Arc::clone(ledgers);
    let summaries: Vec<Value> = ledgers.iter().map(ledger::site::summary_view).collect();
    LedgerLookup {
        names: ledgers.iter().map(|l| l.name.clone()).collect(),
        view: Box::new(move |name, selection| {
            let i = ledgers.iter().position(|l| l.name == name)?;
            let l = &ledgers[i];
            let mut view = summaries[i].clone();
            view["entries"] = select(selection, &l.entries)
                .into_iter()
                .map(|e| ledger::site::entry(l, e))
                .collect();
            Some(view)
        }),
    }
}

/// The template views of every page and section, and their search index entries.
pub(crate) fn views(site: &Site, config: &Config) -> Views {
    let (pages, page_entries): (Vec<View>, Vec<Arc<search::Entry>>) = site
        .pages
        .par_iter()
        .map(|p| page_view(site, p, config))
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
        .map(|s| views.section_view(site, s, config))
        .unzip();
    views
}

fn page_view(site: &Site, p: &crate::model::Page, config: &Config) -> (View, Arc<search::Entry>) {
    (
        View::new(context::page(site, p, config), &p.doc.content),
        search::document_entry(&p.doc, search::Kind::Page),
    )
}

impl Views {
    fn section_view(
        &self,
        site: &Site,
        s: &crate::model::Section,
        config: &Config,
    ) -> (SectionView, Arc<search::Entry>) {
        let view = SectionView {
            own: View::new(context::section(site, s, config), &s.doc.content),
            pages: s.pages.iter().map(|&i| self.pages[i].clone()).collect(),
        };
        (view, search::document_entry(&s.doc, search::Kind::Section))
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
                (self.pages[i], self.page_entries[i]) = page_view(site, p, config);
            }
        }
        for (i, s) in site.sections.iter().enumerate() {
            if dirty_section[i] {
                (self.sections[i], self.section_entries[i]) = self.section_view(site, s, config);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(kinds: &[&str]) -> Vec<Entry> {
        kinds
            .iter()
            .zip(0u64..)
            .map(|(kind, seq)| Entry {
                seq,
                ts: String::new(),
                kind: (*kind).to_owned(),
                actor: String::new(),
                body: serde_json::Map::new(),
                refs: vec![],
                line: String::new(),
                leaf: [0; 32],
            })
            .collect()
    }

    fn seqs(select_: &Selection, all: &[Entry]) -> Vec<u64> {
        select(select_, all).iter().map(|e| e.seq).collect()
    }

    #[test]
    fn a_selection_bounds_by_seq_then_type_then_takes_the_last() {
        let all = entries(&["a", "b", "a", "b", "a", "b"]);
        assert_eq!(seqs(&Selection::default(), &all), [0, 1, 2, 3, 4, 5]);
        let last2 = Selection {
            last: Some(2),
            ..Selection::default()
        };
        assert_eq!(seqs(&last2, &all), [4, 5]);
        let b_upto_3 = Selection {
            to: Some(3),
            types: Some(vec!["b".into()]),
            ..Selection::default()
        };
        assert_eq!(seqs(&b_upto_3, &all), [1, 3]);
        let last_a_from_1 = Selection {
            last: Some(1),
            from: Some(1),
            types: Some(vec!["a".into()]),
            ..Selection::default()
        };
        assert_eq!(seqs(&last_a_from_1, &all), [4]);
        let past_the_end = Selection {
            from: Some(9),
            to: Some(20),
            ..Selection::default()
        };
        assert!(seqs(&past_the_end, &all).is_empty());
        let backwards = Selection {
            from: Some(4),
            to: Some(2),
            ..Selection::default()
        };
        assert!(seqs(&backwards, &all).is_empty());
    }
}
