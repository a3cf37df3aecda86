use super::*;

fn saved(dir: &Path) -> Key {
    let (mut cache, warning) = open(dir, DEFAULT_MAX_BYTES);
    assert!(warning.is_none());
    let key = Hasher::new().field(b"a body").key();
    cache.put("bodies", key, b"<p>a body</p>".to_vec());
    cache.save().unwrap();
    key
}

fn pack_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap()
}

/// The cache read back: what it holds under `key`, and its warning.
fn reopened(dir: &Path, key: &Key) -> (Option<Vec<u8>>, Option<String>) {
    let (cache, warning) = open(dir, DEFAULT_MAX_BYTES);
    let got = cache.get("bodies", key).map(<[u8]>::to_vec);
    (got, warning.map(|w| w.message))
}

#[test]
fn an_entry_saved_is_read_back_by_the_next_build() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    assert_eq!(
        reopened(dir.path(), &key),
        (Some(b"<p>a body</p>".to_vec()), None)
    );
}

#[test]
fn a_missing_cache_is_empty_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key = Hasher::new().field(b"x").key();
    assert_eq!(reopened(&dir.path().join("none"), &key), (None, None));
}

fn assert_ignored(dir: &Path, key: &Key, why: &str) {
    let (got, warning) = reopened(dir, key);
    assert_eq!(got, None);
    let warning = warning.expect("a warning");
    assert!(warning.contains(why), "{warning}");
}

#[test]
fn a_truncated_pack_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    let pack = pack_file(dir.path());
    let bytes = std::fs::read(&pack).unwrap();
    std::fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();
    assert_ignored(dir.path(), &key, "is not the file its index names");
}

#[test]
fn a_truncated_index_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    let index = dir.path().join(INDEX);
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&index, &bytes[..bytes.len() - 40]).unwrap();
    assert_ignored(dir.path(), &key, "its index is truncated or corrupt");
    std::fs::write(&index, &bytes[..10]).unwrap();
    assert_ignored(dir.path(), &key, "its index is truncated");
}

#[test]
fn a_flipped_byte_anywhere_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    for file in [dir.path().join(INDEX), pack_file(dir.path())] {
        let bytes = std::fs::read(&file).unwrap();
        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            std::fs::write(&file, &flipped).unwrap();
            let (got, warning) = reopened(dir.path(), &key);
            assert_eq!(got, None, "byte {i} of {}", file.display());
            assert!(warning.is_some());
        }
        std::fs::write(&file, &bytes).unwrap();
    }
}

#[test]
fn another_format_or_another_build_of_the_tool_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    let index = dir.path().join(INDEX);
    let bytes = std::fs::read(&index).unwrap();
    let mut r = Reader::open(&bytes, INDEX_MAGIC, identity()).unwrap();
    let rest = r.take(r.rest.len()).unwrap().to_vec();
    let rewrite = |format: u32, identity: &str| {
        let mut w = Writer::new(INDEX_MAGIC, identity);
        w.0[8..12].copy_from_slice(&format.to_le_bytes());
        w.0.extend_from_slice(&rest);
        std::fs::write(&index, w.finish()).unwrap();
    };
    rewrite(FORMAT - 1, identity());
    assert_ignored(dir.path(), &key, &format!("is in format {}", FORMAT - 1));
    rewrite(FORMAT, "ancapex 0.0.1 0000");
    assert_ignored(dir.path(), &key, "was written by another build of ancapex");
    rewrite(FORMAT, identity());
    assert_eq!(reopened(dir.path(), &key).1, None);
}

