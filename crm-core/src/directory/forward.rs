//! [`Directory`] as a [`Store`]: each method goes to the store behind it; the writes that
//! can change a contact card then forget the cached cards they touch.

use async_trait::async_trait;

use super::{ContactCard, Directory};
use crate::StoreResult;
use crate::domain::alert::{Alert, AlertFilter, LeadActivity, NewAlert, NewCallback};
use crate::domain::auth::{
    CredentialChange, NewSession, Session, TokenInfo, TokenScope, TokenUser,
};
use crate::domain::call::{
    AgentWrapUp, CallFilter, CallMetrics, CallRecordInput, CallRow, UndecidedCall, WrapUp,
};
use crate::domain::call_facts::CallFacts;
use crate::domain::contact::{Contact, ContactPhone, ContactUpdate, NewContact, NewPhone};
use crate::domain::customer::Customer;
use crate::domain::ids::{
    AlertId, CallId, ContactId, NoteId, PhoneId, RecordingId, TaskId, TokenId, UserId,
};
use crate::domain::open_call::{OpenCallRow, OpenCallWrite};
use crate::domain::recording::{NewRecording, Recording};
use crate::domain::user::{Locale, NewUser, Role, User};
use crate::domain::work::{AuditEntry, NewTask, Note, Task, TaskStatus};
use crate::phone::PhoneNormalizer;
use crate::store::{
    AlertStore, AuthStore, CallPartStore, CallStore, CallbackStore, ContactStore, CredentialStore,
    OpenCallStore, RecordingStore, Store, UserStore, WorkStore,
};
use crate::token::ApiToken;

#[async_trait]
impl Store for Directory {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    fn normalizer(&self) -> &PhoneNormalizer {
        self.inner.normalizer()
    }
    async fn migrate(&self) -> StoreResult<()> {
        self.inner.migrate().await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
}

#[async_trait]
impl ContactStore for Directory {
    async fn create_contact(&self, new: &NewContact) -> StoreResult<Contact> {
        let contact = self.inner.create_contact(new).await?;
        let keys: Vec<&str> = contact
            .phones
            .iter()
            .map(|p| p.lookup_key.as_str())
            .collect();
        self.forget(Some(contact.id), &keys);
        Ok(contact)
    }
    async fn get_contact(&self, id: ContactId) -> StoreResult<Contact> {
        self.inner.get_contact(id).await
    }
    async fn update_contact(&self, id: ContactId, update: &ContactUpdate) -> StoreResult<Contact> {
        let result = self.inner.update_contact(id, update).await;
        self.forget(Some(id), &[]);
        result
    }
    async fn delete_contact(&self, id: ContactId) -> StoreResult<()> {
        let result = self.inner.delete_contact(id).await;
        self.forget(Some(id), &[]);
        result
    }
    async fn add_phone(&self, contact: ContactId, phone: &NewPhone) -> StoreResult<ContactPhone> {
        let result = self.inner.add_phone(contact, phone).await;
        self.forget(Some(contact), &[phone.number.lookup_key.as_str()]);
        result
    }
    async fn update_phone(&self, id: PhoneId, new: &NewPhone) -> StoreResult<ContactPhone> {
        let phone = self.inner.update_phone(id, new).await?;
        self.forget(Some(phone.contact), &[phone.lookup_key.as_str()]);
        Ok(phone)
    }
    async fn remove_phone(&self, id: PhoneId) -> StoreResult<ContactPhone> {
        let phone = self.inner.remove_phone(id).await?;
        self.forget(Some(phone.contact), &[phone.lookup_key.as_str()]);
        Ok(phone)
    }
    async fn list_contacts(&self, offset: u32, limit: u32) -> StoreResult<Vec<Contact>> {
        self.inner.list_contacts(offset, limit).await
    }
    async fn search_contacts(&self, query: &str, limit: u32) -> StoreResult<Vec<Contact>> {
        self.inner.search_contacts(query, limit).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn lookup_number(
        &self,
        number: &str,
        for_user: Option<UserId>,
    ) -> StoreResult<Vec<ContactCard>> {
        self.lookup(number, for_user).await
    }
}

#[async_trait]
impl CallStore for Directory {
    async fn record_call(&self, call: &CallRecordInput) -> StoreResult<CallId> {
        let id = self.inner.record_call(call).await?;
        // The call shows on its contact's card, and its time ranks the contact.
        let contact = self.inner.get_call(id).await?.contact;
        self.forget(contact, &[]);
        Ok(id)
    }
    async fn get_call(&self, id: CallId) -> StoreResult<CallRow> {
        self.inner.get_call(id).await
    }
    async fn call_by_linkedid(&self, pbx: &str, linkedid: &str) -> StoreResult<Option<CallRow>> {
        self.inner.call_by_linkedid(pbx, linkedid).await
    }
    async fn list_calls(&self, filter: &CallFilter) -> StoreResult<Vec<CallRow>> {
        self.inner.list_calls(filter).await
    }
    async fn fold_call_facts(
        &self,
        from_ms: i64,
        to_ms: i64,
        each: &mut (dyn FnMut(CallFacts) + Send),
    ) -> StoreResult<()> {
        self.inner.fold_call_facts(from_ms, to_ms, each).await
    }
    async fn save_wrapup(&self, call: CallId, wrapup: &WrapUp) -> StoreResult<CallRow> {
        let row = self.inner.save_wrapup(call, wrapup).await?;
        self.forget(row.contact, &[]);
        Ok(row)
    }

