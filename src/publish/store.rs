//! The publish target behind one small API: an S3-compatible bucket or a local directory,
//! both through Apache OpenDAL (retries with backoff on timeouts and 5xx, timeouts, multipart
//! writes of large files), plus the one S3 request OpenDAL cannot express: a copy of an object
//! onto itself with new headers (`x-amz-metadata-directive: REPLACE`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use opendal::layers::{RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, Operator};

use super::plan::{Headers, Item};
use super::{S3Config, Target};
use crate::error::{Error, Result};

/// Our own keys under the prefix: never listed as site files, never deleted.
pub const OWN_PREFIX: &str = ".well-known/ancapex/";

/// The user-metadata key holding an object's SHA-256 (S3: `x-amz-meta-ancapex-sha256`).
pub(crate) const META_SHA256: &str = "ancapex-sha256";
/// The user-metadata key holding the fingerprint of an object's headers.
pub(crate) const META_HEADERS: &str = "ancapex-headers";
/// Files up to this size are sent in one request; larger ones in parts of this size.
const PART: u64 = 8 * 1024 * 1024;
/// Where a directory target keeps its temporary files before renaming them into place.
const DIR_TMP: &str = ".well-known/ancapex/tmp";

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Attempts after the first, for timeouts and 5xx.
    pub retries: usize,
    /// The first backoff delay (doubled on each retry, with jitter).
    pub backoff: Duration,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            retries: 5,
            backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(60),
        }
    }
}

/// An object as seen on the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Its ETag, when the store gives one.
    pub(crate) etag: Option<String>,
    /// Our SHA-256 metadata, when it carries it.
    pub(crate) sha256: Option<String>,
    /// Our header fingerprint metadata, when it carries it.
    pub(crate) headers: Option<String>,
    /// Its `Cache-Control`, when the store keeps one.
    pub(crate) cache_control: Option<String>,
}

/// An object as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    /// Its size in bytes.
    pub size: u64,
    /// What changes whenever its bytes do: its ETag (S3), or `mtime:<time>` (a directory).
    pub version: Option<String>,
}

/// What a conditional write of the publish record requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// That nothing is there yet.
    Absent,
    /// That the object still has this ETag.
    Matches(String),
    /// Nothing (the store cannot check).
    None,
}

/// A conditional write that found the object changed.
#[derive(Debug)]
pub(crate) struct Lost;

/// How a store applies a change of headers alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderUpdate {
    /// S3 CopyObject onto itself with the new headers: no bytes sent.
    Copy,
    /// The store keeps no headers (a directory: the web server sets them); nothing to do.
    NotStored,
}

/// Whether the store may be changed: a dry run opens a directory target without creating
/// anything in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    ReadOnly,
    ReadWrite,
}

pub(crate) struct Store {
    op: Operator,
    name: String,
    kind: Kind,
}

enum Kind {
    S3(S3Copy),
    Dir(PathBuf),
}

/// What a signed CopyObject needs.
struct S3Copy {
    /// `<endpoint>`, no trailing `/`.
    endpoint: String,
    /// `<bucket>/<prefix>`, encoded, no trailing `/`.
    source: String,
    region: String,
    credential: Option<reqsign_aws_v4::Credential>,
    client: reqwest::Client,
    timeout: Duration,
}

