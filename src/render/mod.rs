//! The render stage: every output file of the site, from templates and generators, handed to a
//! sink one at a time (in parallel) so the whole site never has to sit in memory.

pub(crate) mod context;
pub(crate) mod feeds;
pub(crate) mod search;

mod jobs;
mod plan;
mod templates;
mod views;

pub(crate) use jobs::some;
pub use plan::link_targets;
pub(crate) use plan::{Made, Plan, outputs};
pub(crate) use views::{Views, views};
