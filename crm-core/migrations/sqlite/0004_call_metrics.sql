-- Per-call figures (ARCHITECTURE.md, "Metrics"), written by the metrics job once the
-- call is in the log and again until its FCR status is settled: the service-level flag
-- (offered calls only), whether it was a first contact (answered inbound calls only), its
-- FCR status, and when they were computed.
ALTER TABLE calls ADD COLUMN service_level_met BOOLEAN;
ALTER TABLE calls ADD COLUMN first_contact BOOLEAN;
ALTER TABLE calls ADD COLUMN fcr_status TEXT;
ALTER TABLE calls ADD COLUMN metrics_at_ms BIGINT;
CREATE INDEX calls_fcr_pending ON calls (fcr_status, started_at_ms);
