//! The plan against the target: what to upload, what needs new headers only, what is
//! unchanged, which keys of ours to delete and which to keep, and the records to write.

use std::collections::{BTreeMap, BTreeSet};

use super::plan::{Item, Plan};
use super::remote::{FORMAT, Owned, Record, State};

/// What happens to one planned file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Not on the target: its bytes are sent.
    New,
    /// On the target with other bytes: its bytes are sent.
    Changed,
    /// The right bytes with other headers: the headers are replaced, the bytes not sent.
    Headers,
    /// Nothing to do.
    Unchanged,
}

impl Action {
    /// The word in the plan.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::New => "new",
            Action::Changed => "changed",
            Action::Headers => "headers",
            Action::Unchanged => "unchanged",
        }
    }

    /// Whether its bytes are sent.
    pub fn uploads(self) -> bool {
        matches!(self, Action::New | Action::Changed)
    }
}

/// One planned file and what happens to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The file.
    pub item: Item,
    /// What happens to it.
    pub action: Action,
}

/// Limits on what a publish removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// More deletes than this means none.
    pub max_deletes: usize,
    /// Immutable files of this many generations (this one included) are kept.
    pub keep_generations: u64,
}

/// Everything a publish does, decided before anything is done.
#[derive(Debug, Clone)]
pub struct Changes {
    /// Every planned file, in plan order (phase, then key).
    pub steps: Vec<Step>,
    /// Keys of ours the site no longer has, to delete after the new record is written.
    pub deletes: Vec<String>,
    /// How many deletes were held back because there were more than the cap (then `deletes`
    /// is empty).
    pub held_back: usize,
    /// Immutable keys the site no longer has, kept for cached pages of recent generations.
    pub kept: Vec<String>,
    /// The record written after the pages: the site, the kept keys, and the keys still to
    /// delete (so that an interrupted publish can delete them next time).
    pub record: Record,
    /// The record once the deletes are done.
    pub after_deletes: Record,
    /// URL paths whose content or headers changed or that were deleted, for a CDN purge.
    pub invalidate: Vec<String>,
    /// Keys of the site that were changed or removed on the target since the last publish,
    /// not by a publish: sent again.
    pub repaired: Vec<String>,
    /// Keys of ours no longer in the site that were changed or removed on the target since
    /// the last publish, not by a publish: left as they are.
    pub altered: Vec<String>,
}

