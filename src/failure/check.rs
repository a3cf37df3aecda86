//! One report, checked on its own: front matter parsed and pointed into the file, the id named
//! by the file, enums named, dates in order, what each type and status demands, evidence
//! hashed, required sections present; then its references resolved.

use toml::Spanned;

use super::FailureFile;
use super::schema::{EvidenceEntry, Header, Place};
use super::{
    Evidence, FailureReport, LedgerLookup, Named as _, ReportStatus, ReportType, SCHEMA, Severity,
    choice,
};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::front_matter::{self, Format};
use crate::fs::PathProblem;

/// What checking one file gives: the report if it can be published, the artifacts a
/// `retraction` report retracts (even when the report has other problems, so they are not
/// reported twice), and the problems.
pub(crate) struct Checked {
    pub(crate) report: Option<FailureReport>,
    pub(crate) retracts: Vec<String>,
    pub(crate) diagnostics: Diagnostics,
}

pub(crate) fn report(
    file: &FailureFile,
    artifacts: &[super::Registered],
    ledgers: &dyn LedgerLookup,
    digests: &crate::cache::Digests<'_>,
) -> Checked {
    let source = &file.source;
    let mut ds = Diagnostics::new();
    let failed = |ds: Diagnostics| Checked {
        report: None,
        retracts: vec![],
        diagnostics: ds,
    };
    let split = match front_matter::split(&source.text) {
        Ok(s) if s.format == Format::Toml => s,
        Ok(_) => {
            ds.push(
                Diagnostic::error("a failure report needs TOML front matter between `+++` lines")
                    .in_file(source.path.clone())
                    .help(format!(
                        "start the file with `+++`, then `schema = \"{SCHEMA}\"`"
                    )),
            );
            return failed(ds);
        }
        Err((msg, span)) => {
            ds.push(
                Diagnostic::error(msg)
                    .at(source, span)
                    .help("close it with the same fence on a line of its own"),
            );
            return failed(ds);
        }
    };
    let place = Place {
        source,
        base: split.front.start,
    };
    let header: Header = match toml::from_str(&source.text[split.front.clone()]) {
        Ok(h) => h,
        Err(e) => {
            let d = Diagnostic::error(crate::config::toml_message(&e));
            ds.push(
                match crate::config::toml_error_span(&e, &source.text[split.front.clone()]) {
                    Some(span) => place.at(d, span),
                    None => d.at(source, split.front.clone()),
                },
            );
            return failed(ds);
        }
    };

    let mut header_ok = true;
    if header.schema.get_ref() != SCHEMA {
        header_ok = false;
        ds.push(
            place
                .at(
                    Diagnostic::error(format!("unknown schema `{}`", header.schema.get_ref())),
                    header.schema.span(),
                )
                .help(format!("use `{SCHEMA}`")),
        );
    }
    if header.id.get_ref() != &file.stem {
        header_ok = false;
        ds.push(
            place
                .at(
                    Diagnostic::error(format!(
                        "failure report id `{}` does not match its file name `{}.md`",
                        header.id.get_ref(),
                        file.stem
                    )),
                    header.id.span(),
                )
                .help("the id is the file name under `artifacts/failures/`, without `.md`"),
        );
    }
    let report_type = choice::<ReportType>(&place, &header.report_type);
    let status = choice::<ReportStatus>(&place, &header.status);
    let severity = choice::<Severity>(&place, &header.severity);
    let retracts = if matches!(report_type, Ok(ReportType::Retraction)) {
        header
            .artifacts_affected
            .iter()
            .map(|a| a.get_ref().split('@').next().unwrap_or_default().to_owned())
            .collect()
    } else {
        vec![]
    };

    // Everything else is checked whatever is wrong above: one run shows every mistake.
    if let (Ok(t), Ok(s)) = (&report_type, &status) {
        rules(&header, *t, *s, &place, &mut ds);
        if s.is_public() {
            ds.extend(super::placeholders::check(
                source,
                split.front.clone(),
                split.body.clone(),
            ));
        }
    }
    dates(&header, &place, &mut ds);
    let evidence = evidence(&header.evidence, &file.folder, &place, digests, &mut ds);
    ds.extend(super::sections::check(source, split.body.clone()));
    ds.extend(super::refs::check(&header, artifacts, ledgers, &place));

    let (report_type, status, severity) = match (report_type, status, severity) {
        (Ok(t), Ok(s), Ok(v)) if header_ok => (t, s, v),
        (t, s, v) => {
            ds.extend([t.err(), s.err(), v.err()].into_iter().flatten());
            return Checked {
                report: None,
                retracts,
                diagnostics: ds,
            };
        }
    };
    let strings =
        |v: &[Spanned<String>]| -> Vec<String> { v.iter().map(|s| s.get_ref().clone()).collect() };
    let report = FailureReport {
        id: file.stem.clone(),
        title: header.title.clone(),
        report_type,
        status,
        severity,
        categories: header.categories.clone(),
        detected: header.detected.get_ref().clone(),
        resolved: header.resolved.as_ref().map(|d| d.get_ref().clone()),
        published: header.published.as_ref().map(|d| d.get_ref().clone()),
        authors: header.authors.clone(),
        reviewers: header.reviewers.clone(),
        runs: strings(&header.runs),
        ledger_refs: strings(&header.ledger_refs),
        artifacts_affected: strings(&header.artifacts_affected),
        claims_affected: strings(&header.claims_affected),
        hypothesis: header.hypothesis.clone(),
        outcome: header.outcome.clone(),
        cost: header.cost,
        evidence,
        actions: header.actions.clone(),
        doc: super::document(file, split.body, &header.title),
    };
    Checked {
        report: Some(report),
        retracts,
        diagnostics: ds,
    }
}

