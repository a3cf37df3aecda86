//! Problems found in the user's content, collected so one run reports all of them, and
//! rendered in the rustc style (file:line:col, the line, a caret under the mistake).

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

mod machine;

pub use machine::{github, json};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the command.
    Error,
    /// Reported, but the command succeeds.
    Warning,
}

/// A file a diagnostic points into: its path as the user knows it and its text.
pub struct SourceText {
    /// Path relative to the site root, with `/` separators.
    pub path: String,
    /// The whole text of the file.
    pub text: Arc<str>,
    /// Where each line starts, found the first time a place in the file is shown: a run with
    /// thousands of problems in one large file finds each one's line without reading the file
    /// from its start again.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl std::fmt::Debug for SourceText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceText")
            .field("path", &self.path)
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl PartialEq for SourceText {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.text == other.text
    }
}

impl Eq for SourceText {}

impl std::hash::Hash for SourceText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.path.hash(state);
        self.text.hash(state);
    }
}

impl SourceText {
    /// A shared source text.
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Arc<Self> {
        Arc::new(Self {
            path: path.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        })
    }

    /// 0-based line of a byte offset, and the byte offset where that line starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = starts.partition_point(|&start| start <= offset) - 1;
        (line, starts[line])
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let (line, line_start) = self.line_of(offset);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// The whole lines that hold `span`: their text, the 1-based number of the first, and
    /// `span` within them.
    fn lines_around(&self, span: &Range<usize>) -> (&str, usize, Range<usize>) {
        let end = floor_char_boundary(&self.text, span.end.min(self.text.len()));
        let start = floor_char_boundary(&self.text, span.start.min(end));
        let (line, from) = self.line_of(start);
        let to = self.text[end..]
            .find('\n')
            .map_or(self.text.len(), |i| end + i);
        (&self.text[from..to], line + 1, start - from..end - from)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One located problem.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong: lowercase, no full stop, user values in backticks.
    pub message: String,
    /// The file and the byte range of the mistake, when it has a place.
    pub location: Option<(Arc<SourceText>, Range<usize>)>,
    /// A file that has no text to show (a binary, a missing file).
    pub path: Option<String>,
    /// Words under the caret.
    pub label: Option<String>,
    /// A hint on how to fix it.
    pub help: Option<String>,
    /// Something more to know, such as a second place involved.
    pub note: Option<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    /// A new warning.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            message: message.into(),
            location: None,
            path: None,
            label: None,
            help: None,
            note: None,
        }
    }

    /// Points the diagnostic at a byte range of a file.
    #[must_use]
    pub fn at(mut self, source: &Arc<SourceText>, span: Range<usize>) -> Self {
        let len = source.text.len();
        let start = floor_char_boundary(&source.text, span.start.min(len));
        let end = floor_char_boundary(&source.text, span.end.clamp(start, len));
        self.location = Some((Arc::clone(source), start..end));
        self
    }

    /// Names a file without pointing into it.
    #[must_use]
    pub fn in_file(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the words under the caret.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the hint.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Where it points, as `file:line:col` (or the file alone), if anywhere.
    pub fn place(&self) -> Option<String> {
        match (self.file(), self.line_col()) {
            (Some(file), Some((line, col))) => Some(format!("{file}:{line}:{col}")),
            (Some(file), None) => Some(file.to_owned()),
            (None, _) => None,
        }
    }

    /// The file this diagnostic is about, if any.
    pub fn file(&self) -> Option<&str> {
        self.location
            .as_ref()
            .map(|(s, _)| s.path.as_str())
            .or(self.path.as_deref())
    }

    /// 1-based line and column, when the diagnostic points into a file.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        self.location
            .as_ref()
            .map(|(s, span)| s.line_col(span.start))
    }

    /// 1-based line and column just past the end of the span, when the diagnostic points into
    /// a file.
    pub fn end_line_col(&self) -> Option<(usize, usize)> {
        self.location.as_ref().map(|(s, span)| s.line_col(span.end))
    }

    fn sort_key(&self) -> (Option<&str>, usize, &str) {
        (
            self.file(),
            self.location.as_ref().map_or(0, |(_, s)| s.start),
            &self.message,
        )
    }
}

/// Every problem found in one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No problems.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds all of another set.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// Whether any of them is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// How many errors and warnings there are.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self
            .0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        (errors, self.0.len() - errors)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// The ones a report shows, in their order, and the ones it leaves out: with
    /// `Shown::First(n)`, the first `n` errors, then warnings if there is room.
    pub fn shown(&self, shown: Shown) -> (Diagnostics, Diagnostics) {
        let Shown::First(n) = shown else {
            return (self.clone(), Diagnostics::new());
        };
        let mut room = n;
        let mut keep = vec![false; self.0.len()];
        for severity in [Severity::Error, Severity::Warning] {
            for (i, d) in self.0.iter().enumerate() {
                if room > 0 && d.severity == severity {
                    keep[i] = true;
                    room -= 1;
                }
            }
        }
        let (kept, hidden): (Vec<_>, Vec<_>) =
            self.0.iter().cloned().zip(keep).partition(|(_, k)| *k);
        (
            kept.into_iter().map(|(d, _)| d).collect(),
            hidden.into_iter().map(|(d, _)| d).collect(),
        )
    }

    /// Sorts by file and position and drops exact repeats (a template mistake hit by every page
    /// is reported once), so reports are stable whatever the thread count.
    pub fn normalize(&mut self) {
        self.0.sort_by(|a, b| {
            a.sort_key()
                .cmp(&b.sort_key())
                .then_with(|| a.severity.cmp(&b.severity))
        });
        self.0.dedup();
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Whether to colour the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Plain text, for files, pipes and tests.
    Plain,
    /// ANSI colours, for a terminal.
    Color,
}

