//! `ancapex new artifact <id>`: a `planned` record that passes `check` as written, with every
//! other section shown commented out, so a contributor fills it in rather than looking up the
//! schema.

use std::path::{Path, PathBuf};

use serde::Deserialize as _;

use super::{Kind, SCHEMA};
use crate::error::{Error, Existing, Outside, Result};

/// What `new artifact` was asked for.
#[derive(Debug, Clone, Default)]
pub struct NewArtifact {
    /// The id, which is also the folder name: lowercase letters, digits and `-`.
    pub id: String,
    /// The kind as written in records (`report` when none).
    pub kind: Option<String>,
    /// The title (the id when none).
    pub title: Option<String>,
}

const KINDS: &str =
    "report, design-memo, matrix, eval-suite, template, dataset, model, checkpoint, code";

/// Writes `artifacts/<id>/artifact.toml` under `root`; returns its path. Refuses an invalid id,
/// an unknown kind, or an id already in use.
pub fn create(root: &Path, new: &NewArtifact) -> Result<PathBuf> {
    let id = new.id.as_str();
    if !crate::text::is_id(id) {
        return Err(Error::Usage(format!(
            "artifact id `{id}` is not valid: use lowercase letters, digits and `-`, starting with a letter or digit"
        )));
    }
    let kind = new.kind.as_deref().unwrap_or("report");
    let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(kind);
    if Kind::deserialize(de).is_err() {
        let kinds: Vec<&str> = KINDS.split(", ").collect();
        let hint = crate::text::did_you_mean(kind, &kinds)
            .map(|best| format!("; did you mean `{best}`?"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "unknown artifact kind `{kind}`: expected one of {KINDS}{hint}"
        )));
    }
    let folder = crate::layout::artifacts(root).join(id);
    // Written into the site only: not through an `artifacts` that is a link out of it.
    let artifacts = crate::layout::artifacts(root);
    let outside = artifacts.exists()
        && std::fs::canonicalize(root).is_ok_and(|real_root| {
            !matches!(
                crate::fs::follow(&real_root, &artifacts),
                crate::fs::Followed::Inside(_)
            )
        });
    if outside {
        return Err(Error::Outside(Outside::ArtifactsLink));
    }
    if folder.exists() {
        return Err(Error::Exists(Existing::Artifact {
            id: id.to_owned(),
            folder,
        }));
    }
    let title = new.title.as_deref().unwrap_or(id);
    let text = record_text(id, kind, title);
    std::fs::create_dir_all(&folder).map_err(|source| Error::Io {
        action: "could not create",
        path: folder.clone(),
        source,
    })?;
    let path = folder.join("artifact.toml");
    std::fs::write(&path, text).map_err(|source| Error::Io {
        action: "could not write",
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// A TOML basic string, quoted and escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn record_text(id: &str, kind: &str, title: &str) -> String {
    format!(
        r#"# An artifact record: what it is, where it stands, and the files that prove it.
# `ancapex check` validates it; `ancapex artifact hash {id}` fills in digests and sizes.

schema  = "{SCHEMA}"
id      = "{id}"   # equals the folder name; never reused
version = "0.0.0"  # MAJOR.MINOR.PATCH of the content; a published record never changes
title   = {title}
kind    = {kind}   # report | design-memo | matrix | eval-suite | template | dataset | model | checkpoint | code
# planned -> drafting | forming -> review -> published -> superseded | retracted;
# abandoned (with a `reason`) from any state before published.
status  = "planned"
summary = "what this artifact is for, in one line"
# claim   = "one falsifiable sentence"   # rendered as an aim until published with evidence
# license = "CC-BY-4.0"                  # SPDX expression; required from `review` on
# phase   = 1                            # roadmap phase
# created = 2026-01-01
# updated = 2026-01-01
# owners  = ["handle"]

# Who made or checked it; `review` and `published` need a reviewer.
# [[authors]]
# name   = "Full Name"
# handle = "github-login"
# role   = "author"   # author | reviewer | operator | maintainer

# What would make the claim true, registered before the result. From `published` on, every
# criterion names its evidence: `file:<path>`, `ledger:<name>#<seq>` or `result:<...>`.
# [acceptance]
# registered = 2026-01-01
# criteria = [
#   {{ text = "the criterion", evidence = ["file:report.pdf"] }},
# ]

# The files: `path` inside this folder, or `url` for large blobs kept elsewhere (a `url`
# needs sha256 and size). Every file is re-hashed on every build.
# [[files]]
# path       = "report.pdf"
# sha256     = "..."            # filled in by `ancapex artifact hash {id}`
# size       = 0
# media_type = "application/pdf"
# role       = "primary"        # primary | evidence | data | code | log | config | signature | attestation

# Typed links to other artifacts (`artifact:<id>@<version>`) or pages elsewhere.
# [[links]]
# rel    = "depends-on"   # depends-on | produced-by | evaluates | supersedes | failure-report | discussion | pull-request
# target = "artifact:other-id@1.0.0"
"#,
        title = quoted(title),
        kind = quoted(kind),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_escaped() {
        let text = record_text("x", "report", "say \"hi\"");
        assert!(text.contains(r#"title   = 'say "hi"'"#), "{text}");
    }
}
