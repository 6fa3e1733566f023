//! The one way a recording comes in, whether uploaded (`POST /api/recordings`) or found in
//! the spool folder by the binary's watcher: [`RecordingDesk::take`].
//!
//! It runs the `recordings` crate's ingest (validate, repair, merge the legs, hash, store
//! or quarantine) off the async runtime, then registers the result in the CRM core, linked
//! to its call by Linkedid (a call written later adopts it). The stereo merge is what is
//! played and kept when there is one (the mixed file, the sum of the legs, is then not
//! kept), the mixed file otherwise; a header-only file is registered as an empty
//! recording.

use std::sync::Arc;

use crm_core::{CallId, CallRow, EMPTY_STATUS, NewRecording, Recording, Store};
use recordings::{
    CustomerLeg, IngestInput, IngestOutcome, IngestSettings, IngestedRecording, NamedBytes,
    RecordingError, RecordingStore,
};

/// Where recordings are kept and how they are read.
#[derive(Clone, Debug)]
pub struct RecordingDesk {
    /// The content-addressed files and the quarantine.
    pub files: RecordingStore,
    /// Size bound and waveform resolution.
    pub settings: IngestSettings,
    /// The PBX name calls are recorded under (calls are unique on PBX and Linkedid).
    pub pbx: String,
    /// Largest uploaded file (`[recordings] max_upload_mb`), bytes.
    pub max_upload_bytes: u64,
}

/// One recording's files as received: the mixed file and the legs when present.
#[derive(Debug, Default)]
pub struct ReceivedFiles {
    /// `<uniqueid>.wav`: name and bytes.
    pub mixed: Option<(String, Vec<u8>)>,
    /// `<uniqueid>-rx.wav`.
    pub rx: Option<(String, Vec<u8>)>,
    /// `<uniqueid>-tx.wav`.
    pub tx: Option<(String, Vec<u8>)>,
}

