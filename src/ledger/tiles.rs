//! C2SP tlog-tiles (c2sp.org/tlog-tiles): the static files a tlog client fetches to mirror and
//! audit a log, or to compute any inclusion or consistency proof: hash tiles
//! `tile/<L>/<N>[.p/<W>]` of 256 hashes each and entry bundles `tile/entries/<N>[.p/<W>]` of
//! 256 length-prefixed entries each. A tile's path names its width, so its bytes never
//! change: a partial tile of a checkpointed tree size stays valid (and served) after the tree
//! grows, so a client holding an older checkpoint can still verify it.

use super::merkle::{Hash, Tree};

/// Hashes (or entries) in a full tile.
pub const WIDTH: usize = 256;
/// Tree levels a tile spans: level `L` tiles hold hashes of subtrees of `256^L` leaves.
const HEIGHT: u32 = 8;

/// One tile: a hash tile of a level, or an entry bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tile {
    /// The tile level, or none for an entry bundle.
    pub level: Option<u32>,
    /// Its index in the level, from 0 on the left.
    pub index: u64,
    /// How many hashes (or entries) it holds: 256 for a full tile.
    pub width: usize,
}

impl Tile {
    /// Its path under the log's prefix.
    pub fn path(&self) -> String {
        let prefix = match self.level {
            Some(l) => format!("tile/{l}"),
            None => "tile/entries".to_owned(),
        };
        if self.width == WIDTH {
            format!("{prefix}/{}", index_path(self.index))
        } else {
            format!("{prefix}/{}.p/{}", index_path(self.index), self.width)
        }
    }

    /// A hash tile's bytes: its hashes, read from the tree's stored subtree hashes.
    pub fn hashes(&self, tree: &Tree) -> Vec<u8> {
        let level = tree.level((HEIGHT * self.level.unwrap_or(0)) as usize);
        let start = usize::try_from(self.index).unwrap_or(usize::MAX) * WIDTH;
        level
            .get(start..start + self.width)
            .map_or_else(Vec::new, <[Hash]>::concat)
    }

    /// An entry bundle's bytes: each entry as a big-endian u16 length then its bytes.
    pub fn bundle(&self, entries: &[&[u8]]) -> Vec<u8> {
        let start = usize::try_from(self.index).unwrap_or(usize::MAX) * WIDTH;
        let mut bytes = vec![];
        for e in entries.get(start..start + self.width).unwrap_or_default() {
            let len = u16::try_from(e.len()).expect("ledger lines are at most 64 KiB");
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(e);
        }
        bytes
    }
}

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

/// Every tile a client needs to verify a tree of any of `sizes` (the checkpointed sizes):
/// the full tiles of the largest and, for each size, the partial tiles on its right edge, at
/// every level, with the entry bundles beside the level-0 tiles. Sorted, each once.
pub fn needed(sizes: &[u64]) -> Vec<Tile> {
    let mut out = vec![];
    // A level-0 tile has its entry bundle beside it, with the same index and width.
    let mut push = |level: u32, index: u64, width: usize| {
        out.push(Tile {
            level: Some(level),
            index,
            width,
        });
        if level == 0 {
            out.push(Tile {
                level: None,
                index,
                width,
            });
        }
    };
    let width = WIDTH as u64;
    let largest = sizes.iter().copied().max().unwrap_or(0);
    for level in (0..).take_while(|l| largest >> (HEIGHT * l) > 0) {
        for index in 0..(largest >> (HEIGHT * level)) / width {
            push(level, index, WIDTH);
        }
    }
    for &size in sizes {
        for level in (0..).take_while(|l| size >> (HEIGHT * l) > 0) {
            let hashes = size >> (HEIGHT * level);
            if hashes % width != 0 {
                push(
                    level,
                    hashes / width,
                    usize::try_from(hashes % width).unwrap_or(0),
                );
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle;

    fn tree(n: u32) -> Tree {
        Tree::new(
            (0..n)
                .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
                .collect(),
        )
    }

    fn paths(sizes: &[u64]) -> Vec<String> {
        let mut paths: Vec<String> = needed(sizes).iter().map(Tile::path).collect();
        paths.sort();
        paths
    }

    #[test]
    fn index_paths_follow_the_spec_examples() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(1_234_067), "x001/x234/067");
        assert_eq!(index_path(1000), "x001/000");
    }

    #[test]
    fn a_partial_level_zero_tile_holds_the_leaf_hashes() {
        let t = tree(3);
        let tiles = needed(&[3]);
        assert_eq!(paths(&[3]), ["tile/0/000.p/3", "tile/entries/000.p/3"]);
        assert_eq!(tiles[1].hashes(&t), t.leaves().concat());
        assert_eq!(
            tiles[0].bundle(&[b"ab", b"", b"c"]),
            [0, 2, b'a', b'b', 0, 0, 0, 1, b'c']
        );
    }

    #[test]
    fn level_one_tiles_hold_the_roots_of_full_level_zero_tiles() {
        let t = tree(600);
        assert_eq!(
            paths(&[600]),
            [
                "tile/0/000",
                "tile/0/001",
                "tile/0/002.p/88",
                "tile/1/000.p/2",
                "tile/entries/000",
                "tile/entries/001",
                "tile/entries/002.p/88",
            ]
        );
        let level1 = Tile {
            level: Some(1),
            index: 0,
            width: 2,
        };
        assert_eq!(level1.hashes(&t)[..32], merkle::root(&t.leaves()[..256]));
        assert_eq!(level1.hashes(&t)[32..], merkle::root(&t.leaves()[256..512]));
    }

    #[test]
    fn every_checkpointed_size_keeps_its_partial_tiles() {
        // 7 and 300 were checkpointed before 600: their right edges stay published, the full
        // tile that replaced `000.p/7` beside it.
        assert_eq!(
            paths(&[7, 300, 600]),
            [
                "tile/0/000",
                "tile/0/000.p/7",
                "tile/0/001",
                "tile/0/001.p/44",
                "tile/0/002.p/88",
                "tile/1/000.p/1",
                "tile/1/000.p/2",
                "tile/entries/000",
                "tile/entries/000.p/7",
                "tile/entries/001",
                "tile/entries/001.p/44",
                "tile/entries/002.p/88",
            ]
        );
        assert_eq!(
            paths(&[256]),
            ["tile/0/000", "tile/1/000.p/1", "tile/entries/000"]
        );
        assert!(needed(&[]).is_empty());
    }
}
