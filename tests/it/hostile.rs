//! Hostile input: what a pull request can hold, tried against `check`, `build` and `serve`.
//!
//! Every case starts from `tests/fixtures/hostile/base` (pages, a bundle, a static file, an
//! artifact record with a file, a failure report with evidence) beside a folder outside the
//! site that holds a secret, and the binary runs with the secret in its environment too. Each
//! case asserts the exit code, the report (a snapshot: the same words from `check` and
//! `build`), and that nothing from outside the site reached the output or was changed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::serve::{Server, eventually};
use crate::support::{SiteTest, snapshot};

/// What the folder outside the site, and the environment, hold: never in any output.
const SECRET: &str = "HOSTILE-SECRET-d41d8cd98f00b204";

/// A folder outside the site, with a secret in every form a link could reach.
struct Outside {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Outside {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ancapex-outside-")
            .tempdir()
            .unwrap();
        let path = dir.path().canonicalize().unwrap();
        for (rel, text) in [
            ("secret.txt", SECRET.to_owned()),
            (
                "secret.md",
                format!("+++\ntitle = \"{SECRET}\"\n+++\n{SECRET}\n"),
            ),
            (
                "record/artifact.toml",
                std::fs::read_to_string(crate::support::fixture_path(
                    "hostile/base/artifacts/demo/artifact.toml",
                ))
                .unwrap()
                .replace("Demo record", SECRET),
            ),
            ("record/data.txt", "the record's data\n".to_owned()),
            (
                "folder/page.md",
                format!("+++\ntitle = \"t\"\n+++\n{SECRET}\n"),
            ),
            ("theme/templates/page.html", format!("<p>{SECRET}</p>\n")),
            ("theme/static/leak.txt", SECRET.to_owned()),
            ("ledger/ledger.toml", format!("# {SECRET}\n")),
        ] {
            let file = path.join(rel);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        Self { _dir: dir, path }
    }

    fn join(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }

    /// Every file here still holds what it was made with.
    #[track_caller]
    fn untouched(&self) {
        assert_eq!(
            std::fs::read_to_string(self.join("secret.txt")).unwrap(),
            SECRET
        );
        let files = crate::support::tree(&self.path);
        assert_eq!(
            files.len(),
            8,
            "files appeared outside the site: {:?}",
            files.keys()
        );
    }
}

/// A symbolic link at `rel` in the site, to `to`.
fn link(site: &SiteTest, rel: &str, to: impl AsRef<Path>) {
    let at = site.path(rel);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&at);
    std::os::unix::fs::symlink(to, at).unwrap();
}

/// The base site beside a folder outside it.
fn base() -> (SiteTest, Outside) {
    let site = SiteTest::fixture("hostile/base").env("ANCAPEX_HOSTILE", SECRET);
    (site, Outside::new())
}

/// Runs `check` then `build` on the base site changed by `setup`: both exit with `code` and
/// report the same problems (snapshotted), nothing from outside reaches the output, nothing
/// outside changes. Returns the site, built, for more assertions.
#[track_caller]
fn case(setup: impl Fn(&SiteTest, &Outside), code: i32) -> (SiteTest, Outside) {
    let (site, outside) = base();
    setup(&site, &outside);
    let name = outside
        .path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let shown = |text: String| {
        text.replace(&*outside.path.to_string_lossy(), "[OUTSIDE]")
            .replace(&name, "[OUTSIDE-NAME]")
    };
    let check = site.run(["check"]);
    let check_err = shown(check.stderr());
    check.exits_with(code);
    let build = site.run(["build"]);
    let build_err = shown(build.stderr());
    build.exits_with(code);
    assert_eq!(
        check_err, build_err,
        "check and build report different problems"
    );
    snapshot("report", &check_err);
    assert_no_secret(&site.path("public"));
    outside.untouched();
    (site, outside)
}

/// No file under `dir` (if it exists) holds the secret.
#[track_caller]
fn assert_no_secret(dir: &Path) {
    for (rel, bytes) in crate::support::tree(dir) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "`{rel}` holds the secret from outside the site"
        );
    }
}

