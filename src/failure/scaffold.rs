//! `ancapex new failure [ID]`: a draft report from the template, with its id (given, or the
//! next free one), today's date as `detected`, and the run and ledger entry it is about, so a
//! contributor starts from a report that already checks and names what it reports.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Value};

use super::{Named as _, ReportType, TEMPLATE};
use crate::error::{Error, Existing, Malformed, Missing, Result};
use crate::front_matter;

/// What `new failure` was asked for.
#[derive(Debug, Clone, Default)]
pub struct NewFailure {
    /// The id and file name; the next free `<run>-failure-<n>` (or `failure-<n>`) when none.
    pub id: Option<String>,
    /// The run ledger it is about (`artifacts/ledgers/<run>/`).
    pub run: Option<String>,
    /// The seq of the run's `failure` entry it reports.
    pub entry: Option<u64>,
    /// The report type (`incident` when none).
    pub report_type: Option<String>,
    /// The title (the template's placeholder when none).
    pub title: Option<String>,
}

/// Writes `artifacts/failures/<id>.md` under `root`, dated `today` (`YYYY-MM-DD`); returns its
/// path. Refuses (writing nothing) an invalid or taken id, an unknown run, type or entry, and
/// an entry that is not a `failure`.
pub fn create(root: &Path, new: &NewFailure, today: jiff::civil::Date) -> Result<PathBuf> {
    let report_type = report_type(new.report_type.as_deref().unwrap_or("incident"))?;
    if let Some(run) = &new.run {
        check_run(root, run, new.entry)?;
    } else if new.entry.is_some() {
        return Err(Error::Usage(
            "`--entry` names an entry of the run given with `--run`".to_owned(),
        ));
    }
    let folder = crate::layout::failures(root);
    let id = match &new.id {
        Some(id) => {
            if !crate::text::is_id(id) {
                return Err(Error::Usage(format!(
                    "failure report id `{id}` is not valid: use lowercase letters, digits and `-`, starting with a letter or digit"
                )));
            }
            id.clone()
        }
        None => next_free(&folder, new.run.as_deref()),
    };
    let path = folder.join(format!("{id}.md"));
    if path.exists() {
        return Err(Error::Exists(Existing::FailureReport { id }));
    }
    let text = fill(&id, report_type, new, today)?;
    crate::fs::write(&path, text.as_bytes())?;
    Ok(path)
}

/// The template with the report's values written into its front matter (comments kept).
fn fill(
    id: &str,
    report_type: ReportType,
    new: &NewFailure,
    today: jiff::civil::Date,
) -> Result<String> {
    let template_error = |what: &'static str| Error::Malformed(Malformed::Template(what));
    let split = front_matter::split(TEMPLATE).map_err(|_| template_error("has no front matter"))?;
    let mut doc: DocumentMut = TEMPLATE[split.front.clone()]
        .parse()
        .map_err(|_| template_error("does not parse"))?;
    let set = crate::text::set_toml_keeping_layout;
    let table = doc.as_table_mut();
    set(table, "id", Value::from(id));
    set(table, "report_type", Value::from(report_type.as_str()));
    let date: toml_edit::Datetime = today
        .to_string()
        .parse()
        .map_err(|_| template_error("has no date"))?;
    set(table, "detected", Value::from(date));
    if let Some(title) = &new.title {
        set(table, "title", Value::from(title.as_str()));
    }
    if let Some(run) = &new.run {
        set(table, "runs", Value::from_iter([run.as_str()]));
        if let Some(seq) = new.entry {
            set(
                table,
                "ledger_refs",
                Value::from_iter([format!("ledger:{run}#{seq}")]),
            );
        }
    }
    Ok(format!(
        "{}{}{}",
        &TEMPLATE[..split.front.start],
        doc,
        &TEMPLATE[split.front.end..]
    ))
}

fn report_type(name: &str) -> Result<ReportType> {
    if let Some(t) = ReportType::ALL.iter().find(|t| t.as_str() == name) {
        return Ok(*t);
    }
    let all: Vec<&str> = ReportType::ALL.iter().map(|t| t.as_str()).collect();
    let hint = crate::text::did_you_mean(name, &all)
        .map(|best| format!("; did you mean `{best}`?"))
        .unwrap_or_default();
    Err(Error::Usage(format!(
        "unknown report type `{name}`: expected one of {}{hint}",
        all.join(", ")
    )))
}

/// The run exists, and `entry`, when given, is one of its `failure` entries.
fn check_run(root: &Path, run: &str, entry: Option<u64>) -> Result<()> {
    let ledgers = crate::layout::ledgers(root);
    let entries = ledgers.join(run).join("entries.jsonl");
    if !entries.is_file() {
        let names: Vec<String> = std::fs::read_dir(&ledgers)
            .map(|d| {
                d.filter_map(std::result::Result::ok)
                    .filter(|e| e.path().join("entries.jsonl").is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        return Err(Error::Missing(Missing::RunLedger {
            run: run.to_owned(),
            did_you_mean: crate::text::did_you_mean(run, &names).map(str::to_owned),
        }));
    }
    let Some(seq) = entry else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&crate::fs::read(&entries)?).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let line = usize::try_from(seq)
        .ok()
        .and_then(|i| lines.get(i))
        .ok_or_else(|| {
            Error::Missing(Missing::Entry {
                run: run.to_owned(),
                seq,
                entries: lines.len(),
            })
        })?;
    let kind = serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("type")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    if kind != "failure" {
        return Err(Error::NotAFailure {
            run: run.to_owned(),
            seq,
            kind,
        });
    }
    Ok(())
}

/// `<run>-failure-<n>` (or `failure-<n>`) with the smallest `n` from 1 not taken.
fn next_free(folder: &Path, run: Option<&str>) -> String {
    let stem = run.map_or_else(|| "failure".to_owned(), |r| format!("{r}-failure"));
    (1..=u32::MAX)
        .map(|n| format!("{stem}-{n}"))
        .find(|id| !folder.join(format!("{id}.md")).exists())
        .unwrap_or(stem)
}
