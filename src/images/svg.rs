//! SVG passed through, sanitised: an SVG opened on its own runs its scripts, so what could run
//! one is taken out: `<script>`, `<foreignObject>` (HTML inside the drawing), `<handler>`,
//! event attributes (`onload`), links and animations whose target is not a plain URL
//! (`javascript:`), processing instructions (a stylesheet that transforms the file) and the
//! document type (entities could spell any of these). The scan is deliberately strict: what
//! it does not understand (a tag never closed) is dropped with everything after it.

/// Elements taken out with everything inside them.
const DROPPED: [&str; 7] = [
    "script",
    "foreignobject",
    "handler",
    "listener",
    "iframe",
    "embed",
    "object",
];

/// A sanitised SVG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clean {
    /// The text left.
    pub text: String,
    /// How many elements and attributes were taken out.
    pub removed: usize,
}

/// The SVG without what could run a script.
pub fn sanitise(svg: &str) -> Clean {
    let mut out = String::with_capacity(svg.len());
    let mut removed = 0;
    // The name of the element being dropped and how deep inside it the scan is.
    let mut dropping: Option<(String, usize)> = None;
    let mut rest = svg;
    while let Some(lt) = rest.find('<') {
        if dropping.is_none() {
            out.push_str(&rest[..lt]);
        }
        rest = &rest[lt..];
        let (end, kind) = if rest.starts_with("<!--") {
            (rest.find("-->").map(|i| i + 3), Token::Skip)
        } else if rest.starts_with("<![CDATA[") {
            (rest.find("]]>").map(|i| i + 3), Token::Text)
        } else if rest.starts_with("<!") {
            // A document type, with its internal subset.
            let close = match (rest.find('['), rest.find('>')) {
                (Some(b), Some(g)) if b < g => rest.find("]>").map(|i| i + 2),
                (_, g) => g.map(|i| i + 1),
            };
            (close, Token::Removed)
        } else if rest.starts_with("<?") {
            let keep = rest.starts_with("<?xml ") || rest.starts_with("<?xml?");
            (
                rest.find("?>").map(|i| i + 2),
                if keep { Token::Text } else { Token::Removed },
            )
        } else {
            (tag_end(rest), Token::Tag)
        };
        let Some(end) = end else {
            // Never closed: the rest goes.
            removed += 1;
            rest = "";
            break;
        };
        let token = &rest[..end];
        rest = &rest[end..];
        match kind {
            Token::Skip => {}
            Token::Removed => removed += 1,
            Token::Text => {
                if dropping.is_none() {
                    out.push_str(token);
                }
            }
            Token::Tag => {
                let tag = Tag::read(token);
                if let Some((name, depth)) = dropping.as_mut() {
                    if tag.name == *name {
                        if tag.closing {
                            *depth -= 1;
                        } else if !tag.self_closing {
                            *depth += 1;
                        }
                        if *depth == 0 {
                            dropping = None;
                        }
                    }
                    continue;
                }
                if !tag.closing && drops(&tag) {
                    removed += 1;
                    if !tag.self_closing {
                        dropping = Some((tag.name.clone(), 1));
                    }
                    continue;
                }
                if tag.closing {
                    out.push_str(token);
                    continue;
                }
                let (written, taken) = tag.write();
                removed += taken;
                out.push_str(&written);
            }
        }
    }
    if dropping.is_none() {
        out.push_str(rest);
    }
    Clean { text: out, removed }
}

