//! The RFC 6962 (Certificate Transparency) Merkle tree hash: the site digest is the root over
//! the manifest's sorted file lines. Self-contained on purpose, so that one implementation can
//! serve both the site manifest and the run ledger.

use sha2::{Digest as _, Sha256};

/// The Merkle tree hash of `leaves` in order (RFC 6962 §2.1): a leaf is
/// `SHA-256(0x00 || leaf)`, a node `SHA-256(0x01 || left || right)`, the split at the largest
/// power of two smaller than the count, and the empty tree `SHA-256("")`.
pub(crate) fn root(leaves: &[&[u8]]) -> [u8; 32] {
    match leaves {
        [] => Sha256::digest([]).into(),
        [one] => {
            let mut h = Sha256::new();
            h.update([0x00]);
            h.update(one);
            h.finalize().into()
        }
        _ => {
            let split = leaves.len().next_power_of_two() / 2;
            let (left, right) = leaves.split_at(split);
            let mut h = Sha256::new();
            h.update([0x01]);
            h.update(root(left));
            h.update(root(right));
            h.finalize().into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::root;

    fn hex(bytes: &[u8]) -> String {
        crate::text::hex(bytes)
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The test vectors of the Certificate Transparency reference implementation
    /// (`merkle_tree_test.cc`): the root of the first n of eight leaves.
    #[test]
    fn matches_the_rfc_6962_known_answers() {
        let leaves: Vec<Vec<u8>> = [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|s| unhex(s))
        .collect();
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (n, want) in roots.iter().enumerate() {
            let refs: Vec<&[u8]> = leaves[..=n].iter().map(Vec::as_slice).collect();
            assert_eq!(
                hex(&root(&refs)),
                *want,
                "root of the first {} leaves",
                n + 1
            );
        }
    }

    #[test]
    fn the_empty_tree_is_the_hash_of_nothing() {
        assert_eq!(
            hex(&root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn any_changed_leaf_changes_the_root() {
        let leaves: Vec<Vec<u8>> = (0u8..7).map(|i| vec![i; 3]).collect();
        let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
        let base = root(&refs);
        for i in 0..leaves.len() {
            let mut changed = leaves.clone();
            changed[i][0] ^= 1;
            let refs: Vec<&[u8]> = changed.iter().map(Vec::as_slice).collect();
            assert_ne!(root(&refs), base, "leaf {i}");
        }
    }
}
