-- Alerts ("management by exception") and what callbacks need on tasks.
--
-- An alert is raised for a condition named by its dedupe key (e.g. `callback:task:7`,
-- `service_level:support:2026-12-04`); while one with that key is not resolved, the same
-- condition cannot open another (the partial unique index).
CREATE TABLE alerts (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('abandoned_callback', 'lead_not_contacted',
                            'lead_few_attempts', 'service_level')),
    dedupe_key          TEXT NOT NULL,
    queue               TEXT,
    contact_id          BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    call_id             BIGINT REFERENCES calls (id) ON DELETE SET NULL,
    task_id             BIGINT REFERENCES tasks (id) ON DELETE SET NULL,
    detail              TEXT NOT NULL DEFAULT '{}',
    state               TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    acknowledged_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    acknowledged_at_ms  BIGINT,
    resolved_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL,
    resolved_at_ms      BIGINT
);
CREATE UNIQUE INDEX alerts_live_key ON alerts (dedupe_key) WHERE state <> 'resolved';
CREATE INDEX alerts_key ON alerts (dedupe_key);
CREATE INDEX alerts_state ON alerts (state, created_at_ms);

-- Callbacks: the customer as the PBX gave the number (an unknown caller has no contact),
-- the queue the call was abandoned in, and when the task was last (re)assigned.
ALTER TABLE tasks ADD COLUMN customer_number_raw TEXT;
ALTER TABLE tasks ADD COLUMN customer_number_e164 TEXT;
ALTER TABLE tasks ADD COLUMN queue TEXT;
ALTER TABLE tasks ADD COLUMN assigned_at_ms BIGINT;
CREATE INDEX tasks_kind_status ON tasks (kind, status);
CREATE INDEX tasks_customer_e164 ON tasks (customer_number_e164);