/// What `serve` does with the base site changed by `setup` while it serves: it reports the same
/// problems as `check` (when `problems`), keeps serving the last good site, never serves the
/// secret, and keeps running. Returns the server, for more requests.
#[track_caller]
fn serve_case(setup: impl Fn(&SiteTest, &Outside), problems: bool) -> (Server, SiteTest) {
    let (site, outside) = base();
    let mut server = Server::start(&site);
    let mut events = server.events();
    assert_eq!(events.next().0, "ok");
    let good = server.get("/about/").body;
    setup(&site, &outside);
    if problems {
        let data: serde_json::Value = serde_json::from_str(&events.expect("problems")).unwrap();
        let check = site.run(["check"]).stderr();
        // The overlay's cards, one per problem, are the blocks of check's report.
        let cards: Vec<&str> = data["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["rendered"].as_str().unwrap())
            .collect();
        assert!(!cards.is_empty());
        let blocks: Vec<&str> = check.split("\n\n").filter(|b| b.contains("-->")).collect();
        assert_eq!(
            cards.iter().map(|c| c.trim_end()).collect::<Vec<_>>(),
            blocks.iter().map(|b| b.trim_end()).collect::<Vec<_>>(),
            "serve and check report different problems"
        );
        assert_eq!(
            server.get("/about/").body,
            good,
            "the last good site is served"
        );
    } else {
        events.expect("reload");
    }
    for path in [
        "/",
        "/about/",
        "/leak.txt",
        "/env.txt",
        "/hostile/",
        "/elsewhere/page/",
    ] {
        let page = server.get(path);
        assert!(!page.body.contains(SECRET), "`{path}` serves the secret");
    }
    assert!(server.running(), "the server stopped");
    outside.untouched();
    (server, site)
}

// --- Nothing outside the root is read, followed or published ------------------------------

#[test]
fn a_static_file_linked_out_of_the_site_is_refused() {
    case(|s, o| link(s, "static/leak.txt", o.join("secret.txt")), 1);
}

#[test]
fn a_static_link_to_the_process_environment_is_refused() {
    case(|s, _| link(s, "static/env.txt", "/proc/self/environ"), 1);
}

#[test]
fn a_page_linked_out_of_the_site_by_a_relative_path_is_refused() {
    case(
        |s, o| {
            // From content/blog/: content, the site, then its parent, where `o` is.
            let up = format!(
                "../../../{}/secret.md",
                o.path.file_name().unwrap().to_string_lossy()
            );
            link(s, "content/blog/leak.md", up);
        },
        1,
    );
}

#[test]
fn a_content_folder_linked_out_of_the_site_is_refused() {
    case(|s, o| link(s, "content/elsewhere", o.join("folder")), 1);
}

#[test]
fn a_link_to_a_system_folder_is_refused_not_an_io_failure() {
    case(|s, _| link(s, "content/etc", "/etc"), 1);
}

#[test]
fn a_dangling_link_is_a_located_problem() {
    case(|s, _| link(s, "content/gone.md", "nowhere.md"), 1);
}

#[test]
fn a_link_to_a_folder_it_is_in_is_refused() {
    case(|s, _| link(s, "content/post/up", ".."), 1);
}

#[test]
fn links_that_stay_inside_the_site_are_followed() {
    let (site, _) = case(
        |s, _| {
            link(s, "content/again.md", "about.md");
            link(s, "content/mirror", "post");
            link(s, "static/notes-again.txt", "notes.txt");
        },
        0,
    );
    assert!(
        site.file("public/again/index.html")
            .contains("A page with a")
    );
    assert!(
        site.file("public/mirror/index.html")
            .contains("A bundle with")
    );
    assert_eq!(site.file("public/notes-again.txt"), "a static file\n");
}

#[test]
fn a_template_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            link(
                s,
                "templates/page.html",
                o.join("theme/templates/page.html"),
            );
        },
        1,
    );
}

#[test]
fn a_theme_folder_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            link(s, "themes/evil", o.join("theme"));
            s.replace("site.toml", "theme = \"ancapex\"", "theme = \"evil\"");
        },
        1,
    );
}

#[test]
fn a_theme_static_file_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            crate::support::copy_dir(
                &crate::support::manifest_dir().join("themes/ancapex"),
                &s.path("themes/own"),
            );
            link(s, "themes/own/static/leak.txt", o.join("secret.txt"));
            s.replace("site.toml", "theme = \"ancapex\"", "theme = \"own\"");
        },
        1,
    );
}

#[test]
fn an_artifact_folder_linked_out_of_the_site_is_refused() {
    case(|s, o| link(s, "artifacts/evil", o.join("record")), 1);
}

