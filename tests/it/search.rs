//! Site search: every build writes a sharded index under `search/index/` over its pages,
//! sections, artifacts, run ledgers and failure reports (every word, with its weight; the
//! title, URL, kind and summary shown); a theme with `search.html` also gets the `/search/`
//! page that loads it with a fingerprinted script.

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

fn json(site: &SiteTest, rel: &str) -> serde_json::Value {
    serde_json::from_str(&site.file(&format!("public/search/index/{rel}"))).unwrap()
}

/// The URLs of the documents whose postings list `word`, found as the search script finds
/// them: the shard is the last whose first word is not after it.
fn lookup(site: &SiteTest, word: &str) -> Vec<String> {
    let meta = json(site, "meta.json");
    let firsts: Vec<&str> = meta["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let shard = firsts.iter().rposition(|f| *f <= word).unwrap_or(0);
    let postings = json(site, &format!("t/{shard}.json"));
    let Some(list) = postings[word].as_array() else {
        return vec![];
    };
    let chunk = meta["chunk"].as_u64().unwrap();
    let mut doc = 0;
    list[1..]
        .chunks(2)
        .map(|pair| {
            doc += pair[0].as_u64().unwrap();
            let docs = json(site, &format!("d/{}.json", doc / chunk));
            docs[usize::try_from(doc % chunk).unwrap()][1]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_index_shows_pages_artifacts_and_failure_reports() {
    let site = site();
    site.run(["build"]).succeeds();
    let meta = json(&site, "meta.json");
    let chunks = meta["docs"]
        .as_u64()
        .unwrap()
        .div_ceil(meta["chunk"].as_u64().unwrap());
    let shown: Vec<serde_json::Value> = (0..chunks)
        .flat_map(|i| {
            json(&site, &format!("d/{i}.json"))
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    snapshot("shown", &serde_json::to_string_pretty(&shown).unwrap());
}

#[test]
fn every_word_is_indexed_and_only_the_summary_shown() {
    let site = site();
    site.run(["build"]).succeeds();
    // The last words of a long page, the words of a code block, plural or not, and a title.
    assert_eq!(lookup(&site, "limit"), ["/long/"]);
    assert_eq!(
        lookup(&site, "hidden_code"),
        Vec::<String>::new(),
        "words split at `_`"
    );
    assert_eq!(lookup(&site, "hidden"), ["/notes/"]);
    assert!(lookup(&site, "caveat").contains(&"/notes/".to_owned()));
    assert!(lookup(&site, "nothing-like-this").is_empty());
    let shown = site.file("public/search/index/d/0.json");
    assert!(!shown.contains("hidden_code"), "code is indexed, not shown");
    let meta = json(&site, "meta.json");
    let chunks = meta["docs"]
        .as_u64()
        .unwrap()
        .div_ceil(meta["chunk"].as_u64().unwrap());
    for i in 0..chunks {
        for e in json(&site, &format!("d/{i}.json")).as_array().unwrap() {
            assert!(e[3].as_str().unwrap().chars().count() <= 160, "{e}");
        }
    }
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
    assert!(
        page.contains("data-search-index=\"/search/index/meta.json\""),
        "{page}"
    );
    assert!(page.contains("<title>Search · Failures</title>"), "{page}");
    snapshot("page", article(&page));
}

#[test]
fn a_theme_without_a_search_page_still_gets_the_index() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    assert!(site.exists("public/search/index/meta.json"));
    assert!(site.exists("public/search/index/t/0.json"));
    assert!(!site.exists("public/search/index.html"));
}

#[test]
fn the_index_is_revalidated_not_cached_forever() {
    let site = site();
    site.run(["build"]).succeeds();
    let headers = site.file("public/_headers");
    for path in ["meta.json", "t/0.json", "d/0.json"] {
        assert!(
            headers.contains(&format!(
                "/search/index/{path}\n  Cache-Control: public, max-age=0, must-revalidate"
            )),
            "{headers}"
        );
    }
}
