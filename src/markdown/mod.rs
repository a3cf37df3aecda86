//! The markdown stage: every page and section body to HTML with pulldown-cmark: heading ids and
//! anchors, a table of contents, a `<!-- more -->` summary, highlighted code, shortcodes, and
//! links rewritten and collected so that every internal link and anchor can be checked.

pub(crate) mod highlight;
mod image;
pub(crate) mod shortcode;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use pulldown_cmark::{CowStr, Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::text::markdown::options;
use rayon::prelude::*;

use crate::config::{Config, LinkLevel};
use crate::diagnostic::{Diagnostic, Diagnostics, Severity, SourceText};
use crate::model::{Content, Document, Heading, InternalLink, Site};
use crate::text::{Suggestions, escape_html};
use crate::url;

/// Renders shortcodes: implemented over Tera by the render stage, and by fakes in tests.
pub(crate) trait Shortcodes: Sync {
    /// The names of the shortcodes there are.
    fn names(&self) -> Vec<String>;
    /// Renders one call; `body` is the block's rendered HTML.
    fn render(&self, call: &ShortcodeCall<'_>) -> Result<String, Diagnostic>;
}

/// One call, as the shortcode renderer sees it.
pub(crate) struct ShortcodeCall<'a> {
    pub(crate) name: &'a str,
    pub(crate) args: &'a serde_json::Map<String, serde_json::Value>,
    pub(crate) body: Option<&'a str>,
    /// How many calls of this shortcode came before on the page, from 1.
    pub(crate) nth: usize,
    /// The URL of the page it is on.
    pub(crate) page_url: &'a str,
}

/// What markdown rendering needs from the site.
pub(crate) struct Env<'a> {
    pub(crate) config: &'a Config,
    /// Content path to URL.
    pub(crate) urls: &'a BTreeMap<String, String>,
    pub(crate) shortcodes: &'a dyn Shortcodes,
    /// Fingerprinted static files: a link to one gets its hashed URL.
    pub(crate) assets: &'a crate::fingerprint::Assets,
    /// The content paths of `urls`, indexed for suggestions when the first link to a missing
    /// one is found.
    content_paths: OnceLock<Suggestions<'a>>,
}

impl<'a> Env<'a> {
    /// What rendering needs: the site's settings, content paths and their URLs, the
    /// shortcodes and the fingerprinted files.
    pub(crate) fn new(
        config: &'a Config,
        urls: &'a BTreeMap<String, String>,
        shortcodes: &'a dyn Shortcodes,
        assets: &'a crate::fingerprint::Assets,
    ) -> Self {
        Env {
            config,
            urls,
            shortcodes,
            assets,
            content_paths: OnceLock::new(),
        }
    }
}

/// Renders the body of every page and section, in parallel, and checks every internal link.
pub(crate) fn site(site: &mut Site, env: &Env<'_>, extra_paths: &[String]) -> Diagnostics {
    let (per_body, links) = site_reusing(site, env, extra_paths, &|_| None);
    let mut diagnostics = Diagnostics::new();
    for ds in per_body {
        diagnostics.extend(ds);
    }
    diagnostics.extend(links);
    diagnostics
}

/// `site`, leaving as they are the bodies `kept` says are already rendered (an incremental
/// rebuild put them there) and returns their diagnostics for. Returns each body's
/// diagnostics, in `Site::bodies` order, and the link check's.
pub(crate) fn site_reusing(
    site: &mut Site,
    env: &Env<'_>,
    extra_paths: &[String],
    kept: &(dyn Fn(&Document) -> Option<Diagnostics> + Sync),
) -> (Vec<Diagnostics>, Diagnostics) {
    let docs: Vec<&Document> = site.bodies().collect();
    let rendered: Vec<(Option<Content>, Diagnostics)> = docs
        .par_iter()
        .map(|doc| {
            if let Some(ds) = kept(doc) {
                (None, ds)
            } else {
                let (content, ds) = document(doc, env);
                (Some(content), ds)
            }
        })
        .collect();
    let mut per_body = Vec::with_capacity(rendered.len());
    for ((content, ds), doc) in rendered.into_iter().zip(site.bodies_mut()) {
        per_body.push(ds);
        if let Some(content) = content {
            doc.content = content;
        }
    }
    let links = check_links(site, env.config.links.internal, extra_paths);
    (per_body, links)
}