#[test]
fn an_artifact_record_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            std::fs::create_dir_all(s.path("artifacts/evil")).unwrap();
            link(
                s,
                "artifacts/evil/artifact.toml",
                o.join("record/artifact.toml"),
            );
        },
        1,
    );
}

#[test]
fn an_artifact_file_linked_out_of_its_folder_is_refused() {
    case(
        |s, o| {
            link(s, "artifacts/demo/data.txt", o.join("secret.txt"));
        },
        1,
    );
}

#[test]
fn an_artifact_file_path_climbing_out_is_refused() {
    case(
        |s, _| {
            s.replace(
                "artifacts/demo/artifact.toml",
                "path = \"data.txt\"",
                "path = \"../../site.toml\"",
            );
        },
        1,
    );
}

#[test]
fn an_absolute_artifact_file_path_is_refused() {
    case(
        |s, _| {
            s.replace(
                "artifacts/demo/artifact.toml",
                "path = \"data.txt\"",
                "path = \"/etc/passwd\"",
            );
        },
        1,
    );
}

#[test]
fn a_missing_artifact_file_is_the_same_located_problem_in_build_and_check() {
    case(
        |s, _| {
            s.remove("artifacts/demo/data.txt");
        },
        1,
    );
}

#[test]
fn failure_evidence_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            link(
                s,
                "artifacts/failures/loss-spike/loss.csv",
                o.join("secret.txt"),
            );
        },
        1,
    );
}

#[test]
fn a_failure_report_linked_out_of_the_site_is_refused() {
    case(
        |s, o| link(s, "artifacts/failures/leak.md", o.join("secret.md")),
        1,
    );
}

#[test]
fn a_ledger_folder_linked_out_of_the_site_is_refused() {
    case(|s, o| link(s, "artifacts/ledgers/run", o.join("ledger")), 1);
}

#[test]
fn a_ledger_file_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            std::fs::create_dir_all(s.path("artifacts/ledgers/run")).unwrap();
            link(
                s,
                "artifacts/ledgers/run/ledger.toml",
                o.join("ledger/ledger.toml"),
            );
        },
        1,
    );
}

#[test]
fn site_toml_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            std::fs::write(o.join("ledger/ledger.toml"), format!("# {SECRET}\n")).unwrap();
            link(s, "site.toml", o.join("secret.txt"));
        },
        2,
    );
}

#[test]
fn a_theme_named_by_a_path_is_refused() {
    case(
        |s, _| {
            s.replace(
                "site.toml",
                "theme = \"ancapex\"",
                "theme = \"../../../etc\"",
            );
        },
        2,
    );
}

#[test]
fn an_output_folder_outside_the_site_is_refused_in_site_toml() {
    case(
        |s, o| {
            let toml = format!(
                "{}\n[build]\noutput_dir = \"{}\"\n",
                s.file("site.toml"),
                o.join("out").display()
            );
            s.write("site.toml", &toml);
        },
        2,
    );
}

#[test]
fn a_signing_key_outside_the_site_is_refused_in_site_toml() {
    case(
        |s, _| {
            let toml = format!("{}\n[signing]\nkey = \"../../key\"\n", s.file("site.toml"));
            s.write("site.toml", &toml);
        },
        2,
    );
}

#[test]
fn a_spare_output_folder_planted_as_a_link_is_never_written_through() {
    let (site, outside) = case(|s, o| link(s, ".public.spare", o.join("folder")), 0);
    assert!(site.exists("public/index.html"));
    assert_eq!(
        std::fs::read_dir(outside.join("folder")).unwrap().count(),
        1,
        "the build wrote into the linked folder"
    );
}

#[test]
fn a_link_inside_a_planted_spare_folder_is_never_written_through() {
    let (site, outside) = case(
        |s, o| {
            std::fs::create_dir_all(s.path(".public.spare")).unwrap();
            link(s, ".public.spare/css", o.join("folder"));
        },
        0,
    );
    assert!(site.exists("public/index.html"));
    assert_eq!(
        std::fs::read_dir(outside.join("folder")).unwrap().count(),
        1
    );
}

