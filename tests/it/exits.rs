//! The binary picks its exit code in one place, `exit_code` in `src/main.rs`: the commands
//! under `src/cmd/` return an outcome, the library returns data and never exits.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = vec![];
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).expect("src is readable") {
            let path = entry.expect("src is readable").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// What picks an exit code, or ends the process with one (clap's `parse` exits on bad
/// arguments; `try_parse` hands the error back).
const PICKS: [&str; 5] = [
    "ExitCode::",
    "process::exit",
    "process::abort",
    "::parse()",
    ".exit()",
];

#[test]
fn only_exit_code_in_main_picks_the_exit_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let main = std::fs::read_to_string(src.join("main.rs")).expect("src/main.rs is readable");
    let start = main
        .find("\nfn exit_code(")
        .expect("src/main.rs has `fn exit_code`");
    let len = main[start..]
        .find("\n}\n")
        .expect("`fn exit_code` ends with `}` on its own line");
    let body = &main[start..start + len];
    for code in [
        "ExitCode::SUCCESS",
        "ExitCode::from(1)",
        "ExitCode::from(2)",
    ] {
        assert!(body.contains(code), "`exit_code` no longer gives {code}");
    }
    let mut elsewhere = vec![];
    for path in rust_files(&src) {
        let text = std::fs::read_to_string(&path).expect("src is readable");
        let text = if path == src.join("main.rs") {
            // Blank lines in its place keep the line numbers of the rest.
            main.replace(body, &"\n".repeat(body.matches('\n').count()))
        } else {
            text
        };
        for (n, line) in text.lines().enumerate() {
            if PICKS.iter().any(|p| line.contains(p)) {
                let rel = path.strip_prefix(&src).unwrap_or(&path);
                elsewhere.push(format!("src/{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        elsewhere.is_empty(),
        "only `exit_code` in src/main.rs may pick the exit code; also picked at:\n{}",
        elsewhere.join("\n")
    );
}
