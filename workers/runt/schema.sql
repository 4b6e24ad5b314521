-- Runt telemetry: one row per submitted event.
-- Apply with: flarelet d1 execute runt-telemetry --local --file=workers/runt/schema.sql
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    install_id TEXT NOT NULL,              -- Ed25519 public key of the install, hex, as sent
    event_type TEXT NOT NULL,
    event_data TEXT,                       -- compact JSON text of the event data, or NULL
    created_at TEXT DEFAULT (datetime('now')), -- timestamp sent by the client, if any

    -- Prevent exact duplicates: with INSERT OR IGNORE a resubmitted batch adds no rows.
    UNIQUE(install_id, event_type, created_at)
);

CREATE INDEX IF NOT EXISTS idx_events_install_id ON events(install_id);
CREATE INDEX IF NOT EXISTS idx_events_event_type ON events(event_type);
CREATE INDEX IF NOT EXISTS idx_events_created_at ON events(created_at);

-- Example event_type values:
--   auto_launch  - kernel auto-launch attempt
--   kernel_start - manual kernel start
--   cell_execute - cell execution
--   app_open     - app opened
--   app_close    - app closed
