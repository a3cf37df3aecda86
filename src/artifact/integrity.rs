//! What ties a record to its bytes and to other records: every file in the artifact's folder is
//! read and hashed on every build (a digest is only worth what its last check was), paths may not
//! lead out of the folder (`..`, absolute paths, symlinks), and `artifact:<id>@<version>`
//! references must name a record of that id and version.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use super::record::{FileEntry, LinkRel, Record};
use super::{Artifact, Status};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::fs::{PathProblem, is_sha256, resolve_inside as resolve};

/// What is wrong with a path of a record, after the path itself: "file `x` {describe}".
pub(crate) fn describe(problem: &PathProblem) -> String {
    problem.describe("the artifact's folder")
}

fn path_diagnostic(
    problem: PathProblem,
    rel: &Spanned<String>,
    source: &Arc<SourceText>,
    dir: &str,
) -> Diagnostic {
    let name = rel.get_ref();
    let folder = format!("artifacts/{dir}/");
    let d = match problem {
        PathProblem::Empty => Diagnostic::error("file path is empty"),
        PathProblem::Absolute => Diagnostic::error(format!("file path `{name}` is absolute"))
            .help(format!("paths are relative to `{folder}`")),
        PathProblem::Parent => Diagnostic::error(format!(
            "file path `{name}` leads out of the artifact's folder"
        ))
        .help(format!(
            "files live in `{folder}`; copy it there or list it by `url`"
        )),
        PathProblem::Missing => Diagnostic::error(format!("file `{name}` not found"))
            .label(format!("no such file in `{folder}`")),
        PathProblem::NotAFile => Diagnostic::error(format!("`{name}` is not a file")),
        PathProblem::SymlinkOut => Diagnostic::error(format!(
            "file `{name}` is a symlink that leads out of the artifact's folder"
        ))
        .help(format!(
            "copy the file into `{folder}` instead of linking to it"
        )),
        PathProblem::TooLarge(_) => Diagnostic::error(format!(
            "file `{name}` {}",
            describe(&problem)
        ))
        .help(
            "keep large files out of the repository: list them by `url`, with `sha256` and `size`",
        ),
        PathProblem::Unreadable(e) => Diagnostic::error(format!("could not read `{name}`: {e}")),
    };
    d.at(source, rel.span())
}

/// Checks every `[[files]]` and `[[signatures]]` entry of a record in `folder`; hashes files.
/// Returns, for each `[[files]]` entry, where its bytes were read when it names a file inside
/// the folder (the only files the build may publish), with the problems.
pub(crate) fn files(
    record: &Record,
    folder: &Path,
    dir: &str,
    source: &Arc<SourceText>,
    digests: &crate::cache::Digests<'_>,
) -> (Vec<Option<PathBuf>>, Diagnostics) {
    let mut ds = Diagnostics::new();
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let read = record
        .files
        .iter()
        .map(|entry| file(entry, &folder, dir, source, &mut ds, digests))
        .collect();
    for sig in &record.signatures {
        if let Err(p) = resolve(&folder, sig.path.get_ref()) {
            ds.push(path_diagnostic(p, &sig.path, source, dir));
        }
    }
    (read, ds)
}

