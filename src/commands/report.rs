//! `tamas report`: the contact-center figures for a period, from the call log.

use std::process::ExitCode;

use anyhow::anyhow;
use crm_core::CallFilter;
use crm_core::metrics::periods::{Calendar, iso_date as iso, local_day, resolve_day};
use crm_core::metrics::{
    Bucket, CaseSummary, Scope, Summary, build_cases, classify_fcr, group, summarize,
    summarize_cases, summarize_fcr,
};
use serde_json::json;

use crate::cli::{CalendarArg, Report, ReportBucket};
use crate::settings::Settings;

/// The most calls one report reads.
const MAX_CALLS: u32 = 1_000_000;

/// Prints the figures; JSON with `--json`.
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
    let scope = Scope {
        queue: args.queue.clone(),
        agent: args.agent.clone(),
        ..Scope::days(from_day, to_day, &metrics)
    };
    let (from_ms, to_ms) = (scope.from_ms, scope.to_ms);

    let store = super::open_store(settings).await?;
    // FCR needs a window of history on both sides of the period.
    let history = store
        .list_calls(&CallFilter {
            from_ms: Some(from_ms.saturating_sub(metrics.fcr_window_ms)),
            to_ms: Some(to_ms.saturating_add(metrics.fcr_window_ms)),
            limit: MAX_CALLS,
            ..CallFilter::default()
        })
        .await?;
    if history.len() >= MAX_CALLS as usize {
        return Err(anyhow!(
            "more than {MAX_CALLS} calls: report a shorter period"
        ));
    }
    let period = scope.select(&history);
    let facts = |calls: &[crm_core::CallRow]| {
        calls
            .iter()
            .map(crm_core::CallRow::facts)
            .collect::<Vec<_>>()
    };
    let statuses = classify_fcr(&facts(&history), now_ms, &metrics);
    let total = summarize(&facts(&period), &metrics);
    let fcr = summarize_fcr(&statuses, period.iter().map(|c| c.id), &metrics);
    let cases = summarize_cases(
        &build_cases(&history, &statuses, now_ms, &metrics),
        &scope,
        &metrics,
    );
    let buckets = args.by.map(|by| {
        let bucket = match by {
            ReportBucket::Hour => Bucket::Hour,
            ReportBucket::Day => Bucket::Day,
            ReportBucket::Month => Bucket::Month,
            ReportBucket::Queue => Bucket::Queue,
            ReportBucket::Agent => Bucket::Agent,
        };
        group(&period, bucket, &metrics)
    });

    if args.json {
        let report = json!({
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
            "total": total,
            "fcr": fcr,
            "cases": cases,
            "buckets": buckets,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{} to {}", iso(from_day), iso(to_day));
        print_summary("total", &total);
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
        print_cases(&cases);
        for (key, summary) in buckets.iter().flatten() {
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
