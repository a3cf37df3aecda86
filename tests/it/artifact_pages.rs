//! What the site shows of the registry: a page per artifact, its files under content-addressed
//! URLs, filter views, the `artifact` shortcode and the machine-readable mirrors.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::support::{SiteTest, article, snapshot};

/// The artifacts fixture, on the built-in theme (its own `index.html` and `page.html` win).
fn fixture() -> SiteTest {
    let site = SiteTest::fixture("build/artifacts");
    let toml = site.file("site.toml");
    // Not minified, so the assertions read like the templates.
    site.write(
        "site.toml",
        &format!("theme = \"ancapex\"\n{toml}\n[build]\nminify = false\n"),
    );
    site
}

/// The ids of the artifacts a listing links to, in order.
fn listed_ids(html: &str) -> Vec<String> {
    html.split("<h2 class=\"post-title\"><a href=\"/artifacts/")
        .skip(1)
        .map(|rest| rest.split('/').next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_artifact_gets_a_page_with_claim_files_and_links() {
    let site = fixture();
    site.run(["build"]).succeeds();
    for id in [
        "abandoned-model",
        "drafting-memo",
        "forming-report",
        "planned-suite",
        "published-eval",
        "published-unproven",
        "retracted-dataset",
        "review-matrix",
        "superseded-eval",
    ] {
        assert!(
            site.exists(&format!("public/artifacts/{id}/index.html")),
            "{id}"
        );
    }
    snapshot(
        "published-eval",
        article(&site.file("public/artifacts/published-eval/index.html")),
    );
    // Cited by: published-eval links to review-matrix and supersedes superseded-eval.
    let matrix = site.file("public/artifacts/review-matrix/index.html");
    assert!(
        matrix.contains(
            "cited by (evaluates)</span> <a href=\"/artifacts/published-eval/\">Published Eval</a>"
        ),
        "{matrix}"
    );
}

#[test]
fn path_files_are_published_under_their_digest() {
    let site = fixture();
    site.run(["build"]).succeeds();
    let files: Vec<(String, Vec<u8>)> = site
        .tree("public/artifacts")
        .into_iter()
        .filter(|(p, _)| p.contains("/files/"))
        .collect();
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    // drafting-memo's `memo.md` has no digest in its record yet, so it has no immutable URL.
    assert_eq!(
        paths,
        [
            "forming-report/files/d7533c7d669f62113917bf1239070925401106670a6d4a486871d76021d70be6/capacity.csv",
            "published-eval/files/763f88cdb21aa39d64862bf9f6249d9363c97df210714a7c9c3d8994ff347801/scores.json",
            "review-matrix/files/386353b135b10ed87b3659807101e4f8aef12992e3af3e51a1a6faf52f4f1707/matrix.csv",
        ]
    );
    for (path, bytes) in &files {
        let digest = path.split('/').nth(2).unwrap();
        let actual = Sha256::digest(bytes)
            .iter()
            .fold(String::new(), |mut hex, b| {
                let _ = write!(hex, "{b:02x}");
                hex
            });
        assert_eq!(digest, actual, "{path}");
    }
    let page = site.file("public/artifacts/published-eval/index.html");
    assert!(page.contains("<a href=\"/artifacts/published-eval/files/763f88cdb21aa39d64862bf9f6249d9363c97df210714a7c9c3d8994ff347801/scores.json\">scores.json</a>"));
    assert!(
        page.contains(
            "<a href=\"https://blobs.example/published-eval/weights.bin\">weights.bin</a>"
        )
    );
    // One command downloads every file with a digest and checks them.
    assert!(page.contains(
        "curl -fL --create-dirs -o &#39;runs/scores.json&#39; 'https://artifacts.example/artifacts/published-eval/files/763f88cdb21aa39d64862bf9f6249d9363c97df210714a7c9c3d8994ff347801/scores.json'"
    ), "{page}");
    assert!(page.contains(
        "763f88cdb21aa39d64862bf9f6249d9363c97df210714a7c9c3d8994ff347801  runs/scores.json"
    ));
}

/// The command an artifact page gives downloads every file from the site and checks it: run
/// here with curl and sha256sum against the real site served on loopback, and refused once a
/// served file changes.
#[test]
fn the_download_command_fetches_and_checks_every_file() {
    let site = SiteTest::repo_site();
    let base = crate::support::serve_dir(site.path("public"));
    site.run(["build", "--base-url", &base]).succeeds();
    let page = site.file("public/artifacts/run-ledger-template/index.html");
    let pre = &page[page.find("artifact-check").unwrap()..];
    let code = &pre[pre.find("<code>").unwrap() + "<code>".len()..pre.find("</code>").unwrap()];
    let command = code
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let run = || {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("bash")
            .args(["-c", &command])
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(
        run(),
        (
            true,
            "template/README.md: OK\ntemplate/ledger.toml: OK\n".to_owned()
        ),
        "{command}"
    );
    // A file changed where it is served fails the check.
    let served = site.path("public/artifacts/run-ledger-template/files");
    let readme = walkdir::WalkDir::new(&served)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == "README.md")
        .unwrap();
    std::fs::write(readme.path(), "changed\n").unwrap();
    let (ok, out) = run();
    assert!(!ok, "{out}");
    assert!(out.contains("template/README.md: FAILED"), "{out}");
}

#[test]
fn a_script_in_a_summary_or_claim_comes_out_escaped() {
    let site = fixture();
    let path = "artifacts/planned-suite/artifact.toml";
    let record = site.file(path).replace(
        "summary = \"announced, nothing to show yet\"\nclaim   = \"the suite separates models that differ by five points\"",
        "summary = \"<script>alert(1)</script> summary\"\nclaim   = \"<script>alert(2)</script> *claim*\"",
    );
    assert!(record.contains("alert(2)"));
    site.write(path, &record);
    site.run(["build"]).succeeds();
    for page in [
        "public/artifacts/planned-suite/index.html",
        "public/artifacts/status/planned/index.html",
    ] {
        let text = site.file(page);
        assert!(!text.contains("<script>"), "{page}\n{text}");
    }
    let page = site.file("public/artifacts/planned-suite/index.html");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt; summary"),
        "{page}"
    );
    // The claim is markdown whose raw HTML (here the whole line) is shown as text.
    assert!(
        page.contains("&lt;script&gt;alert(2)&lt;/script&gt; *claim*"),
        "{page}"
    );
}

#[test]
fn filter_pages_list_the_right_records() {
    let site = fixture();
    site.run(["build"]).succeeds();
    for (url, ids) in [
        (
            "status/published",
            &["published-eval", "published-unproven"][..],
        ),
        ("status/planned", &["planned-suite"]),
        (
            "kind/eval-suite",
            &["planned-suite", "published-eval", "superseded-eval"],
        ),
        ("kind/matrix", &["review-matrix"]),
        ("phase/2", &["planned-suite"]),
    ] {
        let html = site.file(&format!("public/artifacts/{url}/index.html"));
        assert_eq!(listed_ids(&html), ids, "{url}");
        assert!(
            html.contains(&format!("href=\"/artifacts/{url}/\" aria-current=\"page\"")),
            "{url}"
        );
    }
    // No view for what no record has.
    assert!(!site.exists("public/artifacts/status/review-ready"));
    assert!(!site.exists("public/artifacts/kind/checkpoint"));
    assert!(!site.exists("public/artifacts/phase/1"));
}

#[test]
fn the_artifact_shortcode_renders_a_card_and_an_unknown_id_fails() {
    let site = fixture();
    site.write(
        "content/card.md",
        "+++\ntitle = \"Card\"\n+++\n{{ artifact(id=\"published-eval\") }}\n",
    );
    site.run(["build"]).succeeds();
    let html = site.file("public/card/index.html");
    assert!(
        html.contains("<h3 class=\"artifact-card-title\"><a href=\"/artifacts/published-eval/\">Published Eval</a></h3><p class=\"artifact-meta\"><span class=\"artifact-version\">v2.0.0</span> <span class=\"badge status-published\">published</span> <span class=\"verdict verdict-supported\">supported</span></p>"),
        "{html}"
    );

    site.write(
        "content/card.md",
        "+++\ntitle = \"Card\"\n+++\n{{ artifact(id=\"published-evl\") }}\n",
    );
    let stderr = site.run(["build"]).fails_with(1).stderr();
    assert!(
        stderr.contains("`get_artifact`: no artifact `published-evl` in `artifacts/`; did you mean `published-eval`?"),
        "{stderr}"
    );
    assert!(stderr.contains("content/card.md"), "{stderr}");
}

#[test]
fn records_are_mirrored_as_json_and_in_toto_statements() {
    let site = fixture();
    site.run(["build"]).succeeds();
    snapshot(
        "artifact.json",
        &site.file("public/artifacts/published-eval/artifact.json"),
    );
    snapshot(
        "intoto",
        &site.file("public/artifacts/published-eval/2.0.0.intoto.json"),
    );
    let index: serde_json::Value =
        serde_json::from_str(&site.file("public/artifacts/index.json")).unwrap();
    let ids: Vec<&str> = index["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 9);
    assert!(ids.is_sorted());
    // The same records give the same bytes.
    let again = fixture();
    again.run(["build"]).succeeds();
    assert_eq!(
        site.bytes("public/artifacts/index.json"),
        again.bytes("public/artifacts/index.json")
    );
}

#[test]
fn the_artifact_feed_has_one_entry_per_record_newest_first() {
    let site = fixture().env("SOURCE_DATE_EPOCH", "0");
    site.run(["build"]).succeeds();
    snapshot("atom", &site.file("public/artifacts/atom.xml"));
}

/// Each record is citable: `CITATION.cff` (CFF 1.2.0) and a BibTeX entry beside its page,
/// the entry shown in a cite box; TeX's specials escaped, a licence expression left out of the
/// CFF (it takes one SPDX id), the newest date as the year.
#[test]
fn every_artifact_can_be_cited_as_cff_and_bibtex() {
    let site = fixture();
    site.replace(
        "artifacts/published-eval/artifact.toml",
        "title   = \"Published Eval\"",
        "title   = \"Published Eval: 100% of {runs} & more\"",
    );
    site.run(["build"]).succeeds();
    let cff: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&site.file("public/artifacts/published-eval/CITATION.cff"))
            .unwrap();
    assert_eq!(cff["cff-version"], "1.2.0");
    assert_eq!(cff["title"], "Published Eval: 100% of {runs} & more");
    assert_eq!(cff["version"], "2.0.0");
    assert_eq!(cff["date-released"], "2026-10-15");
    assert_eq!(cff["type"], "dataset");
    assert_eq!(
        cff["url"],
        "https://artifacts.example/artifacts/published-eval/"
    );
    assert_eq!(cff["authors"][0]["name"], "Ada Fixture");
    assert_eq!(cff["authors"][1]["name"], "Rex Reviewer");
    assert!(
        cff.get("license").is_none(),
        "an SPDX expression is not a CFF licence"
    );
    let bib = site.file("public/artifacts/published-eval/citation.bib");
    assert_eq!(
        bib,
        "@misc{ancapex:published-eval:2.0.0,\n  title = {Published Eval: 100\\% of \\{runs\\} \\& more},\n  author = {{Ada Fixture} and {Rex Reviewer}},\n  year = {2026},\n  version = {2.0.0},\n  howpublished = {\\url{https://artifacts.example/artifacts/published-eval/}},\n  url = {https://artifacts.example/artifacts/published-eval/},\n  note = {evaluation suite, version 2.0.0}\n}\n"
    );
    let page = site.file("public/artifacts/published-eval/index.html");
    assert!(
        page.contains(
            "<pre class=\"artifact-check artifact-cite\" tabindex=\"0\"><code>@misc{ancapex:published-eval:2.0.0,"
        ),
        "{page}"
    );
    assert!(page.contains("<a href=\"/artifacts/published-eval/citation.bib\">citation.bib</a>"));
    assert!(page.contains("<a href=\"/artifacts/published-eval/CITATION.cff\">CITATION.cff</a>"));
}

/// An artifact's `README.md` is its card: rendered like a page (shortcodes, links checked at
/// their place), a leading YAML block (a Hugging Face card's metadata) left out, shown on its
/// page and nowhere in its machine-readable record.
#[test]
fn a_readme_is_the_artifact_card_rendered_like_a_page() {
    let site = fixture();
    site.write(
        "artifacts/published-eval/README.md",
        "---\nlicense: cc-by-4.0\n---\n# Published Eval\n\nScores that **reproduce**; see [the suite](/artifacts/planned-suite/).\n",
    );
    site.run(["build"]).succeeds();
    let page = site.file("public/artifacts/published-eval/index.html");
    let card = &page[page.find("artifact-card-body").unwrap()..];
    let card = &card[..card.find("</section>").unwrap()];
    assert!(
        card.contains("<p>Scores that <strong>reproduce</strong>; see <a href=\"/artifacts/planned-suite/\">the suite</a>.</p>"),
        "{card}"
    );
    assert!(!card.contains("license:"), "{card}");
    assert!(
        !site
            .file("public/artifacts/published-eval/artifact.json")
            .contains("Scores that")
    );

    // A broken link in a card is an error at its place, as in any page.
    site.write(
        "artifacts/published-eval/README.md",
        "# Published Eval\n\nSee [nothing](/nowhere/).\n",
    );
    let err = site.run(["build"]).fails_with(1).stderr();
    assert!(
        err.contains("broken link: nothing is published at `/nowhere/`"),
        "{err}"
    );
    assert!(
        err.contains("artifacts/published-eval/README.md:3:5"),
        "{err}"
    );
}
