"""`onemap import pois|addresses` and `onemap geocode FILE` as a user runs them."""

import csv
import os
import subprocess
from pathlib import Path

import psycopg

from tests.geocoder.conftest import plate_outside_the_grid

ONEMAP = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "onemap")


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ONEMAP, *args],
        env={**os.environ, "ONEMAP_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_pois_then_geocode_a_file_with_bad_rows(fresh_db_url: str, tmp_path: Path) -> None:
    pois = tmp_path / "pois.csv"
    pois.write_text(
        "id,name,category,lng,lat\n1,福田测试中心,写字楼,114.0034,22.5471\n2,,写字楼,114.0,22.5\n",
        encoding="utf-8",
    )
    rejected = _run(fresh_db_url, "import", "pois", str(pois), "--report", str(tmp_path / "r.json"))
    assert rejected.returncode != 0 and "row 3 name" in rejected.stderr
    loaded = _run(
        fresh_db_url,
        "import",
        "pois",
        str(pois),
        "--skip-invalid",
        "--crs",
        "gcj02",
        "--report",
        str(tmp_path / "r.json"),
    )
    assert loaded.returncode == 0, loaded.stderr
    addresses = tmp_path / "in.csv"
    addresses.write_text("编号,地址\n1,福田测试中心\n2,\n3,😀\n4,侨香路7号\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = _run(fresh_db_url, "geocode", str(addresses), "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [r["level"] for r in rows] == ["poi", "", "", "door_plate"]
    assert rows[1]["reason"] and rows[2]["reason"] and "row 3" in result.stderr
    # GCJ-02 input was converted: the POI lies a few hundred metres from its GCJ-02 coordinates
    assert abs(float(rows[0]["lon"]) - 114.0034) > 0.002


def test_geocode_missing_file_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    result = _run(db_url, "geocode", str(tmp_path / "nope.csv"))
    assert result.returncode != 0 and "no such file" in result.stderr


def test_import_pois_from_a_folder_passes_over_a_table_without_positions(fresh_db_url: str,
                                                                       tmp_path: Path) -> None:
    folder = tmp_path / "兴趣点"
    folder.mkdir()
    (folder / "pois.csv").write_text("id,name,category,lng,lat\n1,福田文件夹测试楼,写字楼,114.0034,22.5471\n",
                                     encoding="utf-8")
    (folder / "分类说明.csv").write_text("category,说明\n写字楼,办公\n", encoding="utf-8")
    loaded = _run(fresh_db_url, "import", "pois", str(folder), "--report", str(tmp_path / "r.json"))
    assert loaded.returncode == 0, loaded.stderr
    assert "note: 兴趣点/分类说明.csv: not read: its header names no coordinate" in loaded.stdout
    assert "\n兴趣点/pois.csv: committed, 1 of 1 pois" in "\n" + loaded.stdout  # named as in the delivery


def test_an_output_the_crs_cannot_be_written_in_is_refused_before_the_work(tmp_path: Path) -> None:
    """Refused input (exit 3) before any row is geocoded: the database is not even reached."""
    addresses = tmp_path / "in.csv"
    addresses.write_text("编号,地址\n1,侨香路7号\n", encoding="utf-8")
    result = _run("postgresql://nobody@127.0.0.1:1/none", "geocode", str(addresses),
                  "-o", str(tmp_path / "out.gpkg"), "--crs", "gcj02")
    assert result.returncode == 3, result.stderr
    assert "a GeoPackage cannot be written in GCJ-02" in result.stderr
    assert not (tmp_path / "out.gpkg").exists()


def test_rows_outside_the_unit_grid_are_counted_apart_and_formulas_written_as_text(
    db_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(db_url) as conn:
        outside = plate_outside_the_grid(conn)
    addresses = tmp_path / "in.csv"
    addresses.write_text(f"编号,地址,备注\n1,侨香路7号,=HYPERLINK(\"http://x\")\n2,{outside},\n3,😀,\n",
                         encoding="utf-8")
    out = tmp_path / "out.csv"
    result = _run(db_url, "geocode", str(addresses), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "geocoded 1 of 3 rows, 1 more outside the unit grid" in result.stdout
    assert "row 3 地址: outside the unit grid" in result.stderr and "row 4 地址:" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows[0]["备注"] == "'=HYPERLINK(\"http://x\")" and rows[0]["crs"] == "EPSG:4490"
    assert rows[1]["level"] == "door_plate" and rows[1]["reason"].startswith("outside the unit grid")
