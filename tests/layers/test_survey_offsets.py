"""A survey whose lon/lat fit the roads only with a consumer map's offset undone gets a note naming it."""

import re
from pathlib import Path

import numpy as np
import psycopg
import pytest
import shapely

from gis.crs import parse_crs, wgs84_to_bd09, wgs84_to_gcj02
from layers.cameras_import import import_cameras
from layers.survey_offsets import MIN_ROWS, ReadLayer, offset_notes
from tests.layers.test_survey_import import DEPT, _points_in_city, _run

LAMP = "01037"  # 路灯: stands at a road


def _at_roads(db_url: str, n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """n points on the demo city's roads (OpenStreetMap centre lines), each moved up to 4 m as a survey's
    own error would: lon, lat in CGCS2000."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(geom, 0.5) AS p FROM onemap.road "
            "ORDER BY md5(id::text || %s) LIMIT %s) AS s", (str(seed), n)).fetchall()
    lonlat = np.array(rows, dtype=float)
    error = np.random.default_rng(seed).uniform(-4, 4, size=lonlat.shape) / 111_000
    return lonlat[:, 0] + error[:, 0], lonlat[:, 1] + error[:, 1]


def _survey(path: Path, lon: np.ndarray, lat: np.ndarray) -> Path:
    """A CSV of lamps with plain 经度/纬度 columns and no CRS, as a contractor's sheet is saved."""
    lines = ["小类代码,主管部门名称,经度,纬度"]
    lines += [f"{LAMP},{DEPT},{x:.7f},{y:.7f}" for x, y in zip(lon, lat, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _offset_notes(notes: list[str]) -> list[str]:
    return [note for note in notes if "from the nearest road" in note]


@pytest.mark.parametrize(("shift", "named"), [(wgs84_to_gcj02, "--crs gcj02"), (wgs84_to_bd09, "--crs bd09")],
                         ids=["gcj02", "bd09"])
def test_a_survey_taken_from_a_consumer_map_is_named_by_its_fit_to_the_roads(db_url, tmp_path, shift, named):
    lon, lat = _at_roads(db_url, 120)
    survey = _survey(tmp_path / "lamps.csv", *shift(lon, lat))
    notes = _offset_notes(_run(db_url, [survey], dry_run=True).notes)
    assert len(notes) == 1
    assert notes[0].startswith("lamps.csv: read as plain lon/lat (EPSG:4490), its 120 rows lie a median ")
    assert notes[0].endswith(f"if its coordinates were picked on or converted by such a map, pass {named}")
    as_read, fitted = (int(metres) for metres in re.findall(r"(\d+) m\b", notes[0]))
    assert fitted <= 6 < 20 <= as_read


def test_a_survey_in_plain_lon_lat_gets_no_note(db_url, tmp_path):
    survey = _survey(tmp_path / "lamps.csv", *_at_roads(db_url, 120))
    assert _offset_notes(_run(db_url, [survey], dry_run=True).notes) == []


@pytest.mark.parametrize("told", ["--crs", "column names"])
def test_plain_lon_lat_read_as_gcj02_is_named_as_plain(db_url, tmp_path, told):
    survey = _survey(tmp_path / "lamps.csv", *_at_roads(db_url, 120))
    if told == "column names":  # a sheet whose columns say 高德 over coordinates that are not
        survey.write_text(survey.read_text(encoding="utf-8").replace("经度,纬度", "高德经度,高德纬度", 1),
                          encoding="utf-8")
    options = {"crs": parse_crs("gcj02")} if told == "--crs" else {}
    notes = _offset_notes(_run(db_url, [survey], dry_run=True, **options).notes)
    assert len(notes) == 1
    assert notes[0].startswith("lamps.csv: read as GCJ-02, its 120 rows lie a median ")
    assert "read as plain lon/lat (CGCS2000 or WGS84)" in notes[0]
    assert notes[0].endswith("if its coordinates come from a GNSS receiver or a survey, pass --crs EPSG:4490")
    again = _run(db_url, [survey], dry_run=True, crs=parse_crs("EPSG:4490"))
    assert _offset_notes(again.notes) == []


def test_components_away_from_the_roads_get_no_note_either_way(db_url, conn, tmp_path):
    """Points in the middle of grid cells fit the roads in no system: a shift says nothing about them."""
    points = _points_in_city(conn, 120)
    lon, lat = np.array([p.x for p in points]), np.array([p.y for p in points])
    survey = _survey(tmp_path / "inside.csv", *wgs84_to_gcj02(lon, lat))
    assert _offset_notes(_run(db_url, [survey], dry_run=True).notes) == []


def test_points_scattered_with_no_regard_to_the_roads_never_fit_another_reading_by_chance(conn):
    city = shapely.from_wkb(conn.execute("SELECT ST_AsBinary(ST_Union(geom)) FROM onemap.admin_area "
                                         "WHERE level = 'county'").fetchone()[0])
    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = city.bounds
    plain = parse_crs("EPSG:4490")
    for draw in range(40):
        x, y = rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)
        inside = shapely.contains_xy(city, x, y)
        scattered = shapely.points(x[inside][:MIN_ROWS], y[inside][:MIN_ROWS])
        assert len(scattered) == MIN_ROWS
        assert offset_notes(conn, [ReadLayer(f"draw{draw}.csv", scattered, plain)]) == []


def test_too_few_rows_or_no_roads_measure_nothing(db_url, conn):
    lon, lat = _at_roads(db_url, 60)
    geometries = shapely.points(*wgs84_to_gcj02(lon, lat))
    plain = parse_crs("EPSG:4490")
    assert len(offset_notes(conn, [ReadLayer("many.csv", geometries, plain)])) == 1
    assert offset_notes(conn, [ReadLayer("few.csv", geometries[:49], plain)]) == []
    assert offset_notes(conn, [ReadLayer("metres.csv", geometries, parse_crs("EPSG:4547"))]) == []
    conn.execute("DELETE FROM onemap.road")
    assert offset_notes(conn, [ReadLayer("many.csv", geometries, plain)]) == []


def test_a_camera_register_from_a_consumer_map_gets_the_note(db_url, conn, tmp_path):
    lon, lat = wgs84_to_gcj02(*_at_roads(db_url, 60))
    register = tmp_path / "cameras.csv"
    rows = [f"440304000813260{n:05d},路口{n},{x:.7f},{y:.7f}"
            for n, (x, y) in enumerate(zip(lon, lat, strict=True))]
    register.write_text("\n".join(["设备编码,名称,经度,纬度", *rows]) + "\n", encoding="utf-8")
    notes = _offset_notes(list(import_cameras(conn, [register]).notes))
    assert len(notes) == 1
    assert notes[0].startswith("cameras.csv: read as plain lon/lat (EPSG:4490), its 60 rows lie a median ")
    assert notes[0].endswith("pass --crs gcj02")
