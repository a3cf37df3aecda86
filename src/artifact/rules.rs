//! Claim gating: what each status demands of a record, and the badge a visitor sees, computed
//! from the record and never typed by hand. "No artifacts, no claim": a published claim whose
//! criteria do not all name their evidence shows as unproven, never as supported.

use std::sync::Arc;

use serde::Serialize;

use super::Status;
use super::record::{AuthorRole, LinkRel, Record};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};

/// What the site says about an artifact and its claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Badge {
    /// Planned: a claim is only an aim.
    Aim,
    /// Drafting, forming or in review.
    InProgress,
    /// Published, every criterion with its evidence.
    Supported,
    /// Published, but some criterion names no evidence (or, as `evidence` weighs it, leans on
    /// a ledger entry not yet signed or witnessed).
    Unproven,
    /// Replaced by a newer record.
    Superseded,
    /// Withdrawn.
    Retracted,
    /// Stopped before publication.
    Abandoned,
}

impl Badge {
    /// Every badge.
    pub const ALL: [Badge; 7] = [
        Badge::Aim,
        Badge::InProgress,
        Badge::Supported,
        Badge::Unproven,
        Badge::Superseded,
        Badge::Retracted,
        Badge::Abandoned,
    ];

    /// When the build gives it: the status and what the record shows, as the rules below
    /// compute it (`check`, `published_badge`, and `evidence::weigh` for ledger evidence).
    pub fn rule(self) -> &'static str {
        match self {
            Badge::Aim => "status planned: a claim is only an aim, nothing has been shown",
            Badge::InProgress => {
                "status drafting, forming or review: work is under way, no claim is made yet"
            }
            Badge::Supported => {
                "status published, and every acceptance criterion names evidence that is published here (a ledger entry counts once signed, and witnessed when the run's policy names witnesses)"
            }
            Badge::Unproven => {
                "status published, but a criterion names no evidence, a claim has no criteria, or a ledger entry it leans on is not signed or witnessed yet"
            }
            Badge::Superseded => "status superseded: a newer record replaces it",
            Badge::Retracted => "status retracted: withdrawn, and its retraction report says why",
            Badge::Abandoned => "status abandoned: stopped before publication, with a reason",
        }
    }

    /// The name as shown and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Badge::Aim => "aim",
            Badge::InProgress => "in-progress",
            Badge::Supported => "supported",
            Badge::Unproven => "unproven",
            Badge::Superseded => "superseded",
            Badge::Retracted => "retracted",
            Badge::Abandoned => "abandoned",
        }
    }
}

/// Checks what `status` demands of `record`; returns the badge and the problems.
pub(crate) fn check(
    record: &Record,
    status: Status,
    source: &Arc<SourceText>,
) -> (Badge, Diagnostics) {
    let mut ds = Diagnostics::new();
    evidence_names(record, source, &mut ds);
    if let Some(license) = record
        .license
        .as_ref()
        .filter(|l| !is_spdx_expression(l.get_ref()))
    {
        ds.push(
            Diagnostic::error(format!(
                "license `{}` is not an SPDX expression",
                license.get_ref()
            ))
            .at(source, license.span())
            .help("use SPDX identifiers, e.g. `CC-BY-4.0` or `MIT OR Apache-2.0`"),
        );
    }
    let at_status = |d: Diagnostic| d.at(source, record.status.span());
    let name = status.as_str();
    match status {
        Status::Review | Status::Published => {
            reviewable(record, name, source, &mut ds);
        }
        Status::Superseded if record.superseded_by.is_none() => ds.push(
            at_status(Diagnostic::error(
                "status `superseded` needs `superseded_by`",
            ))
            .help("name the newer record: `superseded_by = \"artifact:<id>@<version>\"`"),
        ),
        Status::Retracted if !record.links.iter().any(|l| l.rel == LinkRel::FailureReport) => {
            ds.push(
                at_status(Diagnostic::error(
                    "status `retracted` needs a `failure-report` link",
                ))
                .help("add `[[links]]` with `rel = \"failure-report\"` and the retraction report as `target`"),
            );
        }
        Status::Abandoned if record.reason.is_none() => ds.push(
            at_status(Diagnostic::error("status `abandoned` needs a `reason`"))
                .help("say in one sentence why it stopped: `reason = \"...\"`"),
        ),
        _ => {}
    }
    let badge = match status {
        Status::Planned => Badge::Aim,
        Status::Drafting | Status::Forming | Status::Review => Badge::InProgress,
        Status::Published => published_badge(record, source, &mut ds),
        Status::Superseded => Badge::Superseded,
        Status::Retracted => Badge::Retracted,
        Status::Abandoned => Badge::Abandoned,
    };
    (badge, ds)
}

