"""A survey whose Chinese was destroyed before it reached onemap (every character a `?`, or mojibake of a
Windows-1252 reading) is refused with what happened and what to do, never loaded nor offered a mapping
line; real Chinese, pinyin, codes and Western text are never taken for it (layers.survey_lost_text)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import openpyxl
import psycopg
import pyogrio
import pytest
import shapely

from gis.crs import parse_crs
from gis.errors import ImportValidationError
from layers.survey_export import export_components
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from layers.survey_read import read_survey
from layers.survey_validate import validate
from tests.layers.test_survey_import import DEPT, _points_in_city, _run
from tests.layers.test_survey_validate_duplicates import LAT, LON, _rows
from tests.layers.test_survey_validate_reasons import CONTEXT

NAMES = ["1号路灯", "2号路灯", "上水井盖"]
STATES = ["完好", "破损", "完好"]
POINTS = shapely.points([114.0512, 114.0523, 114.0534], [22.5431, 22.5442, 22.5453])


def _as_windows_1252(text: str, codec: str = "utf-8") -> str:
    """What LibreOffice or Excel shows of `text` saved in `codec` when opened as Windows-1252 (its five
    unassigned bytes as the C1 controls of their number), and then saves as UTF-8."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode(codec))


def _lamps(columns: dict[str, list[str]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"XLDM": ["01037"] * 3, **columns}, geometry=POINTS, crs=4490)


# ---- every Chinese character written as ? ---------------------------------------------------------------


@pytest.mark.parametrize("cpg", [True, False], ids=["pyogrio-cpg", "ogr2ogr-no-cpg"])
def test_a_shapefile_gdal_wrote_in_latin_1_is_refused_naming_its_columns(tmp_path: Path, cpg: bool) -> None:
    """GDAL writes a Shapefile in ISO-8859-1 unless told otherwise (ogr2ogr without -lco ENCODING=UTF-8, which
    writes no .cpg): each Chinese character becomes ?, and the import read `??` as an unknown state."""
    path = tmp_path / "路灯.shp"
    with pytest.warns(RuntimeWarning, match="couldn't be converted"):
        pyogrio.write_dataframe(_lamps({"BJMC": NAMES, "BJZT": STATES, "ZGBMMC": [DEPT] * 3}), path,
                                encoding="ISO-8859-1")
    if not cpg:
        path.with_suffix(".cpg").unlink()
    assert pyogrio.read_dataframe(path)["BJZT"].tolist() == ["??"] * 3  # as GDAL wrote it
    with pytest.raises(ImportValidationError) as refused:
        read_survey(path)
    assert str(refused.value) == (
        f"{path}: the Chinese text of 'BJMC' ('1???'), 'BJZT' ('??'), 'ZGBMMC' ('{'?' * len(DEPT)}') was "
        "lost before the file reached onemap, each character written as ?, and cannot be read back: the file "
        "was written in an encoding without Chinese characters (ogr2ogr without -lco ENCODING=UTF-8; Excel's "
        "plain CSV on a Western Windows); export it again from the original in UTF-8 (ogr2ogr -lco "
        "ENCODING=UTF-8, Excel: CSV UTF-8) and import that")


def test_the_import_stops_before_anything_is_staged_and_the_cli_exits_3(db_url: str, tmp_path: Path) -> None:
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 3, seed=61)
    path = tmp_path / "lamps.shp"
    frame = gpd.GeoDataFrame({"XLDM": ["01037"] * 3, "BJZT": STATES, "ZGBMMC": [DEPT] * 3}, geometry=points,
                             crs=4490)
    with pytest.warns(RuntimeWarning):
        pyogrio.write_dataframe(frame, path, encoding="ISO-8859-1")
    with pytest.raises(ImportValidationError, match=re.escape("'BJZT' ('??')")):
        _run(db_url, [path], skip_invalid=True)
    onemap = str(Path(sys.executable).with_name("onemap"))
    done = subprocess.run([onemap, "import", "components", str(path)], capture_output=True, text=True,
                          env={**os.environ, "ONEMAP_DATABASE_URL": db_url}, timeout=300)
    assert done.returncode == 3, done.stderr
    assert "each character written as ?" in done.stderr and "-lco ENCODING=UTF-8" in done.stderr
    assert "states:" not in done.stderr


