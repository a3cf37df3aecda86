//! Running git in the site root: the revision published records are compared with
//! (`check --since`) and what a build records of its checkout. A shared leaf.

use std::path::Path;
use std::process::Command;

use crate::error::{Error, Result};

/// The commit `rev` names, or an error naming `--since`.
pub(crate) fn commit(root: &Path, rev: &str) -> Result<String> {
    let out = run(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(since_failed(rev))?;
    Ok(out.trim().to_owned())
}

/// Turns why git failed at `rev` into the error `check --since` stops with.
pub(crate) fn since_failed(rev: &str) -> impl Fn(String) -> Error + '_ {
    move |reason| Error::Since {
        rev: rev.to_owned(),
        reason,
    }
}

/// Runs git in `root`; its stdout, or why it failed.
pub(crate) fn run(root: &Path, args: &[&str]) -> std::result::Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = stderr.trim();
        return Err(if why.is_empty() {
            format!("`git {}` failed (not a revision?)", args.join(" "))
        } else {
            format!("`git {}` failed: {why}", args.join(" "))
        });
    }
    String::from_utf8(out.stdout).map_err(|_| "git printed something that is not UTF-8".to_owned())
}
