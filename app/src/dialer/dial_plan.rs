//! What click-to-call asks the PBX for: the agent's channel, the dialplan target, and the
//! number the PBX dials, turned from E.164 by configurable prefix rules (`+98…` → `0…`,
//! any other `+…` → `00…`).

use std::time::Duration;

use crm_core::NormalizedNumber;
use cti::ami::client::Originate;

/// One rewrite: an E.164 number starting with `prefix` is dialled with `prefix` replaced
/// by `replace`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialRule {
    /// E.164 prefix, e.g. `+98`.
    pub prefix: String,
    /// What the PBX dials instead, e.g. `0`.
    pub replace: String,
}

/// Settings of click-to-call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialerSettings {
    /// The agent's phone; `{extension}` is replaced by the agent's extension.
    pub channel: String,
    /// Dialplan context the customer's number is dialled in.
    pub context: String,
    /// Dialplan priority.
    pub priority: u32,
    /// How long the agent's phone may ring.
    pub ring_timeout: Duration,
    /// Rules tried in order; the first whose prefix matches applies. A number matching
    /// none is dialled as its E.164 digits with the `+`.
    pub rules: Vec<DialRule>,
    /// Calls one user may start per minute (a burst of up to this many, refilled evenly).
    pub per_minute: u32,
}

impl Default for DialerSettings {
    fn default() -> Self {
        DialerSettings {
            channel: "PJSIP/{extension}".into(),
            context: "from-internal".into(),
            priority: 1,
            ring_timeout: Duration::from_secs(30),
            rules: vec![
                DialRule {
                    prefix: "+98".into(),
                    replace: "0".into(),
                },
                DialRule {
                    prefix: "+".into(),
                    replace: "00".into(),
                },
            ],
            per_minute: 10,
        }
    }
}

/// Longest dial string accepted.
const MAX_DIGITS: usize = 32;

impl DialerSettings {
    /// What the PBX dials for `number`: E.164 through the rules; a number that is not
    /// valid E.164 only when it is plain digits (`*` and `#` allowed), as written. `None`
    /// for anything else, so nothing but a number ever reaches the dialplan.
    pub fn dial_string(&self, number: &NormalizedNumber) -> Option<String> {
        let dial = match &number.e164 {
            Some(e164) => {
                let e164 = e164.as_str();
                match self
                    .rules
                    .iter()
                    .find(|r| e164.starts_with(r.prefix.as_str()))
                {
                    Some(rule) => format!("{}{}", rule.replace, &e164[rule.prefix.len()..]),
                    None => e164.to_owned(),
                }
            }
            None => number
                .raw
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
                .collect(),
        };
        let mut chars = dial.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'));
        let valid = first_ok
            && chars.all(|c| c.is_ascii_digit() || matches!(c, '*' | '#'))
            && dial.len() <= MAX_DIGITS;
        valid.then_some(dial)
    }

    /// The Originate for `extension` calling `dial`, tagged with `click_id`; the agent's
    /// phone shows `label`.
    pub fn originate(&self, extension: &str, dial: &str, click_id: &str, label: &str) -> Originate {
        let channel = self.channel.replace("{extension}", extension);
        let mut originate = Originate::new(channel, self.context.as_str(), dial);
        originate.priority = self.priority;
        originate.ring_timeout = self.ring_timeout;
        originate.caller_id = Some(format!("\"{}\" <{dial}>", caller_id_text(label)));
        originate
            .variables
            .push(("__TAMAS_CLICK_ID".into(), click_id.to_owned()));
        originate
    }
}

/// A name safe inside a quoted caller ID: no quotes, angle brackets or control
/// characters, at most 40 characters.
fn caller_id_text(label: &str) -> String {
    label
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '\\'))
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::PhoneNormalizer;

    fn dial(number: &str) -> Option<String> {
        let normalizer = PhoneNormalizer::new("IR");
        DialerSettings::default().dial_string(&normalizer.normalize(number))
    }

    #[test]
    fn e164_numbers_follow_the_rules() {
        assert_eq!(dial("+989121234567").as_deref(), Some("09121234567"));
        assert_eq!(dial("۰۹۱۲ ۱۲۳ ۴۵۶۷").as_deref(), Some("09121234567"));
        assert_eq!(dial("00989121234567").as_deref(), Some("09121234567"));
        assert_eq!(dial("+1 415 555 0100").as_deref(), Some("0014155550100"));
    }

    #[test]
    fn only_numbers_reach_the_dialplan() {
        assert_eq!(dial("*72").as_deref(), Some("*72"));
        assert_eq!(dial("1001").as_deref(), Some("1001"));
        assert_eq!(dial("123&Dial(PJSIP/evil)"), None);
        assert_eq!(dial("x"), None);
        assert_eq!(dial(""), None);
    }

    #[test]
    fn originate_carries_the_click_id_from_the_agents_phone() {
        let settings = DialerSettings {
            context: "agents".into(),
            ..DialerSettings::default()
        };
        let originate = settings.originate("1002", "09127654321", "ctc-7f3a", "Ali \"A\" <x>");
        assert_eq!(originate.channel, "PJSIP/1002");
        assert_eq!(originate.context, "agents");
        assert_eq!(originate.exten, "09127654321");
        assert_eq!(
            originate.caller_id.as_deref(),
            Some("\"Ali A x\" <09127654321>")
        );
        assert_eq!(
            originate.variables,
            vec![("__TAMAS_CLICK_ID".to_owned(), "ctc-7f3a".to_owned())]
        );
    }
}
