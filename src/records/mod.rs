//! The records under `artifacts/`: artifact records, run ledgers and failure reports. They are
//! checked against each other (a report cites artifacts and ledger entries, a ledger's failure
//! is settled by a report), so they are checked here together, and registered here as content
//! kinds. Outside each kind's own module, this is the one place of the library that names them
//! (the binary's commands and the fuzz targets do too): the model holds [`Records`], and the
//! stages ask it for what they need (the documents whose bodies are rendered, the kinds, the
//! values templates see, what `get_artifact` and `get_ledger` look up).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use crate::artifact::{self, Artifact};
use crate::config::{Config, Drafts};
use crate::diagnostic::{Diagnostics, SourceText};
use crate::document::Document;
use crate::error::Result;
use crate::failure::{self, FailureReport};
use crate::kind::Kind;
use crate::ledger::{self, Ledger};
use crate::load::Tree;

/// The site's records, checked.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// The artifact registry.
    pub artifacts: Vec<Artifact>,
    /// The run ledgers that verified (shared with the theme's `get_ledger`, which outlives a
    /// borrow of the site).
    pub ledgers: Arc<[Ledger]>,
    /// The failure reports published by this build, by id.
    pub failures: Vec<FailureReport>,
}

impl Records {
    /// Whether there are any: only then has the site a failure report index, and links to it.
    pub fn any(&self) -> bool {
        !self.artifacts.is_empty() || !self.ledgers.is_empty() || !self.failures.is_empty()
    }

    /// The records' documents, whose markdown bodies are rendered like pages' (the failure
    /// reports', and the artifacts' cards).
    pub fn bodies(&self) -> impl Iterator<Item = &Document> {
        self.failures
            .iter()
            .map(|f| &f.doc)
            .chain(self.artifacts.iter().filter_map(|a| a.card.as_ref()))
    }

    /// [`Records::bodies`], to fill in.
    pub fn bodies_mut(&mut self) -> impl Iterator<Item = &mut Document> {
        self.failures
            .iter_mut()
            .map(|f| &mut f.doc)
            .chain(self.artifacts.iter_mut().filter_map(|a| a.card.as_mut()))
    }

    /// The template value of every artifact record, by id, in registry order (what
    /// `get_artifact` and the `artifacts` global show).
    pub(crate) fn artifact_views(&self) -> Vec<(String, tera::Value)> {
        let views = artifact::site::views(&self.artifacts);
        self.artifacts
            .iter()
            .map(|a| a.id.clone())
            .zip(views)
            .collect()
    }

    /// The run ledgers' names, and a ledger's view by name with the entries a `get_ledger`
    /// call's arguments select.
    pub(crate) fn ledger_lookup(&self) -> (Vec<String>, Box<ledger::View>) {
        ledger::lookup(&self.ledgers)
    }

    /// What each badge means and the rule that gives it, as the `badges` global:
    /// `{name, rule}` in the order a visitor meets them.
    pub(crate) fn badges() -> Vec<tera::Value> {
        artifact::Badge::ALL
            .iter()
            .map(|b| {
                let mut m = crate::kind::Map::new();
                m.insert("name", tera::Value::from(b.as_str()));
                m.insert("rule", tera::Value::from(b.rule()));
                tera::Value::from(m)
            })
            .collect()
    }

    /// The registry's filters (by status, kind, license...), as the `artifact_filters` global.
    pub(crate) fn artifact_filters(&self) -> Vec<tera::Value> {
        artifact::site::filters(&self.artifacts)
            .iter()
            .map(artifact::site::Filter::value)
            .collect()
    }
}

/// The files of every record under `artifacts/`, read and not parsed.
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// Artifact records, sorted by folder.
    pub artifacts: Vec<artifact::ArtifactFile>,
    /// Run ledgers, sorted by folder.
    pub ledgers: Vec<ledger::LedgerFiles>,
    /// Failure reports, sorted by file name.
    pub failures: Vec<failure::FailureFile>,
}

/// Reads the records of the site `config` describes, each kind by its own reader, with the
/// problems reading them.
pub fn load(config: &Config) -> Result<(Files, Diagnostics)> {
    let tree = Tree::of(config);
    let mut diagnostics = Diagnostics::new();
    let files = Files {
        artifacts: artifact::read_files(tree, &mut diagnostics)?,
        ledgers: ledger::read_files(tree, &mut diagnostics)?,
        failures: failure::read_files(tree, &mut diagnostics)?,
    };
    Ok((files, diagnostics))
}

/// The records stage: the artifact registry, the run ledgers and the failure reports read in
/// `files`, each checked, then against each other.
pub(crate) fn check(
    files: &Files,
    drafts: Drafts,
    digests: &crate::cache::Digests<'_>,
    diagnostics: &mut Diagnostics,
) -> Records {
    let (mut artifacts, ds) = artifact::registry_hashing(&files.artifacts, digests);
    diagnostics.extend(ds);
    let artifact_ids = artifacts.iter().map(|a| a.id.clone()).collect();
    let report_ids = files.failures.iter().map(|f| f.stem.clone()).collect();
    let known = ledger::Known {
        failure_reports: &report_ids,
        artifacts: &artifact_ids,
    };
    let (mut ledgers, ds) = ledger::check(&files.ledgers, &known);
    diagnostics.extend(ds);
    let (failures, ds) = failure::reports(
        &files.failures,
        &registered(&artifacts),
        &ledgers,
        drafts,
        digests,
    );
    diagnostics.extend(ds);
    let published: Vec<_> = failures.iter().map(citing).collect();
    diagnostics.extend(ledger::settle(&mut ledgers, &published));
    let evidence = Evidence {
        ledgers: &ledgers,
        folders: &files.ledgers,
    };
    diagnostics.extend(artifact::evidence::weigh(&mut artifacts, &evidence));
    Records {
        artifacts,
        ledgers: ledgers.into(),
        failures,
    }
}

