//! Where media files live: one interface, [`MediaStore`], over the local disk (the default,
//! `<data_dir>/media`) and an S3-compatible bucket (several instances behind a load balancer
//! share one bucket, so each serves what another received).
//!
//! Both keep the same keys: `<area>/<sha256>.<ext>` for a served file and
//! `originals/<area>/<sha256>.<ext>` for a kept original (module `media`), under an optional
//! prefix in the bucket; copying `<data_dir>/media` into a bucket moves an installation.
//!
//! Invariants: a key is always built by this module from a checked reference, never taken
//! from input; a file appears under its real key whole (a temporary name renamed on disk, a
//! single or multipart upload completed at once in a bucket); files are content-addressed, so
//! writing one that exists is skipped (or writes the same bytes); uploads in progress and the
//! checks and metadata stripping on them happen on the local disk before anything reaches
//! the store; the bucket's credentials never appear in `Debug` output or logs.

use super::Area;
use axum::extract::Request;
use axum::response::Response;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStoreExt, PutPayload, RetryConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How to reach an S3-compatible bucket (`media_store = "s3"`).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// The service's address, e.g. `https://s3.example.vn` or `http://127.0.0.1:9000`;
    /// `None` for Amazon S3 itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// A folder inside the bucket (no leading or trailing `/`), or empty.
    pub prefix: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The media storage of an installation. Cheap to clone.
#[derive(Clone)]
pub enum MediaStore {
    /// Files under `root` (`<data_dir>/media`) on this machine's disk.
    Local { root: PathBuf },
    /// Objects in an S3-compatible bucket.
    Bucket(Arc<Bucket>),
}

/// An S3-compatible bucket and the local directory where uploads are prepared.
pub struct Bucket {
    store: AmazonS3,
    prefix: String,
    /// `<data_dir>/media/.incoming`: uploads being received and checked.
    scratch: PathBuf,
    /// `s3://bucket/prefix`, for messages.
    name: String,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaStore::Local { root } => f.debug_struct("Local").field("root", root).finish(),
            MediaStore::Bucket(b) => f.debug_tuple("Bucket").field(&b.name).finish(),
        }
    }
}

/// Bytes of one part of a multipart upload (S3's minimum is 5 MiB).
const PART_BYTES: usize = 8 << 20;

impl MediaStore {
    /// The local disk: `<data_dir>/media`.
    pub fn local(data_dir: &Path) -> MediaStore {
        MediaStore::Local { root: data_dir.join("media") }
    }

