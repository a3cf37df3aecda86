//! The site search index, built with the site, that a theme's search page queries in the
//! browser without downloading all of it. Every page, section, artifact, run ledger and
//! failure report is a document; its words (title, summary, whole body, code included) are
//! indexed, each with a BM25 weight that depends on the document alone. Under
//! `search/index/`:
//!
//! - `meta.json`: the number of documents and the first word of each shard (words in UTF-8
//!   byte order);
//! - `t/<i>.json`: shard `i` of the sorted vocabulary, each word with its document frequency
//!   and its postings (document, weight), at most [`POSTINGS`] of them, the heaviest;
//! - `d/<i>.json`: the title, URL, kind and summary of documents `32i..32i+32`, fetched for
//!   the results shown.
//!
//! A query fetches the meta, one shard per word and a few document chunks: its cost grows with
//! the words asked for, not with the site (a 10,000-page site's single file was 5 MB). The
//! paths are stable (the script finds them from the meta) and revalidated; the number of
//! files depends only on the number of documents and of words, so an edit changes the bytes
//! of the files that hold its words, and a serve session keeps its plan and makes only those
//! files again (see [`Kept`]).
//!
//! Written here rather than adopting Pagefind: its index needs WebAssembly (a CSP allowing
//! `'wasm-unsafe-eval'`) and 100 KB of script and module before the first result, and it indexes
//! the built HTML after the build; this index is part of the build and its queries transfer
//! less (BENCHMARKS.md compares them on the same site).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::model::{Document, Site};

/// The folder of the index, at the root of the site.
pub(crate) const DIR: &str = "search/index";
/// The index's entry point, which the search page names.
pub(crate) const META: &str = "search/index/meta.json";
/// The search page's URL; it is built when the theme has `search.html`.
pub(crate) const PAGE_URL: &str = "/search/";
/// The template of the search page.
pub(crate) const TEMPLATE: &str = "search.html";
/// The format of the files, bumped when they change shape so a cached script can tell.
const VERSION: u32 = 2;
/// Longest summary kept, in characters.
const SUMMARY_CHARS: usize = 160;
/// Documents per document chunk.
pub(crate) const CHUNK: usize = 32;
/// Postings kept per word, the heaviest: a word in more documents than this says little
/// about any of them, and a query needing it costs at most this many postings (about 25 KB
/// compressed). Below this many documents every list is whole and every query exact.
pub(crate) const POSTINGS: usize = 10_000;
/// Words of text per shard, roughly: about 20 shards for a 1,000-page site.
const WORDS_PER_SHARD: usize = 40_000;
/// Longest word indexed, in characters.
const LONGEST_WORD: usize = 40;
/// How much a word counts in the title and in the summary, against once in the body.
const TITLE_WEIGHT: u32 = 4;
const SUMMARY_WEIGHT: u32 = 2;
/// BM25's term-frequency saturation and length normalisation, against a fixed length (not
/// the site's average, so one document's edit changes only the postings of its own words).
const K1: f32 = 1.2;
const B: f32 = 0.75;
const PIVOT: f32 = 400.0;

/// One searchable thing: what a result shows, and the weights of its words.
#[derive(Debug, PartialEq)]
pub(crate) struct Entry {
    /// `[title, url, kind, summary]`, as JSON.
    shown: String,
    /// Each word once, sorted, each followed by a space (a word is letters and digits only):
    /// one allocation per document, where a boxed string per word cost about 40 bytes more
    /// for each of a document's few hundred words (serve keeps every entry).
    words: Box<str>,
    /// The weight (1 to 255) of each word of `words`, in the same order.
    weights: Box<[u8]>,
}

#[derive(Serialize)]
struct Shown<'a>(&'a str, &'a str, &'static str, &'a str);

impl Entry {
    /// An entry from its parts; `body` is indexed, not shown.
    fn new(title: &str, url: &str, kind: &'static str, summary: &str, body: &str) -> Self {
        let shown = serde_json::to_string(&Shown(title, url, kind, summary))
            .expect("plain strings always serialize");
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut length = 0u32;
        for (text, weight) in [
            (title, TITLE_WEIGHT),
            (url, TITLE_WEIGHT),
            (summary, SUMMARY_WEIGHT),
            (body, 1),
        ] {
            for word in words(text) {
                *counts.entry(word).or_default() += weight;
                length += 1;
            }
        }
        let mut sorted: Vec<(String, u32)> = counts.into_iter().collect();
        sorted.sort_unstable();
        let mut words = String::with_capacity(sorted.iter().map(|(w, _)| w.len() + 1).sum());
        for (w, _) in &sorted {
            words.push_str(w);
            words.push(' ');
        }
        Entry {
            shown,
            words: words.into_boxed_str(),
            weights: sorted.iter().map(|&(_, tf)| weight(tf, length)).collect(),
        }
    }

