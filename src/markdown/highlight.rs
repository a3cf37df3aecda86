//! Code highlighting with syntect, as CSS classes (never inline styles: the CSP forbids them).
//! The syntax set is loaded once, from syntect's precompiled dump, the first time code is seen.

use std::fmt::Write as _;
use std::sync::OnceLock;

use syntect::html::{
    ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style, line_tokens_to_classed_spans,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use crate::text::escape_html;

/// The prefix of every highlighting class, so theme CSS and syntax CSS never collide.
pub(crate) const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "z-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The names of syntect's built-in themes.
pub(crate) fn theme_names() -> Vec<String> {
    syntect::highlighting::ThemeSet::load_defaults()
        .themes
        .into_keys()
        .collect()
}

/// The stylesheet for one theme, or `None` when no such theme exists.
pub(crate) fn css(theme: &str) -> Option<String> {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let theme = themes.themes.get(theme)?;
    css_for_theme_with_class_style(theme, CLASS_STYLE).ok()
}

/// What a fence's info string asks for: ```` ```rust,linenos,hl_lines=2 4-5,linenostart=10 ````.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fence {
    pub(crate) lang: Option<String>,
    pub(crate) line_numbers: bool,
    pub(crate) line_start: usize,
    pub(crate) highlighted: Vec<(usize, usize)>,
}

impl Fence {
    /// Reads an info string; unknown annotations are returned as the error.
    pub(crate) fn parse(info: &str) -> Result<Self, String> {
        let mut parts = info.split(',').map(str::trim);
        let lang = parts
            .next()
            .filter(|l| !l.is_empty())
            .map(|l| l.split_whitespace().next().unwrap_or(l).to_owned());
        let mut fence = Fence {
            lang,
            line_numbers: false,
            line_start: 1,
            highlighted: vec![],
        };
        for part in parts.filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .map_or((part, ""), |(k, v)| (k.trim(), v.trim()));
            match key {
                "linenos" => fence.line_numbers = true,
                "linenostart" => {
                    fence.line_start = value
                        .parse()
                        .map_err(|_| format!("`linenostart` needs a number, not `{value}`"))?;
                }
                "hl_lines" => {
                    for range in value.split_whitespace() {
                        let (a, b) = range.split_once('-').unwrap_or((range, range));
                        let (a, b) = (a.parse::<usize>(), b.parse::<usize>());
                        match (a, b) {
                            (Ok(a), Ok(b)) if a <= b && a > 0 => fence.highlighted.push((a, b)),
                            _ => {
                                return Err(format!(
                                    "`hl_lines` takes line numbers and ranges such as `2 4-6`, not `{value}`"
                                ));
                            }
                        }
                    }
                }
                other => return Err(format!("unknown code block annotation `{other}`")),
            }
        }
        Ok(fence)
    }

    fn is_highlighted(&self, line: usize) -> bool {
        self.highlighted
            .iter()
            .any(|&(a, b)| (a..=b).contains(&line))
    }
}

fn find_syntax(lang: &str) -> Option<&'static SyntaxReference> {
    let set = syntaxes();
    set.find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_name(lang))
}

/// Renders one code block as `<pre class="code">`. An unknown language is plain text.
pub(crate) fn code_block(code: &str, fence: &Fence, highlight: bool) -> String {
    let lang = fence.lang.as_deref();
    let syntax = if highlight {
        lang.and_then(find_syntax)
    } else {
        None
    };
    let mut out = String::with_capacity(code.len() * 3);
    out.push_str("<pre class=\"code\"");
    if let Some(l) = lang {
        let _ = write!(out, " data-lang=\"{}\"", escape_html(l));
    }
    out.push_str("><code");
    if let Some(l) = lang {
        let _ = write!(out, " class=\"language-{}\"", escape_html(l));
    }
    out.push('>');
    let simple = !fence.line_numbers && fence.highlighted.is_empty();
    match (syntax, simple) {
        (Some(syntax), true) => {
            let mut generator =
                ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes(), CLASS_STYLE);
            let ok = LinesWithEndings::from(code).all(|line| {
                generator
                    .parse_html_for_line_which_includes_newline(line)
                    .is_ok()
            });
            if ok {
                out.push_str(&generator.finalize());
            } else {
                out.push_str(&escape_html(code));
            }
        }
        (None, true) => out.push_str(&escape_html(code)),
        (syntax, false) => lines(&mut out, code, syntax, fence),
    }
    out.push_str("</code></pre>");
    out
}

