//! `theme.toml`, what a theme says about itself, and the syntax stylesheet it was designed with.

use std::sync::Arc;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::markdown::highlight;

/// `theme.toml`: what a theme says about itself and the syntax themes it was designed with.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeToml {
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "read for validation; shown by tools, not by the build"
    )]
    name: Option<String>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "read for validation; shown by tools, not by the build"
    )]
    description: Option<String>,
    #[serde(default)]
    highlight: ThemeHighlight,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeHighlight {
    dark: Option<toml::Spanned<String>>,
    light: Option<toml::Spanned<String>>,
}

/// The generated stylesheet of highlighted code, fingerprinted like the static ones.
pub(crate) const SYNTAX_CSS: &str = "css/syntax.css";

/// `css/syntax.css`: the syntect theme site.toml names, else the one the theme names, and a
/// light one under `prefers-color-scheme: light` when either names one.
pub(crate) fn syntax_css(
    config: &Config,
    theme_config: Option<&Arc<SourceText>>,
    diagnostics: &mut Diagnostics,
) -> String {
    let md = &config.markdown;
    let theme_toml: ThemeToml = match theme_config {
        Some(src) => toml::from_str(&src.text).unwrap_or_else(|e: toml::de::Error| {
            let d = Diagnostic::error(crate::config::toml_message(&e));
            diagnostics.push(match crate::config::toml_error_span(&e, &src.text) {
                Some(span) => d.at(src, span),
                None => d.in_file(src.path.clone()),
            });
            ThemeToml::default()
        }),
        None => ThemeToml::default(),
    };
    let site_set = !md.highlight_theme.span().is_empty();
    let (dark, dark_src) = match (&theme_toml.highlight.dark, theme_config) {
        (Some(t), Some(src)) if !site_set => (t, src),
        _ => (&md.highlight_theme, &config.source),
    };
    let light = match (
        &md.highlight_theme_light,
        &theme_toml.highlight.light,
        theme_config,
    ) {
        (Some(t), _, _) => Some((t, &config.source)),
        (None, Some(t), Some(src)) => Some((t, src)),
        _ => None,
    };
    let mut one = |name: &toml::Spanned<String>, source: &Arc<SourceText>| {
        highlight::css(name.get_ref()).unwrap_or_else(|| {
            let names = highlight::theme_names();
            let list: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut d = Diagnostic::error(format!("unknown highlight theme `{}`", name.get_ref()))
                .at(source, name.span())
                .label(format!("expected one of {}", list.join(", ")));
            if let Some(best) = crate::text::did_you_mean(name.get_ref(), &list) {
                d = d.help(format!("did you mean `{best}`?"));
            }
            if name.span().is_empty() {
                d.location = None;
                d = d.in_file(source.path.clone());
            }
            diagnostics.push(d);
            String::new()
        })
    };
    let mut css = one(dark, dark_src);
    if let Some((light, src)) = light {
        let light_css = one(light, src);
        css = format!("{css}\n@media (prefers-color-scheme: light) {{\n{light_css}}}\n");
    }
    css
}
