"""Benchmark: forward and reverse geocoding throughput (batch, one process) and HTTP latency (16 clients).

Run: .venv/bin/python bench/geocode_speed.py [--n 5000] [--points 100000] [--requests 2000]

Builds a scratch copy of the demo city (Futian roads, demo door plates and POIs), dropped afterwards.
Goals (issue 8): forward ≥ 2,000 addresses/s, reverse ≥ 20,000 points/s, HTTP p99 ≤ 20 ms at 16
concurrent clients. The peer measured in the same run is one PostGIS round trip per point
(`ST_Intersects` on the indexed unit grid), the floor of any database-side reverse geocoder.
"""

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geocoder import gazetteer
from geocoder.forward import geocode
from geocoder.reverse import reverse_columns
from gis.database import database_url
from gis.demo import futian
from gis.localdb import create_extensions
from gis.migrations import migrate
from gis.settings import Settings

ONEMAP = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "onemap")


def _addresses(gaz: gazetteer.Gazetteer, n: int, rng: random.Random) -> list[str]:
    roads = sorted(gaz.plates)
    out = []
    for i in range(n):
        road = rng.choice(roads)
        kind = i % 4
        if kind == 0:
            out.append(f"福田区{road}{int(rng.choice(gaz.plates[road].numbers))}号")
        elif kind == 1:
            out.append(f"{road}{rng.randint(1, 400)}号附近")
        elif kind == 2:
            out.append(rng.choice(sorted(gaz.pois.names)))
        else:
            out.append(f"深圳市福田区{road}")
    return out


async def _http(url: str, queries: list[str], clients: int) -> list[float]:
    latencies: list[float] = []
    queue = list(queries)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:

        async def worker() -> None:
            while queue:
                q = queue.pop()
                started = time.perf_counter()
                response = await client.get("/geocode", params={"address": q})
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200

        await client.get("/geocode", params={"address": "侨香路7号"}, timeout=120)  # load the snapshot
        await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    settings = Settings()
    base = database_url(settings, start=True).rsplit("/", 1)[0]
    name = f"onemap_bench_geocode_{os.getpid()}"
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{base}/{name}"
    server = None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            create_extensions(conn)
            migrate(conn)
            city = futian.build(settings.data_dir)
            futian.load(conn, city)
            futian.divide_grid(conn, city)
            gaz = gazetteer.load(conn)
            rng = random.Random(20240601)
            queries = _addresses(gaz, args.n, rng)
            started = time.perf_counter()
            answered = sum(1 for q in queries if geocode(gaz, q).candidates)
            forward_s = time.perf_counter() - started
            lo, la, hi, ha = 114.0, 22.52, 114.05, 22.56
            lon = np.array([rng.uniform(lo, hi) for _ in range(args.points)])
            lat = np.array([rng.uniform(la, ha) for _ in range(args.points)])
            started = time.perf_counter()
            places = reverse_columns(gaz, lon, lat)
            reverse_s = time.perf_counter() - started
            peer_n = min(2000, args.points)
            started = time.perf_counter()
            for x, y in zip(lon[:peer_n], lat[:peer_n], strict=True):
                conn.execute(
                    "SELECT code FROM onemap.v_unit_grid WHERE ST_Intersects(geom, "
                    "ST_SetSRID(ST_MakePoint(%s, %s), 4490)) LIMIT 1",
                    (x, y),
                ).fetchone()
            peer_s = time.perf_counter() - started
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [ONEMAP, "serve", "--port", str(port)],
            env={**os.environ, "ONEMAP_DATABASE_URL": url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180  # the shared machine may be slow to start a server
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        single = asyncio.run(_http(f"http://127.0.0.1:{port}", queries[: args.requests // 4], 1))
        latencies = asyncio.run(_http(f"http://127.0.0.1:{port}", queries[: args.requests], 16))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with psycopg.connect(base + "/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    in_cells = sum(1 for c in places["grid_code"] if c)
    print(f"{'measure':<40}{'onemap':>14}{'goal':>12}")
    print(
        f"{'forward, addresses/s (batch)':<40}{args.n / forward_s:>14,.0f}{2000:>12,}"
        f"   ({answered}/{args.n} answered)"
    )
    print(
        f"{'reverse, points/s (batch)':<40}{args.points / reverse_s:>14,.0f}{20000:>12,}"
        f"   ({in_cells} in a cell)"
    )
    print(
        f"{'peer: PostGIS round trip per point, /s':<40}{peer_n / peer_s:>14,.0f}"
        f"   ratio onemap/peer {args.points / reverse_s / (peer_n / peer_s):.1f}x"
    )
    s50, s99 = np.percentile(single, [50, 99])
    print(f"{'HTTP /geocode p50 / p99 ms (1 client)':<40}{s50:>7.1f} /{s99:>5.1f}")
    p50, p99 = np.percentile(latencies, [50, 99])
    print(f"{'HTTP /geocode p50 ms (16 clients)':<40}{p50:>14.1f}")
    print(f"{'HTTP /geocode p99 ms (16 clients)':<40}{p99:>14.1f}{20:>12}")
    print(f"{'HTTP requests/s':<40}{len(latencies) / (sum(latencies) / 1000 / 16):>14,.0f}")


if __name__ == "__main__":
    main()
