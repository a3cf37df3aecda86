//! Building whole sites: the `build/basic` fixture feature by feature, atomic output,
//! determinism, and the repository's real site.

use crate::support::{self, SiteTest, assert_same_tree, snapshot};

fn basic() -> SiteTest {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    site
}

#[test]
fn basic_site_builds_every_page_section_and_generated_file() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds().stdout_snapshot();
    let files: Vec<String> = site.tree("public").into_keys().collect();
    snapshot("files", &files.join("\n"));
}

#[test]
fn homepage_lists_root_pages_by_weight_then_title() {
    let site = basic();
    snapshot("index.html", &site.file("public/index.html"));
}

#[test]
fn section_sorts_by_date_and_paginates() {
    let site = basic();
    snapshot("blog", &site.file("public/blog/index.html"));
    snapshot("blog-page-2", &site.file("public/blog/page/2/index.html"));
    assert!(!site.exists("public/blog/page/3"));
}

#[test]
fn nested_section_sorts_by_title() {
    let site = basic();
    snapshot("tutorials", &site.file("public/blog/tutorials/index.html"));
}

#[test]
fn markdown_features_render_and_links_are_rewritten() {
    let site = basic();
    snapshot("tour", &site.file("public/blog/tour/index.html"));
}

#[test]
fn code_blocks_are_highlighted_with_classes_and_shortcodes_run_outside_code() {
    let site = basic();
    let html = site.file("public/blog/tutorials/code/index.html");
    assert!(
        !html.contains("style="),
        "inline styles break the CSP:\n{html}"
    );
    snapshot("code", &html);
}

#[test]
fn page_without_front_matter_takes_its_title_from_the_first_heading() {
    let site = basic();
    let html = site.file("public/about/index.html");
    assert_eq!(html.matches("About this fixture").count(), 2, "{html}");
    snapshot("about", &html);
}

#[test]
fn yaml_front_matter_keeps_unknown_keys_in_extra() {
    let site = basic();
    snapshot("yaml-page", &site.file("public/yaml-page/index.html"));
}

#[test]
fn page_bundle_assets_are_copied_next_to_the_page() {
    let site = basic();
    assert_eq!(
        site.bytes("public/blog/photos/pixel.png"),
        site.bytes("content/blog/photos/pixel.png")
    );
    assert!(!site.exists("public/blog/photos/index.md"));
    snapshot("photos", &site.file("public/blog/photos/index.html"));
}

#[test]
fn summary_stops_at_the_more_marker() {
    let site = basic();
    snapshot("first", &site.file("public/blog/first/index.html"));
}

#[test]
fn slug_and_path_move_pages() {
    let site = basic();
    assert!(site.exists("public/blog/second-post/index.html"));
    assert!(!site.exists("public/blog/second"));
    assert!(site.exists("public/elsewhere/moved-here/index.html"));
    assert!(!site.exists("public/moved"));
}

#[test]
fn aliases_get_a_redirect_page_and_a_redirects_line() {
    let site = basic();
    snapshot("_redirects", &site.file("public/_redirects"));
    snapshot("old-first", &site.file("public/old/first/index.html"));
    assert_eq!(
        site.file("public/first-post.html"),
        site.file("public/old/first/index.html")
    );
}

#[test]
fn machine_read_files_list_the_site() {
    let site = basic();
    snapshot("sitemap.xml", &site.file("public/sitemap.xml"));
    snapshot(
        "atom.xml",
        &without_entry_content(&site.file("public/atom.xml")),
    );
    snapshot("robots.txt", &site.file("public/robots.txt"));
    snapshot("404.html", &site.file("public/404.html"));
    let css = site.file(&site.fingerprinted("public/css/syntax.css"));
    assert!(css.contains(".z-"), "{css}");
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = basic();
    assert!(!site.exists("public/blog/draft"));
    for file in [
        "public/blog/index.html",
        "public/atom.xml",
        "public/sitemap.xml",
    ] {
        assert!(!site.file(file).contains("draft"), "{file}");
    }
    site.run(["build", "--drafts"]).succeeds();
    assert!(
        site.file("public/blog/draft/index.html")
            .contains("Unfinished")
    );
    assert!(site.file("public/blog/index.html").contains("/blog/draft/"));
    assert!(site.file("public/sitemap.xml").contains("/blog/draft/"));
}

