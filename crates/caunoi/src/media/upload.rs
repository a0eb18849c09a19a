//! Uploads that arrive in chunks (the web chat's photos and videos): recognized from their
//! first bytes, refused as soon as they pass their type's limit, written under a temporary name
//! on the local disk, checked whole when complete (`super::check`), and then put in the
//! [`MediaStore`] under their content's hash — with the served copy beside it when metadata was
//! removed (module `media`): renamed into place on the disk, uploaded to a bucket.

use super::check::{self, Refusal, Served};
use super::{Area, FileType, MediaStore, SNIFF_LEN, original_key, served_key, sniff};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("not an accepted file type (magic bytes)")]
    NotAccepted,
    #[error("too large for its kind")]
    TooLarge(FileType),
    #[error("the upload broke off")]
    Broken,
    #[error("refused after its check: {0}")]
    Refused(Refusal),
    #[error("cannot write the media file: {0}")]
    Io(String),
}

/// Stores an upload arriving in chunks: recognizes it from the first bytes, refuses it at once
/// when its type is not accepted or as soon as it passes its type's limit, and returns its
/// reference and type. Nothing stays on disk when it is refused.
pub struct Upload {
    area: Area,
    store: MediaStore,
    /// Where the upload is written while it arrives ([`MediaStore::scratch_dir`]).
    dir: PathBuf,
    /// The largest size accepted for each type; `None` for a type not accepted.
    limit: fn(FileType) -> Option<u64>,
    head: Vec<u8>,
    kind: Option<FileType>,
    file: Option<(PathBuf, tokio::fs::File)>,
    hasher: Sha256,
    size: u64,
}

impl Upload {
    pub fn new(store: &MediaStore, area: Area, limit: fn(FileType) -> Option<u64>) -> Upload {
        Upload {
            area,
            store: store.clone(),
            dir: store.scratch_dir(area),
            limit,
            head: Vec::new(),
            kind: None,
            file: None,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The type of the file, when it is recognized and accepted.
    fn recognize(&self, head: &[u8]) -> Result<FileType, UploadError> {
        sniff(head).filter(|t| (self.limit)(*t).is_some()).ok_or(UploadError::NotAccepted)
    }

    /// Takes the next chunk.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.kind.is_none() {
            self.head.extend_from_slice(chunk);
            if self.head.len() < SNIFF_LEN {
                return Ok(());
            }
            let kind = self.recognize(&self.head)?;
            self.kind = Some(kind);
            let head = std::mem::take(&mut self.head);
            return self.write(kind, &head).await;
        }
        match self.kind {
            Some(kind) => self.write(kind, chunk).await,
            None => Err(UploadError::NotAccepted),
        }
    }

    async fn write(&mut self, kind: FileType, bytes: &[u8]) -> Result<(), UploadError> {
        if self.size > (self.limit)(kind).unwrap_or(0) {
            self.discard().await;
            return Err(UploadError::TooLarge(kind));
        }
        if self.file.is_none() {
            tokio::fs::create_dir_all(&self.dir).await.map_err(|e| UploadError::Io(e.to_string()))?;
            let tmp = self.dir.join(format!(".upload-{}", crate::crypto::random_token()));
            let f = tokio::fs::File::create(&tmp).await.map_err(|e| UploadError::Io(e.to_string()))?;
            self.file = Some((tmp, f));
        }
        self.hasher.update(bytes);
        if let Some((_, f)) = self.file.as_mut() {
            f.write_all(bytes).await.map_err(|e| UploadError::Io(e.to_string()))?;
        }
        Ok(())
    }

    /// Removes what was written so far.
    pub async fn discard(&mut self) {
        if let Some((tmp, f)) = self.file.take() {
            drop(f);
            let _ = tokio::fs::remove_file(&tmp).await;
        }
    }

    /// Completes the upload: `(media_ref, type)`.
    pub async fn finish(mut self) -> Result<(String, FileType), UploadError> {
        let Some(kind) = self.kind else {
            // Shorter than the sniff window: recognize what there is.
            let kind = self.recognize(&self.head)?;
            let head = std::mem::take(&mut self.head);
            self.kind = Some(kind);
            self.write(kind, &head).await?;
            return Box::pin(self.finish()).await;
        };
        let Some((tmp, mut f)) = self.file.take() else { return Err(UploadError::Broken) };
        let flushed = f.flush().await;
        drop(f);
        if let Err(e) = flushed {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(UploadError::Io(e.to_string()));
        }
        let name = format!("{}.{}", hex::encode(self.hasher.clone().finalize()), kind.extension());
        let served = match check::check_file(kind, &tmp).await {
            Ok(served) => served,
            Err(refusal) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(UploadError::Refused(refusal));
            }
        };
        if let Err(e) = self.place(&tmp, &name, served).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(UploadError::Io(e.to_string()));
        }
        Ok((format!("{}/{name}", self.area.as_str()), kind))
    }

    /// Puts the checked upload at `tmp` in the store as `name`: the served file, and the
    /// original (first) when they differ.
    async fn place(&self, tmp: &Path, name: &str, served: Served) -> std::io::Result<()> {
        let copy = match served {
            Served::AsIs => return self.store.put_file(&served_key(self.area, name), tmp).await,
            Served::Bytes(bytes) => {
                let copy = self.dir.join(format!(".served-{}", crate::crypto::random_token()));
                tokio::fs::write(&copy, bytes).await?;
                copy
            }
            Served::Blanked(ranges) => {
                let copy = self.dir.join(format!(".served-{}", crate::crypto::random_token()));
                tokio::fs::copy(tmp, &copy).await?;
                let target = copy.clone();
                let blanked = tokio::task::spawn_blocking(move || {
                    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(&target)?;
                    super::bmff::blank_boxes(&mut f, &ranges)?;
                    f.sync_data()
                })
                .await
                .map_err(std::io::Error::other)?;
                if let Err(e) = blanked {
                    let _ = tokio::fs::remove_file(&copy).await;
                    return Err(e);
                }
                copy
            }
        };
        let placed = async {
            self.store.put_file(&original_key(self.area, name), tmp).await?;
            self.store.put_file(&served_key(self.area, name), &copy).await
        }
        .await;
        if placed.is_err() {
            let _ = tokio::fs::remove_file(&copy).await;
        }
        placed
    }
}
