//! The `ancapex ledger` subcommands: `keygen`, `init`, `append`, `sign` and `verify`. Appends
//! take a lock file, write one whole line and fsync; nothing ever rewrites earlier bytes.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::note::{KeyType, Signer, Verifier};
use super::{Known, Ledger, Reports, checkpoint::Checkpoint, merkle};
use crate::diagnostic::Diagnostics;
use crate::error::{Error, Existing, Malformed, Missing, Result};
use crate::fs::io;
use crate::ledger::LedgerFiles;

/// The folder of ledger `name` under `root`.
pub fn folder(root: &Path, name: &str) -> PathBuf {
    crate::layout::ledgers(root).join(name)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Generates a key pair named `name` of `key_type` (a log's, or a witness's), writes the
/// private key to `out` (which must not exist) and returns the verifier key line to put in
/// `ledger.toml`.
pub fn keygen(out: &Path, name: &str, key_type: KeyType) -> Result<String> {
    let signer = Signer::generate(name, key_type).map_err(Error::Usage)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(out).map_err(io("could not create", out))?;
    file.write_all(signer.private_line().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io("could not write", out))?;
    Ok(signer.verifier().line())
}

/// The `[policy]` a new ledger starts with: no witnesses yet.
const POLICY: &str = "
# Who co-signs its checkpoints (C2SP tlog-cosignature) and how many of them must, in the
# manner of C2SP tlog-policy. Each witness makes its key with `ancapex ledger keygen --witness`
# and co-signs with `ancapex ledger cosign`; list it here as
# { name = \"<who>\", key = \"<its verifier key>\" }, and set `quorum` to a number, \"any\" or \"all\".
[policy]
witnesses = []
quorum = \"none\"
";

/// What `init` is given.
pub struct Init<'a> {
    /// The ledger's folder name.
    pub name: &'a str,
    /// Its origin line.
    pub origin: &'a str,
    /// The verifier key line.
    pub key: &'a str,
    /// Who appends (the genesis actor).
    pub actor: &'a str,
    /// The genesis title.
    pub title: &'a str,
}

/// Writes `ledger.toml` and the `log.genesis` line of a new ledger.
pub fn init(root: &Path, new: &Init<'_>, now: jiff::Timestamp) -> Result<PathBuf> {
    if !valid_name(new.name) {
        return Err(Error::Usage(format!(
            "`{}` is not a ledger name: use lowercase letters, digits and `-`",
            new.name
        )));
    }
    if new.origin.is_empty() || new.origin.contains(char::is_whitespace) {
        return Err(Error::Usage(format!("`{}` is not an origin", new.origin)));
    }
    Verifier::parse(new.key).map_err(|e| Error::Usage(format!("`--key`: {e}")))?;
    let dir = folder(root, new.name);
    if dir.exists() {
        return Err(Error::Exists(Existing::Ledger {
            name: new.name.to_owned(),
            dir,
        }));
    }
    crate::fs::create_dir_all(&dir.join("checkpoints"))?;
    let q = |s: &str| Value::from(s).to_string();
    let toml = format!(
        "# Run ledger `{}`: append with `ancapex ledger append`, sign with `ancapex ledger sign`.\n\
         origin = {}\ntitle = {}\n# Verifier keys whose checkpoint signatures count.\nkeys = [{}]\n\
         # Who may append (the `actor` of each line).\nactors = [{}]\n{POLICY}",
        new.name,
        q(new.origin),
        q(new.title),
        q(new.key),
        q(new.actor)
    );
    crate::fs::write(&dir.join("ledger.toml"), toml.as_bytes())?;
    let body = serde_json::json!({ "title": new.title });
    let line = line(
        new.origin,
        0,
        None,
        now,
        "log.genesis",
        new.actor,
        &body,
        &[],
    );
    crate::fs::write(&dir.join("entries.jsonl"), format!("{line}\n").as_bytes())?;
    Ok(dir)
}

/// The time as written in a line: RFC 3339 UTC, seconds.
pub fn timestamp(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per field of the line"
)]
fn line(
    origin: &str,
    seq: u64,
    prev: Option<&merkle::Hash>,
    ts: jiff::Timestamp,
    kind: &str,
    actor: &str,
    body: &Value,
    refs: &[String],
) -> String {
    let prev = prev.map_or(Value::Null, |h| Value::from(merkle::hex(h)));
    format!(
        "{{\"v\":1,\"log\":{},\"seq\":{seq},\"prev\":{prev},\"ts\":{},\"type\":{},\"actor\":{},\"body\":{body},\"refs\":{}}}",
        Value::from(origin),
        Value::from(timestamp(ts)),
        Value::from(kind),
        Value::from(actor),
        Value::from(refs.to_vec()),
    )
}

