//! Finding shortcode calls in markdown: `{{ name(k="v") }}` inline, `{% name(k="v") %}` ...
//! `{% end %}` as a block, and the escapes `{{/* ... */}}` and `{%/* ... */%}` for writing them
//! literally. Calls inside code are never touched.

use std::ops::Range;

use serde_json::{Map, Value};

/// A shortcode call found in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) args: Map<String, Value>,
    /// The whole call, body and `{% end %}` included.
    pub(crate) span: Range<usize>,
    /// The body of a block call.
    pub(crate) body: Option<Range<usize>>,
}

/// A piece of the text between, or instead of, calls.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    /// Markdown, unchanged.
    Text(Range<usize>),
    /// An escaped call, written out literally.
    Literal(String, Range<usize>),
    /// A call.
    Call(Call),
}

/// A malformed call: the message and where it is.
pub(crate) type ScanError = (String, Range<usize>);

/// Cuts `text[range]` into markdown pieces and calls. `code` holds the ranges of code spans and
/// blocks, where nothing is a call. A malformed call is reported and left as text.
pub(crate) fn scan(
    text: &str,
    range: Range<usize>,
    code: &[Range<usize>],
) -> (Vec<Piece>, Vec<ScanError>) {
    let mut pieces = vec![];
    let mut errors = vec![];
    let mut text_start = range.start;
    let mut pos = range.start;
    while let Some(found) = text[pos..range.end].find('{') {
        let at = pos + found;
        pos = at + 1;
        if code.iter().any(|c| c.contains(&at)) {
            continue;
        }
        let rest = &text[at..range.end];
        let outcome = if rest.starts_with("{{/*") {
            escaped(rest, "{{", "*/}}", "}}")
                .map(|(lit, len)| Some(Piece::Literal(lit, at..at + len)))
        } else if rest.starts_with("{%/*") {
            escaped(rest, "{%", "*/%}", "%}")
                .map(|(lit, len)| Some(Piece::Literal(lit, at..at + len)))
        } else if rest.starts_with("{{") {
            inline(text, at, range.end)
        } else if rest.starts_with("{%") {
            block(text, at, range.end)
        } else {
            continue;
        };
        match outcome {
            Ok(Some(piece)) => {
                let span = match &piece {
                    Piece::Literal(_, s) => s.clone(),
                    Piece::Call(c) => c.span.clone(),
                    Piece::Text(_) => unreachable!("scan never yields text here"),
                };
                if text_start < span.start {
                    pieces.push(Piece::Text(text_start..span.start));
                }
                text_start = span.end;
                pos = span.end;
                pieces.push(piece);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if text_start < range.end || pieces.is_empty() {
        pieces.push(Piece::Text(text_start..range.end));
    }
    (pieces, errors)
}

fn escaped(
    rest: &str,
    open: &str,
    close: &str,
    out_close: &str,
) -> Result<(String, usize), ScanError> {
    let end = rest.find(close).ok_or_else(|| {
        (
            format!("escaped shortcode is not closed with `{close}`"),
            0..open.len() + 2,
        )
    })?;
    Ok((
        format!("{open}{}{out_close}", &rest[open.len() + 2..end]),
        end + close.len(),
    ))
}

/// `{{ name(args) }}`; text that does not start like a call (`{{ page.title }}` in prose) is left alone.
fn inline(text: &str, at: usize, end: usize) -> Result<Option<Piece>, ScanError> {
    let mut p = Parser {
        depth: 0,
        text: &text[..end],
        pos: at + 2,
    };
    p.ws();
    let Some(name) = p.ident() else {
        return Ok(None);
    };
    p.ws();
    if !p.eat("(") {
        return Ok(None);
    }
    let args = p.args().map_err(|m| (m, p.pos..p.pos + 1))?;
    p.ws();
    if !p.eat("}}") {
        return Err((
            "shortcode call is not closed with `}}`".to_owned(),
            at..p.pos,
        ));
    }
    Ok(Some(Piece::Call(Call {
        name,
        args,
        span: at..p.pos,
        body: None,
    })))
}

/// `{% name(args) %}` body `{% end %}`.
fn block(text: &str, at: usize, end: usize) -> Result<Option<Piece>, ScanError> {
    let Some((name, args, body_start)) = block_start(text, at, end)? else {
        if is_end(text, at, end).is_some() {
            return Err((
                "`{% end %}` without a block shortcode to close".to_owned(),
                at..at + 2,
            ));
        }
        return Ok(None);
    };
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..at].trim().is_empty() {
        return Err((
            "a block shortcode must start on its own line".to_owned(),
            at..body_start,
        ));
    }
    let mut depth = 1;
    let mut pos = body_start;
    while let Some(found) = text[pos..end].find("{%") {
        let tag = pos + found;
        if let Some(after) = is_end(text, tag, end) {
            depth -= 1;
            if depth == 0 {
                return Ok(Some(Piece::Call(Call {
                    name,
                    args,
                    span: at..after,
                    body: Some(body_start..tag),
                })));
            }
            pos = after;
        } else if let Ok(Some((_, _, after))) = block_start(text, tag, end) {
            depth += 1;
            pos = after;
        } else {
            pos = tag + 2;
        }
    }
    Err((
        format!("block shortcode `{name}` is never closed"),
        at..body_start,
    ))
    .map_err(|(m, s)| (format!("{m}: add `{{% end %}}` after its body"), s))
}

type BlockStart = (String, Map<String, Value>, usize);

fn block_start(text: &str, at: usize, end: usize) -> Result<Option<BlockStart>, ScanError> {
    let mut p = Parser {
        depth: 0,
        text: &text[..end],
        pos: at + 2,
    };
    p.ws();
    let Some(name) = p.ident() else {
        return Ok(None);
    };
    p.ws();
    if !p.eat("(") {
        return Ok(None);
    }
    let args = p.args().map_err(|m| (m, p.pos..p.pos + 1))?;
    p.ws();
    if !p.eat("%}") {
        return Err((
            "block shortcode is not closed with `%}`".to_owned(),
            at..p.pos,
        ));
    }
    Ok(Some((name, args, p.pos)))
}

fn is_end(text: &str, at: usize, end: usize) -> Option<usize> {
    let mut p = Parser {
        depth: 0,
        text: &text[..end],
        pos: at + 2,
    };
    p.ws();
    if p.ident()? != "end" {
        return None;
    }
    p.ws();
    p.eat("%}").then_some(p.pos)
}

/// How deep lists may nest in a shortcode's arguments: far more than any call needs, and a
/// bound on the recursion an untrusted page can cause.
const MAX_LIST_NESTING: usize = 32;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Lists open around the value being read.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<String> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 || rest.as_bytes()[0].is_ascii_digit() {
            return None;
        }
        self.pos += len;
        Some(rest[..len].to_owned())
    }

    /// `k=v, k2=v2)` up to and including the closing parenthesis.
    fn args(&mut self) -> Result<Map<String, Value>, String> {
        let mut args = Map::new();
        loop {
            self.ws();
            if self.eat(")") {
                return Ok(args);
            }
            let key = self
                .ident()
                .ok_or("expected an argument name, as in `name=\"value\"`")?;
            self.ws();
            if !self.eat("=") {
                return Err(format!("expected `=` after argument `{key}`"));
            }
            self.ws();
            let value = self.value()?;
            if args.insert(key.clone(), value).is_some() {
                return Err(format!("argument `{key}` is given twice"));
            }
            self.ws();
            if !self.eat(",") {
                self.ws();
                if self.eat(")") {
                    return Ok(args);
                }
                return Err("expected `,` or `)` after an argument".to_owned());
            }
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        let rest = self.rest();
        match rest.chars().next() {
            Some(q @ ('"' | '\'' | '`')) => self.string(q).map(Value::String),
            Some('[') => {
                if self.depth == MAX_LIST_NESTING {
                    return Err(format!(
                        "lists in a shortcode's arguments nest at most {MAX_LIST_NESTING} deep"
                    ));
                }
                self.pos += 1;
                let mut items = vec![];
                loop {
                    self.ws();
                    if self.eat("]") {
                        return Ok(Value::Array(items));
                    }
                    self.depth += 1;
                    let item = self.value();
                    self.depth -= 1;
                    items.push(item?);
                    self.ws();
                    if !self.eat(",") {
                        self.ws();
                        if self.eat("]") {
                            return Ok(Value::Array(items));
                        }
                        return Err("expected `,` or `]` in a list".to_owned());
                    }
                }
            }
            _ if rest.starts_with("true") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            _ if rest.starts_with("false") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let len = rest
                    .find(|c: char| {
                        !(c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+' | '_'))
                    })
                    .unwrap_or(rest.len());
                let num = rest[..len].replace('_', "");
                self.pos += len;
                if let Ok(i) = num.parse::<i64>() {
                    Ok(Value::from(i))
                } else {
                    num.parse::<f64>()
                        .map(Value::from)
                        .map_err(|_| format!("`{}` is not a number", &rest[..len]))
                }
            }
            _ => Err(
                "expected a value: a quoted string, a number, `true`, `false` or a `[list]`"
                    .to_owned(),
            ),
        }
    }

    fn string(&mut self, quote: char) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' if quote != '`' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, c)) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err("string is not closed".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(text: &str) -> Vec<Piece> {
        let (pieces, errors) = scan(text, 0..text.len(), &[]);
        assert!(errors.is_empty(), "{errors:?}");
        pieces
    }

    #[test]
    fn finds_inline_calls_with_typed_arguments() {
        let t = "a {{ card(n=\"01\", k=3, f=-1.5, b=true, l=[\"x\", 'y']) }} b";
        let p = calls(t);
        let Piece::Call(c) = &p[1] else {
            panic!("{p:?}")
        };
        assert_eq!(c.name, "card");
        assert_eq!(
            serde_json::Value::Object(c.args.clone()),
            serde_json::json!({"n": "01", "k": 3, "f": -1.5, "b": true, "l": ["x", "y"]})
        );
        assert_eq!(
            &t[c.span.clone()],
            "{{ card(n=\"01\", k=3, f=-1.5, b=true, l=[\"x\", 'y']) }}"
        );
        assert_eq!(p[0], Piece::Text(0..2));
    }

    #[test]
    fn finds_nested_blocks() {
        let t = "{% outer() %}\nA\n{% inner(x=1) %}\nB\n{% end %}\n{% end %}\ntail";
        let p = calls(t);
        let Piece::Call(c) = &p[0] else {
            panic!("{p:?}")
        };
        assert_eq!(c.name, "outer");
        assert_eq!(
            &t[c.body.clone().unwrap()],
            "\nA\n{% inner(x=1) %}\nB\n{% end %}\n"
        );
    }

    #[test]
    fn escapes_are_literal() {
        let t = "{{/* card(n=1) */}} and {%/* box() */%}";
        let p = calls(t);
        assert_eq!(p[0], Piece::Literal("{{ card(n=1) }}".into(), 0..19));
        assert!(matches!(&p[2], Piece::Literal(s, _) if s == "{% box() %}"));
    }

    #[test]
    fn prose_braces_and_code_are_left_alone() {
        let t = "use {{ page.title }} here `{{ x() }}`";
        let code_start = t.find('`').unwrap();
        let code: Vec<Range<usize>> = std::iter::once(code_start..t.len()).collect();
        let (p, e) = scan(t, 0..t.len(), &code);
        assert!(e.is_empty());
        assert_eq!(p, vec![Piece::Text(0..t.len())]);
    }

    #[test]
    fn reports_malformed_calls() {
        for (t, msg) in [
            ("{{ card(n=) }}", "expected a value"),
            ("{{ card(n=\"1\" }}", "expected `,` or `)`"),
            ("{% box() %}\nnever closed", "never closed"),
            ("text {% box() %}\n{% end %}", "on its own line"),
            ("{% end %}", "without a block"),
            (
                &format!("{{{{ card(n={}) }}}}", "[".repeat(20_000)),
                "nest at most 32 deep",
            ),
        ] {
            let (_, e) = scan(t, 0..t.len(), &[]);
            assert!(
                e.first().is_some_and(|(m, _)| m.contains(msg)),
                "{t}: {e:?}"
            );
        }
    }
}
