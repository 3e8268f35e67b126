"""The published unit grid of the demo city, and publishing with version history."""

import psycopg
import pytest
import shapely

from gis.crs import CGCS2000, transform
from gis.demo import futian
from grid_codes.division import divide_communities
from layers.unit_grid import current_cells, highest_serials, locate, publish


def test_demo_grid_tiles_every_community_exactly(conn):
    # 3e-7° ≈ 3 cm: the division snaps to a millimetre grid in the Gauss-Krüger zone and the
    # cells come back through EPSG:4490, so edges may move by a centimetre or so.
    rows = conn.execute("""
        SELECT c.code, ST_Area(c.geom::geography), sum(ST_Area(g.geom::geography)),
               bool_and(ST_CoveredBy(g.geom, ST_Buffer(c.geom, 3e-7))), bool_and(left(g.code, 12) = c.code)
        FROM onemap.admin_area c JOIN onemap.v_unit_grid g ON g.community_code = c.code
        WHERE c.level = 'community' GROUP BY c.code, c.geom
    """).fetchall()
    assert len(rows) == 33
    for code, community_area, cells_area, covered, coded in rows:
        assert covered and coded, code
        assert cells_area == pytest.approx(community_area, rel=1e-4), code


def test_locate_names_cell_community_street_and_county(conn):
    cell_code, x, y = conn.execute(
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM onemap.v_unit_grid ORDER BY code LIMIT 1").fetchone()
    where = locate(conn, x, y)
    assert where.grid_code == cell_code
    assert where.community_code == cell_code[:12]
    assert where.street_code == cell_code[:9]
    assert (where.county_code, where.county_name) == ("440304", "福田区")


def test_locate_outside_the_city_finds_nothing(conn):
    assert locate(conn, 116.4, 39.9).grid_code is None


@pytest.fixture
def city(settings):
    return futian.build(settings.data_dir)


def _redivide(conn: psycopg.Connection, city, barriers):
    codes = [c.code for c in city.communities_in_zone]
    previous = current_cells(conn, codes, zone_epsg=city.zone_epsg)
    division = divide_communities(city.communities_in_zone, barriers, previous=previous,
                                  highest_serials=highest_serials(conn, codes))
    return publish(conn, division.cells, zone_epsg=city.zone_epsg, previous=previous)


def _barriers(city):
    return [
        transform(line, CGCS2000, city.zone_epsg)
        for _, _, kind, line in city.roads if kind in futian.GRID_BARRIER_HIGHWAYS]


def test_republishing_an_unchanged_division_changes_nothing(conn, city):
    before = conn.execute("SELECT count(*) FROM onemap.unit_grid").fetchone()
    result = _redivide(conn, city, _barriers(city))
    after = conn.execute("SELECT count(*) FROM onemap.unit_grid").fetchone()
    assert (result.inserted, result.retired) == (0, 0)
    assert before == after


def test_a_new_barrier_retires_only_the_cells_it_crosses_and_keeps_history(conn, city):
    cell = conn.execute("SELECT code, ST_AsBinary(geom) FROM onemap.v_unit_grid "
                        "WHERE area_m2 > 15000 ORDER BY code LIMIT 1").fetchone()
    target = transform(shapely.from_wkb(cell[1]), CGCS2000, city.zone_epsg)
    x0, y0, x1, y1 = target.bounds
    new_road = shapely.LineString([(x0 - 1, (y0 + y1) / 2), (x1 + 1, (y0 + y1) / 2)])
    total = conn.execute("SELECT count(*) FROM onemap.v_unit_grid").fetchone()[0]
    result = _redivide(conn, city, [*_barriers(city), new_road])
    assert 1 <= result.retired < total / 10
    assert result.kept == total - result.retired
    retired = conn.execute("SELECT count(*) FROM onemap.unit_grid WHERE valid_to IS NOT NULL "
                           "AND code = %s", (cell[0],)).fetchone()[0]
    assert retired == 1  # the crossed cell's old version is kept as history