#[test]
fn base_url_and_output_dir_can_be_overridden() {
    let site = SiteTest::fixture("build/basic");
    let out = site.path("elsewhere/out");
    site.run([
        "build".as_ref(),
        "--base-url".as_ref(),
        "http://127.0.0.1:1111/".as_ref(),
        "--output-dir".as_ref(),
        out.as_os_str(),
    ])
    .succeeds();
    assert!(!site.exists("public"));
    let html = std::fs::read_to_string(out.join("blog/first/index.html")).unwrap();
    assert!(
        html.contains("permalink http://127.0.0.1:1111/blog/first/;"),
        "{html}"
    );
}

#[test]
fn check_reports_success_and_writes_nothing() {
    let site = SiteTest::fixture("build/basic");
    site.run(["check"]).succeeds().stdout_snapshot();
    assert!(!site.exists("public"));
}

#[test]
fn failed_build_leaves_the_previous_output_untouched_and_a_good_one_leaves_nothing_stale() {
    let site = SiteTest::fixture("build/basic");
    site.run(["build"]).succeeds();
    let before = site.tree("public");
    assert!(before.contains_key("blog/second-post/index.html"));

    let tour = site.file("content/blog/tour.md");
    site.write(
        "content/blog/tour.md",
        &tour.replace("@/blog/first.md#intro", "@/blog/nowhere.md"),
    );
    site.run(["build"]).fails_with(1);
    assert_same_tree(&before, &site.tree("public"));
    assert_no_leftovers(&site);
    site.write("content/blog/tour.md", &tour);

    // A build that fails once it has written changed pages (every page is changed, one fails
    // to render) leaves none of them, nor any file of its own, in or beside the output.
    let template = site.file("templates/page.html");
    site.write(
        "templates/page.html",
        &template.replace(
            "<body>",
            "<body><p>changed</p>{% if page.title == \"About this fixture\" %}{{ nowhere.at_all }}{% endif %}",
        ),
    );
    site.run(["build"]).fails_with(1);
    assert_same_tree(&before, &site.tree("public"));
    assert_no_leftovers(&site);
    site.write("templates/page.html", &template);

    site.remove("content/yaml-page.md");
    site.run(["build"]).succeeds();
    let after = site.tree("public");
    assert!(!after.contains_key("yaml-page/index.html"));
    assert!(after.contains_key("blog/tour/index.html"));
    assert_no_leftovers(&site);

    // Whatever the output stage reused from earlier builds, the result is a fresh build's.
    let fresh = SiteTest::fixture("build/basic");
    fresh.remove("content/yaml-page.md");
    fresh.run(["build"]).succeeds();
    assert_same_tree(&fresh.tree("public"), &after);
}

#[test]
fn rebuilds_after_changes_equal_fresh_builds() {
    let site = SiteTest::fixture("build/basic");
    let fresh = |edit: &dyn Fn(&SiteTest)| {
        let f = SiteTest::fixture("build/basic");
        edit(&f);
        f.run(["build"]).succeeds();
        f.tree("public")
    };
    let edits: [&dyn Fn(&SiteTest); 3] = [
        &|s| {
            s.write(
                "content/blog/second.md",
                "+++\ntitle = \"Second, edited\"\ndate = 2026-02-01\n+++\nNew words.\n",
            );
        },
        &|s| {
            s.remove("content/blog/photos/pixel.png");
            s.write(
                "content/blog/photos/index.md",
                "+++\ntitle = \"Photos\"\n+++\nNo picture now.\n",
            );
        },
        &|s| {
            // A file where a folder (`old/first/index.html`) was.
            let first = s.file("content/blog/first.md");
            s.write(
                "content/blog/first.md",
                &first.replace("aliases = [\"/old/first/\", ", "aliases = ["),
            );
            s.write("static/old/first", "a file now\n");
        },
    ];
    let mut applied: Vec<&dyn Fn(&SiteTest)> = vec![];
    site.run(["build"]).succeeds();
    for edit in edits {
        edit(&site);
        applied.push(edit);
        site.run(["build"]).succeeds();
        let expected = fresh(&|f| applied.iter().for_each(|e| e(f)));
        assert_same_tree(&expected, &site.tree("public"));
    }
}

