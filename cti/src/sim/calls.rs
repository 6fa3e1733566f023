//! Placing calls: free agents and a customer are chosen (an agent on a call is never rung),
//! a scenario's template gets this call's Uniqueids, channel names and bridge ids, and a task
//! sends the call's events at their offsets. Also the random arrivals of generated calls and
//! the calls an `Originate` asks for.

use std::sync::Arc;
use std::time::Duration;

use rand::RngExt;
use rand::seq::IndexedRandom;
use tokio::sync::oneshot;
use tokio::time::sleep_until;

use super::SimError;
use super::callers::{caller_name, dialled, present};
use super::engine::{Engine, Inner};
use super::mix;
use super::render::{Binding, Schedule, Stretch, render};
use super::scenarios::{Entry, Scenario};
use super::settings::{LAB_AGENTS, SimAgent};
use super::template::Template;

mod originate;

pub(crate) use originate::OriginateRequest;

/// How many random agents are tried before looking through all of them.
const PROBES: usize = 32;

/// How many scenarios an arriving call tries before it is dropped for lack of free agents.
const ARRIVAL_TRIES: usize = 4;

/// A call to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSpec {
    /// What happens.
    pub scenario: Scenario,
    /// The customer's number, as the carrier presents it (inbound) or the agent dials it
    /// (outbound); a random customer when `None`.
    pub customer_number: Option<String>,
    /// The customer's caller-ID name (inbound); the customer's own when `None`.
    pub customer_name: Option<String>,
    /// The agent who answers (or dials); a random free agent when `None`.
    pub agent: Option<String>,
    /// How much longer than captured the talk lasts (whole seconds); when `None`, as
    /// [`SimSettings::talk`](super::SimSettings::talk) or
    /// [`SimSettings::max_extra_talk`](super::SimSettings::max_extra_talk) say.
    pub extra_talk: Option<Duration>,
    /// How much longer than captured a queue caller waits before the first member is rung
    /// (whole seconds); when `None`, as [`SimSettings::wait`](super::SimSettings::wait) says.
    pub extra_wait: Option<Duration>,
}

impl CallSpec {
    /// A call of this scenario with a random customer and random free agents.
    pub fn new(scenario: Scenario) -> Self {
        CallSpec {
            scenario,
            customer_number: None,
            customer_name: None,
            agent: None,
            extra_talk: None,
            extra_wait: None,
        }
    }

    /// This customer.
    pub fn customer(mut self, number: impl Into<String>, name: impl Into<String>) -> Self {
        self.customer_number = Some(number.into());
        self.customer_name = Some(name.into());
        self
    }

    /// This agent answers (or dials).
    pub fn agent(mut self, extension: impl Into<String>) -> Self {
        self.agent = Some(extension.into());
        self
    }

    /// The talk lasts this much longer than captured (`Duration::ZERO`: exactly as
    /// captured).
    pub fn extra_talk(mut self, extra: Duration) -> Self {
        self.extra_talk = Some(extra);
        self
    }

    /// The caller waits this much longer in the queue than captured before the first member
    /// is rung (`Duration::ZERO`: exactly as captured).
    pub fn extra_wait(mut self, extra: Duration) -> Self {
        self.extra_wait = Some(extra);
        self
    }
}

/// A call under way.
#[derive(Debug)]
pub struct SimCall {
    /// Its Linkedid (the Uniqueid of its first channel).
    pub linkedid: String,
    /// What happens in it.
    pub scenario: Scenario,
    /// The agents taking part (the one answering or dialling first, if any).
    pub agents: Vec<String>,
    /// The customer's number as sent (empty for internal calls).
    pub customer_number: String,
    done: oneshot::Receiver<()>,
}

impl SimCall {
    /// Waits until the call's last event has been sent.
    pub async fn finished(self) {
        let _ = self.done.await;
    }
}

/// Values of a call that do not come from [`CallSpec`].
#[derive(Clone, Debug, Default)]
struct Extras {
    click_id: String,
    origin_name: String,
    action_id: Option<String>,
}

impl Engine {
    /// Starts a call now.
    pub(crate) fn place(self: &Arc<Self>, spec: CallSpec) -> Result<SimCall, SimError> {
        self.place_with(spec, Extras::default())
    }

