//! The SQL of the CRM core, shared by both backends: it uses only what SQLite and
//! PostgreSQL both understand (`$N` parameters, `RETURNING`, `ON CONFLICT … DO UPDATE`).

pub(crate) const PING: &str = "SELECT 1";

pub(crate) const USER_COLUMNS: &str =
    "id, username, display_name, role, extension, locale, active, created_at_ms";
pub(crate) const INSERT_USER: &str = "INSERT INTO users \
    (username, display_name, role, extension, locale, password_hash, active, created_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id";
pub(crate) const USER_PASSWORD_HASH: &str = "SELECT password_hash FROM users WHERE id = $1";
pub(crate) const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
pub(crate) const SET_USER_LOCALE: &str = "UPDATE users SET locale = $2 WHERE id = $1";

pub(crate) const INSERT_TOKEN: &str = "INSERT INTO api_tokens \
    (user_id, token_hash, scope, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id";
pub(crate) const TOKEN_USER: &str = "SELECT t.id AS token_id, t.scope, u.id, u.username, \
    u.display_name, u.role, u.extension, u.locale, u.active, u.created_at_ms \
    FROM api_tokens t JOIN users u ON u.id = t.user_id \
    WHERE t.token_hash = $1 AND t.revoked_at_ms IS NULL AND u.active";
pub(crate) const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_at_ms = $2 WHERE id = $1";
pub(crate) const REVOKE_TOKEN: &str =
    "UPDATE api_tokens SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL";

pub(crate) const CONTACT_COLUMNS: &str = "id, name, organisation, stage, email, tags, owner_id, \
    created_at_ms, updated_at_ms, last_interaction_at_ms";
pub(crate) const INSERT_CONTACT: &str = "INSERT INTO contacts \
    (name, organisation, stage, email, tags, owner_id, created_at_ms, updated_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
pub(crate) const UPDATE_CONTACT: &str = "UPDATE contacts SET name = $2, organisation = $3, \
    stage = $4, email = $5, tags = $6, owner_id = $7, updated_at_ms = $8 WHERE id = $1";
pub(crate) const DELETE_CONTACT: &str = "DELETE FROM contacts WHERE id = $1";
pub(crate) const PHONE_COLUMNS: &str = "id, contact_id, raw, e164, lookup_key, label";
pub(crate) const INSERT_PHONE: &str = "INSERT INTO contact_phones \
    (contact_id, raw, e164, lookup_key, label) VALUES ($1, $2, $3, $4, $5) RETURNING id";
pub(crate) const DELETE_PHONE: &str =
    "DELETE FROM contact_phones WHERE id = $1 RETURNING contact_id, lookup_key";
pub(crate) const CONTACT_IDS_BY_KEY: &str = "SELECT DISTINCT c.id, c.last_interaction_at_ms \
    FROM contacts c JOIN contact_phones p ON p.contact_id = c.id WHERE p.lookup_key = $1 \
    ORDER BY c.last_interaction_at_ms DESC NULLS LAST, c.id LIMIT 50";
pub(crate) const SEARCH_CONTACTS: &str = "SELECT DISTINCT c.id, c.name FROM contacts c \
    LEFT JOIN contact_phones p ON p.contact_id = c.id \
    WHERE lower(c.name) LIKE $1 ESCAPE '\\' OR lower(coalesce(c.organisation, '')) LIKE $1 ESCAPE '\\' \
    OR p.lookup_key = $2 OR ($3 <> '' AND p.lookup_key LIKE $3 ESCAPE '\\') \
    ORDER BY c.name, c.id LIMIT $4";
pub(crate) const TOUCH_CONTACT: &str = "UPDATE contacts SET last_interaction_at_ms = $2 \
    WHERE id = $1 AND (last_interaction_at_ms IS NULL OR last_interaction_at_ms < $2)";

pub(crate) const INSERT_NOTE: &str = "INSERT INTO notes \
    (contact_id, call_id, author_id, body, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id";
pub(crate) const NOTES_OF_CONTACT: &str = "SELECT id, contact_id, call_id, author_id, body, \
    created_at_ms FROM notes WHERE contact_id = $1 ORDER BY created_at_ms DESC, id DESC";

