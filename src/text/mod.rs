//! Small text helpers shared by several stages.

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo; else
/// the one candidate that starts with the name, or has it as one of its `-`-separated words
/// (`eval` for `eval-suite`).
pub(crate) fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let close = |c: &str| 2.max(c.len() / 3);
    let typo = candidates
        .iter()
        // The distance is at least the difference in length; skipping what cannot be close
        // keeps a megabyte-long name from costing a megabyte-sized table per candidate.
        .filter(|c| name.chars().count().abs_diff(c.chars().count()) <= close(c))
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= close(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    typo.or_else(|| {
        if name.len() < 3 {
            return None;
        }
        let mut part = candidates
            .iter()
            .filter(|c| c.starts_with(name) || c.split('-').any(|w| w == name));
        match (part.next(), part.next()) {
            (Some(one), None) => Some(*one),
            _ => None,
        }
    })
}

/// `n` and the noun that goes with it: `1 file`, `2 files`, `0 entries`.
pub fn count<N>(n: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8> + Copy,
{
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// A size for people: `300 MiB`, `1.5 MiB`, `16 KiB`, `12 bytes`.
pub(crate) fn mebibytes(bytes: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let (mib, kib) = (bytes as f64 / 1_048_576.0, bytes as f64 / 1024.0);
    if bytes >= 1 << 20 {
        format!("{mib:.1} MiB").replace(".0 ", " ")
    } else if bytes >= 1 << 10 {
        format!("{kib:.1} KiB").replace(".0 ", " ")
    } else {
        format!("{bytes} bytes")
    }
}

/// A URL-safe slug of a heading or name: lowercase, words joined by `-`.
pub(crate) fn slugify(text: &str) -> String {
    slug::slugify(text)
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message from another library in our style: first letter lowercase.
pub(crate) fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Lowercase hex of bytes (digests).
pub(crate) fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("publishd", &["planned", "published"]),
            Some("published")
        );
        assert_eq!(did_you_mean("zzzzzz", &["planned", "published"]), None);
    }

    #[test]
    fn suggests_the_one_name_a_word_leads_to() {
        let kinds = ["report", "design-memo", "eval-suite", "model"];
        assert_eq!(did_you_mean("eval", &kinds), Some("eval-suite"));
        assert_eq!(did_you_mean("memo", &kinds), Some("design-memo"));
        assert_eq!(did_you_mean("paper", &kinds), None);
        assert_eq!(did_you_mean("ev", &kinds), None, "too short to mean one");
        assert_eq!(did_you_mean("data", &["dataset", "data-card"]), None);
    }

    #[test]
    fn counts_with_the_right_noun() {
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(0, "entry", "entries"), "0 entries");
        assert_eq!(count(2, "page", "pages"), "2 pages");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}

/// A parser's message (TOML, JSON, YAML, read through serde) in our words: no positions (the
/// snippet shows them) and none of the parser's internal terms. serde's own sentences
/// (`invalid type: integer `5`, expected a string`, `unknown field `x`, expected one of ...`)
/// already say what was expected, and stay as they are.
pub(crate) fn parser_message(message: &str) -> String {
    let message = message.trim_end_matches(['\n', '.']).replace('\n', "; ");
    let message = strip_position(&message);
    let rewritten = if let Some(rest) = message.strip_prefix("EOF while parsing ") {
        Some(match rest {
            "a value" => "the text ends where a value should be".to_owned(),
            inside => format!("the text ends inside {inside}"),
        })
    } else if let Some((field, _)) = message
        .strip_prefix("unknown field ")
        .and_then(|rest| rest.split_once(", there are no fields"))
    {
        Some(format!(
            "unknown field {field}: no fields are expected here"
        ))
    } else if message == "recursion limit exceeded"
        || message == "cannot recurse further; max recursion depth met"
    {
        Some("lists and tables nest too deeply here".to_owned())
    } else if message == "repetition limit exceeded" {
        Some("aliases here repeat into far more than the text holds".to_owned())
    } else if message == "recursion limit" {
        Some("a key has too many dotted parts (at most 80)".to_owned())
    } else if message.starts_with("data did not match any variant") {
        Some("the value is none of the forms accepted here".to_owned())
    } else {
        None
    };
    rewritten
        .unwrap_or_else(|| lowercase_first(message))
        .replace("expected a spanned value", "expected a value")
}

