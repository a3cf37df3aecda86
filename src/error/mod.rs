//! Operational failures: the filesystem, an unreadable config, a theme that cannot be found.
//! Problems in the user's content are not errors but diagnostics (see `diagnostic`).

use std::path::PathBuf;

/// Everything that stops a command for reasons other than the content itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A filesystem operation failed.
    #[error("{action} `{}`", path.display())]
    Io {
        /// What was being done, e.g. "could not read".
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The site configuration has problems; they are in the diagnostics.
    #[error("could not load `{}`", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// The located problems.
        diagnostics: crate::diagnostic::Diagnostics,
    },
    /// The command line asks for something that cannot be: a malformed id, name, key, JSON
    /// body or target, an unknown kind, an option without the one it needs.
    #[error("{0}")]
    Usage(String),
    /// The root folder holds no `site.toml`.
    #[error("no `{file}` in `{}`: is this a site? (`ancapex init DIR` makes one)", root.display())]
    NotASite {
        /// The folder given as the site's root.
        root: PathBuf,
        /// The configuration file's name (`config::FILE_NAME`).
        file: &'static str,
    },
    /// The output folder is, or is inside, the site's sources: a build would replace them.
    #[error("the output folder `{}` {clash}; a build replaces it wholesale", output.display())]
    OutputFolder {
        /// The output folder, absolute.
        output: PathBuf,
        /// What it would replace.
        clash: Clash,
    },
    /// What a command would create is there already; nothing is overwritten.
    #[error("{0}")]
    Exists(Existing),
    /// What a command works on is not there.
    #[error("{0}")]
    Missing(Missing),
    /// A write would leave the folder it belongs in; nothing was written.
    #[error("{0}")]
    Outside(Outside),
    /// A file the command reads is not what it should be.
    #[error("{0}")]
    Malformed(Malformed),
    /// `new failure --entry` names a ledger entry that is not a `failure`.
    #[error("entry {seq} of ledger `{run}` is {} `{kind}` entry, not a `failure`", if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" })]
    NotAFailure {
        /// The run ledger.
        run: String,
        /// The entry's seq.
        seq: u64,
        /// The entry's type.
        kind: String,
    },
    /// Another append to the ledger holds its lock file.
    #[error("another append holds `{}`; if none is running, remove it", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// `artifact hash` would change the files of a record that is frozen.
    #[error(
        "artifact `{id}` is `{status}` and published records are frozen: {what}; nothing was written (a new version is a new record: give it a new id and folder, and mark this one `superseded`)"
    )]
    Frozen {
        /// The artifact.
        id: String,
        /// Its status.
        status: String,
        /// What would have changed.
        what: String,
    },
    /// A size does not fit in a TOML integer.
    #[error("file `{rel}` is too large for a TOML integer")]
    TooLarge {
        /// The file, relative to its artifact's folder.
        rel: String,
    },
    /// A built site to publish does not verify against its manifest.
    #[error("`{}` does not verify against its manifest ({}); rebuild it with `ancapex build` before publishing", dir.display(), differences.join(", "))]
    Unverified {
        /// The built site.
        dir: PathBuf,
        /// What differs, one phrase each.
        differences: Vec<String>,
    },
    /// git could not show what `check --since` compares with.
    #[error("`--since {rev}`: {reason}")]
    Since {
        /// The revision.
        rev: String,
        /// What git said.
        reason: String,
    },
    /// Signing the site manifest failed.
    #[error("could not sign the site manifest: {reason}")]
    Sign {
        /// What minisign said.
        reason: String,
    },
    /// The key `ledger sign` was given is not one of the ledger's.
    #[error("the key `{}` is not in the ledger's `keys`; add `{verifier}` to ledger.toml first", key_file.display())]
    UnknownKey {
        /// The private key file.
        key_file: PathBuf,
        /// Its verifier key line.
        verifier: String,
    },
    /// The ledger's entries do not extend its newest checkpoint.
    #[error("the ledger is not consistent with its checkpoint of size {size}")]
    Inconsistent {
        /// The checkpoint's size.
        size: u64,
    },
    /// `serve` could not listen on its address.
    #[error("could not listen on `{addr}`{}", reason.as_ref().map_or_else(String::new, |r| format!(": {r}; is another server using the port? pass another `--port` (0 picks a free one)")))]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why, when the server said.
        reason: Option<String>,
    },
    /// Walking a directory failed.
    #[error("could not walk `{}`", path.display())]
    Walk {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: walkdir::Error,
    },
    /// A publish target failed an operation (after retries).
    #[error("{action} `{key}` on {target}")]
    Store {
        /// What was being done, e.g. "could not upload".
        action: &'static str,
        /// The object's key under the target's prefix (empty for the whole target).
        key: String,
        /// The target, e.g. `s3://bucket/prefix`.
        target: String,
        /// The store's error.
        #[source]
        source: opendal::Error,
    },
    /// Another publish wrote the publish record since this one read it.
    #[error(
        "another publish to {target} finished while this one ran: its record was kept and nothing was deleted; publish again to bring the target up to date"
    )]
    PublishConflict {
        /// The target.
        target: String,
    },
    /// A witness refused to co-sign a checkpoint.
    #[error("{0}")]
    Refused(Refusal),
    /// A monitor found something wrong with a live ledger.
    #[error("{0}")]
    Alarm(Alarm),
}

