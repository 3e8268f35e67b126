"""Benchmark: automatic unit-grid division of a district-sized area (≥ 50 km², ≥ 5,000 barriers).

The input is the real OpenStreetMap road network of Shenzhen Futian from ../shared/data,
mirrored 2 × 2 into a continuous ~66 km² network (16,036 road edges), divided into
rectangular communities of about 1.2 km². Without ../shared the script generates a
jittered street grid of the same size. It prints the time of a first division, of a
re-division against the previous one (stability matching), and of the peer measured in the
same run: a regular 100 m fishnet clipped to the communities (what a division that ignores
roads costs), plus the cell count and the area distribution.

    .venv/bin/python bench/grid_divide.py [--shared DIR] [--generated]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import box

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gis.crs import WGS84, gauss_kruger_epsg, transform  # noqa: E402
from grid_codes.division import (  # noqa: E402
    CellFlag,
    Community,
    DivisionOptions,
    GridCell,
    divide_communities,
)

FUTIAN = "data/roads_shenzhen_futian/shenzhen_futian_edges.geojson"
COMMUNITY_SIDE_M = 1_100.0


def shared_dir(arg: str | None) -> Path:
    """../shared next to the repository, or --shared, or $ONEMAP_SHARED_DIR."""
    return Path(arg or os.environ.get("ONEMAP_SHARED_DIR") or REPO.parent / "shared")


def futian_roads(path: Path) -> np.ndarray:
    """The Futian road edges as LineStrings in CGCS2000 Gauss-Krüger metres."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    lines = np.asarray(
        [shapely.linestrings(f["geometry"]["coordinates"]) for f in features], dtype=object
    )
    lon = float(np.mean(shapely.total_bounds(lines)[[0, 2]]))
    return np.asarray(transform(lines, WGS84, gauss_kruger_epsg(lon)), dtype=object)


def mirrored(lines: np.ndarray, nx: int = 2, ny: int = 2) -> np.ndarray:
    """Tile the network nx × ny, mirroring alternate tiles so roads meet at the seams."""
    x0, y0, x1, y1 = shapely.total_bounds(lines)
    w, h = x1 - x0, y1 - y0
    tiles = []
    for i in range(nx):
        for j in range(ny):
            def move(xy: np.ndarray, i: int = i, j: int = j) -> np.ndarray:
                x = xy[:, 0] - x0
                y = xy[:, 1] - y0
                x = (w - x if i % 2 else x) + x0 + i * w
                y = (h - y if j % 2 else y) + y0 + j * h
                return np.column_stack([x, y])

            tiles.append(shapely.transform(lines, move))
    return np.concatenate(tiles)


def generated_roads(width: float = 8_800.0, height: float = 7_500.0, seed: int = 7) -> np.ndarray:
    """A jittered street grid (120–260 m blocks) with lanes and two diagonal avenues."""
    rng = np.random.default_rng(seed)
    lines: list[shapely.Geometry] = []
    for axis, span, other in ((0, width, height), (1, height, width)):
        pos = 0.0
        while pos < span:
            pos += rng.uniform(120, 260)
            n = int(other // 150) + 2
            along = np.linspace(-20, other + 20, n)
            across = pos + rng.normal(0, 4, n)
            xy = np.column_stack([across, along] if axis == 0 else [along, across])
            lines.extend(shapely.linestrings(xy[k:k + 2]) for k in range(n - 1))
    lines.append(shapely.linestrings([(0, 0), (width, height)]))
    lines.append(shapely.linestrings([(0, height), (width, 0)]))
    for _ in range(2_000):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        angle = rng.uniform(0, np.pi)
        length = rng.uniform(40, 160)
        dx, dy = np.cos(angle) * length, np.sin(angle) * length
        lines.append(shapely.linestrings([(x, y), (x + dx, y + dy)]))
    return np.asarray(lines, dtype=object)


def communities_over(lines: np.ndarray) -> list[Community]:
    """Rectangular communities of about 1.2 km² covering the network's extent."""
    x0, y0, x1, y1 = shapely.total_bounds(lines)
    nx = max(1, round((x1 - x0) / COMMUNITY_SIDE_M))
    ny = max(1, round((y1 - y0) / COMMUNITY_SIDE_M))
    dx, dy = (x1 - x0) / nx, (y1 - y0) / ny
    result = []
    for i in range(nx):
        for j in range(ny):
            street, community = 1 + i, 1 + j
            code = f"440304{street:03d}{community:03d}"
            cell = box(x0 + i * dx, y0 + j * dy, x0 + (i + 1) * dx, y0 + (j + 1) * dy)
            result.append(Community(code, cell))
    return result


def fishnet(communities: list[Community], side: float) -> int:
    """Peer: a regular fishnet of `side` metres clipped to the communities; returns the count."""
    geoms = np.asarray([c.geometry for c in communities], dtype=object)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    xs, ys = np.arange(x0, x1, side), np.arange(y0, y1, side)
    gx, gy = np.meshgrid(xs, ys)
    squares = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + side, gy.ravel() + side)
    tree = shapely.STRtree(squares)
    ci, si = tree.query(geoms, predicate="intersects")
    pieces = shapely.intersection(squares[si], geoms[ci])
    return int((shapely.area(pieces) > 0).sum())


