//! The render stage: every output file of the site, from templates and generators, handed to a
//! sink one at a time (in parallel) so the whole site never has to sit in memory.

pub(crate) mod context;
pub(crate) mod feeds;
pub(crate) mod ledgers;
pub(crate) mod machine;
pub(crate) mod search;

mod jobs;
mod plan;
mod views;

pub use plan::{failure_paths, generated_paths, search_paths};
pub(crate) use jobs::some;
pub(crate) use plan::{Made, Plan, outputs};
pub(crate) use views::{Views, ledger_views, views};

use crate::config::Config;
use crate::diagnostic::Diagnostics;
use crate::error::Result;
use crate::fingerprint::Assets;
use crate::model::{Rendered, Site};
use crate::theme::Theme;

/// Renders the site into `sink`. Template problems come back as diagnostics; a sink failure
/// (the disk) stops the stage.
pub fn site(
    site: &Site,
    theme: &Theme,
    config: &Config,
    assets: &Assets,
    sink: &(dyn Fn(Rendered) -> Result<()> + Sync),
) -> Result<Diagnostics> {
    let views = views(site, config);
    let plan = outputs(site, theme, config, assets);
    theme.lookups.set_documents(Some(views.documents(site)));
    let results = some(
        site,
        theme,
        config,
        assets,
        &views,
        &plan,
        &|_, _| true,
        &|made| match made.body {
            Ok(body) => sink(Rendered {
                path: made.path,
                body,
            })
            .map(|()| None),
            Err(d) => Ok(d),
        },
    );
    let mut diagnostics = plan.diagnostics;
    for r in results {
        if let Some(d) = r? {
            diagnostics.push(d);
        }
    }
    Ok(diagnostics)
}

