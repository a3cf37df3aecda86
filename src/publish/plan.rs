//! What a publish sends: one entry per file of a built site, from its own manifest, with the
//! headers the serving policy gives it and the phase it goes out in.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};
use crate::manifest::{self, Statement};
use crate::policy::{self, CacheClass};

/// When a file goes out: every file of a phase is in place before the next phase starts, so a
/// page never goes live before the files it points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Fingerprinted and content-addressed files (immutable): new names, nothing points at them
    /// yet.
    Immutable,
    /// Every other file that is not HTML: stylesheets under stable names, feeds, data.
    Assets,
    /// HTML pages.
    Pages,
    /// The homepage, the 404 page and the site manifest: the entry points, last.
    Entry,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 4] = [Phase::Immutable, Phase::Assets, Phase::Pages, Phase::Entry];

    /// Its name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Immutable => "immutable files",
            Phase::Assets => "other files",
            Phase::Pages => "pages",
            Phase::Entry => "homepage, 404 and manifest",
        }
    }
}

/// The headers stored with an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    /// `Content-Type`, with a charset for text.
    pub content_type: String,
    /// `Cache-Control`.
    pub cache_control: String,
}

impl Headers {
    /// A short digest of the headers, stored with the object and in the publish manifest so
    /// that a change of headers alone is noticed.
    pub fn fingerprint(&self) -> String {
        let text = format!(
            "content-type: {}\ncache-control: {}\n",
            self.content_type, self.cache_control
        );
        crate::text::hex(&Sha256::digest(text.as_bytes()))[..32].to_owned()
    }
}

/// One file to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its key under the target's prefix: its path in the site.
    pub key: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// What the object is served with.
    pub headers: Headers,
    /// Whether its bytes never change under this key (kept for a few generations after the
    /// site stops using it, because cached pages still point at it).
    pub immutable: bool,
    /// When it goes out.
    pub phase: Phase,
}

/// A built site ready to publish.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The output folder.
    pub dir: PathBuf,
    /// Every file, sorted by phase then key.
    pub items: Vec<Item>,
    /// The site digest from its manifest.
    pub site_digest: String,
}

impl Plan {
    /// The local file of an item.
    pub fn path(&self, item: &Item) -> PathBuf {
        self.dir.join(&item.key)
    }
}

/// Plans the publish of the built site in `dir`: refuses a site that does not verify against
/// its own manifest, so what is published is exactly what was built.
pub fn site(dir: &Path) -> Result<Plan> {
    let outcome = crate::verify::dir(dir)?;
    if !outcome.is_clean() {
        let mut lines: Vec<String> = outcome
            .differences
            .iter()
            .take(10)
            .map(|(change, path)| format!("{} `{path}`", change.as_str()))
            .collect();
        if outcome.digest_mismatch {
            lines.push(format!("`{}` was edited", manifest::FILE));
        }
        return Err(Error::Unverified {
            dir: dir.to_path_buf(),
            differences: lines,
        });
    }
    let statement = manifest::read(dir)?;
    let mut extra = vec![];
    for name in [manifest::FILE, manifest::SIGNATURE] {
        let path = dir.join(name);
        if path.is_file() {
            let (sha256, size) =
                crate::fs::sha256_file(&path).map_err(crate::fs::io("could not read", &path))?;
            extra.push((name.to_owned(), sha256, size));
        }
    }
    Ok(Plan {
        dir: dir.to_path_buf(),
        items: items(&statement, &extra),
        site_digest: statement.predicate.site_digest.clone(),
    })
}

/// The items of a manifest's subjects plus the files it cannot list (itself, its signature),
/// given as `(name, sha256, size)`.
pub fn items(statement: &Statement, extra: &[(String, String, u64)]) -> Vec<Item> {
    let mut items: Vec<Item> = statement
        .subject
        .iter()
        .map(|s| {
            let cache = CacheClass::parse(&s.annotations.cache).unwrap_or(CacheClass::Revalidate);
            item(
                &s.name,
                s.sha256(),
                s.annotations.size,
                &s.media_type,
                cache,
            )
        })
        .chain(extra.iter().map(|(name, sha, size)| {
            let p = policy::file(name, policy::Naming::Stable);
            item(name, sha, *size, p.media_type, p.cache)
        }))
        .collect();
    items.sort_by(|a, b| a.phase.cmp(&b.phase).then_with(|| a.key.cmp(&b.key)));
    items
}