/// Renders one document's body.
pub(crate) fn document(doc: &Document, env: &Env<'_>) -> (Content, Diagnostics) {
    let mut r = Renderer {
        env,
        source: &doc.source,
        dir: doc.rel.rfind('/').map_or("", |i| &doc.rel[..i]).to_owned(),
        url: &doc.url,
        take_title: doc.meta.title.is_none(),
        state: State::default(),
    };
    let html = r.body(doc.body.clone());
    let State {
        headings,
        anchors,
        links,
        words,
        shortcodes,
        targets,
        diagnostics,
        ..
    } = r.state;
    let summary = html.find("<!-- more -->").map(|i| html[..i].to_owned());
    let mut names: Vec<String> = shortcodes.into_keys().collect();
    names.sort();
    (
        Content {
            html: crate::model::Packed::new(&html),
            summary,
            toc: toc(headings).into(),
            word_count: words,
            anchors,
            links,
            shortcodes: names,
            targets: targets.into_iter().collect(),
        },
        diagnostics,
    )
}

#[derive(Default)]
struct State {
    ids: HashSet<String>,
    headings: Vec<(u8, String, String)>,
    anchors: Vec<String>,
    links: Vec<InternalLink>,
    words: usize,
    shortcodes: BTreeMap<String, usize>,
    targets: BTreeSet<String>,
    diagnostics: Diagnostics,
    title_taken: bool,
    /// How many images of the content the page has shown so far.
    images: usize,
}

/// A content image being read: what it is, where, its alt text so far and its title.
struct PendingImage<'e> {
    rel: String,
    image: &'e crate::images::Image,
    span: Range<usize>,
    alt: String,
    title: String,
}

struct Renderer<'a, 'e> {
    env: &'a Env<'e>,
    source: &'a Arc<SourceText>,
    /// The document's folder inside `content/`, for relative `.md` links.
    dir: String,
    url: &'a str,
    take_title: bool,
    state: State,
}

/// A heading being read: level, `{#id}`, classes, and its inner events.
type OpenHeading<'t> = (HeadingLevel, Option<String>, Vec<String>, Vec<Event<'t>>);

/// Maps offsets in rewritten text (shortcodes replaced by placeholders) back to the file.
struct OffsetMap(Vec<(usize, usize)>);

impl OffsetMap {
    fn map(&self, offset: usize) -> usize {
        let i = self
            .0
            .partition_point(|(new, _)| *new <= offset)
            .saturating_sub(1);
        let (new, old) = self.0[i];
        old + (offset - new)
    }
}

const MARK: char = '\u{E000}';

