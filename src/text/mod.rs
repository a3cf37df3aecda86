//! Small text helpers shared by several stages.

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo; else
/// the one candidate that starts with the name, or has it as one of its `-`-separated words
/// (`eval` for `eval-suite`).
pub(crate) fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let typo = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
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