#[test]
fn a_cache_from_another_machine_gives_what_is_keyed_by_content_and_nothing_tied_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    // A file's digest, kept as this machine's.
    let file = dir.path().join("evidence.bin");
    std::fs::write(&file, b"bytes").unwrap();
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(then)
        .unwrap();
    let (mut cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    let digests = Digests::new(Some(&cache), Rehash::Unchanged);
    digests.sha256(&file).unwrap();
    digests.made().keep(&mut cache);
    cache.save().unwrap();
    let hashes_again = |cache: &Cache| {
        let digests = Digests::new(Some(cache), Rehash::Unchanged);
        digests.sha256(&file).unwrap();
        !digests.made().is_empty()
    };
    let (cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    assert!(!hashes_again(&cache), "taken on the machine that made it");
    // Read on another machine: one warning; the body is there, the digest is not taken.
    let (mut cache, warning) = open_on(dir.path(), DEFAULT_MAX_BYTES, b"another machine");
    let warning = warning.expect("a warning").message;
    assert!(
        warning.contains("was written on another machine"),
        "{warning}"
    );
    assert!(cache.is_foreign());
    assert_eq!(cache.get("bodies", &key), Some(&b"<p>a body</p>"[..]));
    assert!(hashes_again(&cache));
    // Saved there, with nothing added, it is that machine's: there it is not foreign, here it
    // is, and this machine's digest is no longer taken either.
    cache.save().unwrap();
    let (cache, warning) = open_on(dir.path(), DEFAULT_MAX_BYTES, b"another machine");
    assert!(!cache.is_foreign() && warning.is_none());
    let (cache, warning) = open(dir.path(), DEFAULT_MAX_BYTES);
    assert!(cache.is_foreign() && warning.is_some());
    assert!(hashes_again(&cache));
    // Until this machine saves it again.
    let (mut cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    cache.save().unwrap();
    let (cache, warning) = open(dir.path(), DEFAULT_MAX_BYTES);
    assert!(!cache.is_foreign() && warning.is_none());
    assert_eq!(cache.get("bodies", &key), Some(&b"<p>a body</p>"[..]));
}

#[test]
fn a_pack_the_index_names_that_is_missing_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    std::fs::remove_file(pack_file(dir.path())).unwrap();
    assert_ignored(dir.path(), &key, "which its index names, is missing");
}

#[test]
fn past_its_bound_the_entries_used_longest_ago_go_first() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<Key> = (0..4u8).map(|i| Hasher::new().field(&[i]).key()).collect();
    for (i, key) in keys.iter().enumerate() {
        // Each build adds one entry: the first ones are the oldest.
        let (mut cache, _) = open(dir.path(), 3 * (100 + 48));
        cache.put("bodies", *key, vec![u8::try_from(i).unwrap(); 100]);
        cache.save().unwrap();
    }
    let (cache, _) = open(dir.path(), 3 * (100 + 48));
    let kept: Vec<bool> = keys
        .iter()
        .map(|k| cache.get("bodies", k).is_some())
        .collect();
    assert_eq!(kept, [false, true, true, true]);
}

#[test]
fn clean_empties_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let key = saved(dir.path());
    assert!(clean(dir.path()).unwrap() > 0);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert_eq!(reopened(dir.path(), &key), (None, None));
}

#[test]
fn fields_read_back_and_stop_at_the_end() {
    let mut f = Fields::new();
    f.u64(7).str("seven").bytes(&[7]);
    let bytes = f.into_bytes();
    let mut r = Fielded::new(&bytes);
    assert_eq!(r.u64(), Some(7));
    assert_eq!(r.str().as_deref(), Some("seven"));
    assert_eq!(r.bytes(), Some(&[7u8][..]));
    assert!(r.is_done());
    assert_eq!(r.u64(), None);
    let mut short = Fielded::new(&bytes[..12]);
    assert_eq!(short.u64(), Some(7));
    assert_eq!(short.str(), None);
}

/// One build: the cache opened, `puts` kept in `bodies`, saved; returns it as it was left.
fn build(dir: &Path, max_bytes: u64, puts: &[(Key, &[u8])]) -> Cache {
    let (mut cache, warning) = open(dir, max_bytes);
    assert!(warning.is_none(), "{:?}", warning.map(|w| w.message));
    for (key, bytes) in puts {
        cache.put("bodies", *key, bytes.to_vec());
    }
    cache.save().unwrap();
    cache
}

fn key(i: u32) -> Key {
    Hasher::new().field(&i.to_le_bytes()).key()
}

/// The files in `dir`, by name, with their bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The segment files the index names for `bodies`.
fn segments(dir: &Path) -> Vec<String> {
    let (cache, _) = open(dir, DEFAULT_MAX_BYTES);
    cache.packs["bodies"]
        .segments
        .iter()
        .map(|s| s.file.clone())
        .collect()
}

