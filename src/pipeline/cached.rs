//! The markdown stage of a build, through the build cache: a body whose rendering the cache
//! holds, made from the same inputs, is taken from it; the others are rendered and kept, each
//! with its search index entry once the views have made it (the entry of a page or section is
//! made from its body, title, URL and description alone, which the key holds).
//!
//! A body's key is everything its rendering reads: the tool (the cache's identity: its version
//! and executable, with the syntax set), the markdown and link settings, the fingerprinted
//! files' URLs, the document's path, text (its digest, made once per build), body range, URL,
//! title, what it is (section, page or a record's body) and whether it takes its title from its
//! first heading. Two things it reads are checked when it is taken back instead: the URL of
//! every page it links to (kept with it, and compared with the site's now), and the
//! shortcodes, which can look up anything in the site: a body that calls one, known or not, is
//! never kept, nor is one with a problem (its diagnostics may point into other files).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::cache::{Cache, Digests, Fielded, Fields, Hasher, Key};
use crate::config::Config;
use crate::diagnostic::Diagnostics;
use crate::fingerprint::Assets;
use crate::fs::FileId;
use crate::kind::Made;
use crate::model::{Content, Document, Heading, InternalLink, Packed, Site};
use crate::output::Written;
use crate::render::{Views, search};
use crate::{markdown, theme};

/// The pack bodies are kept in.
const PACK: &str = "bodies";
/// The version of a body entry's fields.
const FIELDS: &[u8] = b"body 3";

/// Renders the bodies of `site` the cache does not hold, takes the others from it, and says
/// which of those it rendered may be kept (see [`Taken::keep`], once the views are made).
/// The same diagnostics as `markdown::site`.
pub(super) fn bodies(
    site: &mut Site,
    config: &Config,
    theme: &theme::Theme,
    assets: &Assets,
    generated: &[String],
    cache: Option<&Cache>,
    docs: Option<&[Doc]>,
) -> (Diagnostics, Option<Taken>) {
    let urls = site.urls.clone();
    let env = markdown::Env::new(config, &urls, theme, assets);
    let Some(cache) = cache else {
        return (markdown::site(site, &env, generated), None);
    };
    let mut taken = take(site, config, assets, cache, docs);
    let (per_body, links) = markdown::site_reusing(site, &env, generated, &|doc| {
        taken.has(doc).then(Diagnostics::new)
    });
    taken.settle(site, &per_body);
    let mut diagnostics = Diagnostics::new();
    for ds in per_body {
        diagnostics.extend(ds);
    }
    diagnostics.extend(links);
    (diagnostics, Some(taken))
}

/// The bodies taken from the cache, and every body's key.
pub(super) struct Taken {
    /// Each body's key, in `Site::bodies` order.
    keys: Vec<Key>,
    /// The source paths of the bodies taken.
    hits: HashSet<String>,
    /// The search entries taken with them, by source path.
    entries: HashMap<String, Arc<search::Entry>>,
    /// Whether each body is to be kept (see `settle`), in `Site::bodies` order.
    keeps: Vec<bool>,
}

/// What a body is, in its key: a section's or a page's (each has its own kind of search
/// entry), or a record's.
fn kinds(site: &Site) -> impl Iterator<Item = u8> {
    let (sections, pages) = (site.sections.len(), site.pages.len());
    (0..).map(move |i| match i {
        _ if i < sections => 0,
        _ if i < sections + pages => 1,
        _ => 2,
    })
}

/// Puts in `site` the bodies the cache holds, made from the same inputs. `docs`, when given,
/// are `docs(site)`: their text digests are taken instead of hashing every text again.
pub(super) fn take(
    site: &mut Site,
    config: &Config,
    assets: &Assets,
    cache: &Cache,
    docs: Option<&[Doc]>,
) -> Taken {
    let urls = site.urls.clone();
    let settings = settings(config, assets);
    let keys: Vec<Key> = site
        .bodies()
        .zip(kinds(site))
        .enumerate()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|(i, (doc, kind))| {
            let known = docs.and_then(|d| d.get(*i)).filter(|d| d.rel == doc.rel);
            let text = known.map_or_else(|| text_digest(doc), |d| d.text);
            key(&settings, doc, *kind, &text)
        })
        .collect();
    let found: Vec<Option<(Content, Option<search::Entry>)>> = keys
        .par_iter()
        .map(|k| decode(cache.get(PACK, k)?, &urls))
        .collect();
    let mut hits = HashSet::new();
    let mut entries = HashMap::new();
    for (doc, found) in site.bodies_mut().zip(found) {
        if let Some((content, entry)) = found {
            doc.content = content;
            hits.insert(doc.source.path.clone());
            if let Some(entry) = entry {
                entries.insert(doc.source.path.clone(), Arc::new(entry));
            }
        }
    }
    Taken {
        keys,
        hits,
        entries,
        keeps: vec![],
    }
}