/// Compares the plan with the target.
pub fn compute(plan: &Plan, state: &State, limits: Limits) -> Changes {
    let previous = state.record.as_ref();
    let generation = previous.map_or(0, |r| r.generation) + 1;
    let steps: Vec<Step> = plan
        .items
        .iter()
        .map(|item| Step {
            action: action(item, state),
            item: item.clone(),
        })
        .collect();
    let planned: BTreeMap<&str, &str> = plan
        .items
        .iter()
        .map(|i| (i.key.as_str(), i.sha256.as_str()))
        .collect();
    let (repaired, altered): (Vec<String>, Vec<String>) = previous
        .map(|r| out_of_band(r, state, &planned))
        .unwrap_or_default()
        .into_iter()
        .partition(|k| planned.contains_key(k.as_str()));

    // The keys we own: the record's, and those an interrupted publish wrote with our metadata.
    let mut owned: BTreeMap<String, Owned> =
        previous.map(|r| r.objects.clone()).unwrap_or_default();
    if let Some(listed) = &state.listed {
        for (key, l) in listed.iter().filter(|(_, l)| l.ours) {
            owned.entry(key.clone()).or_insert_with(|| Owned {
                sha256: l.sha256.clone().unwrap_or_default(),
                size: 0,
                headers: l.headers.clone().unwrap_or_default(),
                immutable: l.immutable,
                generation: 0,
                etag: None,
            });
        }
    }

    let in_site: BTreeSet<&str> = plan.items.iter().map(|i| i.key.as_str()).collect();
    let mut site: BTreeMap<String, Owned> = plan
        .items
        .iter()
        .map(|i| {
            let owned = Owned {
                sha256: i.sha256.clone(),
                size: i.size,
                headers: i.headers.fingerprint(),
                immutable: i.immutable,
                generation,
                etag: None,
            };
            (i.key.clone(), owned)
        })
        .collect();
    let mut kept = vec![];
    let mut gone = BTreeMap::new();
    for (key, o) in owned {
        if in_site.contains(key.as_str()) {
            continue;
        }
        if o.immutable && o.generation + limits.keep_generations > generation {
            kept.push(key.clone());
            site.insert(key, o);
        } else {
            gone.insert(key, o);
        }
    }
    let after_deletes = Record {
        format: FORMAT.to_owned(),
        generation,
        site_digest: plan.site_digest.clone(),
        generator: format!("ancapex {}", env!("CARGO_PKG_VERSION")),
        objects: site,
    };
    let mut record = after_deletes.clone();
    record.objects.extend(gone.clone());
    let (deletes, held_back): (Vec<String>, usize) = if gone.len() > limits.max_deletes {
        (vec![], gone.len())
    } else {
        (gone.into_keys().collect(), 0)
    };
    let after_deletes = if held_back > 0 {
        record.clone()
    } else {
        after_deletes
    };

    let mut invalidate: BTreeSet<String> = BTreeSet::new();
    let changed = steps
        .iter()
        .filter(|s| matches!(s.action, Action::Changed | Action::Headers))
        .map(|s| s.item.key.as_str());
    let purged = changed
        .chain(deletes.iter().map(String::as_str))
        .chain(repaired.iter().map(String::as_str));
    for key in purged {
        let at = crate::policy::served_at(key);
        if at != format!("/{key}") {
            invalidate.insert(format!("/{key}"));
        }
        invalidate.insert(at);
    }
    Changes {
        steps,
        deletes,
        held_back,
        kept,
        record,
        after_deletes,
        invalidate: invalidate.into_iter().collect(),
        repaired,
        altered,
    }
}

/// The recorded objects that were changed or removed on the target since, not by a publish:
/// missing, or holding bytes that are neither the recorded ones nor the planned ones and do not
/// carry our SHA-256 (an interrupted publish of ours writes both). An S3 object written by
/// another client carries no SHA-256 of ours, so it counts whatever its bytes.
fn out_of_band(record: &Record, state: &State, planned: &BTreeMap<&str, &str>) -> Vec<String> {
    record
        .objects
        .iter()
        .filter(|(key, owned)| match state.seen(key) {
            None => false,
            Some(None) => true,
            Some(Some(l)) => {
                let sha = l.sha256.as_deref();
                let as_planned = sha.is_some() && sha == planned.get(key.as_str()).copied();
                sha != Some(owned.sha256.as_str()) && !as_planned && !l.ours
            }
        })
        .map(|(key, _)| key.clone())
        .collect()
}

