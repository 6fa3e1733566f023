//! Recordings over HTTP: `POST /api/recordings` (upload from a PBX on another host) and
//! `GET /api/recordings/{id}` (the file, with HTTP Range so the browser's player can seek).
//!
//! Upload: multipart with the files (`file` = the mixed `<uniqueid>.wav`, optional `rx`
//! and `tx` legs, each with its MixMonitor file name) and `linkedid` and/or `uniqueid`;
//! an admin's bearer token or an `ingest`-scoped token. The files are streamed to disk
//! ([`recording_upload`]), each at most `[recordings] max_upload_mb` (413 past it); a
//! `uniqueid` known to belong to another call than the `linkedid` given is refused (422). Playback: agents only for calls
//! they took part in, supervisors and admins all; every playback and download is written
//! to the audit log.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::header::{
    ACCEPT_RANGES, AUTHORIZATION, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH,
    CONTENT_RANGE, CONTENT_TYPE, RANGE,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use crm_core::{AuditEntry, Recording, RecordingId, Role, TokenScope};
use recordings::{ByteRange, RangeRequest, parse_range};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::auth::CurrentUser;
use crate::recording_upload;
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};
use app::recording_desk::{IngestError, ReceivedFiles};

/// Room for the multipart boundaries, part headers and text fields of an upload.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// `/api/recordings` and `/api/recordings/{id}`.
pub fn router() -> Routes {
    Routes::new()
        .route(
            axum::http::Method::POST,
            "/api/recordings",
            Access::Upload,
            // The upload streams its files to disk under its own limit (max_upload_mb).
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .get("/api/recordings/{id}", Access::Api(Role::Agent), stream)
}

/// Who may upload: an admin (session or full token) or an ingest-scoped token.
async fn uploader(headers: &HeaderMap, state: &AppState) -> Result<crm_core::UserId, Error> {
    if let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    {
        let found = state
            .store
            .verify_token(token.trim())
            .await?
            .ok_or(Error::Unauthorized)?;
        state.token_use.note(&state.store, &state.tasks, &found);
        return match found.scope {
            TokenScope::Ingest => Ok(found.user.id),
            TokenScope::Full if found.user.role == Role::Admin => Ok(found.user.id),
            TokenScope::Full => Err(Error::Forbidden),
        };
    }
    Err(Error::Unauthorized)
}

#[tracing::instrument(skip_all)]
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, Error> {
    let actor = uploader(&headers, &state).await?;
    let desk = state
        .recordings
        .clone()
        .ok_or(Error::Unavailable("the recordings store"))?;
    // A body announced larger than three files at the limit is refused before it is read.
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > desk.max_upload_bytes.saturating_mul(3) + MULTIPART_OVERHEAD) {
        return Err(recording_upload::too_large(desk.max_upload_bytes));
    }
    let mut multipart = multipart.map_err(|e| {
        Error::BadRequest(format!(
            "expected a multipart/form-data body with the file: {}",
            e.body_text()
        ))
    })?;
    let upload =
        recording_upload::receive(&mut multipart, desk.files.root(), desk.max_upload_bytes).await?;
    let (linkedid, uniqueid) = (upload.linkedid.clone(), upload.uniqueid.clone());
    if linkedid.is_none() && uniqueid.is_none() {
        return Err(Error::BadRequest(
            "give the call's linkedid and/or the recorded channel's uniqueid".into(),
        ));
    }
    let mut files = ReceivedFiles::default();
    for (slot, received) in [
        (&mut files.mixed, &upload.mixed),
        (&mut files.rx, &upload.rx),
        (&mut files.tx, &upload.tx),
    ] {
        if let Some(received) = received {
            *slot = Some(recording_upload::read(received).await?);
        }
    }
    // The files are in memory now (each at most max_upload_mb): the temporary ones go.
    drop(upload);
    name_files(&mut files, uniqueid.as_ref().or(linkedid.as_ref()));
    let recording = desk
        .take(&state.store, files, linkedid)
        .await
        .map_err(|err| match err {
            IngestError::Quarantined { .. } | IngestError::OtherCall { .. } => {
                Error::Unprocessable(err.to_string())
            }
            IngestError::Invalid(message) => Error::BadRequest(message),
            IngestError::Storage(source) => Error::Internal(source),
        })?;
    audit(
        &state,
        actor,
        "recording.upload",
        &recording,
        serde_json::json!({}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(recording)).into_response())
}