impl Taken {
    /// Whether the body of `doc` was taken from the cache (it had no problem).
    pub(super) fn has(&self, doc: &Document) -> bool {
        self.hits.contains(&doc.source.path)
    }

    /// Marks what is to be kept, once every body is there (`per_body`, their problems in
    /// `Site::bodies` order): each body rendered (not taken) with no problem and no
    /// shortcode, and each taken without its search entry.
    pub(super) fn settle(&mut self, site: &Site, per_body: &[Diagnostics]) {
        self.keeps = site
            .bodies()
            .zip(per_body)
            .map(|(doc, ds)| {
                if self.has(doc) {
                    !self.entries.contains_key(&doc.source.path)
                } else {
                    ds.is_empty() && doc.content.shortcodes.is_empty()
                }
            })
            .collect();
    }

    /// The search entries taken, for the views (see `render::views`).
    pub(super) fn take_entries(&mut self) -> HashMap<String, Arc<search::Entry>> {
        std::mem::take(&mut self.entries)
    }

    /// Keeps in `cache` the bodies marked by `settle`, each page's and section's with its
    /// search entry when the views are given (`Views::entries`, in `Site::documents` order).
    pub(super) fn keep(&self, site: &Site, views: Option<&Views>, cache: &mut Cache) {
        let urls = &site.urls;
        let entries = views
            .into_iter()
            .flat_map(Views::entries)
            .map(|e| Some(&**e))
            .chain(std::iter::repeat(None));
        for (((doc, keep), key), entry) in
            site.bodies().zip(&self.keeps).zip(&self.keys).zip(entries)
        {
            if *keep {
                cache.put(PACK, *key, encode(&doc.content, entry, urls));
            }
        }
    }
}

/// What every body's key holds besides the document.
fn settings(config: &Config, assets: &Assets) -> Hasher {
    let mut h = Hasher::new();
    h.field(FIELDS)
        .field(crate::cache::identity().as_bytes())
        .field(format!("{:?}", config.markdown).as_bytes())
        .field(format!("{:?}", config.links).as_bytes());
    for (name, asset) in assets.iter() {
        h.field(name.as_bytes()).field(asset.url().as_bytes());
    }
    h
}

/// The digest of a document's text, in its body's key and in its `Doc`.
fn text_digest(doc: &Document) -> Key {
    Hasher::new().field(doc.source.text.as_bytes()).key()
}

fn key(settings: &Hasher, doc: &Document, kind: u8, text: &Key) -> Key {
    let mut h = settings.clone();
    h.field(&[kind])
        .field(doc.rel.as_bytes())
        .field(doc.title.as_bytes())
        .field(doc.source.path.as_bytes())
        .field(text)
        .field(&(doc.body.start as u64).to_le_bytes())
        .field(&(doc.body.end as u64).to_le_bytes())
        .field(doc.url.as_bytes())
        .field(&[u8::from(doc.meta.title.is_none())]);
    h.key()
}

fn encode(
    content: &Content,
    entry: Option<&search::Entry>,
    urls: &BTreeMap<String, String>,
) -> Vec<u8> {
    let mut f = Fields::new();
    f.bytes(content.html.packed());
    match &content.summary {
        Some(s) => f.u64(1).str(s),
        None => f.u64(0),
    };
    f.u64(content.toc.len() as u64);
    for h in content.toc.iter() {
        heading(&mut f, h);
    }
    f.u64(content.word_count as u64);
    f.u64(content.anchors.len() as u64);
    for a in &content.anchors {
        f.str(a);
    }
    f.u64(content.links.len() as u64);
    for l in &content.links {
        f.str(&l.path);
        optional(&mut f, l.anchor.as_deref());
        f.u64(l.span.start as u64).u64(l.span.end as u64);
        optional(&mut f, l.relative.as_deref());
    }
    // Each target with the URL it had: the body is taken back only while they are the same.
    f.u64(content.targets.len() as u64);
    for t in &content.targets {
        f.str(t);
        optional(&mut f, urls.get(t).map(String::as_str));
    }
    match entry.map(search::Entry::parts) {
        Some((shown, words, weights)) => f.u64(1).str(shown).str(words).bytes(weights),
        None => f.u64(0),
    };
    f.into_bytes()
}

