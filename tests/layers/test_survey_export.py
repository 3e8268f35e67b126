"""Export, and import → export → import round trips in every format."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import openpyxl
import psycopg
import pyogrio
import pytest
import shapely

from gis.crs import parse_crs
from gis.errors import InvalidParameter, NotFound
from layers.components import inventory_as_of
from layers.survey_export import SHAPEFILE_TEXT_BYTES, Exported, export_components
from layers.survey_import import ImportOptions, import_components
from tests.city_grid import CITY_GRID

ONEMAP = str(Path(sys.executable).with_name("onemap"))


def _export(db_url: str, path: Path, fmt: str, **options) -> int:
    return _exported(db_url, path, fmt, **options).count


def _exported(db_url: str, path: Path, fmt: str, **options) -> Exported:
    with psycopg.connect(db_url) as conn:
        return export_components(conn, path, scheme="gb47678", fmt=fmt, **options)


def _import(db_url: str, path: Path, **options):
    with psycopg.connect(db_url, autocommit=True) as conn:
        return import_components(conn, [path], ImportOptions(actor="tester", **options))


@pytest.mark.parametrize(
    ("fmt", "encoding"),
    [("gpkg", None), ("geojson", None), ("shp", "GBK"), ("csv", None), ("csv", "gb18030"), ("xlsx", None)],
    ids=["gpkg", "geojson", "shp-gbk", "csv-utf8", "csv-gb18030", "xlsx"],
)
def test_export_then_import_is_a_no_op(fresh_db_url, tmp_path, fmt, encoding):
    """Every exported row comes back identical to its stored version (geometry, fields, codes)."""
    path = tmp_path / f"lamps.{fmt}"
    count = _export(fresh_db_url, path, fmt, crs=parse_crs("EPSG:4490"), class_prefix="01037",
                    encoding=encoding)
    assert count > 1000
    result = _import(fresh_db_url, path, mode="upsert", encoding=encoding)
    assert result.status == "committed", result.rejections[:5]
    assert (result.rows_loaded, result.rows_unchanged) == (0, count)
    assert not [note for note in result.notes if "delivered" in note]  # its codes are where it lies


@pytest.mark.parametrize("crs", ["EPSG:4547", CITY_GRID], ids=["gauss-kruger", "city-grid"])
@pytest.mark.parametrize("code", ["01037", "02017", "03004"], ids=["points", "lines", "polygons"])
def test_a_projected_export_comes_back_unchanged(fresh_db_url, tmp_path, crs, code):
    """Handing data to a contractor in their CRS and taking it back adds no versions for sub-millimetre
    round-trip differences."""
    path = tmp_path / f"{code}.gpkg"
    count = _export(fresh_db_url, path, "gpkg", crs=parse_crs(crs, definitions=True), class_prefix=code)
    result = _import(fresh_db_url, path, mode="upsert")
    assert (result.rows_loaded, result.rows_unchanged) == (0, count)


def test_a_move_of_a_centimetre_is_a_new_version(fresh_db_url, tmp_path):
    path = tmp_path / "lamps.gpkg"
    count = _export(fresh_db_url, path, "gpkg", crs=parse_crs("EPSG:4547"), class_prefix="01037")
    frame = gpd.read_file(path)
    frame.loc[0, "geometry"] = shapely.Point(frame.geometry[0].x + 0.01, frame.geometry[0].y)
    frame.to_file(path)
    result = _import(fresh_db_url, path, mode="upsert")
    assert (result.rows_loaded, result.rows_unchanged) == (1, count - 1)


def test_line_and_polygon_classes_round_trip_through_geopackage(fresh_db_url, tmp_path):
    for code in ("02017", "03004"):
        path = tmp_path / f"{code}.gpkg"
        count = _export(fresh_db_url, path, "gpkg", crs=parse_crs("EPSG:4490"), class_prefix=code)
        result = _import(fresh_db_url, path, mode="upsert")
        assert (result.rows_loaded, result.rows_unchanged) == (0, count)


def test_shapefile_export_in_gbk_has_its_cpg_and_chinese_names(fresh_db_url, tmp_path):
    path = tmp_path / "trees.shp"
    _export(fresh_db_url, path, "shp", crs=parse_crs("EPSG:4547"), class_prefix="04002", encoding="GBK")
    assert path.with_suffix(".cpg").read_text().strip().upper() in {"GBK", "CP936", "936"}
    frame = gpd.read_file(path, encoding="GBK")
    assert frame.crs.to_epsg() == 4547
    assert set(frame["GLBJMC"]) == {"行道树"}
    assert set(frame["ZGBMMC"]) == {"福田区城市管理和综合执法局"}
    with psycopg.connect(fresh_db_url) as conn:  # the standard's street and community names, by their codes
        names = dict(conn.execute("SELECT code, name FROM onemap.admin_area WHERE level IN ('street', "
                                  "'community')"))
    assert frame["SZJDMC"].tolist() == [names[code] for code in frame["SZJDDM"]]
    assert frame["SZSQMC"].tolist() == [names[code] for code in frame["SZSQDM"]]
    assert "街道" in frame["SZJDMC"].iloc[0] and "社区" in frame["SZSQMC"].iloc[0]


def test_a_shapefile_of_several_geometry_kinds_is_a_shapefile_per_kind_that_comes_back_unchanged(
        fresh_db_url, tmp_path):
    exported = _exported(fresh_db_url, tmp_path / "all.shp", "shp", crs=parse_crs("EPSG:4490"))
    with psycopg.connect(fresh_db_url) as conn:
        kinds = dict(conn.execute("SELECT geometry_type, count(*) FROM onemap.component "
                                  "WHERE valid_to IS NULL GROUP BY 1").fetchall())
    assert exported.files == [tmp_path / f"all_{kind}.shp" for kind in ("point", "line", "polygon")]
    assert {f.stem.removeprefix("all_"): pyogrio.read_info(f)["features"] for f in exported.files} == kinds
    assert exported.notes[0].startswith(f"a Shapefile holds one kind of geometry: {kinds['point']} points in "
                                        "all_point.shp")
    assert sorted(p.name for p in tmp_path.iterdir() if p.stem == "all" or p.name.startswith(".")) == []
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        result = import_components(conn, exported.files, ImportOptions(actor="tester", mode="upsert"))
    assert (result.status, result.rows_loaded, result.rows_unchanged) == ("committed", 0, exported.count)


def test_text_the_encoding_cannot_hold_is_refused_and_nothing_is_written(fresh_db_url, tmp_path):
    with psycopg.connect(fresh_db_url) as conn:
        lamp = conn.execute("UPDATE onemap.component SET note = '灯杆倾斜 😀' WHERE id = (SELECT min(id) "
                            "FROM onemap.component WHERE class_code = '01037') AND valid_to IS NULL "
                            "RETURNING id").fetchone()[0]
    for fmt in ("csv", "shp"):
        target = tmp_path / f"lamps.{fmt}"
        target.write_text("the contractor's earlier copy")
        with pytest.raises(InvalidParameter, match=(
                f"component {lamp}, field BZ holds '😀' \\(U\\+1F600\\), which GBK cannot encode: "
                "export with --encoding gb18030")):
            _export(fresh_db_url, target, fmt, crs=parse_crs("EPSG:4490"), class_prefix="01037",
                    encoding="GBK")
        assert target.read_text() == "the contractor's earlier copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lamps.csv", "lamps.shp"]
    count = _export(fresh_db_url, tmp_path / "lamps.csv", "csv", crs=parse_crs("EPSG:4490"),
                    class_prefix="01037", encoding="gb18030")
    assert "灯杆倾斜 😀" in (tmp_path / "lamps.csv").read_text(encoding="gb18030") and count > 1000


def test_what_a_shapefile_cuts_is_noted(fresh_db_url, tmp_path):
    note = "灯杆底座锈蚀，" * 40  # 280 characters, 840 bytes in UTF-8
    with psycopg.connect(fresh_db_url) as conn:
        lamp = conn.execute("UPDATE onemap.component SET note = %s, attributes = attributes || "
                            "'{\"灯杆材质说明\": \"钢\"}' WHERE id = (SELECT min(id) FROM onemap.component "
                            "WHERE class_code = '01037') AND valid_to IS NULL RETURNING id",
                            (note,)).fetchone()[0]
    exported = _exported(fresh_db_url, tmp_path / "lamps.shp", "shp", crs=parse_crs("EPSG:4490"),
                         class_prefix="01037", encoding="GBK")
    assert exported.notes == [
        f"lamps.shp: 1 value(s) of field BZ cut to the {SHAPEFILE_TEXT_BYTES} bytes a Shapefile field holds "
        f"(first: component {lamp}); a GeoPackage keeps them whole",
        "lamps.shp: field names cut to the 10 bytes a Shapefile allows: '灯杆材质说明' as '灯杆材质说'"]
    frame = gpd.read_file(tmp_path / "lamps.shp", encoding="GBK")
    stored = frame.loc[frame["GLBJBSM"] == lamp, "BZ"].iloc[0]
    assert note.startswith(stored) and len(stored.encode("gbk")) <= SHAPEFILE_TEXT_BYTES
    assert set(frame["灯杆材质说"].dropna()) == {"钢"}


def test_gcj02_export_comes_back_within_half_a_metre(fresh_db_url, tmp_path):
    path = tmp_path / "bins.csv"
    with psycopg.connect(fresh_db_url) as conn:
        before = dict(conn.execute("SELECT id, ST_AsText(geom) FROM onemap.component "
                                   "WHERE valid_to IS NULL AND class_code = '03005'").fetchall())
    count = _export(fresh_db_url, path, "csv", crs=parse_crs("gcj02"), class_prefix="03005")
    result = _import(fresh_db_url, path, mode="upsert", crs=parse_crs("gcj02"))
    assert result.rows_loaded + result.rows_unchanged == count == len(before)
    with psycopg.connect(fresh_db_url) as conn:
        moved = conn.execute("""
            SELECT max(ST_Distance(c.geom::geography, ST_GeomFromText(b.wkt, 4490)::geography))
            FROM onemap.component c JOIN unnest(%s::text[], %s::text[]) AS b (id, wkt) ON b.id = c.id
            WHERE c.valid_to IS NULL""", (list(before), list(before.values()))).fetchone()[0]
    assert moved < 0.5  # every bin is within half a metre of where it was


@pytest.mark.parametrize("crs", ["gcj02", "EPSG:4526", "EPSG:4547"])
def test_an_edited_line_stays_in_its_cell_after_a_reprojected_round_trip(fresh_db_url, tmp_path, crs):
    """A contractor edits the state of every line of an export in their CRS: the upsert writes new versions
    with the codes the lines had, however the round trip rounded their coordinates (a two-vertex line was
    located by whichever end the rounding put nearer its centroid, sometimes in the next street)."""
    codes_sql = ("SELECT id, grid_code, street_code FROM onemap.component "
                 "WHERE valid_to IS NULL AND class_code = '02017'")
    with psycopg.connect(fresh_db_url) as conn:
        before = {i: (grid, street) for i, grid, street in conn.execute(codes_sql)}
    path = tmp_path / "lines.gpkg"
    _export(fresh_db_url, path, "gpkg", crs=parse_crs(crs), class_prefix="02017")
    frame = gpd.read_file(path)
    state = next(column for column in frame.columns if column in ("部件状态", "BJZT", "GLBJZT", "state"))
    frame[state] = "破损"
    frame.to_file(path)
    result = _import(fresh_db_url, path, mode="upsert", crs=parse_crs(crs))
    assert (result.status, result.rows_loaded) == ("committed", len(before))
    with psycopg.connect(fresh_db_url) as conn:
        after = {i: (grid, street) for i, grid, street in conn.execute(codes_sql)}
    assert {i: codes for i, codes in after.items() if codes != before[i]} == {}


@pytest.mark.parametrize("class_code", ["02017", "03004"], ids=["lines", "polygons"])
def test_lines_and_polygons_in_a_csv_come_back_where_they_were(db_url, tmp_path, class_code):
    """WKT at full precision: rounded to 8 decimals (about a millimetre), a shape whose anchor lies on a cell
    edge was located in the next cell, and each re-import noted a grid code it did not store."""
    path = tmp_path / "shapes.csv"
    count = _export(db_url, path, "csv", crs=parse_crs("EPSG:4490"), class_prefix=class_code)
    result = _import(db_url, path, mode="upsert", crs=parse_crs("EPSG:4490"), dry_run=True)
    assert (result.rows_unchanged, result.rows_loaded) == (count, 0)
    assert not [note for note in result.notes if "other than the one of the place they lie in" in note]


def test_export_of_an_empty_class_is_not_found(fresh_db_url, tmp_path):
    with pytest.raises(NotFound):
        _export(fresh_db_url, tmp_path / "x.gpkg", "gpkg", crs=parse_crs("EPSG:4490"),
                class_prefix="05002")


def test_an_export_as_of_a_date_before_the_inventory_says_when_it_begins(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        first = conn.execute("SELECT min(valid_from) FROM onemap.component "
                             "WHERE class_code LIKE '01%'").fetchone()[0]
    before = first - timedelta(days=1)
    with pytest.raises(NotFound) as refused:
        _export(db_url, tmp_path / "x.gpkg", "gpkg", crs=parse_crs("EPSG:4490"), class_prefix="01",
                as_of=before)
    recorded = first.isoformat(sep=" ", timespec="seconds")
    assert str(refused.value) == (f"no gb47678 components of class 01 as of {before.isoformat(sep=' ')}: "
                                  f"the first was recorded at {recorded}, and no version is older")
    assert not (tmp_path / "x.gpkg").exists()


def test_an_export_as_of_a_date_after_a_class_was_removed_says_so(conn, tmp_path):
    conn.execute("UPDATE onemap.component SET valid_to = now() "
                 "WHERE class_code LIKE '03%' AND valid_to IS NULL")
    after = conn.execute("SELECT now() + interval '1 second'").fetchone()[0]
    with pytest.raises(NotFound) as refused:
        export_components(conn, tmp_path / "x.gpkg", scheme="gb47678", crs=parse_crs("EPSG:4490"),
                          class_prefix="03", as_of=after)
    assert str(refused.value) == (f"no gb47678 components of class 03 as of {after.isoformat(sep=' ')}: "
                                  "every one of them had been removed by then")


def test_an_export_as_of_a_date_reads_it_in_the_city_time_zone(fresh_db_url, tmp_path):
    """A version valid from 20:00 UTC on 1 March began at 04:00 on 2 March in Beijing: `--as-of 2026-03-02` is
    the city's midnight (ONEMAP_TIMEZONE), before it; 05:00 that morning, after it."""
    with psycopg.connect(fresh_db_url) as conn:
        identifier, class_code = conn.execute(
            "SELECT id, min(class_code) FROM onemap.component GROUP BY id HAVING count(*) = 1 ORDER BY id "
            "LIMIT 1").fetchone()
        conn.execute("UPDATE onemap.component SET valid_from = '2026-03-01 20:00+00' WHERE id = %s",
                     (identifier,))

    def export(as_of: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ONEMAP, "export", "components", "x.geojson", "--class", class_code, "--as-of",
                               as_of], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "ONEMAP_DATABASE_URL": fresh_db_url, **env})

    midnight = export("2026-03-02")
    assert (midnight.returncode, midnight.stderr.strip()) == (4, (
        f"onemap: error: no gb47678 components of class {class_code} as of 2026-03-02 00:00:00+08:00: the "
        "first was recorded at 2026-03-02 04:00:00+08:00, and no version is older"))
    for run in (export("2026-03-02T05:00:00"), export("2026-03-02", ONEMAP_TIMEZONE="UTC")):
        assert (run.returncode, run.stdout.splitlines()[-1]) == (0, "wrote 1 components to x.geojson")