/// `html` with each placeholder `MARK n MARK` replaced by `outputs[n]`, in one pass: the
/// first occurrence that stands alone in its paragraph (`<p>` placeholder `</p>`, the
/// paragraph replaced too), else the first occurrence. A page with thousands of calls costs
/// the length of its HTML plus that of the outputs, not their product.
fn splice(html: &str, outputs: &[String]) -> String {
    // For each call: the first occurrence alone in a paragraph, and the first of any kind.
    let mut alone: Vec<Option<Range<usize>>> = vec![None; outputs.len()];
    let mut any: Vec<Option<Range<usize>>> = vec![None; outputs.len()];
    let mut from = 0;
    while let Some(at) = html[from..].find(MARK).map(|i| from + i) {
        let digits = at + MARK.len_utf8();
        let end = html[digits..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(html.len(), |i| digits + i);
        let n = html[digits..end].parse::<usize>().ok();
        match n.filter(|&n| n < outputs.len() && html[end..].starts_with(MARK)) {
            Some(n) => {
                let end = end + MARK.len_utf8();
                if alone[n].is_none()
                    && html[..at].ends_with("<p>")
                    && html[end..].starts_with("</p>")
                {
                    alone[n] = Some(at - "<p>".len()..end + "</p>".len());
                }
                any[n].get_or_insert(at..end);
                from = end;
            }
            None => from = digits,
        }
    }
    let mut places: Vec<(Range<usize>, usize)> = alone
        .into_iter()
        .zip(any)
        .enumerate()
        .filter_map(|(n, (alone, any))| alone.or(any).map(|r| (r, n)))
        .collect();
    places.sort_unstable_by_key(|(r, _)| r.start);
    let mut out =
        String::with_capacity(html.len() + outputs.iter().map(String::len).sum::<usize>());
    let mut last = 0;
    for (r, n) in places {
        out.push_str(&html[last..r.start]);
        out.push_str(&outputs[n]);
        last = r.end;
    }
    out.push_str(&html[last..]);
    out
}

impl<'e> Renderer<'_, 'e> {
    fn error_or_warning(&self, message: String) -> Diagnostic {
        match self.env.config.links.internal {
            LinkLevel::Error => Diagnostic::error(message),
            LinkLevel::Warn => Diagnostic::warning(message),
        }
    }

    /// Renders `source[range]`: shortcodes first replaced by placeholders, then markdown, then
    /// the placeholders by the shortcodes' output.
    fn body(&mut self, range: Range<usize>) -> String {
        let text = &self.source.text;
        let has_calls = text[range.clone()].contains("{{") || text[range.clone()].contains("{%");
        let (pieces, errors) = if has_calls {
            let code = code_ranges(&text[range.clone()], range.start);
            shortcode::scan(text, range.clone(), &code)
        } else {
            (vec![shortcode::Piece::Text(range.clone())], vec![])
        };
        for (msg, span) in errors {
            self.state
                .diagnostics
                .push(Diagnostic::error(msg).at(self.source, span));
        }
        let mut rewritten = String::with_capacity(range.len() + 16);
        let mut map = vec![];
        let mut calls = vec![];
        for piece in pieces {
            match piece {
                shortcode::Piece::Text(r) => {
                    map.push((rewritten.len(), r.start));
                    rewritten.push_str(&text[r]);
                }
                shortcode::Piece::Literal(lit, r) => {
                    map.push((rewritten.len(), r.start));
                    // Escaped for markdown so it stays exactly as written.
                    rewritten.push_str(&lit.replace('*', "\\*").replace('_', "\\_"));
                }
                shortcode::Piece::Call(call) => {
                    let block = call.body.is_some();
                    map.push((rewritten.len(), call.span.start));
                    if block {
                        rewritten.push_str("\n\n");
                    }
                    let _ = write!(rewritten, "{MARK}{}{MARK}", calls.len());
                    if block {
                        rewritten.push_str("\n\n");
                    }
                    calls.push(call);
                }
            }
        }
        if map.is_empty() {
            map.push((0, range.start));
        }
        let map = OffsetMap(map);
        let html = self.markdown(&rewritten, &map);
        if calls.is_empty() {
            return html;
        }
        let outputs: Vec<String> = calls.iter().map(|call| self.call(call)).collect();
        splice(&html, &outputs)
    }

    fn call(&mut self, call: &shortcode::Call) -> String {
        let names = self.env.shortcodes.names();
        if !names.iter().any(|n| n == &call.name) {
            let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut d = Diagnostic::error(format!("unknown shortcode `{}`", call.name))
                .at(
                    self.source,
                    call.span.start..call.span.start + call.name.len() + 3,
                )
                .label(format!(
                    "no `templates/shortcodes/{}.html` in the site or theme",
                    call.name
                ));
            if let Some(best) = crate::text::did_you_mean(&call.name, &candidates) {
                d = d.help(format!("did you mean `{best}`?"));
            }
            self.state.diagnostics.push(d);
            // Called all the same: the body depends on whether the shortcode exists.
            self.state.shortcodes.entry(call.name.clone()).or_insert(0);
            return String::new();
        }
        let body = call.body.clone().map(|r| self.body(r));
        let nth = {
            let n = self.state.shortcodes.entry(call.name.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let c = ShortcodeCall {
            name: &call.name,
            args: &call.args,
            body: body.as_deref(),
            nth,
            page_url: self.url,
        };
        match self.env.shortcodes.render(&c) {
            Ok(html) => html,
            Err(d) => {
                self.state
                    .diagnostics
                    .push(at_the_call(d, call, self.source));
                String::new()
            }
        }
    }

    fn markdown(&mut self, text: &str, map: &OffsetMap) -> String {
        let parser = Parser::new_ext(text, options(self.env.config.markdown.smart_punctuation))
            .into_offset_iter();
        let mut out: Vec<Event<'_>> = Vec::with_capacity(text.len() / 16);
        let mut heading: Option<OpenHeading<'_>> = None;
        let mut code: Option<(String, String, Range<usize>)> = None;
        let mut image: Option<PendingImage<'_>> = None;
        for (event, range) in parser {
            let span = map.map(range.start)..map.map(range.end);
            if let Some(pending) = image.as_mut() {
                match event {
                    Event::End(TagEnd::Image) => {
                        if let Some(pending) = image.take() {
                            let html = self.image(pending);
                            out.push(Event::Html(html.into()));
                        }
                    }
                    Event::Text(t) | Event::Code(t) => pending.alt.push_str(&t),
                    Event::SoftBreak | Event::HardBreak => pending.alt.push(' '),
                    _ => {}
                }
                continue;
            }
            let event = match event {
                Event::Start(Tag::Heading {
                    level, id, classes, ..
                }) => {
                    heading = Some((
                        level,
                        id.map(|i| i.to_string()),
                        classes.iter().map(ToString::to_string).collect(),
                        vec![],
                    ));
                    continue;
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((level, id, classes, inner)) = heading.take() {
                        self.heading(&mut out, level, id, &classes, inner);
                    }
                    continue;
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    let info = match kind {
                        pulldown_cmark::CodeBlockKind::Fenced(info) => info.to_string(),
                        pulldown_cmark::CodeBlockKind::Indented => String::new(),
                    };
                    code = Some((info, String::new(), span));
                    continue;
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((info, body, span)) = code.take() {
                        let fence = highlight::Fence::parse(&info).unwrap_or_else(|msg| {
                            self.state.diagnostics.push(
                                Diagnostic::warning(msg)
                                    .at(self.source, span.start..span.start + info.len() + 3),
                            );
                            highlight::Fence::parse(info.split(',').next().unwrap_or(""))
                                .unwrap_or_default()
                        });
                        Event::Html(
                            highlight::code_block(
                                &body,
                                &fence,
                                self.env.config.markdown.highlight_code,
                            )
                            .into(),
                        )
                    } else {
                        continue;
                    }
                }
                Event::Text(t) if code.is_some() => {
                    if let Some((_, body, _)) = code.as_mut() {
                        body.push_str(&t);
                    }
                    continue;
                }
                Event::Text(t) => {
                    self.state.words += t.split_whitespace().count();
                    Event::Text(t)
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let dest_url = self.link(dest_url, span, false);
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })
                }
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    if let Some((rel, found)) = self.content_image(&dest_url) {
                        image = Some(PendingImage {
                            rel,
                            image: found,
                            span,
                            alt: String::new(),
                            title: title.to_string(),
                        });
                        continue;
                    }
                    let dest_url = self.link(dest_url, span, true);
                    Event::Start(Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })
                }
                Event::Html(h) | Event::InlineHtml(h) if has_script(&h) => {
                    // Every inline script a page has is hashed into the site's CSP (the theme's
                    // own need it), so a page's script would be allowed to run: a contributor's
                    // page carries none.
                    self.state.diagnostics.push(
                        Diagnostic::error("a page's markdown carries no `<script>`")
                            .at(self.source, span)
                            .label("a script")
                            .help("scripts belong to the theme (`templates/`, `static/`), where they are reviewed as code; to show code, put it in a fenced block"),
                    );
                    continue;
                }
                Event::FootnoteReference(name) => Event::FootnoteReference(name),
                Event::Start(Tag::FootnoteDefinition(name)) => {
                    self.state.anchors.push(name.to_string());
                    Event::Start(Tag::FootnoteDefinition(name))
                }
                e => e,
            };
            match heading.as_mut() {
                Some((_, _, _, inner)) => inner.push(event),
                None => out.push(event),
            }
        }
        let mut html = String::with_capacity(text.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut html, out.into_iter());
        let mut html = image::unwrap_figures(html);
        if html.contains(" style=\"text-align: ") {
            // Column alignment as classes: a strict CSP forbids inline styles.
            for side in ["left", "center", "right"] {
                html = html.replace(
                    &format!(" style=\"text-align: {side}\""),
                    &format!(" class=\"align-{side}\""),
                );
            }
        }
        html
    }

    fn heading<'t>(
        &mut self,
        out: &mut Vec<Event<'t>>,
        level: HeadingLevel,
        id: Option<String>,
        classes: &[String],
        inner: Vec<Event<'t>>,
    ) {
        let mut title = String::new();
        for e in &inner {
            if let Event::Text(t) | Event::Code(t) = e {
                title.push_str(t);
            }
        }
        let title = title.trim().to_owned();
        if self.take_title && level == HeadingLevel::H1 && !self.state.title_taken {
            // The title is shown as the title, not as body text, so its words are not the body's.
            self.state.title_taken = true;
            self.state.words -= title.split_whitespace().count().min(self.state.words);
            return;
        }
        let base = id.unwrap_or_else(|| {
            let s = crate::text::slugify(&title);
            if s.is_empty() {
                "section".to_owned()
            } else {
                s
            }
        });
        let mut id = base.clone();
        let mut n = 1;
        while !self.state.ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let level_n = level as u8;
        let mut open = format!("<h{level_n} id=\"{}\"", escape_html(&id));
        if !classes.is_empty() {
            let _ = write!(open, " class=\"{}\"", escape_html(&classes.join(" ")));
        }
        open.push('>');
        out.push(Event::Html(open.into()));
        out.extend(inner);
        let mut close = String::new();
        if self.env.config.markdown.heading_anchors {
            let _ = write!(
                close,
                " <a class=\"anchor\" href=\"#{0}\" aria-label=\"Link to this section: {1}\">#</a>",
                escape_html(&id),
                escape_html(&title)
            );
        }
        let _ = write!(close, "</h{level_n}>");
        out.push(Event::Html(close.into()));
        self.state.anchors.push(id.clone());
        self.state.headings.push((level_n, id, title));
    }

    /// The image of the content a markdown image names, resolved from the markdown file's
    /// folder as an editor means it (beside `index.md` in a bundle, beside a flat page too);
    /// none when it names no image there (a URL, a static file, a missing file: the link
    /// check reports those).
    fn content_image(&self, dest: &str) -> Option<(String, &'e crate::images::Image)> {
        if dest.is_empty() || is_external(dest) || dest.starts_with('/') || dest.starts_with("@/") {
            return None;
        }
        let path = dest.split(['?', '#']).next().unwrap_or("");
        if !crate::images::is_image(path) {
            return None;
        }
        let rel = resolve_content(&self.dir, path)?;
        let found = self.env.assets.images.get(&rel)?;
        Some((rel, found))
    }

    /// The HTML of a content image, or a located problem with it.
    fn image(&mut self, pending: PendingImage<'_>) -> String {
        let PendingImage {
            rel,
            image: found,
            span,
            alt,
            title,
        } = pending;
        if let crate::images::Image::Bad(problem) = found {
            let mut d = Diagnostic::error(problem.message.clone())
                .at(self.source, span)
                .label(format!("`content/{rel}`"));
            if let Some(help) = &problem.help {
                d = d.help(help.clone());
            }
            self.state.diagnostics.push(d);
            return String::new();
        }
        if alt.trim().is_empty() {
            self.state.diagnostics.push(
                Diagnostic::warning(format!("the image `content/{rel}` has no alt text"))
                    .at(self.source, span)
                    .label("nothing between the brackets")
                    .help("say what it shows, for those who cannot see it: `![loss falls after step 200](plot.png)`"),
            );
        }
        let shown = image::Shown {
            alt: alt.trim(),
            caption: title.trim(),
            first: self.state.images == 0,
        };
        self.state.images += 1;
        image::markup(
            found,
            &shown,
            self.env.assets,
            &self.env.config.images.sizes,
        )
    }

    /// Rewrites `@/page.md#x` and `page.md` links to URLs and records internal links for the
    /// check that runs once every page is known.
    fn link<'t>(&mut self, dest: CowStr<'t>, span: Range<usize>, is_image: bool) -> CowStr<'t> {
        let d: &str = &dest;
        if d.is_empty() || is_external(d) {
            return dest;
        }
        let (before_anchor, anchor) = match d.split_once('#') {
            Some((p, a)) => (p, Some(a.to_owned())),
            None => (d, None),
        };
        let path = before_anchor.split('?').next().unwrap_or("");
        if path.is_empty() {
            // `#anchor` on this page.
            self.state.links.push(InternalLink {
                path: self.url.to_owned(),
                anchor,
                span,
                relative: None,
            });
            return dest;
        }
        let content_target = if let Some(target) = path.strip_prefix("@/") {
            Some(target.to_owned())
        } else if path.ends_with(".md") && !is_image {
            let resolved = if let Some(abs) = path.strip_prefix('/') {
                Some(abs.to_owned())
            } else {
                resolve_content(&self.dir, path)
            };
            if let Some(p) = resolved {
                Some(p)
            } else {
                self.state.diagnostics.push(
                    self.error_or_warning(format!("broken link: `{d}` climbs out of `content/`"))
                        .at(self.source, span),
                );
                return dest;
            }
        } else {
            None
        };
        if let Some(target) = content_target {
            self.state.targets.insert(target.clone());
            let Some(url) = self.env.urls.get(&target) else {
                let paths = self
                    .env
                    .content_paths
                    .get_or_init(|| Suggestions::new(self.env.urls.keys().map(String::as_str)));
                let mut diag = self
                    .error_or_warning(format!(
                        "broken link: `{d}` points to `content/{target}`, which does not exist"
                    ))
                    .at(self.source, span)
                    .label("no such page");
                if let Some(best) = paths.closest(&target) {
                    diag = diag.help(format!("did you mean `{best}`?"));
                }
                self.state.diagnostics.push(diag);
                return dest;
            };
            if anchor.is_some() {
                self.state.links.push(InternalLink {
                    path: url.clone(),
                    anchor: anchor.clone(),
                    span,
                    relative: None,
                });
            }
            return match anchor {
                Some(a) => format!("{url}#{a}").into(),
                None => url.clone().into(),
            };
        }
        match url::resolve(self.url, path) {
            Some(resolved) => {
                let asset = self.env.assets.get(&resolved).map(|a| {
                    let rest = &d[path.len()..];
                    format!("{}{rest}", a.url())
                });
                self.state.links.push(InternalLink {
                    path: resolved,
                    anchor,
                    span,
                    relative: (!path.starts_with('/')).then(|| path.to_owned()),
                });
                if let Some(url) = asset {
                    return url.into();
                }
            }
            None => self.state.diagnostics.push(
                self.error_or_warning(format!("broken link: `{d}` climbs above the site root"))
                    .at(self.source, span),
            ),
        }
        dest
    }
}

