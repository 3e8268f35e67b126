-- One trigger function bumps a layer's data_version (the key of its tile cache entries) for every
-- table behind a layer; its argument is the layer's name. It replaces one function per table
-- (migrations 0006 and 0010), which differed only in that name.
CREATE FUNCTION onemap.bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$;

DROP TRIGGER city_case_version ON onemap.city_case;
CREATE TRIGGER city_case_version AFTER INSERT OR UPDATE OR DELETE ON onemap.city_case
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_layer_version('cases');
DROP TRIGGER resp_grid_version ON onemap.resp_grid;
CREATE TRIGGER resp_grid_version AFTER INSERT OR UPDATE OR DELETE ON onemap.resp_grid
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_layer_version('resp_grids');
DROP TRIGGER hotspot_cell_version ON onemap.hotspot_cell;
CREATE TRIGGER hotspot_cell_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON onemap.hotspot_cell
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_layer_version('hotspots');

DROP FUNCTION onemap.bump_cases_version(), onemap.bump_resp_grid_version(), onemap.bump_hotspot_version();