/// A template engine's message in our words: the Rust types it names (`f64`, `&str`, `usize`)
/// as what a theme author writes (a number, a string, an integer).
pub(crate) fn template_message(message: &str) -> String {
    const TYPES: &[(&[&str], &str)] = &[
        (&["f64", "f32"], "a number"),
        (
            &[
                "i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8", "usize", "isize", "i128",
                "u128",
            ],
            "an integer",
        ),
        (&["&str", "String", "string", "str"], "a string"),
        (&["bool"], "true or false"),
        (&["Vec", "array", "Array", "list"], "a list"),
        (&["Map", "HashMap", "BTreeMap", "map", "object"], "a map"),
    ];
    let message = message
        .replace("iteration not possible on type ", "cannot loop over ")
        .replace(" but got ", ", found ");
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    // Odd parts were between backticks.
    let mut quoted = true;
    for part in parts {
        let name = part.split('<').next().unwrap_or(part);
        match TYPES
            .iter()
            .find(|(names, _)| quoted && names.contains(&name))
        {
            Some((_, ours)) => out.push_str(ours),
            None if quoted => {
                out.push('`');
                out.push_str(part);
                out.push('`');
            }
            None => out.push_str(part),
        }
        quoted = !quoted;
    }
    out
}

/// A message without the ` at line N column M` a parser adds.
fn strip_position(message: &str) -> &str {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match message.rfind(" at line ") {
        Some(i)
            if message[i + 9..]
                .split_once(" column ")
                .is_some_and(|(l, c)| digits(l) && digits(c)) =>
        {
            &message[..i]
        }
        _ => message,
    }
}

#[cfg(test)]
mod parser_message_tests {
    use super::parser_message;

    #[test]
    fn speaks_our_words() {
        for (theirs, ours) in [
            (
                "invalid type: string \"x\", expected a spanned value",
                "invalid type: string \"x\", expected a value",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "invalid type: integer `5`, expected a string",
            ),
            (
                "unknown field `x`, there are no fields",
                "unknown field `x`: no fields are expected here",
            ),
            (
                "recursion limit exceeded at line 1 column 138",
                "lists and tables nest too deeply here",
            ),
            (
                "cannot recurse further; max recursion depth met",
                "lists and tables nest too deeply here",
            ),
            (
                "repetition limit exceeded",
                "aliases here repeat into far more than the text holds",
            ),
            (
                "recursion limit",
                "a key has too many dotted parts (at most 80)",
            ),
            (
                "EOF while parsing an object at line 1 column 9",
                "the text ends inside an object",
            ),
            (
                "EOF while parsing a value at line 1 column 0",
                "the text ends where a value should be",
            ),
            (
                "trailing characters at line 1 column 5",
                "trailing characters",
            ),
            ("Expected a date.", "expected a date"),
        ] {
            assert_eq!(parser_message(theirs), ours, "{theirs}");
        }
    }

    #[test]
    fn templates_speak_of_numbers_and_strings_not_rust_types() {
        for (theirs, ours) in [
            (
                "invalid type for the value, expected `f64` but got `string`",
                "invalid type for the value, expected a number, found a string",
            ),
            (
                "`+` requires both operands to be numbers, found `i64` and `string`",
                "`+` requires both operands to be numbers, found an integer and a string",
            ),
            (
                "iteration not possible on type `i64`",
                "cannot loop over an integer",
            ),
            (
                "invalid type for the value, expected `&str` but got `i64`",
                "invalid type for the value, expected a string, found an integer",
            ),
            ("unknown function `nope`", "unknown function `nope`"),
        ] {
            assert_eq!(super::template_message(theirs), ours, "{theirs}");
        }
    }
}
