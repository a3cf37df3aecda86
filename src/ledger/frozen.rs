//! `check --since <rev>` for ledgers: every `entries.jsonl` must be a byte-prefix extension of
//! its version at that git revision, and every signed checkpoint that existed then must still
//! be there unchanged. Editing, removing or reordering old lines is refused at the first line
//! that differs.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::Result;
use crate::ledger::LedgerFiles;

/// Compares every ledger file tracked at `rev` with `current`.
pub fn since(root: &Path, rev: &str, current: &[LedgerFiles]) -> Result<Diagnostics> {
    let failed = crate::git::since_failed(rev);
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
            "artifacts/ledgers",
        ],
    )
    .map_err(&failed)?;
    let mut ds = Diagnostics::new();
    for path in listing.lines() {
        let Some(rest) = path.strip_prefix("artifacts/ledgers/") else {
            continue;
        };
        let Some((name, file)) = rest.split_once('/') else {
            continue;
        };
        let is_checkpoint = file
            .strip_prefix("checkpoints/")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if file != "entries.jsonl" && !is_checkpoint {
            continue;
        }
        let old =
            crate::git::run(root, &["show", &format!("{commit}:./{path}")]).map_err(&failed)?;
        let ledger = current.iter().find(|l| l.name == name);
        let now = ledger.and_then(|l| {
            if file == "entries.jsonl" {
                l.entries.clone()
            } else {
                let n = &file["checkpoints/".len()..];
                l.checkpoints
                    .iter()
                    .find(|(f, _)| f == n)
                    .map(|(_, s)| std::sync::Arc::clone(s))
            }
        });
        let Some(now) = now else {
            ds.push(
                Diagnostic::error(format!("`{path}` was deleted since `{rev}`"))
                    .in_file(path.to_owned())
                    .help("ledgers are append-only: restore it from git"),
            );
            continue;
        };
        if now.text.starts_with(old.as_str()) {
            continue;
        }
        if is_checkpoint {
            ds.push(
                Diagnostic::error(format!("signed checkpoint `{path}` changed since `{rev}`"))
                    .in_file(path.to_owned())
                    .help("checkpoints are never re-signed: restore it from git"),
            );
            continue;
        }
        // The first line that differs from the old file.
        let mut offset = 0;
        let mut line_no = 1;
        for (a, b) in old
            .split_inclusive('\n')
            .zip(now.text.split_inclusive('\n'))
        {
            if a != b {
                break;
            }
            offset += a.len();
            line_no += 1;
        }
        let end = now.text[offset..]
            .find('\n')
            .map_or(now.text.len(), |i| offset + i);
        let what = if now.text.len() < old.len() && offset == now.text.len() {
            format!("line {line_no} and after were removed")
        } else {
            format!("line {line_no} differs from its version at `{rev}`")
        };
        ds.push(
            Diagnostic::error(format!(
                "ledger `{name}` is not an append-only extension of its version at `{rev}`: {what}"
            ))
            .at(&now, offset..end.max(offset))
            .label("earlier lines may never change")
            .help("revert the edit and append a `correction` entry instead"),
        );
    }
    Ok(ds)
}
