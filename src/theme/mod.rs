//! Templates: the theme's and the site's (the site's win), compiled once into Tera 2, with the
//! functions and filters themes use, and Tera's errors turned into located diagnostics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tera::{Context, ErrorKind, Kwargs, State, Tera, Value};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::load::SourceSet;
use crate::markdown::{ShortcodeCall, Shortcodes};

mod deps;
pub(crate) use deps::{dependents, reading};
mod settings;
pub(crate) use settings::{SYNTAX_CSS, syntax_css};

/// What `get_url`, `get_page` and `get_section` look things up in. Filled in as the build
/// learns it: URLs after parsing, rendered documents after the markdown stage.
#[derive(Default)]
pub(crate) struct Lookups {
    /// Content path to URL.
    pub(crate) urls: OnceLock<BTreeMap<String, String>>,
    /// Output paths of static files.
    pub(crate) files: OnceLock<BTreeSet<String>>,
    /// Content path to the page or section's template value; none until the render stage (so
    /// none in shortcodes). Replaced on every render: a serve session keeps the theme across
    /// rebuilds.
    pub(crate) documents: RwLock<Option<BTreeMap<String, Lazy>>>,
    /// What `get_pages` gave, by section and `extra` key: made once per render of the
    /// documents, as a footer asks the same on every page.
    selections: Mutex<HashMap<(String, String), Value>>,
    /// Artifact id to its template value, for `get_artifact`.
    pub(crate) artifacts: OnceLock<BTreeMap<String, Value>>,
    /// Fingerprinted files by their unhashed path: URL and SRI value, for `asset`.
    pub(crate) assets: OnceLock<BTreeMap<String, (String, String)>>,
    /// The run ledgers' views, for `get_ledger`.
    pub(crate) ledgers: OnceLock<LedgerLookup>,
    /// The content's images and the site's image settings, for `resize_image`.
    pub(crate) images: OnceLock<(crate::images::Images, crate::config::ImagesConfig)>,
    /// What `resize_image` calls asked for, by output path: encoded once the pages are
    /// rendered (see `take_resized`).
    resized: Mutex<BTreeMap<String, crate::images::resize::Request>>,
}

/// What `get_ledger` looks up, given by the records (which know ledgers): their names, and the
/// view of one with the entries a call's arguments select, made for that call.
pub(crate) struct LedgerLookup {
    /// The ledgers' names.
    pub(crate) names: Vec<String>,
    /// The view of the ledger of this name with the selected entries; none for an unknown
    /// name.
    pub(crate) view: Box<LedgerView>,
}

/// The view of a ledger by name with the entries a call's arguments select (the ledger kind
/// reads them: `last`, `from`, `to`, `types`); a located problem with an argument.
pub(crate) type LedgerView =
    dyn Fn(&str, &Kwargs) -> tera::TeraResult<Option<serde_json::Value>> + Send + Sync;

