//! The wallboard task: waits for a change (the queue board, a call written to the log, a
//! wrap-up started or ended, or a 5-second tick for the day's roll-over), gathers the
//! inputs and publishes the snapshot to the hub (the tick also keeps the clients' clock
//! reference, `now_ms`, fresh). While nobody watches it sleeps until someone does,
//! following only written calls (figures gone stale).
//!
//! Agents' wrap-ups are followed by a task of their own ([`follow_wrapups`]) that does
//! nothing else, so that a slow snapshot never makes it miss a call event.
//!
//! The period's figures come from the period's calls offered to a queue, kept here as the
//! little the figures read of each ([`Offered`], about 60 bytes): the call log is read
//! whole once (when someone first watches, and again only after this task lagged behind
//! the announcements); then each call written or edited is read alone. However long the day's log grows, a busy centre costs one row read per call.
//! The figures are recomputed at most once a second, and never more than a twentieth of
//! the time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crm_core::metrics::{MetricsSettings, Offered, Summary, Tallies};
use crm_core::{CallFacts, CallId, Role, Store, StoreError, StoreResult};
use cti::live::queues::{QueueBoard, QueueView};
use cti::tracker::{CallEvent, CallEventKind};
use tokio::sync::{Notify, broadcast};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::WrapUps;
use super::snapshot::{Inputs, NumberOwner, build};
use crate::hub::Hub;

/// Shortest time between two snapshots: changes within it are sent together (a busy
/// centre changes its board many times a second; each snapshot is the whole board).
const COALESCE: Duration = Duration::from_millis(200);
/// How often the snapshot is rebuilt anyway (wrap-ups expire, days roll over).
const TICK: Duration = Duration::from_secs(5);
/// The figures are recomputed at most this often (a busy centre writes many calls a
/// second).
const FIGURES_EVERY: Duration = Duration::from_secs(1);
/// ... and after a recomputation that took `t`, not before `t` times this has passed (the
/// figures take at most a twentieth of a core however long the day grows).
const FIGURES_SPACING: u32 = 20;
/// Calls written or edited waiting to be read one by one, at most; beyond, the period is
/// read whole.
const MAX_PENDING: usize = 10_000;
/// How often agents' names are read again.
const NAMES_EVERY: Duration = Duration::from_secs(60);
/// Numbers whose contact names are remembered.
const NAME_CACHE: usize = 10_000;
/// The longest a contact lookup may hold the wallboard.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(1);

/// What the wallboard reads and where it publishes.
#[derive(Clone)]
pub struct Sources {
    /// The call log, users and contacts.
    pub store: Arc<dyn Store>,
    /// Where the snapshot goes (and who watches).
    pub hub: Hub,
    /// Agents in wrap-up.
    pub wrapups: Arc<WrapUps>,
    /// Service-level threshold and target, local time.
    pub metrics: MetricsSettings,
    /// Calls whose wrap-up or contact was set by hand (their figures may change).
    pub calls_edited: broadcast::Sender<CallId>,
}

/// What the wallboard follows.
pub struct Feed {
    /// The live queue board.
    pub board: Arc<RwLock<QueueBoard>>,
    /// Notified when the board changed.
    pub board_changed: Arc<Notify>,
    /// The calls written to the call log (each is read into the period's figures).
    pub calls_written:
        broadcast::Receiver<(crm_core::CallId, std::sync::Arc<cti::tracker::CallRecord>)>,
    /// The figures' period: 0 = since local midnight, N = the last N hours.
    pub rolling_hours: u32,
    /// The task ends when this is cancelled (the service stopping).
    pub stop: CancellationToken,
}