    /// What the entry is made of, to keep (the build cache keeps it with its body): what a
    /// result shows, the words, each followed by a space, and their weights.
    pub(crate) fn parts(&self) -> (&str, &str, &[u8]) {
        (&self.shown, &self.words, &self.weights)
    }

    /// An entry read back from its [`Entry::parts`]; none unless the words are sorted, each
    /// once, letters and digits only, each with one weight from 1 to 255, as
    /// [`Entry::new`] makes them.
    pub(crate) fn from_parts(shown: String, words: String, weights: Vec<u8>) -> Option<Self> {
        let mut count = 0;
        let mut last: Option<&str> = None;
        for word in words.split_terminator(' ') {
            let well_formed = !word.is_empty()
                && word.chars().all(char::is_alphanumeric)
                && last.is_none_or(|l| l < word);
            if !well_formed {
                return None;
            }
            last = Some(word);
            count += 1;
        }
        let whole = words.is_empty() || words.ends_with(' ');
        (whole && count == weights.len() && !weights.contains(&0)).then(|| Entry {
            shown,
            words: words.into_boxed_str(),
            weights: weights.into_boxed_slice(),
        })
    }

    /// Each word once, with its weight, sorted.
    fn words(&self) -> impl Iterator<Item = (&str, u8)> {
        self.words
            .split_terminator(' ')
            .zip(self.weights.iter().copied())
    }
}

/// The BM25 term-frequency part of a word's weight, scaled to 1..=255 (its limit, as the
/// count grows, is `K1 + 1`).
fn weight(tf: u32, length: u32) -> u8 {
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts of words, far below 2^24"
    )]
    let (tf, length) = (tf as f32, length as f32);
    let w = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / PIVOT));
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 1..=255 first"
    )]
    let q = (w / (K1 + 1.0) * 255.0).round().clamp(1.0, 255.0) as u8;
    q
}

/// The words of `text` as the index and the search script see them: runs of letters and
/// digits, lowercased, with a plural's `s` taken off (the English "S" stemmer of Harman, 1991,
/// which `search.js` applies to queries the same way). Words longer than [`LONGEST_WORD`]
/// are skipped.
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= LONGEST_WORD)
        .map(|w| stem(&w.to_lowercase()))
}

/// Harman's S stemmer as Lucene's `EnglishMinimalStemmer` has it: `-ies` to `-y` (not after
/// `a` or `e`), `-es` kept after `a`, `e`, `i` and `o`, else `-s` dropped (not after `u` or
/// `s`).
fn stem(word: &str) -> String {
    let b = word.as_bytes();
    let n = b.len();
    if n < 3 || b[n - 1] != b's' {
        return word.to_owned();
    }
    match b[n - 2] {
        b'u' | b's' => word.to_owned(),
        b'e' if n > 3 && b[n - 3] == b'i' && b[n - 4] != b'a' && b[n - 4] != b'e' => {
            format!("{}y", &word[..n - 3])
        }
        b'e' if matches!(b[n - 3], b'i' | b'a' | b'o' | b'e') => word.to_owned(),
        _ => word[..n - 1].to_owned(),
    }
}

/// What a document is in the index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Section,
    Page,
}

/// A page's or section's entry. Each is kept with the document's view, so a rebuild indexes
/// again only the documents it re-rendered.
pub(crate) fn document_entry(doc: &Document, kind: Kind) -> Arc<Entry> {
    let html = doc.content.html.unpack();
    let text = plain_text(&html, Code::Skip);
    let summary = doc
        .meta
        .description
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| clip(&text, SUMMARY_CHARS));
    let (kind, fallback) = match kind {
        Kind::Section => ("section", "Home"),
        Kind::Page => ("page", doc.url.as_str()),
    };
    let title = if doc.title.is_empty() {
        fallback
    } else {
        doc.title.as_str()
    };
    Arc::new(Entry::new(
        title,
        &doc.url,
        kind,
        &summary,
        &plain_text(&html, Code::Keep),
    ))
}

