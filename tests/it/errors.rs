//! Mistakes in content, templates and config: each reported at its file:line:col, with the
//! exit code saying whose fault it is (1 content, 2 config).

use crate::support::SiteTest;

fn fails(fixture: &str, code: i32) {
    SiteTest::fixture(fixture)
        .run(["build"])
        .fails_with(code)
        .stderr_snapshot();
}

#[test]
fn broken_internal_links_point_at_the_link() {
    fails("invalid/broken_links", 1);
}

#[test]
fn broken_links_fail_check_too() {
    let site = SiteTest::fixture("invalid/broken_links");
    let check = site.run(["check"]).fails_with(1).stderr();
    let build = site.run(["build"]).fails_with(1).stderr();
    assert_eq!(check, build);
    assert!(!site.exists("public"));
}

#[test]
fn wrongly_typed_front_matter_value_points_at_the_value() {
    fails("invalid/bad_front_matter_value", 1);
}

#[test]
fn unknown_front_matter_key_points_at_the_key() {
    fails("invalid/unknown_front_matter_key", 1);
}

#[test]
fn unclosed_front_matter_points_at_the_fence() {
    fails("invalid/unclosed_front_matter", 1);
}

#[test]
fn unknown_template_variable_points_into_the_template() {
    fails("invalid/unknown_template_variable", 1);
}

#[test]
fn template_syntax_error_points_into_the_template() {
    let out = SiteTest::fixture("invalid/template_syntax_error")
        .run(["build"])
        .fails_with(1)
        .stderr();
    assert!(
        out.contains(
            "error: found `)` but expected }}\n --> templates/page.html:2:22\n  |\n2 | <title>{{ page.title ) }}</title>\n  |                      ^\n"
        ),
        "{out}"
    );
}

#[test]

fn template_syntax_error_is_reported_once() {
    let out = SiteTest::fixture("invalid/template_syntax_error")
        .run(["build"])
        .fails_with(1)
        .stderr();
    assert!(!out.contains("not found"), "{out}");
    assert!(out.ends_with("\nerror: 1 error\n"), "{out}");
}

#[test]
fn template_problems_found_across_templates_point_at_each_and_spare_the_others() {
    // An unknown filter and an unknown include in `page.html`: each is reported where it is,
    // and only `page.html` is left out (were every template left out, the home page would
    // report its template missing too).
    fails("invalid/template_unknown_include", 1);
}

#[test]
fn unknown_shortcode_suggests_the_closest_name() {
    fails("invalid/unknown_shortcode", 1);
}

#[test]
fn malformed_shortcode_arguments_point_at_the_mistake() {
    fails("invalid/malformed_shortcode_arguments", 1);
}

#[test]
fn two_sources_with_one_url_are_named_together() {
    let out = SiteTest::fixture("invalid/duplicate_urls")
        .run(["build"])
        .fails_with(1)
        .stderr();
    assert!(
        out.starts_with(
            "error: `content/about.md` and `content/team.md` both map to the URL `/about/`\n"
        ),
        "{out}"
    );
}

#[test]

fn two_sources_with_one_url_are_reported_once_at_the_slug() {
    let out = SiteTest::fixture("invalid/duplicate_urls")
        .run(["build"])
        .fails_with(1)
        .stderr();
    assert!(out.contains(" --> content/team.md:3:8\n"), "{out}");
    assert!(out.ends_with("\nerror: 1 error\n"), "{out}");
}