def test_a_library_call_as_of_a_time_without_a_zone_is_refused(conn, tmp_path):
    """Without the CLI's or the server's city zone, the database would read it in its session's zone."""
    naive = datetime(2026, 3, 2)
    with pytest.raises(InvalidParameter, match="as of 2026-03-02 00:00:00 has no time zone"):
        export_components(conn, tmp_path / "x.gpkg", scheme="gb47678", crs=parse_crs("EPSG:4490"),
                          as_of=naive)
    with pytest.raises(InvalidParameter, match="has no time zone"):
        inventory_as_of(conn, naive)
    assert not (tmp_path / "x.gpkg").exists()


def test_a_killed_import_leaves_the_inventory_unchanged(fresh_db_url, tmp_path):
    """SIGKILL while the import writes: the transaction never commits, nothing is visible."""
    survey = tmp_path / "all.gpkg"
    _export(fresh_db_url, survey, "gpkg", crs=parse_crs("EPSG:4490"))
    with psycopg.connect(fresh_db_url) as conn:
        before = conn.execute("SELECT count(*), max(version_id) FROM onemap.component").fetchone()
    process = subprocess.Popen(
        [ONEMAP, "import", "components", str(survey), "--mode", "replace",
         "--report", str(tmp_path / "r.json")],
        env={**os.environ, "ONEMAP_DATABASE_URL": fresh_db_url, "PGAPPNAME": "killed-import"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with psycopg.connect(fresh_db_url, autocommit=True) as watcher:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None:
                writing = watcher.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'killed-import' "
                    "AND state = 'active' AND (query ILIKE 'COPY%%' OR query ILIKE '%%survey_staging%%')"
                ).fetchone()
                if writing:
                    break
                time.sleep(0.02)
            assert process.poll() is None, "the import finished before it could be killed"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            watcher.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'killed-import'")
            after = watcher.execute("SELECT count(*), max(version_id) FROM onemap.component").fetchone()
            open_versions = watcher.execute(
                "SELECT count(*) FROM onemap.component WHERE valid_to IS NOT NULL").fetchone()
    finally:
        if process.poll() is None:
            process.kill()
    assert after == before
    assert open_versions == (0,)


def test_an_export_to_xian_1980_warns_of_the_missing_datum_shift_unless_seven_parameters_are_given(
        fresh_db_url, tmp_path):
    grid = "+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=IAU76 +units=m"
    plain = _exported(fresh_db_url, tmp_path / "plain.gpkg", "gpkg", crs=parse_crs("EPSG:2383"),
                      class_prefix="01037")
    assert [n for n in plain.notes if "datum" in n] == [
        "the datum of EPSG:2383 (Xian 1980) has no transformation to CGCS2000 that PROJ knows: coordinates "
        "are converted from CGCS2000 without a datum shift and may lie tens of metres off; to shift them, "
        "pass the seven parameters the surveying authority publishes for the city: "
        f"--crs '{grid} +towgs84=dx,dy,dz,rx,ry,rz,ds'"]
    shifted = _exported(fresh_db_url, tmp_path / "shifted.gpkg", "gpkg", class_prefix="01037",
                        crs=parse_crs(f"{grid} +towgs84=24,-123,-94,0.02,-0.25,-0.13,1.1", definitions=True))
    assert not [n for n in shifted.notes if "datum" in n]
    moved = gpd.read_file(tmp_path / "shifted.gpkg").distance(gpd.read_file(tmp_path / "plain.gpkg"))
    assert len(moved) == plain.count and (moved > 10).all()  # the parameters are applied



def _header(path: Path) -> list[str]:
    """The column names of a CSV or XLSX export."""
    if path.suffix == ".xlsx":
        return [cell.value for cell in openpyxl.load_workbook(path, read_only=True).worksheets[0][1]]
    return path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")


def _declared_crs(path: Path) -> object:
    """The CRS a written file declares: a GeoJSON's crs member (GDAL reads a file without one as WGS84,
    as RFC 7946 has it), a table's coordinate columns, else what GDAL reads."""
    if path.suffix == ".geojson":
        return json.loads(path.read_text()).get("crs")
    if path.suffix in (".csv", ".xlsx"):
        return [name for name in _header(path) if name.startswith(("lon", "lat"))]
    return pyogrio.read_info(path)["crs"]


@pytest.mark.parametrize(("fmt", "offset", "declared"), [
    ("gpkg", "gcj02", None), ("geojson", "gcj02", None), ("shp", "gcj02", None),
    ("csv", "gcj02", ["lon_gcj02", "lat_gcj02"]), ("xlsx", "gcj02", ["lon_gcj02", "lat_gcj02"]),
    ("gpkg", "bd09", None),
], ids=["gpkg", "geojson", "shp", "csv", "xlsx", "gpkg-bd09"])
def test_an_offset_export_declares_no_crs_and_comes_back_where_it_was_with_that_crs(
        fresh_db_url, tmp_path, fmt, offset, declared):
    """GCJ-02 and BD-09 have no EPSG code or WKT: a file labelled CGCS2000 would put every point ~500 m
    off in any GIS, and in onemap when imported back."""
    path = tmp_path / f"bins.{fmt}"
    exported = _exported(fresh_db_url, path, fmt, crs=parse_crs(offset), class_prefix="03005")
    assert _declared_crs(path) == declared
    label = {"gcj02": "GCJ-02", "bd09": "BD-09"}[offset]
    said = f"coordinates in {label}, which no CRS definition describes: the file declares none"
    assert [note for note in exported.notes
            if note.startswith(said) and note.endswith(f"; import it back with --crs {offset}")]
    result = _import(fresh_db_url, path, mode="upsert", crs=parse_crs(offset), dry_run=True)
    assert (result.status, result.rejections) == ("dry-run", [])
    # unchanged: every vertex within 1e-8° (about 1 mm) of where it is stored
    assert (result.rows_loaded, result.rows_unchanged) == (0, exported.count)
    # what the file says is overridden: nothing, but that GeoJSON is WGS84 unless it says otherwise
    overridden = [f"bins.geojson: file declares EPSG:4326; overridden by the given CRS {label}"]
    assert [note for note in result.notes if "declares" in note] == (overridden if fmt == "geojson" else [])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_offset_table_of_points_and_polygons_names_the_wkt_column_it_writes(db_url, tmp_path, fmt):
    """Not all points, the geometries are WKT: the note named lon_gcj02 and lat_gcj02 columns not written."""
    path = tmp_path / f"mixed.{fmt}"
    exported = _exported(db_url, path, fmt, crs=parse_crs("gcj02"), class_prefix="03")
    header = _header(path)
    assert header[-1] == "wkt" and not [name for name in header if name.startswith(("lon", "lat"))]
    assert [note for note in exported.notes if "declares" in note] == [
        "coordinates in GCJ-02, which no CRS definition describes: the file declares none (column wkt holds "
        "WKT, which names no CRS); import it back with --crs gcj02"]


def test_a_shapefile_in_gcj02_leaves_no_prj_of_the_shapefile_it_replaces(db_url, tmp_path):
    _export(db_url, tmp_path / "bins.shp", "shp", crs=parse_crs("EPSG:4490"), class_prefix="03005")
    assert pyogrio.read_info(tmp_path / "bins.shp")["crs"] == "EPSG:4490"
    _export(db_url, tmp_path / "bins.shp", "shp", crs=parse_crs("gcj02"), class_prefix="03005")
    assert not (tmp_path / "bins.prj").exists()
    assert pyogrio.read_info(tmp_path / "bins.shp")["crs"] is None


def test_a_utf8_shapefile_cuts_chinese_field_names_on_a_character_boundary(fresh_db_url, tmp_path):
    """安装年份 is 12 bytes in UTF-8: GDAL would cut it inside 份 and leave a name no reader decodes."""
    with psycopg.connect(fresh_db_url) as conn:
        bin_id = conn.execute("UPDATE onemap.component SET attributes = attributes || %s::jsonb "
                              "WHERE id = (SELECT min(id) FROM onemap.component WHERE class_code = '03005') "
                              "AND valid_to IS NULL RETURNING id",
                              (json.dumps({"安装年份": "2019", "安装年份备注": "补装"}),)).fetchone()[0]
    exported = _exported(fresh_db_url, tmp_path / "bins.shp", "shp", crs=parse_crs("EPSG:4490"),
                         class_prefix="03005")
    assert [note for note in exported.notes if "field names cut" in note] == [
        "bins.shp: field names cut to the 10 bytes a Shapefile allows: '安装年份' as '安装年', "
        "'安装年份备注' as '安装_1'"]
    frame = gpd.read_file(tmp_path / "bins.shp")
    row = frame.loc[frame["GLBJBSM"] == bin_id]
    assert row[["安装年", "安装_1"]].to_numpy().tolist() == [["2019", "补装"]]


def test_a_suffix_that_names_another_format_is_refused_and_nothing_is_written(db_url, tmp_path):
    with pytest.raises(InvalidParameter, match=r"x\.shp is named as a shp file but --format is geojson: name "
                                               r"it x\.geojson, or leave --format out"):
        _export(db_url, tmp_path / "x.shp", "geojson", crs=parse_crs("EPSG:4490"), class_prefix="03005")
    assert list(tmp_path.iterdir()) == []


def test_a_json_file_is_geojson_when_no_format_is_given(db_url, tmp_path):
    count = _export(db_url, tmp_path / "bins.json", None, crs=parse_crs("EPSG:4490"), class_prefix="03005")
    assert json.loads((tmp_path / "bins.json").read_text())["type"] == "FeatureCollection"
    assert pyogrio.read_info(tmp_path / "bins.json")["features"] == count


def test_a_csv_in_metres_names_its_columns_x_and_y_and_comes_back_unchanged(fresh_db_url, tmp_path):
    path = tmp_path / "bins.csv"
    count = _export(fresh_db_url, path, "csv", crs=parse_crs("EPSG:4547"), class_prefix="03005")
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].endswith(",x,y")
    result = _import(fresh_db_url, path, mode="upsert", crs=parse_crs("EPSG:4547"), dry_run=True)
    assert (result.status, result.rows_loaded, result.rows_unchanged) == ("dry-run", 0, count)


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "xlsx"])
def test_an_encoding_for_a_geopackage_geojson_or_xlsx_is_refused_and_nothing_is_written(db_url, tmp_path,
                                                                                        fmt):
    """Their text is UTF-8 (SQLite's TEXT; JSON, RFC 8259; a workbook's XML as GDAL writes it): GBK bytes
    there are garbage to every reader, onemap's import included."""
    path = tmp_path / f"bins.{fmt}"
    with pytest.raises(InvalidParameter, match=(
            f"^--encoding gbk does not apply to {fmt}: (a GeoPackage|GeoJSON|an XLSX workbook) is always "
            "UTF-8; --encoding applies to Shapefile and CSV$")):
        _export(db_url, path, fmt, crs=parse_crs("EPSG:4490"), class_prefix="03005", encoding="gbk")
    assert list(tmp_path.iterdir()) == []
    count = _export(db_url, path, fmt, crs=parse_crs("EPSG:4490"), class_prefix="03005", encoding="UTF-8")
    assert pyogrio.read_info(path)["features"] == count


