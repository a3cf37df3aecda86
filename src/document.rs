//! A markdown document (a page, a section or a failure report): its text, front matter,
//! title and URL, and, once the markdown stage has run, its rendered content. A shared leaf:
//! the model assembles pages and sections from documents, and a content kind (failure
//! reports) keeps its own.

use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::SourceText;
use crate::front_matter::FrontMatter;

/// A heading in a table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// The anchor id.
    pub id: String,
    /// The heading's text.
    pub title: String,
    /// Headings nested under this one.
    pub children: Vec<Heading>,
}

/// A link found in markdown, to be checked once every page's URL and anchors are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalLink {
    /// Site-relative path (`/a/b/`, `/img/x.png`), without the anchor.
    pub path: String,
    /// The `#anchor`, if any.
    pub anchor: Option<String>,
    /// Where the link is written.
    pub span: Range<usize>,
    /// The path as written, when it is relative (resolved from the page's URL).
    pub relative: Option<String>,
}

/// What the markdown stage makes of a document body.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// The body as HTML, kept compressed until a page or listing that shows it is written.
    pub html: Packed,
    /// The HTML before `<!-- more -->`.
    pub summary: Option<String>,
    /// Nested headings (shared with the template views that show them).
    pub toc: Arc<[Heading]>,
    /// Words in the body.
    pub word_count: usize,
    /// Every id the body defines (headings, footnotes).
    pub anchors: Vec<String>,
    /// Internal links to check.
    pub links: Vec<InternalLink>,
    /// Shortcodes the body calls, by name, known or not (for incremental rebuilds).
    pub shortcodes: Vec<String>,
    /// The content paths its links point to (`@/…` and `.md` links), found or not, sorted: the
    /// URLs its rendering looked up (for incremental rebuilds).
    pub targets: Vec<String>,
}

/// Text kept LZ4-compressed while the rest of the site is built. The rendered bodies of a large
/// site are most of a build's memory, and each is needed only for the few outputs that show it
/// (its page, the listings that include its content), so they are held packed, about a quarter
/// of their size, and unpacked for each of those outputs in turn.
#[derive(Clone, Default)]
pub struct Packed(Arc<[u8]>);

impl Packed {
    /// Packs `text`.
    pub fn new(text: &str) -> Self {
        if text.is_empty() {
            return Self::default();
        }
        Self(lz4_flex::compress_prepend_size(text.as_bytes()).into())
    }

    /// The packed bytes, to be kept (see `from_packed`).
    pub fn packed(&self) -> &[u8] {
        &self.0
    }

    /// Text packed by `new` and kept as `packed` gave it: none unless its length says a size
    /// these bytes can unpack to. It is not unpacked here (a build taking back 10,000 bodies
    /// from its cache would unpack each once for nothing): bytes that do not unpack to UTF-8,
    /// which only a cache altered past its checksums can hold, unpack to what of them is text.
    pub fn from_packed(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() {
            return Some(Self::default());
        }
        let (size, rest) = bytes.split_first_chunk::<4>()?;
        // LZ4 unpacks a byte to at most 255 (a run length's byte): a larger size is refused
        // before anything is allocated for it.
        let size = u64::from(u32::from_le_bytes(*size));
        (size <= 255 * rest.len() as u64 + 16).then(|| Self(bytes.into()))
    }

    /// The text again.
    pub fn unpack(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        // `new` made these bytes from a `&str`, and they unpack to it; bytes `from_packed` took
        // that do not give nothing, or what of them is text.
        match lz4_flex::decompress_size_prepended(&self.0) {
            Ok(bytes) => String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            Err(_) => String::new(),
        }
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({} bytes)", self.0.len())
    }
}

/// What pages and sections have in common.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path inside `content/`, e.g. `roadmap.md`, `blog/_index.md`.
    pub rel: String,
    /// The file's text.
    pub source: Arc<SourceText>,
    /// Byte range of the body in `source`.
    pub body: Range<usize>,
    /// Front matter.
    pub meta: Arc<FrontMatter>,
    /// The title (front matter, else the first `# ` heading).
    pub title: String,
    /// Site-relative URL path, starting and ending with `/`.
    pub url: String,
    /// Filled by the markdown stage.
    pub content: Content,
}

#[cfg(test)]
mod tests {
    use super::Packed;

    #[test]
    fn packed_text_unpacks_to_itself() {
        let long = "<p>héllo, wörld</p>\n".repeat(500);
        for text in ["", "a", "<p>ünïcode ✓</p>", long.as_str()] {
            assert_eq!(Packed::new(text).unpack(), text);
        }
        assert!(format!("{:?}", Packed::new(&long)).len() < 40);
        // Repetitive HTML packs small: this is the point.
        assert!(Packed::new(&long).0.len() * 4 < long.len());
    }

    #[test]
    fn packed_text_read_back_unpacks_to_itself_and_bad_bytes_never_panic() {
        let packed = Packed::new("<p>ünïcode</p>");
        let back = Packed::from_packed(packed.packed()).unwrap();
        assert_eq!(back.unpack(), "<p>ünïcode</p>");
        // Cut short: taken, and unpacks to nothing.
        let cut = Packed::from_packed(&packed.packed()[..6]).unwrap();
        assert_eq!(cut.unpack(), "");
        // Not UTF-8: what of it is text.
        let not_utf8 = lz4_flex::compress_prepend_size(b"ok \xff");
        assert_eq!(
            Packed::from_packed(&not_utf8).unwrap().unpack(),
            "ok \u{fffd}"
        );
        // A size no such bytes could unpack to, or no size at all: refused.
        let mut huge = packed.packed().to_vec();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Packed::from_packed(&huge).is_none());
        assert!(Packed::from_packed(&[1, 0]).is_none());
    }
}