/// The entries of the content kinds, in the order they are registered.
fn record_entries(site: &Site) -> Vec<Entry> {
    let mut out = Vec::new();
    for kind in crate::records::kinds(&site.records) {
        for r in kind.search() {
            let body = r.body.map(|html| plain_text(&html(), Code::Keep));
            let summary = match r.summary {
                crate::kind::Summary::Text(s) => s,
                crate::kind::Summary::Clip(s) => clip(&s, SUMMARY_CHARS),
                crate::kind::Summary::Body => clip(body.as_deref().unwrap_or(""), SUMMARY_CHARS),
            };
            let text = match &body {
                Some(body) => format!("{} {body}", r.words),
                None => r.words,
            };
            out.push(Entry::new(
                &r.title,
                &r.url.into_string(),
                r.kind,
                &summary,
                &text,
            ));
        }
    }
    out
}

/// How many entries the content kinds add besides the documents.
fn record_count(site: &Site) -> usize {
    crate::records::kinds(&site.records)
        .iter()
        .map(|k| k.search().len())
        .sum()
}

/// How many files of each kind the index of `site` has: it depends on the number of documents
/// and of words only, so the render plan knows the paths before the index is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Shards of the vocabulary.
    pub(crate) shards: usize,
    /// Chunks of documents.
    pub(crate) chunks: usize,
}

impl Layout {
    pub(crate) fn of(site: &Site) -> Self {
        let documents = site.sections.len() + site.pages.len() + record_count(site);
        let words: usize = site.bodies().map(|d| d.content.word_count).sum();
        Layout {
            shards: words.div_ceil(WORDS_PER_SHARD).max(1),
            chunks: documents.div_ceil(CHUNK).max(1),
        }
    }

    /// Every path of the index: the meta, the shards, the document chunks.
    pub(crate) fn paths(&self) -> Vec<String> {
        let mut out = vec![META.to_owned()];
        out.extend((0..self.shards).map(|i| format!("{DIR}/t/{i}.json")));
        out.extend((0..self.chunks).map(|i| format!("{DIR}/d/{i}.json")));
        out
    }
}

/// The built index: the bytes of each file that changed since the index last built from the
/// same [`Kept`], in the order of [`Layout::paths`].
pub(crate) struct Index {
    files: Vec<Option<Vec<u8>>>,
}

impl Index {
    /// The bytes of the file at `i` of the layout's paths; none when they are as the last
    /// build left them.
    pub(crate) fn file(&self, i: usize) -> Option<Vec<u8>> {
        self.files.get(i).cloned().flatten()
    }
}

/// What the index was last built from: its documents' entries, its vocabulary with every
/// posting (not only the kept ones), and its layout and shard boundaries. A serve session
/// keeps it with the views, so that an edit changes only the postings of the documents whose
/// entries changed and renders only the files holding them; the files are those a build
/// from nothing writes, as the shard boundaries are computed the same way from the same
/// vocabulary.
#[derive(Default)]
pub(crate) struct Kept {
    entries: Vec<Arc<Entry>>,
    /// Each word's postings (document, weight), documents in order; words in byte order (the
    /// search script compares words as UTF-8 bytes to find a word's shard, which is `str`'s
    /// order).
    vocabulary: Vocabulary,
    layout: Option<Layout>,
    /// The first word of each shard, and none after the last (none: past every word).
    firsts: Vec<Option<Box<str>>>,
}

/// Each word with its postings (document, weight), documents in order.
type Vocabulary = BTreeMap<Box<str>, Postings>;
type Postings = Vec<(u32, u8)>;

/// Builds the index of `site` in `layout`: the documents' entries are the views' (sections,
/// then pages), then the records'. Only the files that differ from the last build from the
/// views' [`Kept`] are made (all of them the first time).
pub(crate) fn index(site: &Site, views: &super::Views, layout: Layout) -> Index {
    let entries: Vec<Arc<Entry>> = views
        .section_entries
        .iter()
        .chain(&views.page_entries)
        .cloned()
        .chain(record_entries(site).into_iter().map(Arc::new))
        .collect();
    views
        .search
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .update(entries, layout)
}

