//! The report for machines: one JSON document, or GitHub Actions workflow commands so a pull
//! request shows each problem on its line. Both are strings; `main` decides where they go.

use serde::Serialize;

use super::{Diagnostic, Diagnostics, Severity};

#[derive(Serialize)]
struct JsonReport<'a> {
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    label: Option<&'a str>,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

/// One JSON document: the counts and every diagnostic with its place (1-based lines and
/// columns in characters; `null` where there is none). Ends with a newline.
pub fn json(diagnostics: &Diagnostics) -> String {
    let (errors, warnings) = diagnostics.counts();
    let report = JsonReport {
        errors,
        warnings,
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let start = d.line_col();
                let end = d.end_line_col();
                JsonDiagnostic {
                    severity: d.severity,
                    message: &d.message,
                    file: d.file(),
                    line: start.map(|(l, _)| l),
                    column: start.map(|(_, c)| c),
                    end_line: end.map(|(l, _)| l),
                    end_column: end.map(|(_, c)| c),
                    label: d.label.as_deref(),
                    help: d.help.as_deref(),
                    note: d.note.as_deref(),
                }
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("the report serializes");
    out.push('\n');
    out
}

/// One GitHub Actions workflow command per diagnostic (`::error file=..,line=..::message`),
/// each on its own line. The label and help follow the message on lines of their own.
pub fn github(diagnostics: &Diagnostics) -> String {
    diagnostics.iter().map(github_one).collect()
}

fn github_one(d: &Diagnostic) -> String {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = vec![];
    if let Some(file) = d.file() {
        properties.push(format!("file={}", escape_property(file)));
    }
    if let (Some((line, col)), Some((end_line, end_col))) = (d.line_col(), d.end_line_col()) {
        properties.push(format!("line={line}"));
        properties.push(format!("col={col}"));
        properties.push(format!("endLine={end_line}"));
        properties.push(format!("endColumn={end_col}"));
    }
    properties.push("title=ancapex".to_owned());
    let mut message = d.message.clone();
    if let Some(label) = &d.label {
        message.push('\n');
        message.push_str(label);
    }
    if let Some(note) = &d.note {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} {}::{}\n",
        properties.join(","),
        escape_data(&message)
    )
}

/// GitHub's escaping of a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a property value: as a message, and `:` and `,` too.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceText;

    fn one() -> Diagnostics {
        let s = SourceText::new("content/a,b:c.md", "+++\ntitle = 3\n+++\n");
        Diagnostics::from_iter([Diagnostic::error("100% wrong\r\nvalue")
            .at(&s, 12..13)
            .label("here")
            .help("quote it")])
    }

    #[test]
    fn github_escapes_message_and_properties() {
        assert_eq!(
            github(&one()),
            "::error file=content/a%2Cb%3Ac.md,line=2,col=9,endLine=2,endColumn=10,title=ancapex::100%25 wrong%0D%0Avalue%0Ahere%0Ahelp: quote it\n"
        );
    }

    #[test]
    fn github_names_a_file_without_a_place() {
        let ds = Diagnostics::from_iter([Diagnostic::warning("odd").in_file("a.bin")]);
        assert_eq!(github(&ds), "::warning file=a.bin,title=ancapex::odd\n");
    }

    #[test]
    fn json_has_counts_and_places() {
        let v: serde_json::Value = serde_json::from_str(&json(&one())).unwrap();
        assert_eq!(v["errors"], 1);
        assert_eq!(v["warnings"], 0);
        let d = &v["diagnostics"][0];
        assert_eq!(d["severity"], "error");
        assert_eq!(d["file"], "content/a,b:c.md");
        assert_eq!(d["line"], 2);
        assert_eq!(d["column"], 9);
        assert_eq!(d["end_line"], 2);
        assert_eq!(d["end_column"], 10);
        assert_eq!(d["label"], "here");
        assert_eq!(d["help"], "quote it");
    }
}