#[test]
fn links_planted_in_the_output_folder_are_never_written_through() {
    // The output is updated in place only when it holds plain files and folders: else it is
    // written whole beside it and swapped in, and the links go with the old one.
    let (site, outside) = case(
        |s, o| {
            link(s, "public/index.html", o.join("secret.txt"));
            link(s, "public/post", o.join("folder"));
        },
        0,
    );
    for rel in ["public/index.html", "public/post"] {
        let meta = std::fs::symlink_metadata(site.path(rel)).unwrap();
        assert!(!meta.file_type().is_symlink(), "`{rel}` is still a link");
    }
    assert!(site.file("public/index.html").contains("<html"));
    assert_eq!(
        std::fs::read_dir(outside.join("folder")).unwrap().count(),
        1,
        "the build wrote into the linked folder"
    );
}

#[test]
fn an_output_folder_planted_as_a_link_is_replaced_not_written_through() {
    let (site, outside) = case(|s, o| link(s, "public", o.join("folder")), 0);
    let meta = std::fs::symlink_metadata(site.path("public")).unwrap();
    assert!(meta.is_dir(), "public/ is still a link");
    assert!(site.exists("public/index.html"));
    assert_eq!(
        std::fs::read_dir(outside.join("folder")).unwrap().count(),
        1,
        "the build wrote into the linked folder"
    );
}

#[test]
fn a_bundle_file_linked_out_of_the_site_is_refused() {
    case(
        |s, o| {
            link(s, "content/post/photo.txt", o.join("secret.txt"));
        },
        1,
    );
}

#[test]
fn a_page_path_climbing_out_of_the_site_is_refused() {
    case(
        |s, _| {
            s.write(
                "content/climb.md",
                "+++\ntitle = \"Climb\"\npath = \"../../../etc/cron.d\"\n+++\nx\n",
            );
        },
        1,
    );
}

#[test]
fn a_slug_with_a_slash_is_refused() {
    case(
        |s, _| {
            s.write(
                "content/slash.md",
                "+++\ntitle = \"Slash\"\nslug = \"../../x\"\n+++\nx\n",
            );
        },
        1,
    );
}

#[test]
fn an_alias_climbing_out_of_the_site_is_refused() {
    case(
        |s, _| {
            s.write(
                "content/post/alias.md",
                "+++\ntitle = \"Alias\"\naliases = [\"../../../../tmp/x\"]\n+++\nx\n",
            );
        },
        1,
    );
}

#[test]
fn a_script_in_a_page_is_refused_as_it_would_be_allowed_by_the_csp() {
    case(
        |s, _| {
            page(
                s,
                "inline <script>fetch('/x')</script>\n\n<div>\n<SCRIPT src=\"/x.js\"></SCRIPT>\n</div>\n\n```html\n<script>shown()</script>\n```",
            );
        },
        1,
    );
}

// --- No input crashes the process ---------------------------------------------------------

fn page(s: &SiteTest, body: &str) {
    s.write(
        "content/hostile.md",
        &format!("+++\ntitle = \"Hostile\"\n+++\n{body}\n"),
    );
}

#[test]
fn a_hundred_thousand_nested_block_quotes_are_rendered() {
    let (site, _) = case(|s, _| page(s, &format!("{} deep", ">".repeat(100_000))), 0);
    assert!(site.file("public/hostile/index.html").contains("deep"));
}

#[test]
fn three_thousand_nested_lists_are_rendered() {
    let mut lists = String::new();
    for i in 0..3000 {
        let _ = writeln!(lists, "{}- item {i}", "  ".repeat(i));
    }
    let (site, _) = case(|s, _| page(s, &lists), 0);
    assert!(site.file("public/hostile/index.html").contains("item 2999"));
}

#[test]
fn fifty_thousand_nested_emphases_are_rendered() {
    let body = format!("{}core{}", "*".repeat(50_000), "*".repeat(50_000));
    let (site, _) = case(|s, _| page(s, &body), 0);
    assert!(site.file("public/hostile/index.html").contains("core"));
}

#[test]
fn two_hundred_thousand_nested_html_elements_are_rendered() {
    let (site, _) = case(|s, _| page(s, &"<div>".repeat(200_000)), 0);
    assert!(site.exists("public/hostile/index.html"));
}

#[test]
fn deeply_nested_css_in_a_page_is_rendered() {
    let body = format!("<style>{}</style>\n\nstyled", "@media (x){".repeat(100_000));
    let (site, _) = case(|s, _| page(s, &body), 0);
    assert!(site.file("public/hostile/index.html").contains("styled"));
}

