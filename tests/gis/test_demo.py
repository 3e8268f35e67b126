"""The demo city: generated polygons that tile correctly, with the real codes and names."""

import csv

import numpy as np
import pytest
import shapely

from gis.demo import futian
from gis.demo.boundaries import AreaSpec, blocks_from_roads, divide


def test_generated_blocks_tile_the_extent_exactly():
    extent = shapely.box(0, 0, 1000, 800)
    roads = [shapely.LineString([(x, -50), (x, 850)]) for x in (200, 500, 730)]
    roads += [shapely.LineString([(-50, 400), (1050, 400)])]
    blocks = blocks_from_roads(roads, extent, lattice_m=150)
    assert shapely.area(blocks).sum() == pytest.approx(extent.area, rel=1e-9)
    assert shapely.union_all(blocks).symmetric_difference(extent).area < 1e-6
    assert shapely.area(blocks).max() <= 150 * 150 + 1e-6


def test_divide_places_every_community_inside_its_street_in_reading_order():
    blocks = shapely.box(*np.meshgrid(np.arange(0, 1000, 100), np.arange(0, 1000, 100)),
                         *np.meshgrid(np.arange(100, 1100, 100), np.arange(100, 1100, 100))).ravel()
    streets = [AreaSpec(f"44030400{i}", f"s{i}", tuple(
        AreaSpec(f"44030400{i}00{j}", f"c{j}") for j in range(1, 4))) for i in (1, 2)]
    areas = divide(blocks, streets)
    by_code = {a.code: a for a in areas}
    for area in areas:
        if area.level == "community":
            assert by_code[area.parent_code].geometry.buffer(1e-6).contains(area.geometry)
    # the first street is the western (or northern) half: its centre is not east of the second's
    first, second = by_code["440304001"].geometry.centroid, by_code["440304002"].geometry.centroid
    assert (first.x, -first.y) < (second.x, -second.y)


def test_build_is_reproducible(settings):
    one, two = futian.build(settings.data_dir), futian.build(settings.data_dir)
    assert [shapely.to_wkb(a.geometry) for a in one.areas] == [
        shapely.to_wkb(a.geometry) for a in two.areas]


def test_loaded_codes_and_names_are_the_real_ones(conn, settings):
    with (settings.data_dir / "futian" / "communities.csv").open(encoding="utf-8") as handle:
        expected = {r["code"]: r["name"] for r in csv.DictReader(handle)
                    if r["streetCode"] in futian.DEMO_STREETS}
    loaded = dict(conn.execute(
        "SELECT code, name FROM onemap.admin_area WHERE level = 'community'").fetchall())
    assert loaded == expected


def test_communities_tile_their_streets_and_streets_tile_the_county(conn):
    rows = conn.execute("""
        SELECT p.code, ST_Area(p.geom::geography), ST_Area(ST_Union(c.geom)::geography),
               sum(ST_Area(c.geom::geography)), bool_and(ST_CoveredBy(c.geom, ST_Buffer(p.geom, 1e-7)))
        FROM onemap.admin_area p JOIN onemap.admin_area c ON c.parent_code = p.code
        GROUP BY p.code, p.geom
    """).fetchall()
    assert len(rows) == 4  # the county and three streets
    for code, parent_area, union_area, summed_area, covered in rows:
        assert covered, code
        assert union_area == pytest.approx(parent_area, rel=1e-4), code
        assert summed_area == pytest.approx(parent_area, rel=1e-4), code  # no overlaps


def test_roads_are_loaded_in_cgcs2000_inside_the_county(conn):
    # The county is the roads' convex hull snapped to 1 cm, so hull roads may sit a few mm out.
    count, outside = conn.execute("""
        SELECT count(*), count(*) FILTER (WHERE NOT ST_DWithin(r.geom, a.geom, 1e-6))
        FROM onemap.road r, onemap.admin_area a WHERE a.level = 'county'
    """).fetchone()
    assert count > 2000
    assert outside == 0