impl Kept {
    /// Takes in the site's entries now, changing the postings of the documents whose entries
    /// changed (all of them when the documents or the layout did), and makes the files that
    /// changed.
    fn update(&mut self, entries: Vec<Arc<Entry>>, layout: Layout) -> Index {
        let whole = self.layout != Some(layout) || self.entries.len() != entries.len();
        let mut words: BTreeSet<Box<str>> = BTreeSet::new();
        let mut chunks: BTreeSet<usize> = BTreeSet::new();
        if whole {
            self.vocabulary = vocabulary(&entries);
        } else {
            for (doc, (old, new)) in (0u32..).zip(self.entries.iter().zip(&entries)) {
                if Arc::ptr_eq(old, new) || old == new {
                    continue;
                }
                chunks.insert(doc as usize / CHUNK);
                for word in repost(&mut self.vocabulary, doc, old, new) {
                    words.insert(word.into());
                }
            }
        }
        self.entries = entries;
        self.layout = Some(layout);
        let firsts = boundaries(&self.vocabulary, layout.shards);
        let before = std::mem::replace(&mut self.firsts, firsts);
        let firsts = &self.firsts;
        // A shard is made again when its range of words or a word in it changed.
        let mut shards = vec![whole; layout.shards];
        for (i, made) in shards.iter_mut().enumerate() {
            *made |= before.get(i) != firsts.get(i) || before.get(i + 1) != firsts.get(i + 1);
        }
        for word in &words {
            let at = firsts[..layout.shards]
                .partition_point(|f| f.as_deref().is_some_and(|f| f <= &**word));
            if let Some(i) = at.checked_sub(1) {
                shards[i] = true;
            }
        }
        let mut files = Vec::with_capacity(1 + layout.shards + layout.chunks);
        files.push(Some(
            serde_json::to_vec(&serde_json::json!({
                "version": VERSION,
                "docs": self.entries.len(),
                "chunk": CHUNK,
                "postings": POSTINGS,
                "shards": firsts[..layout.shards]
                    .iter()
                    .map(|f| f.as_deref().unwrap_or("\u{10ffff}"))
                    .collect::<Vec<_>>(),
            }))
            .expect("plain values always serialize"),
        ));
        let vocabulary = &self.vocabulary;
        let made: Vec<Option<Vec<u8>>> = firsts
            .par_windows(2)
            .enumerate()
            .map(|(i, pair)| {
                shards[i].then(|| {
                    use std::ops::Bound::{Excluded, Included, Unbounded};
                    let range = pair[0].as_deref().map(|from| {
                        let to = pair[1].as_deref().map_or(Unbounded, Excluded);
                        vocabulary.range::<str, _>((Included(from), to))
                    });
                    shard(range.into_iter().flatten())
                })
            })
            .collect();
        files.extend(made);
        for i in 0..layout.chunks {
            if !whole && !chunks.contains(&i) {
                files.push(None);
                continue;
            }
            let mut out = b"[".to_vec();
            for (n, e) in self.entries.iter().skip(i * CHUNK).take(CHUNK).enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(e.shown.as_bytes());
            }
            out.push(b']');
            files.push(Some(out));
        }
        Index { files }
    }
}

/// Each word of `entries` with its postings (document, weight), documents in order. Each
/// entry's words are sorted already, so this merges them (a heap of one cursor per document)
/// and gives each word's postings their exact size: a list of every (word, document, weight)
/// sorted at once held 24 bytes per posting at the peak, about a million of them at 10,000
/// pages, which `serve`'s first build paid in resident memory. Runs of documents are merged
/// in parallel, then the runs' lists two by two.
fn vocabulary(entries: &[Arc<Entry>]) -> Vocabulary {
    // Already in order: built at once, without a search per word.
    merged(entries, 0).into_iter().collect()
}

/// Documents merged by one heap, the rest split in two.
const RUN: usize = 512;

/// The words of `entries`, the first being document `first`, each with its postings, in
/// word order.
fn merged(entries: &[Arc<Entry>], first: u32) -> Vec<(Box<str>, Postings)> {
    if entries.len() <= RUN {
        return heap_merged(entries, first);
    }
    let mid = entries.len() / 2;
    let (a, b) = rayon::join(
        || merged(&entries[..mid], first),
        || {
            merged(
                &entries[mid..],
                first + u32::try_from(mid).unwrap_or(u32::MAX),
            )
        },
    );
    // The documents of `a` come before those of `b`: a word in both has `a`'s postings first.
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let mut b = b.into_iter().peekable();
    for (word, mut postings) in a {
        while let Some(next) = b.next_if(|(w, _)| *w < word) {
            out.push(next);
        }
        if let Some((_, more)) = b.next_if(|(w, _)| *w == word) {
            postings.reserve_exact(more.len());
            postings.extend(more);
        }
        out.push((word, postings));
    }
    out.extend(b);
    out
}