impl Lookups {
    /// Replaces what `get_page` and `get_section` find (none: not available, as in shortcodes).
    /// Takes the documents out (shortcodes then find none), to update them and set them again.
    pub(crate) fn take_documents(&self) -> Option<BTreeMap<String, Lazy>> {
        self.forget_selections();
        self.documents
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    pub(crate) fn set_documents(&self, documents: Option<BTreeMap<String, Lazy>>) {
        self.forget_selections();
        *self
            .documents
            .write()
            .unwrap_or_else(PoisonError::into_inner) = documents;
    }

    /// What `resize_image` calls asked for since the last time, by output path.
    pub(crate) fn take_resized(&self) -> BTreeMap<String, crate::images::resize::Request> {
        std::mem::take(&mut *self.resized.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn forget_selections(&self) {
        self.selections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A template value made the first time a template asks for it, then kept: `get_page` and
/// `get_section` values carry the document's rendered body, which the build otherwise holds
/// only packed.
pub(crate) struct Lazy {
    value: OnceLock<Value>,
    make: Box<dyn Fn() -> Value + Send + Sync>,
    /// A section's: its pages whose view without body passes the test, each with its body,
    /// so that `get_pages` unpacks only the pages it gives.
    pages: Option<Box<PagesWhere>>,
}

/// A section's pages whose view (without body) passes the test, as templates see them.
pub(crate) type PagesWhere = dyn Fn(&dyn Fn(&Value) -> bool) -> Vec<Value> + Send + Sync;

impl Lazy {
    pub(crate) fn new(make: impl Fn() -> Value + Send + Sync + 'static) -> Self {
        Self {
            value: OnceLock::new(),
            make: Box::new(make),
            pages: None,
        }
    }

    /// A section's value, and how to select its pages.
    pub(crate) fn section(
        make: impl Fn() -> Value + Send + Sync + 'static,
        pages: impl Fn(&dyn Fn(&Value) -> bool) -> Vec<Value> + Send + Sync + 'static,
    ) -> Self {
        Self {
            pages: Some(Box::new(pages)),
            ..Self::new(make)
        }
    }

    pub(crate) fn get(&self) -> Value {
        self.value.get_or_init(&self.make).clone()
    }

    /// The pages whose view passes `keep`: a section's own selection, or, for a value made
    /// otherwise, from its `pages`.
    fn pages_where(&self, keep: &dyn Fn(&Value) -> bool) -> Vec<Value> {
        match &self.pages {
            Some(select) => select(keep),
            None => self
                .get()
                .get_from_path("pages")
                .and_then(Value::as_array)
                .map(|pages| pages.iter().filter(|p| keep(p)).cloned().collect())
                .unwrap_or_default(),
        }
    }
}

/// The compiled templates.
pub struct Theme {
    pub(crate) tera: Tera,
    /// Template name to its source, for locating errors.
    sources: BTreeMap<String, Arc<SourceText>>,
    /// Templates that exist but were reported broken; using them reports nothing more.
    broken: BTreeSet<String>,
    pub(crate) lookups: Arc<Lookups>,
    base_url: String,
}

impl Theme {
    /// Whether a template calls `resize_image`, whose files are asked for as pages render.
    pub(crate) fn calls_resize_image(&self) -> bool {
        self.sources.values().any(|s| s.text.contains(RESIZE_IMAGE))
    }
}

/// Compiles every template; each one with a syntax error is reported and left out.
pub fn load(sources: &SourceSet, base_url: &str) -> (Theme, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let mut by_name = BTreeMap::new();
    let mut good = vec![];
    for (name, file) in &sources.templates {
        by_name.insert(name.clone(), Arc::clone(&file.source));
        let mut probe = Tera::new();
        match probe.add_raw_template(name, &file.source.text) {
            Err(e) if matches!(e.kind(), ErrorKind::SyntaxError(_)) => {
                diagnostics.push(diagnostic(&e, &by_name));
            }
            _ => good.push((name.clone(), file.source.text.to_string())),
        }
    }
    let lookups = Arc::new(Lookups::default());
    let mut tera = Tera::new();
    register(&mut tera, &lookups, base_url);
    // Tera adds a batch all or nothing: a template that cannot join the set (a missing parent,
    // a circular extend) is reported and left out, and the rest is added again.
    while let Err(e) = tera.add_raw_templates(good.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        // Problems found across the set (an unknown include, filter, function or component):
        // every template with one is left out at once.
        if let Some(reports) = reports(&e, &by_name) {
            let before = good.len();
            for (culprit, d) in reports {
                diagnostics.push(d);
                good.retain(|(n, _)| *n != culprit);
            }
            if good.len() < before && !good.is_empty() {
                continue;
            }
            good.clear();
            break;
        }
        diagnostics.push(diagnostic(&e, &by_name));
        let culprit = match e.kind() {
            ErrorKind::MissingParent { current, .. } => Some(current.clone()),
            ErrorKind::CircularExtend { tpl, .. } | ErrorKind::CircularInclude { tpl, .. } => {
                Some(tpl.clone())
            }
            ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
                Some(r.filename().to_owned())
            }
            _ => None,
        };
        match culprit.and_then(|c| good.iter().position(|(n, _)| *n == c)) {
            Some(i) => {
                good.remove(i);
            }
            None => {
                good.clear();
            }
        }
        if good.is_empty() {
            break;
        }
    }
    let broken = by_name
        .keys()
        .filter(|n| !good.iter().any(|(g, _)| g == *n))
        .cloned()
        .collect();
    (
        Theme {
            tera,
            sources: by_name,
            broken,
            lookups,
            base_url: base_url.to_owned(),
        },
        diagnostics,
    )
}

impl Theme {
    /// Whether a template exists (for an output being rendered, a use of the template).
    pub fn has(&self, name: &str) -> bool {
        used(|u| u.templates.push(name.to_owned()));
        self.tera.get_template_names().any(|n| n == name)
    }

    /// Whether a template exists but could not be compiled (already reported); for an output
    /// being rendered, a use of the template.
    pub(crate) fn is_broken(&self, name: &str) -> bool {
        used(|u| u.templates.push(name.to_owned()));
        self.broken.contains(name)
    }

    /// The templates that exist but could not be compiled.
    pub(crate) fn broken(&self) -> &BTreeSet<String> {
        &self.broken
    }

    /// The site's base URL, for `current_url`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Renders a template, turning a failure into a located diagnostic.
    pub(crate) fn render(&self, name: &str, context: &Context) -> Result<String, Diagnostic> {
        used(|u| u.templates.push(name.to_owned()));
        self.tera
            .render(name, context)
            .map_err(|e| diagnostic(&e, &self.sources))
    }

    /// The global context every template sees.
    pub(crate) fn set_globals(&mut self, globals: &BTreeMap<&'static str, Value>) {
        let ctx = self.tera.global_context();
        for (k, v) in globals {
            ctx.insert_value(*k, v.clone());
        }
    }
}

impl Shortcodes for Theme {
    fn names(&self) -> Vec<String> {
        self.tera
            .get_template_names()
            .filter_map(|n| n.strip_prefix("shortcodes/"))
            .filter_map(|n| n.strip_suffix(".html"))
            .map(str::to_owned)
            .collect()
    }

    fn render(&self, call: &ShortcodeCall<'_>) -> Result<String, Diagnostic> {
        let mut ctx = Context::new();
        for (k, v) in call.args {
            ctx.insert(k.clone(), v);
        }
        if let Some(body) = call.body {
            ctx.insert_value("body", Value::safe_string(body));
        }
        ctx.insert("nth", &call.nth);
        ctx.insert("current_path", call.page_url);
        Theme::render(self, &crate::layout::shortcode_template(call.name), &ctx)
    }
}

/// Tera's checks across templates (unknown includes, filters, tests, functions, components)
/// come as one message of reports, each `error: MESSAGE`, then ` --> NAME:LINE:COL`, the
/// line, and carets under the span, then `note:` lines. Each becomes a diagnostic at its place,
/// with the template it is in; none when the message is not made of such reports.
fn reports(
    e: &tera::Error,
    sources: &BTreeMap<String, Arc<SourceText>>,
) -> Option<Vec<(String, Diagnostic)>> {
    let ErrorKind::Msg(text) = e.kind() else {
        return None;
    };
    let mut out: Vec<(String, Diagnostic)> = vec![];
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(note) = line.strip_prefix("note: ") {
            let (name, d) = out.pop()?;
            out.push((name, d.help(note.to_owned())));
            continue;
        }
        let Some(message) = line.strip_prefix("error: ") else {
            continue;
        };
        let place = lines.next()?.trim_start().strip_prefix("--> ")?;
        let mut at = place.rsplitn(3, ':');
        let (col, line_no, name) = (at.next()?, at.next()?, at.next()?);
        let (col, line_no): (usize, usize) = (col.parse().ok()?, line_no.parse().ok()?);
        // ` |`, the line, then the carets.
        let carets = lines
            .by_ref()
            .take(3)
            .last()
            .map_or(0, |l| l.chars().filter(|&c| c == '^').count());
        let message = crate::text::template_message(&crate::text::lowercase_first(
            message.trim_end_matches('.'),
        ));
        let d = match sources.get(name) {
            Some(src) => {
                let start = offset(&src.text, line_no, col);
                let end = src.text[start..]
                    .char_indices()
                    .nth(carets.max(1))
                    .map_or(src.text.len(), |(i, _)| start + i);
                Diagnostic::error(message).at(src, start..end)
            }
            None => Diagnostic::error(format!("{message} (in template `{name}`)")),
        };
        out.push((name.to_owned(), d));
    }
    (!out.is_empty()).then_some(out)
}

/// The byte offset of a 1-based line and column (in characters) of `text`, or its end.
fn offset(text: &str, line: usize, col: usize) -> usize {
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    text[start..]
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(text.len(), |(i, _)| start + i)
}

/// Turns a Tera error into a diagnostic pointing into the template file.
fn diagnostic(e: &tera::Error, sources: &BTreeMap<String, Arc<SourceText>>) -> Diagnostic {
    match e.kind() {
        ErrorKind::SyntaxError(r) | ErrorKind::RenderingError(r) => {
            let mut message = crate::text::lowercase_first(r.message().trim_end_matches('.'));
            if let Some(source) = std::error::Error::source(e) {
                message = format!("{message}: {source}");
            }
            let mut message = crate::text::template_message(&message);
            // Tera lists what exists after the message; a near miss makes a better hint.
            let mut help = None;
            let split = message
                .split_once(". Available fields: ")
                .map(|(a, b)| (a.to_owned(), b.to_owned()));
            if let Some((first, fields)) = split {
                let fields: Vec<&str> = fields.split(", ").map(str::trim).collect();
                let wrong = first.split('`').nth(1).unwrap_or("");
                help = Some(match crate::text::did_you_mean(wrong, &fields) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("available: {}", fields.join(", ")),
                });
                message = first;
            }
            let d = match sources.get(r.filename()) {
                Some(src) => Diagnostic::error(message).at(src, r.span().range.clone()),
                None => Diagnostic::error(format!("{message} (in template `{}`)", r.filename())),
            };
            match help {
                Some(h) => d.help(h),
                None => d,
            }
        }
        ErrorKind::MissingParent { current, parent } => {
            let d = Diagnostic::error(format!(
                "template `{current}` extends `{parent}`, which does not exist"
            ));
            match sources.get(current) {
                Some(src) => d.in_file(src.path.clone()),
                None => d,
            }
        }
        other => Diagnostic::error(crate::text::template_message(
            &crate::text::lowercase_first(other.to_string().trim_end_matches('.')),
        )),
    }
}

thread_local! {
    /// What rendering one output on this thread used, when tracked.
    static USED: std::cell::RefCell<Option<Used>> = const { std::cell::RefCell::new(None) };
}

/// What rendering one output used besides its own document, for incremental rebuilds.
#[derive(Debug, Default, Clone)]
pub(crate) struct Used {
    /// The content paths of the documents its templates looked up (`get_page`,
    /// `get_section`, found or not).
    pub(crate) documents: Vec<String>,
    /// The templates it asked for by name: rendered, or whether they exist or are broken (not
    /// those they extend or include: see `dependents`).
    pub(crate) templates: Vec<String>,
}

/// The function that resolves a content path or a file to its URL.
pub(crate) const GET_URL: &str = "get_url";
/// The function that gives a section's pages, all or those with an `extra` key set.
const GET_PAGES: &str = "get_pages";
/// The function that looks up an artifact record's view.
const GET_ARTIFACT: &str = "get_artifact";
/// The function that looks up a run ledger's view.
const GET_LEDGER: &str = "get_ledger";
const RESIZE_IMAGE: &str = "resize_image";

/// The globals the render stage makes from the records (`artifacts`, `artifact_filters`).
/// Named here, where templates read them, so that the render stage names the theme's and not
/// the other way round.
pub(crate) const RECORD_GLOBALS: [&str; 2] = ["artifacts", "artifact_filters"];

/// The names through which a template reads records: the globals made from them and the
/// functions that look them up (see `reading`).
pub(crate) fn record_names() -> Vec<&'static str> {
    let mut names = RECORD_GLOBALS.to_vec();
    names.extend([GET_ARTIFACT, GET_LEDGER]);
    names
}

/// Runs `render` and returns with its result what it used.
pub(crate) fn tracking<T>(render: impl FnOnce() -> T) -> (T, Used) {
    let outer = USED.with(|r| r.borrow_mut().replace(Used::default()));
    let out = render();
    let mut used = USED
        .with(|r| std::mem::replace(&mut *r.borrow_mut(), outer))
        .unwrap_or_default();
    for list in [&mut used.documents, &mut used.templates] {
        list.sort();
        list.dedup();
    }
    (out, used)
}

/// Gives `then` the document at the content path `path` (`@/` in front or not), a section
/// when `want_section`, recording its use (found or not) for incremental rebuilds.
fn with_document<T>(
    l: &Lookups,
    path: &str,
    want_section: bool,
    then: impl FnOnce(&str, &Lazy) -> T,
) -> tera::TeraResult<T> {
    let path = path.trim_start_matches("@/");
    if path.ends_with("_index.md") != want_section {
        let what = if want_section {
            "a section is an `_index.md`"
        } else {
            "that is a section: use `get_section`"
        };
        return Err(tera::Error::message(format!("`{path}`: {what}")));
    }
    let docs = l.documents.read().unwrap_or_else(PoisonError::into_inner);
    let docs = docs
        .as_ref()
        .ok_or_else(|| tera::Error::message("pages are not available yet in shortcodes"))?;
    used(|u| u.documents.push(path.to_owned()));
    docs.get(path)
        .map(|doc| then(path, doc))
        .ok_or_else(|| tera::Error::message(format!("no `content/{path}`")))
}

/// `resize_image(path=, width=, height=, op=, format=, quality=)`: the URL and size of an
/// image of the content resized, encoded once the pages are rendered.
fn resize_image(l: &Lookups, kwargs: &Kwargs) -> std::result::Result<Value, String> {
    let number = |name: &str| -> std::result::Result<Option<u32>, String> {
        match kwargs.get::<i64>(name).map_err(|e| e.to_string())? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| format!("`{name}` must be a whole number of pixels, not {n}")),
        }
    };
    let path = kwargs.must_get::<&str>("path").map_err(|e| e.to_string())?;
    let quality = match kwargs.get::<i64>("quality").map_err(|e| e.to_string())? {
        None => None,
        Some(q) => {
            Some(u8::try_from(q).map_err(|_| format!("quality {q} is not between 1 and 100"))?)
        }
    };
    let asked = crate::images::resize::Asked {
        path: path.strip_prefix("content/").unwrap_or(path),
        width: number("width")?,
        height: number("height")?,
        op: kwargs.get::<&str>("op").map_err(|e| e.to_string())?,
        format: kwargs.get::<&str>("format").map_err(|e| e.to_string())?,
        quality,
    };
    let (images, settings) = l
        .images
        .get()
        .ok_or_else(|| "images are not known yet".to_owned())?;
    let image = images
        .get(asked.path)
        .ok_or_else(|| crate::images::resize::not_found(asked.path, images))?;
    let request = crate::images::resize::request(image, &asked, settings)?;
    let view = crate::images::resize::view(&request, image);
    l.resized
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(request.path.clone(), request);
    Ok(Value::from_serializable(&view))
}

