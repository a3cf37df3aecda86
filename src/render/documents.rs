//! Pages and sections as a content kind: a page per markdown page, a page per section (one per
//! pager when it paginates), and a redirect page per alias, planned and rendered through
//! `kind::Kind` like the record kinds. It lives in the render stage because what its
//! templates see (the views, `render::views`) is made there. Its URLs are link targets through
//! the site's URL map and its search entries are made with the views, so it gives neither.

use std::sync::Arc;

use super::views::Views;
use crate::diagnostic::Diagnostic;
use crate::kind::{Claim, Job, Kind, Made, Output, Rendered, Templates, UrlPath};
use crate::model::{Document, Site};

/// The pages and sections of `site`. Planning needs only the site; rendering needs the views.
pub(super) struct Documents<'a> {
    site: &'a Site,
    views: Option<&'a Views>,
}

impl<'a> Documents<'a> {
    /// The kind as the plan sees it.
    pub(super) fn planning(site: &'a Site) -> Self {
        Self { site, views: None }
    }

    /// The kind as the render sees it, with what templates see of each document.
    pub(super) fn rendering(site: &'a Site, views: &'a Views) -> Self {
        Self {
            site,
            views: Some(views),
        }
    }
}

/// What a job of the documents makes.
enum Work {
    /// The page of the page at this index.
    Page(usize),
    /// Pager `pager` of `total` of the section at this index.
    Section {
        index: usize,
        pager: usize,
        total: usize,
    },
    /// The redirect page of the alias at this index.
    Alias(usize),
}

/// The URL of pager `pager` of the section at `url`: the section's own URL for the first.
fn pager_url(url: &str, pager: usize) -> String {
    if pager == 1 {
        url.to_owned()
    } else {
        format!("{url}page/{pager}/")
    }
}

/// What claims the path of a document's page, at the `path` or `slug` that set it.
fn document_claim(doc: &Document) -> Claim {
    let cause = doc
        .meta
        .path
        .as_ref()
        .or(doc.meta.slug.as_ref())
        .map_or(0..0, toml::Spanned::span);
    Claim {
        what: format!("`{}`", doc.source.path),
        at: Some((Arc::clone(&doc.source), cause)),
    }
}

impl Kind for Documents<'_> {
    /// Sections (each pager), then pages, then aliases: the order their paths are claimed in.
    fn outputs(&self, _: &dyn Templates) -> Vec<Output> {
        let site = self.site;
        let mut out = vec![];
        for (index, section) in site.sections.iter().enumerate() {
            let by = section
                .doc
                .meta
                .paginate_by
                .as_ref()
                .map_or(0, |b| *b.get_ref());
            let total = if by == 0 {
                1
            } else {
                section.pages.len().div_ceil(by).max(1)
            };
            for pager in 1..=total {
                out.push(Output {
                    url: UrlPath::new(pager_url(&section.doc.url, pager)),
                    job: Job::new(
                        Made::Section(index),
                        Work::Section {
                            index,
                            pager,
                            total,
                        },
                    ),
                    claim: document_claim(&section.doc),
                });
            }
        }
        for (i, page) in site.pages.iter().enumerate() {
            out.push(Output {
                url: UrlPath::new(page.doc.url.clone()),
                job: Job::new(Made::Page(i), Work::Page(i)),
                claim: document_claim(&page.doc),
            });
        }
        for (i, alias) in site.aliases.iter().enumerate() {
            out.push(Output {
                url: UrlPath::new(alias.from.clone()),
                // Made from the aliases, which an incremental update keeps.
                job: Job::new(Made::Fixed, Work::Alias(i)),
                claim: Claim {
                    what: format!("the alias `{}` in `{}`", alias.from, alias.source.path),
                    at: Some((Arc::clone(&alias.source), alias.span.clone())),
                },
            });
        }
        out
    }

    /// None besides the documents' own URLs, which links find in the site's URL map.
    fn link_targets(&self, _: &dyn Templates) -> Vec<UrlPath> {
        vec![]
    }

    fn render(&self, job: &Job, templates: &dyn Templates) -> Rendered {
        let site = self.site;
        let work = job.get::<Work>();
        if let Some(Work::Alias(i)) = work {
            let page = super::feeds::alias_page(&site.aliases[*i].to, templates.config());
            return Ok(crate::kind::Body::Html(page));
        }
        let Some(views) = self.views else {
            return Err(Some(Diagnostic::error(
                "a document was rendered before the views were made",
            )));
        };
        match work {
            Some(Work::Page(i)) => {
                let page = &site.pages[*i];
                let section = &site.sections[page.section];
                let name = pick_template(
                    templates,
                    &page.doc,
                    section.doc.meta.page_template.as_ref(),
                    "page.html",
                )?;
                templates.render(name, &page.doc.url, vec![("page", views.pages[*i].full())])
            }
            Some(Work::Section {
                index,
                pager,
                total,
            }) => {
                let section = &site.sections[*index];
                let default = if *index == 0 {
                    "index.html"
                } else {
                    "section.html"
                };
                let name = pick_template(templates, &section.doc, None, default)?;
                let url = pager_url(&section.doc.url, *pager);
                let view = &views.sections[*index];
                let paginate_by = section
                    .doc
                    .meta
                    .paginate_by
                    .as_ref()
                    .map(|b| *b.get_ref())
                    .filter(|b| *b > 0);
                let values = match paginate_by {
                    Some(by) => vec![
                        ("section", view.listing()),
                        (
                            "paginator",
                            super::context::paginator(section, view, by, *pager, *total),
                        ),
                    ],
                    None => vec![("section", view.full())],
                };
                templates.render(name, &url, values)
            }
            Some(Work::Alias(_)) | None => Err(Some(Diagnostic::error(
                "a document was asked to render another kind's output",
            ))),
        }
    }
}

