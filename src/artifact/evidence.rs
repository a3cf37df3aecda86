//! Ledger evidence weighed: a criterion's `ledger:<name>#<seq>` names an entry of a run
//! ledger, and only a signed entry can support a claim; when the ledger's policy names
//! witnesses, only an entry that a witnessed checkpoint holds can, unless the policy says
//! `unwitnessed_evidence = true`. The registry learns what each ledger says of an entry
//! through [`LedgerEvidence`], in its own terms, from the caller that knows the ledgers.

use crate::diagnostic::{Diagnostic, Diagnostics};

use super::{Artifact, Badge, Status};

/// What the run ledgers say of an entry that evidence names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// No ledger of that name verified (one whose files are there but failed has its own
    /// errors): the names of those that did.
    NoRun(Vec<String>),
    /// The ledger has this many entries, and not that one.
    NoEntry(u64),
    /// The entry is in the unsigned tail: no checkpoint signs it yet (this many are signed).
    Unsigned(u64),
    /// Signed, but the checkpoints that hold it have at most `have` of the `quorum`
    /// cosignatures the policy asks for, and the policy does not let such evidence count.
    Unwitnessed {
        /// The most cosignatures a checkpoint holding it has.
        have: usize,
        /// How many the policy asks for.
        quorum: usize,
    },
    /// It can support a claim.
    Counts,
}

/// What the build knows of the run ledgers, for evidence.
pub trait LedgerEvidence {
    /// What the ledgers say of entry `seq` of ledger `name`; `None` when a ledger of that name
    /// is there but did not verify (its own errors say why).
    fn entry(&self, name: &str, seq: u64) -> Option<Entry>;
    /// Where entry `seq` of ledger `name` is shown.
    fn url(&self, name: &str, seq: u64) -> String;
}

/// A `ledger:` evidence of a record, weighed: what the artifact page shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weighed {
    /// Where its entry is shown, on the run page.
    pub url: String,
    /// Why it does not count yet, if it does not: "not signed yet", "not witnessed yet".
    pub pending: Option<&'static str>,
}