/// What the target says about an item: what was seen of it (every object with
/// `--verify-remote` or without a record; else those the listing shows changed), else the
/// record.
fn action(item: &Item, state: &State) -> Action {
    let remote = match state.seen(&item.key) {
        Some(seen) => seen.map(|l| (l.sha256.clone(), l.headers.clone())),
        None => state
            .record
            .as_ref()
            .and_then(|r| r.objects.get(&item.key))
            .map(|o| (Some(o.sha256.clone()), Some(o.headers.clone()))),
    };
    match remote {
        None => Action::New,
        Some((sha, _)) if sha.as_deref() != Some(item.sha256.as_str()) => Action::Changed,
        Some((_, headers)) if headers.as_deref() != Some(item.headers.fingerprint().as_str()) => {
            // A directory keeps no header metadata: the record, when there is one, says which
            // headers were last published.
            let recorded = state
                .record
                .as_ref()
                .and_then(|r| r.objects.get(&item.key))
                .map(|o| o.headers.as_str());
            if headers.is_none() && recorded == Some(item.headers.fingerprint().as_str()) {
                Action::Unchanged
            } else {
                Action::Headers
            }
        }
        Some(_) => Action::Unchanged,
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::{Headers, Phase};
    use super::super::remote::Listed;
    use super::*;

    fn item(key: &str, sha: &str, immutable: bool) -> Item {
        Item {
            key: key.to_owned(),
            sha256: sha.repeat(64),
            size: 1,
            headers: Headers {
                content_type: crate::policy::media_type(key).to_owned(),
                cache_control: if immutable { "immutable" } else { "revalidate" }.to_owned(),
            },
            immutable,
            phase: if immutable {
                Phase::Immutable
            } else {
                Phase::Pages
            },
        }
    }

    fn plan(items: Vec<Item>) -> Plan {
        Plan {
            dir: "public".into(),
            items,
            site_digest: "d".repeat(64),
        }
    }

    const LIMITS: Limits = Limits {
        max_deletes: 256,
        keep_generations: 3,
    };

    /// The state after publishing `plan` with nothing there before.
    fn published(plan: &Plan) -> State {
        let first = compute(plan, &State::default(), LIMITS);
        State {
            record: Some(first.after_deletes),
            etag: Some("\"1\"".to_owned()),
            has_record: true,
            ..State::default()
        }
    }

    fn actions(c: &Changes) -> Vec<(&str, Action)> {
        c.steps
            .iter()
            .map(|s| (s.item.key.as_str(), s.action))
            .collect()
    }

    #[test]
    fn everything_is_new_on_an_empty_target_and_nothing_changes_after() {
        let p = plan(vec![item("a.html", "a", false), item("b.html", "b", false)]);
        let first = compute(&p, &State::default(), LIMITS);
        assert_eq!(
            actions(&first),
            [("a.html", Action::New), ("b.html", Action::New)]
        );
        assert_eq!(first.record.generation, 1);
        let again = compute(&p, &published(&p), LIMITS);
        assert!(again.steps.iter().all(|s| s.action == Action::Unchanged));
        assert!(again.deletes.is_empty() && again.invalidate.is_empty());
        assert_eq!(again.record.generation, 2);
    }

    #[test]
    fn changed_bytes_upload_and_changed_headers_only_replace_headers() {
        let p = plan(vec![
            item("a.html", "a", false),
            item("b/index.html", "b", false),
        ]);
        let state = published(&p);
        let mut next = p.clone();
        next.items[0].sha256 = "c".repeat(64);
        next.items[1].headers.cache_control = "public, max-age=300".to_owned();
        let c = compute(&next, &state, LIMITS);
        assert_eq!(
            actions(&c),
            [
                ("a.html", Action::Changed),
                ("b/index.html", Action::Headers)
            ]
        );
        assert_eq!(c.invalidate, ["/a.html", "/b/", "/b/index.html"]);
    }

    #[test]
    fn removed_pages_are_deleted_after_and_recorded_until_then() {
        let p = plan(vec![
            item("a.html", "a", false),
            item("old.html", "o", false),
        ]);
        let state = published(&p);
        let next = plan(vec![item("a.html", "a", false)]);
        let c = compute(&next, &state, LIMITS);
        assert_eq!(c.deletes, ["old.html"]);
        assert!(c.record.objects.contains_key("old.html"));
        assert!(!c.after_deletes.objects.contains_key("old.html"));
        assert_eq!(c.invalidate, ["/old.html"]);
    }

    #[test]
    fn over_the_cap_nothing_is_deleted_and_the_keys_stay_owned() {
        let p = plan(vec![
            item("a.html", "a", false),
            item("b.html", "b", false),
            item("c.html", "c", false),
        ]);
        let state = published(&p);
        let next = plan(vec![item("a.html", "a", false)]);
        let limits = Limits {
            max_deletes: 1,
            ..LIMITS
        };
        let c = compute(&next, &state, limits);
        assert!(c.deletes.is_empty());
        assert_eq!(c.held_back, 2);
        assert!(c.after_deletes.objects.contains_key("b.html"));
        assert!(c.invalidate.is_empty());
    }

    #[test]
    fn fingerprinted_files_are_kept_for_the_last_generations() {
        let mut state = published(&plan(vec![item("x.1111.css", "1", true)]));
        // Generations 2 and 3 use another stylesheet: generation 1's is still kept.
        for generation in 2..=4u64 {
            let next = plan(vec![item("x.2222.css", "2", true)]);
            let c = compute(&next, &state, LIMITS);
            assert_eq!(c.record.generation, generation);
            if generation < 4 {
                assert_eq!(c.kept, ["x.1111.css"], "generation {generation}");
                assert!(c.deletes.is_empty());
            } else {
                assert!(c.kept.is_empty());
                assert_eq!(c.deletes, ["x.1111.css"]);
            }
            state.record = Some(c.after_deletes);
        }
    }

    #[test]
    fn foreign_objects_are_never_deleted_and_our_strays_are() {
        let p = plan(vec![item("a.html", "a", false)]);
        let listed = [
            ("a.html", Some("a"), true),
            ("foreign.txt", None, false),
            ("stray.html", Some("s"), true),
        ]
        .into_iter()
        .map(|(k, sha, ours)| {
            let l = Listed {
                sha256: sha.map(|s| s.repeat(64)),
                headers: ours.then(|| p.items[0].headers.fingerprint()),
                immutable: false,
                ours,
            };
            (k.to_owned(), l)
        })
        .collect();
        let state = State {
            listed: Some(listed),
            ..State::default()
        };
        let c = compute(&p, &state, LIMITS);
        assert_eq!(actions(&c), [("a.html", Action::Unchanged)]);
        assert_eq!(c.deletes, ["stray.html"]);
    }

    #[test]
    fn a_directory_listing_without_metadata_trusts_the_recorded_headers() {
        let p = plan(vec![item("a.html", "a", false)]);
        let mut state = published(&p);
        state.listed = Some(
            [(
                "a.html".to_owned(),
                Listed {
                    sha256: Some("a".repeat(64)),
                    headers: None,
                    immutable: false,
                    ours: false,
                },
            )]
            .into(),
        );
        let c = compute(&p, &state, LIMITS);
        assert_eq!(actions(&c), [("a.html", Action::Unchanged)]);
    }

    fn seen(sha: Option<&str>, ours: bool) -> Listed {
        Listed {
            sha256: sha.map(|s| s.repeat(64)),
            headers: None,
            immutable: false,
            ours,
        }
    }

    #[test]
    fn changes_made_on_the_target_by_someone_else_are_sent_again_and_said() {
        let p = plan(vec![
            item("gone.html", "g", false),
            item("foreign.html", "f", false),
            item("interrupted.html", "i", false),
            item("touched.html", "t", false),
            item("same.html", "s", false),
        ]);
        let mut state = published(&p);
        let mut next = p.clone();
        // A publish of ours was interrupted after sending the new bytes of this one.
        next.items[2].sha256 = "j".repeat(64);
        state.checked = [
            ("gone.html", None),
            // Put by another client: no digest of ours.
            ("foreign.html", Some(seen(None, false))),
            ("interrupted.html", Some(seen(Some("j"), true))),
            // A directory's file with a new time and the same bytes.
            ("touched.html", Some(seen(Some("t"), false))),
        ]
        .into_iter()
        .map(|(k, l)| (k.to_owned(), l))
        .collect();
        let c = compute(&next, &state, LIMITS);
        assert_eq!(c.repaired, ["foreign.html", "gone.html"]);
        assert_eq!(
            actions(&c),
            [
                ("gone.html", Action::New),
                ("foreign.html", Action::Changed),
                ("interrupted.html", Action::Unchanged),
                ("touched.html", Action::Unchanged),
                ("same.html", Action::Unchanged),
            ]
        );
        assert_eq!(
            c.invalidate,
            ["/foreign.html", "/gone.html"],
            "a repaired file is purged from the CDN too"
        );
        // A file of ours that is no longer in the site is only reported.
        let smaller = plan(vec![item("same.html", "s", false)]);
        let c = compute(&smaller, &state, LIMITS);
        assert_eq!(c.repaired, Vec::<String>::new());
        assert_eq!(c.altered, ["foreign.html", "gone.html"]);
    }
}
