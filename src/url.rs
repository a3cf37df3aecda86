//! URL paths: normalising what editors write and resolving links against a page. A shared
//! leaf: parse, markdown, fingerprint and render use it, and it uses nothing of the crate.

/// Turns `a/b`, `/a/b/`, `a/./b` into `/a/b/`; refuses paths that climb out of the site or
/// hold characters that cannot be a file name.
pub(crate) fn normalize_path(path: &str) -> Result<String, String> {
    let segments = segments(path)?;
    if segments.is_empty() {
        return Ok("/".to_owned());
    }
    Ok(format!("/{}/", segments.join("/")))
}

/// An alias of a page whose file is in the folder `dir` of `content/` (`blog`, or empty): as in
/// Hugo, `/old/page/` is a path of the site and `old-name` or `../old/path` a path from that
/// folder (`/blog/old-name/`, `/old/path/`); `old.html` stays a file path `/old.html`.
pub(crate) fn normalize_alias(path: &str, dir: &str) -> Result<String, String> {
    let joined;
    let path = if path.starts_with('/') {
        path
    } else {
        let base = if dir.is_empty() {
            "/".to_owned()
        } else {
            format!("/{dir}/")
        };
        joined = resolve(&base, path).ok_or_else(|| {
            format!("alias `{path}` climbs out of the site with `..` (from `{base}`)")
        })?;
        &joined
    };
    let segments = segments(path)?;
    if segments.is_empty() {
        return Err("an alias cannot be the homepage `/`".to_owned());
    }
    let joined = segments.join("/");
    if joined.ends_with(".html") || joined.ends_with(".htm") {
        Ok(format!("/{joined}"))
    } else {
        Ok(format!("/{joined}/"))
    }
}

fn segments(path: &str) -> Result<Vec<&str>, String> {
    if path.chars().any(|c| {
        c.is_control() || matches!(c, '\\' | '?' | '#' | '"' | '<' | '>' | '|' | '*' | ':')
    }) {
        return Err(format!(
            "path `{path}` has a character that cannot be part of a URL path"
        ));
    }
    let mut out: Vec<&str> = vec![];
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(format!("path `{path}` climbs out of the site with `..`")),
            s => out.push(s),
        }
    }
    Ok(out)
}

/// Resolves a link written on the page at `base` (a URL path ending in `/`) to a site path,
/// or `None` when it climbs above the site root.
pub(crate) fn resolve(base: &str, link: &str) -> Option<String> {
    let mut parts: Vec<&str> = if link.starts_with('/') {
        vec![]
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    if !link.starts_with('/') && !base.ends_with('/') {
        parts.pop();
    }
    let trailing = link.ends_with('/')
        || link.ends_with("/.")
        || link.ends_with("/..")
        || link == "."
        || link == "..";
    let parts = walk(parts, link)?;
    let mut out = format!("/{}", parts.join("/"));
    if trailing && out != "/" {
        out.push('/');
    }
    Some(out)
}

/// Follows `link`'s segments from the folder `parts`: `.` and empty segments stay, `..` goes up
/// one; `None` when it climbs above where `parts` started.
pub(crate) fn walk<'a>(mut parts: Vec<&'a str>, link: &'a str) -> Option<Vec<&'a str>> {
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts)
}

/// A URL path of the site, from its root: `/`, `/a/`, `/a/b.json`. What links point at; its
/// file in the output folder is [`UrlPath::output_file`], the one conversion between the two.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct UrlPath(String);

impl UrlPath {
    /// `path` as a URL path, with a leading `/` when it has none.
    pub(crate) fn new(path: impl Into<String>) -> Self {
        let path = path.into();
        if path.starts_with('/') {
            Self(path)
        } else {
            Self(format!("/{path}"))
        }
    }

    /// The path, with its leading `/`.
    pub(crate) fn into_string(self) -> String {
        self.0
    }

    /// The file written for it in the output folder: `/a/` is `a/index.html`, `/a.json` is
    /// `a.json`.
    pub(crate) fn output_file(&self) -> String {
        output_file(&self.0)
    }
}

impl std::fmt::Display for UrlPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The output file of a URL path: `/a/` is `a/index.html`, `/a.html` is `a.html`.
pub(crate) fn output_file(url: &str) -> String {
    let trimmed = in_output(url);
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_owned()
    }
}

/// A URL path as a path inside the output folder, as files and folders are named there:
/// `/css/site.css` is `css/site.css`, `/blog/` is `blog/`. The one place a URL loses its
/// leading `/`; [`output_file`] adds a page's `index.html`.
pub(crate) fn in_output(url: &str) -> &str {
    url.trim_start_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_in_the_output_folder_has_no_leading_slash() {
        assert_eq!(in_output("/css/site.css"), "css/site.css");
        assert_eq!(in_output("css/site.css"), "css/site.css");
        assert_eq!(in_output("/blog/"), "blog/");
        assert_eq!(output_file("/blog/"), "blog/index.html");
        assert_eq!(output_file("/"), "index.html");
    }

    #[test]
    fn a_url_path_has_one_output_file() {
        assert_eq!(UrlPath::new("ledgers/x/").into_string(), "/ledgers/x/");
        assert_eq!(
            UrlPath::new("/ledgers/x/").output_file(),
            "ledgers/x/index.html"
        );
        assert_eq!(UrlPath::new("/").output_file(), "index.html");
        assert_eq!(UrlPath::new("/a/b.json").output_file(), "a/b.json");
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize_path("a/./b").unwrap(), "/a/b/");
        assert_eq!(normalize_path("/").unwrap(), "/");
        assert!(normalize_path("../etc").is_err());
        assert!(normalize_path("a/../../b").is_err());
        assert_eq!(normalize_alias("/old.html", "blog").unwrap(), "/old.html");
    }

    #[test]
    fn aliases_without_a_slash_are_relative_to_the_page_folder_as_in_hugo() {
        assert_eq!(
            normalize_alias("old-name", "examples").unwrap(),
            "/examples/old-name/"
        );
        assert_eq!(
            normalize_alias("../old/path", "examples").unwrap(),
            "/old/path/"
        );
        assert_eq!(
            normalize_alias("/old-url", "examples").unwrap(),
            "/old-url/"
        );
        assert_eq!(normalize_alias("old.html", "").unwrap(), "/old.html");
        assert!(normalize_alias("../../x", "examples").is_err());
    }

    #[test]
    fn resolves_relative_links() {
        assert_eq!(
            resolve("/s000/p00000/", "../../s001/p00123/").unwrap(),
            "/s001/p00123/"
        );
        assert_eq!(resolve("/a/b/", "img.png").unwrap(), "/a/b/img.png");
        assert_eq!(resolve("/a/b/", "/x/").unwrap(), "/x/");
        assert_eq!(resolve("/a/", "..").unwrap(), "/");
        assert!(resolve("/a/", "../../x").is_none());
    }

    #[test]
    fn maps_urls_to_files() {
        assert_eq!(output_file("/"), "index.html");
        assert_eq!(output_file("/a/b/"), "a/b/index.html");
        assert_eq!(output_file("/old.html"), "old.html");
    }
}
