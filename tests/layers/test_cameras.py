"""Cameras: GB/T 28181 id checks, view-sector geometry, grid assignment, demo placement and file import."""

import math

import psycopg
import pytest
import shapely

from gis.crs import parse_crs, wgs84_to_gcj02
from gis.demo import fleet
from gis.errors import ImportValidationError
from grid_codes.errors import InvalidDeviceId
from layers.cameras import Camera, check_device_id, upsert_cameras
from layers.cameras_import import import_cameras
from tests.gis.test_cli import run
from tests.layers.test_survey_read import _table_file

LON, LAT = 114.03, 22.54


@pytest.fixture
def conn(conn: psycopg.Connection) -> psycopg.Connection:
    """The rolled-back connection, already in a transaction: the loaders' own become savepoints."""
    conn.execute("SELECT 1")
    return conn


@pytest.mark.parametrize(
    "code",
    ["44030400081320000001", "44030400081326000001", "44030000001320000001"],
    ids=["camera-131", "ipc-132", "city-centre"],
)
def test_camera_ids_of_type_131_and_132_are_accepted(code):
    assert check_device_id(code) == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("4403040008132600001", "19 digits"),
        ("440304000813260000011", "21 digits"),
        ("4403040008132600000A", "letter"),
        (" 44030400081326000001", "space"),
        ("44030400081116000001", "type 111 DVR"),
        ("44030400082006000001", "type 200 platform"),
        ("99030400081326000001", "no such province"),
        ("44030400081006000001", "type 100 unassigned"),
        (44030400081326000001, "a number"),
        (None, "missing"),
    ],
    ids=lambda v: v if isinstance(v, str) and not v[:1].isdigit() else None,
)
def test_other_ids_are_refused(code, why):
    with pytest.raises(InvalidDeviceId):
        check_device_id(code)


def _sector(conn: psycopg.Connection, heading: float | None, fov: float, range_m: float) -> shapely.Geometry:
    wkb = conn.execute(
        "SELECT ST_AsBinary(onemap.camera_sector(ST_SetSRID(ST_Point(%s, %s), 4490), %s, %s, %s))",
        (LON, LAT, heading, fov, range_m),
    ).fetchone()[0]
    return shapely.from_wkb(wkb)


def _area_m2(conn: psycopg.Connection, geometry: shapely.Geometry) -> float:
    return float(
        conn.execute(
            "SELECT ST_Area(ST_GeomFromWKB(%s, 4490)::geography)", (shapely.to_wkb(geometry),)
        ).fetchone()[0]
    )


def _bearing(x0: float, y0: float, x1: float, y1: float) -> float:
    return math.degrees(math.atan2((x1 - x0) * math.cos(math.radians(y0)), y1 - y0)) % 360


@pytest.mark.parametrize(
    ("heading", "fov", "range_m"), [(90, 60, 100), (0, 90, 150), (315, 30, 60), (10, 120, 200)]
)
def test_a_sector_has_the_apex_at_the_camera_the_area_and_the_heading(conn, heading, fov, range_m):
    sector = _sector(conn, heading, fov, range_m)
    assert sector.geom_type == "Polygon" and sector.is_valid
    assert sector.exterior.coords[0] == pytest.approx((LON, LAT))
    # a polygon with 16 chords under-estimates the circular sector by a fraction of a percent
    assert _area_m2(conn, sector) == pytest.approx(math.pi * range_m**2 * fov / 360, rel=0.01)
    centroid = sector.centroid
    delta = (_bearing(LON, LAT, centroid.x, centroid.y) - heading + 180) % 360 - 180
    assert abs(delta) < 1.0


@pytest.mark.parametrize(("heading", "fov"), [(None, 60), (45, 360)], ids=["no-heading", "dome-360"])
def test_an_omnidirectional_camera_sees_a_disc(conn, heading, fov):
    disc = _sector(conn, heading, fov, 100)
    assert _area_m2(conn, disc) == pytest.approx(math.pi * 100**2, rel=0.01)
    assert disc.contains(shapely.Point(LON, LAT))


def test_the_unit_grid_cell_is_assigned_by_the_database(conn):
    upsert_cameras(conn, [Camera("44030400081326000777", LON, LAT, heading_deg=90)], source="pytest")
    grid_code, sector_3857 = conn.execute(
        "SELECT grid_code, ST_GeometryType(sector_3857) FROM onemap.camera "
        "WHERE device_id = '44030400081326000777'"
    ).fetchone()
    cell = conn.execute(
        "SELECT code FROM onemap.v_unit_grid WHERE ST_Intersects(geom, ST_SetSRID(ST_Point(%s, %s), "
        "4490)) ORDER BY code LIMIT 1",
        (LON, LAT),
    ).fetchone()
    assert grid_code == cell[0]
    assert sector_3857 == "ST_Polygon"


def test_demo_cameras_are_reproducible_valid_and_at_junctions(conn):
    roads = fleet.demo_roads(conn)
    first, second = fleet.demo_cameras(roads, 30), fleet.demo_cameras(roads, 30)
    assert first == second and len(first) == 30
    assert len({c.device_id for c in first}) == 30
    ends = shapely.MultiPoint([pt for line in roads for pt in (line.coords[0], line.coords[-1])])
    for camera in first:
        assert check_device_id(camera.device_id) == camera.device_id
        here = shapely.Point(camera.lon, camera.lat)
        touching = sum(1 for pt in ends.geoms if pt.distance(here) < 1e-6)
        assert touching >= 3, f"{camera.device_id} is not at a junction of 3+ road segments"


HEADER = "设备编码,名称,经度,纬度,方向,视场角,可视距离,权属单位,状态,视频流地址\n"