fn optional(f: &mut Fields, s: Option<&str>) {
    match s {
        Some(s) => f.u64(1).str(s),
        None => f.u64(0),
    };
}

fn heading(f: &mut Fields, h: &Heading) {
    f.u64(u64::from(h.level)).str(&h.id).str(&h.title);
    f.u64(h.children.len() as u64);
    for c in &h.children {
        heading(f, c);
    }
}

/// A body read back, with its search entry if it was kept with one; none when it is
/// malformed or a page it links to moved.
fn decode(
    bytes: &[u8],
    urls: &BTreeMap<String, String>,
) -> Option<(Content, Option<search::Entry>)> {
    let mut r = Fielded::new(bytes);
    let html = Packed::from_packed(r.bytes()?)?;
    let summary = read_optional(&mut r)?;
    let toc = (0..r.u64()?)
        .map(|_| read_heading(&mut r, 0))
        .collect::<Option<Vec<_>>>()?;
    let word_count = usize::try_from(r.u64()?).ok()?;
    let anchors = (0..r.u64()?).map(|_| r.str()).collect::<Option<Vec<_>>>()?;
    let links = (0..r.u64()?)
        .map(|_| {
            Some(InternalLink {
                path: r.str()?,
                anchor: read_optional(&mut r)?,
                span: usize::try_from(r.u64()?).ok()?..usize::try_from(r.u64()?).ok()?,
                relative: read_optional(&mut r)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let targets = (0..r.u64()?)
        .map(|_| {
            let target = r.str()?;
            let url = read_optional(&mut r)?;
            (urls.get(&target) == url.as_ref()).then_some(target)
        })
        .collect::<Option<Vec<_>>>()?;
    let entry = match r.u64()? {
        0 => None,
        1 => Some(search::Entry::from_parts(
            r.str()?,
            r.str()?,
            r.bytes()?.to_vec(),
        )?),
        _ => return None,
    };
    let content = Content {
        html,
        summary,
        toc: Arc::from(toc),
        word_count,
        anchors,
        links,
        shortcodes: vec![],
        targets,
    };
    r.is_done().then_some((content, entry))
}

#[expect(
    clippy::option_option,
    reason = "none: malformed; some(none): a field that was not there"
)]
fn read_optional(r: &mut Fielded<'_>) -> Option<Option<String>> {
    match r.u64()? {
        0 => Some(None),
        1 => Some(Some(r.str()?)),
        _ => None,
    }
}

/// A heading read back; nesting is bounded, as headings nest at most six deep.
fn read_heading(r: &mut Fielded<'_>, depth: usize) -> Option<Heading> {
    if depth > 6 {
        return None;
    }
    Some(Heading {
        level: u8::try_from(r.u64()?).ok()?,
        id: r.str()?,
        title: r.str()?,
        children: (0..r.u64()?)
            .map(|_| read_heading(r, depth + 1))
            .collect::<Option<Vec<_>>>()?,
    })
}

/// What a document was, for the next build to tell what changed: its path, the digest of its
/// text, and that of what decides the site's structure (the text before its body, its title).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Doc {
    rel: String,
    text: Key,
    matter: Key,
}

/// The pages and sections of `site` as `Doc`s (before their text is let go).
pub(super) fn docs(site: &Site) -> Vec<Doc> {
    site.documents()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|d| Doc {
            rel: d.rel.clone(),
            text: text_digest(d),
            matter: Hasher::new()
                .field(
                    d.source
                        .text
                        .get(..d.body.start)
                        .unwrap_or_default()
                        .as_bytes(),
                )
                .field(d.title.as_bytes())
                .key(),
        })
        .collect()
}

/// The pack the last build's outputs are recorded in, one entry per output folder.
const BUILDS: &str = "builds";

