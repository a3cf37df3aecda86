//! `ancapex verify`: recomputes the digest of every file of a built site and compares it with a
//! manifest (the site's own, or one from a fresh build of the sources), naming every file that
//! was modified, is missing or should not be there.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::manifest::{self, Statement};

/// How a file differs from the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Listed, present, with other bytes.
    Modified,
    /// Listed, not present.
    Missing,
    /// Present, not listed.
    Unexpected,
}

impl Change {
    /// The word printed before the path.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Modified => "modified",
            Change::Missing => "missing",
            Change::Unexpected => "unexpected",
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Files the manifest lists.
    pub files: usize,
    /// The site digest of the manifest compared against.
    pub site_digest: String,
    /// Whether the manifest's recorded digest is not the one its subjects give (it was edited).
    pub digest_mismatch: bool,
    /// Every differing file, sorted by path.
    pub differences: Vec<(Change, String)>,
    /// Whether the folder holds the publish record a publish to a directory keeps there
    /// (`manifest::PUBLISH_RECORD`), which is not compared.
    pub publish_record: bool,
}

impl Outcome {
    /// Whether the site is exactly what the manifest says.
    pub fn is_clean(&self) -> bool {
        !self.digest_mismatch && self.differences.is_empty()
    }
}

/// Compares the site in `dir` with its own `site-manifest.json`.
pub fn dir(dir: &Path) -> Result<Outcome> {
    let statement = manifest::read(dir)?;
    let expected = expected_files(&statement);
    compare(dir, &statement, &expected, Scope::WithoutManifest)
}

/// Compares the site in `dir` with the manifest of a fresh build, the manifest file included.
pub fn against_build(dir: &Path, built: &Path) -> Result<Outcome> {
    let statement = manifest::read(built)?;
    let mut expected = expected_files(&statement);
    let (sha, size) = digest(&built.join(manifest::FILE))?;
    expected.insert(manifest::FILE.to_owned(), (sha, size));
    compare(dir, &statement, &expected, Scope::WithManifest)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    WithoutManifest,
    WithManifest,
}

fn expected_files(statement: &Statement) -> BTreeMap<String, (String, u64)> {
    statement
        .subject
        .iter()
        .map(|s| (s.name.clone(), (s.sha256().to_owned(), s.annotations.size)))
        .collect()
}

fn compare(
    dir: &Path,
    statement: &Statement,
    expected: &BTreeMap<String, (String, u64)>,
    scope: Scope,
) -> Result<Outcome> {
    if !dir.is_dir() {
        return Err(Error::Missing(crate::error::Missing::Folder {
            dir: dir.to_path_buf(),
        }));
    }
    let mut differences = vec![];
    let mut publish_record = false;
    let mut seen = std::collections::BTreeSet::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name().min_depth(1) {
        let entry = entry.map_err(|source| Error::Walk {
            path: dir.to_path_buf(),
            source,
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = crate::fs::rel_path(dir, entry.path());
        let skipped = match scope {
            Scope::WithoutManifest => manifest::is_manifest(&rel),
            // A signature is checked against a key, not a build.
            Scope::WithManifest => rel == manifest::SIGNATURE,
        };
        if skipped {
            continue;
        }
        match expected.get(&rel) {
            // `publish --to file://DIR` keeps its record there; `verify DIR` agrees with it.
            None if rel == manifest::PUBLISH_RECORD => publish_record = true,
            None => differences.push((Change::Unexpected, rel)),
            Some(want) => {
                if digest(entry.path())? != *want {
                    differences.push((Change::Modified, rel.clone()));
                }
                seen.insert(rel);
            }
        }
    }
    differences.extend(
        expected
            .keys()
            .filter(|k| !seen.contains(*k))
            .map(|k| (Change::Missing, k.clone())),
    );
    differences.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(Outcome {
        files: expected.len(),
        site_digest: statement.predicate.site_digest.clone(),
        digest_mismatch: statement.predicate.site_digest != statement.recomputed_digest(),
        differences,
        publish_record,
    })
}

fn digest(path: &Path) -> Result<(String, u64)> {
    crate::fs::sha256_file(path).map_err(|source| Error::Io {
        action: "could not read",
        path: path.to_path_buf(),
        source,
    })
}
