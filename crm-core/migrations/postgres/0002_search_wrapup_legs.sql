-- Search: a folded copy of name, organisation and e-mail (the store writes it; rows written
-- before this migration get an approximation: lower-case, Arabic yeh and kaf as Persian).
ALTER TABLE contacts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE contacts SET search_text = lower(
    replace(replace(replace(name, 'ي', 'ی'), 'ى', 'ی'), 'ك', 'ک') || chr(10) ||
    replace(replace(replace(coalesce(organisation, ''), 'ي', 'ی'), 'ى', 'ی'), 'ك', 'ک') ||
    chr(10) || coalesce(email, ''));

-- Usernames are compared lower-case.
UPDATE users SET username = lower(username);

-- Calls: time spent on wrap-up; a fingerprint of the stored PBX version, so that writing
-- the same version again changes nothing.
ALTER TABLE calls ADD COLUMN wrapup_ms BIGINT;
ALTER TABLE calls ADD COLUMN version_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_answered_by ON calls (answered_by_extension);
CREATE INDEX calls_agent ON calls (agent_extension);

-- Legs: the agent's own talk time, when known.
ALTER TABLE call_legs ADD COLUMN talk_ms BIGINT;

CREATE INDEX recordings_sha256 ON recordings (sha256);
CREATE INDEX tasks_due ON tasks (status, due_at_ms);