/// Whether raw HTML opens a `<script>` element.
fn has_script(html: &str) -> bool {
    html.as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"<script"))
}

/// A problem met while rendering a shortcode's template, moved to the call in the markdown
/// (where the editor can fix an argument), with the template's place as a note.
fn at_the_call(d: Diagnostic, call: &shortcode::Call, source: &Arc<SourceText>) -> Diagnostic {
    // A block call is pointed at by its opening tag, not its body.
    let end = call.body.as_ref().map_or(call.span.end, |b| b.start);
    let opening = source.text[call.span.start..end].trim_end();
    let template = d.place().map_or_else(
        || format!("`{}`", crate::layout::shortcode_template(&call.name)),
        |p| format!("`{p}`"),
    );
    let mut moved = Diagnostic::error(d.message)
        .at(source, call.span.start..call.span.start + opening.len())
        .label(format!("in this call of shortcode `{}`", call.name))
        .note(format!("raised by the shortcode's template at {template}"));
    moved.severity = d.severity;
    moved.help = d.help;
    moved
}

fn is_external(d: &str) -> bool {
    if d.starts_with("//") {
        return true;
    }
    match d.find(':') {
        Some(i) => {
            let scheme = &d[..i];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Resolves a relative `.md` link from a document in `dir` to a path inside `content/`.
fn resolve_content(dir: &str, link: &str) -> Option<String> {
    let parts = url::walk(dir.split('/').filter(|s| !s.is_empty()).collect(), link)?;
    Some(parts.join("/"))
}

/// Byte ranges (in the file) of code spans and code blocks, where shortcodes are not run.
fn code_ranges(text: &str, offset: usize) -> Vec<Range<usize>> {
    let mut out = vec![];
    for (event, range) in Parser::new_ext(text, options(false)).into_offset_iter() {
        match event {
            Event::Code(_) | Event::Start(Tag::CodeBlock(_)) => {
                out.push(range.start + offset..range.end + offset);
            }
            _ => {}
        }
    }
    out
}

/// Nests a flat list of headings by level.
fn toc(flat: Vec<(u8, String, String)>) -> Vec<Heading> {
    fn insert(list: &mut Vec<Heading>, h: Heading) {
        if let Some(last) = list.last_mut()
            && last.level < h.level
        {
            insert(&mut last.children, h);
            return;
        }
        list.push(h);
    }
    let mut out = vec![];
    for (level, id, title) in flat {
        insert(
            &mut out,
            Heading {
                level,
                id,
                title,
                children: vec![],
            },
        );
    }
    out
}

/// Checks every internal link and anchor against the pages, files and redirects the site has.
/// A serve session runs it on every save: it looks things up where the site keeps them rather
/// than building sets of every anchor and file first.
fn check_links(site: &Site, level: LinkLevel, extra_paths: &[String]) -> Diagnostics {
    let severity = match level {
        LinkLevel::Error => Severity::Error,
        LinkLevel::Warn => Severity::Warning,
    };
    let pages: HashMap<&str, &Document> = site.bodies().map(|d| (d.url.as_str(), d)).collect();
    // Made on the first link that is not to a page, so a save whose links all lead to pages
    // builds neither.
    let others: OnceLock<HashSet<&str>> = OnceLock::new();
    let published = |path: &str| {
        let others = others.get_or_init(|| {
            site.aliases
                .iter()
                .map(|a| a.from.as_str())
                .chain(extra_paths.iter().map(String::as_str))
                .collect()
        });
        let file = |p: &str| {
            p.starts_with('/') && site.files.contains_key(url::in_output(p)) || others.contains(p)
        };
        file(path) || file(&format!("{path}/"))
    };
    let urls: OnceLock<Suggestions<'_>> = OnceLock::new();
    // The files, for a link to an image that is not there.
    let files: OnceLock<Suggestions<'_>> = OnceLock::new();
    let mut out = Diagnostics::new();
    for doc in site.bodies() {
        for link in &doc.content.links {
            let page = lookup_page(&pages, &link.path);
            let mut diag = if page.is_none() && !published(&link.path) {
                let mut d = Diagnostic::error(format!(
                    "broken link: nothing is published at `{}`",
                    link.path
                ))
                .at(&doc.source, link.span.clone())
                .label("no page or file here");
                let urls = urls.get_or_init(|| {
                    let mut sorted: Vec<&str> = pages.keys().copied().collect();
                    sorted.sort_unstable();
                    Suggestions::new(sorted)
                });
                let image = crate::images::is_image(&link.path);
                if let Some(help) = beside_the_file(site, doc, link) {
                    d = d.help(help);
                } else if let Some(best) = image
                    .then(|| {
                        let files = files.get_or_init(|| {
                            Suggestions::new(site.files.keys().map(String::as_str))
                        });
                        nearest_image(files, doc, link)
                    })
                    .flatten()
                {
                    d = d.help(format!("did you mean `{best}`?"));
                } else if let Some(best) = urls.closest(&link.path) {
                    d = d.help(format!("did you mean `{best}`?"));
                }
                d
            } else if let (Some(target), Some(anchor)) = (page, &link.anchor) {
                if target.content.anchors.contains(anchor) {
                    continue;
                }
                let mut list: Vec<&str> =
                    target.content.anchors.iter().map(String::as_str).collect();
                list.sort_unstable();
                list.dedup();
                let mut d = Diagnostic::error(format!(
                    "broken anchor: `{}` has no `#{anchor}`",
                    target.url
                ))
                .at(&doc.source, link.span.clone())
                .label("no heading with this id");
                if let Some(best) = crate::text::did_you_mean(anchor, &list) {
                    d = d.help(format!("did you mean `#{best}`?"));
                }
                d
            } else {
                continue;
            };
            diag.severity = severity;
            out.push(diag);
        }
    }
    out
}

/// A relative link is resolved from the page's URL, as a browser does; written next to a flat
/// page (`content/manifesto.md`, published at `/manifesto/`), `x.png` means the file beside
/// the markdown, which is published elsewhere (`/x.png`). Says where, when that file exists.
fn beside_the_file(site: &Site, doc: &Document, link: &InternalLink) -> Option<String> {
    let written = link.relative.as_deref()?;
    let dir = doc.rel.rfind('/').map_or("", |i| &doc.rel[..i]);
    let beside = resolve_content(dir, written)?;
    if !site.files.contains_key(&beside) {
        return None;
    }
    let name = doc.rel.rsplit('/').next().unwrap_or(&doc.rel);
    let bundle = doc.rel.strip_suffix(".md").unwrap_or(&doc.rel);
    Some(format!(
        "`{written}` is resolved from the page's URL `{}`; `content/{beside}` beside `{name}` is published at `/{beside}`: link to `/{beside}`, or make the page a bundle (`content/{bundle}/index.md` with its files beside it)",
        doc.url
    ))
}

/// The published file nearest to a missing image, as the link should be written: beside the
/// markdown file (from its folder, as an editor means it), else by its URL.
fn nearest_image(files: &Suggestions<'_>, doc: &Document, link: &InternalLink) -> Option<String> {
    let dir = doc.rel.rfind('/').map_or("", |i| &doc.rel[..i]);
    if let Some(beside) = link
        .relative
        .as_deref()
        .and_then(|w| resolve_content(dir, w))
    {
        if let Some(best) = files.closest(&beside) {
            let prefix = if dir.is_empty() {
                String::new()
            } else {
                format!("{dir}/")
            };
            if let Some(name) = best.strip_prefix(&prefix) {
                return Some(name.to_owned());
            }
        }
    }
    files
        .closest(url::in_output(&link.path))
        .map(|best| format!("/{best}"))
}

/// The page or section a link's path leads to: its URL, that URL without the final `/`, or
/// its `index.html`.
fn lookup_page<'a>(pages: &HashMap<&str, &'a Document>, path: &str) -> Option<&'a Document> {
    if let Some(d) = pages.get(path) {
        return Some(d);
    }
    if let Some(dir) = path.strip_suffix("index.html") {
        if let Some(d) = pages.get(dir) {
            return Some(d);
        }
    }
    pages.get(format!("{path}/").as_str()).copied()
}

#[cfg(test)]
mod tests;