/// The size an SVG says it has, in pixels: its `width` and `height` when they are numbers
/// (or pixels), else its `viewBox`.
pub fn size(svg: &str) -> Option<(u32, u32)> {
    let start = svg.find("<svg")?;
    let end = tag_end(&svg[start..])?;
    let tag = Tag::read(&svg[start..start + end]);
    let attr = |name: &str| {
        tag.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
    };
    let pixels = |v: &str| -> Option<u32> {
        let v = v.trim();
        let v = v.strip_suffix("px").unwrap_or(v);
        let n: f64 = v.parse().ok()?;
        // Rounded to whole pixels, as `width` and `height` attributes are.
        let whole = format!("{n:.0}");
        if !(1.0..100_000.0).contains(&n) {
            return None;
        }
        whole.parse().ok()
    };
    if let (Some(w), Some(h)) = (
        attr("width").and_then(pixels),
        attr("height").and_then(pixels),
    ) {
        return Some((w, h));
    }
    let view: Vec<&str> = attr("viewBox")?
        .split(|c: char| c.is_ascii_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .collect();
    match view.as_slice() {
        [_, _, w, h] => Some((pixels(w)?, pixels(h)?)),
        _ => None,
    }
}

enum Token {
    /// A comment: left out, nothing lost.
    Skip,
    /// Kept as it is.
    Text,
    /// Taken out.
    Removed,
    /// A tag, read.
    Tag,
}

/// Where a tag that starts `text` ends (after its `>`), quotes respected.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

/// A tag, read: its name (lowercase, without a namespace prefix) and attributes.
struct Tag {
    name: String,
    /// As written, with its prefix.
    raw_name: String,
    closing: bool,
    self_closing: bool,
    attributes: Vec<(String, Option<String>)>,
}

impl Tag {
    fn read(token: &str) -> Tag {
        let inner = token
            .strip_prefix('<')
            .unwrap_or(token)
            .strip_suffix('>')
            .unwrap_or(token);
        let closing = inner.starts_with('/');
        let inner = inner.strip_prefix('/').unwrap_or(inner);
        let self_closing = inner.ends_with('/');
        let inner = inner.strip_suffix('/').unwrap_or(inner);
        let name_end = inner
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(inner.len());
        let raw_name = inner[..name_end].to_owned();
        let name = raw_name
            .rsplit(':')
            .next()
            .unwrap_or(&raw_name)
            .to_ascii_lowercase();
        Tag {
            name,
            raw_name,
            closing,
            self_closing,
            attributes: attributes(&inner[name_end..]),
        }
    }

    /// The tag written again without its unsafe attributes, and how many those were.
    fn write(&self) -> (String, usize) {
        let mut out = format!("<{}", self.raw_name);
        let mut taken = 0;
        for (name, value) in &self.attributes {
            if !safe_attribute(name, value.as_deref()) {
                taken += 1;
                continue;
            }
            out.push(' ');
            out.push_str(name);
            if let Some(v) = value {
                out.push_str("=\"");
                out.push_str(&v.replace('"', "&quot;"));
                out.push('"');
            }
        }
        if self.self_closing {
            out.push('/');
        }
        out.push('>');
        (out, taken)
    }
}

/// Whether an element is taken out whole: a scripting element, or an animation that sets a
/// link or an event handler.
fn drops(tag: &Tag) -> bool {
    if DROPPED.contains(&tag.name.as_str()) {
        return true;
    }
    if tag.name == "set" || tag.name.starts_with("animate") {
        return tag.attributes.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("attributeName")
                && v.as_deref().is_some_and(|v| {
                    let v = v.trim().to_ascii_lowercase();
                    v.ends_with("href") || v.starts_with("on")
                })
        });
    }
    false
}

/// Whether an attribute may stay: no event handler, and no link or value that could name a
/// script.
fn safe_attribute(name: &str, value: Option<&str>) -> bool {
    let local = name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase();
    if local.starts_with("on") {
        return false;
    }
    let Some(value) = value else {
        return true;
    };
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    if [
        "javascript:",
        "vbscript:",
        "data:text/html",
        "data:application",
    ]
    .iter()
    .any(|bad| squeezed.contains(bad))
    {
        return false;
    }
    if local == "href" || local == "src" {
        // Entities could spell a scheme: a link keeps only a fragment, a path or http(s).
        let plain = !squeezed.contains('&');
        let scheme = squeezed
            .split_once(':')
            .filter(|(before, _)| !before.contains('/'))
            .map(|(s, _)| s.to_owned());
        return plain
            && match scheme.as_deref() {
                None => true,
                Some(s) => matches!(s, "http" | "https") || squeezed.starts_with("data:image/"),
            };
    }
    true
}

/// The attributes of a tag: `name="value"`, `name='value'`, `name=value` or `name`.
fn attributes(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = vec![];
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(q @ ('"' | '\'')) = after.chars().next() {
                let close = after[1..].find(q).map_or(after.len(), |i| i + 1);
                let v = after[1..close].to_owned();
                rest = after.get(close + 1..).unwrap_or("");
                Some(v)
            } else {
                let end = after
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(after.len());
                let v = after[..end].to_owned();
                rest = &after[end..];
                Some(v)
            }
        } else {
            None
        };
        if !name.is_empty() {
            out.push((name, value));
        } else if name_end == 0 {
            // A stray `=`: skip a character so the scan moves on.
            rest = rest.get(1..).unwrap_or("");
        }
        rest = rest.trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_script_links_are_taken_out() {
        let svg = r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" onload="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)"><rect width="4" height="4"/></a><a xlink:href=" JaVa&#x09;script:alert(4)">x</a><foreignObject><body><img src=x onerror="alert(5)"/></body></foreignObject><set attributeName="href" to="javascript:alert(6)"/><a href="https://example.org/">ok</a><?xml-stylesheet href="x.xsl"?></svg>"#;
        let clean = sanitise(svg);
        assert_eq!(
            clean.text,
            r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><a><rect width="4" height="4"/></a><a>x</a><a href="https://example.org/">ok</a></svg>"#
        );
        assert_eq!(clean.removed, 8);
    }

    #[test]
    fn a_tag_never_closed_drops_the_rest() {
        let clean = sanitise("<svg><rect/><script src='x.js' <b>");
        assert_eq!(clean.text, "<svg><rect/>");
    }

    #[test]
    fn nested_dropped_elements_end_at_their_own_close() {
        let clean = sanitise(
            "<svg><foreignObject><foreignObject/><foreignObject>a</foreignObject>b</foreignObject><g/></svg>",
        );
        assert_eq!(clean.text, "<svg><g/></svg>");
    }

    #[test]
    fn the_size_is_read_from_width_and_height_or_the_view_box() {
        assert_eq!(size(r#"<svg width="40px" height="20">"#), Some((40, 20)));
        assert_eq!(
            size(r#"<svg viewBox="0 0 300 150" width="100%">"#),
            Some((300, 150))
        );
        assert_eq!(size(r#"<svg width="10em">"#), None);
    }
}
