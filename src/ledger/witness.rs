//! Witnesses: who co-signs a ledger's checkpoints and how many of them must, the `[policy]` of
//! `ledger.toml` (in the manner of C2SP tlog-policy: witnesses by name and verifier key, and a
//! quorum), and what the `cosignature/v1` lines under each checkpoint say (C2SP
//! tlog-cosignature).
//!
//! A witness co-signs a checkpoint only after checking that it extends the last one it saw
//! (`ledger cosign`), so a quorum of independent cosignatures means a visitor is shown the
//! history everyone else is: the lab cannot show one ledger to one visitor and another to the
//! next, or roll it back, without the witnesses refusing.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::locate;
use super::note::{Cosigned, Note, Verifier};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};

/// `[policy]` as `ledger.toml` writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyToml {
    #[serde(default)]
    witnesses: Vec<WitnessToml>,
    quorum: Option<Spanned<toml::Value>>,
    unwitnessed_evidence: Option<bool>,
}

/// One witness as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WitnessToml {
    name: Spanned<String>,
    key: Spanned<String>,
}

/// A ledger's witness policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The witnesses, in the order `ledger.toml` lists them.
    pub witnesses: Vec<Witness>,
    /// How many distinct witnesses must co-sign a checkpoint for it to count as witnessed; 0
    /// when none must (`quorum = "none"`, or no policy).
    pub quorum: usize,
    /// Whether ledger evidence that no witnessed checkpoint covers may support a claim: off by
    /// default once the policy names witnesses.
    pub unwitnessed_evidence: bool,
}

impl Default for Policy {
    /// No witnesses and no quorum: every signed checkpoint counts, as before witnesses.
    fn default() -> Self {
        Self {
            witnesses: vec![],
            quorum: 0,
            unwitnessed_evidence: true,
        }
    }
}

/// A witness of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// Its name in the policy (who it is: a compute provider, an evaluator, a partner).
    pub name: String,
    /// Its `cosignature/v1` verifier key.
    pub key: Verifier,
}

/// A witness's valid cosignature on a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness's name in the policy.
    pub witness: String,
    /// When it co-signed, in POSIX seconds.
    pub time: u64,
}

impl Policy {
    /// Whether `cosignatures` (distinct witnesses, as [`cosignatures`] gives them) meet the
    /// quorum.
    pub fn met_by(&self, cosignatures: &[Cosignature]) -> bool {
        cosignatures.len() >= self.quorum
    }

    /// The witnesses' keys.
    fn keys(&self) -> Vec<Verifier> {
        self.witnesses.iter().map(|w| w.key.clone()).collect()
    }
}

/// The policy `ledger.toml` (`src`) sets, with its problems located; the default policy when it
/// has no `[policy]`.
pub(super) fn policy(
    written: Option<&PolicyToml>,
    src: &Arc<SourceText>,
    ds: &mut Diagnostics,
) -> Policy {
    let Some(written) = written else {
        return Policy::default();
    };
    let mut witnesses: Vec<Witness> = vec![];
    for w in &written.witnesses {
        let name = w.name.get_ref();
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            ds.push(
                Diagnostic::error(format!("`{name}` is not a witness name"))
                    .at(src, w.name.span())
                    .help("a witness's name is one word: who it is, e.g. `compute-provider-a`"),
            );
            continue;
        }
        if witnesses.iter().any(|o| o.name == *name) {
            ds.push(
                Diagnostic::error(format!("witness `{name}` is listed twice"))
                    .at(src, w.name.span()),
            );
            continue;
        }
        let key = match Verifier::parse_witness(w.key.get_ref()) {
            Ok(key) => key,
            Err(why) => {
                ds.push(
                    Diagnostic::error(format!("invalid witness key: {why}"))
                        .at(src, w.key.span())
                        .help("a witness makes its key with `ancapex ledger keygen --witness`"),
                );
                continue;
            }
        };
        if let Some(other) = witnesses
            .iter()
            .find(|o| o.key.public_key() == key.public_key())
        {
            ds.push(
                Diagnostic::error(format!(
                    "witness `{name}` has the key of witness `{}`",
                    other.name
                ))
                .at(src, w.key.span())
                .label("one key counts once towards the quorum")
                .help("each witness co-signs with a key of its own"),
            );
            continue;
        }
        witnesses.push(Witness {
            name: name.clone(),
            key,
        });
    }
    let listed = written.witnesses.len();
    let quorum = match &written.quorum {
        None if listed == 0 => 0,
        None => {
            ds.push(
                Diagnostic::error("the policy names witnesses but no `quorum`")
                    .at(src, locate(&src.text, "[policy]"))
                    .help("say how many must co-sign a checkpoint: `quorum = 2`, `\"all\"` or `\"any\"`"),
            );
            0
        }
        Some(q) => quorum(q, listed, src, ds),
    };
    Policy {
        unwitnessed_evidence: written.unwitnessed_evidence.unwrap_or(listed == 0),
        witnesses,
        quorum,
    }
}

