-- Tells bangui's workers, at commit, that the ban archive or the geo cache changed, whoever
-- wrote it: aggregates cached from them are then computed afresh.
CREATE FUNCTION bangui_archive_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bangui_archive_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER ban_history_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ban_history
    FOR EACH STATEMENT EXECUTE FUNCTION bangui_archive_changed();

CREATE TRIGGER geo_cache_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON geo_cache
    FOR EACH STATEMENT EXECUTE FUNCTION bangui_archive_changed();
