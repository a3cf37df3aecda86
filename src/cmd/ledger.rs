//! `ancapex ledger ...`: keys, appends, checkpoints, proofs and verification of a run ledger. The
//! ledger's problems are reported as the build reports them; errors are
//! [`Outcome::Problems`].

use std::path::Path;

use ancapex::error::Missing;
use ancapex::text::count;

use super::Outcome;
use super::report::{self, Format, Look};
use crate::LedgerCommand;

/// Runs one `ledger` subcommand on the site under `root`.
#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where reports are printed"
)]
pub(crate) fn run(root: &Path, what: LedgerCommand, look: Look) -> ancapex::Result<Outcome> {
    use ancapex::ledger::command;
    let now = jiff::Timestamp::now();
    let outcome = match what {
        LedgerCommand::Keygen { out, name, witness } => {
            let key_type = if witness {
                ancapex::ledger::note::KeyType::Cosignature
            } else {
                ancapex::ledger::note::KeyType::Ed25519
            };
            let line = command::keygen(&out, &name, key_type)?;
            println!(
                "wrote the private key to {} (keep it secret, out of git)",
                out.display()
            );
            if witness {
                println!("witness verifier key (for a ledger's `[policy]` witnesses):");
            } else {
                println!("verifier key (for `ledger init --key` or ledger.toml):");
            }
            println!("{line}");
            return Ok(Outcome::Done);
        }
        LedgerCommand::Init {
            name,
            origin,
            key,
            actor,
            title,
        } => {
            let title = title.unwrap_or_else(|| name.clone());
            let init = command::Init {
                name: &name,
                origin: &origin,
                key: &key,
                actor: &actor,
                title: &title,
            };
            let dir = command::init(root, &init, now)?;
            let rel = dir.strip_prefix(root).unwrap_or(&dir);
            println!("created {} with its log.genesis line", rel.display());
            return Ok(Outcome::Done);
        }
        LedgerCommand::Append {
            name,
            kind,
            body,
            actor,
            refs,
        } => {
            let new = command::Append {
                kind: &kind,
                body: &body,
                actor: &actor,
                refs: &refs,
            };
            let outcome = command::append(root, &name, &new, &reports(root)?, now)?;
            if let Some(e) = outcome.ledger.as_ref().and_then(|l| l.entries.last()) {
                println!("appended seq {} ({}) to ledger `{name}`", e.seq, e.kind);
            }
            outcome
        }
        LedgerCommand::Cosign {
            ledger,
            key,
            state,
            log_key,
        } => {
            let done = ancapex::ledger::cosign::cosign(&ancapex::ledger::cosign::Cosign {
                ledger: &ledger,
                key_file: &key,
                state: &state,
                log_key: log_key.as_deref(),
                now: u64::try_from(now.as_second()).unwrap_or(0),
            })?;
            let since = done.previous.map_or_else(
                || "first checkpoint co-signed for this log".to_owned(),
                |p| format!("it extends checkpoint {p}, the last co-signed"),
            );
            println!(
                "co-signed checkpoint {} of `{}` as `{}` ({since}); wrote {}",
                done.size,
                done.origin,
                done.witness,
                done.file.display()
            );
            return Ok(Outcome::Done);
        }
        LedgerCommand::Monitor {
            url,
            state,
            log_key,
            policy,
        } => {
            let seen = ancapex::ledger::monitor::monitor(&ancapex::ledger::monitor::Monitor {
                url: &url,
                state: &state,
                log_key: log_key.as_deref(),
                policy: policy.as_deref(),
            })?;
            let since = match seen.previous {
                None => "first seen".to_owned(),
                Some(p) if p == seen.size => "the one seen before".to_owned(),
                Some(p) => format!("it extends checkpoint {p}, seen before"),
            };
            let witnessed = seen.witnessed.map_or_else(
                || "; cosignatures not checked (no `--policy`)".to_owned(),
                |(names, quorum)| {
                    if quorum == 0 {
                        "; the policy asks for no witnesses".to_owned()
                    } else {
                        format!("; witnessed by {} (quorum {quorum})", names.join(", "))
                    }
                },
            );
            println!(
                "ok: checkpoint {} of `{}` ({since}): its signature, every entry and {} verified{witnessed}",
                seen.size,
                seen.origin,
                count(seen.tiles, "tile", "tiles"),
            );
            return Ok(Outcome::Done);
        }
        LedgerCommand::Sign { name, key } => {
            let (outcome, signed) = command::sign(root, &name, &key, &reports(root)?)?;
            match signed {
                Some(command::Signed::Wrote(path, size)) => {
                    let rel = path.strip_prefix(root).unwrap_or(&path);
                    println!(
                        "signed {} ({})",
                        rel.display(),
                        count(size, "entry", "entries")
                    );
                }
                Some(command::Signed::Already(size)) => {
                    println!("checkpoint {size} already covers every entry of `{name}`");
                }
                None => {}
            }
            outcome
        }
        LedgerCommand::Proof { name, seq } => {
            let outcome = command::verify(root, &name, &reports(root)?)?;
            if let Some(l) = outcome
                .ledger
                .as_ref()
                .filter(|_| !outcome.diagnostics.has_errors())
            {
                let (proof, against) = l.proof(seq).ok_or_else(|| {
                    ancapex::Error::Missing(Missing::Proof {
                        name: name.clone(),
                        seq,
                        entries: l.entries.len(),
                        signed: l.latest().map_or(0, |c| c.checkpoint.size),
                    })
                })?;
                print!("{proof}");
                // Which checkpoint, on stderr: stdout is the proof file.
                let size = against.checkpoint.size;
                if l.witnessed(against) {
                    let names: Vec<&str> = against
                        .cosignatures
                        .iter()
                        .map(|c| c.witness.as_str())
                        .collect();
                    eprintln!(
                        "against checkpoint {size}, witnessed by {} (quorum {})",
                        names.join(", "),
                        l.policy.quorum
                    );
                } else if l.policy.quorum > 0 {
                    eprintln!(
                        "against checkpoint {size}, not yet witnessed ({} of a quorum of {}): no witnessed checkpoint holds entry {seq} yet",
                        against.cosignatures.len(),
                        l.policy.quorum
                    );
                }
            }
            outcome
        }
        LedgerCommand::Verify { name } => {
            let outcome = command::verify(root, &name, &reports(root)?)?;
            if let Some(l) = outcome
                .ledger
                .as_ref()
                .filter(|_| !outcome.diagnostics.has_errors())
            {
                print!("{}", command::summary(l));
            }
            outcome
        }
    };
    report::diagnostics(&outcome.diagnostics, Format::Human, look);
    Ok(Outcome::problems_if(outcome.diagnostics.has_errors()))
}

/// The site's failure reports: every id a ledger line may name, and those a build would publish,
/// which settle a ledger's pending failures.
fn reports(root: &Path) -> ancapex::Result<ancapex::ledger::Reports> {
    ancapex::records::ledger_reports(root)
}
