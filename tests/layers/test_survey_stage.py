"""Staging: what a survey holds reaches the staging table unchanged, NULL and '' kept apart."""

from dataclasses import replace

import numpy as np
import pandas as pd
import shapely

from layers.survey_stage import StagedRows, stage

# values COPY could misread: its delimiters, quotes, escapes, end-of-data marker, empty text
AWKWARD = ["a,b", 'say "hi"', "tab\there", "line\nbreak\r\n", "back\\slash", "\\.", "\\N", "", "普通 名称"]


def _rows(names: list[object], notes: list[object]) -> StagedRows:
    n = len(names)
    fields = pd.DataFrame({"id": [None] * n, "name": names, "note": notes, "state": ["完好"] * n,
                           "initial_date": ["2024-01-31"] * (n - 1) + [None]}, dtype=object)
    attributes = np.array(['{"材质": "铸铁", "quote": "\\"x\\"", "path": "C:\\\\d"}'] * n, dtype=object)
    return StagedRows(
        index=np.arange(10, 10 + n), fields=fields, attributes=attributes,
        class_codes=np.array(["01001"] * n, dtype=object),
        geometry_types=np.array(["point"] * n, dtype=object),
        geometries=np.array([shapely.Point(114.05 + i * 1e-4, 22.54) for i in range(n)], dtype=object),
        grid=np.array(["440304001001001"] * (n - 1) + [None], dtype=object),
        community=np.array([None] * n, dtype=object), county=np.array(["440304"] * n, dtype=object),
        ranks=np.array([-1, *range(1, n)]))


def test_every_value_reaches_the_staging_table_as_it_was(conn):
    names: list[object] = [*AWKWARD, 7]
    notes: list[object] = [None, float("nan"), *AWKWARD[1:]]
    stage(conn, _rows(names, notes))
    got = conn.execute(
        "SELECT row_idx, name, note, initial_date::text, attributes, ST_AsText(geom), ST_SRID(geom), "
        "grid_code, community_code, serial_rank FROM pg_temp.survey_staging ORDER BY row_idx").fetchall()
    assert [r[0] for r in got] == list(range(10, 10 + len(names)))
    assert [r[1] for r in got] == [*AWKWARD, "7"]
    assert [r[2] for r in got] == [None, None, *AWKWARD[1:]]  # '' stays '', None and NaN become NULL
    assert [r[3] for r in got] == ["2024-01-31"] * (len(names) - 1) + [None]
    assert got[0][4] == {"材质": "铸铁", "quote": '"x"', "path": "C:\\d"}
    assert got[1][5] == "POINT(114.0501 22.54)" and {r[6] for r in got} == {4490}
    assert [r[7] for r in got][-2:] == ["440304001001001", None] and {r[8] for r in got} == {None}
    assert [r[9] for r in got] == [None, *range(1, len(names))]  # rank -1: no serial needed


def test_geometries_of_every_kind_reach_the_staging_table_exactly(conn):
    shapes = [shapely.Point(114.05, 22.54),
              shapely.LineString([(114.05, 22.54), (114.0512345678901, 22.5498765432109)]),
              shapely.Polygon([(114.05, 22.54), (114.06, 22.54), (114.06, 22.55), (114.05, 22.54)]),
              shapely.MultiLineString([[(114.05, 22.54), (114.051, 22.541)],
                                       [(114.052, 22.542), (114.053, 22.54)]]),
              shapely.MultiPolygon([shapely.box(114.05, 22.54, 114.051, 22.541),
                                    shapely.box(114.06, 22.55, 114.061, 22.551)])]
    rows = _rows([f"n{i}" for i in range(len(shapes))], [None] * len(shapes))
    rows = replace(rows, geometries=np.array(shapes, dtype=object))
    stage(conn, rows)
    got = conn.execute("SELECT ST_AsBinary(geom), ST_SRID(geom) FROM pg_temp.survey_staging "
                       "ORDER BY row_idx").fetchall()
    assert [bytes(wkb) for wkb, _ in got] == [shapely.to_wkb(s) for s in shapes]
    assert {srid for _, srid in got} == {4490}