/// No staging folder, nor anything set aside, is left next to public/.
fn assert_no_leftovers(site: &SiteTest) {
    let names: Vec<String> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in &names {
        assert!(
            !name.starts_with(".public."),
            "`{name}` was left next to public/: {names:?}"
        );
    }
}

/// Sets every file's modification time to a fixed moment far from now.
fn touch_all(dir: &std::path::Path) {
    let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            touch_all(&path);
        } else {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
    }
}

fn builds_the_same_twice(first: &SiteTest, second: SiteTest) {
    touch_all(second.root());
    let second = second.env("RAYON_NUM_THREADS", "1");
    first.run(["build"]).succeeds();
    second.run(["build"]).succeeds();
    assert_same_tree(&first.tree("public"), &second.tree("public"));
}

#[test]
fn same_fixture_builds_byte_identical_in_two_places() {
    builds_the_same_twice(
        &SiteTest::fixture("build/basic"),
        SiteTest::fixture("build/basic"),
    );
}

#[test]
fn real_site_builds_byte_identical_in_two_places() {
    builds_the_same_twice(&SiteTest::repo_site(), SiteTest::repo_site());
}

/// The real site, built into its `out/`.
fn real_site_built() -> (SiteTest, std::path::PathBuf) {
    let site = SiteTest::repo_site();
    let out = site.path("out");
    site.run(["build".as_ref(), "--output-dir".as_ref(), out.as_os_str()])
        .succeeds();
    (site, out)
}

