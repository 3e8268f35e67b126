"""Survey import end to end against the real database: codes, rejections, atomicity, history."""

import json
import struct
import threading
import zipfile
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely
from pyproj import CRS, Transformer

from gis.crs import WGS84, parse_crs, transformer, wgs84_to_gcj02
from gis.errors import ImportValidationError
from grid_codes.classes import default_table
from layers.components import inventory_as_of
from layers.field_mapping import FieldMapping
from layers.returned_rows import REASONS, SOURCE_FILE, SOURCE_ROW, write_refused
from layers.survey_import import ImportOptions, ImportResult, import_components
from layers.unit_grid import locate
from tests.city_grid import CITY_GRID

DEPT = "福田区城市管理和综合执法局"


def _points_in_city(conn: psycopg.Connection, n: int, seed: int = 7) -> list[shapely.Point]:
    """n points inside distinct unit grid cells of the demo city (well apart)."""
    rows = conn.execute("SELECT ST_AsBinary(ST_PointOnSurface(geom)) FROM onemap.v_unit_grid "
                        "ORDER BY md5(code || %s) LIMIT %s", (str(seed), n)).fetchall()
    return [shapely.from_wkb(r[0]) for r in rows]


def _write(path: Path, records: list[dict], geometries: list, crs: int | str | None = 4490,
           **options) -> Path:
    """A survey file of the records; `options` go to the writer (driver, layer, encoding)."""
    gpd.GeoDataFrame(records, geometry=geometries, crs=crs).to_file(path, engine="pyogrio", **options)
    return path


def _largest_miss(db_url: str, class_code: str, truth: list[shapely.Point]) -> float:
    """The largest distance (m) from a true position to the nearest stored component of the class."""
    with psycopg.connect(db_url) as conn:
        return max(conn.execute(
            "SELECT min(ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4490)::geography)) "
            "FROM onemap.component WHERE class_code = %s", (p.x, p.y, class_code)).fetchone()[0]
            for p in truth)


def _run(db_url: str, paths: list[Path], **options) -> ImportResult:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return import_components(conn, paths, ImportOptions(actor="tester", **options))


def _count(db_url: str, class_code: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM onemap.component WHERE class_code = %s",
                           (class_code,)).fetchone()
    assert row is not None
    return int(row[0])


def test_survey_without_identifiers_is_coded_by_the_database(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3)
    survey = _write(tmp_path / "s.gpkg", [{"部件名称": f"供水井盖{i}", "主管部门名称": DEPT}
                                          for i in range(3)], points)
    result = _run(fresh_db_url, [survey], class_code="01001")
    assert (result.status, result.rows_loaded, result.rejections) == ("committed", 3, [])
    with psycopg.connect(fresh_db_url) as conn:
        rows = conn.execute("SELECT id, grid_code, community_code, street_code, name, changed_by, "
                            "change_source, ST_X(geom), ST_Y(geom) FROM onemap.component "
                            "WHERE class_code = '01001' AND valid_to IS NULL ORDER BY id").fetchall()
        expected = [locate(conn, x, y) for *_, x, y in rows]
    assert [r[0] for r in rows] == [f"44030401001{n:06d}" for n in (1, 2, 3)]
    for row, where in zip(rows, expected, strict=True):
        assert row[1] == where.grid_code and row[1] is not None
        assert (row[2], row[3]) == (where.community_code, where.street_code)
        assert row[5:7] == ("tester", f"import:{result.batch_id}")


def test_delivered_grid_codes_are_replaced_by_the_located_ones_with_a_note(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3, seed=5)
        where = [locate(conn, p.x, p.y) for p in points]
    wrong = next(code for code in ("440304001001001", "440304001001002") if code != where[1].grid_code)
    records = [{"ZGBMMC": DEPT, "SZDYWGBSM": where[0].grid_code, "SZSQDM": where[0].community_code},
               {"ZGBMMC": DEPT, "SZDYWGBSM": wrong, "SZSQDM": where[1].community_code},
               {"ZGBMMC": DEPT}]
    survey = _write(tmp_path / "s.geojson", records, points)
    result = _run(fresh_db_url, [survey], class_code="01001")
    assert (result.status, result.rows_loaded) == ("committed", 3)
    assert [n for n in result.notes if "delivered" in n] == [
        "1 row(s) delivered a grid_code other than the one of the place they lie in, which is stored "
        f"(first: s.geojson row 2: {wrong} delivered, {where[1].grid_code} located)"]
    with psycopg.connect(fresh_db_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT grid_code FROM onemap.component WHERE class_code = "
                                             "'01001' ORDER BY id")]
    assert stored == [w.grid_code for w in where]


def test_delivered_street_and_community_names_that_differ_from_where_rows_lie_are_noted(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 3, seed=6)
        where = [locate(conn, p.x, p.y) for p in points]
        other = conn.execute("SELECT name FROM onemap.admin_area WHERE level = 'street' AND code <> %s "
                             "ORDER BY code LIMIT 1", (where[2].street_code,)).fetchone()[0]
    records = [{"ZGBMMC": DEPT, "所属街道": where[0].street_name, "所属社区": where[0].community_name},
               {"ZGBMMC": DEPT, "所属街道": where[1].street_name,  # the community without its 居委会
                "所属社区": where[1].community_name.removesuffix("居委会")},
               {"ZGBMMC": DEPT, "所属街道": other, "所属社区": None}]
    result = _run(db_url, [_write(tmp_path / "s.geojson", records, points)], class_code="01001", dry_run=True)
    assert result.rejections == []
    assert [n for n in result.notes if "delivered" in n] == [
        "1 row(s) delivered a street_name other than the one of the place they lie in (first: s.geojson row "
        f"3: {other} delivered, {where[2].street_name} located)"]


def test_identifiers_continue_above_delivered_serials(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 2, seed=3)
    survey = _write(tmp_path / "s.geojson", [
        {"GLBJBSM": "44030401001000040", "ZGBMMC": DEPT}, {"ZGBMMC": DEPT}], points)
    result = _run(fresh_db_url, [survey], class_code="01001")
    assert result.status == "committed", result.rejections
    with psycopg.connect(fresh_db_url) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM onemap.component WHERE class_code = '01001' ORDER BY id")]
    assert ids == ["44030401001000040", "44030401001000041"]


def test_a_delivered_identifier_ending_in_999999_leaves_later_components_the_free_serials(fresh_db_url,
                                                                                          tmp_path):
    """A placeholder identifier ending in 999999 raises the class's counter to its end; the next
    identifier-less rows (in the same import and in later ones, dry runs too) take the lowest serials
    unused, with a note, instead of failing for good."""
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 4, seed=5)
    first = _write(tmp_path / "a.geojson", [
        {"GLBJBSM": "44030401001999999", "ZGBMMC": DEPT}, {"GLBJBSM": "44030401001000002", "ZGBMMC": DEPT},
        {"ZGBMMC": DEPT}], points[:3])
    assert _run(fresh_db_url, [first], class_code="01001", dry_run=True).status == "dry-run"
    result = _run(fresh_db_url, [first], class_code="01001")
    assert result.status == "committed", result.rejections
    later = _run(fresh_db_url, [_write(tmp_path / "b.geojson", [{"ZGBMMC": DEPT}], points[3:])],
                 class_code="01001")
    assert later.status == "committed", later.rejections
    with psycopg.connect(fresh_db_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM onemap.component WHERE class_code = '01001' "
                                          "ORDER BY valid_from, id")]
    assert ids == ["44030401001000001", "44030401001000002", "44030401001999999", "44030401001000003"]
    assert ("the serial counter of class 01001 in county 440304 has too few serials left below 999999 for "
            "1 new identifier(s) (a delivered identifier raises it to its own serial): they take the lowest "
            "free serials instead, 44030401001000003 first") in later.notes


