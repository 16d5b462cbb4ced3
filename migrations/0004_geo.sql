-- Countries of banned addresses. An address the database does not know is kept with
-- country NULL (unresolved), so that a re-resolve can retry it; it is never given a made-up
-- country.
CREATE TABLE geo_cache (
    ip inet PRIMARY KEY,
    country char(2),
    -- where the answer came from: 'mmdb', or 'none' when no database was available
    source text NOT NULL,
    resolved_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 1
);
CREATE INDEX geo_cache_unresolved_idx ON geo_cache (ip) WHERE country IS NULL;
