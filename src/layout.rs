//! The folder layout of a site: where each kind of input lives under the root. Every module
//! that names one of these folders takes it from here. A shared leaf.

use std::path::{Path, PathBuf};

/// Markdown pages and sections.
pub const CONTENT: &str = "content";
/// Artifact records, each in `artifacts/<id>/`, with the run ledgers and failure reports.
pub const ARTIFACTS: &str = "artifacts";
/// Run ledgers, each in `artifacts/ledgers/<name>/`.
pub const LEDGERS: &str = "ledgers";
/// Failure reports, `artifacts/failures/<id>.md`.
pub const FAILURES: &str = "failures";
/// The site's own templates, over the theme's.
pub const TEMPLATES: &str = "templates";
/// Files copied as they are (fingerprinted where configured).
pub const STATIC: &str = "static";
/// Themes, each in `themes/<name>/` with its own `templates/` and `static/`.
pub const THEMES: &str = "themes";

/// Every folder of inputs under the root, as a site is edited (what `serve` watches).
pub const INPUTS: [&str; 5] = [CONTENT, ARTIFACTS, THEMES, TEMPLATES, STATIC];

/// The template of the shortcode `name`, under `templates/`.
pub fn shortcode_template(name: &str) -> String {
    format!("shortcodes/{name}.html")
}

/// `content/` of the site at `root`.
pub fn content(root: &Path) -> PathBuf {
    root.join(CONTENT)
}

/// `artifacts/` of the site at `root`.
pub fn artifacts(root: &Path) -> PathBuf {
    root.join(ARTIFACTS)
}

/// `artifacts/ledgers/` of the site at `root`.
pub fn ledgers(root: &Path) -> PathBuf {
    artifacts(root).join(LEDGERS)
}

/// `artifacts/failures/` of the site at `root`.
pub fn failures(root: &Path) -> PathBuf {
    artifacts(root).join(FAILURES)
}

/// `templates/` of the site at `root`.
pub fn templates(root: &Path) -> PathBuf {
    root.join(TEMPLATES)
}

/// `static/` of the site at `root`.
pub fn static_files(root: &Path) -> PathBuf {
    root.join(STATIC)
}

/// `themes/<name>/` of the site at `root`.
pub fn theme(root: &Path, name: &str) -> PathBuf {
    root.join(THEMES).join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_live_under_artifacts_and_themes_under_themes() {
        let root = Path::new("/site");
        assert_eq!(ledgers(root), Path::new("/site/artifacts/ledgers"));
        assert_eq!(failures(root), Path::new("/site/artifacts/failures"));
        assert_eq!(theme(root, "x"), Path::new("/site/themes/x"));
    }
}
