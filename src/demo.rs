//! The demo's data: users (an admin, a supervisor, three agents on 1001–1003) and about
//! 200 contacts with Persian and English names and numbers written in every format a
//! user might type (`09121234567`, `+98…`, `0098…`, `912…`, spaced, parenthesised,
//! Persian and Arabic-Indic digits).

/// One demo contact as it would be typed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoContact {
    /// Full name.
    pub name: String,
    /// Organisation, for some.
    pub organisation: Option<String>,
    /// `lead` or `customer`.
    pub stage: &'static str,
    /// E-mail, for some.
    pub email: Option<String>,
    /// Tags.
    pub tags: Vec<&'static str>,
    /// Phone numbers as typed, with a label.
    pub phones: Vec<(String, &'static str)>,
}

/// One demo user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// Sign-in name.
    pub username: &'static str,
    /// Display name.
    pub display_name: &'static str,
    /// `agent`, `supervisor` or `admin`.
    pub role: &'static str,
    /// Phone extension (agents).
    pub extension: Option<&'static str>,
    /// UI language.
    pub locale: &'static str,
}

/// The demo's users; the agents match the extensions of the captured lab PBX.
pub const DEMO_USERS: [DemoUser; 5] = [
    DemoUser {
        username: "admin",
        display_name: "Admin",
        role: "admin",
        extension: None,
        locale: "en",
    },
    DemoUser {
        username: "supervisor",
        display_name: "Parisa Jafari",
        role: "supervisor",
        extension: None,
        locale: "fa",
    },
    DemoUser {
        username: "sara",
        display_name: "Sara Ahmadi",
        role: "agent",
        extension: Some("1001"),
        locale: "fa",
    },
    DemoUser {
        username: "reza",
        display_name: "Reza Karimi",
        role: "agent",
        extension: Some("1002"),
        locale: "en",
    },
    DemoUser {
        username: "maryam",
        display_name: "Maryam Hosseini",
        role: "agent",
        extension: Some("1003"),
        locale: "fa",
    },
];

const PERSIAN_FIRST: [&str; 12] = [
    "علی",
    "نگار",
    "محمد",
    "زهرا",
    "حسین",
    "فاطمه",
    "مهدی",
    "سارا",
    "امیر",
    "مریم",
    "کاوه",
    "نازنین",
];
const PERSIAN_LAST: [&str; 9] = [
    "رضایی",
    "محمدی",
    "حسینی",
    "کریمی",
    "احمدی",
    "موسوی",
    "جعفری",
    "صابری",
    "نوری",
];
const ENGLISH_FIRST: [&str; 8] = [
    "Ali", "Neda", "Kaveh", "Sima", "Hamid", "Leila", "Omid", "Shirin",
];
const ENGLISH_LAST: [&str; 7] = [
    "Rezaei", "Moradi", "Tehrani", "Nouri", "Saberi", "Rahimi", "Kazemi",
];
const ORGANISATIONS: [&str; 6] = [
    "Kaveh Trading",
    "پارس صنعت",
    "Arian Logistics",
    "داروسازی البرز",
    "Caspian Foods",
    "فروشگاه نور",
];
const TAGS: [&str; 5] = ["vip", "wholesale", "support-plan", "new", "tehran"];
const MOBILE_PREFIXES: [&str; 6] = ["912", "935", "919", "901", "990", "921"];

/// The callers of the captured lab calls, so that replayed and simulated calls find them.
const KNOWN_CALLERS: [(&str, &str, &str); 5] = [
    ("Ali Rezaei", "09121234567", "customer"),
    ("Neda Moradi", "+989351234567", "lead"),
    ("Kaveh Trading", "021 4455 6677", "customer"),
    ("Sima Nouri", "00989357778899", "lead"),
    ("Hamid Saberi", "۰۹۱۲۳۳۳۴۴۵۵", "customer"),
];