#[test]
fn a_five_megabyte_line_is_rendered() {
    let (site, _) = case(|s, _| page(s, &"word ".repeat(1_000_000)), 0);
    assert!(site.file("public/hostile/index.html").len() > 5_000_000);
}

#[test]
fn nul_bytes_a_bom_and_crlf_are_rendered() {
    let (site, _) = case(
        |s, _| {
            s.write(
                "content/odd.md",
                "\u{feff}+++\r\ntitle = \"Odd\"\r\n+++\r\nnul \u{0} here\r\n",
            );
        },
        0,
    );
    let html = site.file("public/odd/index.html");
    assert!(html.contains("nul \u{fffd} here"), "{html}");
}

#[test]
fn a_page_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    case(
        |s, _| {
            std::fs::write(
                s.path("content/latin1.md"),
                b"+++\ntitle = \"caf\xe9\"\n+++\n",
            )
            .unwrap();
        },
        1,
    );
}

#[test]
fn a_template_that_is_not_utf8_is_a_located_problem() {
    case(
        |s, _| {
            std::fs::create_dir_all(s.path("templates")).unwrap();
            std::fs::write(s.path("templates/page.html"), b"<p>\xff\xfe</p>").unwrap();
        },
        1,
    );
}

#[test]
fn a_record_that_is_not_utf8_is_a_located_problem() {
    case(
        |s, _| {
            let mut bytes = s.bytes("artifacts/demo/artifact.toml");
            bytes.extend_from_slice(b"\n# \xc3\x28\n");
            std::fs::write(s.path("artifacts/demo/artifact.toml"), bytes).unwrap();
        },
        1,
    );
}

#[test]
fn deeply_nested_toml_front_matter_is_a_located_problem() {
    case(
        |s, _| {
            s.write(
                "content/deep.md",
                &format!(
                    "+++\ntitle = \"Deep\"\n[extra]\nx = {}{}\n+++\n",
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                ),
            );
        },
        1,
    );
}

#[test]
fn deeply_nested_yaml_front_matter_is_a_located_problem() {
    case(
        |s, _| {
            s.write(
                "content/deep.md",
                &format!(
                    "---\ntitle: Deep\nx: {}{}\n---\n",
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                ),
            );
        },
        1,
    );
}

/// A YAML block (`---` … `---`) whose first key is `first`, then nine levels of aliases
/// that would expand to 9^9 strings, then `body`.
fn alias_bomb(first: &str, body: &str) -> String {
    let mut yaml = format!(
        "---\n{first}\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        let _ = writeln!(yaml, "{name}: &{name} [{refs}]");
    }
    yaml.push_str("---\n");
    yaml.push_str(body);
    yaml
}

#[test]
fn a_yaml_alias_bomb_is_a_located_problem_not_unbounded_memory() {
    let yaml = alias_bomb("title: Bomb", "x\n");
    case(
        |s, _| {
            s.write("content/bomb.md", &yaml);
        },
        1,
    );
}

#[test]
fn a_yaml_alias_bomb_in_a_cards_metadata_is_left_out_with_a_warning() {
    let yaml = alias_bomb("license: mit", "# Demo\n");
    let (site, _) = case(
        |s, _| {
            s.write("artifacts/demo/README.md", &yaml);
        },
        0,
    );
    // The card is published without the block's keys: the record alone says what it is.
    let card = site.file("public/artifacts/demo/README.md");
    assert!(!card.contains("lol") && !card.contains("license"), "{card}");
}

#[test]
fn a_toml_key_with_thousands_of_parts_is_a_located_problem() {
    case(
        |s, _| {
            let key = vec!["a"; 5000].join(".");
            s.write(
                "content/dotted.md",
                &format!("+++\ntitle = \"Dotted\"\n[extra]\n{key} = 1\n+++\n"),
            );
        },
        1,
    );
}

