//! C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text `<origin>\n<tree size>\n
//! <base64 root hash>\n` that a checkpoint signs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::merkle::Hash;

/// A tree head: which log, how many leaves, and the root hash over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The RFC 6962 root hash.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a note text; extension lines after the root are allowed and ignored.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let origin = lines.next().filter(|l| !l.is_empty());
        let (Some(origin), Some(size), Some(root)) = (origin, lines.next(), lines.next()) else {
            return Err("a checkpoint has an origin, a tree size and a root hash line".into());
        };
        if size.is_empty() || (size.len() > 1 && size.starts_with('0')) {
            return Err(format!("`{size}` is not a tree size"));
        }
        let size = size
            .parse()
            .map_err(|_| format!("`{size}` is not a tree size"))?;
        let root = B64
            .decode(root)
            .ok()
            .and_then(|r| Hash::try_from(r).ok())
            .ok_or_else(|| format!("`{root}` is not a base64 SHA-256 root hash"))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let c = Checkpoint {
            origin: "example.com/log".into(),
            size: 3,
            root: [1; 32],
        };
        assert_eq!(Checkpoint::parse(&c.text()).unwrap(), c);
        assert!(Checkpoint::parse("example.com/log\n03\nAAAA\n").is_err());
    }
}