    async fn set_call_metrics(&self, call: CallId, metrics: &CallMetrics) -> StoreResult<()> {
        self.inner.set_call_metrics(call, metrics).await
    }
    async fn link_call_contact(&self, call: CallId, contact: ContactId) -> StoreResult<CallRow> {
        let before = self.inner.get_call(call).await?.contact;
        let row = self.inner.link_call_contact(call, contact).await?;
        // The call leaves the card it was on (if any) for the picked contact's.
        self.forget(before, &[]);
        self.forget(row.contact, &[]);
        Ok(row)
    }
    async fn undecided_calls(
        &self,
        contact: ContactId,
        filter: &CallFilter,
    ) -> StoreResult<Vec<UndecidedCall>> {
        self.inner.undecided_calls(contact, filter).await
    }
    async fn call_candidates(&self, call: CallId) -> StoreResult<Vec<ContactId>> {
        self.inner.call_candidates(call).await
    }
}

#[async_trait]
impl CallPartStore for Directory {
    async fn remember_contact_pick(
        &self,
        pbx: &str,
        linkedid: &str,
        contact: ContactId,
    ) -> StoreResult<Option<CallRow>> {
        let row = self
            .inner
            .remember_contact_pick(pbx, linkedid, contact)
            .await?;
        if let Some(row) = &row {
            self.forget(row.contact, &[]);
        }
        Ok(row)
    }
    async fn save_agent_wrapup(
        &self,
        call: CallId,
        extension: &str,
        wrapup: &WrapUp,
    ) -> StoreResult<CallRow> {
        let row = self
            .inner
            .save_agent_wrapup(call, extension, wrapup)
            .await?;
        self.forget(row.contact, &[]);
        Ok(row)
    }
    async fn agent_wrapups(&self, call: CallId) -> StoreResult<Vec<AgentWrapUp>> {
        self.inner.agent_wrapups(call).await
    }
}

#[async_trait]
impl WorkStore for Directory {
    async fn add_note(
        &self,
        contact: ContactId,
        call: Option<CallId>,
        author: Option<UserId>,
        body: &str,
    ) -> StoreResult<Note> {
        self.inner.add_note(contact, call, author, body).await
    }
    async fn notes(&self, contact: ContactId) -> StoreResult<Vec<Note>> {
        self.inner.notes(contact).await
    }
    async fn delete_note(&self, id: NoteId) -> StoreResult<()> {
        self.inner.delete_note(id).await
    }
    async fn create_task(&self, task: &NewTask) -> StoreResult<Task> {
        let task = self.inner.create_task(task).await?;
        self.forget(task.contact, &[]);
        Ok(task)
    }
    async fn get_task(&self, id: TaskId) -> StoreResult<Task> {
        self.inner.get_task(id).await
    }
    async fn set_task_status(&self, id: TaskId, status: TaskStatus) -> StoreResult<Task> {
        let task = self.inner.set_task_status(id, status).await?;
        self.forget(task.contact, &[]);
        Ok(task)
    }
    async fn tasks_of_contact(
        &self,
        contact: ContactId,
        open_only: bool,
    ) -> StoreResult<Vec<Task>> {
        self.inner.tasks_of_contact(contact, open_only).await
    }
    async fn tasks_of_assignee(&self, user: UserId, open_only: bool) -> StoreResult<Vec<Task>> {
        self.inner.tasks_of_assignee(user, open_only).await
    }
}

#[async_trait]
impl CallbackStore for Directory {
    async fn create_callback(&self, callback: &NewCallback) -> StoreResult<Task> {
        let task = self.inner.create_callback(callback).await?;
        self.forget(task.contact, &[]);
        Ok(task)
    }
    async fn open_callback(&self, customer: &Customer) -> StoreResult<Option<Task>> {
        self.inner.open_callback(customer).await
    }
    async fn open_callbacks(&self) -> StoreResult<Vec<Task>> {
        self.inner.open_callbacks().await
    }
    async fn assign_task(&self, id: TaskId, assignee: Option<UserId>) -> StoreResult<Task> {
        let task = self.inner.assign_task(id, assignee).await?;
        self.forget(task.contact, &[]);
        Ok(task)
    }
}

#[async_trait]
impl AlertStore for Directory {
    async fn raise_alert(&self, alert: &NewAlert) -> StoreResult<(Alert, bool)> {
        self.inner.raise_alert(alert).await
    }
    async fn get_alert(&self, id: AlertId) -> StoreResult<Alert> {
        self.inner.get_alert(id).await
    }
    async fn list_alerts(&self, filter: &AlertFilter) -> StoreResult<Vec<Alert>> {
        self.inner.list_alerts(filter).await
    }
    async fn acknowledge_alert(&self, id: AlertId, by: UserId) -> StoreResult<Alert> {
        self.inner.acknowledge_alert(id, by).await
    }
    async fn resolve_alert(&self, id: AlertId, by: Option<UserId>) -> StoreResult<Alert> {
        self.inner.resolve_alert(id, by).await
    }
    async fn update_alert_detail(
        &self,
        id: AlertId,
        detail: &serde_json::Value,
    ) -> StoreResult<Alert> {
        self.inner.update_alert_detail(id, detail).await
    }
    async fn leads_since(
        &self,
        created_since_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<LeadActivity>> {
        self.inner.leads_since(created_since_ms, limit).await
    }
}

#[async_trait]
impl RecordingStore for Directory {
    async fn add_recording(&self, recording: &NewRecording) -> StoreResult<Recording> {
        self.inner.add_recording(recording).await
    }
    async fn get_recording(&self, id: RecordingId) -> StoreResult<Recording> {
        self.inner.get_recording(id).await
    }
    async fn recordings_of_call(&self, call: CallId) -> StoreResult<Vec<Recording>> {
        self.inner.recordings_of_call(call).await
    }
    async fn call_of_recording(&self, pbx: &str, uniqueid: &str) -> StoreResult<Option<CallId>> {
        self.inner.call_of_recording(pbx, uniqueid).await
    }
    async fn recordings_older_than(
        &self,
        before_ms: i64,
        limit: u32,
    ) -> StoreResult<Vec<Recording>> {
        self.inner.recordings_older_than(before_ms, limit).await
    }
    async fn delete_recording(&self, id: RecordingId) -> StoreResult<bool> {
        self.inner.delete_recording(id).await
    }
    async fn set_call_keep(&self, call: CallId, keep: bool) -> StoreResult<()> {
        self.inner.set_call_keep(call, keep).await
    }
    async fn call_kept(&self, call: CallId) -> StoreResult<bool> {
        self.inner.call_kept(call).await
    }
    async fn take_spool_file(&self, file_key: &str) -> StoreResult<bool> {
        self.inner.take_spool_file(file_key).await
    }
    async fn spool_file_taken(&self, file_key: &str) -> StoreResult<bool> {
        self.inner.spool_file_taken(file_key).await
    }
}

#[async_trait]
impl UserStore for Directory {
    async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        self.inner.create_user(user).await
    }
    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        self.inner.get_user(id).await
    }
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_username(username).await
    }
    async fn user_by_extension(&self, extension: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_extension(extension).await
    }
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.inner.list_users().await
    }
    async fn user_password_hash(&self, id: UserId) -> StoreResult<String> {
        self.inner.user_password_hash(id).await
    }
    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
        self.inner.set_password_hash(id, hash).await
    }
    async fn set_user_locale(&self, id: UserId, locale: Locale) -> StoreResult<()> {
        self.inner.set_user_locale(id, locale).await
    }
    async fn set_user_active(&self, id: UserId, active: bool) -> StoreResult<()> {
        self.inner.set_user_active(id, active).await
    }
}

