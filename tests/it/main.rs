//! The integration tests: fixture sites under `tests/fixtures/` built by the real binary.

mod architecture;
mod artifact_pages;
mod artifacts;
mod build;
mod cache;
mod ci;
mod contrib;
mod docs;
mod errors;
mod exits;
mod failures;
mod figures;
mod hashed;
mod hostile;
mod images;
mod init;
mod ledger;
mod properties;
mod publish;
mod search;
mod serve;
mod support;
mod witness;
