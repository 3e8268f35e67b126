"""CAD drawings (.dxf): the components drawn on CAD layers named for their class, read and imported."""

from pathlib import Path

import ezdxf
import numpy as np
import psycopg
import pytest
import shapely
from numpy.testing import assert_allclose

from gis.crs import parse_crs, transformer
from gis.errors import ImportValidationError
from layers.field_mapping import FieldMapping
from layers.survey_import import ImportOptions, import_components
from layers.survey_read import layers_to_read, read_survey

# Futian in CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547)
COVERS = [(114.0121, 22.5312), (114.0153, 22.5338), (114.0187, 22.5361)]
LAMP, LAMP_CIRCLE = (114.0205, 22.5352), (114.0231, 22.5349)
TOILET, SQUARE = (114.0141, 22.5371), [(0, 0), (12, 0), (12, 8), (0, 8)]  # its corner, its outline (m)
DEPT = "福田区城市管理和综合执法局"


def _drawing(path: Path, version: str = "R2000", encoding: str = "gbk") -> Path:
    """A census drawn as contractors do: 雨水井盖 as block references carrying attributes (编号,
    材质), 路灯 as a point and a circle, a kerb on 道路边线, a street name on 注记, and a frame in paper
    space."""
    to_gk = transformer(4490, 4547)
    doc = ezdxf.new(version)
    doc.header["$DWGCODEPAGE"] = "ANSI_936"
    block = doc.blocks.new(name="YSJ")
    block.add_circle((0, 0), 0.35)  # the symbol: drawn around the insertion point
    block.add_attdef("编号", (0, 0.5))
    block.add_attdef("材质", (0, 1.0))
    for name in ("雨水井盖", "路灯", "道路边线", "公共厕所", "注记"):
        doc.layers.add(name)
    model = doc.modelspace()
    for i, (lon, lat) in enumerate(COVERS):
        cover = model.add_blockref("YSJ", to_gk.transform(lon, lat), dxfattribs={"layer": "雨水井盖"})
        cover.add_auto_attribs({"编号": f"YS-{i + 1:03d}", "材质": "铸铁"})
    model.add_point(to_gk.transform(*LAMP), dxfattribs={"layer": "路灯"})
    model.add_circle(to_gk.transform(*LAMP_CIRCLE), 0.3, dxfattribs={"layer": "路灯"})
    model.add_lwpolyline([to_gk.transform(114.011, 22.540), to_gk.transform(114.019, 22.540)],
                         dxfattribs={"layer": "道路边线"})
    corners = [(x + dx, y + dy) for x, y in [to_gk.transform(*TOILET)] for dx, dy in SQUARE]
    model.add_lwpolyline(corners, close=True, dxfattribs={"layer": "公共厕所"})  # an area: a closed polyline
    model.add_text("福华路", dxfattribs={"layer": "注记", "insert": to_gk.transform(114.015, 22.541)})
    doc.paperspace().add_lwpolyline([(0, 0), (420, 0), (420, 297), (0, 297)], close=True)
    doc.saveas(path, encoding=encoding)
    return path


def _lon_lat(geometries: np.ndarray) -> np.ndarray:
    gk = shapely.get_coordinates(geometries)
    return np.column_stack(transformer(4547, 4490).transform(gk[:, 0], gk[:, 1]))


@pytest.mark.parametrize(("version", "encoding"), [("R2000", "gbk"), ("R2010", "utf8")],
                         ids=["gbk-before-2007", "utf8-2007-on"])
def test_a_drawings_cad_layers_named_by_a_class_are_its_survey_layers(tmp_path, version, encoding):
    path = _drawing(tmp_path / "福田普查.dxf", version, encoding)
    layers, notes = layers_to_read(path, (), names_a_class=lambda name: name in {"雨水井盖", "路灯"})
    assert layers == ["雨水井盖", "路灯"]
    assert notes[-3:] == [
        "1 text entities (labels, annotation) not read",
        "1 paper-space entities (layouts, frames) not read",
        "CAD layers not named by a component class not read: 道路边线 (1), 公共厕所 (1); --layer reads them"]
    assert ("DXF file is not UTF-8: decoded as GB18030" in notes) == (encoding == "gbk")
    covers = read_survey(path, crs=parse_crs("EPSG:4547"), layer="雨水井盖")
    assert_allclose(_lon_lat(covers.geometries), COVERS, atol=1e-8)  # the insertion points, not the symbol
    assert covers.attributes.to_dict("list") | {"CAD句柄": None} == {
        "编号": ["YS-001", "YS-002", "YS-003"], "材质": ["铸铁"] * 3, "CAD块名": ["YSJ"] * 3, "CAD句柄": None}
    assert covers.attributes["CAD句柄"].str.fullmatch("[0-9A-F]+").all()
    lamps = read_survey(path, crs=parse_crs("EPSG:4547"), layer="路灯")
    assert_allclose(_lon_lat(lamps.geometries), [LAMP, LAMP_CIRCLE], atol=1e-8)
    assert not shapely.has_z(lamps.geometries).any()  # a flat drawing's z of 0 is no elevation
    assert list(lamps.notes) == ["1 circle(s) read as their centres"]


