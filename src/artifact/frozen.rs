//! `check --since <rev>`: published records are frozen. A record that was `published` at the
//! given git revision may not change its version, files, claim or acceptance (a new version is
//! a new record), nor lose a file it pinned by digest. The old records are read from git
//! (`git show <rev>:<path>`); each change is reported at its place in the current record.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::artifact::ArtifactFile;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::error::Result;

/// The fields a published record may not change.
const FROZEN: [&str; 4] = ["version", "files", "claim", "acceptance"];

/// Compares every record that was published at `rev` with `current`. A missing git, a bad
/// revision or a failed git command is an error (exit 2); changes are diagnostics.
pub fn since(root: &Path, rev: &str, current: &[ArtifactFile]) -> Result<Diagnostics> {
    let commit = crate::git::commit(root, rev)?;
    let commit = commit.as_str();
    let listing = crate::git::run(
        root,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            commit,
            "--",
            crate::layout::ARTIFACTS,
        ],
    )
    .map_err(crate::git::since_failed(rev))?;
    let mut ds = Diagnostics::new();
    for path in listing.lines() {
        let Some(dir) = path
            .strip_prefix("artifacts/")
            .and_then(|p| p.strip_suffix("/artifact.toml"))
            .filter(|d| !d.contains('/'))
        else {
            continue;
        };
        let text = crate::git::run(root, &["show", &format!("{commit}:./{path}")])
            .map_err(crate::git::since_failed(rev))?;
        // A record that did not parse then was not published then.
        let Ok(old) = toml::from_str::<toml::Table>(&text) else {
            continue;
        };
        let old_status = old
            .get("status")
            .and_then(toml::Value::as_str)
            .unwrap_or("");
        if let Some(file) = current.iter().find(|f| f.dir == dir) {
            check_transition(old_status, rev, file, &mut ds);
        }
        if old_status != "published" {
            continue;
        }
        let version = old
            .get("version")
            .and_then(toml::Value::as_str)
            .unwrap_or("?");
        let name = format!("`{dir}@{version}`");
        let Some(file) = current.iter().find(|f| f.dir == dir) else {
            ds.push(
                Diagnostic::error(format!("published record {name} was deleted"))
                    .in_file(path.to_owned())
                    .help(format!(
                        "published records are frozen; restore it from `{rev}` and mark it `superseded` or `retracted`"
                    )),
            );
            continue;
        };
        compare(&old, &name, rev, file, &mut ds);
    }
    Ok(ds)
}

/// The lifecycle: `planned -> drafting | forming -> review -> published -> superseded |
/// retracted`, forward only (steps may be skipped), and `abandoned` from any state before
/// `published`. Superseded, retracted and abandoned are final.
fn transition_allowed(from: &str, to: &str) -> bool {
    let rank = |s: &str| match s {
        "planned" => Some(0),
        "drafting" | "forming" => Some(1),
        "review" => Some(2),
        "published" => Some(3),
        "superseded" | "retracted" => Some(4),
        "abandoned" => Some(5),
        _ => None,
    };
    let (Some(a), Some(b)) = (rank(from), rank(to)) else {
        // An unknown status is reported by the record check itself.
        return true;
    };
    if from == to {
        return true;
    }
    match (a, b) {
        // Between drafting and forming, from before publication to abandoned, from published
        // to superseded or retracted.
        (1, 1) | (0..=2, 5) | (3, 4) => true,
        (3..=5, _) | (_, 4 | 5) => false,
        _ => b > a,
    }
}

fn check_transition(from: &str, rev: &str, file: &ArtifactFile, ds: &mut Diagnostics) {
    let Ok(doc) = file.source.text.parse::<toml_edit::Document<String>>() else {
        return;
    };
    let Some(to) = doc.get("status").and_then(|s| s.as_str()) else {
        return;
    };
    if !transition_allowed(from, to) {
        let d = Diagnostic::error(format!("status went from `{from}` at `{rev}` to `{to}`, which the lifecycle does not allow"))
            .help("planned -> drafting | forming -> review -> published -> superseded | retracted; abandoned only before published");
        ds.push(locate(d, &doc, "status", &file.source));
    }
}