# free attributes of one type each, every one on a bin of its own among bins without it
_FREE = {"序号": 1, "有盖": True, "深度": 0.25, "编号": 12345678901234567, "说明": "", "标签": "[1, 2]",
         "巡查员": "甲"}


def _with_free_attributes(db_url: str, attributes: dict[str, object]) -> dict[str, str]:
    """Each attribute given to a bin of its own; the bin of each."""
    with psycopg.connect(db_url) as conn:
        bins = [row[0] for row in conn.execute(
            "SELECT id FROM onemap.component WHERE class_code = '03005' AND valid_to IS NULL ORDER BY id "
            "LIMIT %s", (len(attributes),))]
        for identifier, (name, value) in zip(bins, attributes.items(), strict=True):
            conn.execute("UPDATE onemap.component SET attributes = attributes || %s::jsonb "
                         "WHERE id = %s AND valid_to IS NULL", (json.dumps({name: value}), identifier))
    return dict(zip(attributes, bins, strict=True))


# names a Shapefile cuts to its 10 bytes: 安装年份 in UTF-8 (12 bytes), 灯杆材质说明 in GBK too (12)
_LONG_NAMES = {"安装年份": "2019", "灯杆材质说明": "钢", "inspection_round": "2026-Q1"}


@pytest.mark.parametrize(("fmt", "encoding", "changed"), [
    ("gpkg", None, set()),
    ("geojson", None, set()),
    ("shp", None, {"说明"}),  # dBase has no null: empty text reads as none
    ("shp", "gbk", {"说明"}),
    ("csv", None, {"序号", "有盖", "深度", "编号", "说明"}),  # a cell has no type: the import reads text
    ("xlsx", None, {"编号", "说明"}),  # a 17-digit integer is text (a number cell rounds it), "" none
], ids=["gpkg", "geojson", "shp-utf8", "shp-gbk", "csv", "xlsx"])
def test_free_attributes_come_back_unchanged_where_the_format_holds_their_type(
        fresh_db_url, tmp_path, fmt, encoding, changed):
    """An integer among bins without it was written 1.0 (pandas' float column), a boolean as text 'True',
    a 17-digit integer as a float that lost its last digit: each came back as a new version. A name a
    Shapefile cut (安装年 of 安装年份) came back as a new attribute beside the stored one."""
    on = _with_free_attributes(fresh_db_url, {**_FREE, **_LONG_NAMES})
    path = tmp_path / f"bins.{fmt}"
    count = _export(fresh_db_url, path, fmt, crs=parse_crs("EPSG:4490"), class_prefix="03005",
                    encoding=encoding)
    result = _import(fresh_db_url, path, mode="upsert", encoding=encoding)
    assert {name for name, identifier in on.items() if identifier in result.ids} == changed
    assert (result.rows_loaded, result.rows_unchanged) == (len(changed), count - len(changed))
    with psycopg.connect(fresh_db_url) as conn:
        stored = dict(conn.execute("SELECT id, attributes FROM onemap.component WHERE id = ANY(%s) "
                                   "AND valid_to IS NULL", ([on[name] for name in _LONG_NAMES],)).fetchall())
    assert {name: stored[on[name]] for name in _LONG_NAMES} == {name: {name: value}
                                                                for name, value in _LONG_NAMES.items()}


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_free_attributes_keep_their_field_types(fresh_db_url, tmp_path, fmt):
    """An integer among bins without it stays an integer field (not Real); an object is JSON (was a
    Python repr, and a Shapefile's export failed on it)."""
    _with_free_attributes(fresh_db_url, {**_FREE, "结构": {"nested": [1, 2]}})
    path = tmp_path / f"bins.{fmt}"
    _export(fresh_db_url, path, fmt, crs=parse_crs("EPSG:4490"), class_prefix="03005")
    info = pyogrio.read_info(path)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    kinds = {name: types[name].rstrip("0123456789") for name in ("序号", "有盖", "深度", "编号", "巡查员")}
    assert kinds == {"序号": "int", "有盖": "bool", "深度": "float", "编号": "int", "巡查员": "object"}
    structure = gpd.read_file(path).dropna(subset=["结构"])["结构"].tolist()
    assert structure == [{"nested": [1, 2]} if fmt != "shp" else '{"nested": [1, 2]}']


