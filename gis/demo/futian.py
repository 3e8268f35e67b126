"""The demo city: Shenzhen Futian (福田区, 440304), loaded from the files shipped in data/futian/."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from shapely.geometry.base import BaseGeometry

from gis.crs import CGCS2000, gauss_kruger_epsg, transform
from gis.demo import cases_city, components, doorplates
from gis.demo.boundaries import BLOCK_HIGHWAYS, AreaSpec, GeneratedArea, blocks_from_roads, divide
from gis.errors import ConfigurationError
from grid_codes.division import Community, divide_communities
from layers.survey_import import ImportOptions, ImportResult, import_components
from layers.unit_grid import PublishResult, current_cells, highest_serials, publish

VINTAGE = 2023
ROAD_SOURCE = "osm:futian"
AREA_SOURCE = "onemap demo: generated from OpenStreetMap roads; NBS 2023 codes"
# The streets whose territory the road extract covers, listed north-west, north-east, south
# (the order `divide` numbers its groups in): 香蜜湖, 莲花 (景田), 沙头 (车公庙, 上沙/下沙).
DEMO_STREETS = ("440304006", "440304008", "440304005")


# Roads that bound unit grid cells: everything a vehicle or a sweeper drives along.
GRID_BARRIER_HIGHWAYS = BLOCK_HIGHWAYS | {"service", "pedestrian", "motorway_link", "trunk_link",
                                         "primary_link", "secondary_link", "tertiary_link"}


@dataclass(frozen=True)
class DemoCity:
    county_code: str
    county_name: str
    areas: list[GeneratedArea]  # streets then communities, EPSG:4490
    roads: list[tuple[str, str | None, str, BaseGeometry]]  # osm id, name, highway, EPSG:4490
    zone_epsg: int  # the Gauss-Krüger zone the city's maths is done in
    communities_in_zone: list[Community]  # as generated, before the round trip to EPSG:4490


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ConfigurationError(f"demo data file {path} is missing (ONEMAP_DATA_DIR={path.parent.parent})")
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def build(data_dir: Path) -> DemoCity:
    """Read the shipped files and generate the street and community polygons (see boundaries.py)."""
    folder = data_dir / "futian"
    county = _read_csv(folder / "county.csv")[0]
    street_names = {row["code"]: row["name"] for row in _read_csv(folder / "streets.csv")}
    communities = _read_csv(folder / "communities.csv")
    specs = [
        AreaSpec(code, street_names[code], tuple(
            AreaSpec(row["code"], row["name"]) for row in communities if row["streetCode"] == code
        ))
        for code in DEMO_STREETS
    ]
    features = json.loads((folder / "roads.geojson").read_text(encoding="utf-8"))["features"]
    lines = np.array([shapely.geometry.shape(f["geometry"]) for f in features], dtype=object)
    # OSM coordinates are WGS84; CGCS2000 agrees with it to a few centimetres, so they are
    # taken as EPSG:4490 directly, and projected to the area's Gauss-Krüger zone for the maths.
    zone = gauss_kruger_epsg(float(np.mean(shapely.total_bounds(lines)[[0, 2]])))
    projected = transform(lines, CGCS2000, zone)
    extent = shapely.convex_hull(shapely.union_all(projected))
    is_block_edge = np.array([f["properties"]["highway"] in BLOCK_HIGHWAYS for f in features])
    blocks = blocks_from_roads(projected[is_block_edge], extent)
    generated = divide(blocks, specs)
    areas = [
        GeneratedArea(a.code, a.name, a.level, a.parent_code or county["code"],
                      _valid_multipolygon(transform(a.geometry, zone, CGCS2000)))
        for a in generated
    ]
    roads = [
        (str(f["properties"]["osm_id"]) + f":{f['properties']['u']}-{f['properties']['v']}"
         f"-{f['properties']['key']}", f["properties"]["name"], f["properties"]["highway"], line)
        for f, line in zip(features, lines, strict=True)
    ]
    in_zone = [Community(a.code, a.geometry) for a in generated if a.level == "community"]
    return DemoCity(county["code"], county["name"], areas, roads, zone, in_zone)


def _valid_multipolygon(geometry: BaseGeometry) -> shapely.MultiPolygon:
    """Reprojection can leave a ring touching itself; repair and keep the polygonal parts."""
    repaired = shapely.make_valid(geometry)
    parts = [p for p in shapely.get_parts(repaired) if p.geom_type == "Polygon"]
    if repaired.geom_type == "GeometryCollection":
        parts = [q for p in shapely.get_parts(repaired) for q in shapely.get_parts(p)
                 if q.geom_type == "Polygon"]
    return shapely.MultiPolygon(parts)


_UPSERT_AREA = """
INSERT INTO onemap.admin_area (code, level, name, parent_code, vintage, source, geom)
VALUES (%s, %s, %s, %s, %s, %s, ST_Multi(ST_GeomFromWKB(%s, 4490)))
ON CONFLICT (code) DO UPDATE SET level = excluded.level, name = excluded.name,
    parent_code = excluded.parent_code, vintage = excluded.vintage, source = excluded.source,
    geom = excluded.geom