#[test]
fn an_entry_in_a_later_segment_wins() {
    let dir = tempfile::tempdir().unwrap();
    build(
        dir.path(),
        DEFAULT_MAX_BYTES,
        &[(key(1), b"old"), (key(2), b"two")],
    );
    let first = segments(dir.path());
    build(dir.path(), DEFAULT_MAX_BYTES, &[(key(1), b"new")]);
    let both = segments(dir.path());
    assert_eq!(both.len(), 2);
    assert_eq!(both[0], first[0]);
    let (cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    assert_eq!(cache.get("bodies", &key(1)), Some(&b"new"[..]));
    assert_eq!(cache.get("bodies", &key(2)), Some(&b"two"[..]));
}

#[test]
fn compaction_keeps_exactly_the_live_entries_and_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected: BTreeMap<Key, Vec<u8>> = BTreeMap::new();
    let mut keep = |dir: &Path, range: std::ops::Range<u32>, value: &[u8]| {
        let puts: Vec<(Key, &[u8])> = range.map(|i| (key(i), value)).collect();
        for (k, v) in &puts {
            expected.insert(*k, v.to_vec());
        }
        build(dir, DEFAULT_MAX_BYTES, &puts);
    };
    keep(dir.path(), 0..10, b"v1");
    keep(dir.path(), 0..6, b"v2");
    assert_eq!(segments(dir.path()).len(), 2);
    // Twelve dead entries against ten live: written again as one segment.
    keep(dir.path(), 0..6, b"v3");
    let (cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    let pack = &cache.packs["bodies"];
    assert_eq!(pack.segments.len(), 1);
    assert_eq!(pack.segments[0].count, expected.len());
    let read: BTreeMap<Key, Vec<u8>> = pack
        .entries
        .iter()
        .map(|(k, e)| (*k, pack.bytes(e).to_vec()))
        .collect();
    assert_eq!(read, expected);
    // Many builds that each add one entry: the segments stay bounded, and nothing is lost.
    for i in 100..100 + 2 * u32::try_from(MAX_SEGMENTS).unwrap() {
        let value = i.to_le_bytes();
        build(dir.path(), DEFAULT_MAX_BYTES, &[(key(i), &value)]);
        expected.insert(key(i), value.to_vec());
        assert!(segments(dir.path()).len() <= MAX_SEGMENTS, "after {i}");
    }
    let (cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    for (k, v) in &expected {
        assert_eq!(cache.get("bodies", k), Some(&v[..]));
    }
}

#[test]
fn a_build_that_changes_one_entry_writes_one_small_segment() {
    let dir = tempfile::tempdir().unwrap();
    let body = vec![b'x'; 1000];
    let puts: Vec<(Key, &[u8])> = (0..100).map(|i| (key(i), &body[..])).collect();
    build(dir.path(), DEFAULT_MAX_BYTES, &puts);
    let before = files(dir.path());
    let (mut cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    for i in 0..100 {
        assert!(cache.get("bodies", &key(i)).is_some());
    }
    cache.put("bodies", key(7), b"changed".to_vec());
    cache.save().unwrap();
    let after = files(dir.path());
    // Every file there before is there still, as it was, but the index.
    for (name, bytes) in &before {
        if name != INDEX {
            assert_eq!(after.get(name), Some(bytes), "{name}");
        }
    }
    let written: Vec<(&String, usize)> = after
        .iter()
        .filter(|(name, bytes)| before.get(*name) != Some(*bytes))
        .map(|(name, bytes)| (name, bytes.len()))
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    assert_eq!(written[1].0, INDEX);
    assert!(written[0].0.starts_with("bodies-"), "{written:?}");
    assert!(written[0].1 < 300, "{written:?}");
    assert!(written[1].1 < 2000, "{written:?}");
}

#[test]
fn the_used_marks_survive_a_save_that_does_not_rewrite_their_segment() {
    let dir = tempfile::tempdir().unwrap();
    let bound = 3 * (100 + ENTRY_OVERHEAD);
    // Among entries used as long ago, the lesser key goes first: `used` is the one that
    // would go, were its use not marked.
    let (used, unused) = if key(1) < key(2) {
        (key(1), key(2))
    } else {
        (key(2), key(1))
    };
    build(dir.path(), bound, &[(used, &[1; 100]), (unused, &[2; 100])]);
    let first = segments(dir.path());
    let (mut cache, _) = open(dir.path(), bound);
    assert!(cache.get("bodies", &used).is_some());
    cache.put("bodies", key(3), vec![3; 100]);
    cache.save().unwrap();
    // The segment holding the entry used is not written again.
    assert_eq!(segments(dir.path())[0], first[0]);
    build(dir.path(), bound, &[(key(4), &[4; 100])]);
    let (cache, _) = open(dir.path(), bound);
    let kept: Vec<bool> = [used, unused, key(3), key(4)]
        .iter()
        .map(|k| cache.get("bodies", k).is_some())
        .collect();
    assert_eq!(kept, [true, false, true, true]);
}

#[test]
fn too_many_segments_are_merged_without_writing_the_largest_again() {
    let dir = tempfile::tempdir().unwrap();
    let body = vec![b'x'; 1000];
    let puts: Vec<(Key, &[u8])> = (0..50).map(|i| (key(i), &body[..])).collect();
    build(dir.path(), DEFAULT_MAX_BYTES, &puts);
    let base = segments(dir.path())[0].clone();
    let base_bytes = std::fs::read(dir.path().join(&base)).unwrap();
    let rounds = 3 * u32::try_from(MAX_SEGMENTS).unwrap();
    for i in 100..100 + rounds {
        build(dir.path(), DEFAULT_MAX_BYTES, &[(key(i), &i.to_le_bytes())]);
        let now = segments(dir.path());
        assert!(now.len() <= MAX_SEGMENTS, "after {i}: {now:?}");
        assert_eq!(now[0], base, "after {i}");
    }
    assert_eq!(std::fs::read(dir.path().join(&base)).unwrap(), base_bytes);
    let (cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    for i in 0..50 {
        assert_eq!(cache.get("bodies", &key(i)), Some(&body[..]));
    }
    for i in 100..100 + rounds {
        assert_eq!(cache.get("bodies", &key(i)), Some(&i.to_le_bytes()[..]));
    }
}

#[cfg(unix)]
#[test]
fn a_link_planted_under_a_segments_name_is_replaced_not_reached_through() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), DEFAULT_MAX_BYTES, &[(key(1), b"one")]);
    let first = segments(dir.path());
    let (mut cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    // After this build read it, the segment's name is a link to a file elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let precious = elsewhere.path().join("precious");
    std::fs::write(&precious, "not the cache's\n").unwrap();
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&precious)
        .unwrap()
        .set_modified(then)
        .unwrap();
    let at = dir.path().join(&first[0]);
    std::fs::remove_file(&at).unwrap();
    std::os::unix::fs::symlink(&precious, &at).unwrap();
    cache.put("bodies", key(2), b"two".to_vec());
    cache.save().unwrap();
    // The link is a plain file again, and what it led to is as it was, its time too.
    assert!(std::fs::symlink_metadata(&at).unwrap().is_file());
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "not the cache's\n"
    );
    assert_eq!(
        std::fs::metadata(&precious).unwrap().modified().unwrap(),
        then
    );
    let (cache, warning) = open(dir.path(), DEFAULT_MAX_BYTES);
    assert!(warning.is_none(), "{:?}", warning.map(|w| w.message));
    assert_eq!(cache.get("bodies", &key(1)), Some(&b"one"[..]));
}

#[test]
fn a_segment_another_build_removed_is_written_again_by_the_build_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), DEFAULT_MAX_BYTES, &[(key(1), b"one")]);
    let first = segments(dir.path());
    let (mut cache, _) = open(dir.path(), DEFAULT_MAX_BYTES);
    // Another build's cleaning took it, as unnamed by its index, after this one read it.
    std::fs::remove_file(dir.path().join(&first[0])).unwrap();
    cache.put("bodies", key(2), b"two".to_vec());
    cache.save().unwrap();
    assert_eq!(segments(dir.path())[0], first[0]);
    let (cache, warning) = open(dir.path(), DEFAULT_MAX_BYTES);
    assert!(warning.is_none(), "{:?}", warning.map(|w| w.message));
    assert_eq!(cache.get("bodies", &key(1)), Some(&b"one"[..]));
    assert_eq!(cache.get("bodies", &key(2)), Some(&b"two"[..]));
}
