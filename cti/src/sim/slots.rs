//! Slots: the values of a captured call that change from call to call, and
//! [`segments`], which cuts a captured header into literal text and slots.

/// Which of the two lab queues a token names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum QueueRole {
    /// `support` (linear, PJSIP members).
    Linear,
    /// `sales` (ringall, Local members).
    RingAll,
}

/// A value that differs from call to call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    /// The n-th Uniqueid of the call, in the order the PBX created them (0 = Linkedid).
    Uniqueid(usize),
    /// The n-th channel name (without `;1`/`;2`), in creation order.
    Channel(usize),
    /// The n-th bridge id.
    Bridge(usize),
    /// The extension of lab agent n (0 = 1001, 1 = 1002, 2 = 1003).
    AgentExt(usize),
    /// The name of lab agent n.
    AgentName(usize),
    /// The customer's number as the trunk presents or the agent dials it.
    CustomerNumber,
    /// The customer's caller-ID name.
    CustomerName,
    /// A queue's name.
    QueueName(QueueRole),
    /// A queue's DID.
    Did(QueueRole),
    /// The `TAMAS_CLICK_ID` of a click-to-call.
    ClickId,
    /// The caller-ID name an Originate put on the agent's phone.
    OriginName,
    /// The ActionID of the Originate (on `OriginateResponse`).
    ActionId,
}

/// A piece of a header: literal text or a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Text(Box<str>),
    Slot(Slot),
}

/// Cuts `text` into literal pieces and slots; tokens match whole words only.
pub(crate) fn segments(text: &str, tokens: &[(String, Slot)]) -> Vec<Segment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut literal = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if starts_word {
            let hit = tokens.iter().find(|(t, _)| {
                let end = i + t.len();
                bytes[i..].starts_with(t.as_bytes())
                    && (end == bytes.len() || !bytes[end].is_ascii_alphanumeric())
            });
            if let Some((t, slot)) = hit {
                if literal < i {
                    out.push(Segment::Text(text[literal..i].into()));
                }
                out.push(Segment::Slot(*slot));
                i += t.len();
                literal = i;
                continue;
            }
        }
        i += 1;
    }
    if literal < bytes.len() || out.is_empty() {
        out.push(Segment::Text(text[literal..].into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Vec<(String, Slot)> {
        let mut t = vec![
            ("1795343298.10".to_owned(), Slot::Uniqueid(0)),
            ("1795343298.108".to_owned(), Slot::Uniqueid(1)),
            ("1001".to_owned(), Slot::AgentExt(0)),
            ("support".to_owned(), Slot::QueueName(QueueRole::Linear)),
        ];
        t.sort_by_key(|t| std::cmp::Reverse(t.0.len()));
        t
    }

    #[test]
    fn tokens_match_whole_words_only() {
        let segs = segments("/monitor/1795343298.108.wav", &tokens());
        assert_eq!(
            segs,
            vec![
                Segment::Text("/monitor/".into()),
                Segment::Slot(Slot::Uniqueid(1)),
                Segment::Text(".wav".into())
            ]
        );
        let segs = segments("Queue:support_pause_PJSIP/1001", &tokens());
        assert_eq!(segs.len(), 4);
        assert_eq!(
            segments("02191001000", &tokens()),
            vec![Segment::Text("02191001000".into())]
        );
        assert_eq!(segments("", &tokens()), vec![Segment::Text("".into())]);
        assert_eq!(
            segments("supporting", &tokens()),
            vec![Segment::Text("supporting".into())]
        );
    }
}