    /// Starts a call now with `extras` (an `Originate`'s values, or none).
    fn place_with(self: &Arc<Self>, spec: CallSpec, extras: Extras) -> Result<SimCall, SimError> {
        let entry = Arc::clone(
            self.catalog
                .get(spec.scenario)
                .ok_or(SimError::UnknownScenario(spec.scenario))?,
        );
        let (binding, agents, stretch) = self.bind(&entry, &spec, extras)?;
        let (done_tx, done) = oneshot::channel();
        let call = SimCall {
            linkedid: binding.linkedid().to_owned(),
            scenario: spec.scenario,
            agents: agents.clone(),
            customer_number: binding.customer_number.clone(),
            done,
        };
        tracing::debug!(linkedid = %call.linkedid, scenario = ?spec.scenario, ?agents, "simulated call");
        self.play(entry, binding, agents, stretch, done_tx);
        Ok(call)
    }

    /// Chooses the call's agents (busy from now on) and customer, names its channels,
    /// Uniqueids and bridges, and draws how much longer than captured it lasts. Returns the
    /// binding, the agents (the one answering or dialling first) and the stretch.
    fn bind(
        &self,
        entry: &Entry,
        spec: &CallSpec,
        extras: Extras,
    ) -> Result<(Binding, Vec<String>, Stretch), SimError> {
        let (meta, template) = (&entry.spec, &entry.template);
        let mut inner = self.lock();
        let chosen = choose_agents(
            &mut inner,
            &self.settings.agents,
            &template.agents,
            meta.primary,
            spec.agent.as_deref(),
            meta.queue.is_some(),
        )
        .map_err(|e| e.for_scenario(spec.scenario))?;
        let mut b = Binding {
            agents: LAB_AGENTS.map(|(e, n)| (e.to_owned(), n.to_owned())),
            linear_queue: queue_pair(&self.settings.queues.linear),
            ringall_queue: queue_pair(&self.settings.queues.ringall),
            click_id: extras.click_id,
            origin_name: extras.origin_name,
            action_id: extras.action_id,
            ..Binding::default()
        };
        for (lab, agent) in &chosen {
            b.agents[*lab] = (agent.extension.clone(), agent.name.clone());
            inner.busy.insert(agent.extension.clone());
        }
        self.name_parts(&mut inner, template, &mut b);
        self.choose_customer(&mut inner, spec, &mut b);
        let stretch = mix::stretch(&self.settings, entry, spec, &mut inner.rng);
        let mut chosen = chosen;
        chosen.sort_by_key(|(lab, _)| Some(*lab) != meta.primary);
        let agents: Vec<String> = chosen.into_iter().map(|(_, a)| a.extension).collect();
        Ok((b, agents, stretch))
    }

    /// New Uniqueids, channel names (on the bound agents' devices) and bridge ids for the
    /// template's.
    fn name_parts(&self, inner: &mut Inner, template: &Template, b: &mut Binding) {
        let boot = self.clock.boot_seconds();
        for _ in 0..template.uniqueids {
            b.uniqueids.push(format!("{boot}.{}", inner.next_uniqueid));
            inner.next_uniqueid += 1;
        }
        for c in &template.channels {
            let device = c.agent.map_or(&*c.device, |a| b.agents[a].0.as_str());
            b.channels.push(format!(
                "{}{device}{}-{:08x}",
                c.tech, c.tail, inner.next_channel
            ));
            inner.next_channel += 1;
        }
        for _ in 0..template.bridges {
            b.bridges.push(self.bridge_id(&mut inner.rng));
        }
    }

    /// Spawns the task that sends the call's events at their times; then the call's agents
    /// are free again and `done` is told.
    fn play(
        self: &Arc<Self>,
        entry: Arc<Entry>,
        binding: Binding,
        agents: Vec<String>,
        stretch: Stretch,
        done: oneshot::Sender<()>,
    ) {
        let engine = Arc::clone(self);
        let template = Arc::clone(&entry.template);
        // The first event a millisecond from now (not before the PBX has booted), the others
        // at their captured offsets.
        let start = (self.clock.now() + 1_000).max(self.clock.booted_at());
        let schedule = Schedule { start, stretch };
        tokio::spawn(async move {
            for (i, event) in template.events.iter().enumerate() {
                let stretch = stretch.at(i);
                let at = schedule.at(&template, i);
                tokio::select! {
                    () = sleep_until(engine.clock.instant_of(at)) => {}
                    () = engine.shutdown.cancelled() => break,
                }
                engine.emit(render(event, &binding, start, stretch), at);
                engine.record_truth(&entry, &binding, i, &schedule);
            }
            let mut inner = engine.lock();
            for agent in &agents {
                inner.busy.remove(agent);
            }
            drop(inner);
            let _ = done.send(());
        });
    }

