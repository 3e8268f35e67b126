"""`onemap grid divide|code` as a user runs them, on files written by the tests."""

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely

ONEMAP = str(Path(sys.executable).with_name("onemap"))
GK_114 = 4547  # CGCS2000 / 3-degree Gauss-Krüger CM 114E
COMMUNITY = "440304005012"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ONEMAP, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    square = shapely.box(500_000, 2_492_000, 500_600, 2_492_400)  # 24 ha in Futian
    communities = tmp_path / "communities.gpkg"
    gpd.GeoDataFrame({"SQDM": [COMMUNITY]}, geometry=[square], crs=GK_114).to_file(communities)
    roads = [shapely.LineString([(500_300, 2_491_990), (500_300, 2_492_410)]),
             shapely.LineString([(499_990, 2_492_200), (500_610, 2_492_200)])]
    barriers = tmp_path / "roads.geojson"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=roads, crs=GK_114).to_crs(4326).to_file(barriers)
    return communities, barriers


def test_divide_writes_coded_cells_in_cgcs2000(inputs, tmp_path):
    communities, barriers = inputs
    out = tmp_path / "grid.gpkg"
    result = run("grid", "divide", "--communities", str(communities), "--barriers", str(barriers),
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert COMMUNITY in result.stdout
    cells = gpd.read_file(out)
    assert cells.crs.to_epsg() == 4490
    assert all(code.startswith(COMMUNITY) and len(code) == 15 for code in cells["code"])
    assert sorted(cells["serial"]) == list(range(1, len(cells) + 1))
    assert cells["area_m2"].sum() == pytest.approx(240_000, rel=1e-4)
    # cells follow the barriers: no barrier runs through a cell's interior (5 cm inside,
    # since both files went through a round trip between projected and geographic CRSs)
    interiors = cells.to_crs(GK_114).geometry.buffer(-0.05)
    for line in gpd.read_file(barriers).to_crs(GK_114).geometry:
        assert interiors.intersection(line).length.max() < 0.01


def test_file_without_crs_is_refused_naming_the_file(inputs, tmp_path):
    communities, barriers = inputs
    shapefile = tmp_path / "communities.shp"
    gpd.read_file(communities).to_file(shapefile)
    shapefile.with_suffix(".prj").unlink()
    result = run("grid", "divide", "--communities", str(shapefile), "--barriers", str(barriers),
                 "--out", str(tmp_path / "x.gpkg"))
    assert result.returncode == 2
    assert str(shapefile) in result.stderr
    assert "declares no CRS" in result.stderr


def test_missing_code_field_lists_the_fields(inputs, tmp_path):
    communities, barriers = inputs
    renamed = tmp_path / "renamed.gpkg"
    gpd.read_file(communities).rename(columns={"SQDM": "bianhao"}).to_file(renamed)
    result = run("grid", "divide", "--communities", str(renamed), "--barriers", str(barriers),
                 "--out", str(tmp_path / "x.gpkg"))
    assert result.returncode == 2
    assert "bianhao" in result.stderr and "--code-field" in result.stderr


def test_barriers_far_from_the_communities_suggest_a_crs_mistake(inputs, tmp_path):
    communities, _ = inputs
    wrong = tmp_path / "wrong.geojson"
    line = shapely.LineString([(500_300, 2_491_990), (500_300, 2_492_410)])
    # projected numbers declared as degrees: lands nowhere near Futian
    gpd.GeoDataFrame(geometry=[shapely.affinity.scale(line, 1e-4, 1e-5, origin=(0, 0))],
                     crs=4326).to_file(wrong)
    result = run("grid", "divide", "--communities", str(communities), "--barriers", str(wrong),
                 "--out", str(tmp_path / "x.gpkg"))
    assert result.returncode == 2
    assert "does not overlap" in result.stderr and str(wrong) in result.stderr


def test_publishing_an_unchanged_community_keeps_every_code(db_url, tmp_path):
    with psycopg.connect(db_url) as conn:
        community = conn.execute("SELECT code, ST_AsBinary(geom) FROM onemap.admin_area "
                                 "WHERE level = 'community' ORDER BY code LIMIT 1").fetchone()
        roads = conn.execute("SELECT ST_AsBinary(r.geom), r.kind FROM onemap.road r "
                             "JOIN onemap.admin_area a ON ST_Intersects(r.geom, a.geom) "
                             "WHERE a.code = %s", (community[0],)).fetchall()
        before = conn.execute("SELECT count(*) FROM onemap.v_unit_grid WHERE community_code = %s",
                              (community[0],)).fetchone()[0]
    from gis.demo.futian import GRID_BARRIER_HIGHWAYS

    communities = tmp_path / "one.gpkg"
    gpd.GeoDataFrame({"code": [community[0]]}, geometry=[shapely.from_wkb(community[1])],
                     crs=4490).to_file(communities)
    barriers = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.from_wkb(w) for w, kind in roads if kind in GRID_BARRIER_HIGHWAYS],
                     crs=4490).to_file(barriers)
    result = run("grid", "divide", "--communities", str(communities), "--barriers", str(barriers),
                 "--publish", ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert f"published: 0 new, {before} unchanged, 0 retired" in result.stdout


def test_grid_code_prints_the_cell_of_a_point(db_url):
    with psycopg.connect(db_url) as conn:
        code, x, y = conn.execute("SELECT code, ST_X(ST_PointOnSurface(geom)), "
                                  "ST_Y(ST_PointOnSurface(geom)) FROM onemap.v_unit_grid "
                                  "ORDER BY code DESC LIMIT 1").fetchone()
    result = run("grid", "code", str(x), str(y), ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert f"grid: {code}" in result.stdout
    assert "county: 440304 福田区" in result.stdout


def test_grid_code_outside_the_city_is_not_found(db_url):
    result = run("grid", "code", "116.39", "39.91", ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 4
    assert "outside every loaded area" in result.stderr
