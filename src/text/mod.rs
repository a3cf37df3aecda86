//! Small text helpers shared by several stages.

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let close = |c: &str| 2.max(c.len() / 3);
    candidates
        .iter()
        // The distance is at least the difference in length; skipping what cannot be close
        // keeps a megabyte-long name from costing a megabyte-sized table per candidate.
        .filter(|c| name.chars().count().abs_diff(c.chars().count()) <= close(c))
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= close(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
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
    fn escapes_markup() {
        assert_eq!(
            escape_html("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
