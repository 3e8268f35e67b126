"""Shared set-up of the OGC write tests: a component layer's items, a free spot in it, a feature body."""

import json

import psycopg

GEOJSON = {"Accept": "application/geo+json", "Content-Type": "application/geo+json"}
COLLECTION = "/collections/components_gb47678_01002/items"


def free_spot(db: psycopg.Connection, class_code: str = "01002") -> tuple[float, float]:
    """A point in the city at least 5 m from every component of the class."""
    row = db.execute(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Translate(geom, 0.0003, 0.0002) AS p "
        "FROM onemap.v_component WHERE class_code = %s ORDER BY id) s "
        "WHERE NOT EXISTS (SELECT 1 FROM onemap.v_component c "
        "WHERE c.class_code = %s AND ST_DWithin(c.geom::geography, s.p::geography, 5)) LIMIT 1",
        (class_code, class_code)).fetchone()
    return row[0], row[1]


def feature_json(xy: tuple[float, ...], **properties) -> str:
    """A GeoJSON Feature body of a point component at `xy`, with a department and a name unless given."""
    props = {"competent_dept_name": "福田区城市管理和综合执法局", "name": "污水井盖", **properties}
    return json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": list(xy)},
                       "properties": props}, ensure_ascii=False)