/// Line-by-line output, for line numbers and highlighted lines: each line is its own span, so
/// scopes still open at a line's end are closed there and opened again on the next line.
fn lines(out: &mut String, code: &str, syntax: Option<&SyntaxReference>, fence: &Fence) {
    let mut state = syntax.map(|s| (ParseState::new(s), ScopeStack::new()));
    for (i, line) in LinesWithEndings::from(code).enumerate() {
        let number = fence.line_start + i;
        let class = if fence.is_highlighted(i + 1) {
            "line hl"
        } else {
            "line"
        };
        let _ = write!(out, "<span class=\"{class}\">");
        if fence.line_numbers {
            let _ = write!(
                out,
                "<span class=\"ln\" aria-hidden=\"true\">{number}</span>"
            );
        }
        let html = state.as_mut().and_then(|(parse, stack)| {
            let open = open_spans(stack);
            let depth = stack.len();
            let ops = parse.parse_line(line, syntaxes()).ok()?;
            let (html, delta) =
                line_tokens_to_classed_spans(line, &ops, CLASS_STYLE, stack).ok()?;
            let close = usize::try_from(isize::try_from(depth).ok()? + delta).ok()?;
            Some(format!("{open}{html}{}", "</span>".repeat(close)))
        });
        out.push_str(&html.unwrap_or_else(|| escape_html(line)));
        out.push_str("</span>");
    }
}

fn open_spans(stack: &ScopeStack) -> String {
    let mut out = String::new();
    for scope in stack.as_slice() {
        let name = scope.build_string();
        let classes: Vec<String> = name.split('.').map(|atom| format!("z-{atom}")).collect();
        let _ = write!(out, "<span class=\"{}\">", classes.join(" "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fence_annotations() {
        let f = Fence::parse("rust,linenos,hl_lines=1 3-4,linenostart=5").unwrap();
        assert_eq!(
            f,
            Fence {
                lang: Some("rust".into()),
                line_numbers: true,
                line_start: 5,
                highlighted: vec![(1, 1), (3, 4)]
            }
        );
        assert!(Fence::parse("rust,wat").is_err());
        assert_eq!(Fence::parse("").unwrap().lang, None);
    }

    #[test]
    fn highlights_with_classes_and_no_inline_style() {
        let html = code_block("fn main() {}\n", &Fence::parse("rust").unwrap(), true);
        assert!(html.starts_with("<pre class=\"code\" data-lang=\"rust\"><code class=\"language-rust\"><span class=\"z-source z-rust\">"), "{html}");
        assert!(!html.contains("style="));
    }

    #[test]
    fn unknown_language_is_escaped_plain_text() {
        let html = code_block("<b>\n", &Fence::parse("nosuchlang").unwrap(), true);
        assert_eq!(
            html,
            "<pre class=\"code\" data-lang=\"nosuchlang\"><code class=\"language-nosuchlang\">&lt;b&gt;\n</code></pre>"
        );
    }

    #[test]
    fn numbered_lines_stay_balanced() {
        let code = "/* a\n b */\nlet x = 1;\n";
        let html = code_block(code, &Fence::parse("js,linenos,hl_lines=2").unwrap(), true);
        assert_eq!(
            html.matches("<span").count(),
            html.matches("</span>").count(),
            "{html}"
        );
        assert!(
            html.contains(
                "<span class=\"line hl\"><span class=\"ln\" aria-hidden=\"true\">2</span>"
            )
        );
    }
}