fn compare(old: &toml::Table, name: &str, rev: &str, file: &ArtifactFile, ds: &mut Diagnostics) {
    let source = &file.source;
    // A record that no longer parses is reported by the registry.
    let Ok(new) = toml::from_str::<toml::Table>(&source.text) else {
        return;
    };
    let Ok(doc) = toml_edit::Document::parse(source.text.to_string()) else {
        return;
    };
    let help = "published records are frozen; a new version is a new record (and this one becomes `superseded`)";
    for key in FROZEN {
        let (before, after) = (old.get(key), new.get(key));
        let same = match key {
            "files" => file_pins(before) == file_pins(after),
            _ => before == after,
        };
        if same {
            continue;
        }
        let message = match after {
            None => format!("`{key}` of published record {name} was removed"),
            Some(_) => format!("`{key}` of published record {name} changed since `{rev}`"),
        };
        ds.push(locate(
            Diagnostic::error(message).help(help),
            &doc,
            key,
            source,
        ));
    }
    for (path, _) in file_pins(old.get("files"))
        .into_iter()
        .filter_map(|(path, _, sha, _)| path.zip(sha))
    {
        if !file.folder.join(&path).exists() {
            ds.push(locate(
                Diagnostic::error(format!(
                    "file `{path}` of published record {name} was deleted"
                ))
                .help(format!(
                    "it was pinned by digest at `{rev}`; restore it from there"
                )),
                &doc,
                "files",
                source,
            ));
        }
    }
}

type Pin = (Option<String>, Option<String>, Option<String>, Option<i64>);

/// What a `[[files]]` list pins: path, url, sha256 and size of each entry, in order.
fn file_pins(files: Option<&toml::Value>) -> Vec<Pin> {
    let Some(files) = files.and_then(toml::Value::as_array) else {
        return vec![];
    };
    let s = |t: &toml::Table, k: &str| t.get(k).and_then(toml::Value::as_str).map(str::to_owned);
    files
        .iter()
        .filter_map(toml::Value::as_table)
        .map(|t| {
            (
                s(t, "path"),
                s(t, "url"),
                s(t, "sha256"),
                t.get("size").and_then(toml::Value::as_integer),
            )
        })
        .collect()
}

/// Points at the key's value in the current record, or at `status` when the key is gone.
fn locate(
    d: Diagnostic,
    doc: &toml_edit::Document<String>,
    key: &str,
    source: &Arc<SourceText>,
) -> Diagnostic {
    let span = |k: &str| -> Option<Range<usize>> {
        let item = doc.get(k)?;
        match item {
            toml_edit::Item::ArrayOfTables(a) => a.get(0).and_then(toml_edit::Table::span),
            toml_edit::Item::Table(t) => t.span(),
            _ => item.span(),
        }
    };
    match span(key).or_else(|| span("status")) {
        Some(span) => d.at(source, span),
        None => d.in_file(source.path.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::transition_allowed;

    #[test]
    fn lifecycle_moves_forward_only() {
        let allowed = [
            ("planned", "forming"),
            ("drafting", "forming"),
            ("forming", "review"),
            ("planned", "review"),
            ("review", "published"),
            ("published", "superseded"),
            ("published", "retracted"),
            ("drafting", "abandoned"),
            ("review", "review"),
        ];
        for (from, to) in allowed {
            assert!(transition_allowed(from, to), "{from} -> {to}");
        }
        let refused = [
            ("published", "abandoned"),
            ("published", "review"),
            ("review", "drafting"),
            ("abandoned", "planned"),
            ("superseded", "published"),
            ("retracted", "superseded"),
            ("planned", "superseded"),
            ("review", "retracted"),
        ];
        for (from, to) in refused {
            assert!(!transition_allowed(from, to), "{from} -> {to}");
        }
    }
}