def describe(cells: list[GridCell], opts: DivisionOptions) -> str:
    """Cell count and area distribution."""
    areas = np.array([c.area_m2 for c in cells])
    pct = np.percentile(areas, [0, 5, 25, 50, 75, 95, 100]).round().astype(int)
    flags = {f.value: sum(c.flag is f for c in cells) for f in CellFlag}
    return (
        f"cells {len(cells)}; area m² min {pct[0]} p5 {pct[1]} p25 {pct[2]} median {pct[3]}"
        f" p75 {pct[4]} p95 {pct[5]} max {pct[6]}\n"
        f"band {opts.min_area_m2:.0f}–{opts.max_area_m2:.0f} m²: {flags};"
        f" within ±25 % of target: {np.mean(np.abs(areas / opts.target_area_m2 - 1) <= 0.25):.1%}"
    )


def main() -> None:
    """Build the input, run the division and the peer, print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", help="the shared data folder (default ../shared)")
    parser.add_argument("--generated", action="store_true", help="ignore the real roads")
    args = parser.parse_args()
    path = shared_dir(args.shared) / FUTIAN
    if path.exists() and not args.generated:
        lines = mirrored(futian_roads(path))
        source = f"Futian OSM roads mirrored 2×2 ({path})"
    else:
        lines = generated_roads()
        source = "generated street grid (../shared/data not present or --generated)"
    communities = communities_over(lines)
    area_km2 = sum(c.geometry.area for c in communities) / 1e6
    segments = int(shapely.get_num_coordinates(lines).sum() - len(lines))
    print(f"input: {source}")
    print(f"  {len(communities)} communities, {area_km2:.1f} km², {len(lines)} barrier lines,"
          f" {segments} barrier segments")
    opts = DivisionOptions()
    start = time.perf_counter()
    cells, _ = divide_communities(communities, list(lines), opts)
    first = time.perf_counter() - start
    start = time.perf_counter()
    again, report2 = divide_communities(communities, list(lines), opts, previous=cells)
    second = time.perf_counter() - start
    kept = sum(r.kept_codes for r in report2.communities)
    start = time.perf_counter()
    peer_count = fishnet(communities, opts.target_area_m2**0.5)
    peer = time.perf_counter() - start
    print(f"divide_communities: {first:.2f} s; {describe(cells, opts)}")
    print(f"re-divide with previous: {second:.2f} s; {kept}/{len(again)} codes kept")
    print(f"peer, 100 m fishnet clipped to communities (ignores roads): {peer:.2f} s,"
          f" {peer_count} cells; division/fishnet time ratio {first / peer:.0f}×")


if __name__ == "__main__":
    main()