/// What `append` is given.
pub struct Append<'a> {
    /// The entry type.
    pub kind: &'a str,
    /// The body, as JSON text.
    pub body: &'a str,
    /// Who appends.
    pub actor: &'a str,
    /// Artifact references.
    pub refs: &'a [String],
}

/// What a ledger command found: the ledger as read (when it could be) and its problems.
pub struct Outcome {
    /// The ledger after the command.
    pub ledger: Option<Ledger>,
    /// Problems; with errors, the command changed nothing.
    pub diagnostics: Diagnostics,
}

/// Reads and verifies ledger `name`, with the site's artifact ids and its failure `reports`
/// (those a build publishes settle its pending failures).
pub fn verify(root: &Path, name: &str, reports: &Reports) -> Result<Outcome> {
    let dir = folder(root, name);
    if !dir.is_dir() {
        return Err(Error::Missing(Missing::Ledger {
            name: name.to_owned(),
            dir,
        }));
    }
    let mut diagnostics = Diagnostics::new();
    let real = crate::load::real_root(root)?;
    let tree = crate::load::Tree::new(root, &real);
    let files = super::read_folder(tree, &dir, name.to_owned(), &mut diagnostics)?;
    verify_files(root, &files, reports, diagnostics)
}

/// Verifies `files` against the site's artifact ids and failure reports, after the
/// diagnostics from reading them.
fn verify_files(
    root: &Path,
    files: &LedgerFiles,
    reports: &Reports,
    mut diagnostics: Diagnostics,
) -> Result<Outcome> {
    let artifacts = artifact_ids(root)?;
    let known = Known {
        failure_reports: &reports.ids,
        artifacts: &artifacts,
    };
    let (mut ledger, ds) = super::verify(files, &known);
    diagnostics.extend(ds);
    // The reports that would be published settle its pending failures, as in a build.
    diagnostics.extend(super::settle(ledger.as_mut_slice(), &reports.published));
    diagnostics.normalize();
    Ok(Outcome {
        ledger,
        diagnostics,
    })
}

