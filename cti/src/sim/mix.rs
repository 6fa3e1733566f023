//! The call mix: which scenarios generated calls follow and how often
//! ([`SimSettings::scenarios`](super::SimSettings::scenarios), `--scenarios`), and how long
//! queue callers wait and customers talk ([`SecondsRange`],
//! [`SimSettings::wait`](super::SimSettings::wait) and
//! [`SimSettings::talk`](super::SimSettings::talk), `--wait-seconds`, `--talk-seconds`),
//! turned for each call into the [`Stretch`] that delays its template's events.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};

use super::SimError;
use super::calls::CallSpec;
use super::render::{Stretch, StretchPoint};
use super::scenarios::{Catalog, Entry, Scenario};
use super::settings::SimSettings;

/// Whole seconds from `min` to `max` (inclusive): `10-40`, or `15` for exactly 15.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondsRange {
    /// The least.
    pub min: u64,
    /// The most (not below `min`).
    pub max: u64,
}

impl SecondsRange {
    /// `min..=max`; an error when `max < min`.
    pub fn new(min: u64, max: u64) -> Result<SecondsRange, SimError> {
        if max < min {
            return Err(SimError::Mix(format!(
                "{min}-{max}: the end is before the start"
            )));
        }
        Ok(SecondsRange { min, max })
    }

    fn pick(self, rng: &mut impl Rng) -> u64 {
        rng.random_range(self.min..=self.max)
    }
}

impl fmt::Display for SecondsRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

impl FromStr for SecondsRange {
    type Err = SimError;

    fn from_str(text: &str) -> Result<SecondsRange, SimError> {
        let number = |t: &str| {
            t.trim()
                .parse::<u64>()
                .map_err(|_| SimError::Mix(format!("{text:?} is not seconds like 10-40")))
        };
        match text.split_once('-') {
            Some((min, max)) => SecondsRange::new(number(min)?, number(max)?),
            None => number(text).map(|s| SecondsRange { min: s, max: s }),
        }
    }
}

/// Parses a call mix: scenario names separated by commas, each with an optional weight
/// (`inbound-answered:3,inbound-abandoned`; weight 1 when left out). Click-to-call is not
/// generated (it happens on `Originate`).
pub fn parse_mix(text: &str) -> Result<Vec<(Scenario, u32)>, SimError> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (name, weight) = match part.split_once(':') {
                Some((name, weight)) => {
                    let weight = weight.trim().parse::<u32>().map_err(|_| {
                        SimError::Mix(format!("{part:?}: the weight is not a whole number"))
                    })?;
                    (name, weight)
                }
                None => (part, 1),
            };
            let scenario: Scenario = name.parse()?;
            if scenario == Scenario::ClickToCall {
                return Err(SimError::Mix(
                    "click-to-call is not generated: it happens on Originate".into(),
                ));
            }
            Ok((scenario, weight))
        })
        .collect()
}

impl Catalog {
    /// A scenario for the next generated call: from the configured mix, else by the
    /// catalog's own weights; `None` when every weight is zero.
    pub(crate) fn pick(&self, mix: &[(Scenario, u32)], rng: &mut impl Rng) -> Option<Scenario> {
        let weights: Vec<(Scenario, u32)> = if mix.is_empty() {
            self.entries()
                .iter()
                .map(|e| (e.spec.scenario, e.spec.weight))
                .collect()
        } else {
            mix.to_vec()
        };
        let total: u32 = weights.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return None;
        }
        let mut roll = rng.random_range(0..total);
        for (scenario, weight) in weights {
            if roll < weight {
                return Some(scenario);
            }
            roll -= weight;
        }
        None
    }
}

/// Seconds to add to a `captured` length (microseconds) so it lasts about `wanted` whole
/// seconds; never negative (a call is never shorter than captured).
fn extra_for(wanted: u64, captured: Option<i64>) -> u64 {
    let captured = captured.map_or(0, |c| u64::try_from((c + 500_000) / 1_000_000).unwrap_or(0));
    wanted.saturating_sub(captured)
}

/// How much longer than captured this call is: the spec's own extras, else the settings'
/// ranges (`wait`, `talk`), else up to `max_extra_talk` more talk (an abandoned call's
/// caller then holds on longer instead, within the ring-all queue's timeout).
pub(crate) fn stretch(
    settings: &SimSettings,
    entry: &Entry,
    spec: &CallSpec,
    rng: &mut impl Rng,
) -> Stretch {
    let template = &entry.template;
    let main = entry.plans.first();
    let talks = main.is_some_and(|p| p.answered.is_some());
    let wait_seconds = match (spec.extra_wait, settings.wait) {
        _ if template.ring_start.is_none() => 0,
        (Some(extra), _) => extra.as_secs(),
        (None, Some(range)) => extra_for(
            range.pick(rng),
            main.and_then(|p| p.captured_wait(template)),
        ),
        (None, None) => 0,
    };
    let talk_seconds = match (spec.extra_talk, settings.talk) {
        (Some(extra), _) => extra.as_secs(),
        (None, Some(range)) if talks => extra_for(
            range.pick(rng),
            main.and_then(|p| p.captured_talk(template)),
        ),
        // The wait of an abandoned call is the wait range's business.
        (None, Some(_)) => 0,
        (None, None) if !talks && settings.wait.is_some() => 0,
        (None, None) => {
            let cap = entry
                .spec
                .extra_cap
                .unwrap_or(u64::MAX)
                .min(settings.max_extra_talk.as_secs());
            rng.random_range(0..=cap)
        }
    };
    let point = |index: Option<usize>, seconds: u64| {
        let index = index.filter(|_| seconds > 0)?;
        Some(StretchPoint {
            index,
            from_offset: template.events.get(index)?.offset,
            seconds: i64::try_from(seconds).unwrap_or(0),
        })
    };
    Stretch {
        wait: point(template.ring_start, wait_seconds),
        talk: point(template.talk_end, talk_seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_mixes_parse() {
        assert_eq!(
            "10-40".parse::<SecondsRange>().unwrap(),
            SecondsRange { min: 10, max: 40 }
        );
        assert_eq!(
            "15".parse::<SecondsRange>().unwrap(),
            SecondsRange { min: 15, max: 15 }
        );
        assert!("40-10".parse::<SecondsRange>().is_err());
        assert!("ten".parse::<SecondsRange>().is_err());
        assert_eq!(
            parse_mix("inbound-answered:3, inbound-abandoned").unwrap(),
            [
                (Scenario::InboundAnswered, 3),
                (Scenario::InboundAbandoned, 1)
            ]
        );
        assert!(parse_mix("click-to-call").is_err());
        assert!(parse_mix("inbound-answered:x").is_err());
        assert!(parse_mix("nope").is_err());
    }

    #[test]
    fn extras_reach_the_wanted_length_but_never_shorten() {
        assert_eq!(extra_for(30, Some(8_284_000)), 22);
        assert_eq!(extra_for(30, Some(8_600_000)), 21);
        assert_eq!(extra_for(3, Some(8_284_000)), 0);
    }
}
