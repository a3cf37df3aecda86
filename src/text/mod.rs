//! Small text helpers shared by several stages.

use std::collections::HashMap;

use rapidfuzz::distance::osa;

pub(crate) mod markdown;

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
/// Else the one candidate that starts with the name, or has it as one of its `-`-separated
/// words (`eval` for `eval-suite`).
pub(crate) fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    closest(name, candidates.iter().copied()).or_else(|| {
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

/// The candidate with the smallest edit distance to `name` among those close enough to be a
/// likely typo (at most 2 edits, or a third of the candidate's length); the first of equals.
/// The distance is the optimal string alignment one: insertions, deletions, substitutions and
/// swaps of neighbouring characters, each one edit.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let chars = name.chars().count();
    let measure = osa::BatchComparator::new(name.chars());
    candidates
        .filter_map(|c| {
            let limit = 2.max(c.len() / 3);
            // An edit changes the length by at most one character: most candidates stop here.
            if c.chars().count().abs_diff(chars) > limit {
                return None;
            }
            let d =
                measure.distance_with_args(c.chars(), &osa::Args::default().score_cutoff(limit))?;
            Some((d, c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `n` and the noun that goes with it: `1 file`, `2 files`, `0 entries`.
pub fn count<N>(n: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8> + Copy,
{
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// A whole number with its thousands grouped, for people: `16,384,000`.
pub(crate) fn grouped(n: u64) -> String {
    group_digits(&n.to_string())
}

/// `text` with its thousands grouped when it is a run of digits (`16384000` gives
/// `16,384,000`), else as it is: for numbers already written out, whatever their size.
pub(crate) fn group_digits(text: &str) -> String {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 3);
    for (i, d) in text.chars().enumerate() {
        if i > 0 && (text.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A number as JavaScript's `String(x)` writes it (ECMAScript Number::toString: the shortest
/// digits that read back as `x`, plain from 1e-6 to below 1e21, else with an exponent), so the
/// browser and the build agree on `100.0` (`100`), `1e-6` (`0.000001`) and `1e16`.
pub(crate) fn js_number(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // Rust's `{:e}` is the shortest round-trip representation, as `d.ddde<exp>`.
    let sci = format!("{:e}", value.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // The decimal point goes after `point` digits (ECMAScript's n, with k = len).
    let point = exp + 1;
    let zeros = |count: i32| "0".repeat(usize::try_from(count).unwrap_or(0));
    let sign = if value < 0.0 { "-" } else { "" };
    let body = if len <= point && point <= 21 {
        format!("{digits}{}", zeros(point - len))
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", zeros(-point))
    } else {
        let power = if exp >= 0 {
            format!("+{exp}")
        } else {
            exp.to_string()
        };
        match digits.split_at(1) {
            (first, "") => format!("{first}e{power}"),
            (first, rest) => format!("{first}.{rest}e{power}"),
        }
    };
    format!("{sign}{body}")
}

/// Binary units, largest first.
const UNITS: [(u64, &str); 4] = [
    (1 << 40, "TiB"),
    (1 << 30, "GiB"),
    (1 << 20, "MiB"),
    (1 << 10, "KiB"),
];

/// `bytes` in the largest of `units` it reaches, to one decimal (`1.5 MiB`, `16 KiB`); none
/// below the smallest.
fn in_units(bytes: u64, units: &[(u64, &str)]) -> Option<String> {
    let (unit, name) = units.iter().find(|(unit, _)| bytes >= *unit)?;
    #[expect(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let v = bytes as f64 / *unit as f64;
    Some(format!("{v:.1} {name}").replace(".0 ", " "))
}

/// A file's size for people, in binary units: `12 bytes`, `16 KiB`, `1.5 MiB`, `2 GiB`,
/// `1.2 TiB`.
pub(crate) fn size(bytes: u64) -> String {
    in_units(bytes, &UNITS).unwrap_or_else(|| crate::text::count(bytes, "byte", "bytes"))
}

/// A size for people, in MiB at most: `300 MiB`, `1.5 MiB`, `16 KiB`, `12 bytes`.
pub(crate) fn mebibytes(bytes: u64) -> String {
    in_units(bytes, &UNITS[2..]).unwrap_or_else(|| format!("{bytes} bytes"))
}

/// Names to suggest from when a link or name is misspelt, indexed once so that each lookup
/// costs about the same however many names there are. A lookup measures the edit distance to
/// a bounded set of candidates: the names that share the most of the misspelt name's rarest
/// three-byte pieces (with its start and end marked, so a file name at the root and the same
/// name deep in a folder differ). Below [`Suggestions::EXACT_BELOW`] names every name is
/// measured, as [`did_you_mean`] does.
///
/// Comparing each broken link with every page made a site with as many broken links as
/// pages quadratic (3,000 of each took five times as long as without the links); no crate we
/// found keeps a fuzzy index of this kind at this size without a dictionary build step, and
/// the index is small: a map from piece to the names holding it.
pub(crate) struct Suggestions<'a> {
    names: Vec<&'a str>,
    /// Piece to the indexes (ascending) of the names holding it, for large sets only.
    pieces: HashMap<u32, Vec<u32>>,
}

impl<'a> Suggestions<'a> {
    /// Below this many names, a lookup measures all of them.
    pub(crate) const EXACT_BELOW: usize = 256;
    /// Names whose pieces a lookup counts at most, rarest pieces first.
    const BUDGET: usize = 512;
    /// Names measured at most, those sharing the most pieces.
    const MEASURED: usize = 32;

    /// An index of `names`; among equally close names the first wins.
    pub(crate) fn new(names: impl IntoIterator<Item = &'a str>) -> Self {
        let names: Vec<&'a str> = names.into_iter().collect();
        let mut pieces: HashMap<u32, Vec<u32>> = HashMap::new();
        if names.len() >= Self::EXACT_BELOW {
            for (i, name) in names.iter().enumerate() {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                for p in pieces_of(name) {
                    let list = pieces.entry(p).or_default();
                    // A name holding a piece twice is listed once.
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        Suggestions { names, pieces }
    }

    /// The closest name to `name` that is close enough to be a likely typo.
    pub(crate) fn closest(&self, name: &str) -> Option<&'a str> {
        if self.names.len() < Self::EXACT_BELOW {
            return closest(name, self.names.iter().copied());
        }
        let mut mine = pieces_of(name);
        mine.sort_unstable();
        mine.dedup();
        let mut lists: Vec<&[u32]> = mine
            .iter()
            .filter_map(|p| self.pieces.get(p).map(Vec::as_slice))
            .collect();
        lists.sort_unstable_by_key(|l| (l.len(), l.first().copied(), l.last().copied()));
        let mut held: Vec<u32> = Vec::with_capacity(Self::BUDGET);
        let mut previous: &[u32] = &[];
        for list in lists {
            // A piece counted from the start and from the end often lists the same names (all
            // of them at one depth): such a list is counted once, not twice against the budget.
            if list == previous {
                continue;
            }
            if !held.is_empty() && held.len() + list.len() > Self::BUDGET {
                break;
            }
            held.extend(list.iter().take(Self::BUDGET));
            previous = list;
        }
        held.sort_unstable();
        // (pieces shared, name) for each name held, most shared first, then in the names'
        // order.
        let mut best: Vec<(usize, u32)> = held
            .chunk_by(|a, b| a == b)
            .map(|run| (run.len(), run[0]))
            .collect();
        best.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        best.truncate(Self::MEASURED);
        best.sort_unstable_by_key(|&(_, i)| i);
        closest(name, best.iter().map(|&(_, i)| self.names[i as usize]))
    }
}

/// The three-byte pieces of `name` with its start and end marked (`\x02` and `\x03`), each
/// packed into a `u32` with the place of its path segment, twice: counted from the end (0 for
/// the file name) and from the start, each up to 3. A piece of a file name then matches only
/// pieces of file names, which keeps the lists a lookup counts short and telling where every
/// path shares its folders; counting both ways keeps a slash too many or too few from moving
/// every piece on one side of it.
fn pieces_of(name: &str) -> Vec<u32> {
    let bytes = name.as_bytes();
    let at = |i: usize| -> u32 {
        match i.checked_sub(1) {
            None => 2,
            Some(j) => bytes.get(j).map_or(3, |&b| u32::from(b)),
        }
    };
    let slashes = name.matches('/').count();
    let mut out = Vec::with_capacity(2 * bytes.len());
    let mut before = 0;
    // Piece `i` spans bytes `i - 1 ..= i + 1` of the name; it belongs to the segment of `i`.
    for (i, &b) in bytes.iter().enumerate() {
        let piece = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
        let from_end = u32::try_from((slashes - before).min(3)).unwrap_or(3);
        let from_start = u32::try_from(before.min(3)).unwrap_or(3);
        out.push(from_end << 24 | piece);
        out.push((4 | from_start) << 24 | piece);
        if b == b'/' {
            before += 1;
        }
    }
    out
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

/// Whether `id` is a valid id of a record or report: lowercase letters, digits and `-`, not at
/// either end.
pub(crate) fn is_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The artifact id in a reference to a record, `artifact:<id>[@<version>]`: how links, run
/// ledger entries and evaluation suites name records.
pub fn artifact_id(r: &str) -> Option<&str> {
    let rest = r.strip_prefix("artifact:")?;
    Some(rest.split_once('@').map_or(rest, |(id, _)| id)).filter(|id| !id.is_empty())
}

/// A reference to a run ledger's entry, `ledger:<name>#<seq>`, as `(name, seq)`: how failure
/// reports cite entries and artifact criteria name them as evidence.
pub(crate) fn ledger_ref(s: &str) -> Option<(&str, u64)> {
    let (name, seq) = s.strip_prefix("ledger:")?.split_once('#')?;
    let seq = seq
        .parse()
        .ok()
        .filter(|_| seq.bytes().all(|b| b.is_ascii_digit()))?;
    (!name.is_empty()).then_some((name, seq))
}

/// Sets `key` in a TOML table being edited (`toml_edit`), keeping the spaces and comment
/// around the old value when there was one: how `artifact hash` and `failure new` write into
/// a contributor's file without reformatting it.
pub(crate) fn set_toml_keeping_layout(
    table: &mut dyn toml_edit::TableLike,
    key: &str,
    mut value: toml_edit::Value,
) {
    if let Some(old) = table.get(key).and_then(toml_edit::Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    match table.get_mut(key) {
        Some(item) => *item = toml_edit::Item::Value(value),
        None => {
            table.insert(key, toml_edit::Item::Value(value));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        for (x, js) in [
            (0.0003, "0.0003"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (100.0, "100"),
            (123_456_789.123, "123456789.123"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (-2.5e-9, "-2.5e-9"),
            (-0.0, "0"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(js_number(x), js, "{x}");
        }
    }

    #[test]
    fn sizes_are_in_binary_units() {
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(16 * 1024), "16 KiB");
        assert_eq!(size(1_572_864), "1.5 MiB");
        assert_eq!(size(2_147_483_648), "2 GiB");
        assert_eq!(size(1_319_413_953_331), "1.2 TiB");
        // The limits in error messages stay in MiB, as they always were.
        assert_eq!(mebibytes(2_147_483_648), "2048 MiB");
        assert_eq!(mebibytes(1_572_864), "1.5 MiB");
        assert_eq!(mebibytes(16 * 1024), "16 KiB");
        assert_eq!(mebibytes(12), "12 bytes");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(16_384_000), "16,384,000");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(
            group_digits("100000000000000000000"),
            "100,000,000,000,000,000,000"
        );
        for as_is in ["", "none", "1.5", "-12000", "1e+21", "12a4"] {
            assert_eq!(group_digits(as_is), as_is);
        }
    }

    #[test]
    fn ledger_references_parse_name_and_sequence() {
        assert_eq!(ledger_ref("ledger:run-1#12"), Some(("run-1", 12)));
        assert_eq!(ledger_ref("ledger:run-1#+1"), None);
        assert_eq!(ledger_ref("ledger:run-1"), None);
        assert_eq!(ledger_ref("ledger:#3"), None);
        assert_eq!(ledger_ref("run-1#3"), None);
        assert_eq!(ledger_ref("ledger:run-1#99999999999999999999"), None);
    }

    use super::*;

    #[test]
    fn ids_are_lowercase_letters_digits_and_dashes() {
        assert!(is_id("eval-suite") && is_id("run-1"));
        assert!(!is_id("Eval") && !is_id("a_b") && !is_id("") && !is_id("-a") && !is_id("a/b"));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("publishd", &["planned", "published"]),
            Some("published")
        );
        assert_eq!(did_you_mean("zzzzzz", &["planned", "published"]), None);
    }

    /// The paths of a large generated site: 3,000 pages in 30 folders.
    fn paths() -> Vec<String> {
        (0..3000)
            .map(|n| format!("s{:03}/p{n:05}/index.md", n % 30))
            .collect()
    }

    #[test]
    fn large_sets_suggest_as_close_a_name_as_comparing_with_every_name() {
        let names = paths();
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        let index = Suggestions::new(all.iter().copied());
        // One edit of each kind at every place of a sample of names: the index finds a name
        // as close as the closest of all.
        for (k, name) in names.iter().enumerate().step_by(37) {
            for at in 0..name.len() {
                let mut typo = name.clone().into_bytes();
                match (k + at) % 4 {
                    0 => typo[at] = b'x',
                    1 => drop(typo.remove(at)),
                    2 => typo.insert(at, b'q'),
                    _ if at + 1 < typo.len() => typo.swap(at, at + 1),
                    _ => typo[at] = b'z',
                }
                let typo = String::from_utf8(typo).unwrap();
                let want =
                    did_you_mean(&typo, &all).map(|b| osa::distance(typo.chars(), b.chars()));
                let got = index
                    .closest(&typo)
                    .map(|b| osa::distance(typo.chars(), b.chars()));
                assert_eq!(got, want, "{typo}");
            }
        }
        assert_eq!(
            index.closest("s010/p0022x/index.md"),
            Some("s010/p00220/index.md")
        );
        assert_eq!(index.closest("nothing/like/these"), None);
    }

    #[test]
    fn a_file_name_at_the_root_is_told_from_the_same_name_in_a_folder() {
        let mut names = paths();
        names.push("index.md".into());
        names.sort();
        let index = Suggestions::new(names.iter().map(String::as_str));
        assert_eq!(index.closest("indx.md"), Some("index.md"));
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