fn heap_merged(entries: &[Arc<Entry>], first: u32) -> Vec<(Box<str>, Postings)> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    // Each document's next word: (word, document), smallest first; the rest of its words.
    let mut rests: Vec<_> = entries.iter().map(|e| e.words()).collect();
    let mut heap: BinaryHeap<Reverse<(&str, u32, u8)>> = BinaryHeap::with_capacity(rests.len());
    for (doc, rest) in (0u32..).zip(rests.iter_mut()) {
        if let Some((word, w)) = rest.next() {
            heap.push(Reverse((word, doc, w)));
        }
    }
    let mut vocabulary = Vec::new();
    let mut postings: Postings = vec![];
    while let Some(Reverse((word, ..))) = heap.peek().copied() {
        // Every document with this word, in document order (the heap's tie-break).
        while let Some(Reverse((next, doc, w))) = heap.peek().copied() {
            if next != word {
                break;
            }
            heap.pop();
            postings.push((first + doc, w));
            if let Some((word, w)) = rests[doc as usize].next() {
                heap.push(Reverse((word, doc, w)));
            }
        }
        vocabulary.push((Box::<str>::from(word), postings.as_slice().to_vec()));
        postings.clear();
    }
    vocabulary
}

/// Replaces document `doc`'s postings of the words of `old` (its entry before) by those of
/// `new`, and returns the words whose postings changed.
fn repost<'a>(
    vocabulary: &mut Vocabulary,
    doc: u32,
    old: &'a Entry,
    new: &'a Entry,
) -> Vec<&'a str> {
    let old: BTreeMap<&str, u8> = old.words().collect();
    let new: BTreeMap<&str, u8> = new.words().collect();
    let mut changed = vec![];
    for (&word, &w) in &old {
        if new.get(word) == Some(&w) {
            continue;
        }
        changed.push(word);
        if let Some(postings) = vocabulary.get_mut(word) {
            if let Ok(at) = postings.binary_search_by_key(&doc, |p| p.0) {
                postings.remove(at);
            }
            if postings.is_empty() {
                vocabulary.remove(word);
            }
        }
    }
    for (&word, &w) in &new {
        if old.get(word) == Some(&w) {
            continue;
        }
        if !old.contains_key(word) {
            changed.push(word);
        }
        let postings = vocabulary.entry(word.into()).or_default();
        if let Err(at) = postings.binary_search_by_key(&doc, |p| p.0) {
            postings.insert(at, (doc, w));
        }
    }
    changed
}

/// The first word of each of `shards` shards of `vocabulary`, then none: shard `i` starts at
/// the first word whose kept postings start at or after i/S of them all (none: past the last
/// word, an empty shard).
fn boundaries(vocabulary: &Vocabulary, shards: usize) -> Vec<Option<Box<str>>> {
    let kept = |p: &Postings| p.len().min(POSTINGS);
    let total: usize = vocabulary.values().map(kept).sum();
    let mut words = vocabulary.iter().peekable();
    let mut before = 0;
    let mut firsts = Vec::with_capacity(shards + 1);
    for i in 0..shards {
        while before * shards < i * total {
            let Some((_, postings)) = words.next() else {
                break;
            };
            before += kept(postings);
        }
        firsts.push(words.peek().map(|(w, _)| (*w).clone()));
    }
    firsts.push(None);
    firsts
}

/// A shard: `{"word": [df, doc, weight, doc - previous doc, weight, ...], ...}`, each word's
/// heaviest [`POSTINGS`] postings in document order.
fn shard<'a>(words: impl Iterator<Item = (&'a Box<str>, &'a Postings)>) -> Vec<u8> {
    let mut out = b"{".to_vec();
    let mut number = itoa::Buffer::new();
    for (n, (word, postings)) in words.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let df = postings.len();
        let heaviest;
        let postings = if df > POSTINGS {
            let mut p = postings.clone();
            p.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            p.truncate(POSTINGS);
            p.sort_unstable();
            heaviest = p;
            &heaviest
        } else {
            postings
        };
        serde_json::to_writer(&mut out, &**word).expect("a string always serializes");
        out.extend_from_slice(b":[");
        out.extend_from_slice(number.format(df).as_bytes());
        let mut previous = 0;
        for &(doc, w) in postings {
            out.push(b',');
            out.extend_from_slice(number.format(doc - previous).as_bytes());
            out.push(b',');
            out.extend_from_slice(number.format(w).as_bytes());
            previous = doc;
        }
        out.push(b']');
    }
    out.push(b'}');
    out
}