/// Review and publication: every file present and hashed, a license, a reviewer, and acceptance
/// criteria for a claim.
fn reviewable(record: &Record, status: &str, source: &Arc<SourceText>, ds: &mut Diagnostics) {
    let at_status = |d: Diagnostic| d.at(source, record.status.span());
    for entry in &record.files {
        let f = entry.get_ref();
        if f.sha256.is_none() || f.size.is_none() {
            let (name, span) = match (&f.path, &f.url) {
                (Some(p), _) | (None, Some(p)) => (p.get_ref().as_str(), p.span()),
                (None, None) => ("", entry.span()),
            };
            ds.push(
                Diagnostic::error(format!("status `{status}` needs the digest of `{name}`"))
                    .at(source, span)
                    .help("record `sha256` and `size` of every file"),
            );
        }
    }
    if record.license.is_none() {
        ds.push(
            at_status(Diagnostic::error(format!(
                "status `{status}` needs a `license`"
            )))
            .help("add an SPDX expression, e.g. `license = \"CC-BY-4.0\"`"),
        );
    }
    if !record
        .authors
        .iter()
        .any(|a| a.role == AuthorRole::Reviewer)
    {
        ds.push(
            at_status(Diagnostic::error(format!(
                "status `{status}` needs a reviewer"
            )))
            .help("add `[[authors]]` with `role = \"reviewer\"`"),
        );
    }
    let no_criteria = record
        .acceptance
        .as_ref()
        .is_none_or(|a| a.criteria.is_empty());
    if let Some(claim) = record.claim.as_ref().filter(|_| no_criteria) {
        ds.push(
            Diagnostic::error(format!(
                "status `{status}` needs acceptance criteria for the claim"
            ))
            .at(source, claim.span())
            .help("add `[acceptance]` with `criteria = [...]`, registered before the result"),
        );
    }
}

/// Supported when every criterion names its evidence; otherwise unproven, with a warning at each
/// criterion that names none.
fn published_badge(record: &Record, source: &Arc<SourceText>, ds: &mut Diagnostics) -> Badge {
    let criteria = record.acceptance.as_ref().map_or(&[][..], |a| &a.criteria);
    let mut badge = if record.claim.is_some() && criteria.is_empty() {
        Badge::Unproven
    } else {
        Badge::Supported
    };
    for c in criteria {
        if c.get_ref().evidence.is_empty() {
            badge = Badge::Unproven;
            ds.push(
                Diagnostic::warning("published criterion names no evidence")
                    .at(source, c.span())
                    .label("the claim shows as unproven")
                    .help("add `evidence = [\"file:<path>\"]`, a `ledger:<name>#<seq>` entry or a `result:<...>`"),
            );
        }
    }
    badge
}

/// Each evidence is `file:<path>` of this record, `ledger:<name>#<seq>` or `result:<...>`.
fn evidence_names(record: &Record, source: &Arc<SourceText>, ds: &mut Diagnostics) {
    let Some(acceptance) = &record.acceptance else {
        return;
    };
    for c in &acceptance.criteria {
        for e in &c.get_ref().evidence {
            let text = e.get_ref();
            let problem = if let Some(path) = text.strip_prefix("file:") {
                let listed = record.files.iter().any(|f| {
                    f.get_ref()
                        .path
                        .as_ref()
                        .is_some_and(|p| p.get_ref() == path)
                });
                (!listed).then(|| {
                    Diagnostic::error(format!("evidence `{text}` is not a file of this record"))
                        .help(format!("list `{path}` under `[[files]]`"))
                })
            } else if text.starts_with("ledger:") {
                crate::text::ledger_ref(text).is_none().then(|| {
                    Diagnostic::error(format!("malformed ledger evidence `{text}`"))
                        .label("expected `ledger:<name>#<seq>`")
                })
            } else if text.strip_prefix("result:").is_some_and(|r| !r.is_empty()) {
                None
            } else {
                Some(
                    Diagnostic::error(format!("unknown evidence `{text}`"))
                        .label("expected `file:<path>`, `ledger:<name>#<seq>` or `result:<...>`"),
                )
            };
            if let Some(d) = problem {
                ds.push(d.at(source, e.span()));
            }
        }
    }
}

