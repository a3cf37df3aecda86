//! `ancapex artifact hash <id>`: fills in `sha256` and `size` of every local file of a record,
//! editing the TOML in place (toml_edit) so the contributor's comments, key order and layout
//! stay as they wrote them. Paths are checked as the build checks them: nothing outside the
//! artifact's folder is ever read.

use std::path::Path;

use toml_edit::{DocumentMut, Item, TableLike, Value};

use super::integrity;
use crate::error::{Error, Malformed, Missing, Outside, Result};

/// One file whose digest or size was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashChange {
    /// The `path` as written in the record.
    pub path: String,
    /// The digest now in the record.
    pub sha256: String,
    /// The size now in the record.
    pub size: u64,
    /// What the record said before, if anything.
    pub was: Option<(Option<String>, Option<i64>)>,
}

/// Hashes the local files of `artifacts/<id>/artifact.toml` under `root` and writes digests and
/// sizes that are missing or wrong; returns what changed (nothing is written when nothing did).
/// Refuses the whole record, writing nothing, when a path is missing or leads out of its folder,
/// or when the record was published (published records are frozen) and a digest or size would
/// change.
pub fn fill(root: &Path, id: &str) -> Result<Vec<HashChange>> {
    let folder = root.join("artifacts").join(id);
    let record = folder.join("artifact.toml");
    // The record is rewritten: it must be one inside the site, as the build reads it.
    let inside = std::fs::canonicalize(root).is_ok_and(|real_root| {
        matches!(
            crate::fs::follow(&real_root, &record),
            crate::fs::Followed::Inside(_)
        )
    });
    if id.contains(['/', '\\']) || id == ".." || (record.exists() && !inside) {
        return Err(Error::Outside(Outside::Record { id: id.to_owned() }));
    }
    if !record.is_file() {
        return Err(Error::Missing(Missing::Artifact {
            id: id.to_owned(),
            record,
        }));
    }
    let text = std::fs::read_to_string(&record).map_err(|source| Error::Io {
        action: "could not read",
        path: record.clone(),
        source,
    })?;
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Error::Malformed(Malformed::Record {
            path: record.clone(),
            reason: e.message().to_owned(),
        })
    })?;
    let folder = std::fs::canonicalize(&folder).map_err(|source| Error::Io {
        action: "could not read",
        path: folder.clone(),
        source,
    })?;
    let mut changes = vec![];
    for entry in file_tables(&mut doc) {
        let Some(rel) = entry.get("path").and_then(Item::as_str).map(str::to_owned) else {
            continue;
        };
        let real = crate::fs::resolve_inside(&folder, &rel).map_err(|problem| {
            Error::Outside(Outside::File {
                id: id.to_owned(),
                rel: rel.clone(),
                problem: integrity::describe(&problem),
            })
        })?;
        let (sha256, size) = crate::fs::sha256_file(&real).map_err(|source| Error::Io {
            action: "could not read",
            path: real.clone(),
            source,
        })?;
        let old_sha = entry
            .get("sha256")
            .and_then(Item::as_str)
            .map(str::to_owned);
        let old_size = entry.get("size").and_then(Item::as_integer);
        let size_i64 = i64::try_from(size).map_err(|_| Error::TooLarge { rel: rel.clone() })?;
        if old_sha.as_deref() == Some(sha256.as_str()) && old_size == Some(size_i64) {
            continue;
        }
        let set = crate::text::set_toml_keeping_layout;
        set(entry, "sha256", Value::from(sha256.clone()));
        set(entry, "size", Value::from(size_i64));
        changes.push(HashChange {
            path: rel,
            sha256,
            size,
            was: (old_sha.is_some() || old_size.is_some()).then_some((old_sha, old_size)),
        });
    }
    let status = doc.get("status").and_then(Item::as_str).unwrap_or("");
    let frozen = super::Status::ALL
        .iter()
        .any(|s| s.as_str() == status && s.is_frozen());
    if let (true, Some(first)) = (frozen, changes.first()) {
        let what = if changes.len() == 1 {
            format!(
                "`{}` no longer matches its recorded digest and size",
                first.path
            )
        } else {
            format!(
                "`{}` and {} other files no longer match their recorded digests and sizes",
                first.path,
                changes.len() - 1
            )
        };
        return Err(Error::Frozen {
            id: id.to_owned(),
            status: status.to_string(),
            what,
        });
    }
    if !changes.is_empty() {
        std::fs::write(&record, doc.to_string()).map_err(|source| Error::Io {
            action: "could not write",
            path: record.clone(),
            source,
        })?;
    }
    Ok(changes)
}

/// The `[[files]]` tables (or `files = [{ .. }]` inline tables) of a record.
fn file_tables(doc: &mut DocumentMut) -> Vec<&mut dyn TableLike> {
    match doc.get_mut("files") {
        Some(Item::ArrayOfTables(tables)) => {
            tables.iter_mut().map(|t| t as &mut dyn TableLike).collect()
        }
        Some(Item::Value(Value::Array(array))) => array
            .iter_mut()
            .filter_map(Value::as_inline_table_mut)
            .map(|t| t as &mut dyn TableLike)
            .collect(),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"# top comment
schema = "ancapex.artifact/1"   # trailing
id = "r"

# the report
[[files]]
path = "a.txt"    # the file
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"  # stale
role = "primary"

# a url file is left alone
[[files]]
url = "https://example.org/x"
role = "data"
"#;

    #[test]
    fn fills_digests_keeping_comments_and_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("artifacts/r");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.txt"), "abc").unwrap();
        std::fs::write(dir.join("artifact.toml"), RECORD).unwrap();
        let changes = fill(tmp.path(), "r").unwrap();
        assert_eq!(changes.len(), 1);
        let digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let text = std::fs::read_to_string(dir.join("artifact.toml")).unwrap();
        assert_eq!(
            text,
            RECORD.replace(
                "sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"  # stale\nrole = \"primary\"\n",
                &format!("sha256 = \"{digest}\"  # stale\nrole = \"primary\"\nsize = 3\n")
            )
        );
        assert!(fill(tmp.path(), "r").unwrap().is_empty());
    }

    #[test]
    fn refuses_a_path_out_of_the_folder_and_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("artifacts/r");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(tmp.path().join("artifacts/secret"), "x").unwrap();
        let text = RECORD.replace("\"a.txt\"", "\"../secret\"");
        std::fs::write(dir.join("artifact.toml"), &text).unwrap();
        let err = fill(tmp.path(), "r").unwrap_err().to_string();
        assert_eq!(
            err,
            "artifact `r`: file `../secret` leads out of the artifact's folder; nothing was written"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("artifact.toml")).unwrap(),
            text
        );
    }
}