/// At most `max` characters of `text`, cut at the last whole word.
fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => {
            let cut = &text[..end];
            let at_word = match text[end..].chars().next() {
                Some(c) if c.is_whitespace() => cut,
                _ => cut.rsplit_once(char::is_whitespace).map_or(cut, |(w, _)| w),
            };
            at_word.trim_end().to_owned()
        }
    }
}

/// Whether [`plain_text`] keeps the text of code blocks: indexed, not shown in summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Keep,
    Skip,
}

/// The visible text of an HTML fragment: tags dropped (with the contents of `script`, `style`,
/// `template` and, unless `code` keeps them, code blocks), entities decoded, whitespace
/// collapsed.
fn plain_text(html: &str, code: Code) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            push_text(&mut out, &rest[..lt]);
        }
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[1..gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        match skip_until {
            Some(end) if closing && name == end => skip_until = None,
            None if !closing => {
                skip_until = ["script", "style", "template", "pre"]
                    .into_iter()
                    // A ledger excerpt's stored lines are JSON, not words of the page.
                    .find(|s| {
                        *s == name
                            && (code == Code::Skip || *s != "pre" || tag.contains("ledger-line"))
                    })
                    // A heading's `#` self-link says nothing about the page.
                    .or_else(|| (name == "a" && tag.contains("class=\"anchor\"")).then_some("a"));
            }
            _ => {}
        }
        // Other tags separate words; inline ones sit inside a sentence.
        if !INLINE.contains(&name.as_str()) {
            out.push(' ');
        }
        rest = &after[gt + 1..];
    }
    if skip_until.is_none() {
        push_text(&mut out, rest);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tags that do not break a line of text.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "cite", "code", "del", "em", "i", "ins", "kbd", "mark", "q", "s", "small",
    "span", "strong", "sub", "sup", "time", "u",
];

