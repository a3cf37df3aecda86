//! The artifact registry for machines: `artifacts/index.json`, each record's `artifact.json`
//! and an in-toto Statement v1 per version. Records serialize in their struct's field order and
//! maps with sorted keys, so the same records always give the same bytes.

use serde::Serialize;
use serde_json::json;

use crate::artifact::{Artifact, SCHEMA};

/// The in-toto predicate type of a record.
pub(crate) const PREDICATE_TYPE: &str = "https://ancapex.org/artifact/v1";

fn pretty(value: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// `artifacts/<id>/artifact.json`: the record as JSON.
pub(crate) fn record(a: &Artifact) -> Vec<u8> {
    pretty(a)
}

/// `artifacts/index.json`: every record, by id.
pub(crate) fn index(artifacts: &[Artifact]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Index<'a> {
        schema: &'static str,
        artifacts: &'a [Artifact],
    }
    pretty(&Index {
        schema: SCHEMA,
        artifacts,
    })
}

/// `artifacts/<id>/<version>.intoto.json`: an in-toto Statement v1 whose subjects are the
/// record's files and their digests, the record itself the predicate.
pub(crate) fn intoto(a: &Artifact) -> Vec<u8> {
    let subject: Vec<_> = a
        .files
        .iter()
        .map(toml::Spanned::get_ref)
        .filter_map(|f| {
            let name = f.path.as_ref().or(f.url.as_ref())?.get_ref();
            let sha = f.sha256.as_ref()?.get_ref();
            Some(json!({ "name": name, "digest": { "sha256": sha } }))
        })
        .collect();
    pretty(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": a,
    }))
}
