-- The CRM core's tables (SQLite). Times are Unix milliseconds; JSON is stored as text.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    extension       TEXT UNIQUE,
    locale          TEXT NOT NULL DEFAULT 'en',
    password_hash   TEXT NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at_ms   INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    scope           TEXT NOT NULL CHECK (scope IN ('full', 'ingest')),
    created_at_ms   INTEGER NOT NULL,
    last_used_at_ms INTEGER,
    revoked_at_ms   INTEGER
);

CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token      TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at_ms);

CREATE TABLE contacts (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT NOT NULL,
    organisation            TEXT,
    stage                   TEXT NOT NULL CHECK (stage IN ('lead', 'customer')),
    email                   TEXT,
    tags                    TEXT NOT NULL DEFAULT '[]',
    owner_id                INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms           INTEGER NOT NULL,
    updated_at_ms           INTEGER NOT NULL,
    last_interaction_at_ms  INTEGER
);
CREATE INDEX contacts_name ON contacts (lower(name));

CREATE TABLE contact_phones (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    raw         TEXT NOT NULL,
    e164        TEXT,
    lookup_key  TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contact_phones_lookup ON contact_phones (lookup_key);
CREATE INDEX contact_phones_contact ON contact_phones (contact_id);

CREATE TABLE calls (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    pbx                     TEXT NOT NULL,
    linkedid                TEXT NOT NULL,
    direction               TEXT NOT NULL,
    customer_number_raw     TEXT,
    customer_number_e164    TEXT,
    customer_lookup_key     TEXT,
    customer_name           TEXT,
    contact_id              INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    did                     TEXT,
    queue                   TEXT,
    answered_by_extension   TEXT,
    answered_by_user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    agent_extension         TEXT,
    started_at_ms           INTEGER NOT NULL,
    queued_at_ms            INTEGER,
    answered_at_ms          INTEGER,
    ended_at_ms             INTEGER,
    wait_ms                 INTEGER,
    ring_ms                 INTEGER,
    talk_ms                 INTEGER,
    hold_ms                 INTEGER,
    disposition             TEXT NOT NULL,
    hangup_by               TEXT,
    hangup_by_extension     TEXT,
    hangup_cause            INTEGER,
    transfers               TEXT NOT NULL DEFAULT '[]',
    recording_file          TEXT,
    click_id                TEXT,
    end_known               BOOLEAN NOT NULL,
    completeness            INTEGER NOT NULL,
    wrapup_outcome          TEXT,
    wrapup_resolved         BOOLEAN,
    wrapup_note             TEXT,
    wrapup_at_ms            INTEGER,
    UNIQUE (pbx, linkedid)
);
CREATE INDEX calls_contact ON calls (contact_id, started_at_ms);
CREATE INDEX calls_started ON calls (started_at_ms);
CREATE INDEX calls_customer ON calls (customer_lookup_key);

CREATE TABLE call_legs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id     INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    extension   TEXT,
    result      TEXT NOT NULL,
    ring_ms     INTEGER,
    rang_at_ms  INTEGER NOT NULL,
    UNIQUE (call_id, seq)
);
CREATE INDEX call_legs_extension ON call_legs (extension);

CREATE TABLE notes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id      INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    call_id         INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    author_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    body            TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL
);
CREATE INDEX notes_contact ON notes (contact_id);

CREATE TABLE tasks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL CHECK (kind IN ('follow_up', 'callback')),
    title           TEXT NOT NULL,
    contact_id      INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    call_id         INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    assignee_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    due_at_ms       INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    created_at_ms   INTEGER NOT NULL,
    closed_at_ms    INTEGER
);
CREATE INDEX tasks_contact ON tasks (contact_id, status);
CREATE INDEX tasks_assignee ON tasks (assignee_id, status);

CREATE TABLE recordings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id         INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    pbx             TEXT NOT NULL,
    linkedid        TEXT,
    uniqueid        TEXT,
    sha256          TEXT NOT NULL,
    path            TEXT NOT NULL,
    bytes           INTEGER NOT NULL,
    duration_ms     INTEGER,
    sample_rate     INTEGER,
    channels        INTEGER,
    status          TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL
);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_linkedid ON recordings (pbx, linkedid);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms           INTEGER NOT NULL,
    actor_user_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