@pytest.fixture
def bad_survey(db_url, tmp_path) -> tuple[Path, Path]:
    """A GeoJSON and a CSV with good rows and one row for each reason a row can be rejected."""
    with psycopg.connect(db_url) as conn:
        p = _points_in_city(conn, 12, seed=11)
        existing = conn.execute("SELECT id FROM onemap.v_component WHERE class_code = '01037' "
                                "ORDER BY id LIMIT 1").fetchone()[0]
    ok = {"ZGBMMC": DEPT, "XLDM": "01005"}
    near = shapely.Point(p[1].x + 0.000002, p[1].y)  # ≈ 0.2 m from row 2
    bowtie = shapely.Polygon([(p[8].x, p[8].y), (p[8].x + 1e-4, p[8].y + 1e-4),
                              (p[8].x + 1e-4, p[8].y), (p[8].x, p[8].y + 1e-4)])
    records = [
        (ok, p[0]),                                                        # 1 good
        (ok, p[1]),                                                        # 2 good
        (ok, near),                                                        # 3 duplicate of row 2
        ({**ok, "XLDM": "01999"}, p[2]),                                   # 4 unknown class
        ({**ok, "ZGBMMC": None}, p[3]),                                    # 5 mandatory missing
        ({**ok, "GLBJMC": "x", "GLBJZT": "很好"}, p[4]),                   # 6 bad state
        ({**ok, "CSRQ": "2023-13-45"}, p[5]),                              # 7 bad date
        ({**ok, "CSRQ": "20990101"}, p[6]),                                # 8 future date
        ({**ok, "CSRQ": "20230105", "BGRQ": "20220101"}, p[7]),            # 9 change before initial
        ({**ok, "XLDM": "03004"}, bowtie),                                 # 10 invalid polygon
        ({**ok}, shapely.LineString([(p[9].x, p[9].y), (p[10].x, p[10].y)])),  # 11 line for a point class
        ({**ok, "GLBJBSM": "4403040100500000X"}, p[11]),                   # 12 malformed identifier
        ({**ok, "GLBJBSM": "44030401037900001"}, p[0]),                    # 13 class differs from id
        ({**ok, "XLDM": "01037", "GLBJBSM": existing}, p[2]),              # 14 already in inventory
        ({**ok}, shapely.Point(116.39, 39.91)),                            # 15 outside the city
        ({**ok, "GLBJBSM": "44030401005000077"}, p[3]),                    # 16 good, with an id
        ({**ok, "GLBJBSM": "44030401005000077"}, p[4]),                    # 17 same id again
    ]
    geojson = _write(tmp_path / "survey.geojson", [r for r, _ in records], [g for _, g in records])
    csv = tmp_path / "survey.csv"
    csv.write_text("XLDM,ZGBMMC,经度,纬度\n"
                   f"01005,{DEPT},{p[5].x},{p[5].y}\n"          # line 2 good
                   f"01005,{DEPT},,\n"                           # line 3 no coordinates
                   f"01005,{DEPT},{p[6].y},{p[6].x}\n",          # line 4 swapped
                   encoding="utf-8")
    return geojson, csv


EXPECTED_REJECTIONS = {
    ("survey.geojson", 3, "geometry", "duplicate: same class 01005 as survey.geojson row 2"),
    ("survey.geojson", 4, "class_code", "class '01999' is not in the table"),
    ("survey.geojson", 5, "competent_dept_name", "mandatory ZGBMMC (competent_dept_name) is empty"),
    ("survey.geojson", 6, "state", "state '很好' is not one of"),
    ("survey.geojson", 7, "initial_date", "initial_date '2023-13-45' is not a date"),
    ("survey.geojson", 8, "initial_date", "initial_date 20990101 lies in the future"),
    ("survey.geojson", 9, "change_date", "change_date is before initial_date"),
    ("survey.geojson", 10, "geometry", "invalid geometry: Self-intersection"),
    ("survey.geojson", 11, "geometry", "class 01005 expects a point, got a LineString"),
    ("survey.geojson", 12, "id", "component id '4403040100500000X'"),
    ("survey.geojson", 13, "id", "identifier 44030401037900001 is of class 01037, the row of class 01005"),
    ("survey.geojson", 14, "id", "is already in the inventory (use --mode upsert)"),
    ("survey.geojson", 15, "geometry", "outside the city"),
    ("survey.geojson", 17, "id", "identifier 44030401005000077 is also used in survey.geojson row 16"),
    ("survey.csv", 3, "geometry", "no geometry or coordinates"),
    ("survey.csv", 4, "geometry", "longitude and latitude look swapped"),
}


def _matches(rejections, expected) -> set:
    """Expected entries (file, row, field, reason prefix or part) without a matching rejection."""
    return {e for e in expected
            if not any((r.file, r.row, r.field) == e[:3] and e[3] in r.reason for r in rejections)}


def test_bad_rows_are_reported_exactly_and_nothing_lands(db_url, bad_survey):
    before = _count(db_url, "01005")
    result = _run(db_url, list(bad_survey))
    assert result.status == "rejected"
    assert _matches(result.rejections, EXPECTED_REJECTIONS) == set(), result.rejections
    assert len(result.rejections) == len(EXPECTED_REJECTIONS)
    assert result.rows_read == 20
    assert _count(db_url, "01005") == before


def test_skip_invalid_lands_the_valid_rows_and_reports_the_rest(fresh_db_url, bad_survey):
    result = _run(fresh_db_url, list(bad_survey), skip_invalid=True)
    assert result.status == "committed"
    assert result.rows_loaded == 4  # geojson rows 1, 2, 16 and csv line 2
    assert len(result.rejections) == len(EXPECTED_REJECTIONS)
    assert _count(fresh_db_url, "01005") == 4


