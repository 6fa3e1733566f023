//! The directory's memory: contact cards per lookup key, with what is needed to forget
//! them exactly when a write changes them.
//!
//! A generation counter, bumped by every invalidation, stops a lookup that raced with a
//! write from caching what it read before the write.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::ContactCard;
use crate::domain::ids::ContactId;

/// Keys kept at most; past this the cache starts over (cheap, and rare: expired entries
/// are dropped once a TTL).
const MAX_ENTRIES: usize = 100_000;

/// Contact cards per lookup key.
#[derive(Debug)]
pub(super) struct DirectoryCache {
    entries: Mutex<Entries>,
    generation: AtomicU64,
    ttl: Duration,
}

#[derive(Debug, Default)]
struct Entries {
    by_key: HashMap<String, Entry>,
    /// The keys whose cached cards show a contact.
    keys_of_contact: HashMap<ContactId, HashSet<String>>,
    /// When expired entries were last dropped.
    pruned_at: Option<Instant>,
}

impl Entries {
    /// Drops the entries older than `ttl`, at most once a `ttl`: a busy centre looks up
    /// many numbers once, and their cards must not stay for good.
    fn prune(&mut self, ttl: Duration) {
        if self.pruned_at.is_some_and(|at| at.elapsed() < ttl) {
            return;
        }
        self.pruned_at = Some(Instant::now());
        self.by_key.retain(|_, entry| entry.read_at.elapsed() < ttl);
        let by_key = &self.by_key;
        self.keys_of_contact.retain(|_, keys| {
            keys.retain(|key| by_key.contains_key(key));
            !keys.is_empty()
        });
    }
}

#[derive(Debug)]
struct Entry {
    cards: Arc<Vec<ContactCard>>,
    read_at: Instant,
}

impl DirectoryCache {
    /// An empty cache whose entries are trusted for `ttl`.
    pub(super) fn new(ttl: Duration) -> DirectoryCache {
        DirectoryCache {
            entries: Mutex::default(),
            generation: AtomicU64::new(0),
            ttl,
        }
    }

    // A panic while holding the lock cannot leave the maps half-updated in a way that
    // matters (at worst an entry too many is forgotten), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cards cached for `key`, unless they are older than the TTL.
    pub(super) fn get(&self, key: &str) -> Option<Arc<Vec<ContactCard>>> {
        let entries = self.lock();
        let entry = entries.by_key.get(key)?;
        (entry.read_at.elapsed() < self.ttl).then(|| Arc::clone(&entry.cards))
    }

    /// The current generation; read it before loading cards from the store.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `cards` for `key` unless something was invalidated since `generation` was
    /// read, and returns them.
    pub(super) fn insert(
        &self,
        key: &str,
        cards: Vec<ContactCard>,
        generation: u64,
    ) -> Arc<Vec<ContactCard>> {
        let cards = Arc::new(cards);
        let mut entries = self.lock();
        // Checked under the lock: invalidations bump the generation before taking it.
        if self.generation.load(Ordering::Acquire) != generation {
            return cards;
        }
        entries.prune(self.ttl);
        if entries.by_key.len() >= MAX_ENTRIES {
            *entries = Entries::default();
        }
        for card in cards.iter() {
            entries
                .keys_of_contact
                .entry(card.contact.id)
                .or_default()
                .insert(key.to_owned());
        }
        let entry = Entry {
            cards: Arc::clone(&cards),
            read_at: Instant::now(),
        };
        entries.by_key.insert(key.to_owned(), entry);
        cards
    }

    /// Forgets the cards of these lookup keys (a number was added, changed or removed).
    pub(super) fn invalidate_keys<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut entries = self.lock();
        for key in keys {
            entries.by_key.remove(key);
        }
    }

    /// Forgets every cached card showing this contact.
    pub(super) fn invalidate_contact(&self, contact: ContactId) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut entries = self.lock();
        if let Some(keys) = entries.keys_of_contact.remove(&contact) {
            for key in keys {
                entries.by_key.remove(&key);
            }
        }
    }

    /// Forgets every cached card.
    pub(super) fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.lock() = Entries::default();
    }

    /// How many keys are cached.
    pub(super) fn len(&self) -> usize {
        self.lock().by_key.len()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::contact::{Contact, Stage};

    /// A card of contact `id`, without calls or tasks.
    pub(in crate::directory) fn card(id: i64) -> ContactCard {
        ContactCard {
            contact: Contact {
                id: ContactId(id),
                name: format!("contact {id}"),
                organisation: None,
                stage: Stage::Lead,
                email: None,
                tags: Vec::new(),
                owner: None,
                phones: Vec::new(),
                created_at_ms: 0,
                updated_at_ms: 0,
                last_interaction_at_ms: None,
            },
            last_calls: Vec::new(),
            open_tasks: Vec::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_the_ttl() {
        let cache = DirectoryCache::new(Duration::from_secs(30));
        cache.insert("+989121234567", vec![card(1)], cache.generation());
        assert!(cache.get("+989121234567").is_some());
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(cache.get("+989121234567").is_some());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(cache.get("+989121234567").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn expired_entries_are_dropped_not_only_hidden() {
        let cache = DirectoryCache::new(Duration::from_secs(30));
        for i in 0..100 {
            let key = format!("+98912000{i:04}");
            cache.insert(&key, vec![card(i)], cache.generation());
        }
        assert_eq!(cache.len(), 100);
        tokio::time::advance(Duration::from_secs(31)).await;
        cache.insert("+989350000000", vec![card(500)], cache.generation());
        assert_eq!(cache.len(), 1, "the expired cards are gone");
        assert_eq!(cache.lock().keys_of_contact.len(), 1);
    }

    #[test]
    fn a_read_that_raced_with_a_write_is_not_cached() {
        let cache = DirectoryCache::new(Duration::from_secs(30));
        let before = cache.generation();
        cache.invalidate_keys(["+989121234567"]);
        cache.insert("+989121234567", vec![card(1)], before);
        assert!(cache.get("+989121234567").is_none());
    }

    #[test]
    fn a_contact_is_forgotten_under_every_key_it_shows_in() {
        let cache = DirectoryCache::new(Duration::from_secs(30));
        cache.insert("a", vec![card(1), card(2)], cache.generation());
        cache.insert("b", vec![card(1)], cache.generation());
        cache.insert("c", vec![card(2)], cache.generation());
        cache.invalidate_contact(ContactId(1));
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_none());
        assert!(cache.get("c").is_some());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn everything_is_forgotten_at_once() {
        let cache = DirectoryCache::new(Duration::from_secs(30));
        let before = cache.generation();
        cache.insert("a", vec![card(1)], before);
        cache.insert("b", Vec::new(), before);
        cache.invalidate_all();
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_none());
        assert_eq!(cache.len(), 0);
        assert!(cache.lock().keys_of_contact.is_empty());
        cache.insert("a", vec![card(1)], before);
        assert!(cache.get("a").is_none(), "a read from before is not kept");
    }
}
