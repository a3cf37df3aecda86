//! The RFC 6962 / RFC 9162 Merkle tree: leaf and node hashes, the tree head, inclusion and
//! consistency proofs, and their verification. Run ledgers are trees over their lines; the site
//! digest is the tree head over the manifest's sorted file lines. Small and exactly as specified
//! so any Certificate Transparency or C2SP client computes the same hashes.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 || leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(leaf);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (for `n >= 2`).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The tree head MTH over leaf hashes; the empty tree's is SHA-256 of nothing.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path PATH(index, leaves) (RFC 6962 section 2.1.1). `index` must be in range.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n);
    if index < k {
        let mut p = inclusion_proof(&leaves[..k], index);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = inclusion_proof(&leaves[k..], index - k);
        p.push(root(&leaves[..k]));
        p
    }
}

/// The consistency proof PROOF(m, leaves) between the first `m` leaves and all of them
/// (RFC 6962 section 2.1.2). Empty when `m` is 0 or the whole tree.
pub fn consistency_proof(leaves: &[Hash], m: usize) -> Vec<Hash> {
    fn sub(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if complete { vec![] } else { vec![root(leaves)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = sub(m, &leaves[..k], complete);
            p.push(root(&leaves[k..]));
            p
        } else {
            let mut p = sub(m - k, &leaves[k..], false);
            p.push(root(&leaves[..k]));
            p
        }
    }
    if m == 0 || m > leaves.len() {
        return vec![];
    }
    sub(m, leaves, true)
}

/// Whether `proof` shows the leaf with hash `leaf` at `index` in the tree of `size` leaves
/// with head `root` (RFC 9162 section 2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Whether `proof` shows the tree of `second_size` leaves with head `second` extends the
/// tree of `first_size` leaves with head `first` (RFC 9162 section 2.1.4.2).
pub fn verify_consistency(
    first_size: u64,
    second_size: u64,
    proof: &[Hash],
    first: &Hash,
    second: &Hash,
) -> bool {
    if first_size > second_size {
        return false;
    }
    if first_size == second_size {
        return proof.is_empty() && first == second;
    }
    if first_size == 0 {
        // The empty tree is a prefix of every tree.
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first_size.is_power_of_two() {
        path.push(*first);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (first_size - 1, second_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *first && sr == *second && s == 0
}

/// A tree whose subtree hashes are computed once: level 0 holds the leaf hashes and level
/// `k` the hash of every complete subtree of `2^k` leaves, left to right (about twice as many
/// hashes as leaves). Every tree head, proof and tile of a prefix of the tree is read from
/// these levels in `O(log n)` hashes, instead of hashing the leaves again for each.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// The tree over `leaves` (leaf hashes).
    pub fn new(leaves: Vec<Hash>) -> Self {
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|l| l.len() >= 2) {
            let above = below
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(above);
        }
        Tree { levels }
    }

    /// The number of leaves.
    pub fn size(&self) -> usize {
        self.levels[0].len()
    }

    /// The leaf hashes.
    pub fn leaves(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// The hashes of the complete subtrees of `2^level` leaves, left to right (for tiles).
    pub fn level(&self, level: usize) -> &[Hash] {
        self.levels.get(level).map_or(&[], Vec::as_slice)
    }

    /// MTH of the leaves `lo..hi`, from stored subtree hashes where the range is one.
    fn range(&self, lo: usize, hi: usize) -> Hash {
        let n = hi - lo;
        if n == 0 {
            return Sha256::digest([]).into();
        }
        if n.is_power_of_two() && lo % n == 0 {
            return self.levels[n.trailing_zeros() as usize][lo / n];
        }
        let k = split(n);
        node_hash(&self.range(lo, lo + k), &self.range(lo + k, hi))
    }

    /// The tree head of the first `size` leaves (at most [`Tree::size`]).
    pub fn root(&self, size: usize) -> Hash {
        self.range(0, size)
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves, as
    /// [`inclusion_proof`] gives it. `index` must be below `size`.
    pub fn inclusion_proof(&self, index: usize, size: usize) -> Vec<Hash> {
        let mut path = vec![];
        let (mut lo, mut hi) = (0, size);
        // Down from the root, the sibling of each subtree holding the leaf; the path lists
        // them from the leaf up.
        while hi - lo > 1 {
            let k = split(hi - lo);
            if index < lo + k {
                path.push(self.range(lo + k, hi));
                hi = lo + k;
            } else {
                path.push(self.range(lo, lo + k));
                lo += k;
            }
        }
        path.reverse();
        path
    }

    /// The consistency proof between the first `m` and the first `size` leaves, as
    /// [`consistency_proof`] gives it.
    pub fn consistency_proof(&self, m: usize, size: usize) -> Vec<Hash> {
        if m == 0 || m > size {
            return vec![];
        }
        let mut proof = vec![];
        let (mut lo, mut hi, mut complete) = (0, size, true);
        let mut m = m;
        while m != hi - lo {
            let k = split(hi - lo);
            if m <= k {
                proof.push(self.range(lo + k, hi));
                hi = lo + k;
            } else {
                proof.push(self.range(lo, lo + k));
                m -= k;
                lo += k;
                complete = false;
            }
        }
        if !complete {
            proof.push(self.range(lo, hi));
        }
        proof.reverse();
        proof
    }
}

/// Lowercase hex of a hash.
pub fn hex(h: &Hash) -> String {
    crate::text::hex(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The leaves of the Certificate Transparency reference tree (RFC 6962 test data).
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    /// Its heads after 1..=8 leaves.
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn h(s: &str) -> Hash {
        unhex(s).try_into().unwrap()
    }

    fn reference_leaves() -> Vec<Hash> {
        LEAVES.iter().map(|l| leaf_hash(&unhex(l))).collect()
    }

    fn proof_hex(p: &[Hash]) -> Vec<String> {
        p.iter().map(hex).collect()
    }

    #[test]
    fn empty_tree_head_is_sha256_of_nothing() {
        assert_eq!(
            hex(&root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn tree_heads_match_the_rfc_6962_reference_vectors() {
        let leaves = reference_leaves();
        for (n, want) in ROOTS.iter().enumerate() {
            assert_eq!(hex(&root(&leaves[..=n])), *want, "tree of {} leaves", n + 1);
        }
    }

    #[test]
    fn inclusion_proofs_match_the_reference_vectors() {
        let leaves = reference_leaves();
        // (index, tree size, path) from the Certificate Transparency test suite.
        let cases: [(usize, usize, &[&str]); 4] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, want) in cases {
            let proof = inclusion_proof(&leaves[..size], index);
            assert_eq!(proof_hex(&proof), want, "leaf {index} of {size}");
            let head = h(ROOTS[size - 1]);
            assert!(verify_inclusion(
                index as u64,
                size as u64,
                &leaves[index],
                &proof,
                &head
            ));
            assert!(!verify_inclusion(
                index as u64 + 1,
                size as u64,
                &leaves[index],
                &proof,
                &head
            ));
            assert!(!verify_inclusion(
                index as u64,
                size as u64 * 2,
                &leaves[index],
                &proof,
                &head
            ));
        }
    }

    #[test]
    fn consistency_proofs_match_the_reference_vectors() {
        let leaves = reference_leaves();
        let cases: [(usize, usize, &[&str]); 4] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                3,
                8,
                &[
                    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
        ];
        for (m, n, want) in cases {
            let proof = consistency_proof(&leaves[..n], m);
            assert_eq!(proof_hex(&proof), want, "{m} to {n}");
            let (a, b) = (h(ROOTS[m - 1]), h(ROOTS[n - 1]));
            assert!(verify_consistency(m as u64, n as u64, &proof, &a, &b));
            assert!(!verify_consistency(m as u64, n as u64, &proof, &b, &a));
            assert!(!verify_consistency(m as u64 + 1, n as u64, &proof, &a, &b));
            assert!(!verify_consistency(m as u64, n as u64, &proof[1..], &a, &b));
        }
    }

    #[test]
    fn a_tree_matches_the_reference_vectors() {
        let tree = Tree::new(reference_leaves());
        for (n, want) in ROOTS.iter().enumerate() {
            assert_eq!(hex(&tree.root(n + 1)), *want);
        }
        assert_eq!(tree.root(0), root(&[]));
        assert_eq!(tree.level(3), [tree.root(8)]);
        assert!(tree.level(4).is_empty());
    }

    #[test]
    fn trivial_consistency_cases() {
        let leaves = reference_leaves();
        let one = root(&leaves[..1]);
        assert!(verify_consistency(1, 1, &[], &one, &one));
        assert!(verify_consistency(0, 3, &[], &one, &one));
        assert!(!verify_consistency(1, 1, &[one], &one, &one));
        assert!(!verify_consistency(2, 1, &[], &one, &one));
        assert!(!verify_consistency(1, 2, &[], &one, &one));
    }

    fn flip(h: &mut Hash, bit: usize) {
        h[bit / 8 % 32] ^= 1 << (bit % 8);
    }

    proptest! {
        #[test]
        fn any_inclusion_proof_verifies_and_any_flipped_bit_fails(
            size in 1usize..70, pick in any::<prop::sample::Index>(),
            bit in 0usize..256, which in any::<prop::sample::Index>(),
        ) {
            let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(format!("line {i}").as_bytes())).collect();
            let index = pick.index(size);
            let head = root(&leaves);
            let proof = inclusion_proof(&leaves, index);
            let (i, n) = (index as u64, size as u64);
            prop_assert!(verify_inclusion(i, n, &leaves[index], &proof, &head));

            let mut leaf = leaves[index];
            flip(&mut leaf, bit);
            prop_assert!(!verify_inclusion(i, n, &leaf, &proof, &head));

            let mut bad_root = head;
            flip(&mut bad_root, bit);
            prop_assert!(!verify_inclusion(i, n, &leaves[index], &proof, &bad_root));

            if !proof.is_empty() {
                let mut bad = proof.clone();
                flip(&mut bad[which.index(proof.len())], bit);
                prop_assert!(!verify_inclusion(i, n, &leaves[index], &bad, &head));
            }
        }

        #[test]
        fn a_tree_gives_the_heads_and_proofs_of_every_prefix_as_the_leaves_do(
            size in 1usize..140, pick in any::<prop::sample::Index>(), other in any::<prop::sample::Index>(),
        ) {
            let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_le_bytes())).collect();
            let tree = Tree::new(leaves.clone());
            let n = pick.index(size) + 1;
            prop_assert_eq!(tree.root(n), root(&leaves[..n]));
            let index = other.index(n);
            prop_assert_eq!(tree.inclusion_proof(index, n), inclusion_proof(&leaves[..n], index));
            let m = other.index(n) + 1;
            prop_assert_eq!(tree.consistency_proof(m, n), consistency_proof(&leaves[..n], m));
        }

        #[test]
        fn any_consistency_proof_verifies(size in 1usize..70, pick in any::<prop::sample::Index>()) {
            let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let m = pick.index(size) + 1;
            let proof = consistency_proof(&leaves, m);
            prop_assert!(verify_consistency(m as u64, size as u64, &proof, &root(&leaves[..m]), &root(&leaves)));
        }
    }
}