/// What the last build into an output folder made: from what (every input besides the
/// markdown files, then each page and section), and each output, with what its rendering
/// looked up and the identity of the file it left.
#[derive(Debug)]
pub(super) struct Record {
    rest: Key,
    docs: Vec<Doc>,
    outputs: BTreeMap<String, Kept>,
    /// What a build with the same inputs reports, when it reports no problem.
    pub(super) done: Option<Done>,
}

/// What the last build into a folder reported, when it found no problem, and the files it
/// wrote besides the outputs (those that seal them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Done {
    /// The digest of its inputs.
    pub(super) whole: Key,
    pub(super) pages: u64,
    pub(super) sections: u64,
    pub(super) site_digest: String,
    pub(super) files: u64,
    pub(super) bytes: u64,
    /// The image variants it published (none encoded when it is answered again).
    pub(super) variants: u64,
    pub(super) sealed: Vec<(String, FileId)>,
}

impl Record {
    /// Whether the folder at `dir`, which holds `held` (only plain files and folders), holds
    /// exactly the files the build recorded left, each with the identity it had then: then it
    /// holds their bytes.
    pub(super) fn left_as_it_was(
        &self,
        dir: &Path,
        held: &[(String, crate::fs::Kind)],
        done: &Done,
    ) -> bool {
        let mut expected: BTreeMap<&str, FileId> = self
            .outputs
            .iter()
            .map(|(p, k)| (p.as_str(), k.file))
            .collect();
        expected.extend(done.sealed.iter().map(|(p, f)| (p.as_str(), *f)));
        let files: Vec<&str> = held
            .iter()
            .filter(|(_, kind)| *kind != crate::fs::Kind::Folder)
            .map(|(rel, _)| rel.as_str())
            .collect();
        files.len() == expected.len()
            && files.par_iter().all(|rel| {
                expected
                    .get(rel)
                    .is_some_and(|f| FileId::of(&dir.join(rel)) == Some(*f))
            })
    }
}

/// One output of the last build.
#[derive(Debug, Clone)]
pub(super) struct Kept {
    pub(super) used: theme::Used,
    pub(super) written: Written,
    pub(super) file: FileId,
}

fn record_key(output_dir: &Path) -> Key {
    Hasher::new()
        .field(b"build 2")
        .field(output_dir.as_os_str().as_encoded_bytes())
        .key()
}

/// The digests of a build's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Inputs {
    /// Of every input besides the markdown files in `content/`: the tool, the configuration
    /// (with the command line's overrides and the provenance), and every other file in the
    /// site's input folders, by path.
    pub(super) rest: Key,
    /// Of every input: `rest` and the markdown files.
    pub(super) whole: Key,
}

/// The input files as a build found them before it began: each with its identity when its
/// digest was taken. A file added since is not here: it changes the next build's digests.
#[derive(Debug, Default)]
pub(super) struct Found(Vec<(std::path::PathBuf, FileId)>);

impl Found {
    /// Whether every file found is still as it was: same device, inode, size and time (one
    /// `stat` each, no walk and no digest). A file edited while the build ran fails this.
    pub(super) fn still(&self) -> bool {
        self.0
            .par_iter()
            .all(|(path, id)| FileId::of(path) == Some(*id))
    }
}

