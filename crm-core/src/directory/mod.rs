//! The directory: phone number → contact cards, the hot path of every ringing call.
//!
//! [`Directory`] is a [`Store`] in front of another: every method goes to the store behind
//! it, and [`lookup_number`](crate::ContactStore::lookup_number) is answered from memory
//! when it can. The cards are cached per lookup key; each write through the directory that
//! can change a card — a contact or number added, changed or removed, a call recorded, a
//! wrap-up saved, a task opened or closed — forgets the cards it touches before it returns,
//! so a lookup after a write always sees it. [`connect`](crate::connect) returns a
//! `Directory`, so every write in Tamas goes through one.
//!
//! Writes that do not go through this directory (another `tamas` process on the same
//! database, another node on the same PostgreSQL) are seen once the cached cards expire,
//! [`CARD_TTL`] after they were read.

mod cache;
mod forward;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::domain::call::CallRow;
use crate::domain::contact::Contact;
use crate::domain::ids::{ContactId, UserId};
use crate::domain::work::Task;
use crate::store::Store;
use cache::DirectoryCache;

/// How many recent calls a card shows.
pub const CARD_CALLS: u32 = 5;

/// How long cached cards are trusted without a write through this directory.
pub const CARD_TTL: Duration = Duration::from_secs(30);

/// One matching contact with what a popup shows about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContactCard {
    /// The contact and its numbers.
    pub contact: Contact,
    /// Its last [`CARD_CALLS`] calls, newest first.
    pub last_calls: Vec<CallRow>,
    /// Its open tasks, by due time.
    pub open_tasks: Vec<Task>,
}

/// A [`Store`] whose number lookups are served from an in-memory cache that its own
/// writes keep correct.
pub struct Directory {
    inner: Arc<dyn Store>,
    cache: DirectoryCache,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("backend", &self.inner.backend())
            .field("cached_keys", &self.cache.len())
            .finish()
    }
}

impl Directory {
    /// A directory in front of `store`, with an empty cache.
    pub fn new(store: Arc<dyn Store>) -> Directory {
        Directory {
            inner: store,
            cache: DirectoryCache::new(CARD_TTL),
        }
    }

    /// The cards for `number`, from the cache or the store, ranked for `for_user`.
    async fn lookup(
        &self,
        number: &str,
        for_user: Option<UserId>,
    ) -> crate::StoreResult<Vec<ContactCard>> {
        let key = self.inner.normalizer().normalize(number).lookup_key;
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let cards = match self.cache.get(&key) {
            Some(cards) => cards,
            None => {
                let generation = self.cache.generation();
                let cards = self.inner.lookup_number(number, None).await?;
                self.cache.insert(&key, cards, generation)
            }
        };
        Ok(rank_for(&cards, for_user))
    }

    /// Forgets the cards of these lookup keys and of this contact.
    fn forget(&self, contact: Option<ContactId>, keys: &[&str]) {
        self.cache.invalidate_keys(keys.iter().copied());
        if let Some(contact) = contact {
            self.cache.invalidate_contact(contact);
        }
    }
}

/// The cards ranked for `user`: the contacts they own first, then by most recent
/// interaction (the order the store returns without a user).
fn rank_for(cards: &[ContactCard], user: Option<UserId>) -> Vec<ContactCard> {
    let mut ranked = cards.to_vec();
    if let Some(user) = user {
        ranked.sort_by_key(|card| card.contact.owner != Some(user));
    }
    ranked
}
