"""An export handed back after the inventory changed: the rows of versions no longer current are refused,
naming the change they would undo; a cleared valid_from imports the row over it on purpose."""

import csv
import json
import subprocess
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest

from gis.auth import create_token
from gis.crs import parse_crs
from layers.survey_export import export_components
from layers.survey_versions import version_limit
from tests.gis.conftest import ogc_app_client
from tests.layers.test_survey_import import _run

LAMPS = "01037"
COLLECTION = f"/collections/components_gb47678_{LAMPS}/items"


def _export(db_url: str, path: Path, encoding: str | None = None) -> int:
    with psycopg.connect(db_url) as conn:
        return export_components(conn, path, scheme="gb47678", crs=parse_crs("EPSG:4490"), class_prefix=LAMPS,
                                 encoding=encoding).count


def _first_lamps(db_url: str) -> tuple[str, str]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT id FROM onemap.component WHERE class_code = %s AND valid_to IS NULL "
                            "ORDER BY id LIMIT 2", (LAMPS,)).fetchall()
    return rows[0][0], rows[1][0]


def _edit_and_remove(db_url: str, settings, tmp_path: Path) -> tuple[str, int, str]:
    """After the export: a maintainer's sheet of states breaks one lamp (an import), an editor deletes
    another through the API. Returns the edited lamp, the batch that edited it and the removed lamp."""
    edited, removed = _first_lamps(db_url)
    sheet = tmp_path / "states.csv"
    sheet.write_text(f"部件标识码,部件状态\n{edited},破损\n", encoding="utf-8")
    edit = _run(db_url, [sheet], mode="upsert")
    assert (edit.status, edit.rows_loaded) == ("committed", 1), edit.rejections
    with psycopg.connect(db_url) as conn:
        token = create_token(conn, name="versions-editor", role="editor", created_by="tests")
    with ogc_app_client(settings, db_url) as client:
        response = client.delete(f"{COLLECTION}/{removed}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204, response.text
    return edited, edit.batch_id, removed


def _edit_cells(path: Path, column: str, values: dict[int, str]) -> None:
    """Write `values` (by data row, the header being row 0) into `column` of an exported CSV, as a contractor
    edits it."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    at = rows[0].index(column)
    for row, value in values.items():
        rows[row][at] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _states(db_url: str, ids: list[str]) -> dict[str, str]:
    with psycopg.connect(db_url) as conn:
        return dict(conn.execute("SELECT id, state FROM onemap.component "
                                 "WHERE id = ANY(%s) AND valid_to IS NULL", (ids,)).fetchall())


@pytest.mark.parametrize(("fmt", "encoding"), [
    ("csv", None), ("xlsx", None), ("gpkg", None), ("geojson", None), ("shp", "GBK")])
def test_a_stale_export_is_refused_naming_the_change_and_the_removal(fresh_db_url, settings, tmp_path, fmt,
                                                                    encoding):
    exported = tmp_path / f"lamps.{fmt}"
    count = _export(fresh_db_url, exported, encoding)
    edited, batch, removed = _edit_and_remove(fresh_db_url, settings, tmp_path)
    result = _run(fresh_db_url, [exported], mode="upsert", encoding=encoding)
    assert result.status == "rejected" and result.rows_loaded == 0
    assert [r.field for r in result.rejections] == ["valid_from", "valid_from"]
    changed, gone = (r.reason for r in result.rejections)  # the export is ordered by identifier
    assert changed.startswith(f"component {edited} changed on ")
    assert f"(batch {batch}: " in changed
    assert "states.csv, by tester), after the version this row was exported from" in changed
    assert gone.startswith(f"component {removed} was removed on ")
    assert f": api:DELETE components_gb47678_{LAMPS}, by versions-editor), after the version" in gone
    assert "importing the row would bring it back" in gone
    assert _states(fresh_db_url, [edited, removed]) == {edited: "破损"}  # nothing undone
    skipped = _run(fresh_db_url, [exported], mode="upsert", encoding=encoding, skip_invalid=True)
    assert (skipped.status, skipped.rows_loaded, skipped.rows_unchanged) == ("committed", 0, count - 2)
    assert _states(fresh_db_url, [edited, removed]) == {edited: "破损"}


def test_a_cleared_valid_from_imports_the_row_over_the_change(fresh_db_url, settings, tmp_path):
    exported = tmp_path / "lamps.csv"
    _export(fresh_db_url, exported)
    edited, _, removed = _edit_and_remove(fresh_db_url, settings, tmp_path)
    _edit_cells(exported, "valid_from", {1: "", 2: ""})
    result = _run(fresh_db_url, [exported], mode="upsert")
    assert (result.status, result.rows_loaded, result.rejections) == ("committed", 2, [])
    assert _states(fresh_db_url, [edited, removed]) == {edited: "完好", removed: "完好"}
    assert any(note.startswith("1 component(s) removed earlier come back") for note in result.notes)


def test_a_replace_refuses_the_stale_rows_too(fresh_db_url, settings, tmp_path):
    exported = tmp_path / "lamps.gpkg"
    count = _export(fresh_db_url, exported)
    edited, _, removed = _edit_and_remove(fresh_db_url, settings, tmp_path)
    result = _run(fresh_db_url, [exported], mode="replace", skip_invalid=True)
    assert [r.field for r in result.rejections] == ["valid_from", "valid_from"]
    assert (result.status, result.rows_unchanged, result.removed) == ("committed", count - 2, 0)
    assert _states(fresh_db_url, [edited, removed]) == {edited: "破损"}


def test_an_ogc_download_saved_before_an_edit_is_refused_after_it(fresh_db_url, settings, tmp_path):
    edited, other = _first_lamps(fresh_db_url)
    with psycopg.connect(fresh_db_url) as conn:
        token = create_token(conn, name="versions-editor", role="editor", created_by="tests")
    with ogc_app_client(settings, fresh_db_url) as client:
        features = [client.get(f"{COLLECTION}/{i}", params={"f": "json"}).json() for i in (edited, other)]
        patch = json.dumps({"properties": {"state": "丢失"}})
        response = client.patch(f"{COLLECTION}/{edited}", content=patch,
                                headers={"Content-Type": "application/merge-patch+json",
                                         "Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 204), response.text
    saved = tmp_path / "downloaded.geojson"
    saved.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                     encoding="utf-8")
    result = _run(fresh_db_url, [saved], mode="upsert")
    assert [(r.row, r.field) for r in result.rejections] == [(1, "valid_from")]
    assert result.rejections[0].reason.startswith(f"component {edited} changed on ")
    assert _states(fresh_db_url, [edited]) == {edited: "丢失"}


def test_a_valid_from_that_names_no_version_is_refused(fresh_db_url, tmp_path):
    exported = tmp_path / "lamps.csv"
    _export(fresh_db_url, exported)
    # a spreadsheet's day number; a day that does not exist
    _edit_cells(exported, "valid_from", {1: "46351.74", 2: "2026-02-30"})
    result = _run(fresh_db_url, [exported], mode="upsert")
    assert [(r.row, r.field) for r in result.rejections] == [(2, "valid_from"), (3, "valid_from")]
    assert result.rejections[0].reason.startswith(
        "valid_from '46351.74' is not the start of a version as an export writes it (such as "
        "2026-01-02T03:04:05.678901+08:00)")


@pytest.mark.parametrize(("written", "limit"), [
    ("2026-11-25T17:47:48.123456+08:00", "2026-11-25T17:47:48.123457+08:00"),  # onemap's: a microsecond
    ("2026-11-25 17:47:48.123000+08:00", "2026-11-25T17:47:48.124000+08:00"),  # milliseconds, zero-padded
    ("2026/11/25 08:05:42.751+08", "2026-11-25T08:05:42.752000+08:00"),  # GDAL's text of a DateTime
    ("2026-11-25T09:47:48.1Z", "2026-11-25T09:47:48.200000+00:00"),  # a tenth of a second
    ("2026-11-25 17:47:48", "2026-11-25T17:47:49+08:00"),  # whole seconds, the city's time
    ("2026/11/25 8:05", "2026-11-25T08:06:00+08:00"),  # a spreadsheet's minutes
    ("2026-11-25", "2026-11-26T00:00:00+08:00"),  # a Shapefile's date field: the day
    ("46351.74", None), ("2026-13-25 10:00", None), ("", None),
])
def test_a_written_version_is_compared_at_its_own_precision(written, limit):
    assert version_limit(written, "Asia/Shanghai") == limit


def test_a_row_identical_to_the_current_version_undoes_nothing_whatever_its_version(fresh_db_url, settings,
                                                                                     tmp_path):
    """The contractor made the change the office made meanwhile, and a file loaded with --skip-invalid is
    imported again: rows equal to the current version are unchanged, not stale."""
    exported = tmp_path / "lamps.csv"
    count = _export(fresh_db_url, exported)
    _, _, removed = _edit_and_remove(fresh_db_url, settings, tmp_path)
    # row 1: the office's own change to `edited`; row 4: a change of the contractor's
    _edit_cells(exported, "GLBJZT", {1: "破损", 4: "丢失"})
    first = _run(fresh_db_url, [exported], mode="upsert", skip_invalid=True)
    assert [r.reason.split(" was ")[0] for r in first.rejections] == [f"component {removed}"]
    assert (first.rows_loaded, first.rows_unchanged) == (1, count - 2)
    again = _run(fresh_db_url, [exported], mode="upsert", skip_invalid=True)
    assert (len(again.rejections), again.rows_loaded, again.rows_unchanged) == (1, 0, count - 1)


@pytest.mark.parametrize(("target", "options"), [
    ("saved.csv", ["-lco", "GEOMETRY=AS_XY"]),  # GDAL writes a DateTime as 2026/11/25 08:05:42.751+08
    ("saved.shp", ["-lco", "ENCODING=UTF-8"]),  # a Shapefile's date field keeps the day alone
], ids=["csv", "shp"])
def test_an_export_converted_by_gdal_re_imports_unchanged(fresh_db_url, tmp_path, target, options):
    """What QGIS's "Save as" does with a GeoJSON export: GDAL reads valid_from as a DateTime and writes it
    in its own form, or as a date."""
    exported = tmp_path / "lamps.geojson"
    count = _export(fresh_db_url, exported)
    subprocess.run(["ogr2ogr", *options, str(tmp_path / target), str(exported)], check=True)
    result = _run(fresh_db_url, [tmp_path / target], mode="upsert")
    assert (result.status, result.rows_loaded, result.rows_unchanged, result.rejections) == (
        "committed", 0, count, [])


def test_a_replace_keeps_what_was_added_or_changed_after_its_export(fresh_db_url, settings, tmp_path):
    """An old export, some rows dropped by the contractor, delivered as a replace: the components added or
    changed since (not in the file) stay, named; those the contractor dropped from the export go."""
    exported = tmp_path / "lamps.gpkg"
    _export(fresh_db_url, exported)
    lamps = gpd.read_file(exported)
    edited, _, removed = _edit_and_remove(fresh_db_url, settings, tmp_path)
    added = tmp_path / "added.csv"
    added.write_text("小类代码,主管部门名称,经度,纬度\n01037,福田区城市管理和综合执法局,114.0386,22.5260\n",
                     encoding="utf-8")
    new = _run(fresh_db_url, [added])
    assert new.status == "committed", new.rejections
    dropped = lamps["GLBJBSM"].iloc[5]
    delivered = tmp_path / "delivered.gpkg"
    lamps[~lamps["GLBJBSM"].isin([edited, removed, dropped])].to_file(delivered, engine="pyogrio")
    result = _run(fresh_db_url, [delivered], mode="replace")
    assert (result.status, result.removed, result.rejections) == ("committed", 1, [])
    assert [n for n in result.notes if n.startswith("replace: 2 component(s) of the delivered classes")]
    assert set(_states(fresh_db_url, [edited, removed, dropped, *new.ids])) == {edited, *new.ids}


def test_a_file_without_the_column_is_noted_as_unchecked(fresh_db_url, tmp_path):
    edited, _ = _first_lamps(fresh_db_url)
    sheet = tmp_path / "states.csv"
    sheet.write_text(f"部件标识码,部件状态\n{edited},破损\n", encoding="utf-8")
    result = _run(fresh_db_url, [sheet], mode="upsert")
    assert ("states.csv: no valid_from column, so its rows are not checked against the changes made to their "
            "components since the file was exported (onemap's exports have one)") in result.notes
