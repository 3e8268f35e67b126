"""Reading survey files: every format, Chinese text, encodings, coordinates, row numbers and CRS choice."""

import json
import re
import sqlite3
import struct
import warnings
import zipfile
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import psycopg
import pyogrio
import pytest
import shapely
import xlrd
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from numpy.testing import assert_allclose

from gis.crs import CrsSpec, from_cgcs2000, parse_crs, to_cgcs2000
from gis.errors import ImportValidationError
from layers.survey_deliveries import survey_files
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from layers.survey_read import layers_to_read, read_survey
from tests.city_grid import CITY_GRID
from tests.layers.opendocument_sheets import write_ods
from tests.layers.test_survey_import import DEPT, _points_in_city, _run

NO_CRS_WARNING = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
NAMES = ["上水井盖", "路灯", "垃圾箱"]
LON = [114.0512, 114.0523, 114.0534]
LAT = [22.5431, 22.5442, 22.5453]


def _frame(crs: int | None = 4490, name_column: str = "BJMC") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"BJBM": ["44030401001000001", "44030402001000002", "44030403001000003"], name_column: NAMES},
        geometry=shapely.points(LON, LAT),
        crs=crs,
    )


def _shapefile(tmp_path: Path, frame: gpd.GeoDataFrame, encoding: str, *, keep_cpg: bool) -> Path:
    path = tmp_path / "survey.shp"
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    return path


# ---- GeoPackage ------------------------------------------------------------------------------------------