def test_a_csv_with_chinese_headers_loads(conn, tmp_path):
    csv = tmp_path / "cameras.csv"
    csv.write_text(
        HEADER + "44030400081326000501,岗厦路口,114.03,22.54,90,60,100,福田城管,在线,rtsp://a/1\n"
        "44030400081326000502,皇岗路口,114.04,22.53,,360,80,福田城管,故障,\n",
        encoding="utf-8",
    )
    result = import_cameras(conn, [csv])
    assert (result.rows_read, result.loaded, result.rejections) == (2, 2, [])
    rows = conn.execute(
        "SELECT device_id, status, heading_deg, stream_url FROM onemap.camera "
        "WHERE device_id LIKE '4403040008132600050_' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("44030400081326000501", "online", 90.0, "rtsp://a/1"),
        ("44030400081326000502", "fault", None, None),
    ]


def test_a_folder_of_camera_tables_loads_and_passes_over_its_register_without_positions(conn, tmp_path):
    folder = tmp_path / "视频点位"
    (folder / "福田街道").mkdir(parents=True)
    (folder / "福田街道" / "cameras.csv").write_text(
        HEADER + "44030400081326000701,岗厦路口,114.03,22.54,90,60,100,福田城管,在线,rtsp://a/7\n",
        encoding="utf-8")
    (folder / "设备台账.csv").write_text("设备编码,品牌\n44030400081326000701,海康\n", encoding="utf-8")
    result = import_cameras(conn, [folder])
    assert (result.rows_read, result.loaded, result.rejections) == (1, 1, [])
    assert result.notes[0] == ("视频点位/设备台账.csv: not read: its header names no coordinate, "
                               "coordinate-pair or WKT columns (an attribute table?)")


def test_a_gcj02_file_is_converted(conn, tmp_path):
    glon, glat = wgs84_to_gcj02(LON, LAT)
    csv = tmp_path / "gcj.csv"
    csv.write_text(f"device_id,lon,lat\n44030400081326000601,{float(glon)},{float(glat)}\n", encoding="utf-8")
    import_cameras(conn, [csv], crs=parse_crs("gcj02"))
    lon, lat = conn.execute(
        "SELECT ST_X(geom), ST_Y(geom) FROM onemap.camera WHERE device_id = '44030400081326000601'"
    ).fetchone()
    assert (lon, lat) == pytest.approx((LON, LAT), abs=1e-6)


def test_problems_name_file_row_and_field_and_nothing_loads(conn, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "device_id,lon,lat,heading,fov,range,status\n"
        "44030400081326000701,114.03,22.54,90,60,100,online\n"
        "4403040008132600070,114.03,22.54,90,60,100,online\n"
        "44030400081326000703,114.03,22.54,400,60,100,online\n"
        "44030400081326000704,114.03,22.54,90,0,100,online\n"
        "44030400081326000705,114.03,22.54,90,60,9000,online\n"
        "44030400081326000706,114.03,22.54,90,60,100,sleeping\n"
        "44030400081326000701,114.03,22.54,90,60,100,online\n",
        encoding="utf-8",
    )
    result = import_cameras(conn, [csv])
    assert result.loaded == 0
    found = {(r.row, r.field) for r in result.rejections}
    # rows are the file's line numbers, as in the survey import's reports (the header is line 1)
    assert found == {
        (3, "device_id"),
        (4, "heading"),
        (5, "fov"),
        (6, "range"),
        (7, "status"),
        (8, "device_id"),
    }
    assert all(r.file == csv.name for r in result.rejections)
    assert (
        conn.execute(
            "SELECT count(*) FROM onemap.camera WHERE device_id LIKE '4403040008132600070_'"
        ).fetchone()[0]
        == 0
    )
    partial = import_cameras(conn, [csv], skip_invalid=True)
    assert partial.loaded == 1


def test_cli_import_reports_file_row_field_and_exits_non_zero(db_url, tmp_path):
    csv = tmp_path / "cli.csv"
    csv.write_text("device_id,lon,lat\n12345,114.03,22.54\n", encoding="utf-8")
    result = run("import", "cameras", str(csv), ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 3, result.stderr
    assert f"{csv.name} row 2 device_id:" in result.stderr
    assert "nothing was loaded" in result.stderr and "Traceback" not in result.stderr


def test_an_unreadable_file_is_an_import_error(conn, tmp_path):
    with pytest.raises(ImportValidationError, match="no such file"):
        import_cameras(conn, [tmp_path / "missing.csv"])


def test_a_row_whose_coordinates_do_not_read_says_which_cells(conn, tmp_path):
    csv = tmp_path / "typo.csv"
    csv.write_text("device_id,lon,lat,heading,fov,range,status\n"
                   "44030400081326000711,114.03,22.54,90,60,100,online\n"
                   "44030400081326000712,114.O3,22.54,90,60,100,online\n", encoding="utf-8")
    result = import_cameras(conn, [csv])
    assert result.loaded == 0
    [(row, field, reason)] = [(r.row, r.field, r.reason) for r in result.rejections]
    assert (row, field) == (3, "geometry")
    assert "'114.O3'" in reason and "not a point" not in reason


def test_a_row_holding_an_excel_error_value_is_rejected_naming_the_field(conn, tmp_path):
    sheet = _table_file(tmp_path / "cameras.xlsx", [
        ["device_id", "lon", "lat", "heading", "fov", "range", "status"],
        ["44030400081326000711", 114.03, 22.54, 90, 60, 100, "online"],
        ["44030400081326000712", 114.031, 22.54, "#VALUE!", 60, 100, "online"]])
    result = import_cameras(conn, [sheet])
    assert result.loaded == 0
    assert [(r.row, r.field, r.reason) for r in result.rejections] == [
        (3, "heading", "heading holds #VALUE!, Excel's mark of a formula that failed; correct the formula or "
                       "clear the cell")]