def test_cli_writes_json_and_csv_reports_and_exits_3(db_url, bad_survey, tmp_path):
    import os
    import subprocess
    import sys

    report = tmp_path / "report.json"
    onemap = str(Path(sys.executable).with_name("onemap"))
    done = subprocess.run([onemap, "import", "components", *map(str, bad_survey), "--report", str(report)],
                          env={**os.environ, "ONEMAP_DATABASE_URL": db_url}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 3, done.stderr
    assert "nothing was loaded" in done.stderr
    per_field = Counter(field for _, _, field, _ in EXPECTED_REJECTIONS)
    summary = next(line for line in done.stderr.splitlines() if line.startswith("problems per field: "))
    assert sorted(summary.removeprefix("problems per field: ").split(", ")) == sorted(
        f"{field} {count}" for field, count in per_field.items())
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["status"] == "rejected"
    assert document["rows_rejected"] == len(EXPECTED_REJECTIONS)
    assert _matches([type("R", (), r) for r in document["rejections"]], EXPECTED_REJECTIONS) == set()
    lines = report.with_suffix(".csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "file,row,field,reason"
    assert len(lines) == 1 + len(EXPECTED_REJECTIONS)


def _returned(path: Path) -> dict[tuple[str, int], dict]:
    """The rows of a returned file by (file, row), missing values as None."""
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4490
    return {(row[SOURCE_FILE], int(row[SOURCE_ROW])): {k: None if v is None or v != v else v
                                                        for k, v in row.to_dict().items()}
            for _, row in frame.iterrows()}


def test_every_refused_row_is_returned_as_delivered_with_all_its_reasons(db_url, bad_survey, tmp_path):
    result = _run(db_url, list(bad_survey))
    assert result.status == "rejected" and result.refused is not None
    write_refused(tmp_path / "r.gpkg", result.refused, result.rejections)
    returned = _returned(tmp_path / "r.gpkg")
    # the rows refused by validation and the one refused against the inventory (row 14), no other
    assert set(returned) == {(file, row) for file, row, _, _ in EXPECTED_REJECTIONS}
    assert returned[("survey.geojson", 9)][REASONS] == "change_date: change_date is before initial_date"
    # the values as the survey wrote them: the date validation could not read, no default state filled in
    assert returned[("survey.geojson", 7)]["CSRQ"] == "2023-13-45"
    assert [returned[("survey.geojson", 6)][name] for name in ("GLBJMC", "GLBJZT")] == ["x", "很好"]
    assert returned[("survey.geojson", 5)]["GLBJZT"] is None
    assert returned[("survey.geojson", 5)]["ZGBMMC"] is None
    already = returned[("survey.geojson", 14)]
    assert already["XLDM"] == "01037" and "already in the inventory" in already[REASONS]
    assert returned[("survey.geojson", 15)]["geometry"].equals(shapely.Point(116.39, 39.91))
    assert returned[("survey.csv", 3)]["geometry"] is None  # no coordinates to give it one
    assert returned[("survey.csv", 4)]["ZGBMMC"] == DEPT


def test_cli_duplicate_distance_sets_how_close_rows_are_duplicates(db_url, tmp_path):
    import os
    import subprocess
    import sys

    with psycopg.connect(db_url) as conn:
        (point,) = _points_in_city(conn, 1, seed=31)
    beside = shapely.Point(point.x, point.y + 3 / 111_000)  # ~3 m north
    survey = _write(tmp_path / "pair.gpkg", [{"ZGBMMC": DEPT}] * 2, [point, beside])
    onemap = str(Path(sys.executable).with_name("onemap"))

    def dry_run(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run([onemap, "import", "components", str(survey), "--class", "01014", "--dry-run",
                               "--report", str(tmp_path / "r.json"), *options],
                              env={**os.environ, "ONEMAP_DATABASE_URL": db_url}, capture_output=True,
                              text=True, timeout=300)

    default = dry_run()
    assert default.returncode == 0, default.stderr
    assert "would load 2 of 2 rows" in default.stdout
    wider = dry_run("--duplicate-distance", "5")
    assert wider.returncode == 3
    assert "pair.gpkg row 2 geometry: duplicate: same class 01014 as pair.gpkg row 1" in wider.stderr
    assert "within 5.0 m" in wider.stderr
    refused = dry_run("--duplicate-distance", "-1")
    assert refused.returncode == 2 and "--duplicate-distance" in refused.stderr


def test_gpx_waypoints_load_with_fill_giving_what_a_field_app_leaves_out(fresh_db_url, tmp_path):
    """A field app's GPX: waypoints with names only, a track walked beside them. --fill gives the
    mandatory 主管部门名称 to the rows without one; a row's own value stays."""
    with psycopg.connect(fresh_db_url) as conn:
        first, second = _points_in_city(conn, 2, seed=41)
    gpx = tmp_path / "外业.gpx"
    gpx.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="field app" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="{first.y}" lon="{first.x}"><ele>12.5</ele><name>井盖001</name></wpt>
  <wpt lat="{second.y}" lon="{second.x}"><name>井盖002</name></wpt>
  <trk><name>巡查</name><trkseg><trkpt lat="{first.y}" lon="{first.x}"/>
    <trkpt lat="{second.y}" lon="{second.x}"/></trkseg></trk>
</gpx>""", encoding="utf-8")
    table = tmp_path / "补测.csv"
    table.write_text(f"部件名称,主管部门名称,经度,纬度\n井盖003,{DEPT},{first.x + 0.0003},{first.y}\n",
                     encoding="utf-8")
    refused = _run(fresh_db_url, [gpx, table], class_code="01014")
    assert {(r.file, r.field) for r in refused.rejections} == {("外业.gpx", "competent_dept_name")}
    result = _run(fresh_db_url, [gpx, table], class_code="01014", fill=(("competent_dept_name", "外业组"),))
    assert result.status == "committed" and result.rows_loaded == 3
    assert "2 row(s) without competent_dept_name take '外业组' (--fill)" in result.notes
    assert any("GPX tracks, track_points not read" in note for note in result.notes)
    with psycopg.connect(fresh_db_url) as conn:
        stored = dict(conn.execute("SELECT name, competent_dept_name FROM onemap.component "
                                   "WHERE id = ANY(%s)", (list(result.ids),)).fetchall())
        ele = conn.execute("SELECT attributes->>'ele' FROM onemap.component WHERE name = %s",
                           ("井盖001",)).fetchone()
    assert stored == {"井盖001": "外业组", "井盖002": "外业组", "井盖003": DEPT}
    assert ele == ("12.5",)


def test_cli_fill_refuses_what_it_cannot_fill(db_url, tmp_path):
    import os
    import subprocess
    import sys

    survey = tmp_path / "s.csv"
    survey.write_text("名称,经度,纬度\n井盖,114.02,22.53\n", encoding="utf-8")
    onemap = str(Path(sys.executable).with_name("onemap"))
    for given, message in [("颜色=红", "'颜色' is neither a standard field nor a column name"),
                           ("部件编码=1", "id is not filled in: onemap allocates identifiers"),
                           ("主管部门名称", "write FIELD=VALUE")]:
        done = subprocess.run([onemap, "import", "components", str(survey), "--fill", given, "--dry-run"],
                              env={**os.environ, "ONEMAP_DATABASE_URL": db_url}, capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        assert done.returncode == 3 and message in done.stderr, done.stderr


def test_a_longer_state_value_loads_as_the_standard_state_it_names_with_a_note(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 4, seed=44)
    survey = tmp_path / "states.csv"
    states = ["轻微破损", "完好无损", "无破损", "破损丢失"]  # the last two name no single state
    lines = [f"01012,{DEPT},{state},{point.x},{point.y}\n"
             for state, point in zip(states, points, strict=True)]
    survey.write_text("XLDM,主管部门名称,部件状态,经度,纬度\n" + "".join(lines), encoding="utf-8")
    result = _run(fresh_db_url, [survey], skip_invalid=True)
    assert [(r.row, r.field) for r in result.rejections] == [(4, "state"), (5, "state")]
    read = "2 row(s) of states read as the one standard state they name: 轻微破损 → 破损, 完好无损 → 完好"
    assert read in result.notes
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT state FROM onemap.component WHERE class_code = '01012' "
                              "ORDER BY state").fetchall()
    assert stored == [("完好",), ("破损",)]


def test_a_mapping_files_classes_and_states_read_a_contractors_own_values(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 3, seed=43)
    survey = tmp_path / "contractor.csv"
    values = ["雨水井", "JG-01", "园林井盖"]  # two of the contractor's own, one standard name
    states = ["正常", "在用", "破损"]  # one in common use, one of the contractor's own, one standard
    lines = [f"井盖{i},{value},{DEPT},{state},{point.x},{point.y}\n"
             for i, (value, state, point) in enumerate(zip(values, states, points, strict=True))]
    survey.write_text("部件名称,部件小类,主管部门名称,状态,经度,纬度\n" + "".join(lines), encoding="utf-8")
    refused = _run(db_url, [survey], dry_run=True)
    assert [(r.row, r.field) for r in refused.rejections] == [
        (2, "class_code"), (3, "class_code"), (3, "state")]
    mapping_file = tmp_path / "contractor.yml"
    mapping_file.write_text("classes:\n  雨水井: '01003'\n  jg-01: '01014'\nstates:\n  在用: 完好\n",
                            encoding="utf-8")
    result = _run(db_url, [survey], dry_run=True, mapping=FieldMapping.from_yaml(mapping_file))
    assert result.rejections == [] and result.loaded_per_class == {"01003": 1, "01014": 2}
    assert any(note.endswith("contractor.yml: 雨水井 → 01003, JG-01 → 01014") for note in result.notes)
    assert any(note.endswith("contractor.yml: 正常 → 完好, 在用 → 完好") for note in result.notes)
    named = tmp_path / "JG-01.csv"  # a file per class, named in the contractor's vocabulary, no class column
    named.write_text(f"部件名称,主管部门名称,经度,纬度\n井盖9,{DEPT},{points[0].x + 0.001},{points[0].y}\n",
                     encoding="utf-8")
    both = _run(db_url, [survey, named], dry_run=True, mapping=FieldMapping.from_yaml(mapping_file))
    assert both.rejections == [] and both.loaded_per_class == {"01003": 1, "01014": 3}
    assert "1 row(s) without a class take 01014 from the name 'JG-01' in " + str(mapping_file) in both.notes
    delivery = tmp_path / "delivery"  # a folder per class in the contractor's vocabulary: JG-01/福田街道.csv
    for n, street in enumerate(["福田街道", "南园街道"]):
        (delivery / "JG-01").mkdir(parents=True, exist_ok=True)
        x, y = points[1].x + 0.001 * n, points[1].y + 0.001
        (delivery / "JG-01" / f"{street}.csv").write_text(
            f"部件名称,主管部门名称,经度,纬度\n井盖{n},{DEPT},{x},{y}\n", encoding="utf-8")
    foldered = _run(db_url, [delivery], dry_run=True, mapping=FieldMapping.from_yaml(mapping_file))
    assert foldered.rejections == [] and foldered.loaded_per_class == {"01014": 2}
    assert [n for n in foldered.notes if "without a class" in n] == [
        f"2 row(s) without a class take 01014 from the folder 'JG-01' in {mapping_file}"]
    mapping_file.write_text("classes:\n  雨水井: '09999'\n  污水井: '01014'\n  路灯: '01999'\n",
                            encoding="utf-8")
    with pytest.raises(ImportValidationError) as refused:
        _run(db_url, [survey], dry_run=True, mapping=FieldMapping.from_yaml(mapping_file))
    assert str(refused.value).splitlines() == [
        f"{mapping_file} line {line}: classes: {code} is not a gb47678 component class code"
        for line, code in ((2, "09999"), (4, "01999"))]


def test_an_error_in_the_last_row_leaves_nothing_loaded(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 50, seed=5)
    records = [{"ZGBMMC": DEPT} for _ in points]
    records[-1]["GLBJZT"] = "不存在的状态"
    survey = _write(tmp_path / "s.gpkg", records, points)
    result = _run(fresh_db_url, [survey], class_code="04007")
    assert result.status == "rejected"
    assert [(r.row, r.field) for r in result.rejections] == [(50, "state")]
    assert _count(fresh_db_url, "04007") == 0


def test_concurrent_imports_allocate_distinct_identifiers(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 80, seed=9)
    files = [_write(tmp_path / f"part{i}.gpkg", [{"ZGBMMC": DEPT}] * 40, points[i * 40:(i + 1) * 40])
             for i in range(2)]
    results: list[ImportResult] = []
    threads = [threading.Thread(
        target=lambda f=f: results.append(_run(fresh_db_url, [f], class_code="01014"))) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in results) == ["committed", "committed"]
    with psycopg.connect(fresh_db_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM onemap.component WHERE class_code = '01014'")]
    assert len(ids) == len(set(ids)) == 80


def test_upsert_and_replace_keep_a_history_that_as_of_queries_read(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3, seed=13)
    ids = [f"4403040100600000{i}" for i in (1, 2, 3)]
    first = _write(tmp_path / "v1.gpkg", [{"GLBJBSM": i, "ZGBMMC": DEPT} for i in ids], points)
    loaded = _run(fresh_db_url, [first])
    assert loaded.status == "committed"
    with psycopg.connect(fresh_db_url) as conn:
        t1 = conn.execute("SELECT now()").fetchone()[0]
    second = _write(tmp_path / "v2.gpkg", [{"GLBJBSM": ids[0], "ZGBMMC": DEPT, "GLBJZT": "破损"},
                                           {"GLBJBSM": ids[1], "ZGBMMC": DEPT}], points[:2])
    rehearsed = _run(fresh_db_url, [second], mode="upsert", dry_run=True)
    upserted = _run(fresh_db_url, [second], mode="upsert")
    assert (upserted.rows_loaded, upserted.rows_unchanged) == (1, 1)
    assert (rehearsed.status, rehearsed.rows_loaded, rehearsed.rows_unchanged) == ("dry-run", 1, 1)
    with psycopg.connect(fresh_db_url) as conn:
        t2 = conn.execute("SELECT now()").fetchone()[0]
    rehearsed_replace = _run(fresh_db_url, [second], mode="replace", dry_run=True)
    replaced = _run(fresh_db_url, [second], mode="replace")  # id 3 is not delivered: it goes
    assert (replaced.rows_loaded, replaced.rows_unchanged, replaced.removed) == (0, 2, 1)
    assert rehearsed_replace.removed == 1
    with psycopg.connect(fresh_db_url) as conn:
        at_t1 = {v.id: v.state for v in inventory_as_of(conn, t1, class_prefix="01006")}
        at_t2 = {v.id: v.state for v in inventory_as_of(conn, t2, class_prefix="01006")}
        now = inventory_as_of(conn, datetime.now(UTC), class_prefix="01006")
    assert at_t1 == {ids[0]: "完好", ids[1]: "完好", ids[2]: "完好"}
    assert at_t2 == {ids[0]: "破损", ids[1]: "完好", ids[2]: "完好"}
    assert {v.id: v.state for v in now} == {ids[0]: "破损", ids[1]: "完好"}
    assert {v.change_source for v in now} == {f"import:{upserted.batch_id}", f"import:{loaded.batch_id}"}
    with psycopg.connect(fresh_db_url) as conn:  # each closed version names the import that closed it
        closers = dict(conn.execute("SELECT id, close_source FROM onemap.component "
                                    "WHERE id = ANY(%s) AND valid_to IS NOT NULL", (ids,)).fetchall())
    assert closers == {ids[0]: f"import:{upserted.batch_id}", ids[2]: f"import:{replaced.batch_id}"}


def test_replace_keeps_the_components_whose_rows_it_skipped_as_invalid(fresh_db_url, tmp_path):
    """A re-delivery with one mistyped latitude, loaded with --skip-invalid: the component of the
    rejected row stays in the inventory, only the one no longer delivered is removed, and the count
    says so."""
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 4, seed=23)
    ids = [f"4403040100600001{i}" for i in (1, 2, 3, 4)]
    _run(fresh_db_url, [_write(tmp_path / "v1.gpkg", [{"GLBJBSM": i, "ZGBMMC": DEPT} for i in ids], points)])
    mistyped = shapely.Point(points[1].x, points[1].y - 0.1)  # 11 km south: outside the city
    again = _write(tmp_path / "v2.gpkg", [{"GLBJBSM": i, "ZGBMMC": DEPT} for i in ids[:3]],
                   [points[0], mistyped, points[2]])
    replaced = _run(fresh_db_url, [again], mode="replace", skip_invalid=True)
    assert [(r.row, r.field) for r in replaced.rejections] == [(2, "geometry")]
    assert (replaced.rows_loaded, replaced.rows_unchanged, replaced.removed) == (0, 2, 1)
    with psycopg.connect(fresh_db_url) as conn:
        current = {v.id for v in inventory_as_of(conn, datetime.now(UTC), class_prefix="01006")}
    assert current == set(ids[:3])


def test_gcj02_coordinates_are_stored_in_cgcs2000(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        truth = _points_in_city(conn, 2, seed=17)
    lon, lat = wgs84_to_gcj02(np.array([p.x for p in truth]), np.array([p.y for p in truth]))
    csv = tmp_path / "amap.csv"
    csv.write_text("XLDM,ZGBMMC,lng,lat\n" + "".join(
        f"01008,{DEPT},{x:.9f},{y:.9f}\n" for x, y in zip(lon, lat, strict=True)), encoding="utf-8")
    result = _run(fresh_db_url, [csv], crs=parse_crs("gcj02"))
    assert result.status == "committed", result.rejections
    assert _largest_miss(fresh_db_url, "01008", truth) < 0.5


def test_gauss_kruger_survey_in_the_surveying_order_lands_where_it_was_measured(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        truth = _points_in_city(conn, 2, seed=23)
    east, north = transformer(4490, 4547).transform([p.x for p in truth], [p.y for p in truth])
    csv = tmp_path / "survey_gk.csv"  # X north, Y east, as surveyors write them
    csv.write_text("XLDM,ZGBMMC,X,Y\n" + "".join(
        f"01009,{DEPT},{n:.3f},{e:.3f}\n" for e, n in zip(east, north, strict=True)), encoding="utf-8")
    result = _run(fresh_db_url, [csv], crs=parse_crs("EPSG:4547"))
    assert result.status == "committed", result.rejections
    assert any("surveying order" in note for note in result.notes)
    assert _largest_miss(fresh_db_url, "01009", truth) < 0.01


def test_a_survey_in_the_city_grid_lands_where_it_was_measured(fresh_db_url, tmp_path):
    """A city's independent grid (城市独立坐标系) has no EPSG code: the .prj, or --crs as a PROJ string."""
    with psycopg.connect(fresh_db_url) as conn:
        truth = _points_in_city(conn, 4, seed=31)
    records = [{"XLDM": "01011", "ZGBMMC": DEPT}] * 2
    grid = gpd.GeoSeries(truth, crs=4490).to_crs(CITY_GRID)
    with_prj = _write(tmp_path / "grid.shp", records, list(grid[:2]), crs=CITY_GRID)
    csv = tmp_path / "grid.csv"
    csv.write_text("XLDM,ZGBMMC,X,Y\n" + "".join(f"01011,{DEPT},{p.x:.4f},{p.y:.4f}\n" for p in grid[2:]),
                   encoding="utf-8")
    assert _run(fresh_db_url, [with_prj]).status == "committed"
    assert _run(fresh_db_url, [csv], crs=parse_crs(CITY_GRID, definitions=True)).status == "committed"
    assert _largest_miss(fresh_db_url, "01011", truth) < 0.01


# Xian 1980 / 3-degree Gauss-Krüger CM 114E with seven parameters to WGS84 of the kind a surveying authority
# publishes for a city (made up here: such parameters are set per region)
XIAN80_WITH_PARAMETERS = ("+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=IAU76 +units=m "
                          "+towgs84=24,-123,-94,0.02,-0.25,-0.13,1.1")


def test_a_xian_1980_survey_lands_where_its_seven_parameters_put_it_and_without_them_is_flagged(
        fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        truth = _points_in_city(conn, 4, seed=37)
    # CGCS2000 and WGS84 agree to centimetres: the parameters lead from the survey's grid to either
    to_xian80 = Transformer.from_crs(WGS84, CRS.from_proj4(XIAN80_WITH_PARAMETERS), always_xy=True)
    east, north = to_xian80.transform([p.x for p in truth], [p.y for p in truth])
    records = [{"ZGBMMC": DEPT}] * 2
    declared = _write(tmp_path / "xian80.shp", records, list(shapely.points(east[:2], north[:2])), crs=2383)
    flagged = _run(fresh_db_url, [declared], class_code="01013")
    assert flagged.status == "committed", flagged.rejections
    assert [n for n in flagged.notes if "datum" in n] == [
        "xian80.shp: the datum of EPSG:2383 (Xian 1980) has no transformation to CGCS2000 that PROJ "
        "knows: coordinates are converted to CGCS2000 without a datum shift and may lie tens of metres off; "
        "to shift them, pass the seven parameters the surveying authority publishes for the city: --crs "
        "'+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=IAU76 +units=m "
        "+towgs84=dx,dy,dz,rx,ry,rz,ds'"]
    assert _largest_miss(fresh_db_url, "01013", truth[:2]) > 10  # what the note warns of
    csv = tmp_path / "xian80.csv"
    rows = [f"01014,{DEPT},{n:.3f},{e:.3f}\n" for e, n in zip(east[2:], north[2:], strict=True)]
    csv.write_text("XLDM,ZGBMMC,X,Y\n" + "".join(rows), encoding="utf-8")  # X north, Y east
    shifted = _run(fresh_db_url, [csv], crs=parse_crs(XIAN80_WITH_PARAMETERS, definitions=True))
    assert shifted.status == "committed", shifted.rejections
    assert not [n for n in shifted.notes if "datum" in n]
    assert any("(the surveying order: X north, Y east)" in n for n in shifted.notes)
    assert _largest_miss(fresh_db_url, "01014", truth[2:]) < 0.01


def _dates_workbook(path: Path, points: list[shapely.Point], written: list[tuple]) -> Path:
    """A workbook of class 01012 rows at `points`, with (初始日期, 变更日期) cells as `written`."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["XLDM", "ZGBMMC", "经度", "纬度", "初始日期", "变更日期"])
    for point, (initial, change) in zip(points, written, strict=True):
        sheet.append(["01012", DEPT, point.x, point.y, initial, change])
    book.save(path)
    return path


def test_workbook_date_cells_and_written_dates_are_read(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 4, seed=37)
    written = [(datetime(2023, 5, 6), date(2024, 1, 2)), ("2023年5月6日", "2024.01.02"),
               ("２０２３/5/6", "20240102"), ("2023-05-06 00:00:00", "2024-1-2")]
    result = _run(fresh_db_url, [_dates_workbook(tmp_path / "dates.xlsx", points, written)])
    assert (result.status, result.rows_loaded, result.rejections) == ("committed", 4, [])
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT DISTINCT initial_date, change_date FROM onemap.component "
                              "WHERE class_code = '01012'").fetchall()
    assert stored == [(date(2023, 5, 6), date(2024, 1, 2))]


def test_day_numbers_and_no_date_placeholders_in_date_cells_are_read_with_notes(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 5, seed=38)
    written = [(45078, "无"), ("45078.75", "／"), ("2023-06-01", 45292), (45078, None), ("2023-02-30", "-")]
    book = _dates_workbook(tmp_path / "dates.xlsx", points, written)
    result = _run(fresh_db_url, [book], skip_invalid=True)
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (6, "initial_date", "initial_date '2023-02-30' is not a date (YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, "
                            "YYYY.MM.DD or YYYY年MM月DD日)")]
    day_number = "value(s) written as a spreadsheet's day number (a date cell that lost its format) read as"
    assert [n for n in result.notes if "_date" in n] == [
        f"3 initial_date {day_number} that day (first: dates.xlsx row 2: 45078 as 2023-06-01)",
        "3 change_date value(s) that say there is no date read as empty (first: dates.xlsx row 2: '无')",
        f"1 change_date {day_number} that day (first: dates.xlsx row 4: 45292 as 2024-01-01)"]
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT initial_date, change_date FROM onemap.component WHERE class_code = "
                              "'01012' ORDER BY change_date NULLS FIRST").fetchall()
    assert stored == [(date(2023, 6, 1), None)] * 3 + [(date(2023, 6, 1), date(2024, 1, 1))]


def test_workbook_classes_typed_as_numbers_or_names_land_in_their_class(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 4, seed=43)
    name = default_table().get("gb47678", "component", "01012").name  # 公安井盖
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["部件小类", "ZGBMMC", "经度", "纬度"])
    for point, written in zip(points, [1012, "1012", name, f"01012 {name}"], strict=True):
        sheet.append([written, DEPT, point.x, point.y])  # 1012: a number cell, its leading zero gone
    book.save(tmp_path / "classes.xlsx")
    result = _run(fresh_db_url, [tmp_path / "classes.xlsx"])
    assert (result.status, result.rows_loaded, result.rejections) == ("committed", 4, [])
    assert [n for n in result.notes if "row(s)" in n] == [
        "classes.xlsx: 1 row(s): classes written as code and name read as the code",
        "classes.xlsx: 2 row(s): class codes without their leading zero (a spreadsheet keeps a typed code "
        "as a number) read with it",
        "classes.xlsx: 1 row(s): classes written by their standard name read as its code",
    ]
    assert _count(fresh_db_url, "01012") == 4


def test_identifiers_a_workbook_stored_as_numbers_are_rejected_with_the_reason(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 2, seed=41)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["BJBM", "ZGBMMC", "经度", "纬度"])
    sheet.append([44030401013000001, DEPT, points[0].x, points[0].y])  # a 17-digit number: a float
    sheet.append(["44030401013000002.0", DEPT, points[1].x, points[1].y])
    book.save(tmp_path / "ids.xlsx")
    result = _run(db_url, [tmp_path / "ids.xlsx"], dry_run=True)
    reasons = {(r.row, r.field): r.reason for r in result.rejections}
    assert reasons[(2, "id")] == (
        "identifier 4.4030401013E+16 is a number: Excel or WPS turned the identifiers into numbers, which "
        "keep 15 significant digits, so the codes lost their last digits; take the identifiers from an XLSX "
        "export (onemap export components out.xlsx), which keeps them as text, or format the column as text "
        "before typing or pasting them")
    assert reasons[(3, "id")].startswith("identifier 44030401013000002.0 was stored as a number")
    # the class the identifiers would give is not asked for (nor made up from the mantissa)
    assert list(reasons) == [(2, "id"), (3, "id")]


def test_identifiers_with_full_width_digits_an_apostrophe_or_separators_are_read_as_their_digits(
        db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 6, seed=59)
    written = ["440304-01013-000001", "４４０３０４０１０１３０００００２", "'44030401013000003",
               "440304 01013 000004", "44030401013000005.0", "440304-0101-3000006"]
    survey = tmp_path / "ids.csv"
    survey.write_text("BJBM,ZGBMMC,经度,纬度\n" + "".join(
        f"{text},{DEPT},{p.x},{p.y}\n" for text, p in zip(written, points, strict=True)), encoding="utf-8")
    result = _run(db_url, [survey], dry_run=True, skip_invalid=True)
    assert ("5 identifier(s) written with full-width digits, a leading apostrophe or separators read as "
            "their digits (first: ids.csv row 2: '440304-01013-000001' as 44030401013000001)") in result.notes
    # a number that lost its digits, and so names no class: one reason, the identifier's, says it
    assert [(r.row, r.field) for r in result.rejections] == [(6, "id")]
    assert result.loaded_per_class == {"01013": 5}


def test_the_chosen_layer_of_a_file_geodatabase_is_imported(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3, seed=43)
    path = tmp_path / "census.gdb"
    for layer, code, chosen in (("井盖", "01013", points[:1]), ("路灯", "01014", points[1:])):
        _write(path, [{"XLDM": code, "ZGBMMC": DEPT}] * len(chosen), chosen, driver="OpenFileGDB",
               layer=layer)
    result = _run(fresh_db_url, [path], layers=("路灯",))
    assert (result.status, result.loaded_per_class) == ("committed", {"01014": 2})
    assert (_count(fresh_db_url, "01013"), _count(fresh_db_url, "01014")) == (0, 2)


def test_every_layer_of_a_geopackage_lands_in_one_batch_and_reports_name_the_layer(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 5, seed=44)
    path = tmp_path / "census.gpkg"
    _write(path, [{"XLDM": "01013", "ZGBMMC": DEPT}] * 2, points[:2], layer="井盖")
    _write(path, [{"XLDM": "01014", "ZGBMMC": DEPT}, {"XLDM": "01014", "ZGBMMC": None},
                  {"XLDM": "01014", "ZGBMMC": DEPT}], points[2:], layer="路灯")
    pyogrio.write_dataframe(gpd.pd.DataFrame({"代码": ["01013"], "名称": ["污水井盖"]}), path, layer="字典")

    refused = _run(fresh_db_url, [path])
    assert refused.status == "rejected"
    assert [(r.file, r.row, r.field) for r in refused.rejections] == [
        ("census.gpkg:路灯", 2, "competent_dept_name")]
    assert "census.gpkg: GeoPackage tables without geometries not read: ['字典']" in refused.notes
    assert (_count(fresh_db_url, "01013"), _count(fresh_db_url, "01014")) == (0, 0)

    chosen = _run(fresh_db_url, [path], layers=("井盖",), dry_run=True)
    assert (chosen.status, chosen.rows_read, chosen.loaded_per_class) == ("dry-run", 2, {"01013": 2})
    result = _run(fresh_db_url, [path], skip_invalid=True)
    assert (result.status, result.loaded_per_class) == ("committed", {"01013": 2, "01014": 2})
    with pytest.raises(ImportValidationError,
                       match=r"no layer '路'; the layers are \['井盖', '路灯', '字典'\]"):
        _run(fresh_db_url, [path], layers=("路",))


def test_rows_without_a_class_take_the_class_their_layer_or_file_is_named_by(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 8, seed=45)
    sewer = default_table().get("gb47678", "component", "01002").name  # 污水井盖
    census = tmp_path / "census.gpkg"
    _write(census, [{"ZGBMMC": DEPT}] * 2, points[:2], layer=sewer)
    _write(census, [{"ZGBMMC": DEPT}, {"XLDM": "01013", "ZGBMMC": DEPT}], points[2:4], layer="01037路灯")
    _write(census, [{"ZGBMMC": DEPT}], points[4:5], layer="survey")
    _write(tmp_path / "1002.shp", [{"ZGBMMC": DEPT}], points[5:6])  # not read as class 01002
    _write(tmp_path / f"{sewer}.shp", [{"ZGBMMC": DEPT, "GLBJBSM": "44030401013000123"}, {"ZGBMMC": DEPT}],
           points[6:8])

    result = _run(fresh_db_url, [census, tmp_path / "1002.shp", tmp_path / f"{sewer}.shp"], dry_run=True)
    assert [(r.file, r.row, r.field) for r in result.rejections] == [
        ("census.gpkg:survey", 1, "class_code"), ("1002.shp", 1, "class_code")]
    assert result.rejections[0].reason == ("no class code: give --class, a class field, an identifier, or a "
                                           "layer, file or delivery folder named by the class")
    assert [n for n in result.notes if "without a class" in n] == [
        f"census.gpkg:{sewer}: 2 row(s) without a class take 01002 ({sewer}) from the name '{sewer}'",
        "census.gpkg:01037路灯: 1 row(s) without a class take 01037 (路灯) from the name '01037路灯'",
        f"{sewer}.shp: 1 row(s) without a class take 01002 ({sewer}) from the name '{sewer}'"]
    result = _run(fresh_db_url, [census, tmp_path / f"{sewer}.shp"], layers=(sewer, "01037路灯"))
    assert (result.status, result.loaded_per_class) == ("committed", {"01002": 3, "01013": 2, "01037": 1})


def test_a_workbook_with_a_sheet_per_class_lands_every_sheet_in_their_classes(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 5, seed=46)
    hydrants = default_table().get("gb47678", "component", "01013").name  # 消防设施
    book = openpyxl.Workbook()
    book.active.title = "填表说明"
    book.active.append(["字段", "说明"])
    hydrant_sheet = book.create_sheet(hydrants)
    hydrant_sheet.append(["ZGBMMC", "经纬度"])  # a column of pairs, as a map's coordinate picker copies them
    for point in points[:2]:
        hydrant_sheet.append([DEPT, f"{point.x},{point.y}"])
    sheet = book.create_sheet("01014园林井盖")
    sheet.append(["ZGBMMC", "经度", "纬度"])
    for point in points[2:]:
        sheet.append([DEPT, point.x, point.y])
    sheet["A4"] = None  # 01014园林井盖 row 4: no department
    book.save(tmp_path / "census.xlsx")

    refused = _run(fresh_db_url, [tmp_path / "census.xlsx"])
    assert [(r.file, r.row, r.field) for r in refused.rejections] == [
        ("census.xlsx:01014园林井盖", 4, "competent_dept_name")]
    assert "census.xlsx: workbook sheets without coordinate columns not read: ['填表说明']" in refused.notes
    assert (_count(fresh_db_url, "01013"), _count(fresh_db_url, "01014")) == (0, 0)
    result = _run(fresh_db_url, [tmp_path / "census.xlsx"], skip_invalid=True)
    assert (result.status, result.loaded_per_class) == ("committed", {"01013": 2, "01014": 2})


def test_a_zipped_delivery_lands_in_one_transaction_and_reports_name_its_members(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3, seed=47)
    folder = tmp_path / "delivery"
    folder.mkdir()
    _write(folder / "covers.shp", [{"XLDM": "01015", "ZGBMMC": DEPT}] * 2, points[:2])
    _write(folder / "lamps.shp", [{"XLDM": "01017", "ZGBMMC": None}], points[2:])  # no department
    archive = tmp_path / "delivery.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for part in folder.iterdir():
            packed.write(part, f"普查/{part.name}")
    rejected = _run(fresh_db_url, [archive])
    assert rejected.status == "rejected" and _count(fresh_db_url, "01015") == 0
    assert [(r.file, r.row, r.field) for r in rejected.rejections] == [
        ("delivery.zip/普查/lamps.shp", 1, "competent_dept_name")]
    loaded = _run(fresh_db_url, [archive], skip_invalid=True)
    assert (loaded.status, loaded.loaded_per_class) == ("committed", {"01015": 2})


def test_a_delivery_folder_lands_its_surveys_and_passes_over_attribute_tables(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 5, seed=59)
    census = tmp_path / "普查成果"
    for street, at in (("福田街道", points[:2]), ("华富街道", points[2:3])):
        (census / street).mkdir(parents=True)
        _write(census / street / "井盖.shp", [{"XLDM": "01013", "ZGBMMC": DEPT}] * len(at), at,
               encoding="GBK")
    (census / "01014园林井盖").mkdir()  # a folder per class, a file per street, no class field
    _write(census / "01014园林井盖" / "福田街道.shp", [{"ZGBMMC": DEPT}], points[4:5], encoding="GBK")
    (census / "补测.csv").write_text(
        f"小类代码,主管部门名称,经度,纬度\n01014,{DEPT},{points[3].x},{points[3].y}\n", encoding="gbk")
    table = openpyxl.Workbook()
    table.active.append(["部件名称", "数量"])
    table.active.append(["井盖", 3])
    table.save(census / "部件汇总表.xlsx")
    (census / "汇总.csv").write_text("部件名称,数量\n井盖,3\n", encoding="utf-8")
    (census / "onemap-import-12.json").write_text('{"batch_id": 12, "status": "rejected"}')  # a run before
    (census / "onemap-import-12.csv").write_text("file,row,field,reason\n井盖.shp,1,geometry,outside\n")
    shapes = sorted((census / "福田街道").glob("井盖.*"))  # the same layer again, in a backup and zipped
    (census / "备份").mkdir()
    for part in shapes:
        (census / "备份" / part.name).write_bytes(part.read_bytes())
    with zipfile.ZipFile(census / "福田街道.zip", "w") as packed:
        for part in shapes:
            packed.write(part, part.name)
    steps: list[tuple[str, int, int]] = []
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        result = import_components(conn, [census], ImportOptions(actor="tester"),
                                   lambda stage, done, total: steps.append((stage, done, total)))
    assert (result.status, result.loaded_per_class) == ("committed", {"01013": 3, "01014": 2})
    reads = [("read", 0, 1)] + [("read", n, 4) for n in range(5)]  # the folder, then each file in it
    assert [step for step in steps if step[0] == "read"] == reads
    assert ("普查成果/01014园林井盖/福田街道.shp: 1 row(s) without a class take 01014 (园林井盖) from the "
            "folder '01014园林井盖'") in result.notes
    first = "普查成果/福田街道.zip/井盖.shp"  # a folder's own files are walked before its subfolders
    assert [n for n in result.notes if "the same data" in n] == [
        f"普查成果/备份/井盖.shp: the same data as {first}: read once",
        f"普查成果/福田街道/井盖.shp: the same data as {first}: read once"]
    passed_over = ("not read: its header names no coordinate, coordinate-pair or WKT columns "
                   "(an attribute table?)")
    assert f"普查成果/部件汇总表.xlsx: {passed_over}" in result.notes
    assert f"普查成果/汇总.csv: {passed_over}" in result.notes
    assert f"普查成果/onemap-import-12.csv: {passed_over}" in result.notes
    assert ("普查成果/onemap-import-12.json: not read: not GeoJSON (a report, settings or metadata file?)"
            in result.notes)
    with pytest.raises(ImportValidationError, match="no coordinate columns"):  # named, it must be a survey
        _run(fresh_db_url, [census / "部件汇总表.xlsx"])
    tables_only = tmp_path / "汇总"
    tables_only.mkdir()
    (census / "汇总.csv").rename(tables_only / "汇总.csv")
    alone = r"^汇总/汇总\.csv: no survey layer to read \(汇总/汇总\.csv: not read"
    with pytest.raises(ImportValidationError, match=alone):
        _run(fresh_db_url, [tables_only])


@pytest.mark.filterwarnings("ignore:Could not decode error message:RuntimeWarning")  # GDAL: names cut
def test_a_gbk_shapefile_with_standard_chinese_field_names_cut_at_ten_bytes_loads(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 2, seed=53)
    records = [{"小类代码": "01018", "主管部门名称": DEPT, "养护单位名称": "养护一所"}] * 2
    _write(tmp_path / "covers.shp", records, points, encoding="GBK")  # 主管部门名称 → 主管部门名
    result = _run(fresh_db_url, [tmp_path / "covers.shp"])
    assert (result.status, result.rows_loaded, result.rejections) == ("committed", 2, [])
    cut = "covers.shp: column '主管部门名' read as '主管部门名称', whose name the file cut short"
    assert cut in result.notes
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT DISTINCT competent_dept_name, maintainer_dept_name "
                              "FROM onemap.component WHERE class_code = '01018'").fetchall()
    assert stored == [(DEPT, "养护一所")]


def test_rtk_points_with_elevations_and_one_point_multipoints_land_as_2d_points(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        truth = _points_in_city(conn, 4, seed=29)
    records = [{"XLDM": "01010", "ZGBMMC": DEPT}] * 2
    rtk = _write(tmp_path / "rtk.shp", records, [shapely.Point(p.x, p.y, 8.25) for p in truth[:2]])
    multi = _write(tmp_path / "multi.gpkg", records, [shapely.MultiPoint([p]) for p in truth[2:]])
    result = _run(fresh_db_url, [rtk, multi])
    assert (result.status, result.rows_loaded, result.rejections) == ("committed", 4, [])
    assert any("2 geometries have Z" in note for note in result.notes)
    assert any("2 one-point MultiPoints read as Points" in note for note in result.notes)
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT ST_X(geom), ST_Y(geom), ST_NDims(geom), GeometryType(geom) "
                              "FROM onemap.component WHERE class_code = '01010' "
                              "ORDER BY ST_X(geom)").fetchall()
    assert stored == [(p.x, p.y, 2, "POINT") for p in sorted(truth, key=lambda p: p.x)]


@pytest.mark.parametrize(("stored", "surveyed"), [(3, 1), (1, 3)],
                         ids=["inventory-larger-probes-in-sql", "survey-larger-looks-up-in-python"])
def test_duplicates_of_stored_components_are_found_from_either_side(fresh_db_url, tmp_path, stored, surveyed):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, stored + surveyed, seed=21)
    first = _write(tmp_path / "stored.gpkg", [{"ZGBMMC": DEPT}] * stored, points[:stored])
    assert _run(fresh_db_url, [first], class_code="01001").status == "committed"
    near = shapely.Point(points[0].x + 0.000002, points[0].y)  # ≈ 0.2 m from the first stored one
    second = _write(tmp_path / "survey.gpkg", [{"ZGBMMC": DEPT}] * surveyed,
                    [near, *points[stored + 1:stored + surveyed]])
    result = _run(fresh_db_url, [second], class_code="01001")
    assert result.status == "rejected"
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (1, "geometry", "duplicate: component 44030401001000001 of the same class is within 0.5 m")]


def test_skip_invalid_leaves_no_gap_in_the_allocated_serials(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3, seed=23)
    first = _write(tmp_path / "stored.gpkg", [{"ZGBMMC": DEPT}], points[:1])
    assert _run(fresh_db_url, [first], class_code="01001").status == "committed"
    near = shapely.Point(points[0].x + 0.000002, points[0].y)
    second = _write(tmp_path / "survey.gpkg", [{"ZGBMMC": DEPT}] * 3, [points[1], near, points[2]])
    result = _run(fresh_db_url, [second], class_code="01001", skip_invalid=True)
    assert (result.status, [r.row for r in result.rejections]) == ("committed", [2])
    assert result.ids == ("44030401001000002", "44030401001000003")
    with psycopg.connect(fresh_db_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT id FROM onemap.component WHERE class_code = '01001' "
                                             "ORDER BY id")]
    assert stored == ["44030401001000001", "44030401001000002", "44030401001000003"]


_INDEXES_SQL = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'onemap' " \
               "AND tablename = 'component' ORDER BY 1"


@pytest.mark.parametrize("rebuild", [True, False], ids=["rebuild-indexes", "insert-into-indexes"])
def test_both_load_paths_store_the_same_rows_and_keep_every_index(fresh_db_url, tmp_path, rebuild):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 30, seed=29)
        indexes = conn.execute(_INDEXES_SQL).fetchall()
    survey = _write(tmp_path / "s.gpkg", [{"ZGBMMC": DEPT, "材质": "铸铁"}] * 30, points)
    result = _run(fresh_db_url, [survey], class_code="01001", rebuild_indexes=rebuild)
    assert (result.status, result.rows_loaded) == ("committed", 30)
    assert result.ids == tuple(f"44030401001{n:06d}" for n in range(1, 31))
    with psycopg.connect(fresh_db_url) as conn:
        assert conn.execute(_INDEXES_SQL).fetchall() == indexes
        rows = conn.execute("SELECT count(*), count(DISTINCT grid_code), "
                            "bool_and(attributes = '{\"材质\": \"铸铁\"}'), "
                            "bool_and(ST_Equals(geom_3857, ST_Transform(geom, 3857))) "
                            "FROM onemap.component WHERE class_code = '01001'").fetchone()
        assert rows == (30, 30, True, True)
        # the rebuilt unique index still refuses a second current version of an identifier
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO onemap.component (id, scheme, class_code, name, geometry_type, geom, "
                         "changed_by, change_source) SELECT id, scheme, class_code, name, geometry_type, "
                         "geom, 'x', 'x' FROM onemap.component WHERE id = %s", (result.ids[0],))


def test_a_dry_run_on_the_rebuild_path_leaves_indexes_and_rows_as_they_were(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 5, seed=31)
        before = conn.execute(_INDEXES_SQL).fetchall(), conn.execute(
            "SELECT count(*) FROM onemap.component").fetchone()
    survey = _write(tmp_path / "s.gpkg", [{"ZGBMMC": DEPT}] * 5, points)
    result = _run(fresh_db_url, [survey], class_code="01001", rebuild_indexes=True, dry_run=True)
    assert (result.status, result.rows_loaded) == ("dry-run", 5)
    with psycopg.connect(fresh_db_url) as conn:
        after = conn.execute(_INDEXES_SQL).fetchall(), conn.execute(
            "SELECT count(*) FROM onemap.component").fetchone()
    assert after == before


def test_text_with_tabs_backslashes_and_line_breaks_is_stored_verbatim(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 1, seed=37)
    note, remark = "井盖\t破损\\待修", '说明 "A"\\B\r\nC'
    survey = _write(tmp_path / "s.gpkg", [{"ZGBMMC": DEPT, "BZ": note, "现场说明": remark}], points)
    assert _run(fresh_db_url, [survey], class_code="01001").status == "committed"
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT note, attributes FROM onemap.component "
                              "WHERE class_code = '01001'").fetchone()
    assert stored == (note, {"现场说明": remark})


def test_a_survey_without_rows_is_a_clear_error_and_an_empty_file_a_note(db_url, tmp_path):
    header = tmp_path / "header.csv"
    header.write_text("部件名称,经度,纬度,主管部门名称\n", encoding="utf-8")
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    for paths in ([header], [header, empty]):
        with pytest.raises(ImportValidationError, match=r"header\.csv.*: no rows to import"):
            _run(db_url, paths, class_code="01001", dry_run=True)
    one = tmp_path / "one.csv"
    one.write_text("部件名称,经度,纬度,主管部门名称\n井盖,114.0312,22.5401,城管局\n", encoding="utf-8")
    result = _run(db_url, [header, one], class_code="01001", dry_run=True)
    assert result.rows_read == 1 and "header.csv: holds no rows" in result.notes


def test_unreadable_coordinates_are_rejected_with_the_cells_that_hold_them(db_url, tmp_path):
    survey = tmp_path / "coords.csv"
    survey.write_text("部件名称,经度,纬度,主管部门名称\n"
                      "井盖,114.0312,22.5401,城管局\n"
                      '井盖,"114,0312","22,5401",城管局\n'
                      "井盖,N/A,22.5402,城管局\n"
                      "井盖,114.0313,,城管局\n"
                      "井盖,,,城管局\n"
                      "井盖,1e400,22.5403,城管局\n", encoding="utf-8")
    wkt = tmp_path / "shapes.csv"
    wkt.write_text("部件名称,wkt,主管部门名称\n井盖,POINT (114.0314 22.5404),城管局\n"
                   "井盖,POINT(114.03,城管局\n井盖,LINESTRING(114.0314 22.5404),城管局\n", encoding="utf-8")
    result = _run(db_url, [survey, wkt], class_code="01001", dry_run=True)
    reasons = {(r.file, r.row, r.field): r.reason for r in result.rejections}
    number = "is not a finite number (nor degrees, minutes and seconds)"
    assert reasons == {
        ("coords.csv", 3, "geometry"): f"经度 '114,0312' {number}; 纬度 '22,5401' {number}",
        ("coords.csv", 4, "geometry"): f"经度 'N/A' {number}",
        ("coords.csv", 5, "geometry"): "纬度 is empty",
        ("coords.csv", 6, "geometry"): "no geometry or coordinates",
        ("coords.csv", 7, "geometry"): f"经度 '1e400' {number}",
        ("shapes.csv", 3, "geometry"): "wkt 'POINT(114.03' is not WKT of a geometry: Expected number but "
                                       "encountered end of stream",
        ("shapes.csv", 4, "geometry"): "wkt 'LINESTRING(114.0314 22.5404)' is not WKT of a geometry: a line "
                                       "needs at least two vertices; this one has one",
    }


def test_a_3d_surface_is_refused_with_its_row_and_the_rest_of_the_layer_validated(db_url, tmp_path):
    ring = [(114.0312, 22.5401, 0.0), (114.0313, 22.5401, 0.0), (114.0313, 22.5402, 0.0),
            (114.0312, 22.5401, 0.0)]
    patch = struct.pack("<BIII", 1, 1003, 1, len(ring)) + b"".join(struct.pack("<ddd", *p) for p in ring)
    surface = struct.pack("<BII", 1, 1015, 1) + patch  # PolyhedralSurface Z, as a 3D model exports a pit
    point = shapely.to_wkb(shapely.Point(114.0314, 22.5404))
    path = tmp_path / "model.gpkg"
    names, departments = np.array(["井盖"] * 2, dtype=object), np.array(["城管局"] * 2, dtype=object)
    pyogrio.raw.write(path, np.array([surface, point], dtype=object), fields=["部件名称", "主管部门名称"],
                      field_data=[names, departments],
                      geometry_type="Unknown", crs="EPSG:4490", driver="GPKG")
    result = _run(db_url, [path], class_code="01001", dry_run=True)
    assert result.rows_read == 2
    assert {(r.file, r.row, r.field): r.reason for r in result.rejections} == {
        ("model.gpkg", 1, "geometry"): "a PolyhedralSurface (the surface of a 3D model) has no 2D form the "
                                       "inventory can store: deliver its footprint as a polygon"}


def test_closed_lines_of_an_area_class_are_read_as_the_areas_they_enclose(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        corner = _points_in_city(conn, 1, seed=53)[0]
    ring = [(corner.x, corner.y), (corner.x + 1e-4, corner.y), (corner.x + 1e-4, corner.y + 1e-4),
            (corner.x, corner.y + 1e-4)]
    outlines = [shapely.LineString([*ring, ring[0]]),  # closed: a toilet block digitised as its outline
                shapely.LineString(ring),  # open: not an area
                shapely.LineString([ring[0], ring[1], ring[0], ring[1], ring[0]])]  # closed, encloses nothing
    survey = _write(tmp_path / "toilets.gpkg", [{"ZGBMMC": DEPT}] * 3, outlines)
    result = _run(db_url, [survey], class_code="03001", dry_run=True)
    assert "toilets.gpkg: 1 closed line(s) of an area class read as the areas they enclose" in result.notes
    assert [(r.row, r.reason) for r in result.rejections] == [
        (2, "class 03001 expects a polygon, got a LineString"),
        (3, "class 03001 expects a polygon, got a LineString")]


def test_a_kml_placemarks_name_is_the_components_name_unless_a_field_names_it(fresh_db_url, tmp_path):
    """A KML placemark's Name is its label: a field app's census names the component with it, while a KML
    from a GIS carries the name in a field of its own as well, and that field wins."""
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 4, seed=61)
    labelled = tmp_path / "field_app.kml"
    _write(labelled, [{"Name": f"雨水井盖{i}", "XLDM": "01013", "ZGBMMC": DEPT} for i in (1, 2)], points[:2],
           crs=4326, driver="LIBKML")
    both = tmp_path / "gis.kmz"
    _write(both, [{"Name": f"P{i}", "BJMC": f"园林井盖{i}", "XLDM": "01014", "ZGBMMC": DEPT} for i in (1, 2)],
           points[2:], crs=4326, driver="LIBKML")
    result = _run(fresh_db_url, [labelled, both])
    assert (result.status, result.rejections) == ("committed", [])
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT class_code, name, attributes->>'Name' FROM onemap.component "
                              "WHERE batch_id = %s ORDER BY class_code, name", (result.batch_id,)).fetchall()
    assert stored == [("01013", "雨水井盖1", None), ("01013", "雨水井盖2", None),
                      ("01014", "园林井盖1", "P1"), ("01014", "园林井盖2", "P2")]


def test_survey_formats_onemap_cannot_open_are_named_with_what_to_deliver(db_url, tmp_path):
    """A delivery's Personal Geodatabase may hold most of the census: it is not passed over in silence."""
    with psycopg.connect(db_url) as conn:
        point = _points_in_city(conn, 1, seed=67)[0]
    delivery = tmp_path / "成果"
    delivery.mkdir()
    (delivery / "井盖.csv").write_text(f"XLDM,ZGBMMC,经度,纬度\n01013,{DEPT},{point.x},{point.y}\n",
                                      encoding="utf-8")
    (delivery / "普查成果.mdb").write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00")
    (delivery / "路灯.dwg").write_bytes(b"AC1027")
    result = _run(db_url, [delivery], dry_run=True)
    assert (result.status, result.loaded_per_class) == ("dry-run", {"01013": 1})
    assert [n for n in result.notes if "not read" in n] == [
        "成果/普查成果.mdb: not read: a Personal Geodatabase (Access), which onemap cannot open: export its "
        "feature classes to a File Geodatabase (.gdb) or GeoPackage and import that",
        "成果/路灯.dwg: not read: a CAD drawing in DWG, which onemap cannot open: save it as DXF and import "
        "that"]
    with pytest.raises(ImportValidationError, match=r"普查成果\.mdb: a Personal Geodatabase \(Access\)"):
        _run(db_url, [delivery / "普查成果.mdb"], dry_run=True)


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"], ids=["geopackage", "shapefile"])
def test_integer64_identifiers_keep_every_digit_when_a_row_has_none(fresh_db_url, tmp_path, suffix):
    """Read through Arrow, an Integer64 column with a null became float64, which holds a 17-digit code only
    to within 8: each such identifier was refused as stored as a number."""
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 3, seed=71)
    ids = pd.array([44030401013000123, None, 44030401013000125], dtype="Int64")
    survey = tmp_path / f"ids{suffix}"
    gpd.GeoDataFrame({"BJBM": ids, "XLDM": "01013", "ZGBMMC": DEPT}, geometry=points, crs=4490).to_file(
        survey, engine="pyogrio")
    assert pyogrio.read_info(survey)["dtypes"][0] == "int64"  # an Integer64 field
    result = _run(fresh_db_url, [survey])
    assert (result.status, result.rejections) == ("committed", [])
    assert result.ids == ("44030401013000123", "44030401013000126", "44030401013000125")


def test_identifiers_a_double_field_holds_exactly_are_read_as_their_digits(db_url, tmp_path):
    """A double holds every whole number below 2^53 exactly: a 16-digit legacy code in a .dbf N field or a
    File Geodatabase Double field, which GDAL hands over as a float, lost nothing."""
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 4, seed=73)
    shapefile, geodatabase = tmp_path / "ids.shp", tmp_path / "ids.gdb"
    _write(shapefile, [{"BJBM": number, "XLDM": "0101", "ZGBMMC": DEPT}
                       for number in (4403040101000123.0, None, 4403040101000124.0)], points[:3])
    _write(geodatabase, [{"BJBM": 4403040101000125.0, "XLDM": "0101", "ZGBMMC": DEPT}], points[3:],
           driver="OpenFileGDB", layer="上水井盖")
    assert [pyogrio.read_info(path)["dtypes"][0] for path in (shapefile, geodatabase)] == ["float64"] * 2
    result = _run(db_url, [shapefile, geodatabase], scheme="legacy", dry_run=True)
    assert (result.status, result.rejections, result.loaded_per_class) == ("dry-run", [], {"0101": 4})
    assert ("3 identifier(s) stored as numbers read as their digits (first: ids.shp row 1: "
            "'4403040101000123.0' as 4403040101000123)") in result.notes


def test_identifiers_written_as_numbers_that_lost_digits_are_still_refused(db_url, tmp_path):
    """From 2^53 on a double skips whole numbers, and a spreadsheet shows a number it cut to 15 significant
    digits in scientific notation: such codes must be entered again."""
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 4, seed=79)
    written = ["4.40304010100012E+15", "9007199254740992.0", "9007199254740991.0", "4403040101000123.0"]
    survey = tmp_path / "ids.csv"
    survey.write_text("BJBM,XLDM,ZGBMMC,经度,纬度\n" + "".join(
        f"{text},0101,{DEPT},{p.x},{p.y}\n" for text, p in zip(written, points, strict=True)),
        encoding="utf-8")
    result = _run(db_url, [survey], scheme="legacy", dry_run=True, skip_invalid=True)
    lost = ("was stored as a number, which keeps 15 significant digits and so loses a 16- or 17-digit code: "
            "store the column as text and enter the codes again")
    reasons = [(r.row, r.field, r.reason) for r in result.rejections]
    spreadsheet = ("is a number: Excel or WPS turned the identifiers into numbers, which keep 15 significant "
                   "digits, so the codes lost their last digits; take the identifiers from an XLSX export "
                   "(onemap export components out.xlsx), which keeps them as text, or format the column as "
                   "text before typing or pasting them")
    assert reasons[:2] == [(2, "id", f"identifier 4.40304010100012E+15 {spreadsheet}"),
                           (3, "id", f"identifier 9007199254740992.0 {lost}")]
    # 2^53 - 1 is read as its digits, and then checked as a code
    assert reasons[2:] == [(4, "id", "component id '9007199254740991' has province part '90', which is not a "
                                     "GB/T 2260 province; expected one of 11–15, 21–23, 31–37, 41–46, 50–54, "
                                     "61–65, 71, 81, 82")]
    assert ("2 identifier(s) stored as numbers read as their digits (first: ids.csv row 4: "
            "'9007199254740991.0' as 9007199254740991)") in result.notes
