-- The ban archive: every ban fail2ban made (its own database keeps them a day and deletes
-- the rows of manual unbans), and every ban and unban made through bangui, as they happen.
CREATE TABLE ban_history (
    id bigserial PRIMARY KEY,
    jail text NOT NULL,
    ip inet NOT NULL,
    started_at timestamptz NOT NULL,
    -- seconds; -1 for a permanent ban
    duration_secs bigint NOT NULL,
    ban_count integer NOT NULL DEFAULT 1,
    failures integer NOT NULL DEFAULT 0,
    -- the log lines that caused the ban (fail2ban keeps at most dbmaxmatches)
    matches jsonb NOT NULL DEFAULT '[]',
    origin text NOT NULL CHECK (origin IN ('blocklist', 'manual', 'auto')),
    unbanned_at timestamptz,
    -- who lifted it: 'session:<id prefix>', 'blocklist', …
    unbanned_by text,
    UNIQUE (jail, ip, started_at)
);
CREATE INDEX ban_history_started_idx ON ban_history (started_at DESC, id DESC);
CREATE INDEX ban_history_ip_idx ON ban_history (ip);
