//! The theme's templates as the jobs and the content kinds use them: a context with the page's
//! URL, and a template that must exist.

use tera::{Context, Value};

use crate::diagnostic::Diagnostic;
use crate::model::Body;
use crate::theme::Theme;

/// The theme's templates as a content kind sees them.
pub(super) struct ThemeTemplates<'a>(pub(super) &'a Theme, pub(super) &'a crate::config::Config);

impl crate::kind::Templates for ThemeTemplates<'_> {
    fn config(&self) -> &crate::config::Config {
        self.1
    }

    fn has(&self, name: &str) -> bool {
        self.0.has(name) || self.0.is_broken(name)
    }

    fn render(&self, name: &str, url: &str, values: Vec<(&str, Value)>) -> crate::kind::Rendered {
        require_template(self.0, name)?;
        let mut ctx = base_context(url, self.0);
        for (key, value) in values {
            ctx.insert_value(key.to_owned(), value);
        }
        self.0.render(name, &ctx).map(Body::Html).map_err(Some)
    }
}

pub(super) fn base_context(url: &str, theme: &Theme) -> Context {
    let mut ctx = Context::new();
    ctx.insert("current_path", url);
    let base = theme.base_url();
    ctx.insert("current_url", &format!("{base}{url}"));
    ctx
}

pub(super) fn require_template(theme: &Theme, name: &str) -> Result<(), Option<Diagnostic>> {
    if theme.is_broken(name) {
        return Err(None);
    }
    if theme.has(name) {
        Ok(())
    } else {
        Err(Some(Diagnostic::error(format!(
            "template `{name}` not found in the site or theme"
        ))))
    }
}