#[test]
fn deeply_nested_json_in_a_ledger_line_is_a_located_problem() {
    case(
        |s, _| {
            crate::support::copy_dir(
                &crate::support::fixture_path("ledger/site/artifacts/ledgers"),
                &s.path("artifacts/ledgers"),
            );
            crate::support::copy_dir(
                &crate::support::fixture_path("ledger/site/artifacts/demo-model"),
                &s.path("artifacts/demo-model"),
            );
            crate::support::copy_dir(
                &crate::support::fixture_path("ledger/site/artifacts/demo-eval"),
                &s.path("artifacts/demo-eval"),
            );
            // The entries the first checkpoint signs, and one more line, too deep to read.
            std::fs::remove_file(s.path("artifacts/ledgers/demo-run/checkpoints/9")).unwrap();
            let entries = s.path("artifacts/ledgers/demo-run/entries.jsonl");
            let text = std::fs::read_to_string(&entries).unwrap();
            let mut text: String = text.split_inclusive('\n').take(4).collect();
            text.push_str("{\"v\":1,\"x\":");
            text.push_str(&"[".repeat(5000));
            text.push_str(&"]".repeat(5000));
            text.push_str("}\n");
            std::fs::write(entries, text).unwrap();
        },
        1,
    );
}

#[test]
fn lists_nested_past_the_limit_in_a_shortcode_call_are_a_located_problem() {
    case(
        |s, _| page(s, &format!("{{{{ artifact(id={}) }}}}", "[".repeat(20_000))),
        1,
    );
}

#[test]
fn a_page_over_the_size_limit_is_a_located_problem() {
    case(|s, _| page(s, &"0123456789abcdef".repeat(1 << 20)), 1);
}

#[test]
fn a_static_file_over_the_size_limit_is_a_located_problem() {
    case(
        |s, _| {
            // Sparse: 257 MiB that take no room on disk.
            let file = std::fs::File::create(s.path("static/huge.bin")).unwrap();
            file.set_len(257 << 20).unwrap();
        },
        1,
    );
}

// --- Our words, and other tools' front matter ---------------------------------------------

#[test]
fn yaml_front_matter_from_hugo_keeps_its_meaning() {
    let (site, _) = case(
        |s, _| {
            s.write(
                "content/post/hugo.md",
                "---\ntitle: \"From Hugo\"\ndate: 2020-01-01T10:00:00+02:00\nlastmod: 2020-02-01\naliases: [old-name, /older/]\nurl: /from/hugo/\ntags: [a, b]\n---\nMoved here.\n",
            );
        },
        0,
    );
    assert!(
        site.file("public/from/hugo/index.html")
            .contains("Moved here.")
    );
    let redirects = site.file("public/_redirects");
    assert!(
        redirects.contains("/post/old-name/ /from/hugo/ 301"),
        "{redirects}"
    );
    assert!(redirects.contains("/older/ /from/hugo/ 301"), "{redirects}");
}

#[test]
fn yaml_front_matter_from_jekyll_keeps_its_meaning() {
    let (site, _) = case(
        |s, _| {
            s.write(
                "content/welcome.md",
                "---\nlayout: post\ntitle:  \"Welcome to Jekyll!\"\ndate:   2015-11-14 14:56:51 +0100\ncategories: jekyll update\npermalink: /jekyll/welcome/\n---\nHello.\n",
            );
        },
        0,
    );
    let html = site.file("public/jekyll/welcome/index.html");
    assert!(html.contains("2015-11-14"), "{html}");
}

#[test]
fn toml_front_matter_from_hugo_gets_a_plain_error_with_what_to_write() {
    case(
        |s, _| {
            s.write(
                "content/hugo.md",
                "+++\ntitle = \"From Hugo\"\nurl = \"/x/\"\n+++\nx\n",
            );
            s.write(
                "content/tags.md",
                "+++\ntitle = \"Tagged\"\ntags = [\"a\"]\n+++\nx\n",
            );
        },
        1,
    );
}

#[test]
fn wrongly_typed_yaml_values_say_what_was_expected_at_the_key() {
    case(
        |s, _| {
            s.write(
                "content/typed.md",
                "---\ntitle: Typed\naliases: [[nested]]\nweight: heavy\n---\nx\n",
            );
        },
        1,
    );
}

#[test]
fn a_thousand_problems_keep_the_report_readable() {
    let (site, _) = case(
        |s, _| {
            let links: Vec<String> = (0..1000)
                .map(|i| format!("[{i}](@/missing-{i}.md)"))
                .collect();
            page(s, &links.join("\n"));
        },
        1,
    );
    let json = site
        .run(["check", "--format", "json"])
        .fails_with(1)
        .stdout();
    assert_eq!(
        json.matches("\"severity\": \"error\"").count(),
        1000,
        "json lists every one"
    );
    let all = site.run(["check", "--all-problems"]).fails_with(1).stderr();
    assert_eq!(all.matches("error: broken link").count(), 1000);
}

