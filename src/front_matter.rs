//! Front matter: TOML between `+++` lines (the native form), YAML between `---` lines (for
//! people coming from Hugo or Jekyll; unknown keys are kept under `extra`), or none.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, SourceText};

/// How a section's pages are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// By `weight`, then title (the default).
    #[default]
    Weight,
    /// Newest first.
    Date,
    /// Alphabetically.
    Title,
}

/// A date or date-time as written in front matter (`2026-11-01`, `2026-11-01T10:00:00Z`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date(pub toml::value::Datetime);

impl Date {
    /// Seconds since the Unix epoch (UTC when no offset is given), for sorting and feeds.
    pub fn timestamp(&self) -> i64 {
        let d = self.0.date.expect("a Date always has a date part");
        let (h, m, s) = self
            .0
            .time
            .map_or((0, 0, 0), |t| (t.hour, t.minute, t.second.unwrap_or(0)));
        let days = days_from_civil(i64::from(d.year), i64::from(d.month), i64::from(d.day));
        let offset = match self.0.offset {
            Some(toml::value::Offset::Custom { minutes }) => i64::from(minutes) * 60,
            _ => 0,
        };
        days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s) - offset
    }

    /// `YYYY-MM-DD`.
    pub fn ymd(&self) -> String {
        let d = self.0.date.expect("a Date always has a date part");
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    }

    /// RFC 3339 in UTC, as Atom and sitemaps want it.
    pub fn rfc3339(&self) -> String {
        jiff::Timestamp::from_second(self.timestamp())
            .map_or_else(|_| self.ymd(), |t| t.to_string())
    }

    fn parse(s: &str) -> Result<Self, String> {
        let dt: toml::value::Datetime = s
            .trim()
            .parse()
            .or_else(|_| {
                jekyll_date(s.trim())
                    .ok_or(())
                    .and_then(|d| d.parse().map_err(drop))
            })
            .map_err(|()| format!("`{s}` is not a date (expected `YYYY-MM-DD` or RFC 3339)"))?;
        Self::from_datetime(dt)
    }

    fn from_datetime(dt: toml::value::Datetime) -> Result<Self, String> {
        match dt.date {
            Some(d)
                if d.month >= 1
                    && d.month <= 12
                    && d.day >= 1
                    && d.day <= days_in_month(d.year, d.month) =>
            {
                Ok(Self(dt))
            }
            Some(_) => Err(format!("`{dt}` is not a valid calendar date")),
            None => Err(format!("`{dt}` has no date part")),
        }
    }
}

/// Jekyll's date (`2015-11-14 14:56:51 +0100`, seconds and offset optional) in RFC 3339.
fn jekyll_date(s: &str) -> Option<String> {
    let mut parts = s.split_whitespace();
    let (date, time) = (parts.next()?, parts.next()?);
    let offset = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let time = if time.len() == 5 {
        format!("{time}:00")
    } else {
        time.to_owned()
    };
    let offset = match offset {
        None => String::new(),
        Some("Z" | "UTC" | "GMT") => "Z".to_owned(),
        Some(o) if o.len() == 5 && o.starts_with(['+', '-']) && o.is_char_boundary(3) => {
            format!("{}:{}", &o[..3], &o[3..])
        }
        Some(o) => o.to_owned(),
    };
    Some(format!("{date}T{time}{offset}"))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Date;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date such as 2026-11-01")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Date, E> {
                Date::parse(s).map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Date, A::Error> {
                let dt = toml::value::Datetime::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Date::from_datetime(dt).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// The front matter of a page or section.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The title; when missing, the first `# ` heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A one-sentence description, for listings and meta tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Publication date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Date>,
    /// Left out of builds unless `--drafts`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
    /// Replaces the last part of the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<Spanned<String>>,
    /// Replaces the whole URL path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Spanned<String>>,
    /// Old URLs that redirect here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<Spanned<String>>,
    /// Order in listings sorted by weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// The template to render with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Spanned<String>>,
    /// Sections: how pages are ordered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<Spanned<SortBy>>,
    /// Sections: the template of their pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_template: Option<Spanned<String>>,
    /// Sections: pages per listing page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paginate_by: Option<Spanned<usize>>,
    /// Anything for templates.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub extra: toml::Table,
}

/// Which syntax the front matter was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `+++` TOML.
    Toml,
    /// `---` YAML.
    Yaml,
    /// No front matter.
    None,
}

/// A document cut into its front matter and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The syntax of the front matter.
    pub format: Format,
    /// Byte range of the front matter text (between the fences).
    pub front: Range<usize>,
    /// Byte range of the body.
    pub body: Range<usize>,
}

