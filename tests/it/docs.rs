//! The docs are tested: the guide's commands run as written and print what it shows
//! (docs/GUIDE.md), and the artifact reference's full record builds and names every field,
//! status and badge (docs/ARTIFACTS.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{SiteTest, manifest_dir};

fn doc(name: &str) -> String {
    std::fs::read_to_string(manifest_dir().join("docs").join(name)).unwrap()
}

/// One `$ command` of a ```console block and the output shown under it.
struct Step {
    command: String,
    output: String,
}

/// The ```console blocks of `text`: each line starting with `$ ` is a command (a heredoc runs
/// on to its closing `EOF`), the lines after it are its output.
fn console_steps(text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = vec![];
    let mut in_block = false;
    let mut heredoc = false;
    for line in text.lines() {
        if !in_block {
            in_block = line == "```console";
            continue;
        }
        if line == "```" {
            in_block = false;
            continue;
        }
        if heredoc {
            let step = steps.last_mut().unwrap();
            step.command.push('\n');
            step.command.push_str(line);
            heredoc = line != "EOF";
        } else if let Some(command) = line.strip_prefix("$ ") {
            heredoc = command.ends_with("<<'EOF'");
            steps.push(Step {
                command: command.to_owned(),
                output: String::new(),
            });
        } else {
            let step = steps.last_mut().expect("output before any command");
            step.output.push_str(line);
            step.output.push('\n');
        }
    }
    steps
}

/// What varies from run to run: times, sizes, file counts, digests, fingerprints, the home
/// folder, and the order in which a publish's files of one phase finish.
fn normalise(text: &str, home: &Path) -> String {
    let text = text.replace(&*home.to_string_lossy(), "/home/you");
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut lines: Vec<String> = vec![];
    for line in text.lines() {
        let mut words: Vec<String> = line.split(' ').map(str::to_owned).collect();
        for i in 0..words.len() {
            let w = words[i].clone();
            // Digests, and fingerprinted names (`name.<16 hex>.ext`, in a path or not).
            let mut parts: Vec<String> = w.split('/').map(str::to_owned).collect();
            for p in &mut parts {
                let core = p.trim_end_matches([',', ')', '`', ':']);
                if core.len() == 64 && hex(core) {
                    *p = p.replacen(core, "<sha256>", 1);
                } else {
                    let pieces: Vec<&str> = core.split('.').collect();
                    if pieces.len() >= 3
                        && pieces[pieces.len() - 2].len() == 16
                        && hex(pieces[pieces.len() - 2])
                    {
                        let fp = pieces[pieces.len() - 2].to_owned();
                        *p = p.replacen(&fp, "<hash>", 1);
                    }
                }
            }
            words[i] = parts.join("/");
            // A number before a unit or a count that changes with the theme.
            let next = words
                .get(i + 1)
                .map(|n| n.trim_end_matches([',', ')', ':', ';']).to_owned());
            let number = words[i].trim_start_matches('(').to_owned();
            let unit = next.as_deref().is_some_and(|n| {
                [
                    "ms",
                    "bytes",
                    "byte",
                    "files",
                    "file",
                    "uploaded",
                    "unchanged",
                ]
                .contains(&n)
            });
            if digits(&number) && unit {
                words[i] = words[i].replacen(&number, "N", 1);
            }
        }
        lines.push(words.join(" "));
    }
    // A publish sends the files of a phase at once: they finish in any order.
    let progress = |l: &str| {
        ["  new ", "  changed ", "  headers ", "  deleted "]
            .iter()
            .any(|p| l.starts_with(p))
    };
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j < lines.len() && progress(&lines[j]) {
            j += 1;
        }
        lines[i..j].sort();
        i = j.max(i + 1);
    }
    lines.join("\n")
}

#[test]
fn the_guide_runs_as_written() {
    let guide = doc("GUIDE.md");
    let steps = console_steps(&guide);
    assert!(steps.len() >= 10, "{} commands in the guide", steps.len());
    let home = SiteTest::empty();
    let home_dir = home.root().to_path_buf();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ancapex"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cwd = home_dir.clone();
    let print = std::env::var_os("ANCAPEX_GUIDE_PRINT").is_some();
    let mut failures = vec![];
    for step in &steps {
        if let Some(dir) = step.command.strip_prefix("cd ") {
            cwd = cwd.join(dir);
            continue;
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{{ {}\n}} 2>&1", step.command))
            .current_dir(&cwd)
            .env("HOME", &home_dir)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("CI")
            .output()
            .unwrap();
        let got = String::from_utf8_lossy(&out.stdout).into_owned();
        if print {
            #[expect(clippy::print_stderr, reason = "the guide's outputs, asked for")]
            {
                eprintln!("$ {}\n{got}", step.command);
            }
        }
        if normalise(&got, &home_dir) != normalise(&step.output, &home_dir) {
            failures.push(format!(
                "$ {}\n--- the guide shows\n{}--- it prints\n{got}",
                step.command, step.output
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_artifact_reference_record_builds_and_every_field_status_and_badge_is_named() {
    let reference = doc("ARTIFACTS.md");
    let start = reference.find("```toml\n").unwrap() + "```toml\n".len();
    let record = &reference[start..start + reference[start..].find("```").unwrap()];
    let site = SiteTest::init();
    site.write(
        "artifacts/eval-suite/artifact.toml",
        &record.replace("status  = \"published\"", "status  = \"planned\""),
    )
    .write("artifacts/eval-suite/suite.md", "# The suite\n")
    .write(
        "artifacts/eval-suite/reruns.csv",
        "run,score\na,0.8123\nb,0.8127\n",
    )
    .write(
        "artifacts/eval-suite/suite.md.minisig",
        "untrusted comment: x\n",
    );
    site.run(["artifact", "hash", "eval-suite"]).succeeds();
    let hashed = site.file("artifacts/eval-suite/artifact.toml");
    site.write(
        "artifacts/eval-suite/artifact.toml",
        &hashed.replace("status  = \"planned\"", "status  = \"published\""),
    );
    let out = site.run(["build"]).succeeds();
    assert_eq!(out.stderr(), "", "the example builds without a warning");
    let page = site.file("public/artifacts/eval-suite/index.html");
    assert!(page.contains("supported"), "{page}");
    // Every key of the example is in the table of fields.
    let table: toml::Table = toml::from_str(record).unwrap();
    for key in table.keys() {
        let named = [
            format!("| `{key}` |"),
            format!("| `[{key}]` |"),
            format!("| `[[{key}]]` |"),
        ];
        assert!(
            named.iter().any(|n| reference.contains(n.as_str())),
            "field `{key}` is not in the table of docs/ARTIFACTS.md"
        );
    }
    for status in ancapex::artifact::Status::ALL {
        assert!(
            reference.contains(&format!("| `{}` |", status.as_str())),
            "status `{}`",
            status.as_str()
        );
    }
    for badge in ancapex::artifact::Badge::ALL {
        assert!(
            reference.contains(&format!("| `{}` |", badge.as_str())),
            "badge `{}`",
            badge.as_str()
        );
    }
}
