"""Re-deliveries: an upsert from sheets that carry only some columns keeps what a file has no column for;
an identifier names one component for good."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import geopandas as gpd
import psycopg
import shapely

from tests.gis.conftest import ogc_app_client
from tests.layers.test_survey_import import DEPT, _points_in_city, _run
from tests.layers.test_survey_read import _table_file

BEIJING = timezone(timedelta(hours=8))
IDS = [f"4403040100600002{i}" for i in (1, 2, 3)]


def _census(db_url: str, tmp_path: Path) -> list[shapely.Point]:
    """Three manhole covers (01006) with every field a census fills in, loaded in append mode."""
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 3, seed=53)
    records = [{"GLBJBSM": i, "GLBJMC": f"路灯井盖{n}", "ZGBMMC": DEPT, "YHDWMC": "福田区市政养护所",
                "CSRQ": "2022-03-01", "BZ": f"普查{n}", "材质": "球墨铸铁", "口径": "700"}
               for n, i in enumerate(IDS)]
    census = tmp_path / "census.gpkg"
    gpd.GeoDataFrame(records, geometry=points, crs=4490).to_file(census, engine="pyogrio")
    assert _run(db_url, [census]).status == "committed"
    return points


def _sheet(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    return _table_file(path, [header, *rows])


def _current(db_url: str) -> dict[str, tuple]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT id, name, competent_dept_name, maintainer_dept_name, state, initial_date, change_date, "
            "note, attributes FROM onemap.component WHERE id = ANY(%s) AND valid_to IS NULL",
            (IDS,)).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_a_sheet_of_identifiers_and_states_updates_the_states_and_keeps_the_rest(fresh_db_url, tmp_path):
    points = _census(fresh_db_url, tmp_path)
    before = _current(fresh_db_url)
    states = _sheet(tmp_path / "states.csv", ["管理部件标识码", "部件状态", "经度", "纬度"],
                    [[IDS[0], "破损", f"{points[0].x:.9f}", f"{points[0].y:.9f}"],
                     [IDS[1], "完好", f"{points[1].x:.9f}", f"{points[1].y:.9f}"]])
    result = _run(fresh_db_url, [states], mode="upsert")
    assert (result.status, result.rows_loaded, result.rows_unchanged, result.rows_replaced) == (
        "committed", 1, 1, 1)
    assert ("2 row(s) keep from their stored version the fields their file has no column for (name, "
            "competent_dept_code, competent_dept_name, owner_dept_code, owner_dept_name, "
            "maintainer_dept_code, maintainer_dept_name, initial_date, change_date, data_source, note) and "
            "the free attributes under other names (upsert)") in result.notes
    after = _current(fresh_db_url)
    name, dept, maintainer, state, initial, _, note, attributes = after[IDS[0]]
    assert (name, dept, maintainer, state, initial, note) == (
        "路灯井盖0", DEPT, "福田区市政养护所", "破损", date(2022, 3, 1), "普查0")
    assert attributes == {"材质": "球墨铸铁", "口径": "700"}
    assert after[IDS[1]] == before[IDS[1]] and after[IDS[2]] == before[IDS[2]]


def test_a_column_the_sheet_has_is_its_value_even_empty(fresh_db_url, tmp_path):
    points = _census(fresh_db_url, tmp_path)
    sheet = _sheet(tmp_path / "notes.csv", ["管理部件标识码", "备注", "材质", "经度", "纬度"],
                   [[IDS[0], "", "", f"{points[0].x:.9f}", f"{points[0].y:.9f}"],
                    [IDS[1], "已复核", "复合材料", f"{points[1].x:.9f}", f"{points[1].y:.9f}"]])
    result = _run(fresh_db_url, [sheet], mode="upsert")
    assert (result.status, result.rows_loaded) == ("committed", 2)
    after = _current(fresh_db_url)
    assert (after[IDS[0]][6], after[IDS[0]][7]) == (None, {"口径": "700"})
    assert (after[IDS[1]][6], after[IDS[1]][7]) == ("已复核", {"材质": "复合材料", "口径": "700"})
    assert after[IDS[1]][:2] == ("路灯井盖1", DEPT)


def test_a_new_component_in_a_partial_sheet_needs_its_mandatory_fields(fresh_db_url, tmp_path):
    points = _census(fresh_db_url, tmp_path)
    with psycopg.connect(fresh_db_url) as conn:
        (elsewhere,) = _points_in_city(conn, 1, seed=59)
    new_id = "44030401006000029"
    sheet = _sheet(tmp_path / "states.csv", ["管理部件标识码", "部件状态", "经度", "纬度"],
                   [[IDS[0], "破损", f"{points[0].x:.9f}", f"{points[0].y:.9f}"],
                    [new_id, "完好", f"{elsewhere.x:.9f}", f"{elsewhere.y:.9f}"]])
    refused = _run(fresh_db_url, [sheet], mode="upsert")
    assert refused.status == "rejected"
    assert [(r.row, r.field, r.reason) for r in refused.rejections] == [
        (3, "competent_dept_name", "mandatory ZGBMMC (competent_dept_name) is empty: the file has no "
                                   "column for it, and no current component has the row's identifier to "
                                   "take it from")]
    assert _current(fresh_db_url)[IDS[0]][3] == "完好"
    loaded = _run(fresh_db_url, [sheet], mode="upsert", skip_invalid=True)
    assert (loaded.status, loaded.rows_loaded) == ("committed", 1)
    assert _current(fresh_db_url)[IDS[0]][3] == "破损"


def test_append_and_replace_take_nothing_from_the_inventory(fresh_db_url, tmp_path):
    points = _census(fresh_db_url, tmp_path)
    sheet = _sheet(tmp_path / "states.csv", ["管理部件标识码", "部件状态", "经度", "纬度"],
                   [[IDS[0], "破损", f"{points[0].x:.9f}", f"{points[0].y:.9f}"]])
    refused = _run(fresh_db_url, [sheet], mode="replace")
    assert [(r.row, r.field) for r in refused.rejections] == [(2, "competent_dept_name")]
    sheet = _sheet(tmp_path / "full.csv", ["管理部件标识码", "主管部门名称", "部件状态", "经度", "纬度"],
                   [[IDS[0], DEPT, "破损", f"{points[0].x:.9f}", f"{points[0].y:.9f}"]])
    replaced = _run(fresh_db_url, [sheet], mode="replace")
    assert (replaced.status, replaced.rows_loaded, replaced.removed) == ("committed", 1, 2)
    name, _, maintainer, state, initial, _, note, attributes = _current(fresh_db_url)[IDS[0]]
    assert (name, maintainer, state, initial, note, attributes) == ("路灯井盖", None, "破损", None, None, {})


def test_append_refuses_the_identifier_of_a_removed_component_and_upsert_restores_it(fresh_db_url, tmp_path):
    points = _census(fresh_db_url, tmp_path)
    kept = _sheet(tmp_path / "kept.csv", ["管理部件标识码", "主管部门名称", "经度", "纬度"],
                  [[i, DEPT, f"{p.x:.9f}", f"{p.y:.9f}"] for i, p in zip(IDS[:2], points, strict=False)])
    removal = _run(fresh_db_url, [kept], mode="replace")
    assert removal.removed == 1  # IDS[2] leaves the inventory
    again = _sheet(tmp_path / "again.csv", ["管理部件标识码", "主管部门名称", "经度", "纬度"],
                   [[IDS[2], DEPT, f"{points[2].x:.9f}", f"{points[2].y:.9f}"]])
    refused = _run(fresh_db_url, [again])
    today = datetime.now(UTC).astimezone(BEIJING).date().isoformat()
    assert [(r.row, r.field, r.reason) for r in refused.rejections] == [
        (2, "id", f"identifier {IDS[2]} belonged to a component removed on {today}, and an identifier is "
                  "never given to another component (--mode upsert restores that one)")]
    restored = _run(fresh_db_url, [again], mode="upsert")
    assert (restored.status, restored.rows_loaded, restored.rows_replaced) == ("committed", 1, 0)
    assert _current(fresh_db_url)[IDS[2]][:2] == ("路灯井盖", DEPT)
    assert (f"1 component(s) removed earlier come back, their identifiers delivered again: {IDS[2]} (removed "
            f"on {today} by import:{removal.batch_id}); if the file was exported before those removals, drop "
            "their rows") in restored.notes


def test_a_removal_is_told_on_the_city_date(fresh_db_url, tmp_path):
    """Removed at 20:00 UTC on 1 March, 04:00 on 2 March in the city: both messages that tell a removal's
    date say 2 March, whatever the database session's zone; 1 March in a city whose zone is UTC."""
    points = _census(fresh_db_url, tmp_path)
    kept = _sheet(tmp_path / "kept.csv", ["管理部件标识码", "主管部门名称", "经度", "纬度"],
                  [[i, DEPT, f"{p.x:.9f}", f"{p.y:.9f}"] for i, p in zip(IDS[:2], points, strict=False)])
    assert _run(fresh_db_url, [kept], mode="replace").removed == 1
    with psycopg.connect(fresh_db_url) as conn:
        conn.execute("UPDATE onemap.component SET valid_from = '2026-01-01T00:00:00Z', "
                     "valid_to = '2026-03-01T20:00:00Z' WHERE id = %s", (IDS[2],))
    again = _sheet(tmp_path / "again.csv", ["管理部件标识码", "主管部门名称", "经度", "纬度"],
                   [[IDS[2], DEPT, f"{points[2].x:.9f}", f"{points[2].y:.9f}"]])
    states = _sheet(tmp_path / "states.csv", ["部件标识码", "部件状态"], [[IDS[2], "破损"]])
    for zone, day in (("Asia/Shanghai", "2026-03-02"), ("UTC", "2026-03-01")):
        appended = _run(fresh_db_url, [again], timezone=zone).rejections
        assert f"belonged to a component removed on {day}," in appended[0].reason
        upserted = _run(fresh_db_url, [states], mode="upsert", timezone=zone).rejections
        assert f"component {IDS[2]} was removed on {day} (" in upserted[0].reason