/// What `ledger monitor` found wrong with a live ledger: its state was left as it was.
#[derive(Debug, thiserror::Error)]
pub enum Alarm {
    /// A file could not be fetched.
    #[error("alarm: could not fetch {url}: {reason}")]
    Fetch {
        /// Its URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The checkpoint is not a signed checkpoint.
    #[error("alarm: the checkpoint is not a signed checkpoint: {reason}")]
    BadCheckpoint {
        /// Why.
        reason: String,
    },
    /// The monitor has not seen this log and was given no key for it.
    #[error(
        "this monitor has not seen log `{origin}` before: pass the log's verifier key with `--log-key` (from its ledger.toml, checked with the lab by another channel)"
    )]
    UnknownLog {
        /// The log's origin.
        origin: String,
    },
    /// `--log-key` is not the key the monitor trusts for the log.
    #[error(
        "alarm: `--log-key` is not the key this monitor trusts for `{origin}` ({trusted}); a log's key does not change"
    )]
    LogKeyChanged {
        /// The log's origin.
        origin: String,
        /// The key in the monitor's state.
        trusted: String,
    },
    /// The checkpoint is not signed by the trusted log key.
    #[error("alarm: the checkpoint is not signed by the key this monitor trusts for `{origin}`")]
    Signature {
        /// The log's origin.
        origin: String,
    },
    /// A witness's cosignature does not verify.
    #[error("alarm: {reason}")]
    Cosignature {
        /// The build's words for it.
        reason: String,
    },
    /// Fewer witnesses co-signed than the policy's quorum.
    #[error("alarm: the checkpoint is not witnessed: {have} of a quorum of {quorum} co-signed it")]
    Quorum {
        /// How many did.
        have: usize,
        /// How many must.
        quorum: usize,
    },
    /// The entries do not give the checkpoint's tree.
    #[error("alarm: the published entries do not give checkpoint {size}: {reason}")]
    Entries {
        /// The checkpoint's size.
        size: u64,
        /// Why.
        reason: String,
    },
    /// A tile is not what the entries give.
    #[error("alarm: tile `{path}` of checkpoint {size} is not what the entries give")]
    Tile {
        /// Its path under the ledger.
        path: String,
        /// The checkpoint's size.
        size: u64,
    },
    /// The checkpoint is older than the last one seen.
    #[error(
        "alarm: rollback: checkpoint {size} of `{origin}` is older than checkpoint {seen}, which this monitor saw before"
    )]
    Rollback {
        /// The log's origin.
        origin: String,
        /// The checkpoint's size.
        size: u64,
        /// The size seen last.
        seen: u64,
    },
    /// The checkpoint's history is not the one seen before.
    #[error(
        "alarm: fork: checkpoint {size} of `{origin}` does not extend checkpoint {seen}, which this monitor saw before; its first {seen} entries are another history"
    )]
    Fork {
        /// The log's origin.
        origin: String,
        /// The checkpoint's size.
        size: u64,
        /// The size seen last.
        seen: u64,
    },
}