#[test]
fn an_alias_over_a_page_or_another_alias_is_reported_at_the_alias() {
    let site = SiteTest::fixture("invalid/duplicate_urls");
    site.write(
        "content/team.md",
        "+++\ntitle = \"Team\"\naliases = [\"/people/\", \"/staff/\"]\n+++\nThe team.\n",
    )
    .write(
        "content/zoo.md",
        "+++\ntitle = \"Zoo\"\naliases = [\"/staff/\", \"/about/\", \"/keepers/\"]\n+++\nThe zoo.\n",
    );
    let out = site.run(["build"]).fails_with(1).stderr();
    assert!(
        out.contains(
            "error: alias `/staff/` already redirects to `/team/`\n --> content/zoo.md:3:12\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "error: alias `/about/` is the URL of `content/about.md`\n --> content/zoo.md:3:23\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("\nerror: 2 errors\n"), "{out}");
}

#[test]
fn unknown_site_toml_key_is_a_config_error_at_the_key() {
    fails("invalid/unknown_config_key", 2);
}

#[test]
fn broken_links_are_warnings_when_configured_so() {
    let site = SiteTest::fixture("invalid/broken_link_as_warning");
    site.run(["build"]).succeeds().stderr_snapshot();
    assert!(site.exists("public/page/index.html"));
}

#[test]
fn several_mistakes_are_all_reported_in_one_run() {
    let site = SiteTest::fixture("invalid/several_mistakes");
    site.run(["build"]).fails_with(1).stderr_snapshot();
    assert!(!site.exists("public"));
}

#[test]
fn missing_site_toml_is_a_usage_error() {
    SiteTest::empty()
        .run(["build"])
        .fails_with(2)
        .stderr_snapshot();
}

#[test]

fn wrongly_typed_yaml_value_points_at_the_value() {
    let site = SiteTest::fixture("invalid/bad_front_matter_value");
    site.write(
        "content/page.md",
        "---\ntitle: Bad value\nweight: 2\ndraft: maybe\n---\nBody.\n",
    );
    let out = site.run(["build"]).fails_with(1).stderr();
    assert!(out.contains(" --> content/page.md:4:8\n"), "{out}");
}

#[test]

fn page_over_a_generated_file_is_a_content_error() {
    let site = SiteTest::fixture("invalid/bad_front_matter_value");
    site.write(
        "content/page.md",
        "+++\ntitle = \"Robots\"\npath = \"robots.txt\"\n+++\nBody.\n",
    );
    let out = site.run(["build"]).fails_with(1).stderr();
    assert!(out.contains(" --> content/page.md:3:8\n"), "{out}");
    assert!(!out.contains("staging"), "{out}");
}

#[test]

fn output_dir_over_the_sources_is_refused() {
    let site = SiteTest::fixture("build/basic");
    let before = site.tree("content");
    let out = site
        .run(["build", "--output-dir", "content"])
        .fails_with(2)
        .stderr();
    assert_eq!(site.tree("content"), before, "{out}");
}

#[test]

fn two_bundles_with_invalid_paths_are_reported_not_a_crash() {
    let site = SiteTest::fixture("invalid/bad_front_matter_value");
    site.remove("content/page.md");
    site.write(
        "content/x/index.md",
        "+++\ntitle = \"X\"\npath = \"../a\"\n+++\nBody.\n",
    );
    site.write(
        "content/xé/index.md",
        "+++\ntitle = \"Xé\"\npath = \"../b\"\n+++\nBody.\n",
    );
    site.write("content/xé/pic.txt", "a bundle file\n");
    let out = site.run(["build"]).fails_with(1).stderr();
    assert!(out.contains(" --> content/x/index.md:3:8\n"), "{out}");
    assert!(out.contains(" --> content/xé/index.md:3:8\n"), "{out}");
}

#[test]
fn an_error_in_a_shortcode_call_points_at_the_call_with_the_template_as_a_note() {
    let site = SiteTest::init();
    site.write(
        "content/cards.md",
        "+++\ntitle = \"Cards\"\n+++\n\nOur records:\n\n{{ artifact(id=\"eval-suit\") }}\n",
    );
    let err = site.run(["check"]).fails_with(1).stderr_snapshot().stderr();
    // The place of the call in the markdown, as docs/THEMING.md promises.
    assert!(err.contains("\n --> content/cards.md:7:1\n"), "{err}");
}

#[test]
fn a_file_beside_a_flat_page_is_named_where_it_is_published() {
    // An image beside a flat page is shown from there (`tests/it/images.rs`); a link to any
    // other file is resolved from the page's URL, as a browser does.
    let site = SiteTest::init();
    site.write(
        "content/manifesto.md",
        "+++\ntitle = \"Manifesto\"\n+++\n\n[The data](x.csv)\n",
    );
    site.write("content/x.csv", "a,b\n");
    let err = site.run(["check"]).fails_with(1).stderr_snapshot().stderr();
    assert!(err.contains("is published at `/x.csv`"), "{err}");
}