    fn choose_customer(&self, inner: &mut Inner, spec: &CallSpec, b: &mut Binding) {
        let Inner { rng, customers, .. } = inner;
        let customer = customers.pick(rng).clone();
        b.customer_number = match (&spec.customer_number, spec.scenario) {
            (Some(number), _) => number.clone(),
            (None, Scenario::Outbound) => dialled(&customer),
            (None, _) => present(&customer, rng),
        };
        b.customer_name = spec
            .customer_name
            .clone()
            .unwrap_or_else(|| caller_name(&customer, &b.customer_number));
    }

    /// Generates calls with exponential gaps (Poisson arrivals) until shutdown.
    pub(crate) async fn generate(self: Arc<Self>) {
        let per_minute = self.settings.calls_per_minute;
        if per_minute.is_nan() || per_minute <= 0.0 {
            return;
        }
        let mean = 60.0 / per_minute;
        loop {
            let gap = {
                let u: f64 = self.lock().rng.random();
                -(1.0 - u).ln() * mean
            };
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs_f64(gap.min(86_400.0))) => {}
                () = self.shutdown.cancelled() => return,
            }
            // A scenario needing more free agents than there are gives way to another one.
            for _ in 0..ARRIVAL_TRIES {
                let scenario = self
                    .catalog
                    .pick(&self.settings.scenarios, &mut self.lock().rng);
                let Some(scenario) = scenario else { break };
                match self.place(CallSpec::new(scenario)) {
                    Err(SimError::NoFreeAgent(_)) => continue,
                    Err(e) => tracing::debug!(error = %e, "no call generated this time"),
                    Ok(_) => {}
                }
                break;
            }
        }
    }
}

fn queue_pair(q: &super::settings::SimQueue) -> (String, String) {
    (q.name.clone(), q.did.clone())
}

/// Configured agents standing in for the template's lab agents: the requested one as the
/// primary, the others at random among the free ones (not paused, for queue calls).
fn choose_agents(
    inner: &mut Inner,
    agents: &[SimAgent],
    lab_agents: &[usize],
    primary: Option<usize>,
    requested: Option<&str>,
    queue_call: bool,
) -> Result<Vec<(usize, SimAgent)>, SimError> {
    let mut chosen: Vec<(usize, SimAgent)> = Vec::new();
    if let (Some(primary), Some(ext)) = (primary.filter(|p| lab_agents.contains(p)), requested) {
        let agent = agents
            .iter()
            .find(|a| a.extension == ext)
            .ok_or_else(|| SimError::UnknownAgent(ext.to_owned()))?;
        if inner.busy.contains(ext) {
            return Err(SimError::AgentBusy(ext.to_owned()));
        }
        chosen.push((primary, agent.clone()));
    }
    for &lab in lab_agents {
        if chosen.iter().any(|(l, _)| *l == lab) {
            continue;
        }
        let Inner {
            busy, state, rng, ..
        } = &mut *inner;
        let usable = |a: &SimAgent| {
            !busy.contains(&a.extension)
                && chosen.iter().all(|(_, c)| c.extension != a.extension)
                && state.is_reachable(&a.extension)
                && !(queue_call && state.is_paused(&a.extension))
        };
        // Random probes first (cheap with many agents), then every free agent.
        let probed = (0..PROBES)
            .filter_map(|_| agents.get(rng.random_range(0..agents.len().max(1))))
            .find(|a| usable(a));
        let agent = match probed {
            Some(agent) => agent,
            None => {
                let free: Vec<&SimAgent> = agents.iter().filter(|a| usable(a)).collect();
                *free.choose(rng).ok_or(SimError::NoFreeAgent(None))?
            }
        };
        chosen.push((lab, agent.clone()));
    }
    Ok(chosen)
}