    /// An S3-compatible bucket, with uploads prepared under `<data_dir>/media/.incoming`.
    /// Nothing is contacted yet; a setting the client cannot use is refused in one sentence.
    pub fn s3(s: &S3Settings, data_dir: &Path) -> Result<MediaStore, String> {
        if s.bucket.trim().is_empty() {
            return Err("media_s3_bucket is required when media_store is s3".into());
        }
        if s.access_key_id.is_empty() || s.secret_access_key.is_empty() {
            return Err("media_s3_access_key_id and media_s3_secret_access_key are required when media_store is s3 \
                        (give them in the environment: CAUNOI_MEDIA_S3_ACCESS_KEY_ID, CAUNOI_MEDIA_S3_SECRET_ACCESS_KEY)"
                .into());
        }
        let mut options = ClientOptions::new().with_connect_timeout(Duration::from_secs(5));
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(&s.secret_access_key)
            .with_retry(RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(20), ..Default::default() });
        if let Some(endpoint) = &s.endpoint {
            if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
                return Err(format!("media_s3_endpoint {endpoint:?} is not valid: use https:// or http:// and a host"));
            }
            // Self-hosted services (MinIO, Ceph, SeaweedFS…) answer on the path, not on a
            // bucket sub-domain.
            b = b.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
            options = options.with_allow_http(endpoint.starts_with("http://"));
        }
        let store =
            b.with_client_options(options).build().map_err(|e| format!("media_s3 settings are not valid: {e}"))?;
        let prefix = s.prefix.trim_matches('/').to_string();
        let name = format!("s3://{}/{prefix}", s.bucket);
        Ok(MediaStore::Bucket(Arc::new(Bucket {
            store,
            prefix,
            scratch: data_dir.join("media").join(".incoming"),
            name,
        })))
    }

    /// Checks at start that the store answers: a bucket that cannot be reached, or that refuses
    /// the credentials, stops the start with one sentence instead of failing every upload.
    pub async fn check(&self) -> Result<(), String> {
        match self {
            MediaStore::Local { .. } => Ok(()),
            MediaStore::Bucket(b) => match self.size(".caunoi-check").await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("the media bucket {} cannot be used: {e}", b.name)),
            },
        }
    }

    /// Where an upload to `area` is written while it arrives and is checked: beside its final
    /// place on the local disk (so it is renamed into place), in `.incoming` for a bucket.
    pub fn scratch_dir(&self, area: Area) -> PathBuf {
        match self {
            MediaStore::Local { root } => root.join(area.as_str()),
            MediaStore::Bucket(b) => b.scratch.join(area.as_str()),
        }
    }

    /// Whether `key` is stored.
    pub async fn exists(&self, key: &str) -> std::io::Result<bool> {
        Ok(self.size(key).await?.is_some())
    }

    /// The size of `key`, or `None` when it is not stored.
    pub async fn size(&self, key: &str) -> std::io::Result<Option<u64>> {
        match self {
            MediaStore::Local { root } => match tokio::fs::metadata(root.join(key)).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            MediaStore::Bucket(b) => match b.store.head(&b.key(key)).await {
                Ok(meta) => Ok(Some(meta.size)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(io(e)),
            },
        }
    }

    /// The bytes of `key`, or `None` when it is not stored. For photos and documents (an
    /// upload to Zalo, a hash check); videos are streamed by [`MediaStore::serve`].
    pub async fn read(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        match self {
            MediaStore::Local { root } => match tokio::fs::read(root.join(key)).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            MediaStore::Bucket(b) => match b.store.get(&b.key(key)).await {
                Ok(got) => Ok(Some(got.bytes().await.map_err(io)?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(io(e)),
            },
        }
    }

    /// Stores `bytes` as `key` unless it is stored already.
    pub async fn put_once(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            MediaStore::Local { root } => {
                let path = root.join(key);
                let (dir, name) = split(&path)?;
                super::write_once(dir, name, bytes).await
            }
            MediaStore::Bucket(b) => {
                if self.exists(key).await? {
                    return Ok(());
                }
                b.store.put(&b.key(key), PutPayload::from(bytes.to_vec())).await.map(|_| ()).map_err(io)
            }
        }
    }

    /// Moves the local file `src` to `key` (a file already stored under `key` has the same
    /// content and is kept). `src` is gone afterwards, whatever the outcome.
    pub async fn put_file(&self, key: &str, src: &Path) -> std::io::Result<()> {
        let result = match self {
            MediaStore::Local { root } => {
                let dst = root.join(key);
                match dst.parent() {
                    Some(dir) => tokio::fs::create_dir_all(dir).await,
                    None => Ok(()),
                }?;
                tokio::fs::rename(src, &dst).await
            }
            MediaStore::Bucket(b) => match self.exists(key).await {
                Ok(true) => Ok(()),
                Ok(false) => b.upload(key, src).await,
                Err(e) => Err(e),
            },
        };
        if tokio::fs::try_exists(src).await.unwrap_or(false) {
            let _ = tokio::fs::remove_file(src).await;
        }
        result
    }

    /// Copies `from` to `to` unless `to` is stored already; `false` when `from` is not stored.
    /// On the local disk a hard link when the filesystem allows it (no second copy of a video).
    pub async fn copy_once(&self, from: &str, to: &str) -> std::io::Result<bool> {
        if self.exists(to).await? {
            return Ok(true);
        }
        match self {
            MediaStore::Local { root } => {
                let (src, dst) = (root.join(from), root.join(to));
                if !tokio::fs::try_exists(&src).await? {
                    return Ok(false);
                }
                let (dir, name) = split(&dst)?;
                tokio::fs::create_dir_all(dir).await?;
                let tmp = dir.join(format!(".{name}.{}", crate::crypto::random_token()));
                if tokio::fs::hard_link(&src, &tmp).await.is_err() {
                    tokio::fs::copy(&src, &tmp).await?;
                }
                if let Err(e) = tokio::fs::rename(&tmp, &dst).await {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(e);
                }
                Ok(true)
            }
            MediaStore::Bucket(b) => match b.store.copy(&b.key(from), &b.key(to)).await {
                Ok(()) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(io(e)),
            },
        }
    }

    /// Renames `from` to `to`; `false` when `from` is not stored.
    pub async fn rename(&self, from: &str, to: &str) -> std::io::Result<bool> {
        match self {
            MediaStore::Local { root } => match tokio::fs::rename(root.join(from), root.join(to)).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            },
            MediaStore::Bucket(b) => match b.store.rename(&b.key(from), &b.key(to)).await {
                Ok(()) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(io(e)),
            },
        }
    }

    /// Removes `key` (nothing to do when it is not stored).
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        match self {
            MediaStore::Local { root } => match tokio::fs::remove_file(root.join(key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            MediaStore::Bucket(b) => match b.store.delete(&b.key(key)).await {
                Err(e) if !matches!(e, object_store::Error::NotFound { .. }) => Err(io(e)),
                _ => Ok(()),
            },
        }
    }

    /// Streams the served file of `media_ref` to someone the caller has already allowed to
    /// see it, with byte ranges (`super::serve`). `None` for a reference that is not well formed
    /// or whose file is not stored, so the caller answers "not found".
    pub async fn serve(&self, media_ref: &str, req: Request) -> Option<Response> {
        let (area, name, mime) = super::parse_ref(media_ref)?;
        let key = super::served_key(area, name);
        match self {
            MediaStore::Local { root } => super::serve::serve_stored_file(&root.join(key), mime, req).await,
            MediaStore::Bucket(b) => super::serve::serve_object(&b.store, &b.key(&key), mime, req).await,
        }
    }
}

impl Bucket {
    fn key(&self, key: &str) -> Key {
        if self.prefix.is_empty() { Key::from(key) } else { Key::from(format!("{}/{key}", self.prefix)) }
    }

    /// Uploads the local file `src` as `key`: in one request when small, else in parts, so a
    /// video is never held whole in memory; an upload that fails is aborted (no part remains).
    async fn upload(&self, key: &str, src: &Path) -> std::io::Result<()> {
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(src).await?;
        let len = file.metadata().await?.len();
        if len <= PART_BYTES as u64 {
            let bytes = tokio::fs::read(src).await?;
            return self.store.put(&self.key(key), PutPayload::from(bytes)).await.map(|_| ()).map_err(io);
        }
        let mut upload = self.store.put_multipart(&self.key(key)).await.map_err(io)?;
        let sent = async {
            loop {
                let mut part = Vec::with_capacity(PART_BYTES);
                (&mut file).take(PART_BYTES as u64).read_to_end(&mut part).await?;
                if part.is_empty() {
                    break;
                }
                upload.put_part(PutPayload::from(part)).await.map_err(io)?;
            }
            upload.complete().await.map(|_| ()).map_err(io)
        }
        .await;
        if sent.is_err() {
            let _ = upload.abort().await;
        }
        sent
    }
}

fn io(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string()),
        e => std::io::Error::other(e.to_string()),
    }
}