impl Store {
    /// Opens the target (no request is made yet).
    pub(crate) fn open(
        target: &Target,
        s3: &S3Config,
        tuning: Tuning,
        access: Access,
    ) -> Result<Self> {
        let retry = RetryLayer::new()
            .with_max_times(tuning.retries)
            .with_min_delay(tuning.backoff)
            .with_max_delay(tuning.backoff * 32)
            .with_factor(2.0)
            .with_jitter();
        let timeout = TimeoutLayer::new()
            .with_timeout(tuning.timeout)
            .with_io_timeout(tuning.timeout);
        let name = target.to_string();
        let failed = |source| Error::Store {
            action: "could not open",
            key: String::new(),
            target: name.clone(),
            source,
        };
        match target {
            Target::S3 { bucket, prefix } => {
                let region = s3.region.clone().unwrap_or_else(|| "us-east-1".to_owned());
                let root = format!("/{prefix}");
                let mut builder = opendal::services::S3::default()
                    .bucket(bucket)
                    .root(&root)
                    .region(&region);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.endpoint(endpoint);
                }
                let credential = s3.access_key_id.as_ref().zip(s3.secret_access_key.as_ref());
                if let Some((id, secret)) = credential {
                    builder = builder.access_key_id(id).secret_access_key(secret);
                    if let Some(token) = &s3.session_token {
                        builder = builder.session_token(token);
                    }
                }
                let op = Operator::new(builder)
                    .map_err(failed)?
                    .layer(timeout)
                    .layer(retry)
                    .finish();
                let endpoint = s3
                    .endpoint
                    .clone()
                    .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
                let source = format!(
                    "{}{}",
                    encode_path(bucket),
                    if prefix.is_empty() {
                        String::new()
                    } else {
                        format!("/{}", encode_path(prefix.trim_end_matches('/')))
                    }
                );
                let copy = S3Copy {
                    endpoint: endpoint.trim_end_matches('/').to_owned(),
                    source,
                    region,
                    credential: credential.map(|(id, secret)| reqsign_aws_v4::Credential {
                        access_key_id: id.clone(),
                        secret_access_key: secret.clone(),
                        session_token: s3.session_token.clone(),
                        expires_in: None,
                    }),
                    client: reqwest::Client::new(),
                    timeout: tuning.timeout,
                };
                Ok(Self {
                    op,
                    name,
                    kind: Kind::S3(copy),
                })
            }
            Target::Dir(dir) => {
                let mut builder = opendal::services::Fs::default().root(&dir.to_string_lossy());
                if access == Access::ReadWrite {
                    crate::fs::create_dir_all(dir)?;
                    builder = builder.atomic_write_dir(&dir.join(DIR_TMP).to_string_lossy());
                }
                let op = Operator::new(builder)
                    .map_err(failed)?
                    .layer(timeout)
                    .layer(retry)
                    .finish();
                Ok(Self {
                    op,
                    name,
                    kind: Kind::Dir(dir.clone()),
                })
            }
        }
    }

    /// The target, as the user named it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    fn error(&self, action: &'static str, key: &str, source: opendal::Error) -> Error {
        Error::Store {
            action,
            key: key.to_owned(),
            target: self.name.clone(),
            source,
        }
    }

    /// How a change of headers alone is applied.
    pub(crate) fn header_update(&self) -> HeaderUpdate {
        match &self.kind {
            Kind::S3(_) => HeaderUpdate::Copy,
            Kind::Dir(_) => HeaderUpdate::NotStored,
        }
    }

    /// Whether the store can make a write conditional on an ETag.
    pub(crate) fn conditional_writes(&self) -> bool {
        self.op.info().full_capability().write_with_if_match
    }

    /// The object at `key`, if any.
    pub(crate) async fn stat(&self, key: &str) -> Result<Option<Stat>> {
        match self.op.stat(key).await {
            Ok(meta) => {
                let user = meta.user_metadata();
                let get = |k: &str| user.and_then(|m| m.get(k)).cloned();
                Ok(Some(Stat {
                    etag: meta.etag().map(str::to_owned),
                    sha256: get(META_SHA256),
                    headers: get(META_HEADERS),
                    cache_control: meta.cache_control().map(str::to_owned),
                }))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("could not look up", key, e)),
        }
    }

    /// The bytes at `key`, if any.
    pub(crate) async fn read(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.op.read(key).await {
            Ok(buf) => Ok(Some(buf.to_vec())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("could not read", key, e)),
        }
    }

    /// Every key under the prefix, but ours under `.well-known/ancapex/`, with what the
    /// listing itself says of it (S3: ListObjectsV2, one request per 1,000 keys; a directory:
    /// its entries' metadata): no request per object.
    pub(crate) async fn list(&self) -> Result<BTreeMap<String, Present>> {
        let entries = self
            .op
            .list_with("/")
            .recursive(true)
            .await
            .map_err(|e| self.error("could not list", "", e))?;
        Ok(entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .filter(|e| !e.path().starts_with(OWN_PREFIX))
            .map(|e| {
                let meta = e.metadata();
                let version = match self.kind {
                    Kind::S3(_) => meta.etag().map(str::to_owned),
                    // A directory has no ETag: its modification time changes with its bytes.
                    Kind::Dir(_) => meta.last_modified().map(|t| format!("mtime:{t}")),
                };
                let present = Present {
                    size: meta.content_length(),
                    version,
                };
                (e.path().to_owned(), present)
            })
            .collect())
    }

    /// The SHA-256 of a file in a directory target (which keeps no metadata).
    pub(crate) fn local_sha256(&self, key: &str) -> Option<String> {
        match &self.kind {
            Kind::Dir(dir) => crate::fs::sha256_file(&dir.join(key))
                .ok()
                .map(|(sha, _)| sha),
            Kind::S3(_) => None,
        }
    }

    /// Uploads a local file with its headers and our metadata: in one request when small, in
    /// parts when large.
    pub(crate) async fn upload(&self, item: &Item, path: &Path) -> Result<()> {
        let meta = self.metadata(item);
        let h = &item.headers;
        let result = if item.size <= PART {
            let bytes = crate::fs::read(path)?;
            self.op
                .write_with(&item.key, bytes)
                .content_type(&h.content_type)
                .cache_control(&h.cache_control)
                .user_metadata(meta)
                .await
                .map(|_| ())
        } else {
            self.upload_parts(item, path, meta).await
        };
        result.map_err(|e| self.error("could not upload", &item.key, e))
    }

    async fn upload_parts(
        &self,
        item: &Item,
        path: &Path,
        meta: Vec<(String, String)>,
    ) -> opendal::Result<()> {
        use std::io::Read as _;
        let h = &item.headers;
        #[expect(
            clippy::cast_possible_truncation,
            reason = "PART is 8 MiB, far below usize::MAX"
        )]
        let part = PART as usize;
        let mut writer = self
            .op
            .writer_with(&item.key)
            .content_type(&h.content_type)
            .cache_control(&h.cache_control)
            .user_metadata(meta)
            .chunk(part)
            .concurrent(2)
            .await?;
        let io = |e: std::io::Error| {
            opendal::Error::new(ErrorKind::Unexpected, "could not read the local file")
                .with_context("path", path.display().to_string())
                .set_source(e)
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        loop {
            let mut buf = vec![0; part];
            let mut filled = 0;
            while filled < part {
                let n = file.read(&mut buf[filled..]).map_err(io)?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            buf.truncate(filled);
            writer.write(buf).await?;
        }
        writer.close().await.map(|_| ())
    }

    fn metadata(&self, item: &Item) -> Vec<(String, String)> {
        match self.kind {
            // A directory keeps no headers, and xattrs are not everywhere: the publish record
            // is its only metadata.
            Kind::Dir(_) => vec![],
            Kind::S3(_) => vec![
                (META_SHA256.to_owned(), item.sha256.clone()),
                (META_HEADERS.to_owned(), item.headers.fingerprint()),
            ],
        }
    }

    /// Applies new headers to an object whose bytes are already right; re-uploads it when the
    /// copy cannot be signed here (credentials from a provider chain, not given).
    pub(crate) async fn update_headers(&self, item: &Item, path: &Path) -> Result<()> {
        match &self.kind {
            Kind::Dir(_) => Ok(()),
            Kind::S3(copy) if copy.credential.is_none() => self.upload(item, path).await,
            Kind::S3(copy) => copy
                .replace_headers(&item.key, &item.headers, &self.metadata(item))
                .await
                .map_err(|e| self.error("could not update the headers of", &item.key, e)),
        }
    }

    /// Writes a small object (the publish record) under a condition; `Err(Lost)` when the
    /// condition no longer held. Returns the new ETag.
    pub(crate) async fn write_if(
        &self,
        key: &str,
        bytes: Vec<u8>,
        headers: &Headers,
        condition: &Condition,
    ) -> Result<Result<Option<String>, Lost>> {
        let mut write = self
            .op
            .write_with(key, bytes)
            .content_type(&headers.content_type)
            .cache_control(&headers.cache_control);
        match condition {
            Condition::Absent => write = write.if_not_exists(true),
            Condition::Matches(etag) => write = write.if_match(etag),
            Condition::None => {}
        }
        match write.await {
            Ok(meta) => Ok(Ok(meta.etag().map(str::to_owned))),
            Err(e) if e.kind() == ErrorKind::ConditionNotMatch => Ok(Err(Lost)),
            Err(e) => Err(self.error("could not write", key, e)),
        }
    }

    /// Deletes an object (gone already is fine).
    pub(crate) async fn delete(&self, key: &str) -> Result<()> {
        match self.op.delete(key).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.error("could not delete", key, e)),
        }
    }

    /// Whether the store really refuses a write whose condition fails: writes a probe object
    /// twice with "only if absent" and removes it. `None` when the store cannot even express
    /// the condition.
    pub(crate) async fn honours_conditions(&self, key: &str) -> Result<Option<bool>> {
        if !self.op.info().full_capability().write_with_if_not_exists {
            return Ok(None);
        }
        let headers = Headers {
            content_type: "text/plain; charset=utf-8".to_owned(),
            cache_control: "no-store".to_owned(),
        };
        let first = self
            .write_if(key, b"probe".to_vec(), &headers, &Condition::Absent)
            .await?;
        let second = self
            .write_if(key, b"probe".to_vec(), &headers, &Condition::Absent)
            .await?;
        self.delete(key).await?;
        Ok(Some(first.is_ok() && second.is_err()))
    }
}