"""
_INSERT_ROAD = """
INSERT INTO onemap.road (source, source_id, name, kind, geom)
VALUES (%s, %s, %s, %s, ST_GeomFromWKB(%s, 4490))
"""


def load(conn: psycopg.Connection, city: DemoCity) -> dict[str, int]:
    """Replace the demo city in the database in one transaction; return row counts."""
    county_geom = _valid_multipolygon(
        shapely.union_all([a.geometry for a in city.areas if a.level == "street"]))
    rows = [(city.county_code, "county", city.county_name, None, county_geom)] + [
        (a.code, a.level, a.name, a.parent_code, a.geometry) for a in city.areas
    ]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(_UPSERT_AREA, [
            (code, level, name, parent, VINTAGE, AREA_SOURCE, shapely.to_wkb(geom))
            for code, level, name, parent, geom in rows
        ])
        cur.execute("DELETE FROM onemap.road WHERE source = %s", (ROAD_SOURCE,))
        cur.executemany(_INSERT_ROAD, [
            (ROAD_SOURCE, source_id, name, kind, shapely.to_wkb(line))
            for source_id, name, kind, line in city.roads
        ])
        cur.execute(
            "UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() "
            "WHERE kind IN ('admin', 'road')"
        )
        plates = doorplates.load(conn, [(n, k, g) for _, n, k, g in city.roads], city.county_code,
                                 city.zone_epsg)
    return {"streets": len(DEMO_STREETS), "communities": len(rows) - 1 - len(DEMO_STREETS),
            "roads": len(city.roads), **plates}


def load_components(conn: psycopg.Connection, city: DemoCity, workdir: Path) -> ImportResult:
    """Generate the demo census and load it through the survey import (upsert: re-runs are no-ops)."""
    roads = [(kind, transform(line, CGCS2000, city.zone_epsg)) for _, _, kind, line in city.roads]
    area = shapely.union_all([c.geometry for c in city.communities_in_zone]).buffer(-0.5)
    rows = components.generate(roads, city.county_code, area)
    geometries = transform(np.array([r.pop("geometry") for r in rows], dtype=object),
                           city.zone_epsg, CGCS2000)
    survey = workdir / "futian_components.gpkg"
    gpd.GeoDataFrame(rows, geometry=list(geometries), crs=CGCS2000).to_file(survey, engine="pyogrio")
    options = ImportOptions(scheme="gb47678", mode="upsert", actor="onemap demo")
    return import_components(conn, [survey], options)


def divide_grid(conn: psycopg.Connection, city: DemoCity) -> PublishResult:
    """Divide the demo communities into unit grids along the roads and publish them.

    Re-running keeps the codes of unchanged cells (the previous division is read back).
    """
    communities = city.communities_in_zone
    barriers = [transform(line, CGCS2000, city.zone_epsg)
                for _, _, kind, line in city.roads if kind in GRID_BARRIER_HIGHWAYS]
    codes = [c.code for c in communities]
    previous = current_cells(conn, codes, zone_epsg=city.zone_epsg)
    division = divide_communities(communities, barriers, previous=previous,
                                  highest_serials=highest_serials(conn, codes))
    with conn.transaction():
        published = publish(conn, division.cells, zone_epsg=city.zone_epsg, previous=previous)
        cases_city.prepare(conn, city.county_code)  # calendar, responsibility grids (issue 7)
        return published