fn split(path: &Path) -> std::io::Result<(&Path, &str)> {
    match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
        (Some(dir), Some(name)) => Ok((dir, name)),
        _ => Err(std::io::Error::other("a media key without a file name")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> S3Settings {
        S3Settings {
            bucket: "media".into(),
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            prefix: "/unit-a/".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }
    }

    #[test]
    fn bucket_settings_are_checked_and_secrets_never_printed() {
        let dir = Path::new("/data");
        let store = MediaStore::s3(&settings(), dir).expect("valid");
        let shown = format!("{store:?} {:?}", settings());
        assert!(
            shown.contains("s3://media/unit-a") && !shown.contains("wJalr") && !shown.contains("AKIDEX"),
            "{shown}"
        );
        assert_eq!(store.scratch_dir(Area::Web), PathBuf::from("/data/media/.incoming/web"));
        let e = MediaStore::s3(&S3Settings { bucket: " ".into(), ..settings() }, dir).expect_err("no bucket");
        assert!(e.contains("media_s3_bucket"), "{e}");
        let e =
            MediaStore::s3(&S3Settings { secret_access_key: String::new(), ..settings() }, dir).expect_err("no key");
        assert!(e.contains("media_s3_secret_access_key"), "{e}");
        let e = MediaStore::s3(&S3Settings { endpoint: Some("s3.example.vn".into()), ..settings() }, dir)
            .expect_err("no scheme");
        assert!(e.contains("media_s3_endpoint"), "{e}");
    }

    #[tokio::test]
    async fn the_local_disk_keeps_files_under_their_keys() {
        let dir = tempfile::tempdir().expect("dir");
        let store = MediaStore::local(dir.path());
        assert_eq!(store.scratch_dir(Area::Zalo), dir.path().join("media/zalo"));
        store.put_once("web/a.jpg", b"one").await.expect("put");
        store.put_once("web/a.jpg", b"two").await.expect("kept");
        assert_eq!(store.read("web/a.jpg").await.expect("read"), Some(b"one".to_vec()), "written once");
        assert!(store.copy_once("web/a.jpg", "cases/a.jpg").await.expect("copy"));
        assert!(!store.copy_once("web/none.jpg", "cases/none.jpg").await.expect("nothing to copy"));
        store.delete("web/a.jpg").await.expect("delete");
        assert_eq!(store.size("web/a.jpg").await.expect("size"), None);
        assert_eq!(store.size("cases/a.jpg").await.expect("size"), Some(3), "the copy outlives the first file");
        assert!(store.rename("cases/a.jpg", "cases/.b").await.expect("rename"));
        assert!(!store.rename("cases/a.jpg", "cases/.c").await.expect("gone"));
        let src = dir.path().join("incoming");
        std::fs::write(&src, b"video").expect("src");
        store.put_file("officer/v.mp4", &src).await.expect("placed");
        assert!(!src.exists());
        assert_eq!(std::fs::read(dir.path().join("media/officer/v.mp4")).ok(), Some(b"video".to_vec()));
        store.delete("officer/missing.mp4").await.expect("deleting nothing is fine");
    }
}
