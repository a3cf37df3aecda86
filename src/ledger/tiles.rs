//! C2SP tlog-tiles (c2sp.org/tlog-tiles): the static files a tlog client fetches to mirror and
//! audit a log: hash tiles `tile/<L>/<N>[.p/<W>]` of 256 hashes each and entry bundles
//! `tile/entries/<N>[.p/<W>]` of 256 length-prefixed entries each.

use super::merkle::{self, Hash};

/// Hashes (or entries) in a full tile.
pub const WIDTH: usize = 256;

/// The tile index `n` as path segments: groups of three digits, all but the last with an
/// `x` prefix (`1234067` is `x001/x234/067`).
pub fn index_path(n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn tile_path(prefix: &str, n: usize, width: usize) -> String {
    if width == WIDTH {
        format!("{prefix}/{}", index_path(n as u64))
    } else {
        format!("{prefix}/{}.p/{width}", index_path(n as u64))
    }
}

/// Every tile of the tree over `leaves` at its current size: the full tiles and the partial
/// tiles on its right edge, as (path under the log's prefix, bytes).
pub fn hash_tiles(leaves: &[Hash]) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    let mut level: Vec<Hash> = leaves.to_vec();
    let mut l = 0;
    while !level.is_empty() {
        for (n, chunk) in level.chunks(WIDTH).enumerate() {
            out.push((
                tile_path(&format!("tile/{l}"), n, chunk.len()),
                chunk.concat(),
            ));
        }
        // The next level's tiles hold the roots of full 256-leaf subtrees of this level.
        level = level.chunks_exact(WIDTH).map(merkle::root).collect();
        l += 1;
    }
    out
}

/// The entry bundles: each entry as a big-endian u16 length then its bytes.
pub fn entry_bundles(entries: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
    entries
        .chunks(WIDTH)
        .enumerate()
        .map(|(n, chunk)| {
            let mut bytes = vec![];
            for e in chunk {
                let len = u16::try_from(e.len()).expect("ledger lines are at most 64 KiB");
                bytes.extend_from_slice(&len.to_be_bytes());
                bytes.extend_from_slice(e);
            }
            (tile_path("tile/entries", n, chunk.len()), bytes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_the_spec_examples() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(1_234_067), "x001/x234/067");
        assert_eq!(index_path(1000), "x001/000");
    }

    #[test]
    fn a_partial_level_zero_tile_holds_the_leaf_hashes() {
        let leaves: Vec<Hash> = (0..3u8).map(|i| merkle::leaf_hash(&[i])).collect();
        let tiles = hash_tiles(&leaves);
        assert_eq!(tiles.len(), 1);
        assert_eq!(tiles[0].0, "tile/0/000.p/3");
        assert_eq!(tiles[0].1, leaves.concat());
        let bundles = entry_bundles(&[b"ab", b""]);
        assert_eq!(bundles[0].0, "tile/entries/000.p/2");
        assert_eq!(bundles[0].1, vec![0, 2, b'a', b'b', 0, 0]);
    }

    #[test]
    fn level_one_tiles_hold_the_roots_of_full_level_zero_tiles() {
        let leaves: Vec<Hash> = (0..600u32)
            .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
            .collect();
        let tiles = hash_tiles(&leaves);
        let paths: Vec<_> = tiles.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tile/0/000",
                "tile/0/001",
                "tile/0/002.p/88",
                "tile/1/000.p/2"
            ]
        );
        assert_eq!(tiles[3].1[..32], merkle::root(&leaves[..256]));
    }
}