/// Cuts a document at its front matter fences.
pub fn split(text: &str) -> Result<Split, (String, Range<usize>)> {
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.len() - text_no_bom.len();
    for (fence, format) in [("+++", Format::Toml), ("---", Format::Yaml)] {
        let Some(rest) = text_no_bom.strip_prefix(fence) else {
            continue;
        };
        let Some(nl) = line_end(rest) else { continue };
        if !rest[..nl].trim().is_empty() {
            continue;
        }
        let front_start = start + fence.len() + nl;
        let mut pos = front_start;
        for line in text[front_start..].split_inclusive('\n') {
            if line.trim_end() == fence {
                let body_start = pos + line.len();
                return Ok(Split {
                    format,
                    front: front_start..pos,
                    body: body_start..text.len(),
                });
            }
            pos += line.len();
        }
        return Err((
            format!("front matter opened with `{fence}` is never closed"),
            start..start + fence.len(),
        ));
    }
    Ok(Split {
        format: Format::None,
        front: start..start,
        body: start..text.len(),
    })
}

fn line_end(s: &str) -> Option<usize> {
    s.find('\n').map(|i| i + 1)
}

/// Parses a document's front matter, pointing errors into the file.
pub fn parse(source: &Arc<SourceText>, split: &Split) -> Result<FrontMatter, Diagnostic> {
    let text = &source.text[split.front.clone()];
    match split.format {
        Format::None => Ok(FrontMatter::default()),
        Format::Toml => toml::from_str(text)
            .map(|fm: FrontMatter| {
                fm.relocated(|span| span.start + split.front.start..span.end + split.front.start)
            })
            .map_err(|e| {
                let message = crate::config::toml_message(&e);
                let mut d = Diagnostic::error(&message);
                if let Some(key) = message
                    .strip_prefix("unknown field `")
                    .and_then(|r| r.split_once('`'))
                    .map(|(k, _)| k)
                {
                    d = d.help(foreign_key_help(key));
                }
                match crate::config::toml_error_span(&e, text) {
                    Some(span) => d.at(
                        source,
                        span.start + split.front.start..span.end + split.front.start,
                    ),
                    None => d.at(source, split.front.clone()),
                }
            }),
        Format::Yaml => parse_yaml(source, split, text),
    }
}

/// What to write instead of a key this generator does not know, for the keys other tools use.
fn foreign_key_help(key: &str) -> String {
    match key {
        "url" | "permalink" => {
            format!("`{key}` (Hugo, Jekyll) is `path` here: the page's whole URL path")
        }
        "lastmod" | "last_modified_at" | "modified" => {
            format!("`{key}` is `updated` here")
        }
        "layout" | "type" => {
            format!("`{key}` is `template` here: a file in `templates/`, such as `page.html`")
        }
        "publishDate" | "publishdate" | "pubdate" => format!("`{key}` is `date` here"),
        "summary" => {
            "`summary` is `description` here; or put `<!-- more -->` in the body".to_owned()
        }
        "tags" | "categories" | "keywords" | "series" | "authors" | "author" | "images" | "toc" => {
            format!(
                "this generator has no `{key}` of its own: keep it under `[extra]`, where templates read it as `page.extra.{key}`"
            )
        }
        _ => match crate::text::did_you_mean(key, KNOWN) {
            Some(known) => format!("did you mean `{known}`?"),
            None => "keys for templates go under `[extra]`".to_owned(),
        },
    }
}

/// Keys of other tools (Hugo, Jekyll) that mean what one of ours means, in YAML front matter:
/// the other tool's meaning is kept.
const FOREIGN: &[(&str, &str)] = &[
    ("url", "path"),
    ("permalink", "path"),
    ("lastmod", "updated"),
    ("last_modified_at", "updated"),
    ("publishDate", "date"),
];

const KNOWN: &[&str] = &[
    "title",
    "description",
    "date",
    "updated",
    "draft",
    "slug",
    "path",
    "aliases",
    "weight",
    "template",
    "sort_by",
    "page_template",
    "paginate_by",
];