def test_a_csv_excel_saved_on_a_western_windows_is_refused_for_its_column_names_too(tmp_path: Path) -> None:
    """Excel's plain CSV on an English Windows turns 经度/纬度 into ??/??: the file was refused for duplicate
    column names, or for naming no coordinates, without a word on why."""
    path = tmp_path / "普查.csv"
    path.write_bytes("部件名称,部件状态,经度,纬度\n1号路灯,完好,114.05,22.54\n路灯,破损,114.06,22.55\n"
                     .encode("cp1252", errors="replace"))
    with pytest.raises(ImportValidationError, match=re.escape(
            f"{path}: the Chinese text of the column names ('????'), '????' ('1???'), '????' ('??') was "
            "lost before the file reached onemap")):
        read_survey(path)


def test_such_a_csv_in_a_delivered_folder_is_refused_not_passed_over(tmp_path: Path) -> None:
    """A folder's CSV files are read when their header names coordinates; one whose header lost its Chinese
    names none, and was passed over as an attribute table."""
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / "普查.csv").write_bytes("部件名称,部件状态,经度,纬度\n1号路灯,完好,114.05,22.54\n"
                                     .encode("cp1252", errors="replace"))
    with pytest.raises(ImportValidationError, match="the Chinese text of the column names"):
        read_rows([folder], ImportOptions(actor="tester"))


def test_a_workbook_with_question_marks_for_its_column_names_is_refused_naming_them(tmp_path: Path) -> None:
    """A sheet that a Western Windows' Excel filled from such a CSV: its headers ????/??/?? were refused as
    duplicate column names, without a word on why."""
    path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["????", "????", "??", "??"])  # 部件名称, 部件状态, 经度, 纬度
    for name, state, point in zip(NAMES, STATES, POINTS, strict=True):
        sheet.append(["?" * len(name), "?" * len(state), point.x, point.y])
    book.save(path)
    with pytest.raises(ImportValidationError, match=re.escape(
            f"{path}: the Chinese text of the column names ('????'), '????' ('????'), '????' ('??') was "
            "lost before the file reached onemap")):
        read_survey(path)


# ---- mojibake: text read as Windows-1252 and saved again -------------------------------------------------


def test_a_utf8_csv_saved_after_reading_it_as_windows_1252_is_refused_saying_what_it_was(
        tmp_path: Path) -> None:
    path = tmp_path / "路灯.csv"
    rows = [f"01037,{_as_windows_1252(n)},{_as_windows_1252(s)},{p.x},{p.y}"
            for n, s, p in zip(NAMES, STATES, POINTS, strict=True)]
    path.write_text("XLDM,BJMC,BJZT,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert _as_windows_1252("完好") == "å®Œå¥½" and "\x8d" in _as_windows_1252("破损")  # 0x8D: unassigned
    with pytest.raises(ImportValidationError) as refused:
        read_survey(path)
    # 号 leaves a C1 control (0x8F): the name shown is one without
    assert str(refused.value) == (
        f"{path}: the Chinese text of 'BJMC' ('ä¸Šæ°´äº•ç›–' is 上水井盖), 'BJZT' ('å®Œå¥½' is 完好) "
        "was read in the wrong encoding, each character as Latin letters and signs: a program read the UTF-8 "
        "file as Latin-1/Windows-1252 and saved what it showed (a CSV opened in LibreOffice or Excel without "
        "choosing UTF-8); open the original again choosing that character set and save it as UTF-8, or "
        "export it again, and import that")


def test_mojibake_column_names_are_told_rather_than_no_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    header = ",".join(_as_windows_1252(name) for name in ("部件名称", "部件状态", "经度", "纬度"))
    path.write_text(f"{header}\n{_as_windows_1252('路灯')},{_as_windows_1252('完好')},114.05,22.54\n",
                    encoding="utf-8")
    with pytest.raises(ImportValidationError, match=re.escape(  # a name without C1 controls shown
            f"{path}: the Chinese text of the column names ('çº¬åº¦' is 纬度), ")):
        read_survey(path)


def test_gbk_text_read_as_latin_1_and_saved_is_refused_naming_gbk(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    rows = [f"01037,{_as_windows_1252(n, 'gbk')},{_as_windows_1252(s, 'gbk')},{p.x},{p.y}"
            for n, s, p in zip(NAMES, STATES, POINTS, strict=True)]
    path.write_text("XLDM,BJMC,BJZT,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ImportValidationError, match=re.escape(
            "'BJMC' ('1ºÅÂ·µÆ' is 1号路灯), 'BJZT' ('ÍêºÃ' is 完好) was read in the wrong encoding, each "
            "character as Latin letters and signs: a program read the GBK (GB18030) file as "
            "Latin-1/Windows-1252")):
        read_survey(path)


def test_a_workbook_holding_mojibake_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["XLDM", "BJZT", "lon", "lat"])
    for state, point in zip(STATES, POINTS, strict=True):
        sheet.append(["01037", _as_windows_1252(state), point.x, point.y])
    book.save(path)
    with pytest.raises(ImportValidationError, match=re.escape("'BJZT' ('å®Œå¥½' is 完好) was read in the "
                                                              "wrong encoding")):
        read_survey(path)


