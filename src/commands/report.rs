//! `tamas report`: the contact-center figures for a period, from the call log.

use std::process::ExitCode;

use std::collections::HashMap;

use anyhow::anyhow;
use crm_core::metrics::periods::{Calendar, iso_date as iso, local_day, resolve_day};
use crm_core::metrics::report::{Period, load};
use crm_core::metrics::{Bucket, CaseSummary, Summary};
use serde_json::json;

use crate::cli::{CalendarArg, Report, ReportBucket};
use crate::settings::Settings;

/// Prints the figures; JSON with `--json`. They are computed by the same
/// `crm_core::metrics::report::load` as the reports page's.
pub async fn run(settings: &Settings, args: Report) -> anyhow::Result<ExitCode> {
    let metrics = settings.metrics.to_core();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let today = local_day(now_ms, metrics.utc_offset_minutes);
    let calendar = match args.calendar {
        Some(CalendarArg::Jalali) => Calendar::Jalali,
        Some(CalendarArg::Gregorian) => Calendar::Gregorian,
        None if persian_locale() => Calendar::Jalali,
        None => Calendar::Gregorian,
    };
    let from_day =
        resolve_day(&args.from, today, calendar, false).map_err(|e| anyhow!("--from: {e}"))?;
    let to_day = resolve_day(&args.to, today, calendar, true).map_err(|e| anyhow!("--to: {e}"))?;
    if to_day < from_day {
        return Err(anyhow!("--to is before --from"));
    }
    let mut period = Period::days(from_day, to_day, &metrics);
    period.scope.queue = args.queue.clone();
    period.scope.agent = args.agent.clone();
    period.by = args.by.map(|by| match by {
        ReportBucket::Hour => Bucket::Hour,
        ReportBucket::Day => Bucket::Day,
        ReportBucket::Month => Bucket::Month,
        ReportBucket::Queue => Bucket::Queue,
        ReportBucket::Agent => Bucket::Agent,
    });

    let store = super::open_store(settings).await?;
    let report = load(store.as_ref(), period, &HashMap::new(), now_ms, &metrics).await?;

    if args.json {
        let json = json!({
            "from": args.from,
            "to": args.to,
            "first_day": iso(from_day),
            "last_day": iso(to_day),
            "queue": args.queue,
            "agent": args.agent,
            "settings": {
                "service_level_threshold_s": settings.metrics.service_level_threshold_s,
                "service_level_target": metrics.service_level_target,
                "short_abandon_s": settings.metrics.short_abandon_s,
                "fcr_window_days": settings.metrics.fcr_window_days,
                "utc_offset_minutes": settings.metrics.utc_offset_minutes,
            },
            "total": report.total,
            "fcr": report.fcr,
            "cases": report.cases,
            "buckets": report.by,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{} to {}", iso(from_day), iso(to_day));
        print_summary("total", &report.total);
        let fcr = &report.fcr;
        match fcr.rate {
            Some(rate) => println!(
                "FCR {:.1}% of {} settled first contacts ({} pending; window {} days)",
                rate * 100.0,
                fcr.settled_first_contacts,
                fcr.pending,
                fcr.window_days
            ),
            None => println!("FCR: no settled first contact ({} pending)", fcr.pending),
        }
        print_cases(&report.cases);
        for (key, summary) in report.by.iter().flatten() {
            print_summary(key, summary);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the locale the command runs in is Persian (`fa_IR.UTF-8`, `fa`).
fn persian_locale() -> bool {
    ["LC_ALL", "LC_TIME", "LANG"]
        .iter()
        .filter_map(|key| std::env::var(key).ok())
        .find(|value| !value.is_empty())
        .is_some_and(|value| value.starts_with("fa"))
}

fn print_summary(label: &str, s: &Summary) {
    let percent = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let seconds =
        |v: Option<i64>| v.map_or("-".to_owned(), |v| format!("{:.1}s", v as f64 / 1000.0));
    println!(
        "{label}: offered {} answered {} abandoned {} (short {}), service level {} \
         ({} within {}s of {}), ASA {}, wait median {} p90 {} max {}, AHT {}",
        s.offered,
        s.answered,
        s.abandoned,
        s.short_abandoned,
        percent(s.service_level),
        s.answered_within_threshold,
        s.service_level_threshold_s,
        s.service_level_denominator,
        seconds(s.asa_ms),
        seconds(s.wait_median_ms),
        seconds(s.wait_p90_ms),
        seconds(s.wait_max_ms),
        seconds(s.aht_ms),
    );
}

fn print_cases(c: &CaseSummary) {
    let per_case = match (c.contacts_per_case, c.contacts_per_case_max) {
        (Some(mean), Some(max)) => format!("{mean:.2} contacts per case (max {max})"),
        _ => "no contacts per case".to_owned(),
    };
    println!(
        "service requests: opened {} ({} still open), closed {}, {per_case}",
        c.opened, c.still_open, c.closed
    );
    for (label, counts) in [
        ("opened per day", &c.opened_per_day),
        ("opened per month", &c.opened_per_month),
        ("closed per agent", &c.closed_per_agent),
    ] {
        if !counts.is_empty() {
            let list: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("  {label}: {}", list.join(", "));
        }
    }
}
