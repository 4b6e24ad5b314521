-- Telemetry Kit server: D1 schema (idempotent; safe to apply more than once).
--   flarelet d1 execute telemetry-kit --file=workers/telemetry-kit/schema.sql -c workers/telemetry-kit/wrangler.toml
--
-- SQLite mapping of the upstream PostgreSQL migration: UUIDs as canonical lowercase hyphenated TEXT, TIMESTAMPTZ as
-- TEXT 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC, six fraction digits), JSONB as compact JSON TEXT, BOOLEAN as 0/1,
-- VARCHAR(n) as TEXT with a length check, the token_tier enum as a CHECK.

-- API tokens: one per org/app pair.
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    token TEXT UNIQUE NOT NULL CHECK (length(token) <= 255),
    secret TEXT NOT NULL CHECK (length(secret) <= 255),
    tier TEXT NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'business', 'enterprise')),
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
    last_used_at TEXT,
    CONSTRAINT unique_org_app UNIQUE (org_id, app_id)
);

CREATE INDEX IF NOT EXISTS idx_tokens_token ON api_tokens(token) WHERE is_active = 1;
CREATE INDEX IF NOT EXISTS idx_tokens_org_app ON api_tokens(org_id, app_id);

-- Ingested events, one row per accepted event.
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT UNIQUE NOT NULL,
    org_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    schema_version TEXT NOT NULL CHECK (length(schema_version) <= 20),
    timestamp TEXT NOT NULL,
    service_name TEXT NOT NULL CHECK (length(service_name) <= 255),
    service_version TEXT NOT NULL CHECK (length(service_version) <= 100),
    service_language TEXT NOT NULL CHECK (length(service_language) <= 50),
    service_language_version TEXT CHECK (length(service_language_version) <= 50),
    user_id TEXT NOT NULL CHECK (length(user_id) <= 255),
    session_id TEXT CHECK (length(session_id) <= 255),
    os TEXT CHECK (length(os) <= 50),
    os_version TEXT CHECK (length(os_version) <= 100),
    arch TEXT CHECK (length(arch) <= 50),
    ci INTEGER CHECK (ci IN (0, 1)),
    shell TEXT CHECK (length(shell) <= 50),
    event_type TEXT NOT NULL CHECK (length(event_type) <= 100),
    event_category TEXT CHECK (length(event_category) <= 50),
    event_data TEXT NOT NULL CHECK (json_valid(event_data)),
    sdk_version TEXT NOT NULL CHECK (length(sdk_version) <= 50),
    transmission_timestamp TEXT NOT NULL,
    batch_size INTEGER NOT NULL,
    retry_count INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
);

CREATE INDEX IF NOT EXISTS idx_events_org_app ON events(org_id, app_id);
CREATE INDEX IF NOT EXISTS idx_events_timestamp ON events(timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_events_user_id ON events(user_id);
CREATE INDEX IF NOT EXISTS idx_events_event_type ON events(event_type);
CREATE INDEX IF NOT EXISTS idx_events_service_name ON events(service_name, timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_events_event_id ON events(event_id);
CREATE INDEX IF NOT EXISTS idx_events_analytics ON events(org_id, app_id, timestamp DESC, event_type);
-- idx_events_data_gin (GIN on event_data) has no SQLite equivalent; nothing queries event_data.

-- Development seed token (upstream README and migration). The id is a fresh lowercase UUID v4; re-applying the
-- schema keeps the existing row.
INSERT OR IGNORE INTO api_tokens (id, org_id, app_id, token, secret, tier)
VALUES (
    lower(
        hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
        || substr('89AB', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))
    ),
    '550e8400-e29b-41d4-a716-446655440000',
    '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    'tk_550e8400e29b41d4a716446655440000_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6',
    '9f4b3c2a1e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0',
    'free'
);