fn file(
    entry: &Spanned<FileEntry>,
    folder: &Path,
    dir: &str,
    source: &Arc<SourceText>,
    ds: &mut Diagnostics,
    digests: &crate::cache::Digests<'_>,
) -> Option<PathBuf> {
    let f = entry.get_ref();
    if let Some(sha) = f.sha256.as_ref().filter(|s| !is_sha256(s.get_ref())) {
        ds.push(
            Diagnostic::error(format!("`{}` is not a SHA-256 digest", sha.get_ref()))
                .at(source, sha.span())
                .label("expected 64 lowercase hex digits"),
        );
    }
    match (&f.path, &f.url) {
        (Some(_), Some(url)) => ds.push(
            Diagnostic::error("a file has both `path` and `url`")
                .at(source, url.span())
                .help(
                    "use `path` for a file in the artifact's folder, `url` for one kept elsewhere",
                ),
        ),
        (None, None) => {
            ds.push(Diagnostic::error("a file needs a `path` or a `url`").at(source, entry.span()));
        }
        (None, Some(url)) => {
            let u = url.get_ref();
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                ds.push(
                    Diagnostic::error(format!("file url `{u}` is not an http(s) URL"))
                        .at(source, url.span()),
                );
            }
            if f.sha256.is_none() || f.size.is_none() {
                ds.push(
                    Diagnostic::error(format!("file `{u}` needs `sha256` and `size`"))
                        .at(source, url.span())
                        .help("a file outside the repository is only trusted by its digest"),
                );
            }
        }
        (Some(rel), None) => match resolve(folder, rel.get_ref()) {
            Err(p) => ds.push(path_diagnostic(p, rel, source, dir)),
            Ok(real) => match digests.sha256(&real) {
                Err(e) => ds.push(
                    Diagnostic::error(format!("could not read `{}`: {e}", rel.get_ref()))
                        .at(source, rel.span()),
                ),
                Ok((digest, size)) => {
                    let digest = crate::text::hex(&digest);
                    compare(f, rel.get_ref(), &digest, size, source, ds);
                    return Some(real);
                }
            },
        },
    }
    None
}

fn compare(
    f: &FileEntry,
    name: &str,
    digest: &str,
    size: u64,
    source: &Arc<SourceText>,
    ds: &mut Diagnostics,
) {
    if let Some(sha) = f
        .sha256
        .as_ref()
        .filter(|s| is_sha256(s.get_ref()) && s.get_ref() != digest)
    {
        ds.push(
            Diagnostic::error(format!("SHA-256 of `{name}` does not match the record"))
                .at(source, sha.span())
                .label("recorded digest")
                .help(format!(
                    "the file's SHA-256 is `{digest}`; a changed file needs a new version"
                )),
        );
    }
    if let Some(recorded) = f.size.as_ref().filter(|s| *s.get_ref() != size) {
        ds.push(
            Diagnostic::error(format!("size of `{name}` does not match the record"))
                .at(source, recorded.span())
                .label("recorded size")
                .help(format!("the file is {size} bytes")),
        );
    }
}

/// `artifact:<id>@<version>` as `(id, version)`.
pub(crate) fn parse_reference(s: &str) -> Option<(&str, &str)> {
    let (id, version) = s.strip_prefix("artifact:")?.split_once('@')?;
    (!id.is_empty() && !version.is_empty()).then_some((id, version))
}

/// Resolves every reference between records: `superseded_by` and `[[links]]` targets. Ids in
/// `broken` belong to records reported already, so references to them are not reported again.
pub(crate) fn references(artifacts: &[Artifact], broken: &HashSet<String>) -> Diagnostics {
    let mut ds = Diagnostics::new();
    for a in artifacts {
        if let Some(by) = &a.superseded_by {
            if parse_reference(by.get_ref()).is_some() {
                let citing = Citing {
                    source: &a.source,
                    span: by.span(),
                    id: Some(&a.id),
                    rel: None,
                };
                resolve_reference(&citing, by.get_ref(), artifacts, broken, &mut ds);
            } else {
                ds.push(
                    Diagnostic::error(format!(
                        "`superseded_by` must be an artifact reference, found `{}`",
                        by.get_ref()
                    ))
                    .at(&a.source, by.span())
                    .label("expected `artifact:<id>@<version>`"),
                );
            }
        }
        for link in &a.links {
            let t = link.target.get_ref();
            if t.starts_with("artifact:") {
                let citing = Citing {
                    source: &a.source,
                    span: link.target.span(),
                    id: Some(&a.id),
                    rel: Some(link.rel),
                };
                resolve_reference(&citing, t, artifacts, broken, &mut ds);
            } else if !(t.starts_with("https://") || t.starts_with("http://")) {
                ds.push(
                    Diagnostic::error(format!(
                        "link target `{t}` is neither an artifact reference nor a URL"
                    ))
                    .at(&a.source, link.target.span())
                    .help("write `artifact:<id>@<version>` or an `https://` URL"),
                );
            }
        }
    }
    ds
}

/// Where a reference is written: a record (with its id and the link's relation) or a content file.
pub(crate) struct Citing<'a> {
    pub(crate) source: &'a Arc<SourceText>,
    pub(crate) span: std::ops::Range<usize>,
    pub(crate) id: Option<&'a str>,
    pub(crate) rel: Option<LinkRel>,
}