#[test]
fn real_site_homepage_shows_the_whole_homepage_text() {
    let (_site, out) = real_site_built();
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let text = support::visible_text(&html);
    let expected = std::fs::read_to_string(support::fixture_path("ancapex-homepage.txt")).unwrap();
    let missing: Vec<String> = expected
        .lines()
        .map(support::collapse)
        .filter(|l| !l.is_empty() && !text.contains(l.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the homepage lacks these lines:\n{}\n--- its text\n{text}",
        missing.join("\n")
    );
    for page in ["manifesto", "roadmap", "principles"] {
        let html = std::fs::read_to_string(out.join(page).join("index.html"))
            .unwrap_or_else(|e| panic!("/{page}/: {e}"));
        assert!(html.contains("<h1"), "/{page}/ has no heading");
    }
}

#[test]
fn real_site_pages_show_no_markup_as_text() {
    let (_site, out) = real_site_built();
    let mut pages = 0;
    for (path, bytes) in support::tree(&out) {
        if !path.ends_with(".html") {
            continue;
        }
        pages += 1;
        let text = support::visible_text(&String::from_utf8(bytes).unwrap());
        // A tag in the visible text is markup that was escaped: `<` then a letter or `/`.
        let shown = text.match_indices('<').find(|(i, _)| {
            text[i + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
        });
        if let Some((i, _)) = shown {
            let near: String = text[i..].chars().take(60).collect();
            panic!("{path} shows markup as text: {near}");
        }
    }
    assert!(pages > 20, "{pages} pages");
}

#[test]

fn draft_bundle_files_are_not_published() {
    let site = SiteTest::fixture("build/basic");
    site.write(
        "content/blog/secret/index.md",
        "+++\ntitle = \"Secret\"\ndraft = true\n+++\nNot yet.\n",
    );
    site.write("content/blog/secret/plan.txt", "the secret plan\n");
    site.run(["build"]).succeeds();
    let files: Vec<String> = site.tree("public").into_keys().collect();
    assert!(
        !files.iter().any(|f| f.contains("secret")),
        "a draft's files were published: {files:?}"
    );
}

/// The feed with each entry's `<content>` replaced by `[CONTENT]` (checked on its own below).
fn without_entry_content(feed: &str) -> String {
    let open = "<content type=\"html\"";
    let mut out = String::new();
    let mut rest = feed;
    while let Some(i) = rest.find(open) {
        let body = rest[i..].find('>').expect("content tag") + i + 1;
        let end = rest[i..].find("</content>").expect("closed content") + i;
        out.push_str(&rest[..body]);
        out.push_str("[CONTENT]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The unescaped `<content>` of the feed entry whose link is `url`.
fn feed_content(feed: &str, url: &str) -> String {
    let entry = feed
        .split("<entry>")
        .find(|e| e.contains(&format!("<id>{url}</id>")))
        .unwrap_or_else(|| panic!("no entry for {url}"));
    let open = "<content type=\"html\"";
    let at = entry.find(open).unwrap();
    let start = at + entry[at..].find('>').unwrap() + 1;
    let end = entry.find("</content>").unwrap();
    entry[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn the_feed_keeps_the_newest_pages_up_to_its_limit_newest_first_ties_by_path() {
    let site = SiteTest::fixture("build/basic");
    let toml = site
        .file("site.toml")
        .replace("[build]\n", "[build]\nfeed_limit = 3\n");
    site.write("site.toml", &toml);
    // Same date as `tour.md`: the tie goes to the path that sorts first.
    site.write(
        "content/blog/also.md",
        "+++\ntitle = \"Also\"\ndate = 2026-03-01\n+++\nAlso.\n",
    );
    site.run(["build"]).succeeds();
    let feed = site.file("public/atom.xml");
    let ids: Vec<&str> = feed
        .split("<entry>")
        .skip(1)
        .map(|e| {
            let start = e.find("<id>").unwrap() + 4;
            &e[start..start + e[start..].find("</id>").unwrap()]
        })
        .collect();
    assert_eq!(
        ids,
        [
            "https://fixture.example/blog/also/",
            "https://fixture.example/blog/tour/",
            "https://fixture.example/blog/second-post/",
        ]
    );
}

#[test]
fn feed_entries_hold_the_summary_or_the_whole_page() {
    let site = basic();
    let feed = site.file("public/atom.xml");
    assert_eq!(
        feed_content(&feed, "https://fixture.example/blog/first/"),
        "<p>The summary of the first post.</p>\n"
    );
    let tour = feed_content(&feed, "https://fixture.example/blog/tour/");
    let page = site.file("public/blog/tour/index.html");
    assert!(
        page.contains(&tour),
        "the feed holds the page's whole content:\n{tour}"
    );
    assert!(
        tour.contains("<a href=\"/blog/first/#intro\">the intro</a>"),
        "{tour}"
    );
}

#[test]

fn feed_entries_have_no_page_relative_urls() {
    let site = basic();
    let feed = site.file("public/atom.xml");
    for url in [
        "https://fixture.example/blog/photos/",
        "https://fixture.example/blog/tour/",
    ] {
        let content = feed_content(&feed, url);
        let has_base = feed.contains(&format!("xml:base=\"{url}\""));
        for attr in content.split(['"']).collect::<Vec<_>>().windows(2) {
            let (before, value) = (attr[0], attr[1]);
            if before.ends_with("href=") || before.ends_with("src=") {
                assert!(
                    has_base || value.starts_with('/') || value.contains("://"),
                    "`{value}` in the entry for {url} is relative to the page, not the feed"
                );
            }
        }
    }
}

fn word_counts() -> SiteTest {
    let site = SiteTest::fixture("build/basic");
    site.write("templates/page.html", "{{ page.word_count }}");
    site.run(["build"]).succeeds();
    site
}

#[test]
fn word_count_counts_the_body() {
    let site = word_counts();
    assert_eq!(site.file("public/blog/first/index.html"), "13");
    assert_eq!(site.file("public/yaml-page/index.html"), "9");
}

#[test]

fn word_count_leaves_out_the_heading_taken_as_title() {
    let site = word_counts();
    // 20 + 1 (`Contact`) + 3 (`Write to us.`); `About this fixture` is the title, not the body.
    assert_eq!(site.file("public/about/index.html"), "24");
}

#[test]
fn syntax_stylesheet_comes_from_the_theme_unless_the_site_names_one() {
    let site = SiteTest::fixture("build/basic");
    site.write(
        "themes/lab/theme.toml",
        "name = \"lab\"\n[highlight]\ndark = \"InspiredGitHub\"\nlight = \"base16-ocean.light\"\n",
    );
    let config = site.file("site.toml");
    site.write(
        "site.toml",
        &config.replacen("[build]", "theme = \"lab\"\n[build]", 1),
    );
    site.run(["build"]).succeeds();
    let css = site.file(&site.fingerprinted("public/css/syntax.css"));
    // syntect's InspiredGitHub names itself "GitHub".
    assert!(css.starts_with("/*\n * theme \"GitHub\""), "{css}");
    assert!(
        css.contains("@media (prefers-color-scheme: light) {\n/*\n * theme \"Base16 Ocean Light\""),
        "{css}"
    );

    let config = site.file("site.toml");
    site.write(
        "site.toml",
        &config.replacen(
            "[build]",
            "[markdown]\nhighlight_theme = \"Solarized (dark)\"\n[build]",
            1,
        ),
    );
    site.run(["build"]).succeeds();
    assert!(
        site.file(&site.fingerprinted("public/css/syntax.css"))
            .starts_with("/*\n * theme \"Solarized (dark)\"")
    );
}

#[test]
fn unknown_theme_highlight_is_reported_in_theme_toml() {
    let site = SiteTest::fixture("build/basic");
    site.write(
        "themes/lab/theme.toml",
        "[highlight]\ndark = \"base16-ocean.drak\"\n",
    );
    let config = site.file("site.toml");
    site.write(
        "site.toml",
        &config.replacen("[build]", "theme = \"lab\"\n[build]", 1),
    );
    let err = site.run(["build"]).fails_with(1).stderr();
    assert!(
        err.contains(
            "error: unknown highlight theme `base16-ocean.drak`\n --> themes/lab/theme.toml:2:8"
        ),
        "{err}"
    );
    assert!(
        err.contains("help: did you mean `base16-ocean.dark`?"),
        "{err}"
    );
}

#[test]
fn rebuilding_unchanged_sources_writes_no_file() {
    use std::os::unix::fs::MetadataExt;
    // The output is updated in place: a file whose bytes did not change is left as it is.
    let site = basic();
    let inodes = |s: &SiteTest| -> std::collections::BTreeMap<String, u64> {
        s.tree("public")
            .keys()
            .map(|k| {
                let meta = std::fs::metadata(s.root().join("public").join(k)).unwrap();
                (k.clone(), meta.ino())
            })
            .collect()
    };
    let first = inodes(&site);
    let second = site.run(["build"]).succeeds().stdout();
    assert!(second.contains("31 files (31 unchanged)"), "{second}");
    assert_eq!(first, inodes(&site), "the second build wrote files");
    let third = site.run(["build", "--no-cache"]).succeeds().stdout();
    assert!(third.contains("31 files (31 unchanged)"), "{third}");
    assert_eq!(first, inodes(&site), "the third build wrote files");

    // A change replaces the file, never writes through it: a hard link to the old one (as a
    // server or an upload holding it open would see it) keeps its bytes.
    let before = site.file("public/about/index.html");
    std::fs::hard_link(site.path("public/about/index.html"), site.path("held.html")).unwrap();
    site.write(
        "content/about.md",
        &site.file("content/about.md").replace("About", "About us"),
    );
    let fourth = site.run(["build"]).succeeds().stdout();
    assert!(
        !fourth.contains("(31 unchanged)") && fourth.contains(" unchanged)"),
        "{fourth}"
    );
    assert!(site.file("public/about/index.html").contains("About us"));
    assert_eq!(site.file("held.html"), before);
    let fourth = inodes(&site);
    let replaced: Vec<_> = first
        .iter()
        .filter(|(path, ino)| fourth.get(*path) != Some(*ino))
        .map(|(path, _)| path.as_str())
        .collect();
    assert!(replaced.contains(&"about/index.html"), "{replaced:?}");
    assert!(replaced.len() < first.len() / 2, "{replaced:?}");
    assert_no_leftovers(&site);
}

#[test]
fn templates_see_every_body_where_they_list_it() {
    // Bodies are held packed and added per output: a page, an unpaginated listing, a
    // paginator, `get_page` and `get_section` each get them; a paginated section's own
    // `pages` list leaves them out (each listing page would otherwise unpack the section).
    let site = SiteTest::empty();
    site.write(
        "site.toml",
        "title = \"T\"\nbase_url = \"https://e.org\"\n[build]\nminify = false\n",
    )
    .write("content/_index.md", "+++\ntitle = \"Home\"\n+++\nHome body.\n")
    .write(
        "content/a/_index.md",
        "+++\ntitle = \"A\"\npaginate_by = 1\n+++\nA body.\n",
    )
    .write("content/a/one.md", "+++\ntitle = \"One\"\nweight = 1\n+++\nOne body.\n")
    .write("content/a/two.md", "+++\ntitle = \"Two\"\nweight = 2\n+++\nTwo body.\n")
    .write("content/b.md", "+++\ntitle = \"B\"\n+++\nB body.\n")
    .write(
        "templates/page.html",
        "{% set one = get_page(path=\"a/one.md\") %}{% set a = get_section(path=\"a/_index.md\") %}\
         page[{{ page.content }}] get_page[{{ one.content }}] \
         get_section[{% for p in a.pages %}{{ p.content }}{% endfor %}]",
    )
    .write(
        "templates/section.html",
        "own[{{ section.content }}] pages[{% for p in section.pages %}{{ p.content | default(value=\"none\") }};{% endfor %}] \
         pager[{% for p in paginator.pages %}{{ p.content }}{% endfor %}]",
    )
    .write(
        "templates/index.html",
        "own[{{ section.content }}] pages[{% for p in section.pages %}{{ p.content }}{% endfor %}]",
    );
    site.run(["build"]).succeeds();
    let squash = |s: String| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" ]", "]")
    };
    assert_eq!(
        squash(site.file("public/b/index.html")),
        "page[<p>B body.</p>] get_page[<p>One body.</p>] get_section[<p>One body.</p> <p>Two body.</p>]"
    );
    assert_eq!(
        squash(site.file("public/index.html")),
        "own[<p>Home body.</p>] pages[<p>B body.</p>]"
    );
    assert_eq!(
        squash(site.file("public/a/page/2/index.html")),
        "own[<p>A body.</p>] pages[none;none;] pager[<p>Two body.</p>]"
    );
}

/// The sitemap lists the records' pages with the documents (every artifact page, each run's
/// first page and the index of runs, the failure reports' index), not their filtered lists;
/// every page names the site's feed, and the artifact pages the registry's.
#[test]
fn the_sitemap_lists_the_records_pages_and_the_feeds_are_linked() {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    let sitemap = site.file("public/sitemap.xml");
    let locs: Vec<&str> = sitemap
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<loc>https://ancapex.org"))
        .map(|l| l.trim_end_matches("</loc>"))
        .collect();
    for page in [
        "/",
        "/artifacts/",
        "/artifacts/eval-suite/",
        "/artifacts/run-ledger-template/",
        "/ledgers/",
        "/ledgers/model-run-1/",
        "/failures/",
        "/manifesto/",
    ] {
        assert!(
            locs.contains(&page),
            "{page} is not in the sitemap: {locs:?}"
        );
    }
    assert!(
        !locs.iter().any(|l| l.starts_with("/artifacts/status/")),
        "{locs:?}"
    );
    let mut sorted = locs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, locs, "in order, each once");
    // Every listed page is built.
    for l in &locs {
        assert!(site.exists(&format!("public{l}index.html")), "{l}");
    }
    let home = site.file("public/index.html");
    assert!(home.contains(r#"<link title="Ancapex Research" href=/atom.xml rel=alternate type=application/atom+xml>"#), "feed");
    assert!(
        !home.contains("/artifacts/atom.xml"),
        "the registry's feed is named where it lists"
    );
    let artifact = site.file("public/artifacts/eval-suite/index.html");
    assert!(artifact.contains("href=/artifacts/atom.xml rel=alternate type=application/atom+xml>"));
}

/// The contact form names the lab's address as text either way; without an endpoint it says
/// the button opens the mail client, with one it posts there and keeps the "Signal received."
/// panel (with its reference) that the endpoint's redirect to `#signal-received` shows.
#[test]
fn the_contact_form_says_where_a_message_goes() {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    let page = site.file("public/work-with-us/index.html");
    assert!(
        page.contains("action=mailto:contact@ancapex.org"),
        "mailto without an endpoint"
    );
    assert!(
        page.contains("Sending opens your mail client with a message to <a href=mailto:contact@ancapex.org>contact@ancapex.org</a>; nothing is sent from this page."),
        "the address as text"
    );
    site.replace(
        "site.toml",
        "action = \"\"",
        "action = \"https://forms.example/ancapex\"",
    );
    site.run(["build"]).succeeds();
    let page = site.file("public/work-with-us/index.html");
    assert!(page.contains("action=https://forms.example/ancapex"));
    assert!(
        page.contains("Or write to <a href=mailto:contact@ancapex.org>contact@ancapex.org</a>.")
    );
    assert!(!page.contains("opens your mail client"));
    let panel = &page[page.find("id=signal-received").unwrap()..];
    assert!(panel.contains("Signal received."), "{panel}");
    assert!(panel.contains("REF · —"), "{panel}");
}

/// Every page carries the site's social card (`extra.og_image`, a file of static/) under its
/// fingerprinted name, with its description, for readers that show a picture beside a link.
#[test]
fn every_page_carries_the_social_card() {
    let site = SiteTest::repo_site();
    site.run(["build"]).succeeds();
    for page in [
        "public/index.html",
        "public/manifesto/index.html",
        "public/artifacts/eval-suite/index.html",
        "public/ledgers/model-run-1/index.html",
    ] {
        let html = site.file(page);
        let start = html
            .find("content=https://ancapex.org/img/og-card.")
            .unwrap_or_else(|| panic!("{page}"));
        let url = &html[start + "content=https://ancapex.org".len()..];
        let url = &url[..url.find(' ').unwrap()];
        assert!(site.exists(&format!("public{url}")), "{page}: {url}");
        assert!(html.contains("property=og:image:alt>"), "{page}");
        assert!(
            html.contains("<meta content=summary_large_image name=twitter:card>"),
            "{page}"
        );
    }
}

#[test]
fn the_site_is_citable_and_its_own_citation_file_wins() {
    let site = basic();
    let cff = site.file("public/CITATION.cff");
    let title = site
        .file("site.toml")
        .lines()
        .find_map(|l| l.strip_prefix("title = "))
        .map(|t| t.trim_matches('"').to_owned())
        .unwrap();
    assert!(cff.starts_with("cff-version: 1.2.0\n"), "{cff}");
    assert!(cff.contains(&format!("title: {title}\n")), "{cff}");
    assert!(
        cff.contains(&format!("authors:\n- name: {title}\n")),
        "{cff}"
    );
    // The fixture is not a git checkout and no SOURCE_DATE_EPOCH is set: no date is known, and
    // none is made up.
    assert!(!cff.contains("date-released"), "{cff}");
    assert!(!site.file("public/citation.bib").contains("year ="));
    let bib = site.file("public/citation.bib");
    assert!(
        bib.starts_with(&format!("@misc{{ancapex:site,\n  title = {{{title}}},")),
        "{bib}"
    );

    // A site with its own `CITATION.cff` (as a repository has) publishes it, and no clash.
    let own = "cff-version: 1.2.0\nmessage: Cite our paper.\ntitle: Ours\nauthors:\n- name: Us\n";
    site.write("static/CITATION.cff", own);
    site.run(["build"]).succeeds();
    assert_eq!(site.file("public/CITATION.cff"), own);
    assert_eq!(site.file("public/citation.bib"), bib);
}