/// YAML is accepted for people moving from Hugo or Jekyll: known keys are read as TOML would
/// read them, and every other key is kept under `extra` rather than refused.
fn parse_yaml(
    source: &Arc<SourceText>,
    split: &Split,
    text: &str,
) -> Result<FrontMatter, Diagnostic> {
    let at_front =
        |msg: String| Diagnostic::error(msg).at(source, split.front.start..split.front.start);
    let value: serde_yaml_ng::Value = if text.trim().is_empty() {
        serde_yaml_ng::Value::Mapping(serde_yaml_ng::Mapping::new())
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| {
            let msg = format!(
                "invalid YAML front matter: {}",
                crate::text::parser_message(&e.to_string())
            );
            match e.location() {
                Some(loc) => Diagnostic::error(msg).at(
                    source,
                    split.front.start + loc.index()..split.front.start + loc.index() + 1,
                ),
                None => at_front(msg),
            }
        })?
    };
    let serde_yaml_ng::Value::Mapping(map) = value else {
        return Err(at_front(
            "YAML front matter must be a mapping of keys to values".to_owned(),
        ));
    };
    let own: std::collections::HashSet<String> = map
        .keys()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    let mut known = toml::Table::new();
    let mut extra = toml::Table::new();
    for (k, v) in map {
        let Some(key) = k.as_str().map(str::to_owned) else {
            continue;
        };
        // Hugo's `url`, Jekyll's `permalink`, ...: ours when ours is not also given.
        let key = match FOREIGN.iter().find(|(theirs, _)| *theirs == key) {
            Some((_, ours)) if !own.contains(*ours) => (*ours).to_owned(),
            _ => key,
        };
        let Some(value) = yaml_to_toml(v) else {
            continue;
        };
        if key == "extra" {
            if let toml::Value::Table(t) = value {
                extra.extend(t);
            }
        } else if KNOWN.contains(&key.as_str()) {
            known.insert(key, value);
        } else {
            extra.insert(key, value);
        }
    }
    let mut fm: FrontMatter = match from_table(&known) {
        Ok(fm) => fm,
        Err(e) => return Err(yaml_value_error(source, split, text, &known, &e)),
    };
    fm.extra = extra;
    // Spans from the TOML made of the YAML mean nothing in the file: point at each key's value.
    Ok(fm.relocated_by_key(|key| {
        yaml_value_span(text, key).map_or(split.front.start..split.front.start, |r| {
            r.start + split.front.start..r.end + split.front.start
        })
    }))
}

/// Where the value of a top-level `key:` (or of the other tool's key read as it) is in YAML
/// text.
fn yaml_value_span(text: &str, key: &str) -> Option<Range<usize>> {
    yaml_key_span(text, key).or_else(|| {
        FOREIGN
            .iter()
            .filter(|(_, ours)| *ours == key)
            .find_map(|(theirs, _)| yaml_key_span(text, theirs))
    })
}

/// Where a top-level `key:` is in YAML text: the key, and its value on the key's line (empty
/// when the value is a block on the lines after).
fn yaml_key(text: &str, key: &str) -> Option<(Range<usize>, Range<usize>)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line
            .strip_prefix(key)
            .and_then(|r| r.trim_start().strip_prefix(':'))
        {
            let start = offset + (line.len() - rest.len()) + (rest.len() - rest.trim_start().len());
            return Some((offset..offset + key.len(), start..start + rest.trim().len()));
        }
        offset += line.len();
    }
    None
}

/// Where the value of a top-level `key:` is in YAML text.
fn yaml_key_span(text: &str, key: &str) -> Option<Range<usize>> {
    yaml_key(text, key).map(|(_, value)| value)
}

/// Where a top-level `key:` of YAML text is said: its value when it is on the key's line,
/// else the key (a block follows it).
pub(crate) fn yaml_key_or_value_span(text: &str, key: &str) -> Option<Range<usize>> {
    yaml_key(text, key).map(|(k, value)| if value.is_empty() { k } else { value })
}

impl FrontMatter {
    /// Moves every span by `f` (from the front matter's text to the file's).
    fn relocated(self, f: impl Fn(Range<usize>) -> Range<usize>) -> Self {
        self.relocated_by(|_, span| f(span))
    }

    /// Sets every span from its key's name.
    fn relocated_by_key(self, f: impl Fn(&str) -> Range<usize>) -> Self {
        self.relocated_by(|key, _| f(key))
    }

    fn relocated_by(self, f: impl Fn(&str, Range<usize>) -> Range<usize>) -> Self {
        fn mv<T>(
            key: &str,
            s: Spanned<T>,
            f: &impl Fn(&str, Range<usize>) -> Range<usize>,
        ) -> Spanned<T> {
            let span = f(key, s.span());
            Spanned::new(span, s.into_inner())
        }
        Self {
            slug: self.slug.map(|s| mv("slug", s, &f)),
            path: self.path.map(|s| mv("path", s, &f)),
            aliases: self
                .aliases
                .into_iter()
                .map(|s| mv("aliases", s, &f))
                .collect(),
            template: self.template.map(|s| mv("template", s, &f)),
            sort_by: self.sort_by.map(|s| mv("sort_by", s, &f)),
            page_template: self.page_template.map(|s| mv("page_template", s, &f)),
            paginate_by: self.paginate_by.map(|s| mv("paginate_by", s, &f)),
            ..self
        }
    }
}

/// Reads YAML's known keys, as TOML, the way TOML front matter is read: through TOML text, so
/// that a value that must be located (`aliases`, `slug`, ...) reads as it does from a file.
fn from_table(table: &toml::Table) -> Result<FrontMatter, toml::de::Error> {
    let text = toml::to_string(table).unwrap_or_default();
    toml::from_str(&text)
}

