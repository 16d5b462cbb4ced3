-- How many archived bans each address has, kept by triggers: the dashboard marks repeat
-- offenders on every listed ban, and counting a heavy offender's bans row by row grows with
-- the archive.
CREATE TABLE address_ban_counts (
    ip inet PRIMARY KEY,
    bans bigint NOT NULL
);
INSERT INTO address_ban_counts SELECT ip, count(*) FROM ban_history GROUP BY ip;

CREATE FUNCTION bangui_count_inserted_bans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- In address order, so that concurrent writers lock the counters in the same order.
    INSERT INTO address_ban_counts AS c (ip, bans)
        SELECT ip, count(*) FROM inserted GROUP BY ip ORDER BY ip
    ON CONFLICT (ip) DO UPDATE SET bans = c.bans + EXCLUDED.bans;
    RETURN NULL;
END
$$;

CREATE FUNCTION bangui_count_deleted_bans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE address_ban_counts c SET bans = c.bans - d.bans
        FROM (SELECT ip, count(*) AS bans FROM deleted GROUP BY ip ORDER BY ip) d
        WHERE c.ip = d.ip;
    DELETE FROM address_ban_counts WHERE bans <= 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION bangui_count_truncated_bans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE address_ban_counts;
    RETURN NULL;
END
$$;

CREATE TRIGGER ban_history_count_inserted
    AFTER INSERT ON ban_history REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION bangui_count_inserted_bans();

CREATE TRIGGER ban_history_count_deleted
    AFTER DELETE ON ban_history REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION bangui_count_deleted_bans();

CREATE TRIGGER ban_history_count_truncated
    AFTER TRUNCATE ON ban_history
    FOR EACH STATEMENT EXECUTE FUNCTION bangui_count_truncated_bans();
