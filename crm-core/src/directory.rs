//! The directory: phone number → contact cards, the hot path of every ringing call.
//!
//! [`DirectoryCache`] keeps the cards per lookup key in memory. Every store write that can
//! change a card (a contact or number added, changed or removed, a call recorded, a task
//! opened or closed) invalidates the keys it touches, and bumps a generation counter so a
//! lookup that raced with a write never caches what it read before the write. (With several
//! Tamas nodes on one PostgreSQL, writes made on another node reach this cache only through
//! its invalidation; that fan-out is part of the multi-node work.)

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::domain::call::CallRow;
use crate::domain::contact::Contact;
use crate::domain::ids::{ContactId, UserId};
use crate::domain::work::Task;

/// Entries kept at most; past this the cache is cleared (cheap, and rare).
const MAX_ENTRIES: usize = 100_000;

/// One matching contact with what a popup shows about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContactCard {
    /// The contact and its numbers.
    pub contact: Contact,
    /// Its last 5 calls, newest first.
    pub last_calls: Vec<CallRow>,
    /// Its open tasks, by due time.
    pub open_tasks: Vec<Task>,
}

/// Contact cards per lookup key, kept correct by the store's writes.
#[derive(Debug, Default)]
pub struct DirectoryCache {
    entries: Mutex<Entries>,
    generation: AtomicU64,
}

#[derive(Debug, Default)]
struct Entries {
    by_key: HashMap<String, Arc<Vec<ContactCard>>>,
    keys_of_contact: HashMap<ContactId, HashSet<String>>,
}

impl DirectoryCache {
    /// The cards cached for `key`.
    pub fn get(&self, key: &str) -> Option<Arc<Vec<ContactCard>>> {
        self.entries.lock().ok()?.by_key.get(key).cloned()
    }

    /// The current generation; read it before loading cards from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `cards` for `key` unless a write happened since `generation` was read, and
    /// returns them.
    pub fn insert(
        &self,
        key: &str,
        cards: Vec<ContactCard>,
        generation: u64,
    ) -> Arc<Vec<ContactCard>> {
        let cards = Arc::new(cards);
        if let Ok(mut entries) = self.entries.lock()
            && self.generation.load(Ordering::Acquire) == generation
        {
            if entries.by_key.len() >= MAX_ENTRIES {
                entries.by_key.clear();
                entries.keys_of_contact.clear();
            }
            for card in cards.iter() {
                entries
                    .keys_of_contact
                    .entry(card.contact.id)
                    .or_default()
                    .insert(key.to_owned());
            }
            entries.by_key.insert(key.to_owned(), Arc::clone(&cards));
        }
        cards
    }

    /// Forgets the cards of these lookup keys (a number was added or removed).
    pub fn invalidate_keys<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.lock() {
            for key in keys {
                entries.by_key.remove(key);
            }
        }
    }

    /// Forgets every cached card showing this contact.
    pub fn invalidate_contact(&self, contact: ContactId) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.lock()
            && let Some(keys) = entries.keys_of_contact.remove(&contact)
        {
            for key in keys {
                entries.by_key.remove(&key);
            }
        }
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.by_key.len())
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cards ranked for `user`: the contacts they own first, then by most recent
/// interaction (the cached order).
pub fn rank_for(cards: &[ContactCard], user: Option<UserId>) -> Vec<ContactCard> {
    let mut ranked = cards.to_vec();
    if let Some(user) = user {
        ranked.sort_by_key(|card| card.contact.owner != Some(user));
    }
    ranked
}
