//! C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys: the verifier key line
//! `<name>+<hex key id>+<base64(0x01 || public key)>`, the private key file in the Go
//! `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>` form, and the
//! `— <name> <base64(key id || signature)>` signature lines under the note text.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature algorithm byte for Ed25519 in the signed-note spec.
const ALG_ED25519: u8 = 0x01;

/// A key that can check signatures: its name, id and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// The key name, e.g. the log's origin.
    pub name: String,
    /// The first four bytes of SHA-256(name || 0x0A || 0x01 || public key).
    pub id: u32,
    key: VerifyingKey,
}

/// A key that can sign notes.
pub struct Signer {
    name: String,
    id: u32,
    key: SigningKey,
}

fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

/// Splits `<name>+<hex id>+<base64 key>` into its parts and the key bytes after the
/// algorithm byte.
fn split_key<'a>(line: &'a str, what: &str) -> Result<(&'a str, u32, [u8; 32]), String> {
    // Names have no `+`, but base64 may, so split from the left.
    let mut parts = line.splitn(3, '+');
    let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "a {what} has the form `<name>+<key id>+<base64 key>`"
        ));
    };
    if !valid_name(name) {
        return Err(format!("`{name}` is not a key name (no spaces and no `+`)"));
    }
    let id = (id.len() == 8)
        .then(|| u32::from_str_radix(id, 16).ok())
        .flatten()
        .ok_or_else(|| format!("`{id}` is not a key id (8 hex digits)"))?;
    let bytes = B64
        .decode(b64)
        .map_err(|_| format!("the {what} is not valid base64"))?;
    match bytes.split_first() {
        Some((&ALG_ED25519, rest)) if rest.len() == 32 => {
            Ok((name, id, rest.try_into().expect("length checked")))
        }
        Some((&ALG_ED25519, _)) => Err(format!("the {what} is not 32 bytes")),
        _ => Err(format!("the {what} is not an Ed25519 key (algorithm 0x01)")),
    }
}

impl Verifier {
    /// Parses a verifier key line.
    pub fn parse(line: &str) -> Result<Self, String> {
        let (name, id, public) = split_key(line.trim(), "verifier key")?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| "the verifier key is not a valid Ed25519 point".to_owned())?;
        if key_id(name, &public) != id {
            return Err(format!("key id `{id:08x}` does not match the key and name"));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            key,
        })
    }

    /// The verifier key line.
    pub fn line(&self) -> String {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(bytes))
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

impl Signer {
    /// A new key from 32 random bytes.
    pub fn generate(name: &str) -> Result<Self, String> {
        if !valid_name(name) {
            return Err(format!("`{name}` is not a key name (no spaces and no `+`)"));
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
        Ok(Self::from_seed(name, seed))
    }

    pub(crate) fn from_seed(name: &str, seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        Self {
            name: name.to_owned(),
            id: key_id(name, key.verifying_key().as_bytes()),
            key,
        }
    }

    /// Parses a `PRIVATE+KEY+...` file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or("a private key starts with `PRIVATE+KEY+`")?;
        let (name, id, seed) = split_key(rest, "private key")?;
        let signer = Self::from_seed(name, seed);
        if signer.id != id {
            return Err(format!("key id `{id:08x}` does not match the key and name"));
        }
        Ok(signer)
    }

    /// The private key file's text.
    pub fn private_line(&self) -> String {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}\n",
            self.name,
            self.id,
            B64.encode(bytes)
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `text` (which ends with a newline) and returns the whole signed note.
    pub fn sign(&self, text: &str) -> String {
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, B64.encode(blob))
    }
}

/// A signed note, split into its text and signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note<'a> {
    /// The signed text, with its final newline.
    pub text: &'a str,
    /// Each signature: key name, key id, signature bytes.
    pub signatures: Vec<(&'a str, u32, Vec<u8>)>,
}

/// Splits a signed note; malformed notes are an error message.
pub fn parse(note: &str) -> Result<Note<'_>, String> {
    let split = note
        .rfind("\n\n")
        .ok_or("a signed note has its text, a blank line, then signature lines")?;
    let (text, sigs) = (&note[..=split], &note[split + 2..]);
    if !sigs.ends_with('\n') {
        return Err("a signed note ends with a newline".to_owned());
    }
    let mut signatures = vec![];
    for line in sigs.lines() {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or_else(|| format!("`{line}` is not a signature line (`— <name> <signature>`)"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| format!("`{line}` is not a signature line"))?;
        let blob = B64
            .decode(b64)
            .map_err(|_| format!("the signature of `{name}` is not valid base64"))?;
        if blob.len() < 5 {
            return Err(format!("the signature of `{name}` is too short"));
        }
        let id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
        signatures.push((name, id, blob[4..].to_vec()));
    }
    if signatures.is_empty() {
        return Err("the note has no signatures".to_owned());
    }
    Ok(Note { text, signatures })
}

impl Note<'_> {
    /// The first of `keys` that made a valid signature on this note, if any.
    pub fn verified_by<'k>(&self, keys: &'k [Verifier]) -> Option<&'k Verifier> {
        keys.iter().find(|k| {
            self.signatures.iter().any(|(name, id, sig)| {
                *name == k.name
                    && *id == k.id
                    && <[u8; 64]>::try_from(sig.as_slice()).is_ok_and(|s| {
                        k.key
                            .verify_strict(
                                self.text.as_bytes(),
                                &ed25519_dalek::Signature::from_bytes(&s),
                            )
                            .is_ok()
                    })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_round_trip_and_signatures_verify() {
        let signer = Signer::from_seed("example.com/log", [7; 32]);
        let v = Verifier::parse(&signer.verifier().line()).unwrap();
        assert_eq!(v, signer.verifier());
        let again = Signer::parse(&signer.private_line()).unwrap();
        assert_eq!(again.verifier(), v);

        let note = signer.sign("example.com/log\n1\nAAAA\n");
        let parsed = parse(&note).unwrap();
        assert_eq!(parsed.text, "example.com/log\n1\nAAAA\n");
        assert!(parsed.verified_by(std::slice::from_ref(&v)).is_some());

        let forged = note.replace("\n1\n", "\n2\n");
        assert!(parse(&forged).unwrap().verified_by(&[v]).is_none());
    }

    #[test]
    fn key_id_matches_the_go_note_package() {
        // Known answer from golang.org/x/mod/sumdb/note's documentation example key.
        let v =
            Verifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .unwrap();
        assert_eq!(v.id, 0xc74f_20a3);
        let s = Signer::parse(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .unwrap();
        assert_eq!(s.verifier(), v);
        // The signature in the same documentation example.
        let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert!(parse(note).unwrap().verified_by(&[v]).is_some());
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(Verifier::parse("name+zz+AAAA").is_err());
        assert!(Verifier::parse("no-plus").is_err());
        assert!(Signer::generate("has space").is_err());
    }
}
