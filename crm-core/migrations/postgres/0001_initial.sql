-- The CRM core's tables (PostgreSQL). Times are Unix milliseconds; JSON is stored as text, as in SQLite.
CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    extension       TEXT UNIQUE,
    locale          TEXT NOT NULL DEFAULT 'en',
    password_hash   TEXT NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at_ms   BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    scope           TEXT NOT NULL CHECK (scope IN ('full', 'ingest')),
    created_at_ms   BIGINT NOT NULL,
    last_used_at_ms BIGINT,
    revoked_at_ms   BIGINT
);

CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at_ms);

CREATE TABLE contacts (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    TEXT NOT NULL,
    organisation            TEXT,
    stage                   TEXT NOT NULL CHECK (stage IN ('lead', 'customer')),
    email                   TEXT,
    tags                    TEXT NOT NULL DEFAULT '[]',
    owner_id                BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms           BIGINT NOT NULL,
    updated_at_ms           BIGINT NOT NULL,
    last_interaction_at_ms  BIGINT
);
CREATE INDEX contacts_name ON contacts (lower(name));

CREATE TABLE contact_phones (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id  BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    raw         TEXT NOT NULL,
    e164        TEXT,
    lookup_key  TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contact_phones_lookup ON contact_phones (lookup_key);
CREATE INDEX contact_phones_contact ON contact_phones (contact_id);

CREATE TABLE calls (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pbx                     TEXT NOT NULL,
    linkedid                TEXT NOT NULL,
    direction               TEXT NOT NULL,
    customer_number_raw     TEXT,
    customer_number_e164    TEXT,
    customer_lookup_key     TEXT,
    customer_name           TEXT,
    contact_id              BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    did                     TEXT,
    queue                   TEXT,
    answered_by_extension   TEXT,
    answered_by_user_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    agent_extension         TEXT,
    started_at_ms           BIGINT NOT NULL,
    queued_at_ms            BIGINT,
    answered_at_ms          BIGINT,
    ended_at_ms             BIGINT,
    wait_ms                 BIGINT,
    ring_ms                 BIGINT,
    talk_ms                 BIGINT,
    hold_ms                 BIGINT,
    disposition             TEXT NOT NULL,
    hangup_by               TEXT,
    hangup_by_extension     TEXT,
    hangup_cause            BIGINT,
    transfers               TEXT NOT NULL DEFAULT '[]',
    recording_file          TEXT,
    click_id                TEXT,
    end_known               BOOLEAN NOT NULL,
    completeness            BIGINT NOT NULL,
    wrapup_outcome          TEXT,
    wrapup_resolved         BOOLEAN,
    wrapup_note             TEXT,
    wrapup_at_ms            BIGINT,
    UNIQUE (pbx, linkedid)
);
CREATE INDEX calls_contact ON calls (contact_id, started_at_ms);
CREATE INDEX calls_started ON calls (started_at_ms);
CREATE INDEX calls_customer ON calls (customer_lookup_key);

CREATE TABLE call_legs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id     BIGINT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    extension   TEXT,
    result      TEXT NOT NULL,
    ring_ms     BIGINT,
    rang_at_ms  BIGINT NOT NULL,
    UNIQUE (call_id, seq)
);
CREATE INDEX call_legs_extension ON call_legs (extension);

CREATE TABLE notes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id      BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    call_id         BIGINT REFERENCES calls (id) ON DELETE SET NULL,
    author_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    body            TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX notes_contact ON notes (contact_id);

CREATE TABLE tasks (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('follow_up', 'callback')),
    title           TEXT NOT NULL,
    contact_id      BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    call_id         BIGINT REFERENCES calls (id) ON DELETE SET NULL,
    assignee_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    due_at_ms       BIGINT,
    status          TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    created_at_ms   BIGINT NOT NULL,
    closed_at_ms    BIGINT
);
CREATE INDEX tasks_contact ON tasks (contact_id, status);
CREATE INDEX tasks_assignee ON tasks (assignee_id, status);

CREATE TABLE recordings (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id         BIGINT REFERENCES calls (id) ON DELETE SET NULL,
    pbx             TEXT NOT NULL,
    linkedid        TEXT,
    uniqueid        TEXT,
    sha256          TEXT NOT NULL,
    path            TEXT NOT NULL,
    bytes           BIGINT NOT NULL,
    duration_ms     BIGINT,
    sample_rate     BIGINT,
    channels        BIGINT,
    status          TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_linkedid ON recordings (pbx, linkedid);

CREATE TABLE audit_log (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms           BIGINT NOT NULL,
    actor_user_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
