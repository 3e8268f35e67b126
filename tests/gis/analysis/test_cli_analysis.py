"""`onemap analysis hotspots|density`: results, the stored layer, clear errors with exit codes."""

import json

import psycopg
import rasterio
from rasterio.io import MemoryFile

from tests.gis.test_cli import run


def test_hotspots_to_geojson_and_the_layer(history_db_url, tmp_path):
    out = tmp_path / "hot.geojson"
    result = run("analysis", "hotspots", "--from", "2026-06-01", "--to", "2026-08-31", "--class", "08",
                 "--out", str(out), "--store", ONEMAP_DATABASE_URL=history_db_url)
    assert result.returncode == 0, result.stderr
    assert "stored as layer hotspots" in result.stdout
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(features) == 1398 and any(f["properties"]["bin"] == 3 for f in features)
    with psycopg.connect(history_db_url) as conn:
        stored = conn.execute("SELECT count(*), min(class_codes) FROM onemap.hotspot_cell").fetchone()
    assert stored == (1398, "08")


def test_density_writes_a_cog(history_db_url, tmp_path):
    out = tmp_path / "density.tif"
    result = run("analysis", "density", str(out), "--from", "2026-06-01", "--to", "2026-08-31",
                 "--cell-size", "25", ONEMAP_DATABASE_URL=history_db_url)
    assert result.returncode == 0, result.stderr
    with MemoryFile(out.read_bytes()) as memory, memory.open() as dataset:
        assert dataset.crs == rasterio.crs.CRS.from_epsg(4547) and dataset.transform.a == 25


def test_bad_input_is_a_clear_error(history_db_url):
    reversed_ = run("analysis", "hotspots", "--from", "2026-03-01", "--to", "2026-01-01",
                    ONEMAP_DATABASE_URL=history_db_url)
    assert reversed_.returncode == 2 and "ends (2026-01-01) before it starts" in reversed_.stderr
    bad_date = run("analysis", "hotspots", "--from", "March", ONEMAP_DATABASE_URL=history_db_url)
    assert bad_date.returncode == 2 and "--from/--to" in bad_date.stderr
    year_one = run("analysis", "hotspots", "--to", "0001-01-01", ONEMAP_DATABASE_URL=history_db_url)
    assert year_one.returncode == 2 and "outside 1900-01-01" in year_one.stderr, year_one.stderr
    store_street = run("analysis", "hotspots", "--level", "street", "--store",
                       ONEMAP_DATABASE_URL=history_db_url)
    assert store_street.returncode == 2 and "unit grid" in store_street.stderr