def test_a_western_encoding_given_on_purpose_is_read_as_given(tmp_path: Path) -> None:
    """--encoding cp1252 is the way round a .cpg or charset detection gone wrong that the notes offer."""
    path = tmp_path / "s.csv"
    path.write_bytes(f"XLDM,BJZT,lon,lat\n01037,完好,{LON},{LAT}\n".encode("gbk"))
    assert read_survey(path, encoding="cp1252").attributes["BJZT"].tolist() == ["ÍêºÃ"]


# ---- the notes on unknown states and classes -------------------------------------------------------------


def test_the_states_note_offers_no_mapping_line_for_text_that_lost_its_chinese() -> None:
    rows = _rows([("01001", shapely.Point(LON + i * 1e-4, LAT)) for i in range(4)])
    rows.fields["state"] = ["??", "??", _as_windows_1252("破损"), "待修"]
    note = next(n for n in validate(rows, CONTEXT).notes if "refused for a state" in n)
    assert note.endswith("a line each (待修: 破损); '??' looks like text whose Chinese characters were each "
                         "written as ?, which no states: line should read: correct such rows from the "
                         "original survey")
    rows = _rows([("01001", shapely.Point(LON + i * 1e-4, LAT)) for i in range(2)])
    rows.fields["state"] = ["å®Œå¥½", "??"]
    note = next(n for n in validate(rows, CONTEXT).notes if "refused for a state" in n)
    assert "states: section" not in note and "'å®Œå¥½' is 完好 read in the wrong encoding" in note


def test_a_class_that_lost_its_chinese_is_not_offered_to_the_mapping() -> None:
    rows = _rows([(code, shapely.Point(LON + i * 1e-4, LAT)) for i, code in enumerate(["????", "ÎÛË®¾®¸Ç"])])
    reasons = [r.reason for r in validate(rows, CONTEXT).rejections if r.field == "class_code"]
    assert reasons == [
        "class '????' looks like text whose Chinese characters were each written as ?, not a class name "
        "for a mapping to read: correct the row from the original survey",
        "class 'ÎÛË®¾®¸Ç' is 污水井盖 read in the wrong encoding, not a class name for a mapping to read: "
        "correct the row from the original survey"]


# ---- no false positives ----------------------------------------------------------------------------------


def test_the_demo_inventory_exported_in_every_format_reads(conn: psycopg.Connection, tmp_path: Path) -> None:
    crs = parse_crs("EPSG:4490")
    for name, encoding in [("a.csv", None), ("b.csv", "gbk"), ("c.xlsx", None), ("d.gpkg", None),
                           ("e.geojson", None), ("f.shp", None), ("g.shp", "gbk")]:
        exported = export_components(conn, tmp_path / name, scheme="gb47678", crs=crs, encoding=encoding)
        for path in exported.files:
            assert len(read_survey(path)) > 0


MIXED = {
    "BJMC": ["1号路灯", "LED路灯", "No.3 lamp"],  # Chinese with ASCII, and English
    "BJZT": ["完好", "破损?", "?"],  # a surveyor's question marks in a file of Chinese
    "BZ": ["qing xie?", "??", "°C ±0.5"],
}
PLAIN = {
    "BJMC": ["ludeng 1", "ludeng 2", "shangshui jinggai"],  # pinyin
    "BJZT": ["wanhao", "posun", "?"],
    "BZ": ["Müller & Söhne", "Svíþjóð", "Óþekkt svæði"],  # Western names whose accents pair up as GBK does
}


@pytest.mark.parametrize("columns", [MIXED, PLAIN], ids=["chinese-and-ascii", "pinyin-and-western"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".shp", ".gpkg"])
def test_real_text_is_never_taken_for_lost_text(tmp_path: Path, columns: dict[str, list[str]],
                                                suffix: str) -> None:
    frame = _lamps(columns)
    path = tmp_path / f"s{suffix}"
    table = frame.drop(columns="geometry").assign(lon=shapely.get_x(POINTS), lat=shapely.get_y(POINTS))
    if suffix == ".csv":
        table.to_csv(path, index=False)
    elif suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        pyogrio.write_dataframe(frame, path)
    survey = read_survey(path)
    assert survey.attributes["BZ"].tolist() == columns["BZ"]