def test_geojson_nests_objects_and_keeps_text_that_looks_like_json(fresh_db_url, tmp_path):
    """GDAL writes text that parses as a JSON array or object as JSON unless told not to."""
    on = _with_free_attributes(fresh_db_url, {**_FREE, "结构": {"nested": [1, 2]}})
    path = tmp_path / "bins.geojson"
    _export(fresh_db_url, path, "geojson", crs=parse_crs("EPSG:4490"), class_prefix="03005")
    properties = {feature["properties"]["GLBJBSM"]: feature["properties"]
                  for feature in json.loads(path.read_text())["features"]}
    assert properties[on["结构"]]["结构"] == {"nested": [1, 2]}
    assert properties[on["标签"]]["标签"] == "[1, 2]"


def test_a_csv_writes_free_attributes_as_json_text_and_empty_text_quoted(fresh_db_url, tmp_path):
    """As a contractor typed them, and as JSON reads them: not 1.0, True or {'nested': [1, 2]}; empty text
    "" and a missing value an empty field, as PostgreSQL's COPY tells them apart."""
    on = _with_free_attributes(fresh_db_url, {**_FREE, "结构": {"nested": [1, 2]}})
    path = tmp_path / "bins.csv"
    _export(fresh_db_url, path, "csv", crs=parse_crs("EPSG:4490"), class_prefix="03005")
    text = path.read_text(encoding="utf-8-sig")
    rows = {row["GLBJBSM"]: row for row in csv.DictReader(io.StringIO(text))}
    assert {name: rows[identifier][name] for name, identifier in on.items()} == {
        "序号": "1", "有盖": "true", "深度": "0.25", "编号": "12345678901234567", "说明": "",
        "标签": "[1, 2]", "巡查员": "甲", "结构": '{"nested": [1, 2]}'}
    lines = {line.split(",", 1)[0]: line for line in text.splitlines()}
    assert [identifier for identifier, line in lines.items() if ',"",' in line] == [on["说明"]]


