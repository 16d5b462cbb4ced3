-- Imports of networks (issue 14): entries covered by a listed network, and entries skipped
-- because banning them would lock someone out (with the first of them and why).
ALTER TABLE blocklist_runs
    ADD COLUMN covered integer,
    ADD COLUMN refused integer,
    ADD COLUMN refusals jsonb NOT NULL DEFAULT '[]';