/// Why a recording was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file is not a readable PCM WAV: it is in quarantine with this reason.
    #[error("{reason}; the file was kept in quarantine")]
    Quarantined {
        /// What is wrong with it.
        reason: String,
    },
    /// The request itself is wrong (a bad name, no mixed file).
    #[error("{0}")]
    Invalid(String),
    /// The recorded channel is known to belong to another call than the Linkedid given.
    #[error(
        "uniqueid {uniqueid} belongs to call {owner}, not to call {linkedid}: nothing was kept"
    )]
    OtherCall {
        /// The recorded channel.
        uniqueid: String,
        /// The Linkedid given.
        linkedid: String,
        /// The Linkedid of the call the channel belongs to.
        owner: String,
    },
    /// Storing failed (disk, database): nothing is lost, the sender may retry.
    #[error("the recording could not be stored")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl RecordingDesk {
    /// Ingests `files` and registers the recording, linked to its call: the call of
    /// `linkedid` when given, else the call whose MixMonitor file (as the tracker saw it)
    /// or Linkedid is the Uniqueid of the file names; a call written later adopts it.
    #[tracing::instrument(skip_all, fields(linkedid))]
    pub async fn take(
        &self,
        store: &Arc<dyn Store>,
        files: ReceivedFiles,
        linkedid: Option<String>,
    ) -> Result<Recording, IngestError> {
        let (mixed_name, mixed_bytes) = files
            .mixed
            .ok_or_else(|| IngestError::Invalid("the mixed recording file is missing".into()))?;
        let name = recordings::RecordingName::parse(&mixed_name)
            .map_err(|e| IngestError::Invalid(e.to_string()))?;
        let uniqueid = name.uniqueid.to_string();
        if let Some(linkedid) = &linkedid {
            self.check_same_call(store, &uniqueid, linkedid).await?;
        }
        let call = self
            .find_call(store, &uniqueid, linkedid.as_deref())
            .await?;
        let linkedid = call
            .as_ref()
            .map(|call| call.linkedid.clone())
            .or(linkedid)
            .unwrap_or_else(|| uniqueid.clone());
        // Outbound calls are recorded on the agent's channel: `-tx` is the customer.
        let customer_leg = CustomerLeg::for_recorded_channel(
            call.as_ref()
                .is_none_or(|call| call.direction != crm_core::Direction::Outbound),
        );
        let (ingested, mixed_len) = self
            .ingest((mixed_name, mixed_bytes), files.rx, files.tx, customer_leg)
            .await?;
        self.drop_merged_mixed(&ingested).await;
        let new = self.new_recording(
            &ingested,
            mixed_len,
            call.map(|call| call.id),
            linkedid,
            uniqueid,
        );
        store.add_recording(&new).await.map_err(storage)
    }

    /// The call a recording belongs to: the call of `linkedid` when given, else the one
    /// whose MixMonitor file is the recorded channel `uniqueid`'s.
    async fn find_call(
        &self,
        store: &Arc<dyn Store>,
        uniqueid: &str,
        linkedid: Option<&str>,
    ) -> Result<Option<CallRow>, IngestError> {
        let mut call = match linkedid {
            Some(linkedid) => store
                .call_by_linkedid(&self.pbx, linkedid)
                .await
                .map_err(storage)?,
            None => None,
        };
        if call.is_none()
            && let Some(id) = store
                .call_of_recording(&self.pbx, uniqueid)
                .await
                .map_err(storage)?
        {
            call = Some(store.get_call(id).await.map_err(storage)?);
        }
        Ok(call)
    }

    /// Runs the `recordings` crate's ingest off the async runtime: the recording as stored
    /// and the size of the mixed file, or why it was not taken.
    async fn ingest(
        &self,
        (mixed_name, mixed_bytes): (String, Vec<u8>),
        rx: Option<(String, Vec<u8>)>,
        tx: Option<(String, Vec<u8>)>,
        customer_leg: CustomerLeg,
    ) -> Result<(Box<IngestedRecording>, usize), IngestError> {
        let desk = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let input = IngestInput {
                mixed: NamedBytes {
                    name: &mixed_name,
                    bytes: &mixed_bytes,
                },
                rx: rx.as_ref().map(|(name, bytes)| NamedBytes { name, bytes }),
                tx: tx.as_ref().map(|(name, bytes)| NamedBytes { name, bytes }),
                customer_leg,
            };
            let outcome = recordings::ingest(&desk.files, &input, &desk.settings);
            (outcome, mixed_bytes.len())
        })
        .await
        .map_err(storage)?;
        let (outcome, mixed_len) = outcome;
        let ingested = match outcome {
            Ok(IngestOutcome::Stored(ingested)) => ingested,
            Ok(IngestOutcome::Quarantined(quarantined)) => {
                return Err(IngestError::Quarantined {
                    reason: quarantined.reason.to_string(),
                });
            }
            Err(err @ RecordingError::InvalidName { .. }) => {
                return Err(IngestError::Invalid(err.to_string()));
            }
            Err(err) => return Err(storage(err)),
        };
        Ok((ingested, mixed_len))
    }

    /// With a stereo merge, the mixed file adds nothing (it is the sum of the legs): it is
    /// not kept, unless the same content was stored before for something else.
    async fn drop_merged_mixed(&self, ingested: &IngestedRecording) {
        if let (Some(_), Some(mixed)) = (&ingested.stereo, &ingested.mixed)
            && !mixed.already_present
        {
            let files = self.files.clone();
            let hash = mixed.hash.clone();
            match tokio::task::spawn_blocking(move || files.delete(&hash)).await {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => tracing::warn!(error = %err, "cannot drop the mixed file"),
                Err(err) => tracing::warn!(error = %err, "cannot drop the mixed file"),
            }
        }
    }

    /// The recording to register for `ingested` (of the call `call`, `linkedid` and the
    /// recorded channel `uniqueid`): the stereo merge when there is one, else the mixed
    /// file, else an empty recording of `mixed_len` bytes.
    fn new_recording(
        &self,
        ingested: &IngestedRecording,
        mixed_len: usize,
        call: Option<CallId>,
        linkedid: String,
        uniqueid: String,
    ) -> NewRecording {
        let (file, info, status) = match (&ingested.stereo, ingested.stereo_info, &ingested.mixed) {
            (Some(stereo), Some(info), _) => (Some(stereo), info, "merged"),
            (_, _, Some(mixed)) => (Some(mixed), ingested.info, "stored"),
            _ => (None, ingested.info, EMPTY_STATUS),
        };
        NewRecording {
            call,
            pbx: self.pbx.clone(),
            linkedid: Some(linkedid),
            uniqueid: Some(uniqueid),
            sha256: file.map_or_else(
                || recordings::ContentHash::of(&[]).to_string(),
                |f| f.hash.to_string(),
            ),
            path: file.map_or_else(String::new, |f| f.path.display().to_string()),
            bytes: file.map_or(mixed_len as i64, |f| f.size as i64),
            duration_ms: Some(info.duration_ms as i64),
            sample_rate: Some(i64::from(info.sample_rate)),
            channels: Some(i64::from(info.channels)),
            status: status.to_owned(),
            peaks: ingested.peaks.clone(),
        }
    }
}

impl RecordingDesk {
    /// Fails unless the call the recorded channel `uniqueid` is known to belong to (by its
    /// MixMonitor file, or as a Linkedid) is `linkedid`'s; an unknown channel passes.
    async fn check_same_call(
        &self,
        store: &Arc<dyn Store>,
        uniqueid: &str,
        linkedid: &str,
    ) -> Result<(), IngestError> {
        let Some(owner) = store
            .call_of_recording(&self.pbx, uniqueid)
            .await
            .map_err(storage)?
        else {
            return Ok(());
        };
        let owner = store.get_call(owner).await.map_err(storage)?;
        if owner.linkedid == linkedid {
            return Ok(());
        }
        tracing::warn!(%uniqueid, %linkedid, owner = %owner.linkedid, "recording upload names a channel of another call");
        Err(IngestError::OtherCall {
            uniqueid: uniqueid.to_owned(),
            linkedid: linkedid.to_owned(),
            owner: owner.linkedid,
        })
    }
}

fn storage(err: impl std::error::Error + Send + Sync + 'static) -> IngestError {
    IngestError::Storage(Box::new(err))
}
