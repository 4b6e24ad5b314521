-- Minigem telemetry: D1 schema (section 14 of the spec; idempotent, safe to apply more than once).
-- The worker applies the same statements on its first request.
--   flarelet d1 execute minigem --file=workers/minigem/schema.sql -c workers/minigem/wrangler.toml
--
-- PostgreSQL -> SQLite: bigserial -> INTEGER PRIMARY KEY AUTOINCREMENT; timestamptz -> TEXT (ISO-8601 UTC with
-- milliseconds as JavaScript prints dates) plus t_ms (the same instant in Unix milliseconds, used by every range
-- filter, ordering and bucket); jsonb -> TEXT checked by json_valid; boolean -> INTEGER 0/1; integer -> INTEGER
-- checked to the 32-bit range.

CREATE TABLE IF NOT EXISTS telemetry_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    t TEXT NOT NULL,
    t_ms INTEGER NOT NULL,
    anon TEXT NOT NULL,
    evt TEXT NOT NULL,
    os TEXT,
    ext TEXT,
    vscode TEXT,
    country TEXT,
    region TEXT,
    duration_ms INTEGER,
    wait_ms_total INTEGER,
    exit_code INTEGER CHECK (exit_code BETWEEN -2147483648 AND 2147483647),
    session_id TEXT,
    out_bytes_bucket TEXT,
    scanner_usage INTEGER CHECK (scanner_usage IN (0, 1)),
    truncated_output INTEGER CHECK (truncated_output IN (0, 1)),
    error_phase TEXT,
    exception_hash TEXT,
    m TEXT CHECK (m IS NULL OR json_valid(m))
);

CREATE INDEX IF NOT EXISTS idx_events_t ON telemetry_events (t_ms);
CREATE INDEX IF NOT EXISTS idx_events_evt ON telemetry_events (evt);
CREATE INDEX IF NOT EXISTS idx_events_country ON telemetry_events (country);
CREATE INDEX IF NOT EXISTS idx_events_os ON telemetry_events (os);
CREATE INDEX IF NOT EXISTS idx_events_ext ON telemetry_events (ext);
CREATE INDEX IF NOT EXISTS idx_events_vscode ON telemetry_events (vscode);
CREATE INDEX IF NOT EXISTS idx_events_anon ON telemetry_events (anon);
CREATE INDEX IF NOT EXISTS idx_events_session ON telemetry_events (session_id);
