//! The metrics job: computes the per-call figures (service-level flag, first contact, FCR
//! status) and stores those that changed. At start it goes over the whole call log once
//! (calls imported with `tamas replay`, or written while Tamas was stopped, get theirs).
//! Then, on the minute, it works on what can have changed since the last run, customer by
//! customer ([`Triggers`]):
//!
//! - the customers of the calls written, and of the calls whose wrap-up or contact was set
//!   by hand (a repeat call changes the customer's earlier first contact; a wrap-up marked
//!   unresolved changes its own);
//! - the customers whose pending first contact's window has ended (it settles).
//!
//! Each such customer's calls of the last three windows are read and classified. The
//! work of a minute is in proportion to the calls of that minute, not to the size of the
//! call log; an idle centre's log is not read at all. When the job lagged behind the
//! announcements (or a run failed) it goes over the last two windows whole instead.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crm_core::metrics::per_call::same_figures;
use crm_core::metrics::{FcrStatus, MetricsSettings, call_metrics, classify_fcr};
use crm_core::{CallFilter, CallId, CallRow, Customer, Store, StoreError, StoreResult};

use crate::lifecycle::Stage;

/// How often the job runs.
const EVERY: Duration = Duration::from_secs(60);
/// Calls waiting for a run, at most; past this the next run goes over two windows whole.
const MAX_TOUCHED: usize = 100_000;

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Calls whose figures changed.
    pub changed: usize,
    /// The first contacts still pending: when each settles (its window ends), and whose
    /// it is.
    pub pending: Vec<(i64, Customer)>,
}

impl Settled {
    /// When the first of the pending first contacts settles, if any is pending.
    pub fn next_due_ms(&self) -> Option<i64> {
        self.pending.iter().map(|(due, _)| *due).min()
    }

    fn add(mut self, other: Settled) -> Settled {
        self.changed += other.changed;
        self.pending.extend(other.pending);
        self
    }
}

/// Computes and stores the figures of the calls started in the last two windows.
pub async fn settle(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
) -> StoreResult<Settled> {
    let (from_ms, to_ms) = last_two_windows(settings, now_ms);
    settle_slice(store, settings, from_ms, to_ms, now_ms, None).await
}

/// [`settle`] for one customer's calls only.
pub async fn settle_customer(
    store: &dyn Store,
    settings: &MetricsSettings,
    customer: &Customer,
    now_ms: i64,
) -> StoreResult<Settled> {
    let (from_ms, to_ms) = last_two_windows(settings, now_ms);
    settle_slice(store, settings, from_ms, to_ms, now_ms, Some(customer)).await
}

/// [`settle`] over the whole call log, a window at a time from the newest call back to
/// the oldest.
pub async fn settle_all(
    store: &dyn Store,
    settings: &MetricsSettings,
    now_ms: i64,
) -> StoreResult<Settled> {
    let window = settings.fcr_window_ms.max(1);
    let mut settled = Settled::default();
    let mut end = now_ms.saturating_add(1);
    loop {
        let start = end.saturating_sub(window);
        settled = settled.add(settle_slice(store, settings, start, end, now_ms, None).await?);
        let older = store
            .list_calls(&CallFilter {
                to_ms: Some(start),
                limit: 1,
                ..CallFilter::default()
            })
            .await?;
        if older.is_empty() || start == i64::MIN {
            return Ok(settled);
        }
        end = start;
    }
}

/// `[from, to)` of the last two windows before `now_ms`.
fn last_two_windows(settings: &MetricsSettings, now_ms: i64) -> (i64, i64) {
    let window = settings.fcr_window_ms.max(1);
    (
        now_ms.saturating_sub(window.saturating_mul(2)),
        now_ms.saturating_add(1),
    )
}

