//! Receiving a recording upload (`POST /api/recordings`) without holding it in memory:
//! [`receive`] streams each file part of the multipart body, chunk by chunk, into a
//! temporary file under `<data_dir>/incoming/`, and stops with 413 as soon as a part
//! passes `max_upload_bytes` (or the whole body three times that). The temporary files
//! are [`IncomingFile`]s, deleted when dropped: whatever happens to the request — refused,
//! failed, the client gone — none is left behind.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Multipart;
use axum::extract::multipart::Field;
use tokio::io::AsyncWriteExt as _;

use crate::Error;

/// The folder of uploads being received, under the recordings' data folder.
pub const INCOMING_DIR: &str = "incoming";
/// Largest text field (`linkedid`, `uniqueid`).
const MAX_TEXT_FIELD: usize = 256;
/// Distinguishes the temporary files of concurrent uploads.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A received file on disk, deleted when dropped.
#[derive(Debug)]
pub struct IncomingFile {
    /// The file name the sender gave (a MixMonitor name, or none).
    pub name: Option<String>,
    /// Where its bytes are.
    pub path: PathBuf,
    /// How many bytes.
    pub size: u64,
}

impl Drop for IncomingFile {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_file(&self.path)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %err, "cannot delete an upload's temporary file");
        }
    }
}

/// What an upload brought: its files (on disk) and the call's ids.
#[derive(Debug, Default)]
pub struct ReceivedUpload {
    /// The mixed `<uniqueid>.wav`.
    pub mixed: Option<IncomingFile>,
    /// `<uniqueid>-rx.wav`.
    pub rx: Option<IncomingFile>,
    /// `<uniqueid>-tx.wav`.
    pub tx: Option<IncomingFile>,
    /// The call's Linkedid, if given.
    pub linkedid: Option<String>,
    /// The recorded channel's Uniqueid, if given.
    pub uniqueid: Option<String>,
}

/// Reads the whole multipart body: file parts (`file`, `rx`, `tx`) to disk under
/// `data_dir/incoming/`, each at most `max_bytes`, the body at most three times that.
pub async fn receive(
    multipart: &mut Multipart,
    data_dir: &Path,
    max_bytes: u64,
) -> Result<ReceivedUpload, Error> {
    let dir = data_dir.join(INCOMING_DIR);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    let mut upload = ReceivedUpload::default();
    let mut total = 0u64;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "linkedid" => upload.linkedid = Some(text(field).await?),
            "uniqueid" => upload.uniqueid = Some(text(field).await?),
            "file" | "rx" | "tx" => {
                let file = to_disk(field, &dir, max_bytes).await?;
                total += file.size;
                if total > max_bytes.saturating_mul(3) {
                    return Err(too_large(max_bytes));
                }
                let slot = match name.as_str() {
                    "file" => &mut upload.mixed,
                    "rx" => &mut upload.rx,
                    _ => &mut upload.tx,
                };
                *slot = Some(file);
            }
            other => {
                return Err(Error::BadRequest(format!(
                    "unknown field {other:?}: expected file, rx, tx, linkedid, uniqueid"
                )));
            }
        }
    }
    Ok(upload)
}

/// 413 naming the limit.
pub fn too_large(max_bytes: u64) -> Error {
    Error::PayloadTooLarge(format!(
        "a recording file may be at most {} MB ([recordings] max_upload_mb); nothing was kept",
        max_bytes / (1024 * 1024)
    ))
}

/// A short text field, trimmed.
async fn text(mut field: Field<'_>) -> Result<String, Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TEXT_FIELD {
            return Err(Error::BadRequest(format!(
                "a text field may be at most {MAX_TEXT_FIELD} bytes"
            )));
        }
    }
    Ok(String::from_utf8_lossy(&bytes).trim().to_owned())
}

/// Streams one file part into a new temporary file in `dir`.
async fn to_disk(mut field: Field<'_>, dir: &Path, max_bytes: u64) -> Result<IncomingFile, Error> {
    let path = dir.join(format!(
        ".upload-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    // From here on, dropping `file` deletes what was written.
    let mut file = IncomingFile {
        name: field.file_name().map(str::to_owned),
        path,
        size: 0,
    };
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        file.size += chunk.len() as u64;
        if file.size > max_bytes {
            return Err(too_large(max_bytes));
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| Error::Internal(Box::new(e)))?;
    }
    out.flush()
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    Ok(file)
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> Error {
    if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge(err.body_text())
    } else {
        Error::BadRequest(format!("unreadable multipart body: {}", err.body_text()))
    }
}

/// Reads a received file back for the ingest (at most `max_upload_mb`).
pub async fn read(file: &IncomingFile) -> Result<(String, Vec<u8>), Error> {
    let bytes = tokio::fs::read(&file.path)
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    Ok((file.name.clone().unwrap_or_default(), bytes))
}
