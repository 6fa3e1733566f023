//! The words a call is described in: its direction, its outcome, who hung up, how an
//! agent's ringing ended, where it stands for first-call resolution. Each is an enum,
//! stored and serialised as the same snake-case word the call log has always held
//! ([`as_str`](Direction::as_str), [`FromStr`](std::str::FromStr)).

/// A stored word that names nothing of its kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a {kind}: {text:?}")]
pub struct UnknownWord {
    /// What was expected (`Direction`, …).
    pub kind: &'static str,
    /// What was read.
    pub text: String,
}

/// An enum of stored words: `as_str`, `FromStr`, `Display` and serde, all the same word.
macro_rules! words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$variant_meta])* #[serde(rename = $word)] $variant,)+
        }

        impl $name {
            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownWord;

            fn from_str(text: &str) -> Result<Self, UnknownWord> {
                match text {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownWord {
                        kind: stringify!($name),
                        text: text.to_owned(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words! {
    /// Who started the call and towards whom.
    pub enum Direction {
        /// A customer called in.
        Inbound = "inbound",
        /// An agent called a customer.
        Outbound = "outbound",
        /// Agents (and other internal devices) only.
        Internal = "internal",
    }
}

impl Direction {
    /// Whether a customer was on the line (inbound or outbound, not internal).
    pub fn with_customer(self) -> bool {
        matches!(self, Direction::Inbound | Direction::Outbound)
    }
}

words! {
    /// How the call ended for the customer.
    pub enum Disposition {
        /// Somebody answered (inbound: an agent connected; outbound: the customer).
        Answered = "answered",
        /// The caller hung up while waiting in a queue.
        Abandoned = "abandoned",
        /// Nobody answered.
        NoAnswer = "no_answer",
        /// The called party was busy.
        Busy = "busy",
        /// The call could not be placed.
        Failed = "failed",
    }
}

words! {
    /// Which side ended the call.
    pub enum HangupBy {
        /// The customer's side.
        Customer = "customer",
        /// An agent's device.
        Agent = "agent",
        /// The PBX itself: dialplan, timeout, shutdown.
        System = "system",
    }
}

words! {
    /// How ringing one agent ended.
    pub enum LegResult {
        /// The agent answered.
        Answered = "answered",
        /// It rang until the ring timeout.
        RingNoAnswer = "ring_no_answer",
        /// Ringing stopped: the caller left or another agent answered.
        Cancelled = "cancelled",
        /// The agent's device was busy.
        Busy = "busy",
        /// The agent's device could not be reached.
        Failed = "failed",
    }
}

words! {
    /// Where an answered inbound call stands for first-call resolution.
    pub enum FcrStatus {
        /// First contact, and the customer did not need to call again.
        ResolvedFirstContact = "resolved_first_contact",
        /// First contact, but the customer called again within the window.
        RepeatContact = "repeat_contact",
        /// First contact that the agent's wrap-up marked unresolved.
        Unresolved = "unresolved",
        /// First contact still inside its window with no repeat yet.
        Pending = "pending",
        /// Not a first contact: the customer had called within the window before.
        FollowUp = "follow_up",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_back_as_written_and_unknown_ones_are_named() {
        for word in ["inbound", "outbound", "internal"] {
            assert_eq!(word.parse::<Direction>().unwrap().as_str(), word);
        }
        assert_eq!("no_answer".parse(), Ok(Disposition::NoAnswer));
        assert_eq!(
            serde_json::to_string(&LegResult::RingNoAnswer).unwrap(),
            "\"ring_no_answer\""
        );
        assert_eq!(FcrStatus::FollowUp.to_string(), "follow_up");
        let err = "Inbound".parse::<Direction>().unwrap_err();
        assert_eq!(err.to_string(), "not a Direction: \"Inbound\"");
    }
}