/// Weighs every `ledger:` evidence of every record against the ledgers. An unknown ledger or
/// entry is an error at the evidence. Evidence that does not count (unsigned, or not yet
/// witnessed) on a published record is a warning there, and its claim shows as unproven,
/// never as supported. Each entry that is there is kept in the record's `ledger_evidence`,
/// for its page.
pub fn weigh(artifacts: &mut [Artifact], ledgers: &dyn LedgerEvidence) -> Diagnostics {
    let mut ds = Diagnostics::new();
    for a in artifacts.iter_mut() {
        let Some(acceptance) = &a.acceptance else {
            continue;
        };
        let mut unproven = false;
        let mut weighed = std::collections::HashMap::new();
        for e in acceptance
            .criteria
            .iter()
            .flat_map(|c| &c.get_ref().evidence)
        {
            let text = e.get_ref();
            // Malformed references are `rules`' errors.
            let Some((name, seq)) = crate::text::ledger_ref(text) else {
                continue;
            };
            let at = |d: Diagnostic| d.at(&a.source, e.span());
            // Why it does not count yet: what the page says, then the warning's label and help.
            let (pending, label, help) = match ledgers.entry(name, seq) {
                None => continue,
                Some(Entry::NoRun(runs)) => {
                    let d = at(Diagnostic::error(format!("unknown run `{name}`")))
                        .label(format!("no ledger `artifacts/ledgers/{name}/`"));
                    let names: Vec<&str> = runs.iter().map(String::as_str).collect();
                    ds.push(match crate::text::did_you_mean(name, &names) {
                        Some(best) => d.help(format!("did you mean `{best}`?")),
                        None => d,
                    });
                    continue;
                }
                Some(Entry::NoEntry(entries)) => {
                    ds.push(
                        at(Diagnostic::error(format!(
                            "dangling ledger evidence `{text}`"
                        )))
                        .label(format!(
                            "ledger `{name}` has {entries} entries, numbered from 0"
                        )),
                    );
                    continue;
                }
                Some(Entry::Counts) => (None, String::new(), String::new()),
                Some(Entry::Unsigned(signed)) => (
                    Some("not signed yet"),
                    format!("no checkpoint of `{name}` holds entry {seq} ({signed} signed)"),
                    format!("sign it: `ancapex ledger sign {name} --key <log key>`"),
                ),
                Some(Entry::Unwitnessed { have, quorum }) => (
                    Some("not witnessed yet"),
                    format!(
                        "no checkpoint that holds it has {quorum} cosignatures (at most {have})"
                    ),
                    format!(
                        "ask the witnesses of `{name}` to co-sign (`ancapex ledger cosign`), or set `unwitnessed_evidence = true` in its `[policy]`"
                    ),
                ),
            };
            let url = ledgers.url(name, seq);
            weighed.insert(text.clone(), Weighed { url, pending });
            // Before publication nothing is claimed yet.
            if let Some(why) = pending.filter(|_| a.status == Status::Published) {
                unproven = true;
                ds.push(
                    at(Diagnostic::warning(format!("evidence `{text}` is {why}")))
                        .label(format!("{label}: the claim shows as unproven"))
                        .help(help),
                );
            }
        }
        if unproven && a.badge == Badge::Supported {
            a.badge = Badge::Unproven;
        }
        a.ledger_evidence = weighed;
    }
    ds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::{ArtifactFile, registry};
    use crate::diagnostic::{Severity, SourceText};

    /// Ledger `run` with entry 1 counting, 2 unsigned, 3 unwitnessed, 4 in a ledger that did not
    /// verify (`broken`), and 5 entries.
    struct Fake;

    impl LedgerEvidence for Fake {
        fn entry(&self, name: &str, seq: u64) -> Option<Entry> {
            match (name, seq) {
                ("broken", _) => None,
                ("run", 1) => Some(Entry::Counts),
                ("run", 2) => Some(Entry::Unsigned(2)),
                ("run", 3) => Some(Entry::Unwitnessed { have: 1, quorum: 2 }),
                ("run", _) => Some(Entry::NoEntry(5)),
                _ => Some(Entry::NoRun(vec!["run".to_owned()])),
            }
        }

        fn url(&self, name: &str, seq: u64) -> String {
            format!("/ledgers/{name}/#seq-{seq}")
        }
    }

    fn record(status: &str, evidence: &str) -> Artifact {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "").unwrap();
        let text = format!(
            "schema = \"ancapex.artifact/1\"\nid = \"m\"\nversion = \"1.0.0\"\ntitle = \"M\"\nkind = \"model\"\nstatus = \"{status}\"\nsummary = \"s\"\nclaim = \"c\"\nlicense = \"CC-BY-4.0\"\n[[authors]]\nname = \"R\"\nrole = \"reviewer\"\n[[files]]\npath = \"a.txt\"\nsha256 = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"\nsize = 0\nrole = \"primary\"\n[acceptance]\ncriteria = [{{ text = \"t\", evidence = [{evidence}] }}]\n"
        );
        let (mut a, ds) = registry(&[ArtifactFile {
            dir: "m".into(),
            folder: dir.path().to_path_buf(),
            source: SourceText::new("artifacts/m/artifact.toml", text),
            card: None,
        }]);
        assert!(!ds.has_errors(), "{ds:?}");
        a.remove(0)
    }

    fn weighed(status: &str, evidence: &str) -> (Artifact, Vec<(Severity, String)>) {
        let mut a = [record(status, evidence)];
        let ds = weigh(&mut a, &Fake);
        let [a] = a;
        (
            a,
            ds.iter().map(|d| (d.severity, d.message.clone())).collect(),
        )
    }

    #[test]
    fn evidence_that_counts_keeps_a_published_claim_supported_and_links_its_entry() {
        let (a, ds) = weighed("published", "\"ledger:run#1\", \"file:a.txt\"");
        assert_eq!((a.badge, ds), (Badge::Supported, vec![]));
        assert_eq!(
            a.ledger_evidence["ledger:run#1"],
            Weighed {
                url: "/ledgers/run/#seq-1".to_owned(),
                pending: None
            }
        );
        assert_eq!(a.ledger_evidence.len(), 1);
    }

    #[test]
    fn unsigned_or_unwitnessed_evidence_leaves_a_published_claim_unproven() {
        for (seq, message, pending) in [
            (
                2,
                "evidence `ledger:run#2` is not signed yet",
                "not signed yet",
            ),
            (
                3,
                "evidence `ledger:run#3` is not witnessed yet",
                "not witnessed yet",
            ),
        ] {
            let text = format!("ledger:run#{seq}");
            let (a, ds) = weighed("published", &format!("\"{text}\""));
            assert_eq!(a.badge, Badge::Unproven);
            assert_eq!(ds, [(Severity::Warning, message.to_owned())]);
            assert_eq!(a.ledger_evidence[&text].pending, Some(pending));
        }
        // Before publication nothing is claimed yet: no warning, the badge as it was.
        let (a, ds) = weighed("review", "\"ledger:run#3\"");
        assert_eq!((a.badge, ds), (Badge::InProgress, vec![]));
        assert_eq!(
            a.ledger_evidence["ledger:run#3"].pending,
            Some("not witnessed yet")
        );
    }

    #[test]
    fn an_unknown_run_or_entry_is_an_error_and_a_broken_ledger_has_its_own() {
        let (_, ds) = weighed(
            "review",
            "\"ledger:runs#1\", \"ledger:run#9\", \"ledger:broken#1\"",
        );
        assert_eq!(
            ds,
            [
                (Severity::Error, "unknown run `runs`".to_owned()),
                (
                    Severity::Error,
                    "dangling ledger evidence `ledger:run#9`".to_owned()
                ),
            ]
        );
    }
}