#[async_trait]
impl CredentialStore for Directory {
    async fn set_user_role(&self, id: UserId, role: Role) -> StoreResult<()> {
        self.inner.set_user_role(id, role).await
    }
    async fn revoke_tokens_of_user(&self, user: UserId) -> StoreResult<u64> {
        self.inner.revoke_tokens_of_user(user).await
    }
    async fn list_tokens(&self) -> StoreResult<Vec<TokenInfo>> {
        self.inner.list_tokens().await
    }
    async fn credential_changes_after(
        &self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CredentialChange>> {
        self.inner.credential_changes_after(after, limit).await
    }
    async fn last_credential_change(&self) -> StoreResult<i64> {
        self.inner.last_credential_change().await
    }
    async fn prune_credential_changes(&self, before_ms: i64) -> StoreResult<u64> {
        self.inner.prune_credential_changes(before_ms).await
    }
}

#[async_trait]
impl AuthStore for Directory {
    async fn create_token(
        &self,
        user: UserId,
        scope: TokenScope,
    ) -> StoreResult<(TokenId, ApiToken)> {
        self.inner.create_token(user, scope).await
    }
    async fn verify_token(&self, token: &str) -> StoreResult<Option<TokenUser>> {
        self.inner.verify_token(token).await
    }
    async fn record_token_use(&self, id: TokenId, at_ms: i64) -> StoreResult<()> {
        self.inner.record_token_use(id, at_ms).await
    }
    async fn revoke_token(&self, id: TokenId) -> StoreResult<()> {
        self.inner.revoke_token(id).await
    }
    async fn tokens_of_user(&self, user: UserId) -> StoreResult<Vec<TokenInfo>> {
        self.inner.tokens_of_user(user).await
    }
    async fn create_session(&self, user: UserId, expires_at_ms: i64) -> StoreResult<NewSession> {
        self.inner.create_session(user, expires_at_ms).await
    }
    async fn get_session(&self, token: &str, now_ms: i64) -> StoreResult<Option<Session>> {
        self.inner.get_session(token, now_ms).await
    }
    async fn delete_session(&self, token: &str) -> StoreResult<()> {
        self.inner.delete_session(token).await
    }
    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64> {
        self.inner.delete_expired_sessions(now_ms).await
    }
    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.inner.record_audit(entry).await
    }
    async fn audit_log(&self, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        self.inner.audit_log(limit).await
    }
}

#[async_trait]
impl OpenCallStore for Directory {
    async fn write_open_calls(&self, pbx: &str, changes: &[OpenCallWrite]) -> StoreResult<()> {
        self.inner.write_open_calls(pbx, changes).await
    }
    async fn touch_open_calls(&self, pbx: &str, seen_at_ms: i64) -> StoreResult<()> {
        self.inner.touch_open_calls(pbx, seen_at_ms).await
    }
    async fn open_calls(&self, pbx: &str) -> StoreResult<Vec<OpenCallRow>> {
        self.inner.open_calls(pbx).await
    }
}