/// A light check of SPDX expression syntax: license ids (letters, digits, `.`, `-`, `+`,
/// `LicenseRef-...`) joined by `AND`, `OR`, `WITH`, with balanced parentheses.
fn is_spdx_expression(s: &str) -> bool {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let mut depth = 0i32;
    let mut expect_id = true;
    for token in spaced.split_whitespace() {
        match token {
            "(" if expect_id => depth += 1,
            ")" if !expect_id => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            "AND" | "OR" | "WITH" if !expect_id => expect_id = true,
            id if expect_id => {
                let ok = id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b':'));
                if !ok {
                    return false;
                }
                expect_id = false;
            }
            _ => return false,
        }
    }
    depth == 0 && !expect_id
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "schema = \"ancapex.artifact/1\"\nid = \"x\"\nversion = \"1.0.0\"\ntitle = \"X\"\nkind = \"report\"\nsummary = \"s\"\n";

    fn run(status: &str, rest: &str) -> (Badge, Vec<String>) {
        let text = format!("{BASE}status = \"{status}\"\n{rest}");
        let record: Record = toml::from_str(&text).unwrap();
        let source = SourceText::new("artifacts/x/artifact.toml", text);
        let status = Status::ALL
            .into_iter()
            .find(|s| s.as_str() == status)
            .unwrap();
        let (badge, ds) = check(&record, status, &source);
        (badge, ds.iter().map(|d| d.message.clone()).collect())
    }

    const REVIEWABLE: &str = "claim = \"c\"\nlicense = \"CC-BY-4.0\"\n[[authors]]\nname = \"R\"\nrole = \"reviewer\"\n[[files]]\npath = \"a.txt\"\nsha256 = \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"\nsize = 0\nrole = \"primary\"\n[acceptance]\ncriteria = [{ text = \"t\", evidence = [\"file:a.txt\", \"ledger:runs#3\", \"result:mmlu\"] }]\n";

    #[test]
    fn planned_claim_is_an_aim_and_drafts_are_in_progress() {
        assert_eq!(run("planned", "claim = \"c\"\n"), (Badge::Aim, vec![]));
        assert_eq!(run("drafting", ""), (Badge::InProgress, vec![]));
        assert_eq!(run("forming", ""), (Badge::InProgress, vec![]));
    }

    #[test]
    fn review_needs_license_reviewer_digests_and_criteria() {
        let (badge, msgs) = run(
            "review",
            "claim = \"c\"\n[[files]]\npath = \"a.txt\"\nrole = \"primary\"\n",
        );
        assert_eq!(badge, Badge::InProgress);
        assert_eq!(
            msgs,
            [
                "status `review` needs the digest of `a.txt`",
                "status `review` needs a `license`",
                "status `review` needs a reviewer",
                "status `review` needs acceptance criteria for the claim",
            ]
        );
        assert_eq!(run("review", REVIEWABLE), (Badge::InProgress, vec![]));
    }

    #[test]
    fn published_with_evidence_is_supported() {
        assert_eq!(run("published", REVIEWABLE), (Badge::Supported, vec![]));
    }

    #[test]
    fn published_without_evidence_is_unproven() {
        let rest = REVIEWABLE.replace(
            "criteria = [{ text = \"t\", evidence = [\"file:a.txt\", \"ledger:runs#3\", \"result:mmlu\"] }]",
            "criteria = [\"t\"]",
        );
        let (badge, msgs) = run("published", &rest);
        assert_eq!(badge, Badge::Unproven);
        assert_eq!(msgs, ["published criterion names no evidence"]);
    }

    #[test]
    fn evidence_must_name_a_listed_file_a_ledger_entry_or_a_result() {
        let rest = REVIEWABLE.replace(
            "[\"file:a.txt\", \"ledger:runs#3\", \"result:mmlu\"]",
            "[\"file:b.txt\", \"ledger:runs\", \"blog:x\"]",
        );
        let (_, msgs) = run("published", &rest);
        assert_eq!(
            msgs,
            [
                "evidence `file:b.txt` is not a file of this record",
                "malformed ledger evidence `ledger:runs`",
                "unknown evidence `blog:x`",
            ]
        );
    }

    #[test]
    fn superseded_retracted_and_abandoned_need_their_reason() {
        assert_eq!(
            run("superseded", ""),
            (
                Badge::Superseded,
                vec!["status `superseded` needs `superseded_by`".to_owned()]
            )
        );
        assert_eq!(
            run("superseded", "superseded_by = \"artifact:y@2.0.0\"\n").1,
            Vec::<String>::new()
        );
        assert_eq!(
            run(
                "retracted",
                "[[links]]\nrel = \"discussion\"\ntarget = \"https://x\"\n"
            )
            .1,
            ["status `retracted` needs a `failure-report` link"]
        );
        assert_eq!(
            run(
                "retracted",
                "[[links]]\nrel = \"failure-report\"\ntarget = \"https://x\"\n"
            ),
            (Badge::Retracted, vec![])
        );
        assert_eq!(
            run("abandoned", "").1,
            ["status `abandoned` needs a `reason`"]
        );
        assert_eq!(
            run("abandoned", "reason = \"no compute\"\n"),
            (Badge::Abandoned, vec![])
        );
    }

    #[test]
    fn license_must_be_an_spdx_expression() {
        assert!(is_spdx_expression("CC-BY-4.0"));
        assert!(is_spdx_expression("(MIT OR Apache-2.0) AND CC0-1.0"));
        assert!(is_spdx_expression(
            "GPL-2.0-or-later WITH Classpath-exception-2.0"
        ));
        assert!(!is_spdx_expression(""));
        assert!(!is_spdx_expression("MIT OR"));
        assert!(!is_spdx_expression("(MIT"));
        assert!(!is_spdx_expression("public domain"));
        assert_eq!(
            run("drafting", "license = \"MIT or\"\n").1,
            ["license `MIT or` is not an SPDX expression"]
        );
    }
}