/// The digests of the inputs of a build of the site `config` describes: every file in its input
/// folders (links inside the site followed), hidden or not, whether the build reads it or not;
/// with the files as found and the content folder's listing (see [`Walked`]). None when a
/// folder cannot be walked, is a link out of the site, or a file cannot be read: then nothing
/// is kept.
pub(super) fn inputs(config: &Config, digests: &Digests<'_>) -> Option<Walked> {
    let mut rest = Hasher::new();
    rest.field(b"rest 1")
        .field(crate::cache::identity().as_bytes())
        .field(format!("{config:?}").as_bytes());
    let mut markdown = Hasher::new();
    markdown.field(b"markdown 1");
    let mut found = Some(Found::default());
    let mut content = None;
    // Links are followed inside the site only: one that leads out (the build reports it) is
    // not walked, and nothing is kept.
    let site = config.root.canonicalize().ok()?;
    for folder in crate::layout::INPUTS {
        let root = config.root.join(folder);
        if !root.exists() {
            continue;
        }
        // A folder that is itself a link out of the site (the build reports it) is not
        // walked, and nothing is kept.
        if !root.canonicalize().ok()?.starts_with(&site) {
            return None;
        }
        // The content folder is listed as the load stage lists it, links not followed: when it
        // holds no link, that is the same listing, and the load stage takes it.
        let plain = (folder == crate::layout::CONTENT)
            .then(|| crate::fs::list_tree(&root, None).ok())
            .flatten()
            .filter(|listed| listed.iter().all(|e| e.kind != crate::fs::Kind::Link));
        let listed = match &plain {
            Some(listed) => listed,
            None => &crate::fs::list_tree(&root, Some(&site)).ok()?,
        };
        let files: Vec<(std::path::PathBuf, bool)> = listed
            .iter()
            .filter(|e| e.kind == crate::fs::Kind::File)
            .map(|e| {
                let is_markdown = folder == crate::layout::CONTENT
                    && e.path.extension().is_some_and(|x| x == "md");
                (e.path.clone(), is_markdown)
            })
            .collect();
        if let Some(listed) = plain {
            content = Some((root.clone(), listed));
        }
        let digested: Vec<Option<(Key, Option<FileId>)>> = files
            .par_iter()
            .map(|(p, _)| digests.of_identified(p))
            .collect();
        for ((path, is_markdown), digested) in files.into_iter().zip(digested) {
            let h = if is_markdown {
                &mut markdown
            } else {
                &mut rest
            };
            let (digest, id) = digested?;
            h.field(crate::fs::rel_path(&config.root, &path).as_bytes())
                .field(&digest);
            found = found.zip(id).map(|(mut f, id)| {
                f.0.push((path, id));
                f
            });
        }
    }
    let rest = rest.key();
    let whole = Hasher::new().field(&rest).field(&markdown.key()).key();
    Some(Walked {
        inputs: Inputs { rest, whole },
        found,
        content,
    })
}

/// What the walk of the inputs gives: their digests, the files found (when each has an
/// identity), and the content folder's listing, links not followed (when it holds none).
pub(super) struct Walked {
    pub(super) inputs: Inputs,
    pub(super) found: Option<Found>,
    pub(super) content: Option<(std::path::PathBuf, Vec<crate::fs::Listed>)>,
}

