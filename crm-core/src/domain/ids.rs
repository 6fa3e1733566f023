//! Typed row ids: a contact id cannot be passed where a user id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A user.
    UserId,
    /// A contact.
    ContactId,
    /// One phone number of a contact.
    PhoneId,
    /// A call in the call log.
    CallId,
    /// A note.
    NoteId,
    /// A task.
    TaskId,
    /// An API token.
    TokenId,
    /// A recording.
    RecordingId,
    /// An alert.
    AlertId,
);