/// Why a witness refused to co-sign (`ledger cosign`): nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The checkpoint file is not a signed checkpoint.
    #[error("refused: `{}` is not a signed checkpoint: {reason}", file.display())]
    NotACheckpoint {
        /// The file.
        file: PathBuf,
        /// Why.
        reason: String,
    },
    /// The ledger folder has no checkpoint.
    #[error("refused: no checkpoint in `{}`: the log has signed nothing yet", dir.display())]
    NoCheckpoint {
        /// The `checkpoints/` folder.
        dir: PathBuf,
    },
    /// The witness has not seen this log and was given no key for it.
    #[error(
        "this witness has not co-signed log `{origin}` before: pass the log's verifier key with `--log-key` (from its ledger.toml, checked with the lab by another channel)"
    )]
    UnknownLog {
        /// The log's origin.
        origin: String,
    },
    /// `--log-key` is not the key the witness trusts for the log.
    #[error(
        "refused: `--log-key` is not the key this witness trusts for `{origin}` ({trusted}); a witness does not change a log's key"
    )]
    LogKeyChanged {
        /// The log's origin.
        origin: String,
        /// The key in the witness's state.
        trusted: String,
    },
    /// The checkpoint is not signed by the trusted log key.
    #[error("refused: `{}` is not signed by the key this witness trusts for `{origin}`", file.display())]
    LogSignature {
        /// The checkpoint file.
        file: PathBuf,
        /// The log's origin.
        origin: String,
    },
    /// The entries are fewer than the checkpoint signs.
    #[error("refused: `{}` signs {size} entries, but `entries.jsonl` has {entries}", file.display())]
    EntriesShort {
        /// The checkpoint file.
        file: PathBuf,
        /// Its size.
        size: u64,
        /// How many lines the entries have.
        entries: u64,
    },
    /// The entries do not give the checkpoint's tree.
    #[error("refused: the first {size} lines of `entries.jsonl` do not give the tree `{}` signs", file.display())]
    EntriesDiffer {
        /// The checkpoint file.
        file: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The checkpoint is older than the last one the witness co-signed.
    #[error(
        "refused: rollback: checkpoint {size} of `{origin}` is older than checkpoint {seen}, which this witness co-signed; a log never shrinks"
    )]
    Rollback {
        /// The log's origin.
        origin: String,
        /// The checkpoint's size.
        size: u64,
        /// The size the witness co-signed last.
        seen: u64,
    },
    /// The checkpoint's history is not the one the witness co-signed.
    #[error(
        "refused: fork: checkpoint {size} of `{origin}` does not extend checkpoint {seen}, which this witness co-signed; its first {seen} entries are another history, so someone was shown a different ledger"
    )]
    Fork {
        /// The log's origin.
        origin: String,
        /// The checkpoint's size.
        size: u64,
        /// The size the witness co-signed last.
        seen: u64,
    },
}

/// The result of an operational step.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its sources, each after a colon: `could not fetch …: error sending request: …:
/// Connection refused`.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What the output folder would replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    /// The site itself.
    HoldsSite,
    /// A folder (or file) of the site's sources.
    Inside(&'static str),
}

impl std::fmt::Display for Clash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::HoldsSite => f.write_str("holds the site itself"),
            Self::Inside(source) => write!(f, "is inside the site's `{source}`"),
        }
    }
}

/// What a command would create and finds there already.
#[derive(Debug, thiserror::Error)]
pub enum Existing {
    /// `init` into a folder that has a site.
    #[error("`{}` already has a `site.toml`; not overwriting it", dir.display())]
    Site {
        /// The folder.
        dir: PathBuf,
    },
    /// A file `init` would write.
    #[error("`{}` already exists; not overwriting it", path.display())]
    File {
        /// The file.
        path: PathBuf,
    },
    /// An artifact's folder.
    #[error("artifact `{id}` already exists in `{}`; ids are never reused", folder.display())]
    Artifact {
        /// The id.
        id: String,
        /// Its folder.
        folder: PathBuf,
    },
    /// A failure report.
    #[error(
        "failure report `{id}` already exists: `artifacts/failures/{id}.md`; ids are never reused"
    )]
    FailureReport {
        /// The id.
        id: String,
    },
    /// A ledger's folder.
    #[error("ledger `{name}` already exists at `{}`", dir.display())]
    Ledger {
        /// The ledger's name.
        name: String,
        /// Its folder.
        dir: PathBuf,
    },
}

