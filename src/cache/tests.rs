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
    assert_ignored(dir.path(), &key, "is in format 0");
    rewrite(FORMAT, "ancapex 0.0.1 0000");
    assert_ignored(dir.path(), &key, "was written by another build of ancapex");
    rewrite(FORMAT, identity());
    assert_eq!(reopened(dir.path(), &key).1, None);
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