/// The last build's record for `output_dir`, when the cache holds a whole one written on this
/// machine (its outputs are named by their identity on the machine that wrote them).
pub(super) fn record(cache: &Cache, output_dir: &Path) -> Option<Record> {
    if cache.is_foreign() {
        return None;
    }
    let mut r = Fielded::new(cache.get(BUILDS, &record_key(output_dir))?);
    let key = |r: &mut Fielded<'_>| -> Option<Key> { r.bytes()?.try_into().ok() };
    let rest = key(&mut r)?;
    let docs = (0..r.u64()?)
        .map(|_| {
            Some(Doc {
                rel: r.str()?,
                text: key(&mut r)?,
                matter: key(&mut r)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let strings =
        |r: &mut Fielded<'_>| -> Option<Vec<String>> { (0..r.u64()?).map(|_| r.str()).collect() };
    let mut outputs = BTreeMap::new();
    for _ in 0..r.u64()? {
        let path = r.str()?;
        let used = theme::Used {
            documents: strings(&mut r)?,
            templates: strings(&mut r)?,
        };
        let sha256 = key(&mut r)?;
        let size = r.u64()?;
        let inline = crate::policy::Inline {
            scripts: strings(&mut r)?.into_iter().collect(),
            styles: strings(&mut r)?.into_iter().collect(),
            style_attributes: strings(&mut r)?.into_iter().collect(),
        };
        let file = r.file_id()?;
        let written = Written {
            sha256,
            size,
            inline,
        };
        outputs.insert(
            path,
            Kept {
                used,
                written,
                file,
            },
        );
    }
    let done = match r.u64()? {
        0 => None,
        1 => Some(Done {
            whole: key(&mut r)?,
            pages: r.u64()?,
            sections: r.u64()?,
            site_digest: r.str()?,
            files: r.u64()?,
            bytes: r.u64()?,
            variants: r.u64()?,
            sealed: (0..r.u64()?)
                .map(|_| Some((r.str()?, r.file_id()?)))
                .collect::<Option<Vec<_>>>()?,
        }),
        _ => return None,
    };
    r.is_done().then_some(Record {
        rest,
        docs,
        outputs,
        done,
    })
}

/// Records what this build made, for the next one.
pub(super) fn keep_record(
    cache: &mut Cache,
    output_dir: &Path,
    rest: Key,
    docs: &[Doc],
    outputs: &BTreeMap<String, Kept>,
    done: Option<&Done>,
) {
    let mut f = Fields::new();
    f.bytes(&rest);
    f.u64(docs.len() as u64);
    for d in docs {
        f.str(&d.rel).bytes(&d.text).bytes(&d.matter);
    }
    let strings = |f: &mut Fields, items: &mut dyn ExactSizeIterator<Item = &String>| {
        f.u64(items.len() as u64);
        for s in items {
            f.str(s);
        }
    };
    f.u64(outputs.len() as u64);
    for (path, kept) in outputs {
        f.str(path);
        strings(&mut f, &mut kept.used.documents.iter());
        strings(&mut f, &mut kept.used.templates.iter());
        f.bytes(&kept.written.sha256).u64(kept.written.size);
        strings(&mut f, &mut kept.written.inline.scripts.iter());
        strings(&mut f, &mut kept.written.inline.styles.iter());
        strings(&mut f, &mut kept.written.inline.style_attributes.iter());
        f.file_id(kept.file);
    }
    match done {
        None => {
            f.u64(0);
        }
        Some(d) => {
            f.u64(1)
                .bytes(&d.whole)
                .u64(d.pages)
                .u64(d.sections)
                .str(&d.site_digest)
                .u64(d.files)
                .u64(d.bytes)
                .u64(d.variants)
                .u64(d.sealed.len() as u64);
            for (path, id) in &d.sealed {
                f.str(path);
                f.file_id(*id);
            }
        }
    }
    cache.put(BUILDS, record_key(output_dir), f.into_bytes());
}

/// Every output in `staging` that a build rendered or kept, with what it looked up, what was
/// written and the file's identity.
pub(super) fn outputs(
    staging: &crate::output::Staging,
    used: BTreeMap<String, theme::Used>,
) -> BTreeMap<String, Kept> {
    let written = staging.written();
    used.into_iter()
        .filter_map(|(path, used)| {
            let written = written.get(&path)?.clone();
            let file = staging.file_id(&path)?;
            Some((
                path,
                Kept {
                    used,
                    written,
                    file,
                },
            ))
        })
        .collect()
}

/// Whether an output, made as said, is kept as the last build made it: what was recorded of it.
pub(super) type Keepable<'a> = Box<dyn Fn(&str, Made) -> Option<&'a Kept> + Sync + 'a>;

/// Which outputs of the last build (`record`) a build of the same site with these `docs` may
/// keep as they are: none unless every input besides the markdown files is as it was (`rest`),
/// and every page and section is, but for its body. Then the outputs showing an edited body
/// are made again as `serve` makes them after the same edit (its equivalence tests hold this to
/// a full build): the pages and listings showing it, those whose templates looked it up, and
/// those made from the whole site. What it gives says, of an output, whether it is kept.
pub(super) fn keepable<'a>(
    record: &'a Record,
    site: &Site,
    docs: &[Doc],
    rest: Key,
) -> Option<Keepable<'a>> {
    if record.rest != rest || record.docs.len() != docs.len() {
        return None;
    }
    let mut changed = BTreeSet::new();
    for (old, new) in record.docs.iter().zip(docs) {
        if old.rel != new.rel || old.matter != new.matter {
            return None;
        }
        if old.text != new.text {
            changed.insert(new.rel.clone());
        }
    }
    let (pages, sections) = super::driver::dirty(site, &site.sections, &changed);
    let any = !changed.is_empty();
    Some(Box::new(move |path: &str, made: Made| {
        let kept = record.outputs.get(path)?;
        let looked_up = kept.used.documents.iter().any(|d| changed.contains(d));
        let again = looked_up
            || match made {
                Made::Page(i) => pages.get(i).is_none_or(|d| *d),
                Made::Section(i) => sections.get(i).is_none_or(|d| *d),
                Made::Whole => any,
                Made::Fixed | Made::Matter => false,
            };
        (!again).then_some(kept)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> Content {
        Content {
            html: Packed::new("<h2 id=\"a\">A</h2><p>see <a href=\"/b/\">b</a></p>"),
            summary: Some("<p>sum</p>".into()),
            toc: vec![Heading {
                level: 2,
                id: "a".into(),
                title: "A".into(),
                children: vec![Heading {
                    level: 3,
                    id: "c".into(),
                    title: "C".into(),
                    children: vec![],
                }],
            }]
            .into(),
            word_count: 3,
            anchors: vec!["a".into(), "c".into()],
            links: vec![InternalLink {
                path: "/b/".into(),
                anchor: Some("x".into()),
                span: 4..9,
                relative: None,
            }],
            shortcodes: vec![],
            targets: vec!["b.md".into(), "gone.md".into()],
        }
    }

    fn urls() -> BTreeMap<String, String> {
        BTreeMap::from([("b.md".to_owned(), "/b/".to_owned())])
    }

    #[cfg(unix)]
    #[test]
    fn an_input_folder_linked_out_of_the_site_is_not_walked() {
        let site = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(
            site.path().join("site.toml"),
            "title = \"t\"\nbase_url = \"https://example.org\"\n",
        )
        .unwrap();
        std::fs::write(outside.path().join("secret.md"), "secret").unwrap();
        let config =
            crate::config::load(site.path(), &crate::config::Overrides::default()).unwrap();
        let digests = Digests::new(None, crate::cache::Rehash::Unchanged);
        assert!(inputs(&config, &digests).is_some());
        std::os::unix::fs::symlink(outside.path(), site.path().join("content")).unwrap();
        assert!(inputs(&config, &digests).is_none());
        std::fs::remove_file(site.path().join("content")).unwrap();
        std::fs::create_dir(site.path().join("content")).unwrap();
        std::os::unix::fs::symlink(outside.path(), site.path().join("content/linked")).unwrap();
        assert!(inputs(&config, &digests).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn files_found_are_still_as_they_were_until_one_is_edited_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.md"), dir.path().join("b.css"));
        std::fs::write(&a, "a").unwrap();
        std::fs::write(&b, "b").unwrap();
        let found = || {
            Found(
                [&a, &b]
                    .iter()
                    .map(|p| ((*p).clone(), FileId::of(p).unwrap()))
                    .collect(),
            )
        };
        let before = found();
        assert!(before.still());
        std::fs::write(&a, "edited").unwrap();
        assert!(!before.still());
        let before = found();
        std::fs::remove_file(&b).unwrap();
        assert!(!before.still());
    }

    #[test]
    fn a_body_kept_reads_back_as_it_was() {
        let c = content();
        let (back, entry) = decode(&encode(&c, None, &urls()), &urls()).unwrap();
        assert!(entry.is_none());
        assert_eq!(back.html.unpack(), c.html.unpack());
        assert_eq!(back.summary, c.summary);
        assert_eq!(format!("{:?}", back.toc), format!("{:?}", c.toc));
        assert_eq!(back.word_count, c.word_count);
        assert_eq!(back.anchors, c.anchors);
        assert_eq!(back.links, c.links);
        assert_eq!(back.targets, c.targets);
    }

    #[test]
    fn a_body_is_not_taken_back_once_a_page_it_links_to_moved_or_came() {
        let bytes = encode(&content(), None, &urls());
        let mut moved = urls();
        moved.insert("b.md".into(), "/elsewhere/".into());
        assert!(decode(&bytes, &moved).is_none());
        let mut came = urls();
        came.insert("gone.md".into(), "/gone/".into());
        assert!(decode(&bytes, &came).is_none());
    }

    #[test]
    fn a_body_kept_with_its_search_entry_gives_the_entry_back() {
        let entry = entry();
        let (_, back) = decode(&encode(&content(), Some(&entry), &urls()), &urls()).unwrap();
        assert_eq!(back, Some(entry));
    }

    fn entry() -> search::Entry {
        search::Entry::from_parts(
            r#"["Kept","/kept/","page","sum"]"#.into(),
            "kept sum ".into(),
            vec![200, 90],
        )
        .unwrap()
    }

    #[test]
    fn a_malformed_body_is_not_taken_back() {
        let entry = entry();
        let bytes = encode(&content(), Some(&entry), &urls());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n], &urls()).is_none(), "{n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, &urls()).is_none());
    }
}