/// What a command works on and does not find.
#[derive(Debug, thiserror::Error)]
pub enum Missing {
    /// An artifact record.
    #[error("no artifact `{id}`: `{}` does not exist", record.display())]
    Artifact {
        /// The id.
        id: String,
        /// Where its record would be.
        record: PathBuf,
    },
    /// A ledger's folder.
    #[error("no ledger `{name}`: `{}` is not a folder", dir.display())]
    Ledger {
        /// The name.
        name: String,
        /// Where its folder would be.
        dir: PathBuf,
    },
    /// The run ledger `new failure --run` names.
    #[error("no run ledger `{run}` in `artifacts/ledgers/`{}", did_you_mean.as_ref().map_or_else(String::new, |best| format!("; did you mean `{best}`?")))]
    RunLedger {
        /// The name given.
        run: String,
        /// The nearest name there is.
        did_you_mean: Option<String>,
    },
    /// The entry `new failure --entry` names.
    #[error("ledger `{run}` has no entry {seq} (it has {entries})")]
    Entry {
        /// The run ledger.
        run: String,
        /// The seq given.
        seq: u64,
        /// How many entries it has.
        entries: usize,
    },
    /// The signed checkpoint `ledger proof` needs for an entry.
    #[error(
        "no signed checkpoint of ledger `{name}` covers seq {seq}: it has {entries} entries, {signed} signed"
    )]
    Proof {
        /// The ledger.
        name: String,
        /// The seq given.
        seq: u64,
        /// How many entries it has.
        entries: usize,
        /// How many of them the newest checkpoint signs.
        signed: u64,
    },
    /// A folder `verify` was given.
    #[error("`{}` is not a folder", dir.display())]
    Folder {
        /// The path given.
        dir: PathBuf,
    },
}

/// A write that would leave the folder it belongs in.
#[derive(Debug, thiserror::Error)]
pub enum Outside {
    /// `artifacts` is a symbolic link out of the site.
    #[error("`artifacts` is a link that leads out of the site; nothing was written")]
    ArtifactsLink,
    /// An artifact's record is not inside `artifacts/`.
    #[error("`artifacts/{id}/artifact.toml` leads outside the site's records; nothing was written")]
    Record {
        /// The id given.
        id: String,
    },
    /// A file a record lists is not inside its folder (or not a file).
    #[error("artifact `{id}`: file `{rel}` {problem}; nothing was written")]
    File {
        /// The artifact.
        id: String,
        /// The path the record gives.
        rel: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An output path outside the output folder.
    #[error("refusing to write `{path}` outside the output folder")]
    Output {
        /// The output path.
        path: String,
    },
}

/// A file that is not what it should be.
#[derive(Debug, thiserror::Error)]
pub enum Malformed {
    /// `site-manifest.json`.
    #[error("`{}` is not a site manifest: {reason}", path.display())]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        reason: String,
    },
    /// The publish record on a target.
    #[error(
        "`{record}` on {target} is not a publish record: {reason}; move it away and publish with `--verify-remote`"
    )]
    PublishRecord {
        /// The record's key.
        record: &'static str,
        /// The target.
        target: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// An artifact record `artifact hash` edits.
    #[error("`{}` is not valid TOML: {reason}", path.display())]
    Record {
        /// The record.
        path: PathBuf,
        /// What the TOML parser said.
        reason: String,
    },
    /// The failure report template built into the binary.
    #[error("the built-in report template {0}")]
    Template(&'static str),
    /// A minisign secret key (`from` says where it came from).
    #[error("{from} does not hold a minisign secret key: {reason}")]
    SecretKey {
        /// Where the key came from.
        from: String,
        /// What minisign said, lowercased.
        reason: String,
    },
    /// An encrypted minisign secret key with no password.
    #[error("{from} is encrypted: give its password in `{env}`")]
    Encrypted {
        /// Where the key came from.
        from: String,
        /// The variable that holds the password.
        env: &'static str,
    },
    /// A ledger's private key file.
    #[error("`{}`: {reason}", path.display())]
    LedgerKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}
