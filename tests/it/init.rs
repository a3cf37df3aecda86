//! `ancapex init DIR`: a new site that builds on the built-in theme alone.

use crate::support::SiteTest;

#[test]
fn new_site_builds_with_the_builtin_theme() {
    let tmp = SiteTest::empty();
    tmp.run_bare(["init", "site"]).succeeds().stdout_snapshot();
    let site = tmp.path("site");
    assert!(!site.join("themes").exists());
    let root = site.to_str().unwrap();
    let built = tmp.run_bare(["--root", root, "build"]).succeeds().stdout();
    // One page and one section, counted as such.
    assert!(built.starts_with("built 1 page and 1 section: "), "{built}");
    let checked = tmp.run_bare(["--root", root, "check"]).succeeds().stdout();
    assert!(
        checked.starts_with("checked 1 page and 1 section in "),
        "{checked}"
    );
    tmp.write("site/public/robots.txt", "edited\n");
    let verified = tmp
        .run_bare(["verify", tmp.path("site/public").to_str().unwrap()])
        .fails_with(1)
        .stdout();
    assert!(
        verified.contains("\n1 difference from its manifest (site digest "),
        "{verified}"
    );
    tmp.run_bare(["--root", root, "build"]).succeeds();
    let index = tmp.file("site/public/index.html");
    assert!(index.contains("My site"), "{index}");
    // The title once in the header (no logo is set), and no link to failure reports the site
    // has none of.
    let header = &index[index.find("<header").unwrap()..index.find("</header>").unwrap()];
    assert_eq!(header.matches("My site").count(), 1, "{header}");
    for (path, bytes) in tmp.tree("site/public") {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("/failures/"),
            "{path} links to failure reports"
        );
    }
    assert!(!tmp.exists("site/public/failures"));
    assert!(tmp.exists("site/public/about/index.html"));
    tmp.fingerprinted("site/public/css/site.css");
    assert!(!tmp.exists("site/public/css/site.css"));
}

#[test]
fn init_refuses_to_overwrite_a_site() {
    let tmp = SiteTest::empty();
    tmp.run_bare(["init", "site"]).succeeds();
    tmp.write(
        "site/content/_index.md",
        "+++\ntitle = \"Mine\"\n+++\nKeep me.\n",
    );
    tmp.run_bare(["init", "site"])
        .fails_with(2)
        .stderr_snapshot();
    assert!(tmp.file("site/content/_index.md").contains("Keep me."));
}

#[test]
fn init_refuses_to_overwrite_content_without_a_site_toml() {
    let tmp = SiteTest::empty();
    tmp.write("site/content/about.md", "# Mine\n");
    tmp.run_bare(["init", "site"])
        .fails_with(2)
        .stderr_snapshot();
    assert_eq!(tmp.file("site/content/about.md"), "# Mine\n");
    assert!(!tmp.exists("site/site.toml"));
}
