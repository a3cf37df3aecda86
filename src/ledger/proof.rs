//! C2SP tlog-proof (c2sp.org/tlog-proof): an offline-verifiable proof that one entry is in the
//! log: the header, `index <N>`, the inclusion path as base64 lines, a blank line and the
//! signed checkpoint.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::merkle::Hash;

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The text of a proof for the entry at `index`, with its inclusion `path` in the tree the
/// signed `checkpoint` note commits to.
pub fn text(index: u64, path: &[Hash], checkpoint: &str) -> String {
    let mut out = format!("{HEADER}\nindex {index}\n");
    for h in path {
        out.push_str(&B64.encode(h));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(checkpoint);
    out
}

/// A parsed proof: the index, the path and the signed checkpoint note.
#[derive(Debug, PartialEq, Eq)]
pub struct Proof<'a> {
    /// The entry's index.
    pub index: u64,
    /// The inclusion path.
    pub path: Vec<Hash>,
    /// The signed checkpoint.
    pub checkpoint: &'a str,
}

/// Parses a proof's text.
pub fn parse(text: &str) -> Result<Proof<'_>, String> {
    let (head, checkpoint) = text
        .split_once("\n\n")
        .ok_or("a proof has its path, a blank line, then the checkpoint")?;
    let mut lines = head.lines();
    if lines.next() != Some(HEADER) {
        return Err(format!("a proof starts with `{HEADER}`"));
    }
    let mut line = lines.next().unwrap_or_default();
    if line.starts_with("extra ") {
        line = lines.next().unwrap_or_default();
    }
    let index = line
        .strip_prefix("index ")
        .and_then(|n| n.parse().ok())
        .ok_or("a proof names its entry with `index <N>`")?;
    let path = lines
        .map(|l| {
            B64.decode(l)
                .ok()
                .and_then(|b| Hash::try_from(b).ok())
                .ok_or_else(|| format!("`{l}` is not a base64 SHA-256 hash"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Proof {
        index,
        path,
        checkpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let t = text(5, &[[2; 32], [3; 32]], "o\n1\nAA==\n\n— o AAAA\n");
        let p = parse(&t).unwrap();
        assert_eq!(p.index, 5);
        assert_eq!(p.path, vec![[2; 32], [3; 32]]);
        assert_eq!(p.checkpoint, "o\n1\nAA==\n\n— o AAAA\n");
    }
}