/// Finds the key whose value has the wrong type and points at that value in the YAML.
fn yaml_value_error(
    source: &Arc<SourceText>,
    split: &Split,
    text: &str,
    known: &toml::Table,
    whole: &toml::de::Error,
) -> Diagnostic {
    for (key, value) in known {
        let one: toml::Table = std::iter::once((key.clone(), value.clone())).collect();
        let Err(e) = from_table(&one) else {
            continue;
        };
        let message = format!("{} (in `{key}`)", crate::config::toml_message(&e));
        let span = yaml_value_span(text, key).map_or(split.front.start..split.front.start, |r| {
            r.start + split.front.start..r.end + split.front.start
        });
        return Diagnostic::error(message).at(source, span);
    }
    Diagnostic::error(crate::config::toml_message(whole))
        .at(source, split.front.start..split.front.start)
}

fn yaml_to_toml(v: serde_yaml_ng::Value) -> Option<toml::Value> {
    use serde_yaml_ng::Value as Y;
    Some(match v {
        Y::Null => return None,
        Y::Bool(b) => toml::Value::Boolean(b),
        Y::Number(n) => n.as_i64().map_or_else(
            || toml::Value::Float(n.as_f64().unwrap_or(0.0)),
            toml::Value::Integer,
        ),
        Y::String(s) => toml::Value::String(s),
        Y::Sequence(items) => {
            toml::Value::Array(items.into_iter().filter_map(yaml_to_toml).collect())
        }
        Y::Mapping(m) => toml::Value::Table(
            m.into_iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), yaml_to_toml(v)?)))
                .collect(),
        ),
        Y::Tagged(t) => return yaml_to_toml(t.value),
    })
}

/// Converts a TOML value for templates: dates become strings rather than toml's private form.
pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Value::from(*f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_doc(text: &str) -> Result<(FrontMatter, Split), Diagnostic> {
        let source = SourceText::new("content/a.md", text);
        let split = split(text).map_err(|(m, r)| Diagnostic::error(m).at(&source, r))?;
        Ok((parse(&source, &split)?, split))
    }

    #[test]
    fn splits_toml_yaml_and_none() {
        let t = "+++\ntitle = \"A\"\n+++\nbody\n";
        let s = split(t).unwrap();
        assert_eq!(
            (s.format, &t[s.front.clone()], &t[s.body.clone()]),
            (Format::Toml, "title = \"A\"\n", "body\n")
        );
        let y = "---\ntitle: A\n---\nbody";
        assert_eq!(split(y).unwrap().format, Format::Yaml);
        let n = "# Title\n\ntext";
        assert_eq!(
            split(n).unwrap(),
            Split {
                format: Format::None,
                front: 0..0,
                body: 0..n.len()
            }
        );
        // A thematic break is not a fence.
        assert_eq!(split("--- a\n").unwrap().format, Format::None);
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        assert!(split("+++\ntitle = \"a\"\n").is_err());
    }

    #[test]
    fn toml_error_points_into_the_markdown_file() {
        let e = parse_doc("+++\ntitle = \"A\"\ndraft = \"yes\"\n+++\n").unwrap_err();
        assert_eq!(e.line_col(), Some((3, 9)));
        assert!(e.message.contains("expected a boolean"), "{}", e.message);
    }

    #[test]
    fn unknown_toml_key_is_refused() {
        let e = parse_doc("+++\ntitel = \"A\"\n+++\n").unwrap_err();
        assert!(
            e.message.starts_with("unknown field `titel`"),
            "{}",
            e.message
        );
        assert_eq!(e.line_col(), Some((2, 1)));
    }

    #[test]
    fn yaml_keeps_unknown_keys_under_extra() {
        let (fm, _) =
            parse_doc("---\ntitle: Hello\ndate: 2026-01-02\ntags: [a, b]\ndraft: true\n---\nbody")
                .unwrap();
        assert_eq!(fm.title.as_deref(), Some("Hello"));
        assert_eq!(fm.date.unwrap().ymd(), "2026-01-02");
        assert!(fm.draft);
        assert_eq!(
            fm.extra["tags"],
            toml::Value::Array(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn dates_are_checked_and_ordered() {
        assert!(parse_doc("+++\ndate = 2026-02-30\n+++\n").is_err());
        let (a, _) = parse_doc("+++\ndate = 2026-01-02T10:00:00+02:00\n+++\n").unwrap();
        let (b, _) = parse_doc("+++\ndate = \"2026-01-02T09:00:00Z\"\n+++\n").unwrap();
        assert!(a.date.as_ref().unwrap().timestamp() < b.date.as_ref().unwrap().timestamp());
        assert_eq!(b.date.unwrap().rfc3339(), "2026-01-02T09:00:00Z");
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }
}