/// Records a use while an output is tracked.
fn used(record: impl FnOnce(&mut Used)) {
    USED.with(|r| {
        if let Some(used) = r.borrow_mut().as_mut() {
            record(used);
        }
    });
}

fn register(tera: &mut Tera, lookups: &Arc<Lookups>, base_url: &str) {
    let l = Arc::clone(lookups);
    let base = base_url.to_owned();
    tera.register_function(
        GET_URL,
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let path: String = kwargs.must_get::<&str>("path")?.to_owned();
            let absolute = kwargs.get::<bool>("absolute")?.unwrap_or(false);
            let url = resolve_url(&l, &path).map_err(tera::Error::message)?;
            Ok(if absolute {
                format!("{base}{url}")
            } else {
                url
            })
        },
    );
    for (name, want_section) in [("get_page", false), ("get_section", true)] {
        let l = Arc::clone(lookups);
        tera.register_function(
            name,
            move |kwargs: Kwargs, _: &State| -> tera::TeraResult<Value> {
                let path = kwargs.must_get::<&str>("path")?;
                with_document(&l, path, want_section, |_, doc| doc.get())
            },
        );
    }
    let l = Arc::clone(lookups);
    tera.register_function(
        GET_PAGES,
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<Value> {
            let section = kwargs.must_get::<&str>("section")?;
            let key = kwargs.get::<&str>("extra")?.unwrap_or_default();
            with_document(&l, section, true, |section, doc| {
                let mut selections = l.selections.lock().unwrap_or_else(PoisonError::into_inner);
                let id = (section.to_owned(), key.to_owned());
                if let Some(v) = selections.get(&id) {
                    return v.clone();
                }
                let pages = Value::from(doc.pages_where(&|page| {
                    key.is_empty()
                        || page
                            .get_from_path("extra")
                            .and_then(Value::as_map)
                            .and_then(|extra| extra.iter().find(|(k, _)| k.as_str() == Some(key)))
                            .is_some_and(|(_, v)| v.is_truthy())
                }));
                selections.insert(id, pages.clone());
                pages
            })
        },
    );
    let l = Arc::clone(lookups);
    tera.register_function(
        "asset",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<Value> {
            let path = crate::url::in_output(kwargs.must_get::<&str>("path")?);
            let assets = l
                .assets
                .get()
                .ok_or_else(|| tera::Error::message("assets are not known yet"))?;
            let (url, integrity) = assets.get(path).ok_or_else(|| {
                let paths: Vec<&str> = assets.keys().map(String::as_str).collect();
                let hint = crate::text::did_you_mean(path, &paths)
                    .map(|best| format!("; did you mean `{best}`?"))
                    .unwrap_or_default();
                tera::Error::message(format!(
                    "`asset`: no fingerprinted file `{path}` in `static/` of the site or theme{hint}"
                ))
            })?;
            let mut m: BTreeMap<&str, Value> = BTreeMap::new();
            m.insert("url", Value::from(url.as_str()));
            m.insert("integrity", Value::from(integrity.as_str()));
            Ok(Value::from(m))
        },
    );
    let l = Arc::clone(lookups);
    tera.register_function(
        GET_LEDGER,
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<Value> {
            let name = kwargs.must_get::<&str>("name")?;
            let ledgers = l
                .ledgers
                .get()
                .ok_or_else(|| tera::Error::message("ledgers are not known yet"))?;
            if !ledgers.names.iter().any(|n| n == name) {
                let names: Vec<&str> = ledgers.names.iter().map(String::as_str).collect();
                let hint = crate::text::did_you_mean(name, &names)
                    .map(|best| format!("; did you mean `{best}`?"))
                    .unwrap_or_default();
                return Err(tera::Error::message(format!(
                    "`get_ledger`: no ledger `{name}` in `artifacts/ledgers/`{hint}"
                )));
            }
            Ok(Value::from_serializable(
                &(ledgers.view)(name, &kwargs)?.unwrap_or_default(),
            ))
        },
    );
    let l = Arc::clone(lookups);
    tera.register_function(
        GET_ARTIFACT,
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<Value> {
            let id = kwargs.must_get::<&str>("id")?;
            let artifacts = l
                .artifacts
                .get()
                .ok_or_else(|| tera::Error::message("artifacts are not known yet"))?;
            artifacts.get(id).cloned().ok_or_else(|| {
                let ids: Vec<&str> = artifacts.keys().map(String::as_str).collect();
                let hint = crate::text::did_you_mean(id, &ids)
                    .map(|best| format!("; did you mean `{best}`?"))
                    .unwrap_or_default();
                tera::Error::message(format!(
                    "`get_artifact`: no artifact `{id}` in `artifacts/`{hint}"
                ))
            })
        },
    );
    let l = Arc::clone(lookups);
    tera.register_function(
        RESIZE_IMAGE,
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<Value> {
            resize_image(&l, &kwargs)
                .map_err(|e| tera::Error::message(format!("`{RESIZE_IMAGE}`: {e}")))
        },
    );
    tera.register_filter(
        "date",
        |value: &str, kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let format = kwargs.get::<&str>("format")?.unwrap_or("%Y-%m-%d");
            format_date(value, format).map_err(tera::Error::message)
        },
    );
    tera.register_filter("markdown", |value: &str, _: Kwargs, _: &State| {
        Value::safe_string(&crate::text::markdown::untrusted(value))
    });
    tera.register_filter("slugify", |value: &str, _: Kwargs, _: &State| {
        crate::text::slugify(value)
    });
    tera.register_filter(
        "json_encode",
        |value: &Value, _: Kwargs, _: &State| -> tera::TeraResult<String> {
            serde_json::to_string(value).map_err(tera::Error::message)
        },
    );
}

