//! Calls in progress as the store keeps them: the PBX tracker's snapshot of each open call
//! (opaque JSON text), written as the call changes and read back when Tamas restarts.

/// One open call of a PBX, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenCallRow {
    /// The call's Linkedid.
    pub linkedid: String,
    /// The tracker's snapshot of the call (JSON).
    pub state: String,
    /// PBX time (ms) at which Tamas last knew the call was still open.
    pub seen_at_ms: i64,
}

/// A change to the open calls of a PBX.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenCallWrite {
    /// The call is open with this state (inserted or replaced).
    Save(OpenCallRow),
    /// The call is no longer open (it ended and is in the call log, or merged into another).
    Close {
        /// The call's Linkedid.
        linkedid: String,
    },
}