// --- serve: the same problems, the last good site kept, never a crash ---------------------

#[test]
fn serve_refuses_a_static_file_linked_out_of_the_site() {
    serve_case(
        |s, o| link(s, "static/leak.txt", o.join("secret.txt")),
        true,
    );
}

#[test]
fn serve_refuses_a_link_to_the_process_environment() {
    serve_case(|s, _| link(s, "static/env.txt", "/proc/self/environ"), true);
}

#[test]
fn serve_refuses_a_content_folder_linked_out_of_the_site() {
    serve_case(|s, o| link(s, "content/elsewhere", o.join("folder")), true);
}

#[test]
fn serve_refuses_a_page_that_becomes_a_link_out_of_the_site() {
    serve_case(
        |s, o| {
            link(s, "content/about.md", o.join("secret.md"));
        },
        true,
    );
}

#[test]
fn serve_reports_a_missing_artifact_file_as_check_does() {
    serve_case(
        |s, _| {
            s.remove("artifacts/demo/data.txt");
        },
        true,
    );
}

#[test]
fn serve_reports_a_page_that_is_not_utf8_as_check_does() {
    serve_case(
        |s, _| {
            std::fs::write(
                s.path("content/latin1.md"),
                b"+++\ntitle = \"caf\xe9\"\n+++\n",
            )
            .unwrap();
        },
        true,
    );
}

#[test]
fn serve_reports_lists_nested_past_the_limit_in_a_shortcode_call() {
    serve_case(
        |s, _| page(s, &format!("{{{{ artifact(id={}) }}}}", "[".repeat(20_000))),
        true,
    );
}

#[test]
fn serve_reports_deeply_nested_toml_front_matter() {
    serve_case(
        |s, _| {
            s.write(
                "content/deep.md",
                &format!(
                    "+++\ntitle = \"Deep\"\n[extra]\nx = {}{}\n+++\n",
                    "[".repeat(10_000),
                    "]".repeat(10_000)
                ),
            );
        },
        true,
    );
}

#[test]
fn serve_refuses_site_toml_linked_out_of_the_site() {
    serve_case(
        |s, o| {
            link(s, "site.toml", o.join("secret.txt"));
        },
        true,
    );
}

#[test]
fn serve_renders_a_hundred_thousand_nested_block_quotes() {
    let (server, _) = serve_case(
        |s, _| page(s, &format!("{} deep", ">".repeat(100_000))),
        false,
    );
    eventually(
        || server.get("/hostile/"),
        |p| p.status == 200 && p.body.contains("deep"),
    );
}

#[test]
fn serve_renders_two_hundred_thousand_nested_html_elements() {
    let (server, _) = serve_case(
        |s, _| page(s, &format!("{}bottom", "<div>".repeat(200_000))),
        false,
    );
    eventually(
        || server.get("/hostile/"),
        |p| p.status == 200 && p.body.contains("bottom"),
    );
}

#[test]
fn serve_renders_deeply_nested_css() {
    let (server, _) = serve_case(
        |s, _| {
            page(
                s,
                &format!("<style>{}</style>\n\nstyled", "a{".repeat(100_000)),
            );
        },
        false,
    );
    eventually(
        || server.get("/hostile/"),
        |p| p.status == 200 && p.body.contains("styled"),
    );
}

// --- The commands that write into the site write only there -------------------------------

#[test]
fn artifact_hash_never_rewrites_a_record_outside_the_site() {
    let (site, outside) = base();
    link(&site, "artifacts/evil", outside.join("record"));
    let out = site
        .run(["artifact", "hash", "evil"])
        .fails_with(2)
        .stderr();
    assert_eq!(
        out,
        "error: `artifacts/evil/artifact.toml` leads outside the site's records; nothing was written\n"
    );
    site.run(["artifact", "hash", "../../etc"]).fails_with(2);
    outside.untouched();
}

#[test]
fn new_artifact_never_writes_through_a_linked_records_folder() {
    let (site, outside) = base();
    std::fs::rename(site.path("artifacts"), site.path("records")).unwrap();
    link(&site, "artifacts", outside.join("folder"));
    let out = site.run(["new", "artifact", "foo"]).fails_with(2).stderr();
    assert_eq!(
        out,
        "error: `artifacts` is a link that leads out of the site; nothing was written\n"
    );
    outside.untouched();
}
