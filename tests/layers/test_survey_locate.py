"""Survey rows prepared in Python: location identical to the database's rule, serials, COPY text, JSON."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import shapely

from layers.survey_locate import (
    Allocation,
    anchors,
    delivered_code_notes,
    locate_rows,
    numbered,
    serial_ranks,
)
from layers.survey_stage import REBUILD_MIN_ROWS, attributes_json, wants_rebuild

# The database's rule (the SQL that located survey rows before): lowest code among the current
# cells the anchor intersects, else the lowest community / county.
_ORACLE_SQL = """
SELECT p.i, g.code,
       coalesce(left(g.code, 12), (SELECT a.code FROM onemap.admin_area a WHERE a.level = 'community'
                                   AND ST_Intersects(a.geom, p.pt) ORDER BY a.code LIMIT 1)),
       coalesce(left(g.code, 6), (SELECT a.code FROM onemap.admin_area a WHERE a.level = 'county'
                                  AND ST_Intersects(a.geom, p.pt) ORDER BY a.code LIMIT 1))
FROM (SELECT i, ST_GeomFromWKB(w, 4490) AS pt FROM unnest(%s::bytea[]) WITH ORDINALITY AS t (w, i)) p
LEFT JOIN LATERAL (SELECT u.code FROM onemap.unit_grid u WHERE u.valid_to IS NULL
                   AND ST_Intersects(u.geom, p.pt) ORDER BY u.code LIMIT 1) g ON true
ORDER BY p.i
"""


def _border_points(conn, cells: int) -> np.ndarray:
    """Vertices and edge midpoints of some cells (shared with neighbours), their interiors, and more."""
    rows = conn.execute("SELECT ST_AsBinary(geom) FROM onemap.v_unit_grid ORDER BY md5(code) LIMIT %s",
                        (cells,)).fetchall()
    points = []
    for (wkb,) in rows:
        cell = shapely.from_wkb(wkb)
        ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_geometry(cell, 0)))
        points += [shapely.Point(x, y) for x, y in ring[:8]]
        points += [shapely.Point((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
                   for a, b in itertools.pairwise(ring[:9])]
        points.append(shapely.point_on_surface(cell))
    county = conn.execute("SELECT ST_AsBinary(ST_Boundary(geom)) FROM onemap.admin_area "
                          "WHERE level = 'county' LIMIT 1").fetchone()[0]
    boundary = shapely.from_wkb(county)  # the county's edge: some points lie outside every cell
    points += list(shapely.line_interpolate_point(shapely.get_geometry(boundary, 0),
                                                  np.linspace(0, 1, 25), normalized=True))
    points += [shapely.Point(116.39, 39.91)]  # nowhere
    return np.array(points, dtype=object)


def test_python_location_equals_the_database_rule_on_borders(conn):
    points = _border_points(conn, 40)
    located = locate_rows(conn, points)
    oracle = conn.execute(_ORACLE_SQL, ([shapely.to_wkb(p) for p in points],)).fetchall()
    expected = [(g, c, k) for _, g, c, k in oracle]
    actual = list(zip(located.grid, located.community, located.county, strict=True))
    assert actual == expected
    assert actual[-1] == (None, None, None)
    shared = conn.execute("SELECT count(*) FROM unnest(%s::bytea[]) AS t (w) WHERE (SELECT count(*) "
                          "FROM onemap.unit_grid u WHERE u.valid_to IS NULL AND "
                          "ST_Intersects(u.geom, ST_GeomFromWKB(w, 4490))) > 1",
                          ([shapely.to_wkb(p) for p in points],)).fetchone()[0]
    assert shared > 0  # the tie rule was exercised


def test_lines_are_located_by_their_midpoint_and_polygons_by_a_point_on_their_surface():
    square = shapely.box(0, 0, 1, 1)
    result = anchors(np.array([shapely.Point(1, 1), shapely.LineString([(0, 0), (2, 0), (2, 6)]), square],
                              dtype=object))
    assert list(result) == [shapely.Point(1, 1), shapely.Point(2, 2), shapely.point_on_surface(square)]


@pytest.mark.parametrize("shift", [1e-10, -1e-10])
def test_a_two_vertex_line_keeps_its_anchor_when_its_coordinates_shift_by_a_rounding(shift):
    """A re-projected export moves coordinates by ~1e-10°; the anchor must move as little, not jump to
    the line's other end (which a point on the surface of a two-vertex line is free to do)."""
    line = shapely.LineString([(114.0101, 22.5302), (114.0119, 22.5313)])
    shifted = shapely.LineString([(114.0101 + shift, 22.5302), (114.0119, 22.5313 - shift)])
    both = anchors(np.array([line, shifted], dtype=object))
    assert shapely.distance(both[0], both[1]) < 1e-9
    assert shapely.distance(both[0], shapely.Point(114.011, 22.53075)) < 1e-12