fn resolve_url(l: &Lookups, path: &str) -> Result<String, String> {
    if let Some(content) = path.strip_prefix("@/") {
        let (file, anchor) = content
            .split_once('#')
            .map_or((content, None), |(f, a)| (f, Some(a)));
        let urls = l.urls.get().ok_or("content URLs are not known yet")?;
        let url = urls
            .get(file)
            .ok_or_else(|| format!("`get_url`: no `content/{file}`"))?;
        return Ok(match anchor {
            Some(a) => format!("{url}#{a}"),
            None => url.clone(),
        });
    }
    if path.contains("://") || path.starts_with("mailto:") {
        return Ok(path.to_owned());
    }
    let trimmed = crate::url::in_output(path);
    if let Some(files) = l.files.get()
        && !files.contains(trimmed)
        && !trimmed.is_empty()
        && !trimmed.ends_with('/')
    {
        return Err(format!("`get_url`: no static file `{trimmed}`"));
    }
    // A fingerprinted file is only published under its hashed name.
    if let Some((url, _)) = l.assets.get().and_then(|a| a.get(trimmed)) {
        return Ok(url.clone());
    }
    Ok(format!("/{trimmed}"))
}

/// Formats a date string (`2026-11-01`, RFC 3339) with strftime specifiers.
pub(crate) fn format_date(value: &str, format: &str) -> Result<String, String> {
    let dt: toml::value::Datetime = value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a date"))?;
    let d = dt
        .date
        .ok_or_else(|| format!("`{value}` has no date part"))?;
    let (h, m, s) = dt
        .time
        .map_or((0, 0, 0), |t| (t.hour, t.minute, t.second.unwrap_or(0)));
    let civil = jiff::civil::DateTime::new(
        i16::try_from(d.year).map_err(|_| format!("`{value}`: year out of range"))?,
        i8::try_from(d.month).unwrap_or(1),
        i8::try_from(d.day).unwrap_or(1),
        i8::try_from(h).unwrap_or(0),
        i8::try_from(m).unwrap_or(0),
        i8::try_from(s).unwrap_or(0),
        0,
    )
    .map_err(|e| format!("`{value}`: {e}"))?;
    jiff::fmt::strtime::format(format, civil).map_err(|e| format!("date format `{format}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::TemplateFile;

    #[test]
    fn a_line_and_column_in_characters_is_a_byte_offset() {
        let text = "ab\nçé{{ x }}\nlast";
        assert_eq!(offset(text, 1, 1), 0);
        assert_eq!(offset(text, 2, 1), 3);
        assert_eq!(&text[offset(text, 2, 3)..], "{{ x }}\nlast");
        assert_eq!(offset(text, 9, 1), text.len());
    }

    fn theme(templates: &[(&str, &str)]) -> (Theme, Diagnostics) {
        let mut set = SourceSet::default();
        for (name, text) in templates {
            set.templates.insert(
                (*name).to_owned(),
                TemplateFile {
                    name: (*name).to_owned(),
                    source: SourceText::new(format!("templates/{name}"), *text),
                },
            );
        }
        load(&set, "https://e.org")
    }

    #[test]
    fn undefined_variable_points_at_template_line_and_column() {
        let (t, ds) = theme(&[("page.html", "<p>\n{{ page.titel }}</p>")]);
        assert!(ds.is_empty());
        let d = t.render("page.html", &Context::new()).unwrap_err();
        assert_eq!(d.file(), Some("templates/page.html"));
        assert_eq!(d.line_col(), Some((2, 4)));
    }

    #[test]
    fn misspelt_field_suggests_the_nearest() {
        let (t, _) = theme(&[("page.html", "{{ page.contnet }}")]);
        let mut ctx = Context::new();
        ctx.insert("page", &serde_json::json!({"content": "x", "title": "t"}));
        let d = t.render("page.html", &ctx).unwrap_err();
        assert_eq!(d.message, "field `contnet` is not defined");
        assert_eq!(d.help.as_deref(), Some("did you mean `content`?"));
    }

    #[test]
    fn every_syntax_error_is_reported_and_good_templates_still_load() {
        let (t, ds) = theme(&[("a.html", "{% if %}"), ("b.html", "{{ x"), ("c.html", "ok")]);
        assert_eq!(ds.iter().count(), 2);
        assert!(t.has("c.html") && !t.has("a.html"));
    }

    #[test]
    fn problems_across_templates_are_each_located_and_leave_out_only_their_template() {
        let (t, ds) = theme(&[
            (
                "page.html",
                "<p>\n  {{ x | shout }}{% include \"gone.html\" %}",
            ),
            ("index.html", "ok"),
        ]);
        let found: Vec<_> = ds
            .iter()
            .map(|d| (d.message.clone(), d.line_col()))
            .collect();
        assert_eq!(
            found,
            [
                ("unknown filter `shout`".to_owned(), Some((2, 10))),
                ("unknown template `gone.html`".to_owned(), Some((2, 29))),
            ]
        );
        assert!(t.has("index.html") && t.is_broken("page.html"));
    }

    #[test]
    fn documents_looked_up_while_rendering_are_tracked() {
        let (t, ds) = theme(&[(
            "page.html",
            "{% set b = get_page(path=\"b.md\") %}{% set s = get_section(path=\"@/s/_index.md\") %}{% set c = get_page(path=\"b.md\") %}{{ b.title }}{{ s.title }}{{ c.title }}",
        )]);
        let docs = [("b.md", "B"), ("s/_index.md", "S")]
            .into_iter()
            .map(|(rel, title)| {
                let v = Value::from_serializable(&serde_json::json!({ "title": title }));
                (rel.to_owned(), Lazy::new(move || v.clone()))
            })
            .collect();
        assert!(ds.is_empty(), "{ds:?}");
        t.lookups.set_documents(Some(docs));
        let (html, used) = tracking(|| t.render("page.html", &Context::new()));
        assert_eq!(html.unwrap(), "BSB");
        assert_eq!(used.documents, ["b.md", "s/_index.md"]);
        assert_eq!(used.templates, ["page.html"]);
        // Outside tracking nothing is kept, and a lookup that fails is still a dependency.
        let _ = t.render("page.html", &Context::new());
        let (_, used) = tracking(|| {
            let (bad, _) = theme(&[("x.html", "{% set g = get_page(path=\"gone.md\") %}")]);
            bad.lookups.set_documents(Some(BTreeMap::new()));
            bad.render("x.html", &Context::new())
        });
        assert_eq!(used.documents, ["gone.md"]);
        // Asking whether a template is there or broken is a use of it.
        let (_, used) = tracking(|| (t.has("a.html"), t.is_broken("b.html")));
        assert_eq!(used.templates, ["a.html", "b.html"]);
    }

    #[test]
    fn get_pages_selects_by_extra_once_per_set_of_documents() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (t, ds) = theme(&[(
            "page.html",
            "{% for p in get_pages(section=\"_index.md\", extra=\"home\") %}{{ p.title }} {% endfor %}\
             | {{ get_pages(section=\"@/_index.md\") | length }}",
        )]);
        assert!(ds.is_empty(), "{ds:?}");
        let made = Arc::new(AtomicUsize::new(0));
        let documents = |made: &Arc<AtomicUsize>| {
            let pages: Vec<Value> = [
                ("A", serde_json::json!({ "home": true })),
                ("B", serde_json::json!({})),
                ("C", serde_json::json!({ "home": 0 })),
                ("D", serde_json::json!({ "home": "yes" })),
                ("E", serde_json::json!({ "home": false })),
            ]
            .into_iter()
            .map(|(title, extra)| {
                Value::from_serializable(&serde_json::json!({ "title": title, "extra": extra }))
            })
            .collect();
            let made = Arc::clone(made);
            let lazy = Lazy::section(
                || Value::from("the section"),
                move |keep| {
                    made.fetch_add(1, Ordering::Relaxed);
                    pages.iter().filter(|p| keep(p)).cloned().collect()
                },
            );
            Some(BTreeMap::from([("_index.md".to_owned(), lazy)]))
        };
        t.lookups.set_documents(documents(&made));
        for _ in 0..3 {
            let (html, used) = tracking(|| t.render("page.html", &Context::new()));
            assert_eq!(html.unwrap(), "A D | 5");
            assert_eq!(used.documents, ["_index.md"]);
        }
        // Once for each `extra`, whatever the number of outputs asking.
        assert_eq!(made.load(Ordering::Relaxed), 2);
        // New documents: made again.
        t.lookups.set_documents(documents(&made));
        t.render("page.html", &Context::new()).unwrap();
        assert_eq!(made.load(Ordering::Relaxed), 4);
        // Not a section, or none: an error at the call.
        let (bad, _) = theme(&[("x.html", "{{ get_pages(section=\"a.md\") }}")]);
        bad.lookups.set_documents(documents(&made));
        let d = bad.render("x.html", &Context::new()).unwrap_err();
        assert!(
            d.message.contains("`a.md`: a section is an `_index.md`"),
            "{}",
            d.message
        );
    }

    #[test]
    fn date_filter_formats() {
        assert_eq!(
            format_date("2026-11-01", "%d %B %Y").unwrap(),
            "01 November 2026"
        );
        assert_eq!(
            format_date("2026-11-01T10:20:00Z", "%Y-%m-%dT%H:%M").unwrap(),
            "2026-11-01T10:20"
        );
        assert!(format_date("soon", "%Y").is_err());
    }
}