def test_geopackage_keeps_chinese_names_and_values(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    _frame(name_column="部件名称").to_file(path, layer="部件", engine="pyogrio")
    survey = read_survey(path)
    assert list(survey.attributes.columns) == ["BJBM", "部件名称"]
    assert survey.attributes["部件名称"].tolist() == NAMES
    assert survey.source_crs == CrsSpec(epsg=4490)
    assert survey.row_numbers.tolist() == [1, 2, 3]
    assert shapely.get_coordinates(survey.geometries)[:, 0].tolist() == LON
    assert survey.encoding is None and survey.notes == ()


def test_geopackage_first_spatial_layer_unless_layer_given(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    _frame().to_file(path, layer="points", engine="pyogrio")
    _frame().to_crs(4547).iloc[:1].to_file(path, layer="other", engine="pyogrio")
    first = read_survey(path)
    assert len(first) == 3 and "points" in first.notes[0]
    chosen = read_survey(path, layer="other")
    assert len(chosen) == 1 and chosen.source_crs == CrsSpec(epsg=4547) and chosen.notes == ()
    with pytest.raises(ImportValidationError, match=r"no layer 'nope'.*points"):
        read_survey(path, layer="nope")


def _geopackage_with_bytes(path: Path, texts: dict[str, list[bytes]]) -> Path:
    """A GeoPackage of _frame() whose text columns hold these bytes as stored, as a tool that ignored the
    format's UTF-8 rule wrote them (no spatial index, whose triggers need SpatiaLite's functions)."""
    frame = _frame(name_column="部件名称").assign(**{column: "" for column in texts})
    frame.to_file(path, layer="部件", engine="pyogrio", SPATIAL_INDEX="NO")
    with sqlite3.connect(path) as db:
        for column, values in texts.items():
            db.executemany(f'UPDATE "部件" SET "{column}" = CAST(? AS TEXT) WHERE fid = ?',
                           [(value, fid) for fid, value in enumerate(values, 1)])
    return path


def test_geopackage_text_written_in_gbk_is_read_as_gb18030_with_a_note(tmp_path: Path) -> None:
    """Arrow hands over text bytes unchecked; GBK text made the import end in a pyarrow traceback."""
    departments = ["福田区城市管理和综合执法局", "区水务局", "福田区路灯管理所"]
    path = _geopackage_with_bytes(tmp_path / "s.gpkg", {
        "部件名称": [n.encode("gbk") for n in NAMES],
        "主管部门名称": [d.encode("gb18030") for d in departments]})
    survey = read_survey(path)
    assert survey.attributes["部件名称"].tolist() == NAMES
    assert survey.attributes["主管部门名称"].tolist() == departments
    assert survey.attributes["BJBM"].tolist()[0] == "44030401001000001"  # UTF-8 (ASCII) columns as they are
    assert survey.notes == (
        "text of column(s) 部件名称, 主管部门名称 is not UTF-8, as the format requires: read as GB18030 "
        "(GBK), as older Chinese GIS tools wrote it; check the names read, or save the layer again in UTF-8 "
        "(QGIS: Export → Save Features As, encoding UTF-8) and import that",)
    rows, _ = read_rows([path], ImportOptions(actor="tester"))
    assert rows.fields["name"].tolist() == NAMES


def test_geopackage_text_neither_utf8_nor_gbk_is_refused_naming_layer_column_and_row(tmp_path: Path) -> None:
    path = _geopackage_with_bytes(tmp_path / "s.gpkg", {"备注": [b"ok", "église".encode("latin-1"), b"ok"]})
    with pytest.raises(ImportValidationError, match=re.escape(
            f"{path}: layer '部件', column '备注', row 2: text is not UTF-8, as the format requires, and "
            "does not read as GBK/GB18030 Chinese either: save the layer again in UTF-8")):
        read_survey(path)


def test_an_import_reads_every_layer_with_geometries_or_the_named_ones(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    _frame().to_file(path, layer="井盖", engine="pyogrio")
    pyogrio.write_dataframe(gpd.pd.DataFrame({"代码": ["01001"]}), path, layer="字典")
    _frame().to_file(path, layer="路灯", engine="pyogrio")
    assert layers_to_read(path, ()) == (
        ["井盖", "路灯"], ["GeoPackage tables without geometries not read: ['字典']"])
    assert layers_to_read(path, ("路灯", "字典", "路灯")) == (["路灯", "字典"], [])
    with pytest.raises(ImportValidationError, match=r"no layer '灯', '井'; the layers are"):
        layers_to_read(path, ("灯", "井"))
    tables = tmp_path / "t.gpkg"
    pyogrio.write_dataframe(gpd.pd.DataFrame({"x": [1]}), tables, layer="a")
    pyogrio.write_dataframe(gpd.pd.DataFrame({"x": [2]}), tables, layer="b")
    assert layers_to_read(tables, ()) == (["a", "b"], [])  # no geometries anywhere: every table


def test_files_of_one_layer_and_workbooks_are_read_once_per_named_sheet(tmp_path: Path) -> None:
    shp = _shapefile(tmp_path, _frame(), "UTF-8", keep_cpg=True)
    assert layers_to_read(shp, ()) == ([None], [])
    assert layers_to_read(shp, ("a", "b")) == ([None], ["--layer ignored: a .shp file holds one layer"])
    assert layers_to_read(tmp_path / "s.csv", ("a",)) == (
        [None], ["--layer ignored: a .csv file holds one layer"])
    one_survey = _sheets_workbook(tmp_path / "s.xlsx", {"说明": [["说明"]], "普查": [["X", "Y", "名称"]]})
    assert layers_to_read(one_survey, ()) == ([None], [])  # the reader picks it and notes the others
    assert layers_to_read(one_survey, ("一", "二")) == (["一", "二"], [])


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_every_workbook_sheet_whose_header_names_coordinates_is_read(tmp_path: Path, suffix: str) -> None:
    """A census workbook with a sheet per class (井盖, 路灯) after an instructions sheet."""
    title = [["福田区部件普查表"]] * 3  # a title block above the header
    path = _sheets_workbook(tmp_path / f"census{suffix}", {
        "填表说明": [["字段", "说明"], ["经度", "CGCS2000 经度"]], "井盖": [*title, ["名称", "经纬度"]],
        "汇总": [["类别", "数量"]], "路灯": [["名称", "X坐标", "Y坐标"], ["路灯", 500000.0, 2490000.0]]})
    assert layers_to_read(path, ()) == (
        ["井盖", "路灯"], ["workbook sheets without coordinate columns not read: ['填表说明', '汇总']"])
    assert layers_to_read(path, ("路灯",)) == (["路灯"], [])


# ---- File Geodatabase, MapInfo, KML ---------------------------------------------------------------------


def test_file_geodatabase_layers_are_chosen_like_geopackage_ones(tmp_path: Path) -> None:
    path = tmp_path / "普查.gdb"
    pyogrio.write_dataframe(_frame(name_column="部件名称"), path, driver="OpenFileGDB", layer="井盖")
    pyogrio.write_dataframe(_frame().iloc[:1], path, driver="OpenFileGDB", layer="路灯")
    first = read_survey(path)
    assert first.attributes["部件名称"].tolist() == NAMES and first.source_crs == CrsSpec(epsg=4490)
    assert first.notes == ("File Geodatabase layers ['井盖', '路灯']: read '井盖'; pass --layer to choose",)
    assert len(read_survey(path, layer="路灯")) == 1
    with pytest.raises(ImportValidationError, match=r"普查2\.gdb: no such geodatabase folder"):
        read_survey(tmp_path / "普查2.gdb")


def _wkb(type_code: int, points: list[tuple[float, float]]) -> bytes:
    """ISO WKB of a line through `points`: 2 LineString, 8 CircularString (which shapely cannot write)."""
    return struct.pack("<BII", 1, type_code, len(points)) + b"".join(struct.pack("<dd", *p) for p in points)


def test_arcs_of_a_survey_layer_are_read_as_lines_along_them(tmp_path: Path) -> None:
    """A layer drawn with arcs (a round tree pit as a CurvePolygon, a kerb as a CompoundCurve of an arc and a
    straight part), as ArcGIS and CAD exports write them, is read with each arc a line on it: not the
    traceback that a curve in shapely used to end in."""
    r, x, y = 0.0001, 114.0311, 22.5300
    ring = _wkb(8, [(x - r, y), (x, y + r), (x + r, y), (x, y - r), (x - r, y)])  # a full circle
    pit = struct.pack("<BII", 1, 10, 1) + ring
    arc = _wkb(8, [(114.0300, 22.5310), (114.0301, 22.5311), (114.0302, 22.5310)])
    kerb = struct.pack("<BII", 1, 9, 2) + arc + _wkb(2, [(114.0302, 22.5310), (114.0304, 22.5310)])
    path = tmp_path / "survey.gpkg"
    pyogrio.raw.write(path, np.array([pit, kerb], dtype=object), fields=["部件名称"],
                      field_data=[np.array(["树池", "路缘"], dtype=object)], geometry_type="Unknown",
                      crs="EPSG:4490", driver="GPKG")
    survey = read_survey(path)
    pit_read, kerb_read = survey.geometries
    assert pit_read.geom_type == "Polygon" and kerb_read.geom_type == "LineString"
    assert pit_read.area == pytest.approx(np.pi * r * r, rel=0.01)
    assert_allclose(np.hypot(*(shapely.get_coordinates(pit_read) - (x, y)).T), r, rtol=1e-6)
    assert_allclose(shapely.get_coordinates(kerb_read)[[0, -1]], [(114.0300, 22.5310), (114.0304, 22.5310)])
    assert any("arcs" in note for note in survey.notes)


def test_surfaces_of_a_3d_model_are_refused_row_by_row(tmp_path: Path) -> None:
    """A PolyhedralSurface (a building or a pit modelled in 3D) has no 2D form: its row gets a reason, and the
    plain rows beside it are read as usual."""
    ring = [(114.030, 22.530, 0.0), (114.031, 22.530, 0.0), (114.031, 22.531, 0.0), (114.030, 22.530, 0.0)]
    patch = struct.pack("<BIII", 1, 1003, 1, len(ring)) + b"".join(struct.pack("<ddd", *p) for p in ring)
    surface = struct.pack("<BII", 1, 1015, 1) + patch  # PolyhedralSurface Z of one patch
    point = shapely.to_wkb(shapely.Point(114.0305, 22.5305))
    path = tmp_path / "model.gpkg"
    pyogrio.raw.write(path, np.array([surface, point], dtype=object), fields=["部件名称"],
                      field_data=[np.array(["井", "路灯"], dtype=object)], geometry_type="Unknown",
                      crs="EPSG:4490", driver="GPKG")
    survey = read_survey(path)
    assert survey.geometries[0] is None and survey.geometries[1].equals(shapely.Point(114.0305, 22.5305))
    assert survey.geometry_problems is not None and survey.geometry_problems[1] is None
    assert "PolyhedralSurface" in survey.geometry_problems[0]
    assert survey.attributes["部件名称"].tolist() == ["井", "路灯"]


def test_a_ring_that_does_not_close_is_refused_row_by_row(tmp_path: Path) -> None:
    """GDAL passes an unclosed polygon ring through, GEOS builds nothing from it: that row gets GEOS's reason
    and the layer's other rows are read."""
    path = tmp_path / "s.geojson"
    open_ring = [[114.03, 22.53], [114.031, 22.53], [114.031, 22.531]]
    features = [{"type": "Feature", "properties": {"name": "open"},
                 "geometry": {"type": "Polygon", "coordinates": [open_ring]}},
                {"type": "Feature", "properties": {"name": "point"},
                 "geometry": {"type": "Point", "coordinates": [114.0313, 22.5402]}},
                {"type": "Feature", "properties": {"name": "one vertex"},
                 "geometry": {"type": "LineString", "coordinates": [[114.0313, 22.5402]]}}]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL's own warning of the ring would reach the user's terminal
        survey = read_survey(path)
    assert survey.geometries[0] is None and survey.geometries[1].equals(shapely.Point(114.0313, 22.5402))
    assert survey.geometry_problems is not None
    assert survey.geometry_problems.tolist() == [
        "unreadable geometry: a polygon's ring does not end where it begins", None,
        "unreadable geometry: a line needs at least two vertices; this one has one"]


def test_mapinfo_gbk_text_under_the_neutral_charset_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "s.tab"
    pyogrio.write_dataframe(_frame(), path, driver="MapInfo File", encoding="GBK")  # declares "Neutral"
    survey = read_survey(path)
    assert survey.attributes["BJMC"].tolist() == NAMES
    assert any("decoded as GB18030" in note for note in survey.notes)
    given = read_survey(path, encoding="GBK")
    assert given.attributes["BJMC"].tolist() == NAMES and given.notes == ()


def _mapinfo_declaring(path: Path, charset: str, names: list[str], encoding: str) -> Path:
    """A MapInfo table of `names` in `encoding` whose header declares `charset`."""
    frame = _frame()
    frame["BJMC"] = names
    frame["Charset"] = "x"  # a field of that name is not the table's declaration
    pyogrio.write_dataframe(frame, path, driver="MapInfo File", encoding=encoding)  # declares "Neutral"
    path.write_bytes(path.read_bytes().replace(b"Neutral", charset.encode()))  # the .tab or .mif header
    return path


@pytest.mark.parametrize("suffix", [".tab", ".mif"])
def test_mapinfo_gbk_text_under_a_western_charset_is_read_as_chinese(tmp_path: Path, suffix: str) -> None:
    """A table converted on an English-locale Windows declares WindowsLatin1 over GBK text, which GDAL
    would decode as ÓêË®¾®¸Ç without a word."""
    path = _mapinfo_declaring(tmp_path / f"s{suffix}", "WindowsLatin1", NAMES, "GBK")
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    survey = read_survey(path)
    assert survey.attributes["BJMC"].tolist() == NAMES and survey.attributes["Charset"].tolist() == ["x"] * 3
    latin = NAMES[0].encode("gbk").decode("cp1252")
    assert list(survey.notes) == [
        f"the table declares charset 'WindowsLatin1' (cp1252), but its text reads as Chinese in GB18030 "
        f"({NAMES[0]!r}, which WindowsLatin1 reads as {latin!r}): decoded as GB18030; pass --encoding cp1252 "
        "to read it as declared"]
    given = read_survey(path, encoding="GBK")
    assert given.attributes["BJMC"].tolist() == NAMES
    assert list(given.notes) == ["the table declares charset 'WindowsLatin1'; decoded as GBK (--encoding)"]
    assert read_survey(path, encoding="cp1252").attributes["BJMC"].tolist()[0] == latin
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files  # the delivery is not written to


def test_mapinfo_western_text_under_its_western_charset_is_read_as_declared(tmp_path: Path) -> None:
    names = ["Église", "Straße", "Café"]
    path = _mapinfo_declaring(tmp_path / "s.tab", "WindowsLatin1", names, "cp1252")
    survey = read_survey(path)
    assert survey.attributes["BJMC"].tolist() == names and survey.notes == ()


def test_kml_placemarks_keep_their_fields_not_the_styling(tmp_path: Path) -> None:
    path = tmp_path / "field.kmz"
    pyogrio.write_dataframe(_frame(crs=4326), path, driver="LIBKML")
    survey = read_survey(path, layer=None)
    assert {"BJBM", "BJMC"} <= set(survey.attributes.columns)
    assert not {"tessellate", "altitudeMode", "icon", "visibility"} & set(survey.attributes.columns)
    assert survey.source_crs == CrsSpec(epsg=4326)
    assert shapely.get_coordinates(survey.geometries)[:, 0].tolist() == LON


def _arcgis_placemark(lon: float, lat: float, rows: list[tuple[str, str]]) -> str:
    """A placemark as ArcGIS's Layer To KML writes it: the fields in its description's popup table."""
    table = "".join(f"<tr><td>{name}</td><td>{value}</td></tr>" for name, value in rows)
    return (f"<Placemark><name>{rows[0][1]}</name><description><![CDATA[<html><body><table border=\"1\">"
            f"<tr><th>Field Name</th><th>Field Value</th></tr>{table}</table></body></html>]]></description>"
            f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>")


def test_kml_fields_kept_in_arcgis_description_tables_are_columns(tmp_path: Path) -> None:
    first = [("BJMC", "雨水井盖"), ("ZGBMMC", "区水务局"), ("BZ", "&lt;Null&gt;")]
    second = [("BJMC", "污水井盖"), ("ZGBMMC", "区水务局 &amp; 街道"), ("BZ", "靠近路口")]
    placemarks = [_arcgis_placemark(LON[0], LAT[0], first), _arcgis_placemark(LON[1], LAT[1], second)]
    path = tmp_path / "arcgis.kml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                    + "".join(placemarks) + "</Document></kml>", encoding="utf-8")
    survey = read_survey(path)
    fields = survey.attributes[["BJMC", "ZGBMMC", "BZ"]].astype(object)
    assert fields.where(fields.notna(), None).values.tolist() == [
        ["雨水井盖", "区水务局", None], ["污水井盖", "区水务局 & 街道", "靠近路口"]]
    assert "description" not in survey.attributes.columns
    assert "fields read from the placemarks' description tables (as ArcGIS writes KML): BJMC, ZGBMMC, BZ" in \
        survey.notes
    assert survey.yielding == ("Name",)  # the label ArcGIS gives each placemark gives way to BJMC
    assert survey.notes.count("fields read from the placemarks' description tables (as ArcGIS writes KML): "
                              "BJMC, ZGBMMC, BZ") == 1
    plain = tmp_path / "plain.kml"  # a description that is prose stays one
    plain.write_text(path.read_text(encoding="utf-8").replace(placemarks[1], (
        f"<Placemark><name>井盖</name><description>东侧人行道</description>"
        f"<Point><coordinates>{LON[1]},{LAT[1]},0</coordinates></Point></Placemark>")), encoding="utf-8")
    assert read_survey(plain).attributes["description"].tolist()[1] == "东侧人行道"


def test_kml_fields_in_arcgis_popup_tables_nested_under_a_title_are_columns(tmp_path: Path) -> None:
    """ArcGIS's default HTML popup: a title row with the feature's label, then a row holding the table of
    its fields, alternate rows shaded."""
    def placemark(lon: float, lat: float, rows: list[tuple[str, str]]) -> str:
        shaded = ' bgcolor="#D4E4F3"'
        fields = "".join(f"<tr{shaded if i % 2 else ''}><td>{name}</td><td>{value}</td></tr>"
                         for i, (name, value) in enumerate(rows))
        popup = (f'<html><body><table style="width:100%"><tr style="text-align:center;font-weight:bold">'
                 f'<td>{rows[1][1]}</td></tr><tr><td><table style="width:100%">{fields}</table></td></tr>'
                 "</table></body></html>")
        return (f"<Placemark><name>{rows[1][1]}</name><description><![CDATA[{popup}]]></description>"
                f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>")

    placemarks = [placemark(LON[0], LAT[0], [("FID", "0"), ("BJMC", "雨水井盖"), ("ZGBMMC", "区水务局")]),
                  placemark(LON[1], LAT[1], [("FID", "1"), ("BJMC", "污水井盖"), ("ZGBMMC", "&lt;Null&gt;")])]
    path = tmp_path / "arcgis.kml"
    path.write_text('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                    + "".join(placemarks) + "</Document></kml>", encoding="utf-8")
    survey = read_survey(path)
    fields = survey.attributes[["FID", "BJMC", "ZGBMMC"]].astype(object)
    assert fields.where(fields.notna(), None).values.tolist() == [["0", "雨水井盖", "区水务局"],
                                                                 ["1", "污水井盖", None]]
    assert "description" not in survey.attributes.columns


def test_layer_of_a_single_layer_file_is_ignored_with_a_note(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(), "UTF-8", keep_cpg=True)
    assert "--layer ignored: a .shp file holds one layer" in read_survey(path, layer="x").notes


def test_geopackage_declared_crs_overridden_by_given_crs(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    _frame().to_file(path, engine="pyogrio")
    survey = read_survey(path, crs=parse_crs("gcj02"))
    assert survey.source_crs == CrsSpec(offset="gcj02")
    assert any("declares EPSG:4490; overridden by the given CRS GCJ-02" in note for note in survey.notes)


def test_geopackage_without_geometry_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    pyogrio.write_dataframe(_frame().drop(columns="geometry"), path)
    survey = read_survey(path)
    assert len(survey) == 3 and all(g is None for g in survey.geometries)


# ---- Shapefile -------------------------------------------------------------------------------------------


def test_gbk_shapefile_without_cpg_is_decoded_as_gb18030(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(name_column="部件名称"), "GBK", keep_cpg=False)
    survey = read_survey(path)
    assert survey.attributes["部件名称"].tolist() == NAMES
    assert survey.encoding == "GB18030"
    assert "no .cpg: .dbf decoded as GB18030" in survey.notes


def test_utf8_shapefile_without_cpg_is_decoded_as_utf8(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(name_column="名称"), "UTF-8", keep_cpg=False)
    survey = read_survey(path)
    assert survey.attributes["名称"].tolist() == NAMES
    assert survey.encoding == "UTF-8"
    assert "no .cpg: .dbf decoded as UTF-8" in survey.notes


def test_ascii_shapefile_without_cpg(tmp_path: Path) -> None:
    frame = _frame()
    frame["BJMC"] = ["a", "b", "c"]
    survey = read_survey(_shapefile(tmp_path, frame, "UTF-8", keep_cpg=False))
    assert survey.attributes["BJMC"].tolist() == ["a", "b", "c"]
    assert "no .cpg: .dbf text is ASCII" in survey.notes


def test_shapefile_cpg_is_honoured(tmp_path: Path) -> None:
    survey = read_survey(_shapefile(tmp_path, _frame(), "GBK", keep_cpg=True))
    assert survey.attributes["BJMC"].tolist() == NAMES
    assert survey.encoding == "GBK" and survey.notes == ()


def test_shapefile_without_its_shx_is_read_and_its_folder_left_alone(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(), "GBK", keep_cpg=False)
    path.with_suffix(".shx").unlink()  # delivered without its index, as happens
    before = sorted(p.name for p in tmp_path.iterdir())
    survey = read_survey(path)
    assert survey.attributes["BJMC"].tolist() == NAMES
    assert shapely.get_coordinates(survey.geometries)[:, 0].tolist() == LON
    assert any("no survey.shx index beside it: rebuilt" in note for note in survey.notes)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_shapefile_without_its_dbf_is_refused(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(), "GBK", keep_cpg=True)
    path.with_suffix(".dbf").unlink()
    with pytest.raises(ImportValidationError, match=r"survey\.shp: no survey\.dbf beside it"):
        read_survey(path)


def test_shapefile_utf8_field_name_cut_mid_character(tmp_path: Path) -> None:
    """GDAL cuts a 12-byte UTF-8 name to the .dbf's 10 bytes, inside the 4th character."""
    with pytest.warns(RuntimeWarning):
        path = _shapefile(tmp_path, _frame(name_column="部件名称"), "UTF-8", keep_cpg=True)
    survey = read_survey(path)
    assert list(survey.attributes.columns) == ["BJBM", "部件名"]
    assert survey.attributes["部件名"].tolist() == NAMES
    assert any("cut mid-character" in note and "部件名" in note for note in survey.notes)


def test_shapefile_explicit_encoding_overrides_cpg(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(), "GBK", keep_cpg=True)
    path.with_suffix(".cpg").write_text("UTF-8")  # a wrong .cpg
    with pytest.raises(ImportValidationError, match=r"row 1, field 'BJMC'.*not valid UTF-8"):
        read_survey(path)
    survey = read_survey(path, encoding="936")
    assert survey.attributes["BJMC"].tolist() == NAMES and survey.encoding == "GBK"
    assert any(".cpg says 'UTF-8'" in note for note in survey.notes)


def test_shapefile_gauss_kruger_prj(tmp_path: Path) -> None:
    survey = read_survey(_shapefile(tmp_path, _frame().to_crs(4547), "UTF-8", keep_cpg=True))
    assert survey.source_crs == CrsSpec(epsg=4547)


def test_shapefile_in_a_city_grid_without_an_epsg_code_is_read_as_its_prj_defines_it(tmp_path: Path) -> None:
    frame = _frame().to_crs(CITY_GRID)
    path = _shapefile(tmp_path, frame, "UTF-8", keep_cpg=True)
    survey = read_survey(path)
    assert survey.source_crs.epsg is None and survey.source_crs.definition is not None
    assert [n for n in survey.notes if "used as the file defines it" in n] == [
        f"the file's CRS {survey.source_crs} is used as the file defines it"]
    assert_allclose(shapely.get_coordinates(to_cgcs2000(survey.geometries, survey.source_crs)),
                    np.column_stack([LON, LAT]), atol=1e-9)


@NO_CRS_WARNING
def test_an_engineering_crs_is_refused(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(crs=None), "UTF-8", keep_cpg=True)
    path.with_suffix(".prj").write_text('LOCAL_CS["site grid",LOCAL_DATUM["site",0],UNIT["metre",1],'
                                        'AXIS["X",EAST],AXIS["Y",NORTH]]', encoding="utf-8")
    message = r"survey\.shp: its CRS \(site grid\) is neither an EPSG CRS nor a 2D geographic or projected"
    with pytest.raises(ImportValidationError, match=message + " CRS .*pass --crs"):
        read_survey(path)


@NO_CRS_WARNING
def test_shapefile_without_prj_in_degrees_taken_as_cgcs2000(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _frame(crs=None), "UTF-8", keep_cpg=True)
    survey = read_survey(path)
    assert survey.source_crs == CrsSpec(epsg=4490)
    assert any(note.startswith("no CRS given: coordinates taken as CGCS2000") for note in survey.notes)


@NO_CRS_WARNING
def test_shapefile_without_prj_in_metres_is_an_error(tmp_path: Path) -> None:
    frame = _frame().to_crs(4547).set_crs(None, allow_override=True)
    path = _shapefile(tmp_path, frame, "UTF-8", keep_cpg=True)
    with pytest.raises(ImportValidationError, match=r"survey\.shp: .*metres \(row 1: .*EPSG:45xx"):
        read_survey(path)
    assert read_survey(path, crs=parse_crs("EPSG:4547")).source_crs == CrsSpec(epsg=4547)


# ---- Gauss-Krüger forms and the surveying order -----------------------------------------------------------

# Shenzhen in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547): easting, northing in metres
EASTING, NORTHING = 500123.4, 2495000.5


def _xy_csv(tmp_path: Path, rows: list[tuple[float, float]], header: str = "编号,X,Y") -> Path:
    path = tmp_path / "gk.csv"
    path.write_text(header + "\n" + "".join(f"{i},{x},{y}\n" for i, (x, y) in enumerate(rows, 1)),
                    encoding="utf-8")
    return path


def test_csv_in_the_surveying_order_is_read_as_northing_easting(tmp_path: Path) -> None:
    path = _xy_csv(tmp_path, [(NORTHING, EASTING), (NORTHING + 100, EASTING + 50)])
    survey = read_survey(path, crs=parse_crs("EPSG:4547"))
    assert shapely.get_coordinates(survey.geometries).tolist() == [[EASTING, NORTHING],
                                                                  [EASTING + 50, NORTHING + 100]]
    assert [note for note in survey.notes if "surveying order" in note] == [
        "columns 'X', 'Y' read as northing, easting (the surveying order: X north, Y east): with x and y "
        "exchanged every point lies in EPSG:4547"]


def test_a_grid_without_an_epsg_code_in_the_surveying_order_is_read_as_northing_easting(tmp_path) -> None:
    """A CRS without an EPSG code has no area of use: a transverse Mercator is used within half a 6-degree
    zone of its central meridian. Where its false origin puts both orders there (CITY_GRID), the file is
    left to the row checks."""
    grid = parse_crs("+proj=tmerc +lat_0=0 +lon_0=114.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m",
                     definitions=True)
    (east, north), = shapely.get_coordinates(from_cgcs2000(shapely.points([LON[0]], [LAT[0]]), grid))
    survey = read_survey(_xy_csv(tmp_path, [(north, east), (north + 100, east + 50)]), crs=grid)
    assert_allclose(shapely.get_coordinates(survey.geometries), [[east, north], [east + 50, north + 100]])
    assert [note for note in survey.notes if "surveying order" in note] == [
        "columns 'X', 'Y' read as northing, easting (the surveying order: X north, Y east): with x and y "
        f"exchanged every point lies in {grid}"]
    as_written = read_survey(_xy_csv(tmp_path, [(east, north)]), crs=grid)
    assert shapely.get_coordinates(as_written.geometries).tolist() == [[east, north]]
    assert as_written.notes == ()
    city = parse_crs(CITY_GRID, definitions=True)
    (east, north), = shapely.get_coordinates(from_cgcs2000(shapely.points([LON[0]], [LAT[0]]), city))
    ambiguous = read_survey(_xy_csv(tmp_path, [(north, east)]), crs=city)
    assert shapely.get_coordinates(ambiguous.geometries).tolist() == [[north, east]]


def test_csv_in_the_map_order_is_left_as_it_is(tmp_path: Path) -> None:
    survey = read_survey(_xy_csv(tmp_path, [(EASTING, NORTHING)]), crs=parse_crs("EPSG:4547"))
    assert shapely.get_coordinates(survey.geometries).tolist() == [[EASTING, NORTHING]]
    assert survey.notes == ()


def test_a_file_mixing_both_orders_is_left_to_the_row_checks(tmp_path: Path) -> None:
    survey = read_survey(_xy_csv(tmp_path, [(EASTING, NORTHING), (NORTHING, EASTING)]),
                         crs=parse_crs("EPSG:4547"))
    assert shapely.get_coordinates(survey.geometries).tolist() == [[EASTING, NORTHING], [NORTHING, EASTING]]


@pytest.mark.parametrize(("rows", "crs", "message"), [
    # zone 38 written in front of the eastings, the central-meridian form given: name the zone form
    ([(38_000_000 + EASTING, NORTHING)], "EPSG:4547",
     r"no coordinate lies in the area of EPSG:4547 .*zone number 38 in front: pass --crs EPSG:4526 "
     r"\(CGCS2000 / 3-degree Gauss-Kruger zone 38\)"),
    ([(NORTHING, 38_000_000 + EASTING)], "EPSG:4547", r"zone number 38 in front: pass --crs EPSG:4526"),
    # the same datum as the CRS given
    ([(38_000_000 + EASTING, NORTHING)], "EPSG:2383", r"pass --crs EPSG:2362 \(Xian 1980 / 3-degree"),
    # the zone form given, eastings without the zone number: name the central-meridian form
    ([(EASTING, NORTHING)], "EPSG:4526", r"these eastings have none: pass --crs EPSG:4547 "),
])
def test_eastings_in_the_other_gauss_kruger_form_name_the_crs_to_pass(tmp_path, rows, crs, message):
    with pytest.raises(ImportValidationError, match=message):
        read_survey(_xy_csv(tmp_path, rows), crs=parse_crs(crs))


def test_zone_numbered_eastings_without_a_crs_name_the_zone_form(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError, match=r"gk\.csv: coordinates look like metres .*zone number 38 "
                                                    r"in front: pass --crs EPSG:4526 .*Xian 1980"):
        read_survey(_xy_csv(tmp_path, [(38_000_000 + EASTING, NORTHING)]))
    survey = read_survey(_xy_csv(tmp_path, [(38_000_000 + EASTING, NORTHING)]), crs=parse_crs("EPSG:4526"))
    assert survey.notes == ()


def test_gauss_krueger_cells_saved_with_their_thousands_grouped_are_read(tmp_path: Path) -> None:
    """A sheet formatting metres as #,##0.000 saves them so in CSV; Excel quotes the cells."""
    path = tmp_path / "gk.csv"
    path.write_text('编号,X,Y\n1,"38,500,123.400","2,495,000.500"\n2,"38,500,173.4","2,495,100.5"\n',
                    encoding="utf-8")
    survey = read_survey(path, crs=parse_crs("EPSG:4526"))
    assert shapely.get_coordinates(survey.geometries).tolist() == [[38_000_000 + EASTING, NORTHING],
                                                                  [38_000_050 + EASTING, NORTHING + 100]]


def test_a_vector_file_storing_northings_as_x_is_an_error(tmp_path: Path) -> None:
    frame = _frame().to_crs(4547)
    frame.geometry = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy[:, ::-1])
    path = tmp_path / "swapped.gpkg"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(ImportValidationError,
                       match=r"swapped\.gpkg: .*every one would with x and y exchanged"):
        read_survey(path)


# ---- GeoJSON ---------------------------------------------------------------------------------------------


def test_geojson_with_declared_cgcs2000(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    _frame(name_column="部件名称").to_file(path, engine="pyogrio")
    survey = read_survey(path)
    assert survey.attributes["部件名称"].tolist() == NAMES
    assert survey.source_crs == CrsSpec(epsg=4490) and survey.encoding == "UTF-8"


def _geojson_text(crs: str | None = None) -> str:
    features: list[dict[str, object]] = [
        {"type": "Feature", "properties": {"名称": n}, "geometry": {"type": "Point", "coordinates": [x, y]}}
        for n, x, y in zip(NAMES, LON, LAT, strict=True)
    ]
    features.append({"type": "Feature", "properties": {"名称": "无坐标"}, "geometry": None})
    doc: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc, ensure_ascii=False)


def test_geojson_without_crs_is_wgs84_and_null_geometry_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(_geojson_text(), encoding="utf-8")
    survey = read_survey(path)
    assert survey.source_crs == CrsSpec(epsg=4326)
    assert survey.geometries[3] is None and survey.row_numbers.tolist() == [1, 2, 3, 4]
    assert any("RFC 7946" in note for note in survey.notes)


def test_geojson_in_gbk_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    path.write_bytes(_geojson_text("urn:ogc:def:crs:EPSG::4490").encode("gbk"))
    survey = read_survey(path)
    assert survey.attributes["名称"].tolist() == [*NAMES, "无坐标"]
    assert survey.encoding == "GB18030" and survey.source_crs == CrsSpec(epsg=4490)


@pytest.mark.parametrize("suffix", [".geojson", ".geojsonl"])
def test_numeric_feature_ids_shaped_as_identifiers_get_a_note(tmp_path: Path, suffix: str) -> None:
    """A numeric Feature id is not read as the identifier (a JSON number may have lost digits); a string
    one is, as the column "id"; ids that are plain feature numbers need no word."""
    numeric, string, counted = (tmp_path / f"{name}{suffix}" for name in ("numeric", "string", "counted"))
    for path, ids in ((numeric, [44030401001000001, 44030401001000002, 44030401001000003]),
                      (string, ["44030401001000001", "44030401001000002", "44030401001000003"]),
                      (counted, [1, 2, 3])):
        features = [{"type": "Feature", "id": i, "properties": {"名称": n},
                     "geometry": {"type": "Point", "coordinates": [x, y]}}
                    for i, n, x, y in zip(ids, NAMES, LON, LAT, strict=True)]
        text = ("\n".join(json.dumps(f) for f in features) if suffix == ".geojsonl"
                else json.dumps({"type": "FeatureCollection", "features": features}))
        path.write_text(text, encoding="utf-8")
    read = read_survey(numeric)
    assert "id" not in read.attributes.columns and read.row_numbers.tolist() == [1, 2, 3]
    assert [n for n in read.notes if "numeric id" in n] == [
        "3 Feature(s) have a numeric id of 16-17 digits (first: 44030401001000001), as component identifiers "
        "do; a numeric id is not read as the identifier, because a JSON number that long may have lost its "
        'last digits in the tool that wrote it: write each identifier as text ("id": "4403040100100001", or '
        "a 部件标识码 property) to keep it"]
    assert read_survey(string).attributes["id"].tolist() == ["44030401001000001", "44030401001000002",
                                                             "44030401001000003"]
    assert not [n for path in (string, counted) for n in read_survey(path).notes if "numeric id" in n]


def test_geojson_declared_lon_lat_but_metres(tmp_path: Path) -> None:
    path = tmp_path / "s.geojson"
    pyogrio.write_dataframe(_frame().to_crs(4547).set_crs(4490, allow_override=True), path)
    with pytest.raises(ImportValidationError, match=r"metres \(row 1: x=.*\) but the CRS EPSG:4490 is lon"):
        read_survey(path)


def test_projected_crs_with_degree_coordinates_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    _frame().set_crs(4547, allow_override=True).to_file(path, engine="pyogrio")
    with pytest.raises(ImportValidationError, match="look like lon/lat degrees but the CRS EPSG:4547"):
        read_survey(path)


# ---- rows in the other unit than the CRS's, Web Mercator metres ----------------------------------------


def _census_csv(tmp_path: Path, count: int, mistyped: dict[int, str]) -> Path:
    """A census of `count` points in degrees; `mistyped` replaces the x of some rows (0-based) as typed."""
    rng = np.random.default_rng(5)
    lon, lat = 114.0 + rng.random(count) * 0.04, 22.52 + rng.random(count) * 0.03
    xs = [mistyped.get(i, f"{x:.6f}") for i, x in enumerate(lon)]
    path = tmp_path / "普查.csv"
    lines = "".join(f"{i},{x},{y:.6f}\n" for i, (x, y) in enumerate(zip(xs, lat, strict=True)))
    path.write_text("编号,经度,纬度\n" + lines, encoding="utf-8")
    return path


def test_a_mistyped_coordinate_among_3000_in_degrees_refuses_its_row_alone(tmp_path: Path) -> None:
    """A decimal point dropped in one row (x=114056123) refused the whole census as 'metres'."""
    rows, notes = read_rows([_census_csv(tmp_path, 3000, {1499: "114056123"})], ImportOptions(actor="tester"))
    refused = np.flatnonzero(shapely.is_missing(rows.geometries))
    assert refused.tolist() == [1499] and rows.rows[1499] == 1501  # the CSV's line
    assert rows.geometry_problems is not None
    assert rows.geometry_problems[1499].startswith(
        "coordinates x=114056123, y=22.5") and rows.geometry_problems[1499].endswith(
        " look like metres while the rest of the file is lon/lat degrees (EPSG:4490): a mistyped coordinate?")
    assert [p for p in rows.geometry_problems if p is not None] == [rows.geometry_problems[1499]]
    assert not any("metres" in note for note in notes)


def test_a_mistyped_coordinate_is_a_rejection_naming_file_row_and_values(db_url, tmp_path) -> None:
    with psycopg.connect(db_url) as conn:
        points = _points_in_city(conn, 20, seed=83)
    mistyped = f"{round(points[7].x * 1e6)}"
    path = tmp_path / "井盖.csv"
    lines = "".join(f"01013,{DEPT},{mistyped if i == 7 else p.x},{p.y}\n" for i, p in enumerate(points))
    path.write_text("XLDM,ZGBMMC,经度,纬度\n" + lines, encoding="utf-8")
    result = _run(db_url, [path], dry_run=True, skip_invalid=True)
    assert (result.status, result.loaded_per_class) == ("dry-run", {"01013": 19})
    assert [(r.file, r.row, r.field, r.reason) for r in result.rejections] == [
        ("井盖.csv", 9, "geometry", f"coordinates x={mistyped}, y={points[7].y:.10g} look like metres while "
                                    "the rest of the file is lon/lat degrees (EPSG:4490): a mistyped "
                                    "coordinate?")]


DEGREES, METRES = (114.0512, 22.5431), (EASTING, NORTHING)


@pytest.mark.parametrize(("rows", "crs", "refused", "message"), [
    # one row in ten in the other unit: a slip, refused alone
    ([DEGREES] * 9 + [METRES], None, [9], None),
    ([METRES] * 9 + [DEGREES], "EPSG:4547", [9], None),
    # mostly in the other unit: the CRS is wrong, and the CRS to pass is named
    ([DEGREES] + [METRES] * 9, None, [],
     r"coordinates of 9 of 10 rows look like metres \(row 3: x=500123\.4, y=2495000\.5\) but no CRS is "
     r"given: pass --crs EPSG:45xx"),
    ([METRES] + [DEGREES] * 9, "EPSG:4547", [],
     r"coordinates of 9 of 10 rows \(row 3: x=114\.0512, y=22\.5431\) look like lon/lat degrees but the CRS "
     r"EPSG:4547 is projected; pass --crs EPSG:4490"),
    # half and half: no one CRS reads the file, whichever is passed
    ([DEGREES] * 5 + [METRES] * 5, None, [],
     r"coordinates of 5 of 10 rows look like metres \(row 7: .*\), the others like lon/lat degrees: a file "
     r"is read in one CRS: convert those rows to lon/lat, or move them to a file of their own \(pass "
     r"--crs EPSG:45xx"),
    ([DEGREES] * 5 + [METRES] * 5, "EPSG:4547", [],
     r"coordinates of 5 of 10 rows look like lon/lat degrees \(row 2: .*\), the others like metres "
     r"\(EPSG:4547\): a file is read in one CRS: convert those rows to EPSG:4547, or move them"),
], ids=["degrees-slip", "metres-slip", "mostly-metres", "mostly-degrees", "mixed-lon-lat", "mixed-projected"])
def test_rows_in_the_other_unit_than_the_crs(tmp_path, rows, crs, refused, message) -> None:
    path = _xy_csv(tmp_path, rows)
    given = parse_crs(crs) if crs else None
    if message:
        with pytest.raises(ImportValidationError, match=message):
            read_survey(path, crs=given)
        return
    survey = read_survey(path, crs=given)
    assert np.flatnonzero(shapely.is_missing(survey.geometries)).tolist() == refused
    unit = "metres" if crs is None else "lon/lat degrees"
    assert survey.geometry_problems is not None and survey.geometry_problems[refused[0]].endswith(
        f"look like {unit} while the rest of the file is {'lon/lat degrees' if crs is None else 'metres'} "
        f"({crs or 'EPSG:4490'}): a mistyped coordinate?")


def test_web_mercator_metres_name_epsg_3857_which_reads_them_in_futian(tmp_path: Path) -> None:
    """Web map tools export Web Mercator metres; they were given a Gauss-Krüger hint."""
    path = _xy_csv(tmp_path, [(12_697_000.5, 2_575_000.5)])
    with pytest.raises(ImportValidationError, match=r"gk\.csv: coordinates look like metres \(row 2: "
                       r"x=12697000\.5, y=2575000\.5\) but no CRS is given: they lie in China as Web "
                       r"Mercator metres, which web map tools export: pass --crs EPSG:3857$"):
        read_survey(path)
    survey = read_survey(path, crs=parse_crs("EPSG:3857"))
    (lon, lat), = shapely.get_coordinates(to_cgcs2000(survey.geometries, survey.source_crs))
    assert 114.0 < lon < 114.1 and 22.5 < lat < 22.6


@pytest.mark.parametrize(("xy", "hint"), [
    # Shanghai: its x would be an easting of the 6-degree zone 13, in whose area (Xinjiang west of 78°E)
    # its y is no northing
    ((13_524_000.0, 3_662_000.0), r": they lie in China as Web Mercator metres, .*: pass --crs EPSG:3857$"),
    # Qingdao: Web Mercator, or the 6-degree zone 13 near Kashgar; both are named
    ((13_400_000.0, 4_300_000.0),
     r"zone number 13 in front: pass --crs EPSG:4491 .*; or, if they come from a web map, as Web Mercator "
     r"metres: pass --crs EPSG:3857$"),
], ids=["shanghai", "qingdao"])
def test_web_mercator_metres_that_could_be_a_gauss_kruger_zone(tmp_path: Path, xy, hint: str) -> None:
    with pytest.raises(ImportValidationError, match=r"gk\.csv: coordinates look like metres .*" + hint):
        read_survey(_xy_csv(tmp_path, [xy]))


# ---- CSV -------------------------------------------------------------------------------------------------

CSV = (
    "部件编码,部件名称,经度,纬度\n"
    "0101001,上水井盖,114.0512,22.5431\n0101002,路灯,,22.5442\n0101003,垃圾箱,abc,22.5453\n"
)


def test_csv_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(CSV.encode("utf-8-sig"))
    survey = read_survey(path)
    assert list(survey.attributes.columns) == ["部件编码", "部件名称", "经度", "纬度"]
    assert survey.attributes["部件编码"].tolist() == ["0101001", "0101002", "0101003"]  # text, zeros kept
    assert survey.attributes["部件名称"].tolist() == NAMES
    assert survey.row_numbers.tolist() == [2, 3, 4]
    assert survey.encoding == "UTF-8" and survey.geometry_columns == ("经度", "纬度")
    assert survey.source_crs == CrsSpec(epsg=4490)
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))


def test_csv_blank_and_non_numeric_coordinates_give_none(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(CSV, encoding="utf-8")
    survey = read_survey(path)
    assert [g is None for g in survey.geometries] == [False, True, True]
    assert survey.attributes["经度"].tolist() == ["114.0512", None, "abc"]
    assert any("2 rows without a usable geometry" in note for note in survey.notes)
    assert any("pass --crs gcj02" in note for note in survey.notes)


def test_csv_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(CSV.replace("垃圾箱", "𠀀垃圾箱").encode("gb18030"))  # a character outside GBK too
    survey = read_survey(path)
    assert survey.attributes["部件名称"].tolist() == ["上水井盖", "路灯", "𠀀垃圾箱"]
    assert survey.encoding == "GB18030" and "CSV file is not UTF-8: decoded as GB18030" in survey.notes


def test_csv_line_numbers_count_blank_lines_and_multiline_fields(tmp_path: Path) -> None:
    text = 'name,x,y\n"two\nlines",114.05,22.54\n\nc,114.06,22.55\r\nd,114.07,22.56\n'
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    survey = read_survey(path)
    assert survey.row_numbers.tolist() == [2, 5, 6]
    assert survey.attributes["name"].tolist() == ["two\nlines", "c", "d"]


def test_csv_metres_without_crs_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "gk.csv"
    path.write_text("id,X,Y\n1,500123.4,2495000.5\n", encoding="utf-8")
    with pytest.raises(ImportValidationError, match=r"gk\.csv: .*metres \(row 2: x=500123.4, y=2495000.5\)"):
        read_survey(path)
    survey = read_survey(path, crs=parse_crs("EPSG:4547"))
    assert survey.source_crs == CrsSpec(epsg=4547) and survey.geometry_columns == ("X", "Y")


def test_csv_prefers_plane_columns_for_a_projected_crs(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("lon,lat,POINT_X,POINT_Y\n114.05,22.54,500123.4,2495000.5\n", encoding="utf-8")
    assert read_survey(path).geometry_columns == ("lon", "lat")
    assert read_survey(path, crs=parse_crs("4547")).geometry_columns == ("POINT_X", "POINT_Y")


def test_csv_explicit_gcj02(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Name,LNG,Lat\na,114.051234,22.541234\n", encoding="utf-8")
    survey = read_survey(path, crs=parse_crs("gcj02"))
    assert survey.source_crs == CrsSpec(offset="gcj02") and survey.notes == ()


def test_csv_wkt_column(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    text = 'name,WKT\n护栏,"LINESTRING (114.05 22.54, 114.06 22.55)"\nbad,LINESTRING (\n'
    path.write_text(text, encoding="utf-8")
    survey = read_survey(path)
    assert survey.geometries[0].geom_type == "LineString" and survey.geometries[1] is None


def test_csv_wkt_curves_are_read_as_lines_beside_plain_and_bad_wkt(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('name,WKT\n'
                    '路缘,"CIRCULARSTRING (114.0300 22.5310, 114.0301 22.5311, 114.0302 22.5310)"\n'
                    '护栏,"LINESTRING (114.05 22.54, 114.06 22.55)"\n'
                    'bad,"POINT (114.03"\n', encoding="utf-8")
    survey = read_survey(path)
    kerb, rail, bad = survey.geometries
    assert kerb.geom_type == "LineString" and len(shapely.get_coordinates(kerb)) > 3
    assert_allclose(shapely.get_coordinates(kerb)[[0, -1]], [(114.0300, 22.5310), (114.0302, 22.5310)])
    assert rail.geom_type == "LineString" and len(shapely.get_coordinates(rail)) == 2
    assert bad is None and survey.geometry_problems is not None
    assert "is not WKT" in survey.geometry_problems[2]
    assert any(note.startswith("1 curved WKT geometries") for note in survey.notes)


def test_csv_degrees_minutes_seconds_under_unit_suffixed_names(tmp_path: Path) -> None:
    path = tmp_path / "gps.csv"
    path.write_text('名称,经度(°),纬度(°)\n井盖,"114°03\'04.3""E","22°32\'35.2""N"\n路灯,114.0523,22.5442\n'
                    "垃圾箱,东经114度03分,北纬22度61分\n", encoding="utf-8")
    survey = read_survey(path)
    assert survey.geometry_columns == ("经度(°)", "纬度(°)")
    assert survey.geometries[0].equals(shapely.Point(114 + 3 / 60 + 4.3 / 3600, 22 + 32 / 60 + 35.2 / 3600))
    assert survey.geometries[1].equals(shapely.Point(114.0523, 22.5442))
    assert survey.geometries[2] is None  # 61 minutes
    assert "3 cells of ['经度(°)', '纬度(°)'] read as degrees, minutes and seconds" in survey.notes
    assert "1 rows without a usable geometry in ['经度(°)', '纬度(°)'] (geometry None)" in survey.notes


def test_csv_column_of_coordinate_pairs_from_a_map_picker(tmp_path: Path) -> None:
    """经纬度 "114.0512,22.5431", as the coordinate pickers of web maps copy them; the order from the name."""
    path = tmp_path / "picked.csv"
    path.write_text('名称,经纬度\n井盖,"114.0512,22.5431"\n路灯,（114.0523，22.5442）\n'
                    '垃圾箱,"114°03\'12.24""E 22°32\'43.08""N"\n树,114.0512\n空,\n', encoding="utf-8")
    survey = read_survey(path)
    assert survey.geometry_columns == ("经纬度",)
    assert [None if g is None else (round(g.x, 6), round(g.y, 6)) for g in survey.geometries] == [
        (114.0512, 22.5431), (114.0523, 22.5442), (114.0534, 22.5453), None, None]
    assert survey.geometry_problems is not None
    assert survey.geometry_problems.tolist() == [
        None, None, None, "经纬度 '114.0512' is not a pair of coordinates (longitude,latitude or x,y)", None]
    assert "2 coordinates of '经纬度' read as degrees, minutes and seconds" in survey.notes

    named = tmp_path / "named.csv"
    named.write_text('名称,坐标（纬度，经度）\n井盖,"22.5431, 114.0512"\n', encoding="utf-8")
    assert read_survey(named).geometries[0].equals(shapely.Point(114.0512, 22.5431))
    unnamed = tmp_path / "unnamed.csv"  # 坐标 does not give the order; the numbers do
    unnamed.write_text('名称,坐标\n井盖,"22.5431, 114.0512"\n路灯,"22.5442,114.0523"\n', encoding="utf-8")
    survey = read_survey(unnamed)
    assert survey.geometries[1].equals(shapely.Point(114.0523, 22.5442))
    assert ("'坐标' read as latitude, longitude: every pair's first number is within ±90° and its second "
            "beyond") in survey.notes
    address = tmp_path / "address.csv"  # a place described in words is no coordinate column
    address.write_text("名称,位置\n井盖,福田路与深南大道交叉口\n", encoding="utf-8")
    with pytest.raises(ImportValidationError, match="no column of coordinate pairs"):
        read_survey(address)


def test_csv_easting_northing_columns_of_a_total_station(tmp_path: Path) -> None:
    path = tmp_path / "ts.csv"
    path.write_text(f"点号,E,N,H\n1,{EASTING},{NORTHING},12.3\n", encoding="utf-8")
    survey = read_survey(path, crs=parse_crs("EPSG:4547"))
    assert survey.geometry_columns == ("E", "N")
    assert shapely.get_coordinates(survey.geometries).tolist() == [[EASTING, NORTHING]]


def test_csv_semicolon_and_full_width_digits(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("名称;经度;纬度\n井盖;１１４.０５;22.54\n", encoding="utf-8")
    survey = read_survey(path)
    assert survey.geometries[0].equals(shapely.Point(114.05, 22.54))
    assert any("delimiter" in note for note in survey.notes)


def test_csv_ideographic_full_stops_are_decimal_points_in_coordinates_only(tmp_path: Path) -> None:
    """114。05 is a Chinese input method's full stop typed for the point (。 U+3002, ｡ U+FF61); a name's
    full stop stays as written."""
    path = tmp_path / "s.csv"
    path.write_text("名称,经度,纬度\n井盖。1,114。05,22｡54\n", encoding="utf-8")
    survey = read_survey(path)
    assert survey.geometries[0].equals(shapely.Point(114.05, 22.54))
    assert survey.attributes["名称"].tolist() == ["井盖。1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("名称,备注\n井盖,x\n", "no coordinate columns"),
        ("x,y,x\n1,2,3\n", r"line 1: duplicate column names \['x'\]"),
        ("", "no header row"),
    ],
    ids=["no-coordinates", "duplicate-header", "empty"],
)
def test_csv_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportValidationError, match=rf"bad\.csv: .*{message}"):
        read_survey(path)


def test_csv_saved_from_a_census_form_skips_its_title_and_joins_its_two_header_lines(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("福田区部件普查表,,,,\n序号,主管部门,,坐标,\n,代码,名称,X,Y\n"
                    "1,001,城管局,114.0512,22.5431\n", encoding="utf-8")
    survey = read_survey(path)
    assert list(survey.attributes.columns) == ["序号", "主管部门代码", "主管部门名称", "X", "Y"]
    assert survey.row_numbers.tolist() == [4]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    assert "line 1 above the header skipped" in survey.notes
    assert any(n.startswith("lines 2–3 read as one header") for n in survey.notes)
    wkt_only = tmp_path / "wkt.csv"  # one column: its first line is the header
    wkt_only.write_text('wkt\n"POINT (114.0512 22.5431)"\n', encoding="utf-8")
    assert read_survey(wkt_only).geometries[0].equals(shapely.Point(114.0512, 22.5431))


def test_csv_trailing_empty_columns_are_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("名称,x,y,,\n井盖,114.05,22.54,,\n", encoding="utf-8")
    assert list(read_survey(path).attributes.columns) == ["名称", "x", "y"]


# ---- XLSX ------------------------------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "普查"
    sheet["A1"] = "福田区部件普查表"  # a title row above the header
    sheet.append(["部件编码", "部件名称", "Longitude", "Latitude", "初始日期"])
    sheet.append(["44030401001000001", "上水井盖", 114.0512, 22.5431, 20240105])
    sheet.append(["44030402001000002", "路灯", None, None, 20240105])
    sheet.append([])  # an empty sheet row 5
    sheet.cell(row=6, column=1, value="44030403001000003")
    sheet.cell(row=6, column=2, value="垃圾箱")
    sheet.cell(row=6, column=3, value="114.0534")
    sheet.cell(row=6, column=4, value=22.5453)
    book.create_sheet("说明")["A1"] = "notes"
    book.save(path)
    return path


def test_xlsx_rows_are_sheet_rows_and_values_as_read(tmp_path: Path) -> None:
    survey = read_survey(_workbook(tmp_path / "s.xlsx"))
    assert survey.row_numbers.tolist() == [3, 4, 6]
    assert survey.attributes["部件名称"].tolist() == NAMES
    assert survey.attributes["初始日期"].tolist()[0] == 20240105
    assert [g is None for g in survey.geometries] == [False, True, False]
    assert survey.geometries[2].equals(shapely.Point(114.0534, 22.5453))
    assert any("sheet row 1 above the header skipped" in note for note in survey.notes)
    assert any("sheets 普查, 说明" in note for note in survey.notes)
    assert survey.source_crs == CrsSpec(epsg=4490) and survey.encoding is None


def test_xlsx_sheet_by_name(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "s.xlsx")
    assert len(read_survey(path, layer="普查")) == 3
    with pytest.raises(ImportValidationError, match="no sheet 'x'"):
        read_survey(path, layer="x")


def _sheets_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """An .xlsx, .xls or .ods workbook with these sheets and rows."""
    if path.suffix == ".ods":
        return write_ods(path, sheets)
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        book.remove(book.active)
        for name, rows in sheets.items():
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
        book.save(path)
        return path
    legacy = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = legacy.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    legacy.save(str(path))
    return path


def test_xlsx_formulas_without_saved_values_are_named_where_coordinates_read_empty(tmp_path: Path) -> None:
    """A workbook a program wrote (openpyxl: =B2*1) and no spreadsheet application calculated holds its
    formulas without values, which calamine reads as empty: the row says so, not "经度 is empty"."""
    path = _sheets_workbook(tmp_path / "s.xlsx", {"普查": [
        ["部件名称", "经度", "纬度", "备注"],
        ["井盖1", "=114.0512*1", 22.5431, "=A2"],
        ["井盖2", 114.0523, 22.5442, None],
        ["井盖3", "=114.0534*1", "=22.5453*1", None]]})
    survey = read_survey(path)
    unsaved = ("a formula without a saved value (the workbook was written by a program, never calculated)")
    save = "open the workbook in Excel or WPS and save it (or paste the values), then import it again"
    assert survey.geometry_problems is not None
    assert survey.geometry_problems.tolist() == [
        f"经度 (cell B2) of sheet '普查' holds {unsaved}: {save}", None,
        f"经度 (cell B4), 纬度 (cell C4) of sheet '普查' hold {unsaved}: {save}"]
    assert (f"sheet '普查': 4 cell(s) of 经度, 纬度, 备注 hold {unsaved}, read as empty (first: cell B2): "
            f"{save}") in survey.notes


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_a_workbook_is_read_from_its_first_sheet_with_coordinates(tmp_path: Path, suffix: str) -> None:
    """A cover or an instructions sheet first (封面, 填表说明), the survey after it: the survey is read."""
    sheets = {"填表说明": [["说明", "内容"], ["经纬度", "CGCS2000"]], "封面": [["福田区部件普查"]],
              "普查": [["部件名称", "经度", "纬度"], ["井盖", 114.0512, 22.5431]], "汇总": [["类别", "数量"]]}
    path = _sheets_workbook(tmp_path / f"s{suffix}", sheets)
    survey = read_survey(path)
    assert survey.attributes["部件名称"].tolist() == ["井盖"]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    assert any("read '普查' (the first that holds the data; '填表说明' does not)" in n for n in survey.notes)
    with pytest.raises(ImportValidationError, match="no coordinate columns"):  # a sheet named is the one read
        read_survey(path, layer="汇总")


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_a_census_form_headed_in_two_rows_is_read_with_joined_names(tmp_path: Path, suffix: str) -> None:
    """主管部门 merged over 代码 and 名称, 坐标 over 经度 and 纬度, under a title row."""
    path = _sheets_workbook(tmp_path / f"form{suffix}", {"普查": [
        ["福田区部件普查表"],
        ["序号", "部件名称", "主管部门", None, "坐标", None, "备注"],
        [None, None, "代码", "名称", "经度", "纬度"],
        [1, "井盖", "001", "城管局", 114.0512, 22.5431, "东侧"]]})
    if suffix == ".xlsx":  # merge the group headings as a census form does
        book = openpyxl.load_workbook(path)
        for cells in ("A1:G1", "C2:D2", "E2:F2", "A2:A3", "B2:B3", "G2:G3"):
            book["普查"].merge_cells(cells)
        book.save(path)
    survey = read_survey(path)
    assert list(survey.attributes.columns) == [
        "序号", "部件名称", "主管部门代码", "主管部门名称", "经度", "纬度", "备注"]
    assert survey.row_numbers.tolist() == [4]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    assert survey.attributes["主管部门名称"].tolist() == ["城管局"]
    assert any(n.startswith("sheet rows 2–3 read as one header") for n in survey.notes)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_cells_merged_down_over_rows_are_read_on_each_row(tmp_path: Path, suffix: str) -> None:
    """部件类型 and 所属街道 merged once over a group of rows, as office spreadsheets do; the blank form rows
    left at the end, inside the merge, stay unread."""
    rows: list[list[object]] = [
        ["福田区部件普查表"],
        ["序号", "部件类型", "所属街道", "经度", "纬度"],
        [1, "上水井盖", "福田街道", 114.0512, 22.5431],
        [2, None, None, 114.0513, 22.5432],
        [3, "路灯", None, 114.0514, 22.5433],
        [4, None, None, 114.0515, 22.5434],
        [None, None, None, None, None]]
    merges = [(0, 0, 0, 4), (2, 3, 1, 1), (4, 5, 1, 1), (2, 6, 2, 2)]  # first/last row, first/last column
    path = tmp_path / f"merged{suffix}"
    if suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        for top, bottom, left, right in merges:
            sheet.merge_cells(start_row=top + 1, end_row=bottom + 1,
                              start_column=left + 1, end_column=right + 1)
        book.save(path)
    else:
        legacy = xlwt.Workbook(encoding="utf-8")
        sheet = legacy.add_sheet("普查")
        for top, bottom, left, right in merges:
            sheet.write_merge(top, bottom, left, right, rows[top][left])
        merged = {(r, c) for top, bottom, left, right in merges
                  for r in range(top, bottom + 1) for c in range(left, right + 1)}
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and (r, c) not in merged:
                    sheet.write(r, c, value)
        legacy.save(str(path))
    survey = read_survey(path)
    assert survey.row_numbers.tolist() == [3, 4, 5, 6]
    assert survey.attributes["部件类型"].tolist() == ["上水井盖", "上水井盖", "路灯", "路灯"]
    assert survey.attributes["所属街道"].tolist() == ["福田街道"] * 4
    assert survey.attributes["序号"].tolist() == [1, 2, 3, 4]
    assert "5 cell(s) merged down over rows read on each row they span (first: sheet row 4, 部件类型)" \
        in survey.notes


def _table_file(path: Path, rows: list[list[object]]) -> Path:
    """The rows as a UTF-8 CSV file or a one-sheet workbook, by the path's suffix; in a workbook, a value
    that is an Excel error value (#N/A) is an error cell, as Excel writes a failed formula's result."""
    if path.suffix == ".ods":
        return write_ods(path, {"Sheet1": rows})
    if path.suffix == ".csv":
        path.write_text("\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\n",
                        encoding="utf-8")
        return path
    if path.suffix == ".xls":
        codes = {text: code for code, text in xlrd.error_text_from_code.items()}  # BIFF's error codes
        old_book = xlwt.Workbook(encoding="utf-8")
        old_sheet = old_book.add_sheet("Sheet1")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value in codes:
                    old_sheet.row(r).set_cell_error(c, codes[value])
                elif value is not None:
                    old_sheet.write(r, c, value)
        old_book.save(str(path))
        return path
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_subtotal_total_and_signature_rows_of_a_form_are_not_survey_rows(tmp_path: Path, suffix: str) -> None:
    """The column numbers under the header (栏次), a per-street 小计, a 合计 and the signature lines under a
    census form are left out with a note; a survey row that lost its coordinates is still read (and
    reported by the validation)."""
    rows: list[list[object]] = [
        ["序号", "部件名称", "所属街道", "经度", "纬度"],
        ["甲", "(1)", "(2)", "(3)", "(4)"],
        [1, "井盖", "福田街道", 114.0512, 22.5431],
        [2, "路灯", "福田街道", None, None],  # a survey row without coordinates
        [None, "福田街道小计", None, None, None],
        [3, "井盖", "华富街道", 114.0513, 22.5432],
        ["合  计", None, 3, None, None],
        ["填表人：张三", None, None, "审核人：李四", None],  # text in the longitude column
        ["注：坐标为 CGCS2000 经纬度", None, None, None, None]]
    survey = read_survey(_table_file(tmp_path / f"form{suffix}", rows))
    assert survey.row_numbers.tolist() == [3, 4, 6]
    assert survey.attributes["部件名称"].tolist() == ["井盖", "路灯", "井盖"]
    assert [g is None for g in survey.geometries] == [False, True, False]
    unit = "line" if suffix == ".csv" else "sheet row"
    assert f"4 subtotal, total or signature {unit}s of the form not read: {unit}s 5, 7, 8, 9" in survey.notes
    assert any(n.endswith(f"{unit} 2: the column numbers under the header not read") for n in survey.notes)
    assert any("1 rows without a usable geometry" in note for note in survey.notes)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_degrees_minutes_and_seconds_in_a_column_each_make_points(tmp_path: Path, suffix: str) -> None:
    """A 古树名木 form: 经度 and 纬度 each merged over 度, 分 and 秒 (a CSV file names them 经度(度) …)."""
    body = [["古树001", 114, 3, 4.3, 22, 32, 35.2], ["古树002", 114, 3, None, 22, 32, None],
            ["古树003", 114, 63, 0, 22, 32, 0], ["古树004", None, None, None, None, None, None]]
    path = tmp_path / f"trees{suffix}"
    if suffix == ".csv":
        header = ["树木编号", "经度(度)", "经度(分)", "经度(秒)", "纬度(度)", "纬度(分)", "纬度(秒)"]
        lines = [",".join("" if v is None else str(v) for v in row) for row in [header, *body]]
        path.write_text("\n".join(lines), encoding="utf-8")
        first = 2
    else:
        path = _sheets_workbook(path, {"填表说明": [["说明", "经纬度用 GPS 测得"]],
                                         "调查表": [["树木编号", "经度", None, None, "纬度", None, None],
                                                 [None, "度", "分", "秒", "度", "分", "秒"], *body]})
        first = 3
    survey = read_survey(path)
    assert survey.row_numbers.tolist() == [first, first + 1, first + 2, first + 3]
    x, y = shapely.get_coordinates(survey.geometries[:2]).T
    assert x.tolist() == pytest.approx([114 + 3 / 60 + 4.3 / 3600, 114.05])
    assert y.tolist() == pytest.approx([22 + 32 / 60 + 35.2 / 3600, 22 + 32 / 60])
    assert survey.geometries[2] is None and survey.geometries[3] is None
    assert survey.geometry_problems is not None
    assert "not degrees, minutes and seconds" in survey.geometry_problems[2]
    assert survey.geometry_problems[3] is None  # nothing written: a row without coordinates
    assert any(n.startswith("coordinates from degrees, minutes and seconds in columns") for n in survey.notes)
    assert "树木编号" in survey.attributes.columns
    found_in_a_delivery, _ = layers_to_read(path, (), named=False)
    assert found_in_a_delivery == [None]  # read, not passed over as an attribute table


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_header_names_wrapped_over_lines_in_their_cells_are_one_name(tmp_path: Path, suffix: str) -> None:
    """Alt+Enter in a header cell (部件⏎名称) wraps the name on screen; it is one column name."""
    header = ["部件\n名称", "规格 \r\n型号", "经度\n(°)", "纬度\n(°)"]
    if suffix == ".csv":
        path = tmp_path / "wrapped.csv"
        quoted = ",".join('"' + name + '"' for name in header)
        path.write_text(f"{quoted}\n井盖,700mm,114.0512,22.5431\n", encoding="utf-8")
    else:
        row = ["井盖", "700mm", 114.0512, 22.5431]
        path = _sheets_workbook(tmp_path / "wrapped.xlsx", {"普查": [header, row]})
    survey = read_survey(path)
    assert list(survey.attributes.columns) == ["部件名称", "规格型号", "经度(°)", "纬度(°)"]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))


def test_coordinate_columns_named_for_a_consumer_map_set_the_source_crs(tmp_path: Path) -> None:
    """高德经度/高德纬度 from a web map's picker are GCJ-02: read as such without --crs; --crs still wins."""
    path = tmp_path / "gcj.csv"
    path.write_text("名称,高德经度,高德纬度\n井盖,114.0512,22.5431\n", encoding="utf-8")
    survey = read_survey(path)
    assert survey.source_crs == CrsSpec(offset="gcj02")
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))  # as written, converted later
    assert not any(note.startswith("no CRS given") for note in survey.notes)
    assert read_survey(path, crs=CrsSpec(epsg=4490)).source_crs == CrsSpec(epsg=4490)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_a_utf16_csv_with_its_byte_order_mark_is_read(tmp_path: Path, codec: str) -> None:
    """Excel's "Unicode text" is tab-separated UTF-16 with a byte order mark, often renamed .csv."""
    path = tmp_path / "unicode.csv"
    text = "部件名称\t经度\t纬度\r\n上水井盖\t114.0512\t22.5431\r\n"
    path.write_bytes(text.encode(codec) if codec == "utf-16" else b"\xfe\xff" + text.encode(codec))
    survey = read_survey(path)
    assert survey.attributes["部件名称"].tolist() == ["上水井盖"]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    assert survey.encoding == "UTF-16"
    assert layers_to_read(path, (), named=False) == ([None], [])  # found in a delivery, it is read


@pytest.mark.parametrize(("name", "codec"), [("Unicode文本.txt", "utf-16"), ("制表符分隔.txt", "gbk"),
                                             ("table.tsv", "utf-8")])
def test_excels_tab_delimited_text_saves_are_read_as_csv(tmp_path: Path, name: str, codec: str) -> None:
    """Excel saves 文本文件(制表符分隔) in the system code page (GBK on Chinese Windows) and Unicode 文本 in
    UTF-16, both as .txt. Within a delivery folder a .txt is taken for its readme (说明.txt) and not read."""
    path = tmp_path / "delivery" / name
    path.parent.mkdir()
    path.write_bytes("部件名称\t经度\t纬度\r\n上水井盖\t114.0512\t22.5431\r\n".encode(codec))
    survey = read_survey(path)
    assert survey.attributes["部件名称"].tolist() == ["上水井盖"]
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))
    if path.suffix == ".tsv":
        with survey_files([path.parent]) as found:
            assert [f.label for f in found] == [f"delivery/{name}"]
    else:
        with pytest.raises(ImportValidationError, match="holds no survey file"), survey_files([path.parent]):
            pass


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_blank_rows_of_a_template_with_its_row_numbers_filled_ahead_are_not_read(tmp_path: Path,
                                                                                  suffix: str) -> None:
    """A form template numbers its rows (序号 1 … 8) ahead; the contractor fills three. In the workbook
    所属街道 is merged over all eight rows, as templates do."""
    rows: list[list[object]] = [["序号", "部件名称", "所属街道", "经度", "纬度"]]
    rows += [[n, "井盖", "福田街道" if n == 1 else None, 114.05 + n / 1000, 22.54] for n in (1, 2, 3)]
    rows += [[n, None, None, None, None] for n in range(4, 9)]
    path = _table_file(tmp_path / f"template{suffix}", rows)
    if suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        assert book.active is not None
        book.active.merge_cells("C2:C9")
        book.save(path)
    survey = read_survey(path)
    assert survey.row_numbers.tolist() == [2, 3, 4]
    assert survey.attributes["序号"].tolist() == ([1, 2, 3] if suffix == ".xlsx" else ["1", "2", "3"])
    unit = "line" if suffix == ".csv" else "row"
    where = "sheet rows" if suffix == ".xlsx" else "lines"
    assert f"5 blank form {unit}(s), only 序号 filled, not read, between {where} 5 and 9" in survey.notes
    if suffix == ".xlsx":
        assert survey.attributes["所属街道"].tolist() == ["福田街道"] * 3


def test_legacy_xls_reads_like_xlsx(tmp_path: Path) -> None:
    """A .xls as WPS and older Excel save it: numbers are doubles, dates are numbers with a date format."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("普查")
    sheet.write(0, 0, "福田区部件普查表")
    for column, name in enumerate(["部件编码", "部件名称", "Longitude", "Latitude", "初始日期", "小类代码"]):
        sheet.write(1, column, name)
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for row, (code, name, lon, lat) in enumerate(zip(["44030401001000001", "44030402001000002"], NAMES[:2],
                                                     LON[:2], LAT[:2], strict=True), start=2):
        for column, value in enumerate([code, name, lon, lat]):
            sheet.write(row, column, value)
        sheet.write(row, 4, datetime(2024, 1, 5), dated)
        sheet.write(row, 5, 1001)  # a number cell: stored as the double 1001.0
    book.add_sheet("说明").write(0, 0, "notes")
    book.save(str(tmp_path / "s.xls"))
    survey = read_survey(tmp_path / "s.xls")
    assert survey.row_numbers.tolist() == [3, 4]
    assert survey.attributes["部件名称"].tolist() == NAMES[:2]
    assert survey.attributes["初始日期"].tolist() == [datetime(2024, 1, 5)] * 2
    assert survey.attributes["小类代码"].tolist() == [1001, 1001]
    assert shapely.get_coordinates(survey.geometries)[:, 0].tolist() == LON[:2]
    assert any("sheets 普查, 说明" in note for note in survey.notes)
    assert len(read_survey(tmp_path / "s.xls", layer="普查")) == 2


@pytest.mark.parametrize(("written", "named"), [(".xls", ".xlsx"), (".xlsx", ".xls")])
def test_a_workbook_saved_under_the_other_formats_name_is_read(tmp_path: Path, written: str,
                                                               named: str) -> None:
    """WPS and hand renaming leave binary .xls content under an .xlsx name and the reverse."""
    header = ["部件名称", "经度", "纬度", "初始日期", "数量"]
    row = ["井盖", 114.0512, 22.5431, datetime(2024, 1, 5), 3]
    path = tmp_path / f"s{written}"
    if written == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        sheet.append(row)
        book.save(path)
    else:
        legacy = xlwt.Workbook(encoding="utf-8")
        sheet = legacy.add_sheet("普查")
        dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
        for column, (name, value) in enumerate(zip(header, row, strict=True)):
            sheet.write(0, column, name)
            sheet.write(1, column, value, *([dated] if isinstance(value, datetime) else []))
        legacy.save(str(path))
    survey = read_survey(path.rename(tmp_path / f"s{named}"))
    assert survey.attributes["部件名称"].tolist() == ["井盖"]
    assert survey.attributes["初始日期"].tolist() == [datetime(2024, 1, 5)]
    assert survey.attributes["数量"].tolist() == [3] and isinstance(survey.attributes["数量"][0], int)
    assert survey.geometries[0].equals(shapely.Point(114.0512, 22.5431))


# ---- files that cannot be read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.gpkg", None, "no such file"),
        ("s.docx", b"x", "unsupported file type '.docx'"),
        ("broken.xls", b"x", "cannot read the workbook"),
        ("broken.gpkg", b"not a geopackage", "cannot read"),
        ("broken.xlsx", b"PK\x03\x04 not a zip", "cannot read the workbook"),
        ("broken.geojson", b'{"type": "Feature', "cannot read"),
        ("broken.shp", b"\x00" * 10, "no broken.dbf beside it"),  # a .shp alone
    ],
    ids=["missing", "docx", "xls", "gpkg", "xlsx", "geojson", "shp"],
)
def test_unreadable_files_are_import_errors(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportValidationError, match=re.escape(name) + ": " + message):
        read_survey(path)


def test_a_workbook_saved_with_a_password_is_refused_with_what_to_do(tmp_path: Path) -> None:
    rows: list[list[object]] = [["部件名称", "经度", "纬度"], ["井盖", 114.05, 22.54]]
    plain = _sheets_workbook(tmp_path / "plain.xlsx", {"普查": rows})
    locked = tmp_path / "普查成果.xlsx"
    with plain.open("rb") as source, locked.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    refusal = r"普查成果\.xlsx: the workbook is protected by a password: open it, save a copy without"
    with pytest.raises(ImportValidationError, match=refusal):
        read_survey(locked)


def test_unknown_encoding_is_an_import_error(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(ImportValidationError, match="unknown text encoding 'klingon'"):
        read_survey(path, encoding="klingon")


def test_explicit_encoding_for_csv(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(CSV.encode("gbk"))
    survey = read_survey(path, encoding="GBK")
    assert survey.attributes["部件名称"].tolist() == NAMES and survey.encoding == "GBK"
    with pytest.raises(ImportValidationError, match=r"line 1: not valid UTF-8"):
        read_survey(path, encoding="utf-8")
    assert np.array_equal(read_survey(path, encoding="GBK").row_numbers, [2, 3, 4])


# ---- Shapefile code pages, cut field names, tables with coordinate columns ------------------------------


def _western_shapefile(tmp_path: Path, texts: list[str], encoding: str, cpg: str) -> Path:
    """A Shapefile whose .dbf holds `texts` in `encoding` beside a .cpg that says `cpg`."""
    frame = gpd.GeoDataFrame({"BZ": texts}, geometry=shapely.points(LON[: len(texts)], LAT[: len(texts)]),
                             crs=4490)
    path = tmp_path / "survey.shp"
    pyogrio.write_dataframe(frame, path, encoding=encoding)
    path.with_suffix(".cpg").write_text(cpg)
    return path


@pytest.mark.parametrize("cpg", ["88591", "885915"])
def test_arcgis_iso_8859_code_pages_are_read_and_honest_latin1_text_keeps_its_cpg(tmp_path: Path,
                                                                                  cpg: str) -> None:
    texts = ["Hôtel de Ville", "près de l'église", "für die Straße"]
    survey = read_survey(_western_shapefile(tmp_path, texts, "ISO-8859-1", cpg))
    assert survey.attributes["BZ"].tolist() == texts
    assert survey.encoding == f"ISO8859-{cpg[4:]}" and survey.notes == ()


@pytest.mark.parametrize("cpg", ["1252", "ISO-8859-1", "88591"])
def test_gbk_text_under_a_western_cpg_is_read_as_gb18030_with_a_note(tmp_path: Path, cpg: str) -> None:
    path = _western_shapefile(tmp_path, NAMES, "GBK", cpg)
    survey = read_survey(path)
    assert survey.attributes["BZ"].tolist() == NAMES and survey.encoding == "GB18030"
    assert any(f"survey.cpg says {cpg!r}" in note and "reads as Chinese in GB18030 ('上水井盖', which" in note
               and f"decoded as GB18030; pass --encoding {cpg}" in note for note in survey.notes)
    forced = read_survey(path, encoding=cpg)
    assert forced.attributes["BZ"].tolist() == [name.encode("gbk").decode("latin-1") for name in NAMES]


def test_a_utf8_field_name_cut_to_the_start_of_several_standard_names_is_named_in_a_note(
        tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"管理部件标识码": ["44030401037000901"], "主管部门名称": ["福田区城管局"]},
                             geometry=[shapely.Point(LON[0], LAT[0])], crs=4490)
    with pytest.warns(RuntimeWarning):  # GDAL cuts the names to 10 bytes
        path = _shapefile(tmp_path, frame, "UTF-8", keep_cpg=True)
    survey = read_survey(path)
    assert survey.attributes.iloc[0].tolist() == ["44030401037000901", "福田区城管局"]
    assert ("column '管理部' may be a name cut to the Shapefile's 10 bytes: 管理部件标识码 (id), "
            "管理部件名称 (name), 管理部件状态 (state); read as a free attribute unless a --mapping file "
            "names it (extend: {FIELD: ['管理部']})") in survey.notes
    assert any(note.startswith("column '主管部' may be a name cut to the Shapefile's 10 bytes: 主管部门代码 "
                               "(competent_dept_code), 主管部门名称 (competent_dept_name);")
               for note in survey.notes)


def test_a_utf8_name_gdal_cut_mid_character_and_numbered_is_read_without_the_broken_character(
        tmp_path: Path) -> None:
    """管理部件名称 after 管理部件标识码: GDAL makes it 管理 + two bytes of 部 + _1."""
    frame = gpd.GeoDataFrame({"管理部件标识码": ["44030401037000901"], "管理部件名称": ["路灯A"]},
                             geometry=[shapely.Point(LON[0], LAT[0])], crs=4490)
    with pytest.warns(RuntimeWarning):
        path = _shapefile(tmp_path, frame, "UTF-8", keep_cpg=True)
    survey = read_survey(path)
    assert list(survey.attributes.columns) == ["管理部", "管理_1"]
    assert survey.attributes["管理_1"].tolist() == ["路灯A"]
    assert any(note.startswith("column '管理_1' may be a name cut to the Shapefile's 10 bytes: "
                               "管理部件标识码 (id), 管理部件名称 (name), 管理部件状态 (state);")
               for note in survey.notes)


@pytest.mark.parametrize(("name", "driver", "columns"), [
    ("census.gpkg", "GPKG", ("POINT_X", "POINT_Y")),
    ("census.gdb", "OpenFileGDB", ("经度", "纬度")),
], ids=["geopackage-arcgis-xy", "geodatabase-lon-lat"])
def test_a_table_with_coordinate_columns_is_read_as_points_like_a_csv(
        tmp_path: Path, name: str, driver: str, columns: tuple[str, str]) -> None:
    path = tmp_path / name
    pyogrio.write_dataframe(_frame(), path, driver=driver, layer="井盖")
    table = gpd.pd.DataFrame({"BJMC": ["路灯", "路灯"], columns[0]: [LON[0], None],
                              columns[1]: [LAT[0], None]})
    pyogrio.write_dataframe(table, path, driver=driver, layer="路灯XY", append=True)
    pyogrio.write_dataframe(gpd.pd.DataFrame({"代码": ["01001"]}), path, driver=driver, layer="字典",
                            append=True)
    kind = "GeoPackage" if driver == "GPKG" else "File Geodatabase"
    unread = f"{kind} tables without geometries not read: ['字典']"
    assert layers_to_read(path, ()) == (["井盖", "路灯XY"], [unread])
    survey = read_survey(path, layer="路灯XY")
    assert survey.geometries[0].equals(shapely.Point(LON[0], LAT[0])) and survey.geometries[1] is None
    assert survey.geometry_columns == columns and survey.row_numbers.tolist() == [1, 2]
    assert f"a table without geometries: points from its coordinate columns {list(columns)}" in survey.notes


def test_a_geopackage_of_tables_only_reads_those_with_coordinate_columns(tmp_path: Path) -> None:
    path = tmp_path / "census.gpkg"
    pyogrio.write_dataframe(gpd.pd.DataFrame({"代码": ["01001"]}), path, layer="字典")
    table = gpd.pd.DataFrame({"XLDM": ["01003"], "POINT_X": [LON[0]], "POINT_Y": [LAT[0]]})
    pyogrio.write_dataframe(table, path, layer="雨水井盖", append=True)
    unread = "GeoPackage tables without geometries not read: ['字典']"
    assert layers_to_read(path, ()) == (["雨水井盖"], [unread])


def _extended_data_kml(fields: list[dict[str, str]]) -> str:
    """A KML of placemarks whose fields are ExtendedData Data elements, as Google Earth, 奥维 and 两步路
    write them."""
    placemarks = "".join(
        f"<Placemark><name>L{i}</name><ExtendedData>"
        + "".join(f'<Data name="{name}"><value>{value}</value></Data>' for name, value in record.items())
        + f"</ExtendedData><Point><coordinates>{114.02 + i / 1000},22.53</coordinates></Point></Placemark>"
        for i, record in enumerate(fields))
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<Folder><name>路灯</name>{placemarks}</Folder></Document></kml>")


@pytest.mark.parametrize("suffix", [".kml", ".kmz"])
def test_kml_fields_named_in_chinese_keep_their_names(tmp_path: Path, suffix: str) -> None:
    """GDAL writes every non-ASCII character of a Data name as '_': 主管部门 and 部件状态 were one column."""
    text = _extended_data_kml([
        {"主管部门": "城管局", "部件状态": "损坏", "养护单位": "某公司", "Pole No.": "7"},
        {"主管部门": "城管局", "部件状态": "丢失", "养护单位": "某公司", "Pole No.": "8"}])
    path = tmp_path / f"lamps{suffix}"
    if suffix == ".kml":
        path.write_text(text, encoding="utf-8")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("doc.kml", text)
            archive.writestr("files/photo.jpg", b"\xff\xd8")
    survey = read_survey(path)
    assert survey.attributes[["主管部门", "部件状态", "养护单位", "Pole No."]].to_numpy().tolist() == [
        ["城管局", "损坏", "某公司", "7"], ["城管局", "丢失", "某公司", "8"]]


# ---- GeoJSONSeq, TopoJSON, GML, SpatiaLite and FlatGeobuf ------------------------------------------------


def _topojson(path: Path, frame: gpd.GeoDataFrame) -> None:
    """A TopoJSON of the frame's points, one object (layer) named 井盖, as mapshaper and topojson write it."""
    geometries = [{"type": "Point", "coordinates": [p.x, p.y], "properties": record}
                  for p, record in zip(frame.geometry, frame.drop(columns="geometry").to_dict("records"),
                                       strict=True)]
    objects = {"井盖": {"type": "GeometryCollection", "geometries": geometries}}
    path.write_text(json.dumps({"type": "Topology", "arcs": [], "objects": objects}, ensure_ascii=False),
                    encoding="utf-8")


@pytest.mark.parametrize(("name", "driver"), [
    ("井盖.geojsonl", "GeoJSONSeq"), ("井盖.geojsons", "GeoJSONSeq"), ("井盖.gml", "GML"),
    ("井盖.sqlite", "SQLite"), ("井盖.fgb", "FlatGeobuf"), ("井盖.topojson", None),
], ids=["geojsonl", "geojsons", "gml", "spatialite", "flatgeobuf", "topojson"])
def test_vector_formats_in_a_delivery_are_read_like_the_others(tmp_path: Path, name: str, driver) -> None:
    delivery = tmp_path / "成果"
    delivery.mkdir()
    frame = _frame(name_column="部件名称")
    if driver is None:
        _topojson(delivery / name, frame)
    else:
        pyogrio.write_dataframe(frame, delivery / name, driver=driver, layer="井盖",
                                **({"SPATIALITE": "YES"} if driver == "SQLite" else {}))
    (delivery / "井盖.xsd").unlink(missing_ok=True)  # a GML without its schema, on which GDAL writes a .gfs
    rows, _ = read_rows([delivery], ImportOptions(actor="tester"))
    assert set(rows.files) == {f"成果/{name}"}
    read = sorted(zip(rows.fields["name"], shapely.get_x(rows.geometries), shapely.get_y(rows.geometries),
                      strict=True))
    assert_allclose([xy for _, *xy in read], [xy for _, *xy in sorted(zip(NAMES, LON, LAT, strict=True))])
    assert [n for n, *_ in read] == sorted(NAMES)
    assert [p.name for p in delivery.iterdir()] == [name]  # nothing written beside it


def test_geojson_lines_in_gbk_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "s.geojsonl"
    lines = [json.dumps({"type": "Feature", "properties": {"名称": n},
                         "geometry": {"type": "Point", "coordinates": [x, y]}}, ensure_ascii=False)
             for n, x, y in zip(NAMES, LON, LAT, strict=True)]
    path.write_bytes("\n".join(lines).encode("gbk"))
    survey = read_survey(path)
    assert survey.attributes["名称"].tolist() == NAMES and survey.encoding == "GB18030"


def test_a_sqlite_database_in_a_delivery_is_read_for_its_tables_with_coordinates(tmp_path: Path) -> None:
    """SQLite also keeps apps' settings and caches: one without a table of geometries or coordinates is
    passed over with a note, as an attribute table is."""
    delivery = tmp_path / "成果"
    delivery.mkdir()
    for name, statements in (("路灯", ["CREATE TABLE 路灯 (部件名称 TEXT, 经度 REAL, 纬度 REAL)",
                                       "INSERT INTO 路灯 VALUES ('路灯', 114.0512, 22.5431)"]),
                             ("设置", ["CREATE TABLE settings (key TEXT, value TEXT)"])):
        db = sqlite3.connect(delivery / f"{name}.sqlite")
        with db:
            for statement in statements:
                db.execute(statement)
        db.close()
    rows, notes = read_rows([delivery], ImportOptions(actor="tester"))
    assert rows.fields["name"].tolist() == ["路灯"] and set(rows.files) == {"成果/路灯.sqlite"}
    assert shapely.get_coordinates(rows.geometries).tolist() == [[114.0512, 22.5431]]
    assert "成果/设置.sqlite: not read: no table with geometries or coordinate columns (not a SpatiaLite " \
           "survey?)" in notes
