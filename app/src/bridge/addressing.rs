//! Messages addressed by extension, turned into the hub's audiences (users) and published
//! in order: a [`Job`] is ready when every recipient's user is cached, else a task resolves
//! them (and, for popups, looks the contacts up) while later jobs wait their turn.

use std::sync::Arc;

use crate::hub::messages::{AgentStateChange, Event};
use crate::hub::{Audience, Hub};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use super::agent_users::AgentUsers;

/// One message addressed by extension; resolved to users before publishing.
pub struct Addressed {
    /// The agents it is for.
    pub extensions: Vec<String>,
    /// Also the users watching every call…
    pub watchers: bool,
    /// …except these agents.
    pub except: Vec<String>,
    /// The message.
    pub event: Event,
}

/// A message ready for the hub.
pub type Publication = (Audience, Event);

/// Messages on their way to the hub, in event order.
pub enum Job {
    /// Ready now.
    Ready(Vec<Publication>),
    /// Being prepared (a contact lookup, users not cached yet).
    Pending(JoinHandle<Vec<Publication>>),
}

/// Publishes the jobs strictly in the order they were queued.
pub async fn publish_in_order(hub: Hub, mut jobs: mpsc::Receiver<Job>) {
    while let Some(job) = jobs.recv().await {
        let publications = match job {
            Job::Ready(publications) => publications,
            Job::Pending(task) => task.await.unwrap_or_else(|err| {
                tracing::error!(error = %err, "a popup task failed");
                Vec::new()
            }),
        };
        for (audience, event) in publications {
            hub.publish(&audience, &event);
        }
    }
}

/// A job publishing `messages`: ready when every recipient's user is cached.
pub fn job(users: &Arc<AgentUsers>, tasks: &TaskTracker, messages: Vec<Addressed>) -> Job {
    let cached = messages
        .iter()
        .all(|m| users.all_cached(&m.extensions) && users.all_cached(&m.except));
    if cached {
        let ready = messages
            .into_iter()
            .map(|m| {
                let users = |exts: &[String]| -> Vec<_> {
                    exts.iter()
                        .filter_map(|e| users.cached(e).flatten())
                        .collect()
                };
                let audience = Audience {
                    users: users(&m.extensions),
                    watchers: m.watchers,
                    except: users(&m.except),
                };
                (audience, m.event)
            })
            .collect();
        return Job::Ready(ready);
    }
    let users = Arc::clone(users);
    Job::Pending(tasks.spawn(async move {
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            let audience = Audience {
                users: users.users(&m.extensions).await,
                watchers: m.watchers,
                except: users.users(&m.except).await,
            };
            out.push((audience, m.event));
        }
        out
    }))
}

/// `agent.state` for the agent and the watchers.
pub fn state_message(change: AgentStateChange) -> Addressed {
    Addressed {
        extensions: vec![change.extension.clone()],
        watchers: true,
        except: Vec::new(),
        event: Event::AgentState(change),
    }
}
