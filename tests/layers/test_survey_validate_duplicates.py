"""Duplicates within one survey: same class, points within the distance, lines and polygons with every
vertex within it (layers.survey_validate, no database needed)."""

import numpy as np
import pandas as pd
import pytest
import shapely

from grid_codes.classes import default_table
from layers.components import STANDARD_FIELDS
from layers.survey_rows import SurveyRows
from layers.survey_validate import ValidationContext, validate

LON, LAT = 114.05, 22.54  # inside the test city below
METRE = 1 / 102_000  # degrees of longitude per metre at this latitude, roughly (the check uses the zone)
CITY = shapely.box(LON - 0.01, LAT - 0.01, LON + 0.01, LAT + 0.01)


def _rows(rows: list[tuple[str, shapely.Geometry]]) -> SurveyRows:
    names = ["class_code", *STANDARD_FIELDS]
    fields = pd.DataFrame({name: [None] * len(rows) for name in names}, dtype=object)
    fields["class_code"] = [code for code, _ in rows]
    fields["competent_dept_name"] = "城管局"
    return SurveyRows(np.full(len(rows), "s.gpkg", dtype=object), np.arange(1, len(rows) + 1), fields,
                      [{} for _ in rows], np.array([g for _, g in rows], dtype=object))


def _duplicates(rows: list[tuple[str, shapely.Geometry]], distance_m: float = 0.5) -> dict[int, str]:
    ctx = ValidationContext(scheme="gb47678", table=default_table(), city=CITY,
                            county_codes=frozenset({"440304"}), zone_epsg=4547,
                            duplicate_distance_m=distance_m)
    checked = validate(_rows(rows), ctx)
    return {r.row: r.reason for r in checked.rejections if r.reason.startswith("duplicate")}


def _point(dx_m: float, dy_m: float = 0.0) -> shapely.Point:
    return shapely.Point(LON + dx_m * METRE, LAT + dy_m * METRE)


def _line(dx_m: float, length_m: float = 20.0) -> shapely.LineString:
    return shapely.LineString([(LON + dx_m * METRE, LAT), (LON + (dx_m + length_m) * METRE, LAT)])


def test_points_of_a_class_within_the_distance_are_duplicates_of_the_first():
    found = _duplicates([("01001", _point(0)), ("01001", _point(0.3)), ("01001", _point(0.1, 0.2)),
                         ("01001", _point(5))])
    assert found == {2: "duplicate: same class 01001 as s.gpkg row 1 within 0.5 m",
                     3: "duplicate: same class 01001 as s.gpkg row 1 within 0.5 m"}


@pytest.mark.parametrize(("second", "duplicate"), [
    (("01001", _point(0.7)), False),   # farther than 0.5 m
    (("01002", _point(0.1)), False),   # another class at the same place
    (("01001", _point(0.45)), True),
])
def test_point_duplicates_need_the_same_class_and_the_distance(second, duplicate):
    assert bool(_duplicates([("01001", _point(0)), second])) is duplicate


def test_a_larger_distance_finds_more():
    rows = [("01001", _point(0)), ("01001", _point(0.7))]
    assert _duplicates(rows, 0.5) == {}
    assert set(_duplicates(rows, 1.0)) == {2}


def test_lines_are_duplicates_only_when_every_vertex_is_near():
    found = _duplicates([
        ("01026", _line(0)),            # 1
        ("01026", _line(0.2)),          # 2 the same line shifted 0.2 m: a double survey
        ("01026", _line(20)),           # 3 continues line 1 from its end: touches, not a duplicate
        ("01026", _line(0, 40)),        # 4 overlaps line 1 but runs 20 m further
    ])
    assert found == {2: "duplicate: same class 01026 as s.gpkg row 1 within 0.5 m"}


def test_polygons_use_the_same_rule():
    square = shapely.box(LON, LAT, LON + 10 * METRE, LAT + 10 * METRE)
    neighbour = shapely.box(LON + 10 * METRE, LAT, LON + 20 * METRE, LAT + 10 * METRE)
    found = _duplicates([("01063", square), ("01063", shapely.affinity.translate(square, 0.2 * METRE)),
                         ("01063", neighbour)])
    assert set(found) == {2}


def _pairwise(rows: list[tuple[str, shapely.Geometry]], distance_m: float = 0.5) -> dict[int, int]:
    """Per later row, the earliest row of its class within the distance: every pair measured."""
    from gis.crs import transform

    metric = transform(np.array([g for _, g in rows], dtype=object), 4490, 4547)
    found = {}
    for i, (code, _) in enumerate(rows):
        for j in range(i):
            if rows[j][0] == code and shapely.hausdorff_distance(metric[i], metric[j]) <= distance_m:
                found[i + 1] = j + 1
                break
    return found


@pytest.mark.parametrize("kind", ["points", "lines"])
def test_duplicates_are_those_of_a_pairwise_search_in_a_clustered_survey(kind):
    """Rows stacked on a few identical positions, others a few decimetres off them, in two classes."""
    rng = np.random.default_rng(17)
    spots = rng.uniform(-50, 50, (6, 2))
    rows = []
    for _ in range(300):
        x, y = spots[rng.integers(len(spots))] + (0 if rng.random() < 0.6 else rng.normal(0, 0.4, 2))
        code = ["01001", "01002"] if kind == "points" else ["01026", "02017"]
        geometry = _point(x, y) if kind == "points" else shapely.affinity.translate(_line(x), 0, y * METRE)
        rows.append((code[int(rng.integers(2))], geometry))
    expected = _pairwise(rows)
    found = _duplicates(rows)
    assert {row: int(reason.split(" row ")[1].split()[0]) for row, reason in found.items()} == expected
    assert len(expected) > 200  # the stacks are found, not only the odd pair


def test_thousands_of_rows_at_one_placeholder_position_are_duplicates_of_the_first():
    found = _duplicates([("01001", _point(0))] * 3000 + [("01001", _point(3))])
    assert set(found) == set(range(2, 3001))
    assert set(found.values()) == {"duplicate: same class 01001 as s.gpkg row 1 within 0.5 m"}
