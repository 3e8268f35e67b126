"""Sheets without coordinates: an upsert keeps each component's stored position; other modes refuse them."""

import geopandas as gpd
import psycopg
import pytest

from gis.errors import ImportValidationError
from tests.layers.test_survey_import import DEPT, _run
from tests.layers.test_survey_read import _table_file
from tests.layers.test_survey_upsert import BEIJING, IDS, _census, _sheet


def _positions(db_url: str) -> dict[str, tuple]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT id, ST_AsText(geom), grid_code, community_code, state, name FROM onemap.component "
            "WHERE id = ANY(%s) AND valid_to IS NULL", (IDS,)).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_sheet_of_identifiers_and_states_keeps_the_stored_positions(fresh_db_url, tmp_path, kind):
    _census(fresh_db_url, tmp_path)
    before = _positions(fresh_db_url)
    rows = [["部件标识码", "部件状态"], [IDS[0], "破损"], [IDS[1], "完好"]]
    sheet = _table_file(tmp_path / f"states.{kind}", rows)
    result = _run(fresh_db_url, [sheet], mode="upsert")
    assert (result.status, result.rows_loaded, result.rows_unchanged, result.rejections) == (
        "committed", 1, 1, [])
    assert (f"{sheet.name}: no coordinate columns: each row keeps the position of the current component "
            "with its identifier (upsert)") in result.notes
    assert ("2 row(s) of files without coordinate columns keep the position of the current component with "
            "their identifier (upsert)") in result.notes
    after = _positions(fresh_db_url)
    assert after[IDS[0]] == (*before[IDS[0]][:3], "破损", before[IDS[0]][4])
    assert after[IDS[1]] == before[IDS[1]] and after[IDS[2]] == before[IDS[2]]


def test_rows_without_a_stored_component_are_rejected_with_their_identifier(fresh_db_url, tmp_path):
    _census(fresh_db_url, tmp_path)
    unknown = "44030401006000099"
    sheet = _sheet(tmp_path / "states.csv", ["部件标识码", "部件名称", "部件状态"],
                   [[IDS[0], "路灯井盖0", "丢失"], [unknown, "路灯井盖9", "破损"], ["", "路灯井盖8", "破损"]])
    refused = _run(fresh_db_url, [sheet], mode="upsert")
    assert (refused.status, refused.rows_loaded) == ("rejected", 0)
    assert [(r.row, r.field, r.reason) for r in refused.rejections] == [
        (3, "geometry", f"the file has no coordinate columns, and no current component has identifier "
                        f"{unknown} to keep the position of"),
        (4, "geometry", "the file has no coordinate columns and the row no identifier: a row without "
                        "coordinates updates the component its identifier names"),
        (4, "class_code", "no class code: give --class, a class field, an identifier, or a layer, file or "
                          "delivery folder named by the class"),
    ]
    assert _positions(fresh_db_url)[IDS[0]][3] == "完好"
    landed = _run(fresh_db_url, [sheet], mode="upsert", skip_invalid=True)
    assert (landed.status, landed.rows_loaded, len(landed.rejections)) == ("committed", 1, 3)
    assert _positions(fresh_db_url)[IDS[0]][3] == "丢失"


def test_a_removed_component_in_a_sheet_without_coordinates_is_told_as_removed(fresh_db_url, tmp_path):
    """An inspection sheet still naming a component a later census removed: the row says so, and the
    component comes back once the row gives its coordinates."""
    points = _census(fresh_db_url, tmp_path)
    kept = tmp_path / "kept.gpkg"
    records = [{"GLBJBSM": i, "GLBJMC": f"路灯井盖{n}", "ZGBMMC": DEPT} for n, i in enumerate(IDS[:2])]
    gpd.GeoDataFrame(records, geometry=points[:2], crs=4490).to_file(kept, engine="pyogrio")
    replaced = _run(fresh_db_url, [kept], mode="replace")
    assert (replaced.status, replaced.removed) == ("committed", 1)
    with psycopg.connect(fresh_db_url) as conn:
        row = conn.execute("SELECT max(valid_to) FROM onemap.component WHERE id = %s", (IDS[2],)).fetchone()
    assert row is not None and IDS[2] not in _positions(fresh_db_url)
    sheet = _sheet(tmp_path / "states.csv", ["部件标识码", "部件状态"], [[IDS[2], "破损"]])
    refused = _run(fresh_db_url, [sheet], mode="upsert")
    assert [(r.row, r.field, r.reason) for r in refused.rejections] == [
        (2, "geometry", f"the file has no coordinate columns, and component {IDS[2]} was removed on "
                        f"{row[0].astimezone(BEIJING):%Y-%m-%d} (import:{replaced.batch_id}): a row without "
                        "coordinates updates a current component; give the row its coordinates to deliver "
                        "the component again")]
    again = _sheet(tmp_path / "again.csv", ["部件标识码", "部件状态", "主管部门名称", "经度", "纬度"],
                   [[IDS[2], "破损", DEPT, str(points[2].x), str(points[2].y)]])
    assert _run(fresh_db_url, [again], mode="upsert").rows_loaded == 1
    assert _positions(fresh_db_url)[IDS[2]][3] == "破损"


@pytest.mark.parametrize("mode", ["append", "replace"])
def test_other_modes_refuse_a_sheet_without_coordinates(fresh_db_url, tmp_path, mode):
    _census(fresh_db_url, tmp_path)
    sheet = _sheet(tmp_path / "states.csv", ["部件标识码", "部件状态"], [[IDS[0], "破损"]])
    with pytest.raises(ImportValidationError) as refused:
        _run(fresh_db_url, [sheet], mode=mode)
    assert "states.csv: no coordinate columns" in str(refused.value)
    assert str(refused.value).endswith("updates the components it names with --mode upsert, which keeps "
                                       "their stored positions")