/// What a report's type and status demand of it.
fn rules(
    header: &Header,
    report_type: ReportType,
    status: ReportStatus,
    place: &Place<'_>,
    ds: &mut Diagnostics,
) {
    let t = report_type.as_str();
    let no_hypothesis = header
        .hypothesis
        .as_deref()
        .is_none_or(|h| h.trim().is_empty());
    if matches!(
        report_type,
        ReportType::NegativeResult | ReportType::NullResult
    ) && no_hypothesis
    {
        ds.push(
            place
                .at(
                    Diagnostic::error(format!("a `{t}` report needs a `hypothesis`")),
                    header.report_type.span(),
                )
                .help(
                    "write what was expected, as registered before the run: `hypothesis = \"...\"`",
                ),
        );
    }
    if report_type == ReportType::Retraction && header.artifacts_affected.is_empty() {
        ds.push(
            place
                .at(
                    Diagnostic::error("a `retraction` report needs `artifacts_affected`"),
                    header.report_type.span(),
                )
                .help("name the artifacts it retracts: `artifacts_affected = [\"<id>\"]`"),
        );
    }
    let s = status.as_str();
    let public = status.is_public();
    if public && header.published.is_none() {
        ds.push(
            place
                .at(
                    Diagnostic::error(format!("status `{s}` needs a `published` date")),
                    header.status.span(),
                )
                .help("add `published = YYYY-MM-DD`"),
        );
    }
    if public && header.reviewers.is_empty() {
        ds.push(
            place
                .at(
                    Diagnostic::error(format!("status `{s}` needs a reviewer")),
                    header.status.span(),
                )
                .help("add `reviewers = [\"...\"]`"),
        );
    }
    if let Some(gpu) = Some(header.cost.gpu_hours_lost).filter(|g| !g.is_finite() || *g < 0.0) {
        ds.push(
            Diagnostic::error(format!("`gpu_hours_lost` is {gpu}; it cannot be negative"))
                .in_file(place.source.path.clone()),
        );
    }
}

fn dates(header: &Header, place: &Place<'_>, ds: &mut Diagnostics) {
    let detected = header.detected.get_ref();
    for (name, date) in [
        ("resolved", &header.resolved),
        ("published", &header.published),
    ] {
        if let Some(d) = date
            && d.get_ref().timestamp() < detected.timestamp()
        {
            ds.push(
                place
                    .at(
                        Diagnostic::error(format!(
                            "`{name}` ({}) is before `detected` ({detected})",
                            d.get_ref()
                        )),
                        d.span(),
                    )
                    .label(format!("before {detected}")),
            );
        }
    }
}

/// Each `[[evidence]]` file, found beside the report and hashed like an artifact's files (a
/// digest the build cache holds is taken while the file is as it was).
fn evidence(
    entries: &[EvidenceEntry],
    folder: &std::path::Path,
    place: &Place<'_>,
    digests: &crate::cache::Digests<'_>,
    ds: &mut Diagnostics,
) -> Vec<Evidence> {
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let mut out = vec![];
    for e in entries {
        let (path, sha) = (e.path.get_ref(), e.sha256.get_ref());
        if !crate::fs::is_sha256(sha) {
            ds.push(
                place
                    .at(
                        Diagnostic::error(format!("`{sha}` is not a SHA-256 digest")),
                        e.sha256.span(),
                    )
                    .label("expected 64 lowercase hex digits"),
            );
        }
        let file = match crate::fs::resolve_inside(&folder, path) {
            Err(problem) => {
                let where_ = match problem {
                    PathProblem::Missing => "was not found in `artifacts/failures/`".to_owned(),
                    p => p.describe("`artifacts/failures/`"),
                };
                ds.push(
                    place
                        .at(
                            Diagnostic::error(format!("evidence `{path}` {where_}")),
                            e.path.span(),
                        )
                        .help("evidence paths are relative to `artifacts/failures/` and stay inside it"),
                );
                None
            }
            Ok(real) => match digests.sha256(&real).map(|(d, _)| crate::text::hex(&d)) {
                Err(err) => {
                    ds.push(place.at(
                        Diagnostic::error(format!("could not read `{path}`: {err}")),
                        e.path.span(),
                    ));
                    None
                }
                Ok(digest) => {
                    if crate::fs::is_sha256(sha) && *sha != digest {
                        ds.push(
                            place
                                .at(
                                    Diagnostic::error(format!(
                                        "SHA-256 of evidence `{path}` does not match the report"
                                    )),
                                    e.sha256.span(),
                                )
                                .label("recorded digest")
                                .help(format!("the file's SHA-256 is `{digest}`")),
                        );
                    }
                    Some(real)
                }
            },
        };
        out.push(Evidence {
            path: path.clone(),
            sha256: sha.clone(),
            description: e.description.clone(),
            file,
        });
    }
    out
}