/// The wallboard task: runs until `feed.stop` is cancelled (the caller spawns it on the
/// tracker that owns it).
pub async fn run(state: Sources, feed: Feed) {
    let Feed {
        board,
        board_changed,
        calls_written,
        rolling_hours,
        stop,
    } = feed;
    let mut calls_written = Some(calls_written);
    let mut calls_edited = Some(state.calls_edited.subscribe());
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut today = Today {
        rolling_hours,
        spacing: FIGURES_EVERY,
        ..Today::default()
    };
    let mut names = Names::default();
    let mut last_sent = Instant::now() - COALESCE;
    loop {
        // While nobody watches, only written calls and a new watcher wake the task: a
        // branch that is ready at once (figures due in the past, a missed tick) would
        // otherwise spin, since nothing is built.
        let watched = state.hub.board_watched();
        let figures_due = today.due();
        tokio::select! {
            () = stop.cancelled() => return,
            () = sleep_until_due(figures_due), if watched => {}
            () = board_changed.notified(), if watched => {}
            () = state.wrapups.changed(), if watched => {}
            () = state.hub.board_wanted() => {}
            // A call written or edited (or some missed: the period is read again).
            written = next(&mut calls_written, "written calls") => {
                today.changed(written.map(|(id, _)| id));
                take_queued(&mut calls_written, &mut today, |(id, _)| id);
            }
            edited = next(&mut calls_edited, "edited calls") => {
                today.changed(edited);
                take_queued(&mut calls_edited, &mut today, |id| id);
            }
            _ = tick.tick(), if watched => {}
        }
        if !state.hub.board_watched() {
            // Nobody looks: build nothing (a subscriber wakes this up).
            continue;
        }
        // Let a burst of changes land, then send them as one.
        tokio::time::sleep_until(last_sent + COALESCE).await;
        last_sent = Instant::now();
        let now_ms = crate::clock::now_ms();
        let (queues, pbx_synced) = match board.read() {
            Ok(board) => (board.snapshot(), board.is_synced()),
            Err(_) => continue,
        };
        today.refresh(&state, now_ms).await;
        names.refresh(&state, &queues).await;
        let wrapups = state.wrapups.active(now_ms);
        let snapshot = build(Inputs {
            queues: &queues,
            today: &today.figures,
            contact_names: &names.contacts,
            agent_names: &names.agents,
            wrapups: &wrapups,
            now_ms,
            pbx_synced,
            rolling_hours,
            metrics: &state.metrics,
        });
        match serde_json::to_string(&snapshot) {
            Ok(body) => {
                state.hub.publish_board(body);
            }
            Err(err) => tracing::error!(error = %err, "cannot serialise the wallboard"),
        }
    }
}

/// Resolves at `due`; never without one.
async fn sleep_until_due(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// The next message of `receiver` (`None` when some were missed); never once it closed.
async fn next<T: Clone>(receiver: &mut Option<broadcast::Receiver<T>>, what: &str) -> Option<T> {
    let Some(open) = receiver else {
        return std::future::pending().await;
    };
    match open.recv().await {
        Ok(message) => Some(message),
        Err(broadcast::error::RecvError::Lagged(missed)) => {
            tracing::warn!(missed, "the wallboard missed {what}");
            None
        }
        Err(broadcast::error::RecvError::Closed) => {
            *receiver = None;
            std::future::pending().await
        }
    }
}

/// Hands `today` whatever `receiver` holds already, without waiting.
fn take_queued<T: Clone>(
    receiver: &mut Option<broadcast::Receiver<T>>,
    today: &mut Today,
    id_of: impl Fn(T) -> CallId,
) {
    let Some(open) = receiver else {
        return;
    };
    loop {
        match open.try_recv() {
            Ok(message) => today.changed(Some(id_of(message))),
            Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                tracing::warn!(missed, "the wallboard missed calls written or edited");
                today.changed(None);
            }
            Err(_) => return,
        }
    }
}

/// Follows the PBX's call events for agents' wrap-ups until `stop` is cancelled (the
/// caller spawns it beside [`run`]).
pub async fn follow_wrapups(
    wrapups: Arc<WrapUps>,
    calls: broadcast::Receiver<CallEvent>,
    stop: CancellationToken,
) {
    let mut calls = Some(calls);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            event = next(&mut calls, "call events") => {
                if let Some(event) = event {
                    follow_wrapup(&wrapups, &event);
                }
            }
        }
    }
}

/// Wrap-up starts when an answered call ends (or the agent's part of a transferred one), and
/// stops when the agent rings, answers or joins a call.
fn follow_wrapup(wrapups: &WrapUps, event: &CallEvent) {
    match &event.kind {
        CallEventKind::AgentRinging { extension, .. }
        | CallEventKind::AgentJoined { extension, .. } => wrapups.done(extension),
        CallEventKind::AgentLeft { extension, .. } => wrapups.started(extension, event.at_ms),
        CallEventKind::Answered {
            extension: Some(extension),
            ..
        } => wrapups.done(extension),
        CallEventKind::Ended(record) if record.answered_at_ms.is_some() => {
            if let Some(extension) = &record.agent_extension {
                wrapups.started(extension, event.at_ms);
            }
        }
        _ => {}
    }
}

