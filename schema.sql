-- VoiceMode telemetry D1 schema (port of mbailey/voicemode cloudflare-worker/schema.sql).
-- Idempotent: every statement uses IF NOT EXISTS, so it can be applied any number of times.
--
--   flarelet d1 execute voicemode-telemetry --local --file=schema.sql

-- One row per accepted telemetry event.
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,      -- client-chosen id, the primary key makes submissions idempotent
    telemetry_id TEXT NOT NULL,     -- anonymous UUID of the client installation
    timestamp TEXT NOT NULL,        -- client timestamp, stored exactly as sent
    created_at TEXT NOT NULL,       -- server receipt time, YYYY-MM-DDTHH:MM:SS.sssZ (retention uses it)
    environment TEXT NOT NULL,      -- JSON: {os, version, installation_method, mcp_host, execution_source}
    usage TEXT NOT NULL,            -- JSON: {total_sessions, duration_distribution, transport_usage, provider_usage}
    client_ip_hash TEXT NOT NULL    -- first 16 hex characters of SHA-256 of the client IP
);

-- Events of one installation (retention analysis).
CREATE INDEX IF NOT EXISTS idx_events_telemetry_id ON events(telemetry_id);

-- Time-series queries (DAU, WAU).
CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp);

-- The daily retention cleanup.
CREATE INDEX IF NOT EXISTS idx_events_created_at ON events(created_at);

-- Activity of one installation over time.
CREATE INDEX IF NOT EXISTS idx_events_telemetry_timestamp ON events(telemetry_id, timestamp);
