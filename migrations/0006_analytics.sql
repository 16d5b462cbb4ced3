-- Analytics over the ban archive: the windows of the dashboard filter by start time and by
-- jail or origin, the history page searches addresses by their beginning.
CREATE INDEX ban_history_jail_started_idx ON ban_history (jail, started_at DESC);
CREATE INDEX ban_history_origin_started_idx ON ban_history (origin, started_at DESC);
CREATE INDEX ban_history_host_idx ON ban_history (host(ip) text_pattern_ops);
