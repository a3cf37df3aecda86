//! Small text helpers shared by several stages.

use std::collections::HashMap;

use rapidfuzz::distance::osa;

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    closest(name, candidates.iter().copied())
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
    fn escapes_markup() {
        assert_eq!(
            escape_html("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
