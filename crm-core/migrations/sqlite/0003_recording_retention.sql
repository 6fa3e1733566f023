-- Recordings: the waveform peaks (hex, one byte per bucket) and an index for retention.
ALTER TABLE recordings ADD COLUMN peaks TEXT NOT NULL DEFAULT '';
CREATE INDEX recordings_created ON recordings (created_at_ms);

-- Calls a supervisor marked to keep: their recordings are exempt from retention.
ALTER TABLE calls ADD COLUMN keep BOOLEAN NOT NULL DEFAULT FALSE;

-- Files of the spool folder already taken (ingested or quarantined), by a key the
-- watcher builds from the file's name, size and modification time: a restart never
-- ingests a file twice, even after retention deleted its recording.
CREATE TABLE spool_taken (
    file_key        TEXT PRIMARY KEY,
    taken_at_ms     BIGINT NOT NULL
);
