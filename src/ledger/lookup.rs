//! What a template's `get_ledger` call shows of a run ledger: its summary, made once per
//! build, and the entries the call's arguments select, made for that call.

use std::sync::Arc;

use serde_json::Value;
use tera::Kwargs;

use super::{Entry, Ledger};

/// Which entries a `get_ledger` call shows: `from`..=`to` by seq, only `types`, then the
/// `last` N of those.
#[derive(Debug, Default)]
struct Selection {
    last: Option<u64>,
    from: Option<u64>,
    to: Option<u64>,
    types: Option<Vec<String>>,
}

/// A ledger's view with the entries the arguments select; none for an unknown name.
pub(crate) type View = dyn Fn(&str, &Kwargs) -> tera::TeraResult<Option<Value>> + Send + Sync;

/// The ledgers' names, and their views by name (see [`View`]).
pub(crate) fn lookup(ledgers: &Arc<[Ledger]>) -> (Vec<String>, Box<View>) {
    let ledgers = Arc::clone(ledgers);
    let summaries: Vec<Value> = ledgers.iter().map(super::site::summary_view).collect();
    let names = ledgers.iter().map(|l| l.name.clone()).collect();
    let view = move |name: &str, kwargs: &Kwargs| -> tera::TeraResult<Option<Value>> {
        let Some(i) = ledgers.iter().position(|l| l.name == name) else {
            return Ok(None);
        };
        let selection = selection(kwargs)?;
        let l = &ledgers[i];
        let mut view = summaries[i].clone();
        view["entries"] = select(&selection, &l.entries)
            .into_iter()
            .map(|e| super::site::entry(l, e))
            .collect();
        Ok(Some(view))
    };
    (names, Box::new(view))
}

/// The selection a call's arguments make, or what is wrong with one of them.
fn selection(kwargs: &Kwargs) -> tera::TeraResult<Selection> {
    // Shortcodes pass `none` for arguments the editor left out.
    let given = |k: &str| -> tera::TeraResult<Option<tera::Value>> {
        Ok(kwargs
            .get::<tera::Value>(k)?
            .filter(|v| !v.is_none() && !v.is_undefined()))
    };
    let count = |k: &str| -> tera::TeraResult<Option<u64>> {
        given(k)?
            .map(|v| {
                v.as_u64().ok_or_else(|| {
                    tera::Error::message(format!(
                        "`get_ledger`: `{k}` is not a non-negative integer"
                    ))
                })
            })
            .transpose()
    };
    let types = given("types")?
        .map(|v| {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .ok_or_else(|| tera::Error::message("`get_ledger`: `types` is not a list of types"))
        })
        .transpose()?;
    let select = Selection {
        last: count("last")?,
        from: count("from")?,
        to: count("to")?,
        types,
    };
    Ok(select)
}

/// The entries `select` picks of `entries` (sorted by seq). With `last`, entries are looked
/// at from the end only until enough are found, whatever the ledger's length.
fn select<'a>(select: &Selection, entries: &'a [Entry]) -> Vec<&'a Entry> {
    let start = select
        .from
        .map_or(0, |f| entries.partition_point(|e| e.seq < f));
    let end = select
        .to
        .map_or(entries.len(), |t| entries.partition_point(|e| e.seq <= t));
    let range = entries.get(start..end).unwrap_or_default();
    let wanted = |e: &&Entry| select.types.as_ref().is_none_or(|ts| ts.contains(&e.kind));
    match select.last {
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            let mut kept: Vec<&Entry> = range.iter().rev().filter(wanted).take(n).collect();
            kept.reverse();
            kept
        }
        None => range.iter().filter(wanted).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(kinds: &[&str]) -> Vec<Entry> {
        kinds
            .iter()
            .zip(0u64..)
            .map(|(kind, seq)| Entry {
                seq,
                ts: String::new(),
                kind: (*kind).to_owned(),
                actor: String::new(),
                body: serde_json::Map::new(),
                refs: vec![],
                line: String::new(),
                leaf: [0; 32],
            })
            .collect()
    }

    fn seqs(select_: &Selection, all: &[Entry]) -> Vec<u64> {
        select(select_, all).iter().map(|e| e.seq).collect()
    }

    #[test]
    fn a_selection_bounds_by_seq_then_type_then_takes_the_last() {
        let all = entries(&["a", "b", "a", "b", "a", "b"]);
        assert_eq!(seqs(&Selection::default(), &all), [0, 1, 2, 3, 4, 5]);
        let last2 = Selection {
            last: Some(2),
            ..Selection::default()
        };
        assert_eq!(seqs(&last2, &all), [4, 5]);
        let b_upto_3 = Selection {
            to: Some(3),
            types: Some(vec!["b".into()]),
            ..Selection::default()
        };
        assert_eq!(seqs(&b_upto_3, &all), [1, 3]);
        let last_a_from_1 = Selection {
            last: Some(1),
            from: Some(1),
            types: Some(vec!["a".into()]),
            ..Selection::default()
        };
        assert_eq!(seqs(&last_a_from_1, &all), [4]);
        let past_the_end = Selection {
            from: Some(9),
            to: Some(20),
            ..Selection::default()
        };
        assert!(seqs(&past_the_end, &all).is_empty());
        let backwards = Selection {
            from: Some(4),
            to: Some(2),
            ..Selection::default()
        };
        assert!(seqs(&backwards, &all).is_empty());
    }

    fn kwargs(pairs: &[(&'static str, tera::Value)]) -> Kwargs {
        let map: tera::Map = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect();
        Kwargs::new(Arc::new(map))
    }

    #[test]
    fn arguments_make_a_selection_or_say_which_one_is_wrong() {
        let s = selection(&kwargs(&[
            ("last", tera::Value::from(3u64)),
            (
                "types",
                tera::Value::from(vec![tera::Value::from("failure")]),
            ),
            // Shortcodes pass `none` for what the editor left out.
            ("from", tera::Value::none()),
        ]))
        .unwrap();
        assert_eq!((s.last, s.from, s.to), (Some(3), None, None));
        assert_eq!(s.types, Some(vec!["failure".to_owned()]));
        let message = |pairs: &[(&'static str, tera::Value)]| {
            selection(&kwargs(pairs)).unwrap_err().to_string()
        };
        assert!(
            message(&[("to", tera::Value::from(-1i64))])
                .contains("`get_ledger`: `to` is not a non-negative integer")
        );
        assert!(
            message(&[("types", tera::Value::from("failure"))])
                .contains("`get_ledger`: `types` is not a list of types")
        );
    }
}