/// Files sent without MixMonitor names are named after the Uniqueid (or Linkedid) given,
/// legs after the mixed file.
fn name_files(files: &mut ReceivedFiles, id: Option<&String>) {
    if let (Some((name, _)), Some(id)) = (&mut files.mixed, id)
        && recordings::RecordingName::parse(name).is_err()
    {
        *name = format!("{id}.wav");
    }
    if let Some(mixed) = files
        .mixed
        .as_ref()
        .and_then(|(name, _)| recordings::RecordingName::parse(name).ok())
    {
        for (leg, suffix) in [(&mut files.rx, "rx"), (&mut files.tx, "tx")] {
            if let Some((name, _)) = leg
                && recordings::RecordingName::parse(name).is_err()
            {
                *name = format!("{}-{suffix}.wav", mixed.uniqueid);
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct StreamQuery {
    #[serde(default)]
    download: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.username(), recording = id))]
async fn stream(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let recording = state.store.get_recording(RecordingId(id)).await?;
    may_hear(&user, &state, &recording).await?;
    if recording.is_empty() {
        return Err(Error::NotFound);
    }
    let download = query.download.as_deref().is_some_and(|v| v == "1");
    let mut file = tokio::fs::File::open(&recording.path)
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?;
    let length = file
        .metadata()
        .await
        .map_err(|e| Error::Internal(Box::new(e)))?
        .len();
    let range = parse_range(headers.get(RANGE).and_then(|v| v.to_str().ok()), length);
    // A request for the first bytes only is the player probing: one audit line per play.
    let starts = !matches!(range, RangeRequest::Partial(ByteRange { first, .. }) if first > 0);
    if starts {
        let action = if download {
            "recording.download"
        } else {
            "recording.play"
        };
        audit(
            &state,
            user.user().id,
            action,
            &recording,
            serde_json::json!({}),
        )
        .await?;
    }
    let mut response = Response::builder()
        .header(CONTENT_TYPE, "audio/wav")
        .header(ACCEPT_RANGES, "bytes")
        .header(CACHE_CONTROL, "private, no-store");
    if download {
        response = response.header(
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"recording-{}.wav\"", recording.id),
        );
    }
    let built = match range {
        RangeRequest::Full => response
            .status(StatusCode::OK)
            .header(CONTENT_LENGTH, length)
            .body(Body::from_stream(tokio_util::io::ReaderStream::new(file))),
        RangeRequest::Partial(part) => {
            file.seek(std::io::SeekFrom::Start(part.first))
                .await
                .map_err(|e| Error::Internal(Box::new(e)))?;
            response
                .status(StatusCode::PARTIAL_CONTENT)
                .header(CONTENT_LENGTH, part.len())
                .header(CONTENT_RANGE, part.content_range(length))
                .body(Body::from_stream(tokio_util::io::ReaderStream::new(
                    file.take(part.len()),
                )))
        }
        RangeRequest::Unsatisfiable => response
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(
                CONTENT_RANGE,
                recordings::range::unsatisfied_content_range(length),
            )
            .header(CONTENT_LENGTH, 0)
            .body(Body::empty()),
    };
    built.map_err(|e| Error::Internal(Box::new(e)))
}

/// Agents may hear the recordings of calls they took part in (answered, placed, or rang
/// for them); supervisors and admins all.
pub async fn may_hear(
    user: &CurrentUser,
    state: &AppState,
    recording: &Recording,
) -> Result<(), Error> {
    let Some(extension) = user.agent_extension() else {
        return Ok(());
    };
    let Some(call) = recording.call else {
        return Err(Error::Forbidden);
    };
    let call = state.store.get_call(call).await?;
    let took_part = !extension.is_empty() && call.involves(extension);
    if took_part {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

async fn audit(
    state: &AppState,
    actor: crm_core::UserId,
    action: &str,
    recording: &Recording,
    detail: serde_json::Value,
) -> Result<(), Error> {
    let mut detail = detail;
    if let Some(object) = detail.as_object_mut() {
        object.insert("call".into(), serde_json::json!(recording.call));
        object.insert("linkedid".into(), serde_json::json!(recording.linkedid));
    }
    state
        .store
        .record_audit(&AuditEntry {
            at_ms: app::clock::now_ms(),
            actor: Some(actor),
            action: action.to_owned(),
            subject: format!("recording:{}", recording.id),
            detail,
        })
        .await?;
    Ok(())
}