/// The template of a document: the one its front matter names (else `fallback`, its section's
/// `page_template`), else `default`; a located problem when the named one is missing. A
/// template that failed to load is taken, and its render reports nothing more.
fn pick_template<'a>(
    templates: &dyn Templates,
    doc: &'a Document,
    fallback: Option<&'a toml::Spanned<String>>,
    default: &'a str,
) -> Result<&'a str, Option<Diagnostic>> {
    let chosen = doc.meta.template.as_ref().or(fallback);
    Err(Some(match chosen {
        Some(t) if templates.has(t.get_ref()) => return Ok(t.get_ref()),
        Some(t) => {
            let d = Diagnostic::error(format!("template `{}` not found", t.get_ref()))
                .label("no such file in `templates/` of the site or theme");
            // The span is in whichever file named the template.
            if doc.meta.template.is_some() {
                d.at(&doc.source, t.span())
            } else {
                d.in_file(doc.source.path.clone())
            }
        }
        None if templates.has(default) => return Ok(default),
        None => Diagnostic::error(format!(
            "template `{default}` not found in the site or theme"
        ))
        .in_file(doc.source.path.clone()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceText;

    /// A theme with these templates, and `broken.html` that failed to load.
    struct Fake(&'static [&'static str]);

    impl Templates for Fake {
        fn has(&self, name: &str) -> bool {
            self.0.contains(&name) || name == "broken.html"
        }

        fn config(&self) -> &crate::config::Config {
            unreachable!("not asked for here")
        }

        fn render(&self, _: &str, _: &str, _: Vec<(&str, tera::Value)>) -> Rendered {
            unreachable!("not rendered here")
        }
    }

    fn doc(front: &str) -> Document {
        let file = crate::load::ContentFile {
            rel: "a.md".to_owned(),
            source: SourceText::new("content/a.md", format!("+++\n{front}\n+++\nBody.\n")),
        };
        crate::parse::document(&file).unwrap()
    }

    /// A section's `page_template = "<s>"`, as its front matter holds it.
    fn spanned(s: &str) -> toml::Spanned<String> {
        let mut table: std::collections::BTreeMap<String, toml::Spanned<String>> =
            toml::from_str(&format!("t = \"{s}\"")).unwrap();
        table.remove("t").unwrap()
    }

    #[test]
    fn a_template_is_the_named_one_else_the_section_s_else_the_default() {
        let theme = Fake(&["page.html", "wide.html"]);
        let named = doc("title = \"A\"\ntemplate = \"wide.html\"");
        assert_eq!(
            pick_template(&theme, &named, None, "page.html"),
            Ok("wide.html")
        );
        let fallback = spanned("wide.html");
        let plain = doc("title = \"A\"");
        assert_eq!(
            pick_template(&theme, &plain, Some(&fallback), "page.html"),
            Ok("wide.html")
        );
        assert_eq!(
            pick_template(&theme, &plain, None, "page.html"),
            Ok("page.html")
        );
        // One that failed to load is taken: its own problem is reported where it was loaded.
        let broken = doc("title = \"A\"\ntemplate = \"broken.html\"");
        assert_eq!(
            pick_template(&theme, &broken, None, "page.html"),
            Ok("broken.html")
        );
    }

    #[test]
    fn a_missing_template_is_reported_where_it_is_named() {
        let theme = Fake(&[]);
        let named = doc("title = \"A\"\ntemplate = \"nope.html\"");
        let d = pick_template(&theme, &named, None, "page.html")
            .unwrap_err()
            .unwrap();
        assert_eq!(d.message, "template `nope.html` not found");
        // Line 3 of the file, where the value is.
        assert_eq!(d.line_col(), Some((3, 12)));
        let plain = doc("title = \"A\"");
        let d = pick_template(&theme, &plain, None, "page.html")
            .unwrap_err()
            .unwrap();
        assert_eq!(
            d.message,
            "template `page.html` not found in the site or theme"
        );
        assert_eq!(d.file(), Some("content/a.md"));
        let fallback = spanned("nope.html");
        let d = pick_template(&theme, &plain, Some(&fallback), "page.html")
            .unwrap_err()
            .unwrap();
        assert_eq!(d.message, "template `nope.html` not found");
        assert_eq!((d.file(), d.line_col()), (Some("content/a.md"), None));
    }
}