/// The figures of the calls started in `[from_ms, to_ms)` (of `customer` only, when
/// given), classified with one window of history on each side.
async fn settle_slice(
    store: &dyn Store,
    settings: &MetricsSettings,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
    customer: Option<&Customer>,
) -> StoreResult<Settled> {
    let window = settings.fcr_window_ms;
    let (contact, unlinked_number) = match customer {
        Some(Customer::Contact(contact)) => (Some(*contact), None),
        Some(Customer::Number(number)) => (None, Some(number.clone())),
        None => (None, None),
    };
    let history = store
        .list_calls(&CallFilter {
            contact,
            unlinked_number,
            from_ms: Some(from_ms.saturating_sub(window)),
            to_ms: Some(to_ms.saturating_add(window)),
            limit: u32::MAX,
            ..CallFilter::default()
        })
        .await?;
    let statuses = classify_fcr(&history, now_ms, settings);
    let mut settled = Settled::default();
    for call in history
        .iter()
        .filter(|c| (from_ms..to_ms).contains(&c.started_at_ms))
        .filter(|c| customer.is_none_or(|want| Customer::of_call(c).as_ref() == Some(want)))
    {
        let status = statuses.get(&call.id).copied();
        if status == Some(FcrStatus::Pending)
            && let Some(whose) = Customer::of_call(call)
        {
            settled
                .pending
                .push((call.started_at_ms.saturating_add(window), whose));
        }
        settled.changed += store_figures(store, settings, call, status, now_ms).await?;
    }
    Ok(settled)
}

/// Stores the figures of `call` (FCR status `status`) when they changed; 1 if they did.
async fn store_figures(
    store: &dyn Store,
    settings: &MetricsSettings,
    call: &CallRow,
    status: Option<FcrStatus>,
    now_ms: i64,
) -> StoreResult<usize> {
    let figures = call_metrics(call, status, settings, now_ms);
    if call.metrics.computed_at_ms.is_none() || !same_figures(&call.metrics, &figures) {
        store.set_call_metrics(call.id, &figures).await?;
        return Ok(1);
    }
    Ok(0)
}

/// What tells the job that a figure may have changed.
pub struct Triggers {
    /// Calls written to the call log (none without a PBX).
    pub written: Option<broadcast::Receiver<crate::bridge::call_log::WrittenCall>>,
    /// Calls whose wrap-up or contact was set by hand (web's `AppState::calls_edited`).
    pub edited: Option<broadcast::Receiver<CallId>>,
}

impl Triggers {
    /// The next call written or edited (`None`: some were missed); never once every
    /// source is gone.
    async fn next(&mut self) -> Option<CallId> {
        tokio::select! {
            id = next_id(&mut self.written, |(id, _)| id) => id,
            id = next_id(&mut self.edited, |id| id) => id,
        }
    }
}

/// The call the next message of `receiver` names (`None` when some were missed); never
/// once it closed.
async fn next_id<T: Clone>(
    receiver: &mut Option<broadcast::Receiver<T>>,
    id_of: impl Fn(T) -> CallId,
) -> Option<CallId> {
    let Some(open) = receiver else {
        return std::future::pending().await;
    };
    match open.recv().await {
        Ok(message) => Some(id_of(message)),
        Err(broadcast::error::RecvError::Lagged(_)) => None,
        Err(broadcast::error::RecvError::Closed) => {
            *receiver = None;
            std::future::pending().await
        }
    }
}

/// The job's state between runs.
struct Job {
    store: Arc<dyn Store>,
    settings: MetricsSettings,
    whole_log_done: bool,
    /// Announcements were missed, or a run failed: the next run goes over two windows.
    lagged: bool,
    /// Calls written or edited since the last run.
    touched: HashSet<CallId>,
    /// Customers with a pending first contact, by when it settles.
    due: BTreeMap<i64, HashSet<Customer>>,
}

impl Job {
    /// The call `id` was written or edited (`None`: some were missed).
    fn note(&mut self, id: Option<CallId>) {
        match id {
            Some(id) if self.touched.len() < MAX_TOUCHED => {
                self.touched.insert(id);
            }
            _ => {
                self.lagged = true;
                self.touched.clear();
            }
        }
    }