/// Resolves one `artifact:<id>@<version>`: a missing record or version is an error, citing a
/// superseded or retracted one a warning (except by the record itself or a `supersedes` link).
pub(crate) fn resolve_reference(
    citing: &Citing<'_>,
    text: &str,
    artifacts: &[Artifact],
    broken: &HashSet<String>,
    ds: &mut Diagnostics,
) {
    let at = |d: Diagnostic| d.at(citing.source, citing.span.clone());
    let Some((id, version)) = parse_reference(text) else {
        ds.push(
            at(Diagnostic::error(format!(
                "malformed artifact reference `{text}`"
            )))
            .label("expected `artifact:<id>@<version>`"),
        );
        return;
    };
    let Some(to) = artifacts.iter().find(|b| b.id == id) else {
        if !broken.contains(id) {
            let ids: Vec<&str> = artifacts.iter().map(|b| b.id.as_str()).collect();
            let d = at(Diagnostic::error(format!("dangling reference `{text}`")))
                .label(format!("no artifact `{id}`"));
            ds.push(match crate::text::did_you_mean(id, &ids) {
                Some(best) => d.help(format!("did you mean `{best}`?")),
                None => d,
            });
        }
        return;
    };
    if to.version != version {
        ds.push(
            at(Diagnostic::error(format!("dangling reference `{text}`")))
                .label(format!("`{id}` is at version `{}`", to.version))
                .help(format!("cite `artifact:{id}@{}`", to.version)),
        );
        return;
    }
    let replaced = matches!(to.status, Status::Superseded | Status::Retracted);
    if replaced && citing.rel != Some(LinkRel::Supersedes) && citing.id != Some(to.id.as_str()) {
        let d = at(Diagnostic::warning(format!(
            "`{text}` cites a {} artifact",
            to.status.as_str()
        )));
        ds.push(match &to.superseded_by {
            Some(by) if to.status == Status::Superseded => {
                d.help(format!("it was superseded by `{}`", by.get_ref()))
            }
            _ => d,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_artifact_path_outside_root() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().canonicalize().unwrap().join("a");
        std::fs::create_dir_all(folder.join("sub")).unwrap();
        std::fs::write(folder.join("sub/x.txt"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        assert_eq!(resolve(&folder, "../secret"), Err(PathProblem::Parent));
        assert_eq!(
            resolve(&folder, "sub/../../secret"),
            Err(PathProblem::Parent)
        );
        assert_eq!(resolve(&folder, "/etc/passwd"), Err(PathProblem::Absolute));
        assert_eq!(resolve(&folder, ""), Err(PathProblem::Empty));
        assert_eq!(resolve(&folder, "nope.txt"), Err(PathProblem::Missing));
        assert_eq!(resolve(&folder, "sub"), Err(PathProblem::NotAFile));
        assert_eq!(resolve(&folder, "sub/x.txt"), Ok(folder.join("sub/x.txt")));
    }

    #[cfg(unix)]
    #[test]
    fn rejects_symlink_leading_out_but_not_one_inside() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().canonicalize().unwrap().join("a");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::fs::write(folder.join("real.txt"), "r").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), folder.join("out")).unwrap();
        std::os::unix::fs::symlink("real.txt", folder.join("in")).unwrap();
        std::os::unix::fs::symlink("gone", folder.join("dangling")).unwrap();
        assert_eq!(resolve(&folder, "out"), Err(PathProblem::SymlinkOut));
        assert_eq!(resolve(&folder, "in"), Ok(folder.join("real.txt")));
        assert_eq!(resolve(&folder, "dangling"), Err(PathProblem::Missing));
    }

    #[test]
    fn references_parse_id_and_version() {
        assert_eq!(
            parse_reference("artifact:eval-suite@0.1.0"),
            Some(("eval-suite", "0.1.0"))
        );
        assert_eq!(parse_reference("artifact:eval-suite"), None);
        assert_eq!(parse_reference("artifact:@0.1.0"), None);
        assert_eq!(parse_reference("https://x"), None);
    }
}
