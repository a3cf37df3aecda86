//! `ancapex init DIR`: a minimal site that builds with nothing else present, on the theme
//! compiled into the binary.

use std::path::Path;

use crate::error::{Error, Existing, Result};

const SITE_TOML: &str = r#"title = "My site"
description = "A site built with ancapex"
base_url = "https://example.org"
language = "en"
# The built-in theme; copy it to themes/ancapex to change it.
theme = "ancapex"

[markdown]
highlight_code = true
heading_anchors = true

[links]
# "warn" reports broken internal links without failing the build.
internal = "error"

[contact]
action = ""
email = ""
"#;

const INDEX_MD: &str = r#"+++
title = "My site"
description = "A site built with ancapex"
+++

Welcome. Edit `content/_index.md` to change this text, and add pages next to it.
"#;

const ABOUT_MD: &str = r#"+++
title = "About"
description = "What this site is"
weight = 1

[extra]
home = true
+++

Pages are markdown files in `content/` with `+++` TOML front matter.
Link to another page with [its path](@/_index.md).
"#;

/// Writes a new site into `dir`, which must not already hold one.
pub fn site(dir: &Path) -> Result<Vec<String>> {
    if dir.join(crate::config::FILE_NAME).exists() {
        return Err(Error::Exists(Existing::Site {
            dir: dir.to_path_buf(),
        }));
    }
    let files = [
        ("site.toml", SITE_TOML),
        ("content/_index.md", INDEX_MD),
        ("content/about.md", ABOUT_MD),
        (".gitignore", "/public/\n/.ancapex/\n"),
    ];
    let mut written = vec![];
    for (rel, _) in files {
        let path = dir.join(rel);
        if path.exists() {
            return Err(Error::Exists(Existing::File { path }));
        }
    }
    for (rel, text) in files {
        crate::fs::write(&dir.join(rel), text.as_bytes())?;
        written.push(rel.to_owned());
    }
    crate::fs::create_dir_all(&crate::layout::static_files(dir))?;
    Ok(written)
}
