//! C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys: the verifier key line
//! `<name>+<hex key id>+<base64(type || public key)>`, the private key file in the Go
//! `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>` form, and the
//! `— <name> <base64(key id || signature)>` signature lines under the note text.
//!
//! Two key types: a log signs its checkpoints with plain Ed25519 note signatures (type 0x01),
//! and a witness co-signs them with C2SP tlog-cosignature's timestamped `cosignature/v1`
//! (type 0x04): the signature is over `cosignature/v1\ntime <seconds>\n` and the note text,
//! and its bytes are the 8-byte big-endian time, then the Ed25519 signature.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// What a key signs with: the signature type byte of the signed-note spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// Plain Ed25519 note signatures (0x01): a log's checkpoints.
    Ed25519,
    /// Timestamped Ed25519 cosignatures, `cosignature/v1` (0x04): a witness's.
    Cosignature,
}

impl KeyType {
    fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    fn of(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(KeyType::Ed25519),
            0x04 => Some(KeyType::Cosignature),
            _ => None,
        }
    }
}

/// A key that can check signatures: its name, id, type and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// The key name, e.g. the log's origin or the witness's name.
    pub name: String,
    /// The first four bytes of SHA-256(name || 0x0A || type || public key).
    pub id: u32,
    /// What it checks.
    pub key_type: KeyType,
    key: VerifyingKey,
}

/// A key that can sign notes (a log's) or co-sign them (a witness's).
pub struct Signer {
    name: String,
    id: u32,
    key_type: KeyType,
    key: SigningKey,
}

