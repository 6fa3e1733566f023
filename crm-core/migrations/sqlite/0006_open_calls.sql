-- Calls in progress, durable: what the PBX tracker knows of every call that has not ended
-- yet, so that a restarted Tamas carries on each call where it left off. One row per open
-- call of a PBX; `state` is the tracker's own snapshot (JSON text, opaque to the store),
-- `seen_at_ms` the PBX time at which Tamas last knew the call was still open. A row is
-- removed once its call is in the call log.
CREATE TABLE open_calls (
    pbx         TEXT NOT NULL,
    linkedid    TEXT NOT NULL,
    state       TEXT NOT NULL,
    seen_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (pbx, linkedid)
);