def test_export_exit_codes_tell_bad_input_from_an_empty_class(db_url, tmp_path):
    """As the README's table has it for every command: 2 invalid input or usage, 4 not found."""
    (tmp_path / "folder.gpkg").mkdir()
    commands = {
        "unknown class": ["x.gpkg", "--class", "09999"],
        "malformed class": ["x.gpkg", "--class", "abc"],
        "unknown major": ["x.gpkg", "--class", "77"],
        "unknown scheme": ["x.gpkg", "--class", "03005", "--scheme", "gb2026"],
        "a folder in the way": ["folder.gpkg", "--class", "03005"],
        "a folder that cannot be written": ["/proc/x.gpkg", "--class", "03005"],
        "suffix against --format": ["x.shp", "--format", "geojson", "--class", "03005"],
        "an encoding for a GeoPackage": ["x.gpkg", "--class", "03005", "--encoding", "gbk"],
        "an encoding for GeoJSON": ["x.geojson", "--class", "03005", "--encoding", "gbk"],
        "an encoding for XLSX": ["x.xlsx", "--class", "03005", "--encoding", "gbk"],
        "empty class": ["x.gpkg", "--class", "05002"],
    }
    runs = {case: subprocess.run([ONEMAP, "export", "components", *args], cwd=tmp_path, capture_output=True,
                                 text=True, timeout=120, env={**os.environ, "ONEMAP_DATABASE_URL": db_url})
            for case, args in commands.items()}
    assert {case: run.returncode for case, run in runs.items()} == {
        **{case: 2 for case in commands}, "empty class": 4}
    assert all(run.stderr.startswith("onemap: error: ") and run.stderr.count("\n") == 1
               for run in runs.values()), {case: run.stderr[-300:] for case, run in runs.items()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.gpkg"]


def test_an_xlsx_export_keeps_identifiers_and_codes_as_text_and_dates_as_dates(db_url, tmp_path):
    """Excel and WPS open a CSV's 17-digit identifiers as numbers of 15 significant digits (4.4030401037E+16,
    the last digits lost) and its class 01037 as 1037: a workbook's text cells keep every digit."""
    path = tmp_path / "lamps.xlsx"
    count = _export(db_url, path, None, crs=parse_crs("EPSG:4490"), class_prefix="01037")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert (header[:2], header[-2:], sheet.max_row) == (["GLBJBSM", "XLDM"], ["lon", "lat"], count + 1)
    first = dict(zip(header, sheet[2], strict=True))
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT id, class_code, grid_code, street_code, community_code, initial_date "
                              "FROM onemap.component WHERE class_code = '01037' AND valid_to IS NULL "
                              "ORDER BY id LIMIT 1").fetchone()
    text = ("GLBJBSM", "XLDM", "SZDYWGBSM", "SZJDDM", "SZSQDM")
    assert [(first[name].data_type, first[name].value) for name in text] == [("s", v) for v in stored[:5]]
    assert first["CSRQ"].is_date and first["CSRQ"].value.date() == stored[5]
    assert first["lon"].data_type == first["lat"].data_type == "n"


