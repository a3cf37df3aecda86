//! ancapex: a static site generator and artifact publishing pipeline for Ancapex Research.
//!
//! The build is a pipeline of stages, each a module with one entry function and plain data out:
//! `load::sources` (files, sorted) -> `parse::site` (front matter, URLs, sections) ->
//! `markdown::site` (bodies to HTML, links checked) -> `render::site` (templates, feeds) ->
//! `output::stage` (written into a staging folder, swapped in atomically).
//! `pipeline` is the only module that knows that order: start reading there.

pub mod artifact;
pub mod config;
pub mod diagnostic;
pub mod error;
pub mod failure;
mod fs;
pub mod init;
pub mod load;
pub mod markdown;
pub mod model;
pub mod output;
pub mod parse;
pub mod pipeline;
pub mod render;
mod text;
pub mod theme;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use error::{Error, Result};
