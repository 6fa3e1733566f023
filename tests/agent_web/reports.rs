//! The supervisors' reports page and its CSV export, against calls written into the
//! database: the right figures, charts as SVG, Jalali dates in Persian, hostile queue
//! names kept as text, and agents kept out.

use crm_core::{AgentAttemptInput, CallRecordInput};

use crate::app::{Browser, TestApp};
use crate::support::{Backend, on_both_backends};

/// 22 November 2026 (1 Azar 1405), 14:30 in Tehran.
const NOV_22_1430: i64 = 1_795_345_200_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// A queue name no page may run, nor a spreadsheet.
const HOSTILE_QUEUE: &str = "=sales\"><script>alert(1)</script>";

/// An inbound call in `queue` (an outbound call without one); answered when `agent` is
/// given, else abandoned.
async fn seed(
    app: &TestApp,
    linkedid: &str,
    queue: Option<&str>,
    agent: Option<&str>,
    wait_ms: i64,
    number: &str,
    started_at_ms: i64,
) {
    let answered = agent.is_some();
    app.store
        .record_call(&CallRecordInput {
            pbx: "asterisk".into(),
            linkedid: linkedid.into(),
            direction: if queue.is_some() {
                crm_core::Direction::Inbound
            } else {
                crm_core::Direction::Outbound
            },
            customer_number_raw: Some(number.into()),
            customer_number_e164: None,
            customer_name: Some("<b>caller</b>".into()),
            did: None,
            queue: queue.map(str::to_owned),
            agents_rung: agent
                .map(|a| AgentAttemptInput {
                    extension: Some(a.into()),
                    result: crm_core::LegResult::Answered,
                    ring_ms: Some(2000),
                    rang_at_ms: started_at_ms + 1000,
                })
                .into_iter()
                .collect(),
            answered_by_extension: agent.map(str::to_owned),
            agent_extension: agent.map(str::to_owned),
            started_at_ms,
            queued_at_ms: Some(started_at_ms),
            answered_at_ms: answered.then_some(started_at_ms + wait_ms),
            ended_at_ms: Some(started_at_ms + wait_ms + 60_000),
            wait_ms: Some(wait_ms),
            ring_ms: answered.then_some(2000),
            talk_ms: answered.then_some(60_000),
            hold_ms: answered.then_some(0),
            disposition: if answered {
                crm_core::Disposition::Answered
            } else {
                crm_core::Disposition::Abandoned
            },
            hangup_by: Some(crm_core::HangupBy::Customer),
            hangup_by_extension: None,
            hangup_cause: Some(16),
            transfers: serde_json::json!([]),
            agent_segments: Vec::new(),
            recording_file: None,
            click_id: None,
            end_known: true,
            failure_reason: None,
        })
        .await
        .unwrap();
}

/// 20–22 November 2026: 5 offered (3 answered, 2 abandoned of which 1 short), one
/// outbound call that is not offered; the answered ones wait 5 s, 15 s and 25 s.
async fn seed_three_days(app: &TestApp) {
    let support = Some("support");
    seed(
        app,
        "1.1",
        support,
        Some("1001"),
        5_000,
        "09121111111",
        NOV_22_1430,
    )
    .await;
    seed(
        app,
        "1.2",
        support,
        Some("1001"),
        15_000,
        "09122222222",
        NOV_22_1430 + HOUR,
    )
    .await;
    seed(
        app,
        "1.3",
        Some(HOSTILE_QUEUE),
        Some("1002"),
        25_000,
        "09123333333",
        NOV_22_1430 - DAY,
    )
    .await;
    seed(
        app,
        "1.4",
        support,
        None,
        2_000,
        "09124444444",
        NOV_22_1430 - 2 * DAY,
    )
    .await;
    seed(
        app,
        "1.5",
        support,
        None,
        40_000,
        "09125555555",
        NOV_22_1430,
    )
    .await;
    seed(
        app,
        "1.6",
        None,
        Some("1001"),
        0,
        "09126666666",
        NOV_22_1430,
    )
    .await;
}

/// The CSV of a table as rows of cells, header first.
async fn csv_rows(browser: &Browser, query: &str) -> Vec<Vec<String>> {
    let resp = browser.get(&format!("/reports.csv?{query}")).await;
    assert_eq!(resp.status(), 200, "{query}");
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"tamas-"),
        "{disposition}"
    );
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = resp.text().await.unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no {name}: {:?}", rows[0]))
}