/// How many problems a human report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Every one (`--all-problems`).
    All,
    /// The first this many, errors before warnings, then a count of the rest.
    First(usize),
}

/// How many problems a human report shows unless asked for all: enough for one round of
/// fixes, few enough to read. Machine formats always list every one.
pub const SHOWN: usize = 50;

/// Renders diagnostics in the rustc style, one block each, and a closing count. With
/// `Shown::First(n)`, a run with more than `n` problems shows the first `n` errors (then
/// warnings, if there is room), in file order, and says how many more there are.
pub fn render(diagnostics: &Diagnostics, style: Style, shown: Shown) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    };
    let mut out = String::new();
    let (kept, hidden) = diagnostics.shown(shown);
    for d in &kept {
        out.push_str(&render_one(d, &renderer));
        out.push_str("\n\n");
    }
    if !hidden.is_empty() {
        let (errors, warnings) = hidden.counts();
        let mut what = vec![];
        if errors > 0 {
            what.push(format!("{errors} {}", plural(errors, "error")));
        }
        if warnings > 0 {
            what.push(format!("{warnings} {}", plural(warnings, "warning")));
        }
        let _ = writeln!(
            out,
            "note: {} more not shown: `--all-problems` shows every one, `check --format json` lists them\n",
            what.join(" and ")
        );
    }
    let (errors, warnings) = diagnostics.counts();
    match (errors, warnings) {
        (0, 0) => {}
        (0, w) => {
            let _ = writeln!(out, "warning: {w} {}", plural(w, "warning"));
        }
        (e, w) => {
            let _ = write!(out, "error: {e} {}", plural(e, "error"));
            if w > 0 {
                let _ = write!(out, " and {w} {}", plural(w, "warning"));
            }
            out.push('\n');
        }
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// One diagnostic in the rustc style, as `render` shows it (without the closing count).
pub fn render_single(d: &Diagnostic, style: Style) -> String {
    let renderer = match style {
        Style::Plain => Renderer::plain(),
        Style::Color => Renderer::styled(),
    };
    render_one(d, &renderer)
}

fn render_one(d: &Diagnostic, renderer: &Renderer) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level.primary_title(d.message.as_str());
    let mut group = match &d.location {
        Some((source, span)) => {
            // Only the lines of the mistake go to the renderer, not the whole file.
            let (_, _, within) = source.lines_around(span);
            let mut annotation = AnnotationKind::Primary.span(within);
            if let Some(label) = &d.label {
                annotation = annotation.label(label.as_str());
            }
            let (lines, first, _) = source.lines_around(span);
            title.element(
                Snippet::source(lines)
                    .line_start(first)
                    .path(source.path.as_str())
                    .annotation(annotation),
            )
        }
        None => match &d.path {
            Some(path) => title.element(annotate_snippets::Origin::path(path.as_str())),
            None => Group::with_title(title),
        },
    };
    let mut report = vec![];
    if let Some(note) = &d.note {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    report.push(group);
    renderer.render(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let s = SourceText::new("a.md", "ab\nçé x\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        // "çé " is 5 bytes, 3 characters.
        assert_eq!(s.line_col(8), (2, 4));
    }

    #[test]
    fn renders_file_line_col_caret_and_help() {
        let s = SourceText::new("content/a.md", "+++\ntitle = 3\n+++\n");
        let mut ds = Diagnostics::new();
        ds.push(
            Diagnostic::error("invalid type: integer `3`, expected a string")
                .at(&s, 12..13)
                .label("here")
                .help("quote it"),
        );
        let out = render(&ds, Style::Plain, Shown::All);
        assert_eq!(
            out,
            "error: invalid type: integer `3`, expected a string\n --> content/a.md:2:9\n  |\n2 | title = 3\n  |         ^ here\n  |\n  = help: quote it\n\nerror: 1 error\n"
        );
    }

    #[test]
    fn normalize_sorts_and_dedups() {
        let s = SourceText::new("b.md", "xyz");
        let mut ds = Diagnostics::new();
        ds.push(Diagnostic::error("two").at(&s, 2..3));
        ds.push(Diagnostic::error("one").at(&s, 0..1));
        ds.push(Diagnostic::error("two").at(&s, 2..3));
        ds.normalize();
        let msgs: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(msgs, ["one", "two"]);
    }

    #[test]
    fn a_long_report_shows_the_first_errors_and_counts_the_rest() {
        let s = SourceText::new("a.md", "x\n".repeat(200));
        let mut ds = Diagnostics::new();
        for line in 0..120 {
            let d = if line % 2 == 0 {
                Diagnostic::warning(format!("w{line}"))
            } else {
                Diagnostic::error(format!("e{line}"))
            };
            ds.push(d.at(&s, line * 2..line * 2 + 1));
        }
        let out = render(&ds, Style::Plain, Shown::First(50));
        assert_eq!(out.matches("error: e").count(), 50);
        assert_eq!(out.matches("warning: w").count(), 0);
        assert!(
            out.ends_with("note: 10 errors and 60 warnings more not shown: `--all-problems` shows every one, `check --format json` lists them\n\nerror: 60 errors and 60 warnings\n"),
            "{out}"
        );
        let all = render(&ds, Style::Plain, Shown::All);
        assert_eq!(all.matches("--> a.md:").count(), 120);
    }
}
