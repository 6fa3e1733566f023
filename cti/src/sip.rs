//! The SIP side of PJSIP's AMI events, behind a small adapter so that nothing else in
//! Tamas depends on `rsip`: a registered contact's URI (`sip:1001@10.0.0.5:5060;ob`) and
//! the reachability `ContactStatus` reports for it.
//!
//! AMI (`ContactStatus`, Asterisk 13+): `URI`, `ContactStatus` (`Created`, `Updated`,
//! `Reachable`, `Unreachable`, `Removed`, `Unknown`, `NonQualified`), `AOR`,
//! `EndpointName` (Asterisk 14+).

use std::fmt;

use serde::Serialize;

use crate::ami::Message;

/// Where a phone registered from: the parts of its contact URI that a supervisor needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContactUri {
    /// The user part (usually the extension), if any.
    pub user: Option<String>,
    /// Host name or IP address.
    pub host: String,
    /// Port, when given.
    pub port: Option<u16>,
}

impl fmt::Display for ContactUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) if self.host.contains(':') => write!(f, "[{}]:{port}", self.host),
            Some(port) => write!(f, "{}:{port}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// A SIP URI that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a SIP URI: {reason}")]
pub struct SipUriError {
    reason: String,
}

/// Parses a contact URI as PJSIP reports it (`sip:`/`sips:`, optional user, host, port,
/// parameters). Angle brackets around it are accepted.
pub fn parse_contact_uri(text: &str) -> Result<ContactUri, SipUriError> {
    let trimmed = text.trim().trim_start_matches('<').trim_end_matches('>');
    let uri = rsip::Uri::try_from(trimmed).map_err(|err| SipUriError {
        reason: err.to_string(),
    })?;
    if uri.scheme.is_none() {
        return Err(SipUriError {
            reason: "no sip: or sips: scheme".into(),
        });
    }
    Ok(ContactUri {
        user: uri.user().map(str::to_owned).filter(|u| !u.is_empty()),
        host: match &uri.host_with_port.host {
            rsip::Host::Domain(domain) => domain.to_string(),
            rsip::Host::IpAddr(ip) => ip.to_string(),
        },
        port: uri.host_with_port.port.map(u16::from),
    })
}

/// Whether a phone can be reached, as PJSIP's qualify (OPTIONS pings) and registrations
/// tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// Registered and answering (or registered and not qualified).
    Reachable,
    /// Registered but not answering, or its registration was removed or expired.
    Unreachable,
}

/// What one `ContactStatus` event says about an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactStatus {
    /// The endpoint (`EndpointName`, else the AOR): the extension for agents' phones.
    pub endpoint: String,
    /// Reachable or not.
    pub reachability: Reachability,
    /// Where the phone registered from, when the URI parses.
    pub contact: Option<ContactUri>,
}

/// Reads a `ContactStatus` event; `None` for other events, statuses that say nothing
/// about reachability (`Unknown`) and events without an endpoint.
pub fn contact_status(msg: &Message) -> Option<ContactStatus> {
    if !msg.is_event("ContactStatus") {
        return None;
    }
    let reachability = match msg.get("ContactStatus")?.trim() {
        "Reachable" | "Created" | "Updated" | "NonQualified" => Reachability::Reachable,
        "Unreachable" | "Removed" => Reachability::Unreachable,
        _ => return None,
    };
    let endpoint = msg
        .get("EndpointName")
        .or_else(|| msg.get("AOR"))
        .map(str::trim)
        .filter(|e| !e.is_empty())?
        .to_owned();
    let contact = msg.get("URI").and_then(|uri| match parse_contact_uri(uri) {
        Ok(contact) => Some(contact),
        Err(err) => {
            tracing::debug!(%endpoint, error = %err, "ContactStatus with an unparsable URI");
            None
        }
    });
    Some(ContactStatus {
        endpoint,
        reachability,
        contact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ami::{Frame, Frames};

    fn message(text: &str) -> Message {
        let bytes = format!("{}\r\n\r\n", text.replace('\n', "\r\n"));
        match Frames::new(bytes.into_bytes()).next() {
            Some(Ok(Frame::Message(m))) => m,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn contact_uris_parse() {
        let uri = parse_contact_uri("sip:1001@192.168.1.20:5060;ob").unwrap();
        assert_eq!(uri.user.as_deref(), Some("1001"));
        assert_eq!(uri.host, "192.168.1.20");
        assert_eq!(uri.port, Some(5060));
        assert_eq!(uri.to_string(), "192.168.1.20:5060");
        let uri = parse_contact_uri("<sips:pbx.example.com;transport=tls>").unwrap();
        assert_eq!(uri.user, None);
        assert_eq!(uri.host, "pbx.example.com");
        assert_eq!(uri.port, None);
        assert!(parse_contact_uri("not a uri").is_err());
        assert!(parse_contact_uri("").is_err());
    }

    #[test]
    fn contact_status_events_give_reachability() {
        let status = contact_status(&message(
            "Event: ContactStatus\nURI: sip:1002@10.0.0.7:5062\nContactStatus: Unreachable\nAOR: 1002\nEndpointName: 1002\nRoundtripUsec: 0",
        ))
        .unwrap();
        assert_eq!(status.endpoint, "1002");
        assert_eq!(status.reachability, Reachability::Unreachable);
        assert_eq!(status.contact.unwrap().host, "10.0.0.7");

        let status = contact_status(&message(
            "Event: ContactStatus\nURI: garbage\nContactStatus: Reachable\nAOR: 1003",
        ))
        .unwrap();
        assert_eq!(status.endpoint, "1003");
        assert_eq!(status.reachability, Reachability::Reachable);
        assert_eq!(status.contact, None, "a bad URI loses the address only");

        assert!(
            contact_status(&message(
                "Event: ContactStatus\nContactStatus: Unknown\nAOR: 1"
            ))
            .is_none()
        );
        assert!(contact_status(&message("Event: Hangup\nAOR: 1")).is_none());
    }
}