/// About 200 contacts, the same on every run.
pub fn demo_contacts() -> Vec<DemoContact> {
    let mut contacts: Vec<DemoContact> = KNOWN_CALLERS
        .iter()
        .map(|(name, phone, stage)| DemoContact {
            name: (*name).to_owned(),
            organisation: None,
            stage,
            email: None,
            tags: vec!["vip"],
            phones: vec![((*phone).to_owned(), "mobile")],
        })
        .collect();
    for i in 0..195_usize {
        let persian = i % 2 == 0;
        let name = if persian {
            format!(
                "{} {}",
                PERSIAN_FIRST[i % PERSIAN_FIRST.len()],
                PERSIAN_LAST[(i / 3) % PERSIAN_LAST.len()]
            )
        } else {
            format!(
                "{} {}",
                ENGLISH_FIRST[i % ENGLISH_FIRST.len()],
                ENGLISH_LAST[(i / 3) % ENGLISH_LAST.len()]
            )
        };
        let subscriber = 1_000_000 + (i * 7_919) % 9_000_000;
        let prefix = MOBILE_PREFIXES[i % MOBILE_PREFIXES.len()];
        let mut phones = vec![(format_number(prefix, subscriber, i % 8), "mobile")];
        if i % 5 == 0 {
            let office = format!("021{:08}", 22_000_000 + i * 131);
            phones.push((office, "work"));
        }
        contacts.push(DemoContact {
            email: (!persian).then(|| {
                format!(
                    "{}.{}@example.com",
                    ENGLISH_FIRST[i % ENGLISH_FIRST.len()].to_lowercase(),
                    i
                )
            }),
            organisation: (i % 3 == 0).then(|| ORGANISATIONS[i % ORGANISATIONS.len()].to_owned()),
            stage: if i % 4 == 0 { "lead" } else { "customer" },
            tags: if i % 6 == 0 {
                vec![TAGS[i % TAGS.len()], "new"]
            } else {
                vec![TAGS[i % TAGS.len()]]
            },
            name,
            phones,
        });
    }
    contacts
}

/// Writes an Iranian mobile number (`prefix` like `912`, 7-digit subscriber) in one of
/// eight formats people use.
fn format_number(prefix: &str, subscriber: usize, format: usize) -> String {
    let national = format!("0{prefix}{subscriber:07}");
    match format {
        0 => national,
        1 => format!("+98{prefix}{subscriber:07}"),
        2 => format!("0098{prefix}{subscriber:07}"),
        3 => format!("{prefix}{subscriber:07}"),
        4 => format!("0{prefix} {} {}", &national[4..7], &national[7..]),
        5 => format!("(0{prefix}) {}-{}", &national[4..7], &national[7..]),
        6 => to_digits(&national, '۰'),
        _ => to_digits(&national, '٠'),
    }
}

/// Rewrites ASCII digits with the digits starting at `zero` (Persian `۰` or Arabic-Indic `٠`).
fn to_digits(ascii: &str, zero: char) -> String {
    ascii
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero as u32 + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_two_hundred_contacts_in_every_format() {
        let contacts = demo_contacts();
        assert_eq!(contacts.len(), 200);
        let phones: Vec<&str> = contacts
            .iter()
            .flat_map(|c| c.phones.iter().map(|(p, _)| p.as_str()))
            .collect();
        assert!(phones.iter().any(|p| p.starts_with("+98")));
        assert!(phones.iter().any(|p| p.starts_with("0098")));
        assert!(phones.iter().any(|p| p.starts_with('9')));
        assert!(phones.iter().any(|p| p.starts_with('(')));
        assert!(phones.iter().any(|p| p.contains(' ')));
        assert!(phones.iter().any(|p| p.starts_with('۰')));
        assert!(phones.iter().any(|p| p.starts_with('٠')));
        assert!(contacts.iter().any(|c| {
            c.name
                .chars()
                .any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch))
        }));
    }
}
