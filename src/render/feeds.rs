//! The machine-read files: sitemap, Atom feed, robots.txt, redirects.

use std::fmt::Write as _;

use crate::config::Config;
use crate::model::{Document, Site};
use crate::text::escape_html;

/// `sitemap.xml`: every page and section, with `lastmod` from `updated`, else `date`, and the
/// records' pages a visitor can land on (`records`: artifact pages, run pages, failure reports,
/// their indexes), in URL order.
pub(crate) fn sitemap(site: &Site, config: &Config, records: &[String]) -> String {
    let mut urls: Vec<(&str, Option<String>)> = site
        .documents()
        .map(|d| {
            let date = d.meta.updated.as_ref().or(d.meta.date.as_ref());
            (d.url.as_str(), date.map(crate::front_matter::Date::ymd))
        })
        .chain(records.iter().map(|u| (u.as_str(), None)))
        .collect();
    urls.sort();
    urls.dedup_by(|a, b| a.0 == b.0);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (url, date) in urls {
        let _ = write!(
            out,
            "  <url>\n    <loc>{}</loc>\n",
            escape_html(&format!("{}{url}", config.base_url))
        );
        if let Some(date) = date {
            let _ = writeln!(out, "    <lastmod>{date}</lastmod>");
        }
        out.push_str("  </url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// `atom.xml`: the newest dated pages. The feed's own date is its newest entry's, so the same
/// sources always give the same feed; with no dated page it is the source date (see `provenance`).
pub(crate) fn atom(site: &Site, config: &Config) -> String {
    let mut dated: Vec<&Document> = site
        .pages
        .iter()
        .map(|p| &p.doc)
        .filter(|d| d.meta.date.is_some())
        .collect();
    let key = |d: &Document| {
        d.meta
            .updated
            .as_ref()
            .or(d.meta.date.as_ref())
            .map_or(0, crate::front_matter::Date::timestamp)
    };
    let order = |a: &&Document, b: &&Document| key(b).cmp(&key(a)).then_with(|| a.rel.cmp(&b.rel));
    // The newest `feed_limit` first, without sorting every page (a serve session makes the feed
    // again on each save).
    let limit = config.build.feed_limit;
    if limit == 0 {
        dated.clear();
    } else if dated.len() > limit {
        dated.select_nth_unstable_by(limit - 1, order);
        dated.truncate(limit);
    }
    dated.sort_by(order);
    let updated = dated
        .first()
        .and_then(|d| d.meta.updated.as_ref().or(d.meta.date.as_ref()))
        .map_or_else(
            || config.provenance.date(),
            crate::front_matter::Date::rfc3339,
        );
    let base = &config.base_url;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        out,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n  <title>{}</title>\n",
        escape_html(&config.language),
        escape_html(&config.title)
    );
    if !config.description.is_empty() {
        let _ = writeln!(
            out,
            "  <subtitle>{}</subtitle>",
            escape_html(&config.description)
        );
    }
    let _ = write!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{0}/atom.xml\"/>\n  <link rel=\"alternate\" type=\"text/html\" href=\"{0}/\"/>\n  <id>{0}/atom.xml</id>\n  <updated>{1}</updated>\n",
        escape_html(base),
        updated
    );
    for d in dated {
        let link = escape_html(&format!("{base}{}", d.url));
        let published = d
            .meta
            .date
            .as_ref()
            .map(crate::front_matter::Date::rfc3339)
            .unwrap_or_default();
        let updated = d
            .meta
            .updated
            .as_ref()
            .map_or_else(|| published.clone(), crate::front_matter::Date::rfc3339);
        let _ = write!(
            out,
            "  <entry>\n    <title>{}</title>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n    <id>{link}</id>\n    <published>{published}</published>\n    <updated>{updated}</updated>\n    <author><name>{}</name></author>\n",
            escape_html(&d.title),
            escape_html(&config.title)
        );
        if let Some(desc) = &d.meta.description {
            let _ = writeln!(out, "    <summary>{}</summary>", escape_html(desc));
        }
        let content = d
            .content
            .summary
            .clone()
            .unwrap_or_else(|| d.content.html.unpack());
        // Relative links in the content resolve against the page, not the feed.
        let _ = writeln!(
            out,
            "    <content type=\"html\" xml:base=\"{link}\">{}</content>",
            escape_html(&content)
        );
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// `robots.txt`: everything may be crawled; the sitemap is named.
pub(crate) fn robots(config: &Config) -> String {
    let mut out = String::from("User-agent: *\nAllow: /\n");
    if config.build.sitemap {
        let _ = writeln!(out, "Sitemap: {}/sitemap.xml", config.base_url);
    }
    out
}

/// Where the site's citation files are.
pub(crate) const CFF: &str = "CITATION.cff";
pub(crate) const BIBTEX: &str = "citation.bib";

/// How to cite the site as a whole: its title (also its author, as a lab is), description
/// and address, dated by its sources' date (the commit built, or `SOURCE_DATE_EPOCH`), and
/// undated when neither is known rather than dated 1970.
fn site_work(config: &Config) -> crate::citation::Work<'_> {
    let p = &config.provenance;
    let date = if p.epoch == 0 {
        String::new()
    } else {
        p.date()
    };
    crate::citation::Work {
        key: "ancapex:site".to_owned(),
        cff_type: "dataset",
        message: "If you use the records published on this site, please cite it as below; cite a single artifact with the CITATION.cff on its page.",
        title: &config.title,
        version: None,
        date: date.get(..10).map(str::to_owned),
        license: None,
        url: &config.base_url,
        summary: &config.description,
        authors: vec![&config.title],
        keywords: vec!["ancapex"],
        note: "artifact records, run ledgers and failure reports".to_owned(),
    }
}

/// The site's `CITATION.cff`.
pub(crate) fn cff(config: &Config) -> String {
    crate::citation::cff(&site_work(config))
}

/// The site's BibTeX entry.
pub(crate) fn bibtex(config: &Config) -> String {
    crate::citation::bibtex(&site_work(config))
}

/// `_redirects` (Netlify, Cloudflare Pages): one permanent redirect per alias.
pub(crate) fn redirects(site: &Site) -> String {
    let mut out = String::new();
    for a in &site.aliases {
        let _ = writeln!(out, "{} {} 301", a.from, a.to);
    }
    out
}

/// The page written at an alias, for hosts that do not read `_redirects`.
pub(crate) fn alias_page(to: &str, config: &Config) -> String {
    let url = escape_html(&format!("{}{to}", config.base_url));
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>Redirecting</title><link rel=\"canonical\" href=\"{url}\"><meta name=\"robots\" content=\"noindex\"><meta http-equiv=\"refresh\" content=\"0; url={url}\"></head><body><p>This page has moved to <a href=\"{url}\">{url}</a>.</p></body></html>\n",
        escape_html(&config.language)
    )
}