/// Appends text with the common HTML entities decoded.
fn push_text(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let entity = after.find(';').filter(|&i| i <= 10).map(|i| &after[..=i]);
        let decoded = entity.and_then(|e| match e {
            "&amp;" => Some('&'),
            "&lt;" => Some('<'),
            "&gt;" => Some('>'),
            "&quot;" => Some('"'),
            "&apos;" | "&#39;" | "&#x27;" => Some('\''),
            "&nbsp;" => Some(' '),
            _ => {
                let num = e.strip_prefix("&#")?.strip_suffix(';')?;
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse().ok()?,
                };
                char::from_u32(code)
            }
        });
        if let (Some(e), Some(c)) = (entity, decoded) {
            out.push(c);
            rest = &after[e.len()..];
        } else {
            out.push('&');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_tags_code_and_decodes_entities() {
        let html = "<h2 id=\"a\">Runs &amp; evals</h2><p>One<br>two&nbsp;&#x2192; <em>three</em></p>\
                    <pre><code>let x = 1;</code></pre><script>alert(1)</script><p>four &unknown; 5 &lt; 6</p>";
        assert_eq!(
            plain_text(html, Code::Skip),
            "Runs & evals One two \u{2192} three four &unknown; 5 < 6"
        );
    }

    #[test]
    fn plain_text_of_an_unclosed_tag_stops_there() {
        assert_eq!(plain_text("words <a href=\"x", Code::Skip), "words");
    }

    #[test]
    fn plain_text_keeps_inline_markup_in_its_sentence_and_drops_heading_anchors() {
        let html = "<h2 id=\"why\">Why <a class=\"anchor\" href=\"#why\" aria-label=\"Link\">#</a></h2>\
                    <p>See <a href=\"/x/\">the <em>runs</em></a>.</p>";
        assert_eq!(plain_text(html, Code::Skip), "Why See the runs.");
    }

    #[test]
    fn clip_cuts_at_a_word_boundary() {
        assert_eq!(clip("alpha beta gamma", 8), "alpha");
        assert_eq!(clip("alpha beta gamma", 10), "alpha beta");
        assert_eq!(clip("alpha beta gamma", 11), "alpha beta");
        assert_eq!(clip("short", 80), "short");
        assert_eq!(clip("unbroken", 3), "unb");
        // Characters, not bytes: never a cut inside a code point.
        assert_eq!(clip("ééé ééé", 5), "ééé");
    }

    #[test]
    fn the_summary_kept_is_bounded() {
        let long = "word ".repeat(10_000);
        assert!(clip(&long, SUMMARY_CHARS).chars().count() <= SUMMARY_CHARS);
    }

    #[test]
    fn code_is_indexed_but_not_summarised_and_ledger_lines_are_neither() {
        let html = "<p>Run it:</p><pre><code>cargo build</code></pre>\
                    <pre class=\"ledger-line\"><code>{&quot;v&quot;:1}</code></pre>";
        assert_eq!(plain_text(html, Code::Skip), "Run it:");
        assert_eq!(plain_text(html, Code::Keep), "Run it: cargo build");
    }

    #[test]
    fn an_entry_reads_back_from_its_parts_and_malformed_parts_are_refused() {
        let entry = Entry::new("Runs", "/runs/", "page", "Two runs", "loss went down twice");
        let (shown, words, weights) = entry.parts();
        let back = Entry::from_parts(shown.into(), words.into(), weights.to_vec());
        assert_eq!(back.as_ref(), Some(&entry));
        let refused = |words: &str, weights: &[u8]| {
            Entry::from_parts(shown.into(), words.into(), weights.to_vec()).is_none()
        };
        assert!(refused("b a ", &[1, 1]), "unsorted");
        assert!(refused("a a ", &[1, 1]), "twice");
        assert!(refused("a  b ", &[1, 1, 1]), "empty word");
        assert!(refused("a-b ", &[1]), "not a word");
        assert!(refused("a b", &[1, 1]), "unterminated");
        assert!(refused("a b ", &[1]), "a weight short");
        assert!(refused("a b ", &[1, 0]), "a zero weight");
        assert!(!refused("", &[]), "no words");
    }

    #[test]
    fn words_are_lowercased_split_and_plurals_folded() {
        let w: Vec<String> =
            words("Ledgers, evals & the RFC-6962 trees; queries, sources, bus, class").collect();
        assert_eq!(
            w,
            [
                "ledger", "eval", "the", "rfc", "6962", "trees", "query", "source", "bus", "class"
            ]
        );
        assert_eq!(stem("flies"), "fly");
        assert_eq!(stem("goes"), "goes");
        assert_eq!(stem("is"), "is");
        assert_eq!(stem("checkpoints"), "checkpoint");
        let long = "x".repeat(LONGEST_WORD + 1);
        assert_eq!(words(&long).count(), 0);
    }

    #[test]
    fn a_word_weighs_more_in_the_title_and_in_a_short_document() {
        let titled = Entry::new("Ledger", "/a/", "page", "", "other words here");
        let in_body = Entry::new("Other", "/b/", "page", "", "ledger words here");
        let long = Entry::new(
            "Other",
            "/c/",
            "page",
            "",
            &format!("ledger {}", "filler ".repeat(2000)),
        );
        let w = |e: &Entry| e.words().find(|&(w, _)| w == "ledger").unwrap().1;
        assert!(w(&titled) > w(&in_body), "{} {}", w(&titled), w(&in_body));
        assert!(w(&in_body) > w(&long), "{} {}", w(&in_body), w(&long));
        assert!(w(&long) >= 1);
    }

    /// The vocabulary made by a map, word by word.
    fn word_by_word(entries: &[Arc<Entry>]) -> Vocabulary {
        let mut want: Vocabulary = BTreeMap::new();
        for (doc, e) in (0u32..).zip(entries) {
            for (word, w) in e.words() {
                want.entry(word.into()).or_default().push((doc, w));
            }
        }
        want
    }

    #[test]
    fn the_vocabulary_lists_every_word_with_its_documents_in_order() {
        let bodies = [
            "beta alpha gamma",
            "",
            "alpha delta alpha",
            "gamma beta",
            "zeta",
        ];
        let entries: Vec<Arc<Entry>> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| Arc::new(Entry::new("", &format!("/{i}/"), "page", "", body)))
            .collect();
        let want = word_by_word(&entries);
        let got = vocabulary(&entries);
        assert_eq!(got, want);
        assert_eq!(got["alpha"].iter().map(|p| p.0).collect::<Vec<_>>(), [0, 2]);
        assert!(got.values().all(|p| p.capacity() == p.len()));
    }

    #[test]
    fn the_vocabulary_of_many_documents_merged_in_runs_is_the_same_word_by_word() {
        // More documents than one run: merged in parallel, then run by run.
        let entries: Vec<Arc<Entry>> = (0..RUN * 5 + 7)
            .map(|i| {
                let body = format!("w{} w{} common x{}", i % 97, i % 13, i * 7 % 1001);
                Arc::new(Entry::new("", &format!("/{i}/"), "page", "", &body))
            })
            .collect();
        let want = word_by_word(&entries);
        let got = vocabulary(&entries);
        assert_eq!(got, want);
        assert_eq!(got["common"].len(), entries.len());
        assert!(got.values().all(|p| p.capacity() == p.len()));
    }

    #[test]
    fn shards_cover_the_vocabulary_in_order_and_keep_the_heaviest_postings() {
        let n = POSTINGS + 500;
        let entries: Vec<Entry> = (0..n)
            .map(|i| {
                let body = if i % 5000 == 7 {
                    "common common common rare"
                } else {
                    "common"
                };
                Entry::new(&format!("Page {i}"), &format!("/p{i}/"), "page", "", body)
            })
            .collect();
        let entries: Vec<Arc<Entry>> = entries.into_iter().map(Arc::new).collect();
        let text = String::from_utf8(shard(vocabulary(&entries).iter())).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let common = parsed["common"].as_array().unwrap();
        assert_eq!(common[0], n, "the document frequency counts every document");
        assert_eq!(
            common.len(),
            1 + 2 * POSTINGS,
            "at most POSTINGS postings kept"
        );
        // The three documents that say it most are among those kept.
        let mut doc = 0;
        let mut kept = vec![];
        for pair in common[1..].chunks(2) {
            doc += pair[0].as_u64().unwrap();
            kept.push(doc);
        }
        for heavy in [7, 5007, 10_007] {
            assert!(kept.contains(&heavy), "{heavy}");
        }
        let w = common_weight(&parsed, "rare");
        assert_eq!(
            parsed["rare"],
            serde_json::json!([3, 7, w, 5000, w, 5000, w])
        );
    }

    /// The files of `index`, those it did not make taken from `before`.
    fn files(index: Index, before: &[Vec<u8>]) -> Vec<Vec<u8>> {
        index
            .files
            .into_iter()
            .enumerate()
            .map(|(i, f)| f.unwrap_or_else(|| before[i].clone()))
            .collect()
    }

    #[test]
    fn an_edit_makes_only_the_files_it_changed_each_as_a_fresh_index_makes_it() {
        // Words of five letters from a small generator: a vocabulary spread over the shards.
        let word = |n: u64| -> String {
            let mut x = n
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (0..5)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    char::from(b'b' + u8::try_from((x >> 33) % 24).unwrap())
                })
                .collect()
        };
        let page = |i: usize, body: &str| {
            Arc::new(Entry::new(
                &format!("Page {i}"),
                &format!("/p{i}/"),
                "page",
                "",
                body,
            ))
        };
        let body = |i: u64| {
            (0..40)
                .map(|k| word(i * 7 + k % 13))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut entries: Vec<Arc<Entry>> = (0..100).map(|i| page(i, &body(i as u64))).collect();
        let layout = Layout {
            shards: 6,
            chunks: entries.len().div_ceil(CHUNK),
        };
        let mut kept = Kept::default();
        let mut before = files(kept.update(entries.clone(), layout), &[]);
        let edits: [(usize, String); 6] = [
            // A word before every other (the first shard's first word), then gone again.
            (3, format!("{} aaaa", body(3))),
            (3, body(3)),
            // A word after every other, in two documents.
            (50, format!("{} zzzz", body(50))),
            (99, format!("{} zzzz zzzz", body(99))),
            // Words said more often (other weights), and a document's every word replaced.
            (10, format!("{0} {0}", body(10))),
            (42, body(1000)),
        ];
        for (step, (doc, text)) in edits.into_iter().enumerate() {
            entries[doc] = page(doc, &text);
            let index = kept.update(entries.clone(), layout);
            let made = index.files.iter().filter(|f| f.is_some()).count();
            let after = files(index, &before);
            let fresh = files(Kept::default().update(entries.clone(), layout), &[]);
            assert_eq!(after.len(), fresh.len());
            for (i, (a, f)) in after.iter().zip(&fresh).enumerate() {
                assert!(
                    a == f,
                    "file {i} after editing {doc}:\n{}\n{}",
                    String::from_utf8_lossy(a),
                    String::from_utf8_lossy(f)
                );
            }
            // A word added or removed: the meta, the chunk of the document, and not every shard.
            if step < 4 {
                assert!(made < 1 + layout.shards, "{made} files made at {step}");
            }
            before = after;
        }
        // Another layout makes every file again.
        let wider = Layout {
            shards: 7,
            ..layout
        };
        let index = kept.update(entries.clone(), wider);
        assert!(index.files.iter().all(Option::is_some));
    }

    fn common_weight(parsed: &serde_json::Value, word: &str) -> u64 {
        parsed[word][2].as_u64().unwrap()
    }
}