def _with_a_change_date(db_url: str) -> str:
    """A lamp with a change date (BGRQ), which the demo's lamps lack beside their initial dates."""
    with psycopg.connect(db_url) as conn:
        return conn.execute("UPDATE onemap.component SET change_date = '2024-12-31' WHERE id = (SELECT "
                            "min(id) FROM onemap.component WHERE class_code = '01037') AND valid_to IS NULL "
                            "RETURNING id").fetchone()[0]


def test_an_xlsx_export_shows_its_dates_yyyy_mm_dd_and_comes_back_unchanged(fresh_db_url, tmp_path):
    """Excel, WPS and LibreOffice save a sheet as CSV as its cells are shown: GDAL's DD/MM/YY made it
    01/06/23, which the import refused in every row. The cells stay dates, which a spreadsheet sorts and
    filters as such, in a workbook zip and the import read whole."""
    _with_a_change_date(fresh_db_url)
    path = tmp_path / "lamps.xlsx"
    count = _export(fresh_db_url, path, "xlsx", crs=parse_crs("EPSG:4490"), class_prefix="01037")
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None
    rows = openpyxl.load_workbook(path).worksheets[0].iter_rows()
    header = [cell.value for cell in next(rows)]
    dates = [cell for row in rows for name, cell in zip(header, row, strict=True)
             if name in ("CSRQ", "BGRQ") and cell.value is not None]
    assert len(dates) == count + 1
    assert {(cell.is_date, cell.number_format) for cell in dates} == {(True, "yyyy-mm-dd")}
    result = _import(fresh_db_url, path, mode="upsert")
    assert (result.status, result.rows_loaded, result.rows_unchanged) == ("committed", 0, count)