/// The artifact registry as a failure report sees it.
fn registered(artifacts: &[Artifact]) -> Vec<failure::Registered> {
    artifacts
        .iter()
        .map(|a| failure::Registered {
            id: a.id.clone(),
            version: a.version.clone(),
            claims: a.claim.is_some(),
            retracted: (a.status == artifact::Status::Retracted)
                .then(|| (Arc::clone(&a.source), a.status_span.clone())),
        })
        .collect()
}

/// A published report as the ledgers see it: it settles the failures it cites.
fn citing(r: &FailureReport) -> ledger::Citing {
    ledger::Citing {
        id: r.id.clone(),
        url: FailureReport::url(&r.id),
        ledger_refs: r.ledger_refs.clone(),
    }
}

/// The run ledgers as an artifact's evidence sees them: which entries can support a claim.
struct Evidence<'a> {
    /// The ledgers that verified.
    ledgers: &'a [Ledger],
    /// Every ledger folder, verified or not.
    folders: &'a [ledger::LedgerFiles],
}

impl artifact::evidence::LedgerEvidence for Evidence<'_> {
    fn entry(&self, name: &str, seq: u64) -> Option<artifact::evidence::Entry> {
        use artifact::evidence::Entry;
        let Some(l) = self.ledgers.iter().find(|l| l.name == name) else {
            // A ledger that is there but did not verify has its own errors.
            return (!self.folders.iter().any(|f| f.name == name))
                .then(|| Entry::NoRun(self.ledgers.iter().map(|l| l.name.clone()).collect()));
        };
        if l.entry(seq).is_none() {
            return Some(Entry::NoEntry(l.entries.len() as u64));
        }
        let holding: Vec<_> = l.holding(seq).collect();
        if holding.is_empty() {
            return Some(Entry::Unsigned(l.latest().map_or(0, |c| c.checkpoint.size)));
        }
        if l.policy.quorum == 0
            || l.policy.unwitnessed_evidence
            || holding.iter().any(|c| l.witnessed(c))
        {
            return Some(Entry::Counts);
        }
        Some(Entry::Unwitnessed {
            have: holding
                .iter()
                .map(|c| c.cosignatures.len())
                .max()
                .unwrap_or(0),
            quorum: l.policy.quorum,
        })
    }

    fn url(&self, name: &str, seq: u64) -> String {
        ledger::site::entry_url(name, seq)
    }
}

/// The run ledgers that verified, as a failure report sees them: it refers to them by name
/// and entry.
impl failure::LedgerLookup for Vec<Ledger> {
    fn has_run(&self, name: &str) -> bool {
        self.iter().any(|l| l.name == name)
    }

    fn entry_type(&self, name: &str, seq: u64) -> Option<String> {
        let ledger = self.iter().find(|l| l.name == name)?;
        ledger.entry(seq).map(|e| e.kind.clone())
    }
}

/// The failure reports of the site at `root` as the `ledger` commands see them: every
/// report's id, and those a build would publish, which settle a ledger's pending failures as
/// in a build. The reports' own problems are left to `check`.
pub fn ledger_reports(root: &Path) -> Result<ledger::Reports> {
    let real = crate::load::real_root(root)?;
    let tree = Tree::new(root, &real);
    let files = failure::read_files(tree, &mut Diagnostics::new())?;
    let (published, _) = failure::reports(
        &files,
        &[],
        &failure::NoLedgers,
        Drafts::Exclude,
        &crate::cache::Digests::none(),
    );
    Ok(ledger::Reports {
        ids: failure::report_ids(tree)?,
        published: published.iter().map(citing).collect(),
    })
}

/// The artifact references (`artifact:id@version`) in `cited` content files, checked against
/// the registry.
pub(crate) fn cited<'a>(
    cited: impl IntoIterator<Item = &'a Arc<SourceText>>,
    records: &Records,
    files: &Files,
) -> Diagnostics {
    let record_dirs: HashSet<String> = files.artifacts.iter().map(|a| a.dir.clone()).collect();
    artifact::in_content(cited, &records.artifacts, &record_dirs)
}

/// Published records and ledgers compared with git revision `rev`: a published record is
/// frozen, and a ledger only grows.
pub(crate) fn frozen_since(root: &Path, rev: &str, files: &Files) -> Result<Diagnostics> {
    let mut ds = artifact::frozen_since(root, rev, &files.artifacts)?;
    ds.extend(ledger::frozen_since(root, rev, &files.ledgers)?);
    Ok(ds)
}

/// The record kinds, in the order their outputs claim paths. A kind is registered by one line
/// here; the plan, the link targets, the render and the search index are derived from this
/// list. What one kind shows of another is handed to it here, so kinds do not name each other.
pub(crate) fn kinds(records: &Records) -> Vec<Box<dyn Kind + '_>> {
    vec![
        Box::new(artifact::site::Artifacts::new(
            &records.artifacts,
            Box::new(|| artifact::site::FromLedgers {
                status: ledger::site::status_histories(&records.ledgers),
                evals: ledger::site::evals_by_artifact(&records.ledgers),
            }),
        )),
        Box::new(ledger::site::Ledgers(&records.ledgers)),
        Box::new(failure::site::Reports::new(
            &records.failures,
            records.any(),
            failure::site::Links {
                artifact: artifact::page_url,
                entry: ledger::site::entry_url,
            },
        )),
    ]
}