pub(crate) const TASK_COLUMNS: &str = "id, kind, title, contact_id, call_id, assignee_id, \
    due_at_ms, status, created_at_ms, closed_at_ms";
pub(crate) const INSERT_TASK: &str = "INSERT INTO tasks \
    (kind, title, contact_id, call_id, assignee_id, due_at_ms, status, created_at_ms) \
    VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id";
pub(crate) const SET_TASK_STATUS: &str =
    "UPDATE tasks SET status = $2, closed_at_ms = $3 WHERE id = $1";

pub(crate) const CALL_COLUMNS: &str = "id, pbx, linkedid, direction, customer_number_raw, \
    customer_number_e164, customer_name, contact_id, did, queue, answered_by_extension, \
    answered_by_user_id, agent_extension, started_at_ms, queued_at_ms, answered_at_ms, \
    ended_at_ms, wait_ms, ring_ms, talk_ms, hold_ms, disposition, hangup_by, \
    hangup_by_extension, hangup_cause, transfers, recording_file, click_id, end_known, \
    wrapup_outcome, wrapup_resolved, wrapup_note";
/// The upsert of a call. The stored version is replaced only by one at least as complete;
/// wrap-up columns are never part of it.
pub(crate) const UPSERT_CALL: &str = "INSERT INTO calls (pbx, linkedid, direction, \
    customer_number_raw, customer_number_e164, customer_lookup_key, customer_name, contact_id, \
    did, queue, answered_by_extension, answered_by_user_id, agent_extension, started_at_ms, \
    queued_at_ms, answered_at_ms, ended_at_ms, wait_ms, ring_ms, talk_ms, hold_ms, disposition, \
    hangup_by, hangup_by_extension, hangup_cause, transfers, recording_file, click_id, \
    end_known, completeness) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
    $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30) \
    ON CONFLICT (pbx, linkedid) DO UPDATE SET direction = excluded.direction, \
    customer_number_raw = excluded.customer_number_raw, \
    customer_number_e164 = excluded.customer_number_e164, \
    customer_lookup_key = excluded.customer_lookup_key, customer_name = excluded.customer_name, \
    contact_id = coalesce(calls.contact_id, excluded.contact_id), did = excluded.did, \
    queue = excluded.queue, answered_by_extension = excluded.answered_by_extension, \
    answered_by_user_id = excluded.answered_by_user_id, agent_extension = excluded.agent_extension, \
    started_at_ms = excluded.started_at_ms, queued_at_ms = excluded.queued_at_ms, \
    answered_at_ms = excluded.answered_at_ms, ended_at_ms = excluded.ended_at_ms, \
    wait_ms = excluded.wait_ms, ring_ms = excluded.ring_ms, talk_ms = excluded.talk_ms, \
    hold_ms = excluded.hold_ms, disposition = excluded.disposition, \
    hangup_by = excluded.hangup_by, hangup_by_extension = excluded.hangup_by_extension, \
    hangup_cause = excluded.hangup_cause, transfers = excluded.transfers, \
    recording_file = coalesce(excluded.recording_file, calls.recording_file), \
    click_id = coalesce(excluded.click_id, calls.click_id), end_known = excluded.end_known, \
    completeness = excluded.completeness \
    WHERE calls.completeness <= excluded.completeness";
pub(crate) const CALL_ID_BY_LINKEDID: &str =
    "SELECT id, contact_id FROM calls WHERE pbx = $1 AND linkedid = $2";
pub(crate) const DELETE_CALL_LEGS: &str = "DELETE FROM call_legs WHERE call_id = $1";
pub(crate) const INSERT_CALL_LEG: &str = "INSERT INTO call_legs \
    (call_id, seq, extension, result, ring_ms, rang_at_ms) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log \
    (at_ms, actor_user_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const AUDIT_LOG: &str = "SELECT at_ms, actor_user_id, action, subject, detail \
    FROM audit_log ORDER BY at_ms DESC, id DESC LIMIT $1";
