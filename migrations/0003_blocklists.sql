-- Blocklist sources, the addresses each one banned, and the log of import runs.
CREATE TABLE blocklist_sources (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 100),
    url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    jail text NOT NULL DEFAULT 'blocklist-import',
    enabled boolean NOT NULL DEFAULT true,
    -- set by DELETE: the next run unbans what only this source banned, then removes the row
    deleted boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- What a source banned: an import unbans only addresses its own source added, and only when
-- no other source of the same jail still lists them.
CREATE TABLE blocklist_members (
    source_id bigint NOT NULL REFERENCES blocklist_sources (id) ON DELETE CASCADE,
    ip inet NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, ip)
);
CREATE INDEX blocklist_members_ip_idx ON blocklist_members (ip);

CREATE TABLE blocklist_runs (
    id bigserial PRIMARY KEY,
    source_id bigint REFERENCES blocklist_sources (id) ON DELETE SET NULL,
    source_name text NOT NULL,
    job_id text,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    downloaded_bytes bigint,
    valid integer,
    invalid integer,
    duplicates integer,
    newly_banned integer,
    already_banned integer,
    removed integer,
    error text
);
CREATE INDEX blocklist_runs_started_idx ON blocklist_runs (started_at DESC, id DESC);

-- Instance-wide settings as JSON values (the blocklist import schedule, …).
CREATE TABLE settings (
    key text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