def test_a_geojson_saved_from_the_ogc_api_re_imports_unchanged(fresh_db_url, tmp_path, settings):
    _census(fresh_db_url, tmp_path)
    with ogc_app_client(settings, fresh_db_url) as client:
        features = [client.get(f"/collections/components/items/{i}", params={"f": "json"}).json()
                    for i in IDS]
    saved = tmp_path / "downloaded.geojson"

    def save() -> Path:
        collection = {"type": "FeatureCollection", "features": features}
        saved.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
        return saved

    result = _run(fresh_db_url, [save()], mode="upsert")
    assert (result.status, result.rows_loaded, result.rows_unchanged, result.rejections) == (
        "committed", 0, 3, [])
    assert ("downloaded.geojson: column 'id' read as the identifier (管理部件标识码): each of its values is "
            "a 16- or 17-digit component code") in result.notes
    assert ("downloaded.geojson: features as an OGC API serves components: the free attributes in "
            "'attributes' read as columns; scheme, major_code not read (onemap derives them); valid_from "
            "read as the version each feature was served from") in result.notes
    features[0]["properties"]["state"] = "破损"
    features[1]["properties"]["attributes"]["材质"] = "复合材料"
    edited = _run(fresh_db_url, [save()], mode="upsert")
    assert (edited.status, edited.rows_loaded, edited.rows_unchanged) == ("committed", 2, 1)
    after = _current(fresh_db_url)
    assert (after[IDS[0]][3], after[IDS[0]][7]) == ("破损", {"材质": "球墨铸铁", "口径": "700"})
    assert (after[IDS[1]][3], after[IDS[1]][7]) == ("完好", {"材质": "复合材料", "口径": "700"})