/// The quorum as written: a number of witnesses, or `"none"`, `"any"` or `"all"` of them.
fn quorum(
    q: &Spanned<toml::Value>,
    listed: usize,
    src: &Arc<SourceText>,
    ds: &mut Diagnostics,
) -> usize {
    let at = |m: String| Diagnostic::error(m).at(src, q.span());
    let n = match q.get_ref() {
        toml::Value::String(s) if s == "none" => return 0,
        toml::Value::String(s) if s == "any" => 1,
        toml::Value::String(s) if s == "all" => listed,
        toml::Value::Integer(n) => match usize::try_from(*n) {
            Ok(0) => {
                ds.push(at("a quorum of 0 witnesses".to_owned()).help("write `quorum = \"none\"`"));
                return 0;
            }
            Ok(n) => n,
            Err(_) => {
                ds.push(at(format!("`{n}` is not a number of witnesses")));
                return 0;
            }
        },
        other => {
            ds.push(
                at(format!("`{other}` is not a quorum"))
                    .help("a number of witnesses, or `\"none\"`, `\"any\"` or `\"all\"`"),
            );
            return 0;
        }
    };
    if n == 0 || n > listed {
        ds.push(
            at(format!(
                "a quorum of {} but the policy names {}",
                crate::text::count(n.max(1), "witness", "witnesses"),
                crate::text::count(listed, "witness", "witnesses"),
            ))
            .help("no checkpoint could ever be witnessed: name more witnesses or lower the quorum"),
        );
        return listed.max(1);
    }
    n
}

/// The valid cosignatures of the policy's witnesses under a checkpoint note, with a located
/// error for each line of a witness that does not verify (a tampered or misattributed
/// cosignature) and for a witness's second line (one line per witness: a witness that
/// co-signs again replaces its line).
pub(super) fn cosignatures(
    note: &Note<'_>,
    policy: &Policy,
    src: &Arc<SourceText>,
    ds: &mut Diagnostics,
) -> Vec<Cosignature> {
    let keys = policy.keys();
    let mut valid: BTreeMap<&str, u64> = BTreeMap::new();
    let mut seen: Vec<&str> = vec![];
    for (key, said) in note.cosigned_by(&keys) {
        let witness = policy
            .witnesses
            .iter()
            .find(|w| w.key == *key)
            .expect("the keys are the witnesses'");
        let line = format!("\u{2014} {} ", key.name);
        let nth = seen.iter().filter(|n| **n == witness.name).count();
        if nth > 0 {
            ds.push(
                Diagnostic::error(format!(
                    "witness `{}` co-signs this checkpoint more than once",
                    witness.name
                ))
                .at(src, line_at(&src.text, &line, nth))
                .help("keep one line per witness: `ancapex ledger cosign` replaces its own"),
            );
            continue;
        }
        seen.push(witness.name.as_str());
        match said {
            Cosigned::At(time) => {
                valid.insert(witness.name.as_str(), time);
            }
            Cosigned::Invalid => {
                ds.push(
                    Diagnostic::error(format!(
                        "the cosignature of witness `{}` does not verify",
                        witness.name
                    ))
                    .at(src, line_at(&src.text, &line, 0))
                    .label("changed, or not made by this witness's key")
                    .help("ask the witness to co-sign again with `ancapex ledger cosign`, or remove the line"),
                );
            }
        }
    }
    // In the policy's order, so pages list witnesses the same way every build.
    policy
        .witnesses
        .iter()
        .filter_map(|w| {
            valid.get(w.name.as_str()).map(|&time| Cosignature {
                witness: w.name.clone(),
                time,
            })
        })
        .collect()
}

