//! `site-manifest.json`: an in-toto Statement v1 whose subjects are every other output file
//! (path, SHA-256, size, media type, cache class), with the source commit and the site digest.
//!
//! The site digest is the RFC 6962 Merkle tree hash over the subjects sorted by path (byte
//! order), each leaf being the line `sha256sum` prints for the file: `"<sha256 hex>  <path>\n"`.
//! Two builds give the same digest exactly when they wrote the same bytes at the same paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::merkle;
use crate::output::Written;
use crate::policy::{self, Naming};
use crate::provenance::Provenance;

/// The manifest's path in the output.
pub const FILE: &str = "site-manifest.json";
/// Where `publish` keeps its publish record in a published site (a directory target holds it
/// beside the site's files); not a file of the site, so `verify` does not count it.
pub const PUBLISH_RECORD: &str = ".well-known/ancapex/publish.json";
/// Its detached minisign signature, when the site is signed.
pub const SIGNATURE: &str = "site-manifest.json.minisig";
/// The in-toto statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// What the predicate is.
pub const PREDICATE_TYPE: &str = "https://ancapex.org/site-manifest/v1";
/// How the site digest is computed, as recorded in the manifest.
pub const DIGEST_ALGORITHM: &str = "rfc6962-sha256: Merkle tree hash over the subjects sorted by name, leaf = \"<sha256 hex>  <name>\\n\"";

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// Every output file but the manifest and its signature, sorted by name.
    pub subject: Vec<Subject>,
    /// [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// About the whole site.
    pub predicate: Predicate,
}

/// One output file, as an in-toto ResourceDescriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Its path in the output, `/`-separated, no leading `/`.
    pub name: String,
    /// `{"sha256": "<hex>"}`.
    pub digest: BTreeMap<String, String>,
    /// Its `Content-Type`.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// Size and cache class.
    pub annotations: Annotations,
}

impl Subject {
    /// The SHA-256 (hex), empty when missing.
    pub fn sha256(&self) -> &str {
        self.digest.get("sha256").map_or("", String::as_str)
    }
}

/// What in-toto has no field for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotations {
    /// Bytes.
    pub size: u64,
    /// `immutable`, `revalidate` or `short`.
    pub cache: String,
}

/// The site as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predicate {
    /// The Merkle root over the subjects, hex.
    #[serde(rename = "siteDigest")]
    pub site_digest: String,
    /// [`DIGEST_ALGORITHM`].
    #[serde(rename = "siteDigestAlgorithm")]
    pub site_digest_algorithm: String,
    /// The git commit the sources were at, when they are a git checkout.
    #[serde(rename = "sourceCommit", skip_serializing_if = "Option::is_none")]
    pub source_commit: Option<String>,
    /// The date used for anything not dated by the content (RFC 3339).
    #[serde(rename = "sourceDate")]
    pub source_date: String,
    /// The site's base URL.
    #[serde(rename = "baseUrl")]
    pub base_url: String,
    /// `ancapex <version>`.
    pub generator: String,
}

/// The `sha256sum` line of a file: a leaf of the site digest.
pub fn leaf(sha256_hex: &str, name: &str) -> String {
    format!("{sha256_hex}  {name}\n")
}

/// The site digest of `(name, sha256 hex)` pairs, in any order.
pub fn site_digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut lines: Vec<(&str, String)> = files
        .into_iter()
        .map(|(name, sha)| (name, leaf(sha, name)))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(b.0));
    let leaves: Vec<merkle::Hash> = lines
        .iter()
        .map(|(_, l)| merkle::leaf_hash(l.as_bytes()))
        .collect();
    merkle::hex(&merkle::root(&leaves))
}

/// The statement for the files written; the manifest and its signature are left out.
pub fn statement(
    files: &BTreeMap<String, Written>,
    fingerprinted: &BTreeSet<String>,
    provenance: &Provenance,
    base_url: &str,
) -> Statement {
    let subject: Vec<Subject> = files
        .iter()
        .filter(|(name, _)| !is_manifest(name))
        .map(|(name, w)| {
            let naming = if fingerprinted.contains(name) {
                Naming::Fingerprinted
            } else {
                Naming::Stable
            };
            let p = policy::file(name, naming);
            Subject {
                name: name.clone(),
                digest: BTreeMap::from([("sha256".to_owned(), crate::text::hex(&w.sha256))]),
                media_type: p.media_type.to_owned(),
                annotations: Annotations {
                    size: w.size,
                    cache: p.cache.as_str().to_owned(),
                },
            }
        })
        .collect();
    let digest = site_digest(subject.iter().map(|s| (s.name.as_str(), s.sha256())));
    Statement {
        statement_type: STATEMENT_TYPE.to_owned(),
        subject,
        predicate_type: PREDICATE_TYPE.to_owned(),
        predicate: Predicate {
            site_digest: digest,
            site_digest_algorithm: DIGEST_ALGORITHM.to_owned(),
            source_commit: provenance.commit.clone(),
            source_date: provenance.date(),
            base_url: base_url.to_owned(),
            generator: format!("ancapex {}", env!("CARGO_PKG_VERSION")),
        },
    }
}

/// Whether a path is the manifest or its signature (which the manifest cannot list).
pub fn is_manifest(name: &str) -> bool {
    name == FILE || name == SIGNATURE
}

impl Statement {
    /// The JSON written: pretty, keys in a fixed order, a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// The digest recomputed from the subjects (a manifest whose recorded digest differs was
    /// edited).
    pub fn recomputed_digest(&self) -> String {
        site_digest(self.subject.iter().map(|s| (s.name.as_str(), s.sha256())))
    }
}

/// Reads the manifest of the site in `dir`.
pub fn read(dir: &Path) -> Result<Statement> {
    let path = dir.join(FILE);
    let bytes = crate::fs::read(&path)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Malformed(crate::error::Malformed::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(bytes: &[u8]) -> Written {
        use sha2::Digest as _;
        Written {
            sha256: sha2::Sha256::digest(bytes).into(),
            size: bytes.len() as u64,
            inline: crate::policy::Inline::default(),
        }
    }

    #[test]
    fn the_digest_is_the_merkle_root_of_sha256sum_lines() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let want = merkle::hex(&merkle::root(&[
            merkle::leaf_hash(format!("{a}  a.html\n").as_bytes()),
            merkle::leaf_hash(format!("{b}  b/index.html\n").as_bytes()),
        ]));
        assert_eq!(
            site_digest([("b/index.html", b.as_str()), ("a.html", a.as_str())]),
            want
        );
    }

    #[test]
    fn the_manifest_lists_every_file_but_itself() {
        let files = BTreeMap::from([
            ("index.html".to_owned(), written(b"<p>hi</p>")),
            ("css/site.0123456789abcdef.css".to_owned(), written(b"p{}")),
            (FILE.to_owned(), written(b"{}")),
        ]);
        let fp = BTreeSet::from(["css/site.0123456789abcdef.css".to_owned()]);
        let s = statement(&files, &fp, &Provenance::default(), "https://e.org");
        let names: Vec<&str> = s.subject.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["css/site.0123456789abcdef.css", "index.html"]);
        assert_eq!(s.subject[0].annotations.cache, "immutable");
        assert_eq!(s.subject[1].media_type, "text/html; charset=utf-8");
        assert_eq!(s.predicate.site_digest, s.recomputed_digest());
        let back: Statement = serde_json::from_slice(&s.to_json()).unwrap();
        assert_eq!(back, s);
    }
}