def test_a_column_named_id_that_numbers_the_rows_is_a_free_attribute(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        points = _points_in_city(conn, 2, seed=61)
    numbered = tmp_path / "numbered.geojson"
    gpd.GeoDataFrame({"id": [1, 2], "GLBJMC": ["井盖a", "井盖b"], "ZGBMMC": [DEPT, DEPT]}, geometry=points,
                     crs=4490).to_file(numbered, engine="pyogrio")
    result = _run(fresh_db_url, [numbered], class_code="01006")
    assert (result.status, result.rows_loaded) == ("committed", 2)
    assert not any("read as the identifier" in note for note in result.notes)
    with psycopg.connect(fresh_db_url) as conn:
        stored = conn.execute("SELECT attributes FROM onemap.component WHERE id = ANY(%s) ORDER BY id",
                              (list(result.ids),)).fetchall()
    assert [a for a, in stored] == [{"id": 1}, {"id": 2}]


def test_components_stored_close_together_are_no_duplicates_when_delivered_where_they_lie(fresh_db_url,
                                                                                        tmp_path):
    """Two covers 0.3 m apart, loaded with --duplicate-distance 0, come back in an export: an upsert with
    the default 0.5 m leaves them (one renamed in place too), while a new cover or one moved next to them
    is still a duplicate, of the survey's row or of the stored component."""
    with psycopg.connect(fresh_db_url) as conn:
        point = _points_in_city(conn, 1, seed=61)[0]
    pair = [point, shapely.Point(point.x + 0.000003, point.y)]  # ≈ 0.31 m
    ids = ["44030401003900101", "44030401003900102"]
    first = tmp_path / "pair.gpkg"
    gpd.GeoDataFrame([{"GLBJBSM": i, "GLBJMC": "雨水井盖", "ZGBMMC": DEPT} for i in ids], geometry=pair,
                     crs=4490).to_file(first, engine="pyogrio")
    loaded = _run(fresh_db_url, [first], duplicate_distance_m=0.0)
    assert loaded.status == "committed", loaded.rejections
    again = tmp_path / "again.gpkg"
    gpd.GeoDataFrame([{"GLBJBSM": ids[0], "GLBJMC": "雨水井盖", "ZGBMMC": DEPT},
                      {"GLBJBSM": ids[1], "GLBJMC": "雨水井盖（双箅）", "ZGBMMC": DEPT}], geometry=pair,
                     crs=4490).to_file(again, engine="pyogrio")
    result = _run(fresh_db_url, [again], mode="upsert")
    assert (result.status, result.rejections, result.rows_unchanged, result.rows_loaded) == (
        "committed", [], 1, 1)
    near = shapely.Point(point.x + 0.0000015, point.y)
    moved = tmp_path / "moved.gpkg"
    gpd.GeoDataFrame([{"GLBJBSM": ids[1], "GLBJMC": "雨水井盖", "ZGBMMC": DEPT},
                      {"GLBJMC": "雨水井盖", "ZGBMMC": DEPT}], geometry=[near, near], crs=4490).to_file(
        moved, engine="pyogrio")
    refused = _run(fresh_db_url, [moved], mode="upsert", dry_run=True, class_code="01003")
    assert [(r.row, r.reason) for r in refused.rejections] == [
        (1, f"duplicate: component {ids[0]} of the same class is within 0.5 m"),
        (2, "duplicate: same class 01003 as moved.gpkg row 1 within 0.5 m")]


def test_a_replace_says_what_it_removes_per_class_and_notes_a_class_one_row_empties(db_url, tmp_path):
    """A 污水井盖 delivery with one row coded 03005 by a slip would take every 垃圾箱 out."""
    with psycopg.connect(db_url) as conn:
        point = _points_in_city(conn, 1, seed=67)[0]
        stored = conn.execute("SELECT class_code, count(*) FROM onemap.component WHERE valid_to IS NULL "
                              "AND class_code = '03005' GROUP BY 1").fetchall()
    counts = dict(stored)
    assert counts["03005"] >= 10
    sheet = _sheet(tmp_path / "slip.csv", ["小类代码", "主管部门名称", "经度", "纬度"],
                   [["03005", DEPT, f"{point.x:.9f}", f"{point.y:.9f}"]])
    rehearsed = _run(db_url, [sheet], mode="replace", dry_run=True)
    assert (rehearsed.status, rehearsed.removed_per_class) == ("dry-run", {"03005": counts["03005"]})
    assert (f"replace: class 03005 垃圾箱 is delivered in 1 row(s) and {counts['03005']} of its stored "
            "components, not delivered again, leave the inventory; a replace removes what each class it "
            "delivers no longer holds: check those rows' class if it is a slip") in rehearsed.notes


def test_a_replace_notes_the_removals_outside_the_streets_it_delivers(db_url, tmp_path):
    """One street's bins delivered in replace mode take every other street's bins out of the inventory."""
    with psycopg.connect(db_url) as conn:
        point = _points_in_city(conn, 1, seed=67)[0]
        street = conn.execute("SELECT left(code, 9) FROM onemap.v_unit_grid WHERE ST_Intersects(geom, "
                              "ST_GeomFromWKB(%s, 4490)) ORDER BY code LIMIT 1", (point.wkb,)).fetchone()[0]
        outside = conn.execute("SELECT count(*) FROM onemap.component WHERE valid_to IS NULL "
                               "AND class_code = '03005' AND street_code <> %s", (street,)).fetchone()[0]
    assert outside > 0
    sheet = _sheet(tmp_path / "street.csv", ["小类代码", "主管部门名称", "经度", "纬度"],
                   [["03005", DEPT, f"{point.x:.9f}", f"{point.y:.9f}"]])
    rehearsed = _run(db_url, [sheet], mode="replace", dry_run=True)
    assert (f"replace: {outside} of the {rehearsed.removed} component(s) it removes lie outside the 1 "
            f"street(s) the delivery covers ({street}): a replace removes, in the whole city, every current "
            "component of the delivered classes that the delivery does not hold; for a delivery of part of "
            "the city, --mode upsert changes only the components it holds") in rehearsed.notes


def test_a_shapefile_name_cut_from_one_stored_name_updates_it_and_a_doubtful_one_keeps_its_name(
        fresh_db_url, tmp_path):
    """A contractor's Shapefile cuts names to 10 bytes: 灯杆材 is 灯杆材质说明 (stored on its components) in
    UTF-8; 安装年 may be 安装年份 or 安装年月, both stored, and keeps its name rather than take a guess."""
    points = _census(fresh_db_url, tmp_path)
    with psycopg.connect(fresh_db_url) as conn:
        for identifier, attributes in zip(IDS, [{"安装年份": "2019"}, {"安装年月": "2019-05"},
                                                {"灯杆材质说明": "钢"}], strict=True):
            conn.execute("UPDATE onemap.component SET attributes = attributes || %s::jsonb WHERE id = %s",
                         (json.dumps(attributes, ensure_ascii=False), identifier))
    survey = tmp_path / "returned.shp"
    gpd.GeoDataFrame({"GLBJBSM": IDS, "安装年": ["2020", None, None], "灯杆材": [None, None, "铝"]},
                     geometry=points, crs=4490).to_file(survey, engine="pyogrio", encoding="UTF-8")
    result = _run(fresh_db_url, [survey], mode="upsert")
    assert [note for note in result.notes if "Shapefile" in note] == [
        "returned.shp: column '安装年' is kept under its own name, though it may be the Shapefile's cut of "
        "'安装年份' or '安装年月': its components store each of them; to update those, deliver the data in a "
        "GeoPackage, which keeps names whole",
        "returned.shp: column '灯杆材' read as the free attribute '灯杆材质说明' stored on its components, "
        "whose name the Shapefile cut to 10 bytes"]
    attributes = {identifier: row[-1] for identifier, row in _current(fresh_db_url).items()}
    assert attributes == {IDS[0]: {"材质": "球墨铸铁", "口径": "700", "安装年份": "2019", "安装年": "2020"},
                          IDS[1]: {"材质": "球墨铸铁", "口径": "700", "安装年月": "2019-05"},
                          IDS[2]: {"材质": "球墨铸铁", "口径": "700", "灯杆材质说明": "铝"}}


def test_the_command_tells_new_components_from_replaced_versions(fresh_db_url, tmp_path):
    points = _census(fresh_db_url, tmp_path)
    with psycopg.connect(fresh_db_url) as conn:
        new_spot = _points_in_city(conn, 4, seed=54)[-1]
    header = ["管理部件标识码", "小类代码", "主管部门名称", "部件状态", "经度", "纬度"]
    sheet = _sheet(tmp_path / "week.csv", header,
                   [[IDS[0], "01006", DEPT, "破损", f"{points[0].x:.9f}", f"{points[0].y:.9f}"],
                    ["", "01006", DEPT, "完好", f"{new_spot.x:.9f}", f"{new_spot.y:.9f}"]])
    onemap = str(Path(sys.executable).with_name("onemap"))
    env = {**os.environ, "ONEMAP_DATABASE_URL": fresh_db_url}
    for flag, told in (("--dry-run", "would load 2 of 2 rows (01006: 2), 1 new and 1 replacing their current "
                                     "version"),
                       ("--skip-invalid", "loaded 2 of 2 rows (01006: 2), 1 new and 1 replaced their current "
                                          "version")):
        done = subprocess.run([onemap, "import", "components", str(sheet), "--mode", "upsert", flag],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert told in done.stdout, done.stdout
