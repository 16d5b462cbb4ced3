-- An address's timeline is read a page at a time, newest first: the address and the start
-- time in one index (it also serves every lookup by address the old one did).
CREATE INDEX ban_history_ip_started_idx ON ban_history (ip, started_at DESC, id DESC);
DROP INDEX ban_history_ip_idx;
