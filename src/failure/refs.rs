//! What a report points at, resolved: `runs` name run ledgers, `ledger_refs` name entries of
//! them (`ledger:<name>#<seq>`), both through `LedgerLookup`; `artifacts_affected` names records
//! of the registry (`<id>` or `<id>@<version>`), and `claims_affected` records that make a claim.

use toml::Spanned;

use super::schema::{Header, Place};
use super::{LedgerLookup, Registered};
use crate::diagnostic::{Diagnostic, Diagnostics};

/// Resolves every reference of a report.
pub(crate) fn check(
    header: &Header,
    artifacts: &[Registered],
    ledgers: &dyn LedgerLookup,
    place: &Place<'_>,
) -> Diagnostics {
    let mut ds = Diagnostics::new();
    for run in &header.runs {
        if !ledgers.has_run(run.get_ref()) {
            ds.push(unknown_run(run.get_ref(), run, place));
        }
    }
    for r in &header.ledger_refs {
        let text = r.get_ref();
        let Some((name, seq)) = crate::text::ledger_ref(text) else {
            ds.push(
                place
                    .at(
                        Diagnostic::error(format!("malformed ledger reference `{text}`")),
                        r.span(),
                    )
                    .label("expected `ledger:<name>#<seq>`"),
            );
            continue;
        };
        if !ledgers.has_run(name) {
            ds.push(unknown_run(name, r, place));
        } else if ledgers.entry_type(name, seq).is_none() {
            ds.push(
                place
                    .at(
                        Diagnostic::error(format!("dangling ledger reference `{text}`")),
                        r.span(),
                    )
                    .label(format!("ledger `{name}` has no entry {seq}")),
            );
        }
    }
    for a in &header.artifacts_affected {
        if let Err(d) = artifact(a, artifacts, place) {
            ds.push(d);
        }
    }
    for c in &header.claims_affected {
        match artifact(c, artifacts, place) {
            Err(d) => ds.push(d),
            Ok(found) if !found.claims => ds.push(
                place
                    .at(
                        Diagnostic::error(format!("artifact `{}` makes no claim", found.id)),
                        c.span(),
                    )
                    .help("list it in `artifacts_affected` instead"),
            ),
            Ok(_) => {}
        }
    }
    ds
}

fn unknown_run(name: &str, at: &Spanned<String>, place: &Place<'_>) -> Diagnostic {
    place
        .at(
            Diagnostic::error(format!("unknown run `{name}`")),
            at.span(),
        )
        .label(format!("no ledger `artifacts/ledgers/{name}/`"))
}

/// The record `<id>` or `<id>@<version>` names.
fn artifact<'a>(
    written: &Spanned<String>,
    artifacts: &'a [Registered],
    place: &Place<'_>,
) -> Result<&'a Registered, Diagnostic> {
    let text = written.get_ref();
    let (id, version) = match text.split_once('@') {
        Some((id, v)) => (id, Some(v)),
        None => (text.as_str(), None),
    };
    let at = |d: Diagnostic| place.at(d, written.span());
    let Some(found) = artifacts.iter().find(|a| a.id == id) else {
        let ids: Vec<&str> = artifacts.iter().map(|a| a.id.as_str()).collect();
        let d = at(Diagnostic::error(format!("unknown artifact `{id}`")))
            .label("no such record in `artifacts/`");
        return Err(match crate::text::did_you_mean(id, &ids) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d.help("write an artifact id, optionally with `@<version>`"),
        });
    };
    match version {
        Some(v) if v != found.version => {
            Err(at(Diagnostic::error(format!("unknown version `{text}`")))
                .label(format!("`{id}` is at version `{}`", found.version))
                .help(format!("write `{id}@{}` or `{id}`", found.version)))
        }
        _ => Ok(found),
    }
}
