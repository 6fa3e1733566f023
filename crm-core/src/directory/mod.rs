//! The directory: phone number → contact cards, the hot path of every ringing call.
//!
//! [`Directory`] is the memory of the cards, kept per lookup key. Each store
//! ([`SqliteStore`](crate::SqliteStore), [`PgStore`](crate::PgStore)) owns one, shared by
//! its clones, and uses it in two ways:
//!
//! - its [`lookup_number`](crate::ContactStore::lookup_number) asks
//!   [`Directory::lookup`], which answers from memory, or on a miss runs the store's SQL
//!   lookup and keeps what it read (unless a write forgot cards meanwhile); the cards are
//!   then ranked for the user;
//! - each of its writes that can change a card — a contact or number added, changed or
//!   removed, a call recorded or linked to a contact, a wrap-up saved, a task opened, closed
//!   or assigned — calls [`Directory::forget`] with the contact and lookup keys it touched,
//!   after its transaction commits and before it returns, so a lookup after a write always
//!   sees it.
//!
//! [`forget`](Directory::forget) and [`forget_all`](Directory::forget_all) are the whole of
//! the invalidation side: another source of invalidations (other nodes' writes, delivered by
//! the database) calls them as the store's own writes do. Until there is one, writes made
//! elsewhere (another `tamas` process on the same database, another node on the same
//! PostgreSQL) are seen once the cached cards expire, [`CARD_TTL`] after they were read.

mod cache;

use std::future::Future;

use serde::Serialize;

use crate::StoreResult;
use crate::domain::call::CallRow;
use crate::domain::contact::Contact;
use crate::domain::ids::{ContactId, UserId};
use crate::domain::work::Task;
use cache::DirectoryCache;

/// How many recent calls a card shows.
pub const CARD_CALLS: u32 = 5;

/// How long cached cards are trusted without a write that forgets them.
pub const CARD_TTL: std::time::Duration = std::time::Duration::from_secs(30);

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

/// Contact cards per lookup key, in memory: read through [`lookup`](Self::lookup), kept
/// correct by whoever writes calling [`forget`](Self::forget).
pub struct Directory {
    cache: DirectoryCache,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("cached_keys", &self.cache.len())
            .finish()
    }
}

impl Default for Directory {
    fn default() -> Directory {
        Directory::new()
    }
}

impl Directory {
    /// An empty directory whose cards are trusted for [`CARD_TTL`].
    pub fn new() -> Directory {
        Directory {
            cache: DirectoryCache::new(CARD_TTL),
        }
    }

    /// The cards of lookup key `key` (not empty), ranked for `for_user`. On a miss they are
    /// read with `load` — the store's uncached lookup, in the order it gives without a user
    /// — and kept, unless something was forgotten while they were read.
    pub async fn lookup<F, L>(
        &self,
        key: &str,
        for_user: Option<UserId>,
        load: L,
    ) -> StoreResult<Vec<ContactCard>>
    where
        L: FnOnce() -> F,
        F: Future<Output = StoreResult<Vec<ContactCard>>>,
    {
        let cards = match self.cache.get(key) {
            Some(cards) => cards,
            None => {
                // Read before loading: a write that ends meanwhile stops the insert.
                let generation = self.cache.generation();
                let cards = load().await?;
                self.cache.insert(key, cards, generation)
            }
        };
        Ok(rank_for(&cards, for_user))
    }

    /// Forgets the cards cached under these lookup keys (a number was added, changed or
    /// removed) and every card showing this contact (the contact, its calls or its tasks
    /// changed). Called after the write is committed, before it is reported done.
    pub fn forget(&self, contact: Option<ContactId>, keys: &[&str]) {
        self.cache.invalidate_keys(keys.iter().copied());
        if let Some(contact) = contact {
            self.cache.invalidate_contact(contact);
        }
    }

    /// Forgets every cached card (when the writes made elsewhere may have been missed).
    pub fn forget_all(&self) {
        self.cache.invalidate_all();
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::cache::tests::card;
    use super::*;

    /// Looks `key` up in `directory`, loading `cards` on a miss and counting the loads.
    async fn lookup(
        directory: &Directory,
        key: &str,
        cards: &[ContactCard],
        loads: &AtomicUsize,
    ) -> Vec<ContactCard> {
        directory
            .lookup(key, None, || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok(cards.to_vec())
            })
            .await
            .expect("lookup")
    }

    #[tokio::test]
    async fn a_card_is_read_again_only_once_forgotten() {
        let directory = Directory::new();
        let loads = AtomicUsize::new(0);
        let cards = [card(1)];
        assert_eq!(lookup(&directory, "k", &cards, &loads).await, cards);
        assert_eq!(lookup(&directory, "k", &cards, &loads).await, cards);
        assert_eq!(loads.load(Ordering::SeqCst), 1, "the second is a hit");
        directory.forget(None, &["k"]);
        lookup(&directory, "k", &cards, &loads).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "forgotten by key");
        directory.forget(Some(ContactId(1)), &[]);
        lookup(&directory, "k", &cards, &loads).await;
        assert_eq!(loads.load(Ordering::SeqCst), 3, "forgotten by contact");
        directory.forget(Some(ContactId(2)), &["other"]);
        lookup(&directory, "k", &cards, &loads).await;
        assert_eq!(loads.load(Ordering::SeqCst), 3, "another contact and key");
        directory.forget_all();
        lookup(&directory, "k", &cards, &loads).await;
        assert_eq!(loads.load(Ordering::SeqCst), 4, "everything forgotten");
    }

    #[tokio::test]
    async fn a_load_that_raced_with_a_write_is_not_kept() {
        let directory = Directory::new();
        let cards = directory
            .lookup("k", None, || async {
                // A write ends while the store is read.
                directory.forget(Some(ContactId(7)), &[]);
                Ok(vec![card(1)])
            })
            .await
            .expect("lookup");
        assert_eq!(cards, vec![card(1)], "what was read is answered");
        let loads = AtomicUsize::new(0);
        lookup(&directory, "k", &[], &loads).await;
        assert_eq!(loads.load(Ordering::SeqCst), 1, "but it was not kept");
    }

    #[tokio::test]
    async fn a_failed_load_keeps_nothing() {
        let directory = Directory::new();
        let failed = directory
            .lookup("k", None, || async { Err(crate::StoreError::NotFound) })
            .await;
        assert!(failed.is_err());
        let loads = AtomicUsize::new(0);
        lookup(&directory, "k", &[card(1)], &loads).await;
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn cards_are_ranked_for_the_user_from_one_cached_order() {
        let directory = Directory::new();
        let (recent, quiet) = (card(1), card(2));
        let mut owned = card(3);
        owned.contact.owner = Some(UserId(9));
        let loads = AtomicUsize::new(0);
        let cards = [recent.clone(), owned.clone(), quiet.clone()];
        lookup(&directory, "k", &cards, &loads).await;
        let ids =
            |cards: Vec<ContactCard>| cards.iter().map(|c| c.contact.id.0).collect::<Vec<_>>();
        let for_owner = directory
            .lookup("k", Some(UserId(9)), || async { unreachable!("cached") })
            .await
            .expect("lookup");
        assert_eq!(ids(for_owner), vec![3, 1, 2]);
        let for_other = directory
            .lookup("k", Some(UserId(8)), || async { unreachable!("cached") })
            .await
            .expect("lookup");
        assert_eq!(ids(for_other), vec![1, 3, 2]);
    }
}