/// The site root, canonical: what the ledger's files are judged inside of.
fn artifact_ids(root: &Path) -> Result<BTreeSet<String>> {
    let dir = crate::layout::artifacts(root);
    let mut ids = BTreeSet::new();
    if !dir.is_dir() {
        return Ok(ids);
    }
    for entry in std::fs::read_dir(&dir).map_err(io("could not list", &dir))? {
        let entry = entry.map_err(io("could not list", &dir))?;
        if entry.path().join("artifact.toml").is_file() {
            ids.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok(ids)
}

/// Removes the lock file when the append is done, whatever happened.
struct Lock(PathBuf);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn lock(dir: &Path) -> Result<Lock> {
    let path = dir.join("entries.jsonl.lock");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(_) => Ok(Lock(path)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Locked { path }),
        Err(e) => Err(io("could not create", &path)(e)),
    }
}

/// Appends one entry: fills seq, prev and ts, checks the whole ledger with the new line, then
/// writes it under a lock and fsyncs. With errors nothing is written.
pub fn append(
    root: &Path,
    name: &str,
    new: &Append<'_>,
    reports: &Reports,
    now: jiff::Timestamp,
) -> Result<Outcome> {
    let dir = folder(root, name);
    let _lock = lock(&dir)?;
    let before = verify(root, name, reports)?;
    let Some(ledger) = before.ledger.filter(|_| !before.diagnostics.has_errors()) else {
        return Ok(Outcome {
            ledger: None,
            diagnostics: before.diagnostics,
        });
    };
    let body: Value = serde_json::from_str(new.body)
        .map_err(|e| Error::Usage(format!("`--body` is not valid JSON: {e}")))?;
    let last = ledger.entries.last();
    let text = line(
        &ledger.origin,
        ledger.entries.len() as u64,
        last.map(|e| &e.leaf),
        now,
        new.kind,
        new.actor,
        &body,
        new.refs,
    );
    // Check the ledger as it would be, so the new line meets every rule the build applies.
    let mut diagnostics = Diagnostics::new();
    let real = crate::load::real_root(root)?;
    let tree = crate::load::Tree::new(root, &real);
    let mut files = super::read_folder(tree, &dir, name.to_owned(), &mut diagnostics)?;
    let path = dir.join("entries.jsonl");
    let shown = crate::fs::rel_path(root, &path);
    let combined = format!("{}{text}\n", ledger.bytes);
    files.entries = Some(crate::diagnostic::SourceText::new(shown, combined));
    let after = verify_files(root, &files, reports, diagnostics)?;
    if after.diagnostics.has_errors() {
        return Ok(Outcome {
            ledger: None,
            diagnostics: after.diagnostics,
        });
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(io("could not open", &path))?;
    file.write_all(format!("{text}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io("could not append to", &path))?;
    Ok(after)
}

/// What `sign` did.
pub enum Signed {
    /// Wrote `checkpoints/<size>`.
    Wrote(PathBuf, u64),
    /// The newest checkpoint already covers every entry.
    Already(u64),
}

/// Signs a checkpoint of the whole ledger with the private key in `key_file`, after checking
/// it verifies and is consistent with the newest checkpoint.
pub fn sign(
    root: &Path,
    name: &str,
    key_file: &Path,
    reports: &Reports,
) -> Result<(Outcome, Option<Signed>)> {
    let signer = Signer::parse(&crate::fs::read_to_string(key_file)?).map_err(|reason| {
        Error::Malformed(Malformed::LedgerKey {
            path: key_file.to_path_buf(),
            reason,
        })
    })?;
    let outcome = verify(root, name, reports)?;
    let Some(ledger) = outcome
        .ledger
        .as_ref()
        .filter(|_| !outcome.diagnostics.has_errors())
    else {
        return Ok((outcome, None));
    };
    if !ledger.keys.contains(&signer.verifier()) {
        return Err(Error::UnknownKey {
            key_file: key_file.to_path_buf(),
            verifier: signer.verifier().line(),
        });
    }
    let leaves = ledger.leaves();
    let size = leaves.len() as u64;
    if let Some(prev) = ledger.latest() {
        let m = prev.checkpoint.size;
        if m == size {
            return Ok((outcome, Some(Signed::Already(size))));
        }
        let root_now = merkle::root(&leaves);
        let proof = merkle::consistency_proof(&leaves, usize::try_from(m).unwrap_or(usize::MAX));
        if !merkle::verify_consistency(m, size, &proof, &prev.checkpoint.root, &root_now) {
            return Err(Error::Inconsistent { size: m });
        }
    }
    let cp = Checkpoint {
        origin: ledger.origin.clone(),
        size,
        root: merkle::root(&leaves),
    };
    let path = folder(root, name)
        .join("checkpoints")
        .join(size.to_string());
    crate::fs::create_dir_all(&folder(root, name).join("checkpoints"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io("could not create", &path))?;
    file.write_all(signer.sign(&cp.text()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io("could not write", &path))?;
    let again = verify(root, name, reports)?;
    Ok((again, Some(Signed::Wrote(path, size))))
}

/// A readable report of a ledger that verified.
pub fn summary(l: &Ledger) -> String {
    use std::fmt::Write as _;

    use crate::text::count;
    let mut out = format!(
        "ledger `{}` ({}): {}\n",
        l.name,
        l.origin,
        count(l.entries.len(), "entry", "entries")
    );
    let mut counts = std::collections::BTreeMap::new();
    for e in &l.entries {
        *counts.entry(e.kind.as_str()).or_insert(0usize) += 1;
    }
    for (kind, n) in counts {
        let _ = writeln!(out, "  {kind}: {n}");
    }
    let root = merkle::root(&l.leaves());
    let _ = writeln!(out, "tree root: {}", merkle::hex(&root));
    match l.latest() {
        None => out.push_str("no checkpoints: every entry is unsigned\n"),
        Some(cp) => {
            let _ = writeln!(
                out,
                "checkpoints: {} verified and consistent; the newest signs {}",
                l.checkpoints.len(),
                count(cp.checkpoint.size, "entry", "entries")
            );
            let tail = l.entries.len() as u64 - cp.checkpoint.size;
            if tail > 0 {
                let _ = writeln!(
                    out,
                    "unsigned tail: {} after the newest checkpoint",
                    count(tail, "entry", "entries")
                );
            }
        }
    }
    out.push_str("ok: seq, prev chain, times, schema, signatures and trees all verify\n");
    out
}
