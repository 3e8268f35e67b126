"""Benchmark: onemap tiles uncached vs cached, from `onemap serve`, with a few concurrent clients.

Starts `onemap serve` twice on free ports against the database (ONEMAP_DATABASE_URL, --url, or the
project-local cluster with `onemap demo` loaded): once with the in-process cache off
(ONEMAP_TILES_CACHE_MB=0, every request renders in PostGIS) and once with it on (warmed by one pass
over the tile list). Requests the tiles of the city at the given zooms for --seconds with
--clients connections (wrk when installed, else httpx clients) and prints requests/s, p50/p99
latency and the cached/uncached ratio. The peer comparison (TiPg, PostGIS floor) is
../shared/bench's harness, not this script.

    .venv/bin/python bench/tiles_cache.py [--url URL] [--tileset onemap] [--zooms 12,14,16]
"""

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import morecantile
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.wrk import available as wrk_available  # noqa: E402
from bench.wrk import run_wrk  # noqa: E402
from gis.database import database_url  # noqa: E402
from gis.settings import Settings  # noqa: E402

EXTENT_SQL = ("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e "
              "FROM onemap.admin_area WHERE level = 'county') AS s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(url: str, cache_mb: float) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "ONEMAP_DATABASE_URL": url, "ONEMAP_LOG_LEVEL": "warning",
           "ONEMAP_TILES_CACHE_MB": str(cache_mb)}
    process = subprocess.Popen([str(REPO / ".venv/bin/onemap"), "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def run(base: str, paths: list[str], seconds: float, clients: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    sizes: list[int] = []
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            i = offset
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await client.get(paths[i % len(paths)], headers={"Accept-Encoding": "gzip"})
                latencies.append(time.perf_counter() - start)
                sizes.append(len(response.content))
                i += clients

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    return len(latencies) / (time.perf_counter() - start), latencies, max(sizes, default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=None)
    parser.add_argument("--tileset", default="onemap")
    parser.add_argument("--zooms", default="12,14,16")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    url = args.url or os.environ.get("ONEMAP_DATABASE_URL") or database_url(Settings(), start=True)
    with psycopg.connect(url) as conn:
        bbox = conn.execute(EXTENT_SQL).fetchone()
    tms = morecantile.tms.get("WebMercatorQuad")
    print(f"tileset {args.tileset}, {args.clients} clients, {args.seconds:.0f} s per case")
    print(f"{'zoom':>4} {'tiles':>6} {'uncached req/s':>15} {'p50 ms':>8} {'p99 ms':>8} {'cached req/s':>13} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'max KB':>7}")
    for zoom in (int(z) for z in args.zooms.split(",")):
        paths = [f"/tiles/{args.tileset}/{t.z}/{t.x}/{t.y}.mvt" for t in tms.tiles(*bbox, zooms=[zoom])]
        row = []
        for cache_mb in (0.0, 512.0):
            with serve(url, cache_mb) as base:
                if cache_mb:  # warm: one pass over the list
                    with httpx.Client(base_url=base, timeout=60) as client:
                        for path in paths:
                            client.get(path)
                rate, latencies, largest = asyncio.run(run(base, paths, 2.0, 1))  # sizes; warm-up
                if wrk_available():
                    row.append((*run_wrk(base, paths, args.seconds, args.clients,
                                         headers={"Accept-Encoding": "gzip"}), largest))
                    continue
                rate, latencies, largest = asyncio.run(run(base, paths, args.seconds, args.clients))
            quantiles = statistics.quantiles(latencies, n=100)
            row.append((rate, quantiles[49] * 1000, quantiles[98] * 1000, largest))
        (u_rate, u50, u99, size), (c_rate, c50, c99, _) = row
        print(f"{zoom:>4} {len(paths):>6} {u_rate:>15.1f} {u50:>8.1f} {u99:>8.1f} {c_rate:>13.1f} "
              f"{c50:>8.1f} {c99:>8.1f} {c_rate / u_rate:>6.1f} {size / 1024:>7.0f}")


if __name__ == "__main__":
    main()
