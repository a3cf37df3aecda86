//! Signing the site manifest with minisign (Ed25519): `site-manifest.json.minisig` beside it,
//! and checking that signature against a pinned public key in `verify --key`.
//!
//! The key is the text of a minisign secret key, from the `ANCAPEX_SIGNING_KEY` environment
//! variable (for CI secrets) or the file `[signing] key` names. An encrypted key is opened with
//! `ANCAPEX_SIGNING_PASSWORD`; nothing is ever prompted for. minisign's signatures are hedged
//! (randomised), so the `.minisig` differs from one signing to the next; it is not part of the
//! site digest, which the manifest carries and the signature covers.

use std::io::Cursor;
use std::path::Path;

use minisign::{PublicKey, SecretKey, SecretKeyBox, SignatureBox};

use crate::config::Config;
use crate::error::{Error, Malformed, Result};

/// The environment variable holding a secret key's text.
pub const KEY_ENV: &str = "ANCAPEX_SIGNING_KEY";
/// The environment variable holding an encrypted secret key's password.
pub const PASSWORD_ENV: &str = "ANCAPEX_SIGNING_PASSWORD";

/// A key to sign with.
pub struct Signer {
    key: SecretKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

/// The signing key the site is configured with, if any.
pub fn signer(config: &Config) -> Result<Option<Signer>> {
    let (text, from) = if let Ok(text) = std::env::var(KEY_ENV) {
        (text, format!("`{KEY_ENV}`"))
    } else if let Some(path) = &config.signing.key {
        let path = config.root.join(path.get_ref());
        // site.toml may come from a pull request: its key is read only from inside the site.
        if let crate::fs::Followed::Outside(_) = crate::fs::follow(&config.real_root, &path) {
            let shown = crate::fs::rel_path(&config.root, &path);
            return Err(Error::Config {
                path: config.root.join(crate::config::FILE_NAME),
                diagnostics: [crate::fs::link_out(&shown, &crate::fs::link_text(&path))]
                    .into_iter()
                    .collect(),
            });
        }
        let text = crate::fs::read_to_string(&path)?;
        (text, format!("`{}`", path.display()))
    } else {
        return Ok(None);
    };
    let bad = |e: minisign::PError| {
        Error::Malformed(Malformed::SecretKey {
            from: from.clone(),
            reason: lowercase(&e.to_string()),
        })
    };
    let sk_box = SecretKeyBox::from_string(&text).map_err(bad)?;
    let key = match std::env::var(PASSWORD_ENV) {
        Ok(password) => sk_box.into_secret_key(Some(password)),
        Err(_) => sk_box.into_unencrypted_secret_key(),
    }
    .map_err(bad)?;
    if key.is_encrypted() {
        return Err(Error::Malformed(Malformed::Encrypted {
            from,
            env: PASSWORD_ENV,
        }));
    }
    Ok(Some(Signer { key }))
}

impl Signer {
    /// The `.minisig` of the manifest's bytes; its trusted comment names the site digest.
    pub fn sign(&self, manifest: &[u8], site_digest: &str) -> Result<Vec<u8>> {
        let comment = format!("site digest {site_digest}");
        minisign::sign(
            None,
            &self.key,
            Cursor::new(manifest),
            Some(&comment),
            Some("signature of site-manifest.json by ancapex"),
        )
        .map(|b| b.into_string().into_bytes())
        .map_err(|e| Error::Sign {
            reason: e.to_string(),
        })
    }
}

/// What the signature of a built site says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Made by the pinned key over these manifest bytes; the trusted comment.
    Good(String),
    /// No `.minisig` beside the manifest.
    Missing,
    /// Not a valid signature of the manifest by that key: why.
    Bad(String),
}

/// Checks `dir`'s manifest signature against `key`: a public key file, or the key itself (the
/// base64 line of a `.pub` file).
pub fn check(dir: &Path, key: &str) -> Result<Check> {
    let pinned = if Path::new(key).is_file() {
        let text = crate::fs::read_to_string(Path::new(key))?;
        minisign::PublicKeyBox::from_string(&text).and_then(PublicKey::from_box)
    } else {
        PublicKey::from_base64(key.trim())
    }
    .map_err(|e| {
        Error::Usage(format!(
            "`--key {key}` is not a minisign public key: {}",
            lowercase(&e.to_string())
        ))
    })?;
    let sig_path = dir.join(crate::manifest::SIGNATURE);
    if !sig_path.is_file() {
        return Ok(Check::Missing);
    }
    let manifest = crate::fs::read(&dir.join(crate::manifest::FILE))?;
    let text = crate::fs::read_to_string(&sig_path)?;
    let sig = match SignatureBox::from_string(&text) {
        Ok(s) => s,
        Err(e) => return Ok(Check::Bad(lowercase(&e.to_string()))),
    };
    Ok(
        match minisign::verify(&pinned, &sig, Cursor::new(&manifest), true, false, false) {
            Ok(()) => Check::Good(sig.trusted_comment().unwrap_or_default()),
            Err(e) => Check::Bad(lowercase(&e.to_string())),
        },
    )
}

/// A minisign error message in our style: lowercase first, no full stop.
fn lowercase(s: &str) -> String {
    crate::text::lowercase_first(s.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        let other = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        let signer = Signer { key: pair.sk };
        let manifest = b"{\"subject\": []}\n";
        std::fs::write(dir.path().join(crate::manifest::FILE), manifest).unwrap();
        std::fs::write(
            dir.path().join(crate::manifest::SIGNATURE),
            signer.sign(manifest, "ab").unwrap(),
        )
        .unwrap();
        assert_eq!(
            check(dir.path(), &pair.pk.to_base64()).unwrap(),
            Check::Good("site digest ab".into())
        );
        assert!(matches!(
            check(dir.path(), &other.pk.to_base64()).unwrap(),
            Check::Bad(_)
        ));
        std::fs::write(dir.path().join(crate::manifest::FILE), b"{}\n").unwrap();
        assert!(matches!(
            check(dir.path(), &pair.pk.to_base64()).unwrap(),
            Check::Bad(_)
        ));
        std::fs::remove_file(dir.path().join(crate::manifest::SIGNATURE)).unwrap();
        assert_eq!(
            check(dir.path(), &pair.pk.to_base64()).unwrap(),
            Check::Missing
        );
        assert!(check(dir.path(), "not a key").is_err());
    }
}
