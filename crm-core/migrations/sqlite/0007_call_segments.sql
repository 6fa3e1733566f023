-- Each agent's part in a call, as the tracker measured it: one row per agent leg that was
-- connected (a transferred call has one per agent), in order. A call written before this
-- migration has none (its answering agent's part is the whole call).
CREATE TABLE call_segments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id          INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    extension        TEXT NOT NULL,
    connected_at_ms  INTEGER NOT NULL,
    talk_ms          INTEGER,
    UNIQUE (call_id, seq)
);
CREATE INDEX call_segments_extension ON call_segments (extension);