fn key_id(name: &str, key_type: KeyType, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([key_type.byte()]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The message a `cosignature/v1` signs: the header and time lines, then the note text.
fn cosigned_message(text: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{text}")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

/// Splits `<name>+<hex id>+<base64 key>` into its parts, the key type and the key bytes after
/// the type byte.
fn split_key<'a>(line: &'a str, what: &str) -> Result<(&'a str, u32, KeyType, [u8; 32]), String> {
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
        Some((&t, rest)) if KeyType::of(t).is_some() && rest.len() == 32 => Ok((
            name,
            id,
            KeyType::of(t).expect("checked"),
            rest.try_into().expect("length checked"),
        )),
        Some((&t, _)) if KeyType::of(t).is_some() => Err(format!("the {what} is not 32 bytes")),
        _ => Err(format!(
            "the {what} is not an Ed25519 key (type 0x01) or an Ed25519 cosignature key (type 0x04)"
        )),
    }
}

impl Verifier {
    /// Parses a log's verifier key line (type 0x01).
    pub fn parse(line: &str) -> Result<Self, String> {
        Self::parse_as(line, KeyType::Ed25519)
    }

    /// Parses a witness's verifier key line (type 0x04, `cosignature/v1`).
    pub fn parse_witness(line: &str) -> Result<Self, String> {
        Self::parse_as(line, KeyType::Cosignature)
    }

    fn parse_as(line: &str, wanted: KeyType) -> Result<Self, String> {
        let (name, id, key_type, public) = split_key(line.trim(), "verifier key")?;
        if key_type != wanted {
            return Err(match wanted {
                KeyType::Ed25519 => "this is a witness's key (type 0x04), not a log's (type 0x01)",
                KeyType::Cosignature => {
                    "this is a log's key (type 0x01), not a witness's (type 0x04, made by `ledger keygen --witness`)"
                }
            }
            .to_owned());
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| "the verifier key is not a valid Ed25519 point".to_owned())?;
        if key_id(name, key_type, &public) != id {
            return Err(format!("key id `{id:08x}` does not match the key and name"));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            key_type,
            key,
        })
    }

    /// The verifier key line.
    pub fn line(&self) -> String {
        let mut bytes = vec![self.key_type.byte()];
        bytes.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(bytes))
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

impl Signer {
    /// A new key of `key_type` from 32 random bytes.
    pub fn generate(name: &str, key_type: KeyType) -> Result<Self, String> {
        if !valid_name(name) {
            return Err(format!("`{name}` is not a key name (no spaces and no `+`)"));
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
        Ok(Self::from_seed(name, key_type, seed))
    }

    pub(crate) fn from_seed(name: &str, key_type: KeyType, seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        Self {
            name: name.to_owned(),
            id: key_id(name, key_type, key.verifying_key().as_bytes()),
            key_type,
            key,
        }
    }

    /// Parses a `PRIVATE+KEY+...` file, of either type.
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or("a private key starts with `PRIVATE+KEY+`")?;
        let (name, id, key_type, seed) = split_key(rest, "private key")?;
        let signer = Self::from_seed(name, key_type, seed);
        if signer.id != id {
            return Err(format!("key id `{id:08x}` does not match the key and name"));
        }
        Ok(signer)
    }

    /// What the key signs with.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The private key file's text.
    pub fn private_line(&self) -> String {
        let mut bytes = vec![self.key_type.byte()];
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
            key_type: self.key_type,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `text` (which ends with a newline) and returns the whole signed note. A log's
    /// key only.
    pub fn sign(&self, text: &str) -> String {
        debug_assert_eq!(self.key_type, KeyType::Ed25519, "a witness co-signs");
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, B64.encode(blob))
    }

    /// The `cosignature/v1` line of note text `text` at `time` (POSIX seconds): what a
    /// witness adds under the log's signature. A witness's key only.
    pub fn cosign(&self, text: &str, time: u64) -> String {
        debug_assert_eq!(self.key_type, KeyType::Cosignature, "a log signs");
        let sig = self.key.sign(cosigned_message(text, time).as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&time.to_be_bytes());
        blob.extend_from_slice(&sig.to_bytes());
        format!("\u{2014} {} {}\n", self.name, B64.encode(blob))
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

/// What a witness's line under a note says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cosigned {
    /// A valid `cosignature/v1` made at this time (POSIX seconds).
    At(u64),
    /// A line with the witness's name and key id whose signature does not verify.
    Invalid,
}

impl Note<'_> {
    /// What each of `witnesses` co-signed on this note: for each one with a line of its name
    /// and key id, whether it verifies and when it was made. Lines of other keys are ignored,
    /// as the spec says.
    pub fn cosigned_by<'k>(&self, witnesses: &'k [Verifier]) -> Vec<(&'k Verifier, Cosigned)> {
        let mut out = vec![];
        for w in witnesses
            .iter()
            .filter(|w| w.key_type == KeyType::Cosignature)
        {
            let lines = self
                .signatures
                .iter()
                .filter(|(name, id, _)| *name == w.name && *id == w.id);
            for (_, _, blob) in lines {
                let verified = (blob.len() == 72)
                    .then(|| {
                        let time = u64::from_be_bytes(blob[..8].try_into().expect("8 bytes"));
                        let sig = <[u8; 64]>::try_from(&blob[8..]).expect("64 bytes");
                        let message = cosigned_message(self.text, time);
                        w.key
                            .verify_strict(
                                message.as_bytes(),
                                &ed25519_dalek::Signature::from_bytes(&sig),
                            )
                            .is_ok()
                            .then_some(time)
                    })
                    .flatten()
                    .filter(|t| i64::try_from(*t).is_ok());
                out.push((w, verified.map_or(Cosigned::Invalid, Cosigned::At)));
            }
        }
        out
    }

    /// The first of `keys` that made a valid signature on this note, if any.
    pub fn verified_by<'k>(&self, keys: &'k [Verifier]) -> Option<&'k Verifier> {
        keys.iter()
            .filter(|k| k.key_type == KeyType::Ed25519)
            .find(|k| {
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
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn key_lines_round_trip_and_signatures_verify() {
        let signer = Signer::from_seed("example.com/log", KeyType::Ed25519, [7; 32]);
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
    fn a_witness_cosigns_with_a_timestamped_cosignature_v1() {
        let log = Signer::from_seed("example.com/log", KeyType::Ed25519, [7; 32]);
        let witness = Signer::from_seed("witness.example/w1", KeyType::Cosignature, [8; 32]);
        let w = Verifier::parse_witness(&witness.verifier().line()).unwrap();
        assert_eq!(w, witness.verifier());
        // The key id commits to the type byte 0x04.
        let mut h = Sha256::new();
        h.update(b"witness.example/w1\n\x04");
        h.update(w.public_key());
        assert_eq!(w.id.to_be_bytes(), h.finalize()[..4]);

        let text = "example.com/log\n1\nAAAA\n";
        let line = witness.cosign(text, 1_679_315_147);
        let note = format!("{}{line}", log.sign(text));
        let parsed = parse(&note).unwrap();
        // key id || big-endian time || signature.
        assert_eq!(parsed.signatures[1].2.len(), 8 + 64);
        assert_eq!(parsed.signatures[1].2[..8], 1_679_315_147u64.to_be_bytes());
        assert_eq!(
            parsed.cosigned_by(std::slice::from_ref(&w)),
            [(&w, Cosigned::At(1_679_315_147))]
        );
        // The log's signature still verifies with the log's key, and only with it.
        assert!(parsed.verified_by(&[log.verifier()]).is_some());
        assert!(parsed.verified_by(std::slice::from_ref(&w)).is_none());
        // The signature is over `cosignature/v1`, the time line and the text: the same bytes
        // under another time do not verify.
        let sig = line.trim_end().rsplit(' ').next().unwrap();
        let mut blob = B64.decode(sig).unwrap();
        blob[11] += 1;
        let moved = note.replace(sig, &B64.encode(&blob));
        let p = parse(&moved).unwrap();
        assert_eq!(p.signatures[1].2[..8], 1_679_315_148u64.to_be_bytes());
        assert_eq!(
            p.cosigned_by(std::slice::from_ref(&w)),
            [(&w, Cosigned::Invalid)]
        );
        // Each kind of key is refused where the other is expected.
        assert!(
            Verifier::parse(&w.line())
                .unwrap_err()
                .contains("witness's key")
        );
        assert!(
            Verifier::parse_witness(&log.verifier().line())
                .unwrap_err()
                .contains("log's key")
        );
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(Verifier::parse("name+zz+AAAA").is_err());
        assert!(Verifier::parse("no-plus").is_err());
        assert!(Signer::generate("has space", KeyType::Ed25519).is_err());
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn sha256(bytes: &[u8]) -> [u8; 32] {
        Sha256::digest(bytes).into()
    }

    /// Independent known answers: a Sigsum log's checkpoint and the `cosignature/v1` lines of
    /// eight witnesses running on the public internet, none of them written here. The tree
    /// head, log signature and cosignatures are the example in the `sigsum` crate's
    /// documentation (crates.io sigsum 0.3.0, src/lib.rs); the witnesses' keys are its
    /// built-in policy `sigsum-test-2025-3`, written as C2SP verifier keys (remora's is the
    /// same string in transparency-dev/formats' note/note_cosigv1_test.go).
    #[test]
    fn cosignatures_of_public_witnesses_verify_and_a_changed_checkpoint_does_not() {
        const TIME: u64 = 1_770_193_051;
        let origin =
            "sigsum.org/v1/tree/1643169b32bef33a3f54f8a353b87c475d19b6223cbb106390d10a29978e1cba";
        let text = format!("{origin}\n381382\nkB/vxvHZeNLCvtuC1Eh1W83H6GJuZ6x+6Ahzdxvptmc=\n");
        let log = Verifier::parse(&format!(
            "{origin}+57f71a6a+AUfkgWBtisunR6awU9bC0ZFgX7EiF11BChICqRQwq845"
        ))
        .unwrap();
        let mut log_blob = log.id.to_be_bytes().to_vec();
        log_blob.extend(unhex(
            "8a8bf1fca60d1344fb6e2106e8f8906af833d3d75a21fe8d3af72be459f7a11f2ae6606ec6344a13b851cd454b3d281a2b1ae47732f7a8d6afbcc0134d1a2d00",
        ));
        let witnesses: [(&str, &str); 8] = [
            (
                "poc.sigsum.org/nisse+ac30be61+BBwl+KRMY1RX4uOR0e+8p9TClRoK7wYiWogeRrmJYqxs",
                "rDC+YQAAAABpgwCboe4RgrJlIESZy+865Z8+oii5KLPL2ogXpO1aEndoI+mtjvHOmGubmNmVTxeY7EMVwYIHBGAKIxxpA4zMlybSAg==",
            ),
            (
                "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
                "Z/euoAAAAABpgwCbqvZC6BpUOZd3GA8jhXPXSHi2jHtkXYARWDYhQFu0ULTniH/HZQKoFCxJPWTj7T5VbYLa0XBkEQguWIBfZPqdAg==",
            ),
            (
                "rgdd.se/poc-witness+db03732e+BCjJKlo6BU0xfIb8LutqerIFTWIXEA0L5n3tW3QyPFgG",
                "2wNzLgAAAABpgwCb9ZU/QG9f2X2cnRMosAsHv0NKXrdtjaNZrtqYxBTeKcoc7Rhylx6g8TdQinuwXH0yJUhAlCVnevlkM3BjGbwIAQ==",
            ),
            (
                "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
                "2net5wAAAABpgwCbNDS0ZGkEcU9Jg8jn6XakUzJxHxABKxn761VJtsDAT7TtUv7tLagpNUYjxSsiuQCTd2A0qNV9Zg+f8noRj1v4AQ==",
            ),
            (
                "witness.navigli.sunlight.geomys.org+a3e00fe2+BNy/co4C1Hn1p+INwJrfUlgz7W55dSZReusH/GhUhJ/G",
                "o+AP4gAAAABpgwCb8NzhvN2jooJkedYuav7b6ewG6PmQrlnYzvqE2abuaMEsKCD7AOHb3DAESxbHaVqdEEfOxHiNx1f2mNNOuuxDBQ==",
            ),
            (
                "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
                "2AQqhwAAAABpgwCbtExB91VmhQAD9/ZVptx7s4u5gOjiw4OHHimIOAXTrex3gqCDiLk4bZcYOApLtpAAQ+K0YIDP8Pp1pQDDbvnfCg==",
            ),
            (
                "tillitis.se/test-witness-1+7227e4e7+BGNlgq7BLzLBiiFzPbnj9xgFjueq7G2+TrgXgeD0MAxu",
                "cifk5wAAAABpgwCbcGl7SmsH555J0KjkH9dFClk+6d8R2mJEzr5LDBXI5S8orTkxuVqAb8fxa0rZAZeXHdwIdDTHmFuLOgIjyfo2Aw==",
            ),
            (
                "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
                "pIyCDwAAAABpgwCbZhDlz06tIGLZeD+8GdK65l7e01M1SVrQzwOGJ37S1RhUztZO+iGm2wo5j9+2dhqn1WWeVJUKBg0Wf73Le17OBQ==",
            ),
        ];
        let keys: Vec<Verifier> = witnesses
            .iter()
            .map(|(k, _)| Verifier::parse_witness(k).unwrap())
            .collect();
        let mut note = format!("{text}\n\u{2014} {origin} {}\n", B64.encode(&log_blob));
        for (key, (_, sig)) in keys.iter().zip(&witnesses) {
            let _ = writeln!(note, "\u{2014} {} {sig}", key.name);
        }
        let parsed = parse(&note).unwrap();
        assert!(parsed.verified_by(std::slice::from_ref(&log)).is_some());
        let cosigned = parsed.cosigned_by(&keys);
        assert_eq!(cosigned.len(), 8);
        assert!(
            cosigned.iter().all(|(_, c)| *c == Cosigned::At(TIME)),
            "{cosigned:?}"
        );

        // The same lines under another tree size verify for no one.
        let changed = note.replace("\n381382\n", "\n381383\n");
        let parsed = parse(&changed).unwrap();
        assert!(parsed.verified_by(&[log]).is_none());
        assert!(
            parsed
                .cosigned_by(&keys)
                .iter()
                .all(|(_, c)| *c == Cosigned::Invalid)
        );
    }

    /// A known answer made by an implementation written elsewhere (PyPI aics-tlog 0.2.1,
    /// `sign_cosignature`, from the same seed, name, time and checkpoint): Ed25519 is
    /// deterministic, so our verifier key and cosignature line must be these bytes.
    #[test]
    fn our_cosignature_is_byte_for_byte_another_implementations() {
        let seed = sha256(b"interop witness seed");
        let witness = Signer::from_seed("witness.example/w1", KeyType::Cosignature, seed);
        assert_eq!(
            witness.verifier().line(),
            "witness.example/w1+9d4b3ba4+BOkjzfYT3WKE32GBoNhGl3p9i46yeRbEdemHb1vQ2JMO"
        );
        let text = "example.com/log\n3\n2WFWUlknQ6HBe/IBuoZOWU5OkBG/2XwDOSUShNi+AFQ=\n";
        assert_eq!(
            witness.cosign(text, 1_700_000_000),
            "\u{2014} witness.example/w1 nUs7pAAAAABlU/EADcfOgcopJi7lyh8ApW0GB3H0UqAGDV0mtRRUrl/54vdMIO+bwD2zBVwMtswTISfo5jCS2MtBuyw8xIhrUB0qDw==\n"
        );
    }

    /// Mullvad's `sigsum` crate, a verifier written elsewhere, checks what we sign: a
    /// checkpoint in Sigsum's form signed by our log key, co-signed by two of three witnesses
    /// with our `cosignature/v1`, and an inclusion proof from our tree, under its own policy
    /// parser and quorum rule (2 of 3). One cosignature is below its quorum, and a changed
    /// byte of one is refused.
    #[test]
    fn the_sigsum_crate_verifies_our_log_signature_cosignatures_and_proof() {
        use sigsum::{Hash as SHash, Policy, PublicKey, SigsumSignature};

        let hex = crate::text::hex;
        let log_key = Signer::from_seed("x", KeyType::Ed25519, [1; 32])
            .verifier()
            .public_key();
        let origin = format!("sigsum.org/v1/tree/{}", hex(&sha256(&log_key)));
        let log = Signer::from_seed(&origin, KeyType::Ed25519, [1; 32]);
        let witnesses: Vec<Signer> = (2..5)
            .map(|i| {
                Signer::from_seed(
                    &format!("witness.example/w{i}"),
                    KeyType::Cosignature,
                    [i; 32],
                )
            })
            .collect();

        // What a submitter logs: its signature over the checksum of a message, and its key's
        // hash; the log's tree holds it as leaf 4 of 7.
        let submitter = SigningKey::from_bytes(&[9; 32]);
        let message = SHash::new(b"ancapex interop");
        let checksum = sha256(message.as_ref());
        let leaf_sig =
            submitter.sign(&[b"sigsum.org/v1/tree-leaf\0".as_slice(), &checksum].concat());
        let leaf_keyhash = sha256(submitter.verifying_key().as_bytes());
        let leaf = [checksum.as_slice(), &leaf_sig.to_bytes(), &leaf_keyhash].concat();
        let mut leaves: Vec<crate::merkle::Hash> =
            (0u8..7).map(|i| crate::merkle::leaf_hash(&[i])).collect();
        leaves[4] = crate::merkle::leaf_hash(&leaf);
        let tree = crate::merkle::Tree::new(leaves);
        let checkpoint = super::super::checkpoint::Checkpoint {
            origin: origin.clone(),
            size: 7,
            root: tree.root(7),
        };
        let text = checkpoint.text();
        let mut note = log.sign(&text);
        for w in &witnesses[..2] {
            note.push_str(&w.cosign(&text, 1_700_000_000));
        }

        // Our note, in Sigsum's ASCII form.
        let parsed = parse(&note).unwrap();
        let mut sth = format!(
            "size=7\nroot_hash={}\nsignature={}\n",
            hex(&checkpoint.root),
            hex(&parsed.signatures[0].2)
        );
        for (w, (_, _, blob)) in witnesses.iter().zip(&parsed.signatures[1..]) {
            let time = u64::from_be_bytes(blob[..8].try_into().unwrap());
            let _ = writeln!(
                sth,
                "cosignature={} {time} {}",
                hex(&sha256(&w.verifier().public_key())),
                hex(&blob[8..])
            );
        }
        let mut proof = "leaf_index=4\n".to_owned();
        for h in tree.inclusion_proof(4, 7) {
            let _ = writeln!(proof, "node_hash={}", hex(&h));
        }
        let signature = |sth: &str| {
            SigsumSignature::from_ascii(&format!(
                "version=2\nlog={}\nleaf={} {}\n\n{sth}\n{proof}",
                hex(&sha256(&log_key)),
                hex(&leaf_keyhash),
                hex(&leaf_sig.to_bytes()),
            ))
            .unwrap()
        };
        let mut policy = format!("log {}\n", hex(&log_key));
        for w in &witnesses {
            let _ = writeln!(
                policy,
                "witness {} {}",
                w.verifier().name.replace('/', "-"),
                hex(&w.verifier().public_key())
            );
        }
        policy.push_str(
            "group g 2 witness.example-w2 witness.example-w3 witness.example-w4\nquorum g\n",
        );
        let policy = Policy::parse(&policy).unwrap();
        let signers = [PublicKey::from(*submitter.verifying_key().as_bytes())];

        sigsum::verify(&message, &signature(&sth), &signers, &policy).unwrap();
        let one = sth.lines().take(4).collect::<Vec<_>>().join("\n") + "\n";
        let err = sigsum::verify(&message, &signature(&one), &signers, &policy).unwrap_err();
        assert!(
            err.to_string().contains("not enough valid cosignatures"),
            "{err}"
        );
        let last = sth.len() - 2;
        let flipped = format!(
            "{}{}\n",
            &sth[..last],
            if &sth[last..=last] == "0" { "1" } else { "0" }
        );
        let err = sigsum::verify(&message, &signature(&flipped), &signers, &policy).unwrap_err();
        assert!(err.to_string().contains("bad witness cosignature"), "{err}");
    }
}
