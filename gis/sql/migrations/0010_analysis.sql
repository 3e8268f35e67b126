-- Hot spot analysis (issue 9): the latest Getis-Ord Gi* result per unit grid cell, published as
-- the map layer `hotspots` (kind 'analysis', coloured by bin in the fused tileset).
--
-- `onemap analysis hotspots --store` and POST /analysis/hotspots replace the whole table in one
-- transaction; the parameters of the run (period, classes, inference) are kept on every row so a
-- map popup can say what it shows.

CREATE TABLE onemap.hotspot_cell (
    grid_code    text PRIMARY KEY CHECK (grid_code ~ '^[0-9]{15}$'),
    cases        integer NOT NULL CHECK (cases >= 0),
    gi           double precision,
    z            double precision,
    p            double precision CHECK (p IS NULL OR p BETWEEN 0 AND 1),
    bin          smallint NOT NULL CHECK (bin BETWEEN -3 AND 3),
    period_from  date NOT NULL,
    period_to    date NOT NULL,
    class_codes  text NOT NULL DEFAULT '',
    permutations integer NOT NULL,
    fdr          boolean NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (period_to > period_from)
);

-- Cells of the current unit grid only: a re-division drops results of cells that no longer exist.
-- Days as ISO text, so that vector tiles carry them as strings.
CREATE VIEW onemap.v_hotspot AS
    SELECT h.grid_code AS code, g.community_code, h.cases, h.z, h.p, h.bin,
           h.period_from::text AS period_from, h.period_to::text AS period_to, h.class_codes,
           h.computed_at, g.geom, g.geom_3857
    FROM onemap.hotspot_cell h JOIN onemap.v_unit_grid g ON g.code = h.grid_code;

CREATE FUNCTION onemap.bump_hotspot_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() WHERE kind = 'analysis';
    RETURN NULL;
END
$$;
CREATE TRIGGER hotspot_cell_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON onemap.hotspot_cell
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_hotspot_version();

INSERT INTO onemap.layer (name, title, description, kind, relation, id_column, properties,
                          geometry_type, min_zoom, max_zoom, sort_order) VALUES
    ('hotspots', '案件热点', 'Latest Getis-Ord Gi* hot and cold spots of cases per unit grid cell: '
     'bin -3..3 = cold/hot at 99/95/90 % confidence', 'analysis', 'onemap.v_hotspot', 'code',
     '{code,community_code,cases,z,p,bin,period_from,period_to,class_codes}', 'polygon', 10, 22, 42);