/// The period's figures per queue, from the period's calls.
#[derive(Default)]
struct Today {
    figures: BTreeMap<String, Summary>,
    /// The period's calls; `None` until read whole (again).
    calls: Option<PeriodCalls>,
    /// Calls written or edited since the last refresh, to read one by one.
    pending: HashSet<CallId>,
    /// Where the period started at the last refresh.
    from_ms: i64,
    stale: bool,
    rolling_hours: u32,
    read_at: Option<Instant>,
    /// How long to wait after `read_at` before recomputing.
    spacing: Duration,
}

/// The period's calls offered to a queue, as much of each as the figures read: a busy
/// day of them stays within a few megabytes.
#[derive(Default)]
struct PeriodCalls {
    calls: HashMap<CallId, QueueCall>,
    /// The queues' names, where [`QueueCall::queue`] points.
    queues: Vec<String>,
}

/// A call offered to a queue, for the figures.
struct QueueCall {
    started_at_ms: i64,
    /// Index in [`PeriodCalls::queues`].
    queue: usize,
    offered: Offered,
}

impl PeriodCalls {
    /// Keeps (or forgets) the figures' part of `call`, as it is now.
    fn put(&mut self, call: &CallFacts) {
        let (Some(name), Some(offered)) = (&call.queue, Offered::of(call)) else {
            self.calls.remove(&call.id);
            return;
        };
        let queue = match self.queues.iter().position(|q| q == name) {
            Some(at) => at,
            None => {
                self.queues.push(name.clone());
                self.queues.len() - 1
            }
        };
        let kept = QueueCall {
            started_at_ms: call.started_at_ms,
            queue,
            offered,
        };
        self.calls.insert(call.id, kept);
    }

    /// Keeps the calls started at `from_ms` or later.
    fn since(&mut self, from_ms: i64) {
        self.calls.retain(|_, c| c.started_at_ms >= from_ms);
        // A new day gives the room back; a rolling period, losing a minute's calls at a
        // time, keeps it.
        if self.calls.len() < self.calls.capacity() / 4 {
            self.calls.shrink_to_fit();
        }
    }

    /// The figures per queue, queues in order.
    fn figures(&self, settings: &MetricsSettings) -> BTreeMap<String, Summary> {
        let mut queues = Tallies::default();
        for call in self.calls.values() {
            queues.count(&self.queues[call.queue], call.offered, settings);
        }
        queues.summaries(settings)
    }
}

impl Today {
    /// Something changed: the call `id` was written or edited (`None`: some were missed,
    /// the period is read whole again).
    fn changed(&mut self, id: Option<CallId>) {
        match id {
            // While nobody watches, calls pile up here: past a point, a whole read is cheaper.
            Some(id) if self.pending.len() < MAX_PENDING => {
                self.pending.insert(id);
            }
            _ => {
                self.calls = None;
                self.pending.clear();
            }
        }
        self.stale = true;
    }

    /// When stale figures may be recomputed.
    fn due(&self) -> Option<Instant> {
        self.stale.then(|| {
            self.read_at
                .map_or_else(Instant::now, |at| at + self.spacing)
        })
    }

    async fn refresh(&mut self, state: &Sources, now_ms: i64) {
        let from_ms = period_start(now_ms, self.rolling_hours, &state.metrics);
        let recently = self.read_at.is_some_and(|at| at.elapsed() < self.spacing);
        if from_ms == self.from_ms && self.calls.is_some() && (!self.stale || recently) {
            return;
        }
        // Also after a failed read: the next try waits its turn.
        let started = Instant::now();
        self.read_at = Some(started);
        if from_ms != self.from_ms {
            match &mut self.calls {
                // The period moved on (a new day, or the next rolling minute).
                Some(calls) if from_ms > self.from_ms => calls.since(from_ms),
                _ => self.calls = None,
            }
            self.from_ms = from_ms;
        }
        let read = match self.calls.take() {
            None => self.read_whole(state).await,
            Some(calls) => self.read_pending(state, calls).await,
        };
        match read {
            Ok(calls) => {
                self.figures = calls.figures(&state.metrics);
                self.calls = Some(calls);
                self.stale = false;
            }
            // Kept stale: the next change or tick tries again.
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the period's calls for the wallboard")
            }
        }
        self.spacing = FIGURES_EVERY.max(started.elapsed() * FIGURES_SPACING);
    }

    /// The period's calls, read whole.
    async fn read_whole(&mut self, state: &Sources) -> StoreResult<PeriodCalls> {
        // Everything pending is in this read.
        self.pending.clear();
        let mut calls = PeriodCalls::default();
        state
            .store
            .fold_call_facts(self.from_ms, i64::MAX, &mut |call| calls.put(&call))
            .await?;
        Ok(calls)
    }

    /// `calls` with the calls written or edited since read in.
    async fn read_pending(
        &mut self,
        state: &Sources,
        mut calls: PeriodCalls,
    ) -> StoreResult<PeriodCalls> {
        let pending: Vec<CallId> = self.pending.drain().collect();
        for (i, id) in pending.iter().enumerate() {
            match state.store.get_call(*id).await {
                Ok(row) if row.started_at_ms >= self.from_ms => calls.put(&row.facts()),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(err) => {
                    // Read again next time, with what was not read yet.
                    self.pending.extend(&pending[i..]);
                    self.calls = Some(calls);
                    return Err(err);
                }
            }
        }
        Ok(calls)
    }
}

