-- onemap.component.batch_id names the import batch that wrote a version. As a foreign key it was
-- checked row by row: a lookup and a KEY SHARE lock of the same batch row for every component,
-- ~3.7 µs a row, 3.7 s of a million-row import (a 200,000-row INSERT … SELECT timed with and
-- without the constraint). The same rule is now checked once per statement over the distinct
-- batches the statement wrote, taking the lock the foreign key took (FOR KEY SHARE), so a batch
-- cannot disappear while versions naming it are written; deleting a batch that versions name is
-- refused as before (its id, an identity column GENERATED ALWAYS, cannot be changed). Both raise
-- foreign_key_violation (23503).
ALTER TABLE onemap.component DROP CONSTRAINT component_batch_id_fkey;

CREATE FUNCTION onemap.component_batch_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    named bigint[];
    missing bigint;
BEGIN
    SELECT array_agg(d.batch_id) INTO named
    FROM (SELECT DISTINCT batch_id FROM new_rows WHERE batch_id IS NOT NULL) AS d;
    PERFORM 1 FROM onemap.import_batch b WHERE b.id = ANY (named) FOR KEY SHARE;
    SELECT n INTO missing
    FROM unnest(named) AS n
    WHERE NOT EXISTS (SELECT 1 FROM onemap.import_batch b WHERE b.id = n)
    LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'onemap.component names import batch %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = 'component', SCHEMA = 'onemap';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER component_batch_ins AFTER INSERT ON onemap.component
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap.component_batch_check();
CREATE TRIGGER component_batch_upd AFTER UPDATE ON onemap.component
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap.component_batch_check();

CREATE FUNCTION onemap.import_batch_in_use() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM onemap.component WHERE batch_id = OLD.id) THEN
        RAISE EXCEPTION 'import batch % is named by versions of onemap.component', OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'import_batch', SCHEMA = 'onemap';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER import_batch_in_use BEFORE DELETE ON onemap.import_batch
    FOR EACH ROW EXECUTE FUNCTION onemap.import_batch_in_use();