def test_without_a_layer_named_by_a_class_the_drawing_is_refused_naming_its_layers(tmp_path):
    path = _drawing(tmp_path / "survey.dxf")
    message = (r"survey\.dxf: no CAD layer is named by a component class .*the CAD layers holding shapes "
               r"\(entities\) are 雨水井盖 \(3\), 路灯 \(2\), 道路边线 \(1\), 公共厕所 \(1\): pass "
               r"--layer to read one, with --class for its class")
    with pytest.raises(ImportValidationError, match=message):
        layers_to_read(path, (), names_a_class=lambda name: False)
    with pytest.raises(ImportValidationError, match=r"no CAD layer '井盖'; the CAD layers holding shapes are "
                                                    r"\['雨水井盖', '路灯', '道路边线', '公共厕所'\]"):
        layers_to_read(path, ["井盖"])
    assert layers_to_read(path, ["道路边线"])[0] == ["道路边线"]


def test_a_drawing_imports_its_components_where_they_were_drawn(fresh_db_url, tmp_path):
    path = _drawing(tmp_path / "福田普查.dxf")
    options = ImportOptions(actor="tester", crs=parse_crs("EPSG:4547"), fill=(("competent_dept_name", DEPT),))
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        before = dict(conn.execute("SELECT class_code, count(*) FROM onemap.component WHERE valid_to IS NULL "
                                   "GROUP BY 1").fetchall())
        result = import_components(conn, [path], options)
        assert (result.status, result.rejections) == ("committed", [])
        assert result.loaded_per_class == {"01003": 3, "01037": 2, "03001": 1}
        assert "福田普查.dxf:公共厕所: 1 closed line(s) of an area class read as the areas they enclose" in \
            result.notes
        area = conn.execute("SELECT geometry_type, ST_GeometryType(geom), round(ST_Area(geom::geography)) "
                            "FROM onemap.component WHERE batch_id = %s AND class_code = '03001'",
                            (result.batch_id,)).fetchone()
        assert area == ("polygon", "ST_Polygon", 96)
        named = "3 row(s) without a class take 01003 (雨水井盖) from the name '雨水井盖'"
        assert f"福田普查.dxf:雨水井盖: {named}" in result.notes
        covers = conn.execute(
            "SELECT ST_X(geom), ST_Y(geom), attributes->>'编号', attributes->>'材质' FROM onemap.component "
            "WHERE batch_id = %s AND class_code = '01003' ORDER BY attributes->>'编号'",
            (result.batch_id,)).fetchall()
        after = dict(conn.execute("SELECT class_code, count(*) FROM onemap.component WHERE valid_to IS NULL "
                                  "GROUP BY 1").fetchall())
    assert_allclose([c[:2] for c in covers], COVERS, atol=1e-8)
    assert [c[2:] for c in covers] == [("YS-001", "铸铁"), ("YS-002", "铸铁"), ("YS-003", "铸铁")]
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "01003": 3, "01037": 2, "03001": 1}


def test_symbols_of_several_classes_on_one_layer_are_told_apart_by_their_block_names(db_url, tmp_path):
    """As CASS draws a census: every symbol on one layer, its block named by the symbol's code. A mapping
    file reads the block name as the class column, and its `classes:` the codes as classes."""
    to_gk = transformer(4490, 4547)
    doc = ezdxf.new("R2010")
    for symbol in ("GC143", "GC155"):
        doc.blocks.new(name=symbol).add_circle((0, 0), 0.3)
    doc.layers.add("GXYZ")
    for symbol, (lon, lat) in zip(["GC143", "GC155", "GC143"], [*COVERS[:2], LAMP], strict=True):
        doc.modelspace().add_blockref(symbol, to_gk.transform(lon, lat), dxfattribs={"layer": "GXYZ"})
    doc.saveas(tmp_path / "cass.dxf")
    mapping = tmp_path / "cass.yml"
    mapping.write_text("extend:\n  class_code: [CAD块名]\nclasses:\n  GC143: '01003'\n  GC155: '01037'\n",
                       encoding="utf-8")
    options = ImportOptions(actor="tester", crs=parse_crs("EPSG:4547"), layers=("GXYZ",), dry_run=True,
                            mapping=FieldMapping.from_yaml(mapping), fill=(("competent_dept_name", DEPT),))
    with psycopg.connect(db_url, autocommit=True) as conn:
        result = import_components(conn, [tmp_path / "cass.dxf"], options)
    assert (result.status, result.rejections) == ("dry-run", [])
    assert result.loaded_per_class == {"01003": 2, "01037": 1}