def test_serials_are_ranked_per_group_in_row_order_and_numbered_from_the_allocation():
    groups = np.array(["44030401001", "44030401002", "44030401001", None, "44030401001"], dtype=object)
    delivered = np.array([None, None, "44030401001000007", None, None], dtype=object)
    ranks = serial_ranks(groups, pd.isna(delivered) & pd.notna(groups))
    assert ranks.tolist() == [0, 0, -1, -1, 1]
    ids = numbered(groups, ranks, Allocation({"44030401001": 8, "44030401002": 1}, {}), delivered)
    assert ids.tolist() == ["44030401001000008", "44030401002000001", "44030401001000007", None,
                            "44030401001000009"]
    reused = numbered(groups, ranks, Allocation({"44030401002": 1}, {"44030401001": np.array([3, 5])}),
                      delivered)
    assert reused.tolist() == ["44030401001000003", "44030401002000001", "44030401001000007", None,
                               "44030401001000005"]


@pytest.mark.parametrize("column", [
    ["铸铁", None, "铸铁", "钢"],
    [1, 2, None, 4],
    [1.5, float("nan"), 2.0, 3.25],
    [True, False, None, True],
    [pd.Timestamp("2024-01-02"), None, pd.NaT, pd.Timestamp("2020-05-06")],
], ids=["text", "int", "float", "bool", "timestamp"])
def test_attributes_built_by_column_equal_the_per_row_json(column):
    frame = pd.DataFrame({"材质": column, "n": [3, None, 5, 6], "说明 \"x\"": ["a", "b\n", None, "c"]},
                         dtype=object)
    built = [json.loads(text) for text in attributes_json(frame, np.arange(4))]
    per_row = []
    for record in frame.to_dict("records"):
        clean = {}
        for key, value in record.items():
            if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
                continue
            clean[key] = value if isinstance(value, int | float | bool | str) else str(value)
        per_row.append(json.loads(json.dumps(clean, ensure_ascii=False)))
    assert built == per_row


@pytest.mark.parametrize(("loading", "stored", "rebuild"), [
    (REBUILD_MIN_ROWS - 1, 0, False), (1_000_000, 13_047, True), (200_000, 400_000, True),
    (200_000, 400_001, False), (50, 10, False)], ids=["small", "census", "half", "under-half", "tiny"])
def test_indexes_are_rebuilt_only_for_loads_large_against_the_table(loading, stored, rebuild):
    assert wants_rebuild(loading, stored) is rebuild


def test_a_delivered_code_of_a_row_in_no_community_is_noted_as_located_in_none() -> None:
    delivered = pd.DataFrame({"grid_code": [None, None], "community_code": [None, "440304005001"],
                              "street_code": ["440304005", "440304005"]})
    community = np.array([None, "440304005001"], dtype=object)
    notes = delivered_code_notes(delivered, np.array([None, None], dtype=object), community,
                                 np.array(["s.csv", "s.csv"], dtype=object), np.array([2, 3]), {})
    assert notes == ["1 row(s) delivered a street_code other than the one of the place they lie in, which is "
                     "stored (first: s.csv row 2: 440304005 delivered, none located)"]


def test_delivered_street_and_community_names_are_compared_with_the_official_ones() -> None:
    """Forms leave out the office's word (居委会, 办事处) or write the name's beginning; another name, or a
    name for a row in no community, is noted."""
    names = {"440304005": "沙头街道", "440304005021": "新沙社区居委会", "440304008": "莲花街道",
             "440304008012": "彩虹社区居委会"}
    community = np.array(["440304005021", "440304005021", "440304008012", "440304008012", None], dtype=object)
    delivered = pd.DataFrame({
        "grid_code": [None] * 5, "community_code": [None] * 5, "street_code": [None] * 5,
        "street_name": ["沙头街道办事处", "沙头", " 莲花街道 ", "福田街道", "沙头街道"],
        "community_name": ["新沙社区", "新沙社区居委会", None, "彩虹社区工作站", "新沙"]})
    notes = delivered_code_notes(delivered, np.full(5, None, dtype=object), community,
                                 np.full(5, "s.csv", dtype=object), np.arange(2, 7), names)
    other = "other than the one of the place they lie in"
    assert notes == [
        f"2 row(s) delivered a street_name {other} (first: s.csv row 5: 福田街道 delivered, 莲花街道 "
        "located)",
        f"1 row(s) delivered a community_name {other} (first: s.csv row 6: 新沙 delivered, none located)"]
    none_delivered = delivered.drop(columns=["street_name", "community_name"])
    assert delivered_code_notes(none_delivered, np.full(5, None, dtype=object), community,
                                np.full(5, "s.csv", dtype=object), np.arange(2, 7), names) == []


def test_attributes_holding_objects_and_arrays_stay_json():
    """As the API takes them (a feature's attributes); written as Python's repr they came back as text."""
    frame = pd.DataFrame({"规格": [{"管径": 600, "材质": ["铸铁"]}, None], "编号": [[1, 2], "x"]},
                         dtype=object)
    built = [json.loads(text) for text in attributes_json(frame, np.arange(2))]
    assert built == [{"规格": {"管径": 600, "材质": ["铸铁"]}, "编号": [1, 2]}, {"编号": "x"}]