impl S3Copy {
    /// `PUT <key>` with `x-amz-copy-source: <key>` and `x-amz-metadata-directive: REPLACE`,
    /// signed with SigV4 by reqsign (the signer OpenDAL itself uses).
    async fn replace_headers(
        &self,
        key: &str,
        headers: &Headers,
        meta: &[(String, String)],
    ) -> opendal::Result<()> {
        use reqsign_core::SignRequest as _;
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            opendal::Error::new(ErrorKind::Unexpected, format!("{what}: {e}")).set_temporary()
        };
        let source = format!("{}/{}", self.source, encode_path(key));
        let url = format!("{}/{source}", self.endpoint);
        let mut request = http::Request::builder()
            .method(http::Method::PUT)
            .uri(&url)
            .header("x-amz-copy-source", &source)
            .header("x-amz-metadata-directive", "REPLACE")
            .header("content-type", &headers.content_type)
            .header("cache-control", &headers.cache_control)
            .header("x-amz-content-sha256", EMPTY_SHA256);
        for (k, v) in meta {
            request = request.header(format!("x-amz-meta-{k}"), v);
        }
        let (mut parts, ()) = request
            .body(())
            .map_err(|e| failed("could not build the copy request", &e))?
            .into_parts();
        let signer = reqsign_aws_v4::RequestSigner::new("s3", &self.region);
        signer
            .sign_request(
                &reqsign_core::Context::new(),
                &mut parts,
                self.credential.as_ref(),
                None,
            )
            .await
            .map_err(|e| failed("could not sign the copy request", &e))?;
        let mut last = None;
        for attempt in 0..4u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let sent = self
                .client
                .put(&url)
                .headers(parts.headers.clone())
                .timeout(self.timeout)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) if r.status().is_server_error() => {
                    last = Some(failed("the store answered", &r.status()));
                }
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    return Err(opendal::Error::new(
                        ErrorKind::Unexpected,
                        format!("the store answered {status}: {body}"),
                    ));
                }
                Err(e) => last = Some(failed("the request failed", &e)),
            }
        }
        Err(last.unwrap_or_else(|| failed("the copy failed", &"no attempt")))
    }
}

/// SHA-256 of no bytes: the payload hash of a CopyObject request.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Percent-encodes a key for a URL path, keeping `/`.
fn encode_path(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_for_urls_but_keep_their_slashes() {
        assert_eq!(encode_path("blog/a b/index.html"), "blog/a%20b/index.html");
        assert_eq!(encode_path("x~y_z-1.css"), "x~y_z-1.css");
        assert_eq!(encode_path("é"), "%C3%A9");
    }
}