def test_an_xlsx_export_of_points_and_polygons_comes_back_unchanged(fresh_db_url, tmp_path):
    path = tmp_path / "bins.xlsx"
    count = _export(fresh_db_url, path, "xlsx", crs=parse_crs("EPSG:4490"), class_prefix="03")
    result = _import(fresh_db_url, path, mode="upsert")
    assert (result.status, result.rows_loaded, result.rows_unchanged) == ("committed", 0, count)


def test_format_xlsx_writes_a_workbook_under_a_name_without_its_suffix(db_url, tmp_path):
    """GDAL's XLSX driver refuses to create a file whose name does not end in .xlsx."""
    count = _export(db_url, tmp_path / "bins", "xlsx", crs=parse_crs("EPSG:4490"), class_prefix="03005")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bins"]
    with (tmp_path / "bins").open("rb") as workbook:  # openpyxl opens a file of another name as a file object
        assert openpyxl.load_workbook(workbook).worksheets[0].max_row == count + 1


def test_text_longer_than_an_excel_cell_holds_is_refused_and_nothing_is_written(fresh_db_url, tmp_path):
    """Excel and WPS hold 32,767 characters in a cell and cut the rest when they open the workbook (a long
    polygon's WKT would lose its closing vertices)."""
    on = _with_free_attributes(fresh_db_url, {"巡查记录": "井盖松动。" * 7000})
    with pytest.raises(InvalidParameter, match=(
            f"^component {on['巡查记录']}, field 巡查记录: 35000 characters, more than the 32767 a cell of "
            "Excel or WPS holds: export as GeoPackage, or as CSV$")):
        _export(fresh_db_url, tmp_path / "bins.xlsx", "xlsx", crs=parse_crs("EPSG:4490"),
                class_prefix="03005")
    assert list(tmp_path.iterdir()) == []