/// The span of the `nth` (from 0) line starting with `prefix`, or the start.
fn line_at(text: &str, prefix: &str, nth: usize) -> std::ops::Range<usize> {
    text.match_indices(prefix)
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || text.as_bytes()[i - 1] == b'\n')
        .nth(nth)
        .map_or(0..0, |i| {
            let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
            i..end
        })
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::super::note::{KeyType, Signer};
    use super::*;

    fn src(text: &str) -> Arc<SourceText> {
        SourceText::new("artifacts/ledgers/run/ledger.toml", text)
    }

    fn witness(name: &str, seed: u8) -> Signer {
        Signer::from_seed(name, KeyType::Cosignature, [seed; 32])
    }

    fn parse(text: &str) -> (Policy, Vec<String>) {
        #[derive(Deserialize)]
        struct T {
            policy: Option<PolicyToml>,
        }
        let t: T = toml::from_str(text).unwrap();
        let mut ds = Diagnostics::new();
        let p = policy(t.policy.as_ref(), &src(text), &mut ds);
        (p, ds.iter().map(|d| d.message.clone()).collect())
    }

    fn toml_of(witnesses: &[(&str, &Signer)], quorum: &str) -> String {
        let mut t = String::from("[policy]\nwitnesses = [\n");
        for (name, s) in witnesses {
            let _ = writeln!(
                t,
                "  {{ name = \"{name}\", key = \"{}\" }},",
                s.verifier().line()
            );
        }
        let _ = writeln!(t, "]\nquorum = {quorum}");
        t
    }

    #[test]
    fn a_policy_names_witnesses_and_a_quorum() {
        let (a, b, c) = (
            witness("w.example/a", 1),
            witness("w.example/b", 2),
            witness("w.example/c", 3),
        );
        let all = [("a", &a), ("b", &b), ("c", &c)];
        let (p, ds) = parse(&toml_of(&all, "2"));
        assert!(ds.is_empty(), "{ds:?}");
        assert_eq!(
            (p.witnesses.len(), p.quorum, p.unwitnessed_evidence),
            (3, 2, false)
        );
        assert_eq!(parse(&toml_of(&all, "\"all\"")).0.quorum, 3);
        assert_eq!(parse(&toml_of(&all, "\"any\"")).0.quorum, 1);
        assert_eq!(parse(&toml_of(&all, "\"none\"")).0.quorum, 0);
        // No policy, or one with no witnesses: nothing to wait for.
        assert_eq!(parse("").0, Policy::default());
        let (p, ds) = parse("[policy]\nwitnesses = []\nquorum = \"none\"\n");
        assert!(ds.is_empty(), "{ds:?}");
        assert_eq!((p.quorum, p.unwitnessed_evidence), (0, true));
    }

    #[test]
    fn a_policy_that_could_never_be_met_or_counts_a_key_twice_is_an_error() {
        let (a, b) = (witness("w.example/a", 1), witness("w.example/b", 2));
        let two = [("a", &a), ("b", &b)];
        assert_eq!(
            parse(&toml_of(&two, "3")).1,
            ["a quorum of 3 witnesses but the policy names 2 witnesses"]
        );
        assert_eq!(parse(&toml_of(&two, "0")).1, ["a quorum of 0 witnesses"]);
        assert_eq!(
            parse(&toml_of(&two, "\"most\"")).1,
            ["`\"most\"` is not a quorum"]
        );
        let twice = [("a", &a), ("b", &a)];
        assert_eq!(
            parse(&toml_of(&twice, "1")).1,
            ["witness `b` has the key of witness `a`"]
        );
        let log_key = Signer::from_seed("w.example/log", KeyType::Ed25519, [4; 32]);
        let (_, ds) = parse(&toml_of(&[("log", &log_key)], "1"));
        assert!(
            ds[0].starts_with("invalid witness key: this is a log's key"),
            "{ds:?}"
        );
        let text = toml_of(&two, "1").replace("quorum = 1\n", "");
        assert_eq!(
            parse(&text).1,
            ["the policy names witnesses but no `quorum`"]
        );
    }

    #[test]
    fn cosignatures_count_each_witness_once_and_a_tampered_one_is_an_error() {
        let log = Signer::from_seed("example.com/log", KeyType::Ed25519, [9; 32]);
        let (a, b, c) = (
            witness("w.example/a", 1),
            witness("w.example/b", 2),
            witness("w.example/c", 3),
        );
        let (policy, _) = parse(&toml_of(&[("a", &a), ("b", &b), ("c", &c)], "2"));
        let text = "example.com/log\n4\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let signed = log.sign(text);
        // A stranger outside the policy is ignored; a and b count, listed in the policy's order.
        let stranger = witness("w.example/stranger", 7);
        let note_text = format!(
            "{signed}{}{}{}",
            b.cosign(text, 200),
            stranger.cosign(text, 50),
            a.cosign(text, 150)
        );
        let source = SourceText::new("artifacts/ledgers/run/checkpoints/4", note_text.as_str());
        let note = super::super::note::parse(&note_text).unwrap();
        let mut ds = Diagnostics::new();
        let cos = cosignatures(&note, &policy, &source, &mut ds);
        assert!(ds.is_empty());
        let named: Vec<(&str, u64)> = cos.iter().map(|c| (c.witness.as_str(), c.time)).collect();
        assert_eq!(named, [("a", 150), ("b", 200)]);
        assert!(policy.met_by(&cos));
        assert!(!policy.met_by(&cos[..1]));
        // A witness's second line is an error; its first counts.
        let twice = format!("{signed}{}{}", b.cosign(text, 100), b.cosign(text, 200));
        let note = super::super::note::parse(&twice).unwrap();
        let mut ds = Diagnostics::new();
        let cos = cosignatures(
            &note,
            &policy,
            &SourceText::new("x", twice.as_str()),
            &mut ds,
        );
        assert_eq!((cos.len(), cos[0].time), (1, 100));
        let diag = ds.iter().next().unwrap();
        assert_eq!(
            diag.message,
            "witness `b` co-signs this checkpoint more than once"
        );
        // At the second line: the log's signature is line 5.
        assert_eq!(diag.line_col(), Some((7, 1)));
        // One byte of a's signature changed: an error at its line, and it does not count.
        let line = a.cosign(text, 150);
        let sig = line.rsplit(' ').next().unwrap().trim_end();
        let mut bytes =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sig).unwrap();
        bytes[20] ^= 1;
        let forged = line.replace(
            sig,
            &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes),
        );
        let note_text = format!("{signed}{}{forged}", b.cosign(text, 200));
        let source = SourceText::new("artifacts/ledgers/run/checkpoints/4", note_text.as_str());
        let note = super::super::note::parse(&note_text).unwrap();
        let mut ds = Diagnostics::new();
        let cos = cosignatures(&note, &policy, &source, &mut ds);
        assert_eq!(cos.len(), 1);
        let diag = ds.iter().next().unwrap();
        assert_eq!(
            diag.message,
            "the cosignature of witness `a` does not verify"
        );
        assert_eq!(diag.line_col(), Some((7, 1)));
        // The same cosignature over another tree head does not verify either.
        let other = text.replace("\n4\n", "\n5\n");
        let moved = format!("{}{}", log.sign(&other), a.cosign(text, 150));
        let note = super::super::note::parse(&moved).unwrap();
        let mut ds = Diagnostics::new();
        assert!(
            cosignatures(
                &note,
                &policy,
                &SourceText::new("x", moved.as_str()),
                &mut ds
            )
            .is_empty()
        );
        assert_eq!(ds.iter().count(), 1);
    }
}