    /// Whether a run at `now_ms` has anything to do.
    fn has_work(&self, now_ms: i64) -> bool {
        !self.whole_log_done
            || self.lagged
            || !self.touched.is_empty()
            || self.due.keys().next().is_some_and(|due| *due <= now_ms)
    }

    /// One run; how many calls changed. A failed run is redone whole at the next.
    async fn run(&mut self, now_ms: i64) -> StoreResult<usize> {
        let store = Arc::clone(&self.store);
        let settings = self.settings;
        if !self.whole_log_done || self.lagged {
            self.touched.clear();
            let settled = if self.whole_log_done {
                settle(store.as_ref(), &settings, now_ms).await
            } else {
                settle_all(store.as_ref(), &settings, now_ms).await
            };
            let settled = settled?;
            self.whole_log_done = true;
            self.lagged = false;
            self.due.clear();
            self.add_due(settled.pending);
            return Ok(settled.changed);
        }
        let result = self.run_touched(store.as_ref(), &settings, now_ms).await;
        if result.is_err() {
            self.lagged = true;
        }
        result
    }

    /// The customers of the calls touched, and those whose first contact settles now.
    async fn run_touched(
        &mut self,
        store: &dyn Store,
        settings: &MetricsSettings,
        now_ms: i64,
    ) -> StoreResult<usize> {
        let mut changed = 0;
        let mut customers: HashSet<Customer> = HashSet::new();
        for id in std::mem::take(&mut self.touched) {
            let call = match store.get_call(id).await {
                Ok(call) => call,
                Err(StoreError::NotFound) => continue,
                Err(err) => return Err(err),
            };
            // A call linked to a contact by hand leaves its number's history too.
            if let Some(number) = number_customer(&call) {
                customers.insert(number);
            }
            match Customer::of_call(&call) {
                Some(customer) => {
                    customers.insert(customer);
                }
                // No customer (a withheld number): its own figures only.
                None => changed += store_figures(store, settings, &call, None, now_ms).await?,
            }
        }
        while let Some(entry) = self.due.first_entry()
            && *entry.key() <= now_ms
        {
            customers.extend(entry.remove());
        }
        for customer in customers {
            let settled = settle_customer(store, settings, &customer, now_ms).await?;
            changed += settled.changed;
            self.add_due(settled.pending);
        }
        Ok(changed)
    }

    fn add_due(&mut self, pending: Vec<(i64, Customer)>) {
        for (due, customer) in pending {
            self.due.entry(due).or_default().insert(customer);
        }
    }
}

/// The number `call` came from as a customer of its own, when the call is linked to a
/// contact (its calls before the link were followed by that number).
fn number_customer(call: &CallRow) -> Option<Customer> {
    call.contact?;
    call.customer_number_e164
        .clone()
        .or_else(|| call.customer_number_raw.clone())
        .filter(|n| !crm_core::is_withheld(n))
        .map(Customer::Number)
}

/// Runs [`settle_all`] once, then on the minute the customers `triggers` named or whose
/// first contact settles ([`Job`]), as a task of `stage`; a failed run is logged and
/// redone on the next minute. When the stage drains the task ends (a run in progress
/// finishes, unless the shutdown deadline passes: every run can be redone).
pub fn start(
    store: Arc<dyn Store>,
    settings: MetricsSettings,
    mut triggers: Triggers,
    stage: &Stage,
) {
    let stage = stage.clone();
    let mut job = Job {
        store,
        settings,
        whole_log_done: false,
        lagged: false,
        touched: HashSet::new(),
        due: BTreeMap::new(),
    };
    stage.clone().spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stage.draining() => return,
                _ = every.tick() => {}
                id = triggers.next() => {
                    job.note(id);
                    continue;
                }
            }
            let now_ms = web::clock::now_ms();
            if !job.has_work(now_ms) {
                continue;
            }
            let run = tokio::select! {
                () = stage.abandoning() => return,
                run = job.run(now_ms) => run,
            };
            match run {
                Ok(changed) if changed > 0 => {
                    tracing::debug!(changed, "per-call figures updated");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "cannot update the per-call figures yet"),
            }
        }
    });
}