fn item(key: &str, sha256: &str, size: u64, media_type: &str, cache: CacheClass) -> Item {
    let immutable = cache == CacheClass::Immutable;
    Item {
        key: key.to_owned(),
        sha256: sha256.to_owned(),
        size,
        headers: Headers {
            content_type: media_type.to_owned(),
            cache_control: cache.cache_control().to_owned(),
        },
        immutable,
        phase: phase(key, immutable),
    }
}

fn phase(key: &str, immutable: bool) -> Phase {
    if immutable {
        Phase::Immutable
    } else if matches!(key, "index.html" | "404.html") || manifest::is_manifest(key) {
        Phase::Entry
    } else if key.ends_with(".html") || key.ends_with(".htm") {
        Phase::Pages
    } else {
        Phase::Assets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(name: &str, cache: &str) -> manifest::Subject {
        manifest::Subject {
            name: name.to_owned(),
            digest: [("sha256".to_owned(), "ab".repeat(32))].into(),
            media_type: policy::media_type(name).to_owned(),
            annotations: manifest::Annotations {
                size: 3,
                cache: cache.to_owned(),
            },
        }
    }

    fn statement(subjects: Vec<manifest::Subject>) -> Statement {
        Statement {
            statement_type: manifest::STATEMENT_TYPE.to_owned(),
            subject: subjects,
            predicate_type: manifest::PREDICATE_TYPE.to_owned(),
            predicate: manifest::Predicate {
                site_digest: "d".repeat(64),
                site_digest_algorithm: manifest::DIGEST_ALGORITHM.to_owned(),
                source_commit: None,
                source_date: "2026-01-01T00:00:00Z".to_owned(),
                base_url: "https://e.org".to_owned(),
                generator: "ancapex test".to_owned(),
            },
        }
    }

    #[test]
    fn assets_go_before_pages_and_the_entry_points_go_last() {
        let s = statement(vec![
            subject("404.html", "revalidate"),
            subject("blog/index.html", "revalidate"),
            subject("css/site.0123456789abcdef.css", "immutable"),
            subject("index.html", "revalidate"),
            subject("sitemap.xml", "short"),
        ]);
        let extra = [(manifest::FILE.to_owned(), "cd".repeat(32), 9)];
        let order: Vec<(Phase, String)> = items(&s, &extra)
            .into_iter()
            .map(|i| (i.phase, i.key))
            .collect();
        assert_eq!(
            order,
            [
                (Phase::Immutable, "css/site.0123456789abcdef.css"),
                (Phase::Assets, "sitemap.xml"),
                (Phase::Pages, "blog/index.html"),
                (Phase::Entry, "404.html"),
                (Phase::Entry, "index.html"),
                (Phase::Entry, manifest::FILE),
            ]
            .map(|(p, k)| (p, k.to_owned()))
        );
    }

    #[test]
    fn headers_come_from_the_policy_and_their_fingerprint_follows_them() {
        let s = statement(vec![
            subject("index.html", "revalidate"),
            subject("atom.xml", "short"),
        ]);
        let items = items(&s, &[]);
        let atom = &items[0];
        assert_eq!(
            atom.headers.content_type,
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(atom.headers.cache_control, "public, max-age=300");
        let page = &items[1];
        assert_eq!(page.headers.content_type, "text/html; charset=utf-8");
        assert_eq!(
            page.headers.cache_control,
            "public, max-age=0, must-revalidate"
        );
        assert_ne!(atom.headers.fingerprint(), page.headers.fingerprint());
        assert_eq!(page.headers.fingerprint().len(), 32);
    }
}
