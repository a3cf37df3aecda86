//! Site search: every build writes `search-index.json` over its pages, sections, artifacts and
//! failure reports (titles, URLs, summaries, the start of the text); a theme with `search.html`
//! also gets the `/search/` page that loads it with a fingerprinted script.

use crate::support::{SiteTest, article, snapshot};

/// The failure reports fixture (reports and artifacts) plus pages with markup to flatten.
fn site() -> SiteTest {
    let site = SiteTest::fixture("failures/valid");
    site.write(
        "content/notes.md",
        "+++\ntitle = \"Notes & caveats\"\ndescription = \"What the runs do not show.\"\n+++\n\
         Scores are *noisy* &amp; small; see <span>this</span>.\n\n\
         ```rust\nlet hidden_code = 1;\n```\n\nThe end.\n",
    );
    site.write(
        "content/long.md",
        &format!(
            "+++\ntitle = \"A long page\"\n+++\n{}\n",
            "Every word of this page is searchable up to a limit. ".repeat(40)
        ),
    );
    site
}

#[test]
fn the_index_lists_pages_artifacts_and_failure_reports() {
    let site = site();
    site.run(["build"]).succeeds();
    let index: serde_json::Value =
        serde_json::from_str(&site.file("public/search-index.json")).unwrap();
    snapshot("index", &serde_json::to_string_pretty(&index).unwrap());
}

#[test]
fn the_text_kept_per_entry_is_bounded() {
    let site = site();
    site.run(["build"]).succeeds();
    let index: serde_json::Value =
        serde_json::from_str(&site.file("public/search-index.json")).unwrap();
    let long = index["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["url"] == "/long/")
        .expect("the long page is indexed");
    let kept = long["summary"].as_str().unwrap().len() + long["text"].as_str().unwrap().len();
    assert!(kept < 600, "{kept} bytes kept of a 2,000-byte page");
    assert!(
        !site
            .file("public/search-index.json")
            .contains("hidden_code")
    );
}

#[test]
fn the_theme_search_page_loads_its_script_with_sri() {
    let site = site();
    site.run(["build"]).succeeds();
    let page = site.file("public/search/index.html");
    let script = site.fingerprinted("public/js/search.js");
    let url = script.trim_start_matches("public");
    assert!(
        page.contains(&format!("<script src=\"{url}\" integrity=\"sha384-")),
        "{page}"
    );
    assert!(page.contains("<title>Search · Failures</title>"), "{page}");
    snapshot("page", article(&page));
}

#[test]
fn a_theme_without_a_search_page_still_gets_the_index() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    assert!(site.exists("public/search-index.json"));
    assert!(!site.exists("public/search"));
}

#[test]
fn the_index_is_revalidated_not_cached_forever() {
    let site = site();
    site.run(["build"]).succeeds();
    let headers = site.file("public/_headers");
    assert!(
        headers.contains("/search-index.json\n  Cache-Control: public, max-age=0, must-revalidate"),
        "{headers}"
    );
}
