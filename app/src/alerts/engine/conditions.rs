//! The condition rules of the [`AlertEngine`]: leads not contacted or with too few
//! attempts, and queues under their service-level target. Each check raises what holds
//! now and resolves what no longer does.

use crm_core::metrics::Tallies;
use crm_core::{AlertKind, NewAlert, StoreResult};
use serde_json::json;

use super::AlertEngine;
use crate::alerts::leads::{Contacted, contacted, too_few_attempts};
use crate::alerts::service_level::{Verdict, verdicts};

/// Leads looked at by the lead rules: those created within this many attempt windows (or
/// first-contact times, whichever is longer)…
const LEAD_HORIZON_WINDOWS: i64 = 2;
/// …plus a day.
const LEAD_HORIZON_MARGIN_MS: i64 = 86_400_000;
/// At most this many leads per check.
const MAX_LEADS: u32 = 10_000;

impl AlertEngine {
    /// The lead rules over the recent leads.
    pub(super) async fn check_leads(&self, now: i64) -> StoreResult<()> {
        let window = self
            .rules
            .lead_attempt_window_ms
            .max(self.rules.lead_first_contact_ms);
        let since = now - LEAD_HORIZON_WINDOWS * window - LEAD_HORIZON_MARGIN_MS;
        let leads = self.store.leads_since(since, MAX_LEADS).await?;
        let live = self.live_alerts(AlertKind::LeadNotContacted).await?;
        for lead in &leads {
            let key = format!("lead_not_contacted:{}", lead.contact);
            match contacted(lead, now, &self.rules) {
                Contacted::Pending => {}
                Contacted::Overdue => {
                    self.raise(NewAlert {
                        kind: AlertKind::LeadNotContacted,
                        dedupe_key: key,
                        queue: None,
                        contact: Some(lead.contact),
                        call: None,
                        task: None,
                        detail: json!({ "hours": self.rules.lead_first_contact_ms / 3_600_000 }),
                        once: true,
                    })
                    .await?;
                }
                Contacted::Yes => {
                    if let Some(alert) = live.get(&key) {
                        let alert = self.store.resolve_alert(alert.id, None).await?;
                        self.publish(&alert).await;
                    }
                }
            }
            if let Some(attempts) = too_few_attempts(lead, now, &self.rules) {
                self.raise(NewAlert {
                    kind: AlertKind::LeadFewAttempts,
                    dedupe_key: format!("lead_few_attempts:{}", lead.contact),
                    queue: None,
                    contact: Some(lead.contact),
                    call: None,
                    task: None,
                    detail: json!({
                        "attempts": attempts,
                        "min_attempts": self.rules.lead_min_attempts,
                        "days": self.rules.lead_attempt_window_ms / 86_400_000,
                    }),
                    once: true,
                })
                .await?;
            }
        }
        Ok(())
    }

    /// The service-level rule over today's calls.
    pub(super) async fn check_service_level(&self, now: i64) -> StoreResult<()> {
        let (midnight, day) = (
            self.metrics.local_midnight(now),
            self.metrics.local_day(now),
        );
        let seen = self.calls_seen.load(std::sync::atomic::Ordering::Relaxed);
        let checked = || {
            self.service_level_checked
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if self.follows_calls && *checked() == Some((day, seen)) {
            return Ok(());
        }
        let mut today = Tallies::default();
        let settings = self.metrics;
        self.store
            .fold_call_facts(midnight, i64::MAX, &mut |call| {
                if let Some(queue) = &call.queue {
                    today.add(queue, &call, &settings);
                }
            })
            .await?;
        let live = self.live_alerts(AlertKind::ServiceLevel).await?;
        let verdicts = verdicts(today.summaries(&self.metrics), &self.rules);
        for (queue, verdict) in &verdicts {
            let key = format!("service_level:{queue}:{day}");
            match verdict {
                Verdict::TooFewCalls => {}
                Verdict::Under(summary) => {
                    let detail = json!({
                        "service_level": summary.service_level,
                        "target": self.rules.service_level_target,
                        "threshold_s": summary.service_level_threshold_s,
                        "answered_within": summary.answered_within_threshold,
                        "denominator": summary.service_level_denominator,
                        "offered": summary.offered,
                    });
                    match live.get(&key) {
                        Some(alert) if alert.detail != detail => {
                            let alert = self.store.update_alert_detail(alert.id, &detail).await?;
                            self.publish(&alert).await;
                        }
                        Some(_) => {}
                        None => {
                            self.raise(NewAlert {
                                kind: AlertKind::ServiceLevel,
                                dedupe_key: key,
                                queue: Some(queue.clone()),
                                contact: None,
                                call: None,
                                task: None,
                                detail,
                                once: false,
                            })
                            .await?;
                        }
                    }
                }
                Verdict::OnTarget(_) => {
                    if let Some(alert) = live.get(&key) {
                        let alert = self.store.resolve_alert(alert.id, None).await?;
                        self.publish(&alert).await;
                    }
                }
            }
        }
        // Yesterday's alerts end with the day.
        let today_suffix = format!(":{day}");
        for (key, alert) in &live {
            if !key.ends_with(&today_suffix) {
                let alert = self.store.resolve_alert(alert.id, None).await?;
                self.publish(&alert).await;
            }
        }
        *checked() = Some((day, seen));
        Ok(())
    }
}