/// Where the figures' period starts at `now_ms`: local midnight (`rolling_hours` 0), or
/// `rolling_hours` before now, moving on a minute at a time.
fn period_start(now_ms: i64, rolling_hours: u32, metrics: &MetricsSettings) -> i64 {
    if rolling_hours > 0 {
        (now_ms - i64::from(rolling_hours) * 3_600_000).div_euclid(60_000) * 60_000
    } else {
        metrics.local_midnight(now_ms)
    }
}

/// Contact names of waiting callers and agents' names.
#[derive(Default)]
struct Names {
    contacts: HashMap<String, NumberOwner>,
    looked_up: HashMap<String, bool>,
    agents: HashMap<String, String>,
    agents_read: Option<Instant>,
}

impl Names {
    async fn refresh(&mut self, state: &Sources, queues: &[QueueView]) {
        if self
            .agents_read
            .is_none_or(|at| at.elapsed() >= NAMES_EVERY)
        {
            match state.store.list_users().await {
                Ok(users) => {
                    self.agents = users
                        .into_iter()
                        .filter(|u| u.active && u.role >= Role::Agent)
                        .filter_map(|u| Some((u.extension?.as_str().to_owned(), u.display_name)))
                        .collect();
                    self.agents_read = Some(Instant::now());
                }
                Err(err) => tracing::warn!(error = %err, "cannot read the agents' names"),
            }
        }
        if self.looked_up.len() > NAME_CACHE {
            self.looked_up.clear();
            self.contacts.clear();
        }
        let numbers: Vec<String> = queues
            .iter()
            .flat_map(|q| &q.waiting)
            .filter_map(|c| c.number.clone())
            .filter(|n| !crm_core::is_withheld(n) && !self.looked_up.contains_key(n))
            .collect();
        for number in numbers {
            let lookup = state.store.lookup_number(&number, None);
            match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
                Ok(Ok(cards)) => {
                    // A shared number names none of its contacts: nobody picked yet.
                    let owner = match cards.as_slice() {
                        [] => None,
                        [only] => Some(NumberOwner::One(only.contact.name.clone())),
                        several => Some(NumberOwner::Shared(several.len())),
                    };
                    if let Some(owner) = owner {
                        self.contacts.insert(number.clone(), owner);
                    }
                    self.looked_up.insert(number, true);
                }
                // Not remembered: tried again on the next snapshot.
                Ok(Err(err)) => tracing::warn!(error = %err, "wallboard contact lookup failed"),
                Err(_) => tracing::warn!("wallboard contact lookup took too long"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::period_start;
    use crm_core::metrics::MetricsSettings;

    #[test]
    fn the_period_is_the_local_day_or_rolling_hours() {
        // 2026-12-04 00:10 in Tehran (+03:30) is 2026-12-03 20:40 UTC.
        let now = 1_796_330_400_000;
        let tehran_midnight = now - 10 * 60_000;
        let iran = MetricsSettings {
            utc_offset_minutes: 210,
            ..MetricsSettings::default()
        };
        assert_eq!(period_start(now, 0, &iran), tehran_midnight);
        // A 24-hour centre's board keeps the last day, through midnight.
        assert_eq!(period_start(now, 24, &iran), now - 24 * 3_600_000);
        assert_eq!(period_start(now + 59_999, 24, &iran), now - 24 * 3_600_000);
    }
}
