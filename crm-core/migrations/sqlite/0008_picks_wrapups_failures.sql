-- A contact picked for a call of a shared number while the call was still in progress
-- (its row is written when it ends): kept here, durably, until the call log writes the
-- call, which then links it to the contact picked (if that contact has the call's number).
CREATE TABLE call_contact_picks (
    pbx           TEXT NOT NULL,
    linkedid      TEXT NOT NULL,
    contact_id    INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    picked_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (pbx, linkedid)
);

-- Each agent's own wrap-up of a call (a transferred call has one per agent who saved
-- theirs). The call's own wrap-up columns hold the last talker's, which FCR and the
-- service requests read.
CREATE TABLE call_wrapups (
    call_id      INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    extension    TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    resolved     BOOLEAN,
    note         TEXT,
    wrapup_ms    INTEGER,
    saved_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (call_id, extension)
);

-- Why a click-to-call could not be placed, whose side failed (agent_busy, agent_no_answer:
-- the agent's own phone; pbx_refused, pbx_unreachable: the PBX); NULL for every other
-- call (a customer who is busy or does not answer is a call the tracker logs itself).
ALTER TABLE calls ADD COLUMN failure_reason TEXT;