async fn reports_show_the_period_s_figures_with_charts_and_export_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seed_three_days(&app).await;
    let boss = app.signed_in("boss").await;
    let console = boss.page("/console").await;
    assert!(
        console.contains(r#"href="/reports""#),
        "supervisors get the link"
    );

    let html = boss
        .page("/reports?from=2026-11-20&to=2026-11-22&queue=&agent=")
        .await;
    assert!(
        html.contains(r#"<dd class="value">5</dd>"#),
        "offered: {html}"
    );
    assert!(
        html.contains(r#"<dd class="value">3</dd>"#),
        "answered: {html}"
    );
    assert!(
        html.contains(r#"<dd class="value">2 ("#),
        "abandoned, short apart: {html}"
    );
    // Service level: 2 of 3 answered within 20 s, over 5 offered − 1 short abandon = 4.
    assert!(html.contains(r#"<dd class="value">50.0%</dd>"#), "{html}");
    assert_eq!(html.matches("<svg").count(), 3, "three charts");
    assert!(
        !html.contains("<script") && !html.contains("style="),
        "nothing the policy forbids"
    );
    assert!(html.contains(r#"class="target""#), "the target line");
    assert!(html.contains(r#"value="2026-11-20""#), "dates shown back");
    assert!(
        !html.contains("<script>alert(1)"),
        "the queue name stays text"
    );
    assert!(html.contains("=sales&#34;&#62;&#60;script&#62;"), "{html}");
    assert!(
        html.contains("/reports.csv?table=queues&#38;from=2026-11-20"),
        "{html}"
    );

    // One queue only.
    let support = boss
        .page("/reports?from=2026-11-20&to=2026-11-22&queue=support")
        .await;
    assert!(support.contains(r#"<dd class="value">4</dd>"#), "{support}");

    // The CSV tables agree with the page.
    let period = "from=2026-11-20&to=2026-11-22";
    let queues = csv_rows(&boss, &format!("table=queues&{period}")).await;
    let offered = column(&queues, "offered");
    let total: u64 = queues[1..]
        .iter()
        .map(|r| r[offered].parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 5);
    let hostile = queues.iter().find(|r| r[0].contains("sales")).unwrap();
    assert_eq!(
        hostile[0],
        format!("'{HOSTILE_QUEUE}"),
        "formula protection"
    );
    let support_row = queues.iter().find(|r| r[0] == "support").unwrap();
    let (answered, abandoned, short) = (
        column(&queues, "answered"),
        column(&queues, "abandoned"),
        column(&queues, "short_abandoned"),
    );
    assert_eq!(
        (
            &*support_row[offered],
            &*support_row[answered],
            &*support_row[abandoned],
            &*support_row[short]
        ),
        ("4", "2", "2", "1")
    );
    let hours = csv_rows(&boss, &format!("table=hours&{period}")).await;
    assert_eq!(hours.len(), 25, "a header and 24 hours");
    let hour_offered = column(&hours, "offered");
    // Rows are 1-based: 14:00–15:00 local has the four calls at 14:30 of the three days.
    assert_eq!(hours[15][hour_offered], "4");
    assert_eq!(hours[16][hour_offered], "1");
    let days = csv_rows(&boss, &format!("table=days&{period}")).await;
    assert_eq!(
        days[1..]
            .iter()
            .map(|r| (r[0].as_str(), r[column(&days, "offered")].as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("2026-11-20", "1"),
            ("2026-11-21", "1"),
            ("2026-11-22", "3")
        ]
    );
    let agents = csv_rows(&boss, &format!("table=agents&{period}")).await;
    let handled = column(&agents, "handled");
    let sara = agents.iter().find(|r| r[0] == "1001").unwrap();
    assert_eq!(
        (sara[1].as_str(), sara[handled].as_str()),
        ("sara (test)", "2")
    );
    let bad = boss.get("/reports.csv?table=everything").await;
    assert_eq!(bad.status(), 400);
}

async fn persian_reports_take_and_show_jalali_dates_and_bad_dates_are_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seed_three_days(&app).await;
    let boss = app.signed_in("boss").await;
    let csrf = boss.csrf().await;
    let resp = boss
        .post_form(
            "/locale",
            &[("csrf", &csrf), ("locale", "fa"), ("next", "/reports")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    // 29 Aban – 1 Azar 1405 = 20–22 November 2026.
    let html = boss.page("/reports?from=1405-08-29&to=۱۴۰۵-۰۹-۰۱").await;
    assert!(html.contains(r#"<html lang="fa" dir="rtl">"#));
    assert!(
        html.contains(r#"value="۱۴۰۵-۰۸-۲۹""#),
        "Jalali, Persian digits: {html}"
    );
    assert!(
        html.contains(r#"<dd class="value">۵</dd>"#),
        "offered: {html}"
    );
    assert!(
        html.contains(r#"<dd class="value">۵۰٫۰%</dd>"#)
            || html.contains(r#"<dd class="value">۵۰.۰%</dd>"#),
        "{html}"
    );
    assert!(html.contains("<svg") && html.contains(r#"direction="ltr""#));
    assert!(html.contains("سطح خدمت"), "Persian headings");

    let resp = boss
        .get("/reports?from=%3Cb%3Eyesterday&to=1405-09-01")
        .await;
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("&#60;b&#62;yesterday"),
        "the bad text, escaped: {html}"
    );
    assert!(html.contains("تاریخ نیست"), "{html}");
    assert!(!html.contains("<svg"));
    let resp = boss.get("/reports?from=2026-11-22&to=2026-11-20").await;
    assert_eq!(resp.status(), 400);
}

async fn requests_closed_count_for_the_agent_of_the_last_call(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Before the default period (the last 7 days), closed a day ago when its window passed.
    seed(
        &app,
        "2.1",
        Some("support"),
        Some("1001"),
        3_000,
        "09127777777",
        now - 9 * DAY,
    )
    .await;
    seed(
        &app,
        "2.2",
        Some("support"),
        Some("1002"),
        3_000,
        "09127777777",
        now - 8 * DAY,
    )
    .await;
    let boss = app.signed_in("boss").await;
    let agents = csv_rows(&boss, "table=agents").await;
    let closed = column(&agents, "requests_closed");
    let reza = agents.iter().find(|r| r[0] == "1002").unwrap();
    assert_eq!(reza[closed], "1", "{agents:?}");
    assert!(agents.iter().all(|r| r[0] != "1001"), "{agents:?}");
    let html = boss.page("/reports").await;
    assert!(html.contains("reza (test) (1002)"), "{html}");
}

async fn agents_may_not_see_reports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sara = app.signed_in("sara").await;
    assert_eq!(sara.get("/reports").await.status(), 403);
    assert_eq!(sara.get("/reports.csv?table=hours").await.status(), 403);
    assert!(!sara.page("/console").await.contains(r#"href="/reports""#));
    let anonymous = app.browser();
    assert_eq!(anonymous.get("/reports").await.status(), 303);
    assert_eq!(
        anonymous.get("/reports.csv?table=hours").await.status(),
        401
    );
}

async fn named_periods_are_one_click_choices_in_the_reader_s_calendar(backend: Backend) {
    use crm_core::metrics::periods::{Calendar, NamedPeriod, iso_date, local_day};
    let app = TestApp::spawn(backend).await;
    let boss = app.signed_in("boss").await;
    let html = boss.page("/reports?queue=support").await;
    for (name, label) in [
        ("today", "Today"),
        ("last-week", "Last week"),
        ("last-month", "Last month"),
    ] {
        let link = format!(
            r#"<a href="/reports?from={name}&#38;to={name}&#38;queue=support&#38;agent=">{label}</a>"#
        );
        assert!(html.contains(&link), "{link}: {html}");
    }
    // The default configuration is Tehran time (+03:30).
    let expected = |period: NamedPeriod, calendar| {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let (first, last) = period.days(local_day(now_ms, 210), calendar);
        (iso_date(first), iso_date(last))
    };
    let html = boss.page("/reports?from=last-month&to=last-month").await;
    let (first, last) = expected(NamedPeriod::LastMonth, Calendar::Gregorian);
    assert!(
        html.contains(&format!(r#"value="{first}""#)),
        "{first}: {html}"
    );
    assert!(
        html.contains(&format!(r#"value="{last}""#)),
        "{last}: {html}"
    );

    // A Persian reader's months are Jalali and weeks start on Saturday: the CSV of the
    // same named period says which days it covered.
    let csrf = boss.csrf().await;
    let resp = boss
        .post_form(
            "/locale",
            &[("csrf", &csrf), ("locale", "fa"), ("next", "/reports")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let html = boss.page("/reports").await;
    assert!(html.contains("ماه گذشته"), "{html}");
    for period in [NamedPeriod::LastMonth, NamedPeriod::ThisWeek] {
        let name = period.as_str();
        let resp = boss
            .get(&format!("/reports.csv?table=hours&from={name}&to={name}"))
            .await;
        assert_eq!(resp.status(), 200);
        let disposition = resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        let (first, last) = expected(period, Calendar::Jalali);
        assert!(
            disposition.contains(&format!("-{first}-{last}.csv")),
            "{name}: {disposition}"
        );
    }
}

on_both_backends!(
    reports_show_the_period_s_figures_with_charts_and_export_them,
    persian_reports_take_and_show_jalali_dates_and_bad_dates_are_explained,
    requests_closed_count_for_the_agent_of_the_last_call,
    agents_may_not_see_reports,
    named_periods_are_one_click_choices_in_the_reader_s_calendar,
);
