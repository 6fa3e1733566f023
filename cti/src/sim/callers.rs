//! Who calls: a pool of customers (Iranian mobiles and Tehran landlines) who call again now
//! and then, each time presented by the carrier in one of the formats seen in the wild
//! (`0912…`, `+98912…`, `0098912…`, `912…`, `021…`), with names in Latin and Persian script,
//! companies, names missing (the dialplan copies the number), and some hostile ones.

use rand::seq::IndexedRandom;
use rand::{Rng, RngExt};

/// A customer: the national significant number (without the leading 0) and a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Customer {
    pub(crate) national: String,
    pub(crate) name: Option<String>,
}

const MOBILE_PREFIXES: [&str; 8] = ["912", "935", "936", "901", "919", "990", "921", "937"];

const NAMES: [&str; 16] = [
    "Ali Rezaei",
    "Neda Moradi",
    "Kaveh Trading",
    "Hamid Saberi",
    "Sima Nouri",
    "Zahra Hosseini",
    "Mohammad Jafari",
    "Fatemeh Karimi",
    "علی رضایی",
    "نگار احمدی",
    "شرکت پارس تجارت",
    "مریم صادقی",
    "Parisa Tehrani",
    "Amir Kazemi",
    "Behrouz Motamedi",
    "Shirin Farahani",
];

/// Names a hostile or broken caller-ID can carry; everything showing them must escape them.
const HOSTILE: [&str; 8] = [
    "<script>alert(1)</script>",
    "\"Quoted\" O'Brien",
    "Robert'); DROP TABLE calls;--",
    "\u{202E}lanigiro\u{202C} RTL override",
    "\u{200F}مشتری\u{200E} 123",
    "{{7*7}} ${jndi:x} %s%n",
    "<img src=x onerror=alert(2)>",
    "\u{1F4DE} Support \u{1F600}",
];

/// A pool of customers generated from the simulator's seed.
#[derive(Clone, Debug)]
pub(crate) struct Customers {
    pool: Vec<Customer>,
}

impl Customers {
    /// `size` customers; a share `hostile` of them has a hostile name.
    pub(crate) fn generate(rng: &mut impl Rng, size: usize, hostile: f64) -> Self {
        let pool = (0..size.max(1))
            .map(|_| {
                let national = if rng.random_bool(0.8) {
                    let prefix = MOBILE_PREFIXES.choose(rng).copied().unwrap_or("912");
                    format!("{prefix}{:07}", rng.random_range(0..10_000_000u32))
                } else {
                    format!("21{:08}", rng.random_range(10_000_000..100_000_000u32))
                };
                let name = if rng.random_bool(hostile.clamp(0.0, 1.0)) {
                    Some(hostile_name(rng))
                } else if rng.random_bool(0.1) {
                    None
                } else {
                    NAMES.choose(rng).map(|n| (*n).to_owned())
                };
                Customer { national, name }
            })
            .collect();
        Customers { pool }
    }

    /// A caller: mostly regulars from the head of the pool, so repeat calls happen.
    pub(crate) fn pick(&self, rng: &mut impl Rng) -> &Customer {
        let head = (self.pool.len() / 5).max(1);
        let i = if rng.random_bool(0.4) {
            rng.random_range(0..head)
        } else {
            rng.random_range(0..self.pool.len())
        };
        &self.pool[i]
    }
}

fn hostile_name(rng: &mut impl Rng) -> String {
    if rng.random_bool(0.15) {
        // Very long: 300 characters.
        return "Very Long Name ".repeat(20);
    }
    HOSTILE
        .choose(rng)
        .map_or_else(String::new, |n| (*n).to_owned())
}

/// The customer's number as the carrier presents it this time.
pub(crate) fn present(customer: &Customer, rng: &mut impl Rng) -> String {
    let n = &customer.national;
    let landline = n.starts_with("21");
    match rng.random_range(0..100u32) {
        0..50 => format!("0{n}"),
        50..65 => format!("+98{n}"),
        65..75 => format!("0098{n}"),
        75..85 if !landline => n.clone(),
        _ => format!("0{n}"),
    }
}

/// The caller-ID name the PBX shows: the dialplan copies the number when there is none.
pub(crate) fn caller_name(customer: &Customer, number: &str) -> String {
    customer.name.clone().unwrap_or_else(|| number.to_owned())
}

/// The number as an agent dials it on the desk phone (always national with the 0).
pub(crate) fn dialled(customer: &Customer) -> String {
    format!("0{}", customer.national)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    #[test]
    fn every_format_and_some_hostile_names_show_up() {
        let mut rng = SmallRng::seed_from_u64(9);
        let customers = Customers::generate(&mut rng, 200, 0.2);
        let mut formats = std::collections::HashSet::new();
        let mut hostile = 0;
        for _ in 0..2_000 {
            let c = customers.pick(&mut rng);
            let number = present(c, &mut rng);
            assert!(!number.contains(['\r', '\n']));
            let format = match number.as_bytes() {
                [b'+', ..] => "+98",
                [b'0', b'0', ..] => "0098",
                [b'0', b'2', b'1', ..] => "021",
                [b'0', ..] => "09",
                _ => "9",
            };
            formats.insert(format);
            let name = caller_name(c, &number);
            assert!(!name.contains(['\r', '\n']));
            if HOSTILE.contains(&name.as_str()) || name.len() >= 300 {
                hostile += 1;
            }
        }
        assert_eq!(formats.len(), 5, "{formats:?}");
        assert!(hostile > 0);
    }
}
