//! The render stage: every output file of the site, from templates and generators, handed to a
//! sink one at a time (in parallel) so the whole site never has to sit in memory.

use crate::{kind, model};

pub(crate) mod context;
pub(crate) mod feeds;
pub(crate) mod search;

mod documents;
mod jobs;
mod plan;
mod templates;
mod views;

pub(crate) use jobs::some;
pub use plan::link_targets;
pub(crate) use plan::{Made, Plan, outputs};
pub(crate) use views::{Views, views};

/// The content kinds, in the order their outputs claim paths: pages and sections (with their
/// aliases), then the records' kinds as `records` registers them. Planning passes no views;
/// rendering passes them.
fn kinds<'a>(site: &'a model::Site, views: Option<&'a Views>) -> Vec<Box<dyn kind::Kind + 'a>> {
    let documents = match views {
        Some(views) => documents::Documents::rendering(site, views),
        None => documents::Documents::planning(site),
    };
    let mut out: Vec<Box<dyn kind::Kind + 'a>> = vec![Box::new(documents)];
    out.extend(crate::records::kinds(&site.records));
    out
}
