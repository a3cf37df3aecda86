//! The schema of `artifact.toml`, as contributors write it. Every table refuses unknown keys, so a
//! typo is an error at the key rather than a field silently left out. Values that parse but can
//! still be wrong (paths, digests, references) keep their place (`Spanned`) for the checks in
//! `integrity` and `rules`. The same types are what templates see, so they also serialize (a
//! `Spanned` value serializes as its value).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Kind;

/// One `artifact.toml`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Record {
    pub(crate) schema: Spanned<String>,
    pub(crate) id: Spanned<String>,
    pub(crate) version: Spanned<String>,
    pub(crate) title: String,
    pub(crate) kind: Kind,
    pub(crate) status: Spanned<String>,
    pub(crate) summary: String,
    #[serde(default)]
    pub(crate) claim: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) license: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) phase: Option<u8>,
    #[serde(default)]
    pub(crate) created: Option<Date>,
    #[serde(default)]
    pub(crate) updated: Option<Date>,
    #[serde(default)]
    pub(crate) owners: Vec<String>,
    #[serde(default)]
    pub(crate) superseded_by: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) authors: Vec<Author>,
    #[serde(default)]
    pub(crate) acceptance: Option<Acceptance>,
    #[serde(default)]
    pub(crate) files: Vec<Spanned<FileEntry>>,
    #[serde(default)]
    pub(crate) provenance: Option<Provenance>,
    #[serde(default)]
    pub(crate) signatures: Vec<Signature>,
    #[serde(default)]
    pub(crate) links: Vec<Link>,
}

/// A calendar date, `2026-11-01` (a TOML local date; no time, no offset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Date(String);

impl Date {
    /// `2026-11-01`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let dt = toml::value::Datetime::deserialize(d)?;
        if dt.date.is_some() && dt.time.is_none() && dt.offset.is_none() {
            Ok(Date(dt.to_string()))
        } else {
            Err(de::Error::custom(format!(
                "expected a date like `2026-11-01`, found `{dt}`"
            )))
        }
    }
}

/// A moment, with its offset: `2026-11-01T12:00:00Z` (a TOML offset date-time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Timestamp(String);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let dt = toml::value::Datetime::deserialize(d)?;
        if dt.date.is_some() && dt.time.is_some() && dt.offset.is_some() {
            Ok(Timestamp(dt.to_string()))
        } else {
            Err(de::Error::custom(format!(
                "expected a date-time with an offset like `2026-11-01T12:00:00Z`, found `{dt}`"
            )))
        }
    }
}

/// A person who made or checked the artifact.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Author {
    /// Display name.
    pub name: String,
    /// A handle (e.g. a GitHub login).
    #[serde(default)]
    pub handle: Option<String>,
    /// What they did.
    pub role: AuthorRole,
}

/// What an author did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthorRole {
    /// Wrote it.
    Author,
    /// Reviewed it; `review` and `published` need one.
    Reviewer,
    /// Ran the machines that produced it.
    Operator,
    /// Looks after it.
    Maintainer,
}

/// What would make the claim true, registered before the result.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    /// The criteria, each a sentence and, once met, its evidence.
    #[serde(default)]
    pub criteria: Vec<Spanned<Criterion>>,
    /// When the criteria were registered.
    #[serde(default)]
    pub registered: Option<Date>,
}

/// One acceptance criterion: written as a string, or as `{ text, evidence = [...] }`.
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    /// The criterion.
    pub text: String,
    /// What shows it is met: `file:<path>`, `ledger:<name>#<seq>` or `result:<...>`.
    pub evidence: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailedCriterion {
    text: String,
    #[serde(default)]
    evidence: Vec<Spanned<String>>,
}

impl<'de> Deserialize<'de> for Criterion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Criterion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a criterion: a string, or a table with `text` and `evidence`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Criterion, E> {
                Ok(Criterion {
                    text: s.to_owned(),
                    evidence: vec![],
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Criterion, A::Error> {
                let c = DetailedCriterion::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Criterion {
                    text: c.text,
                    evidence: c.evidence,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// One file of the artifact: in its folder (`path`) or elsewhere (`url`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Inside the artifact's folder, `/`-separated.
    #[serde(default)]
    pub path: Option<Spanned<String>>,
    /// Where a large blob that does not belong in git is kept.
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    /// Lowercase hex SHA-256 of the bytes.
    #[serde(default)]
    pub sha256: Option<Spanned<String>>,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<Spanned<u64>>,
    /// IANA media type, e.g. `application/pdf`.
    #[serde(default)]
    pub media_type: Option<String>,
    /// What the file is for.
    pub role: FileRole,
    /// SPDX expression, when it differs from the record's.
    #[serde(default)]
    pub license: Option<String>,
}

/// What a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileRole {
    /// The artifact itself.
    Primary,
    /// Shows a criterion is met.
    Evidence,
    /// Data.
    Data,
    /// Code.
    Code,
    /// A run's log.
    Log,
    /// Configuration.
    Config,
    /// A detached signature.
    Signature,
    /// An attestation (in-toto, SLSA).
    Attestation,
}

/// How the artifact was made (after SLSA provenance).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The repository the source came from.
    #[serde(default)]
    pub source_repo: Option<String>,
    /// The commit built.
    #[serde(default)]
    pub source_commit: Option<String>,
    /// Who or what built it.
    #[serde(default)]
    pub builder_id: Option<String>,
    /// The command run.
    #[serde(default)]
    pub command: Option<String>,
    /// When the build started.
    #[serde(default)]
    pub started: Option<Timestamp>,
    /// When it finished.
    #[serde(default)]
    pub finished: Option<Timestamp>,
    /// What went in.
    #[serde(default)]
    pub inputs: Vec<Input>,
}

/// One input of a build (an in-toto resource descriptor).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Where it is.
    pub uri: String,
    /// Algorithm to hex digest, e.g. `{ sha256 = "..." }`.
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
}

/// A detached signature over the record's files.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// The signature file, inside the artifact's folder.
    pub path: Spanned<String>,
    /// The signing scheme.
    pub scheme: SignatureScheme,
    /// The public key.
    pub key: String,
}

/// Supported signature schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureScheme {
    /// minisign (Ed25519).
    Minisign,
}

/// A typed link to another artifact or a page elsewhere.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// How the target relates.
    pub rel: LinkRel,
    /// `artifact:<id>@<version>` or a URL.
    pub target: Spanned<String>,
}

/// How a link's target relates to the artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkRel {
    /// Needs the target.
    DependsOn,
    /// Made by the target (a run, a pipeline).
    ProducedBy,
    /// Evaluates the target.
    Evaluates,
    /// Replaces the target.
    Supersedes,
    /// The report explaining a failure or a retraction.
    FailureReport,
    /// Where it is discussed.
    Discussion,
    /// The pull request that added it.
    PullRequest,
}
