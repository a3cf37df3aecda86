//! ancapex: a static site generator and artifact publishing pipeline for Ancapex Research.
//!
//! The build is a pipeline of stages, each a module with one entry function and plain data out:
//! `load::sources` and `records::load` (files, sorted) -> `parse::site` (front matter, URLs,
//! sections) -> `records::check` (artifact records, run ledgers, failure reports) ->
//! `markdown::site` (bodies to HTML, links checked) -> `render::outputs` and `render::some`
//! (the outputs planned, then rendered with the templates) ->
//! `output::stage` (written into a staging folder, moved into place once all succeeded).
//! Static assets are fingerprinted before rendering (`fingerprint::apply`); after it,
//! `_headers` (`policy`) and `site-manifest.json` (`manifest`) are written from the digests
//! of what was written.
//! `pipeline::driver` is the only place that knows that order: start reading there. `publish::run`
//! puts a built site on an S3-compatible bucket or in a directory (plan, remote, diff, execute).

pub mod artifact;
pub mod cache;
mod chart;
mod citation;
pub mod config;
pub mod diagnostic;
pub mod document;
pub mod error;
pub mod failure;
pub mod fingerprint;
pub mod front_matter;
mod fs;
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzz;
mod git;
pub mod images;
pub mod init;
mod kind;
pub mod layout;
pub mod ledger;
pub mod load;
pub mod manifest;
pub mod markdown;
pub mod merkle;
pub mod model;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod policy;
pub mod provenance;
pub mod publish;
pub mod records;
pub mod render;
pub mod serve;
pub mod signing;
pub mod text;
pub mod theme;
mod url;
pub mod verify;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use error::{Error, Result};
