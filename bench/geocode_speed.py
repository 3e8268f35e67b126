"""Benchmark: forward and reverse geocoding throughput (batch, one process) and HTTP latency (16 clients).

Run: .venv/bin/python bench/geocode_speed.py [--n 5000] [--points 100000] [--requests 30000] [--workers N]

Builds a scratch copy of the demo city (Futian roads, demo door plates and POIs), dropped afterwards.
Goals (issue 8): forward ≥ 2,000 addresses/s, reverse ≥ 20,000 points/s, HTTP p99 ≤ 20 ms at 16
concurrent clients. The peer measured in the same run is one PostGIS round trip per point
(`ST_Intersects` on the indexed unit grid), the floor of any database-side reverse geocoder.

The geocoder memoises answers per gazetteer snapshot, so the forward batch is timed twice: on a fresh
snapshot over distinct addresses (every one computed) and over the generated mix as it comes
(addresses recur, as case addresses do). The HTTP runs use address lists disjoint from each other and
from the batch, on `onemap serve --workers N` (default one per CPU). The 16 concurrent clients are wrk
(`-t2 -c16`) cycling through --requests distinct paths, more than the response memo holds, so reverse
points are computed on every request; the load average is printed before and after.
"""

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import numpy as np
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import wrk
from geocoder import gazetteer
from geocoder.forward import geocode
from geocoder.reverse import reverse, reverse_columns
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


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: str) -> bytes:
    """One keep-alive HTTP/1.1 GET; the status line and headers (the body is read and dropped)."""
    writer.write(f"GET {target} HTTP/1.1\r\nHost: onemap\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    await reader.readexactly(int(length.group(1)) if length else 0)
    return head


async def _http(port: int, targets: list[str], clients: int) -> list[float]:
    """Latencies (ms) of GETs from `clients` concurrent keep-alive connections, each target once.

    A bare asyncio client (httpx spends ≈ 5 ms of CPU per request); the concurrent runs use wrk when it
    is installed, since even this client takes CPU the server needs on a 2-core machine."""
    latencies: list[float] = []
    queue = list(targets)

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            await _get(reader, writer, "/geocode?address=%E4%BE%A8%E9%A6%99%E8%B7%AF7%E5%8F%B7")  # warm-up
            while queue:
                target = queue.pop()
                started = time.perf_counter()
                head = await _get(reader, writer, target)
                latencies.append((time.perf_counter() - started) * 1000)
                assert head.startswith(b"HTTP/1.1 200"), (target, head[:40])
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30_000, help="distinct paths per HTTP run")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each wrk run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes of onemap serve (default: one per CPU)")
    args = parser.parse_args()
    load_before = _load()
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
            rows = gazetteer.fetch_rows(conn)
            gaz = gazetteer.build(rows)
            rng = random.Random(20240601)
            queries = _addresses(gaz, args.n, rng)
            distinct = list(dict.fromkeys(queries))
            started = time.perf_counter()
            answered = sum(1 for q in distinct if geocode(gaz, q).candidates)
            distinct_s = time.perf_counter() - started
            gaz = gazetteer.build(rows)  # a fresh snapshot: nothing memoised
            started = time.perf_counter()
            for q in queries:
                geocode(gaz, q)
            forward_s = time.perf_counter() - started
            http_queries = _addresses(gaz, args.requests + 1000, random.Random(20240602))
            lo, la, hi, ha = 114.0, 22.52, 114.05, 22.56
            lon = np.array([rng.uniform(lo, hi) for _ in range(args.points)])
            lat = np.array([rng.uniform(la, ha) for _ in range(args.points)])
            started = time.perf_counter()
            places = reverse_columns(gaz, lon, lat)
            reverse_s = time.perf_counter() - started
            single_n = min(3000, args.points)
            started = time.perf_counter()
            for x, y in zip(lon[:single_n].tolist(), lat[:single_n].tolist(), strict=True):
                reverse(gaz, x, y)  # one call per point, as an HTTP request makes it
            single_reverse_ms = (time.perf_counter() - started) / single_n * 1000
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
            [ONEMAP, "serve", "--port", str(port), "--workers", str(args.workers)],
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
        for _ in range(4):  # load the snapshot (in every worker, as far as a few requests reach)
            httpx.get(f"http://127.0.0.1:{port}/geocode", params={"address": "侨香路7号"}, timeout=120)
        forward = ["/geocode?" + urlencode({"address": q}) for q in http_queries]
        single = asyncio.run(_http(port, forward[:1000], 1))
        points = [
            f"/geocode/reverse?lon={x:.7f}&lat={y:.7f}"
            for x, y in zip(lon[-args.requests :], lat[-args.requests :], strict=True)
        ]
        concurrent = {}
        for label, paths in (("/geocode", forward[1000:]), ("/geocode/reverse", points)):
            if wrk.available():
                base_url = f"http://127.0.0.1:{port}"
                concurrent[label] = wrk.run_wrk(base_url, paths, args.seconds, 16, threads=2)
            else:
                measured = asyncio.run(_http(port, paths, 16))
                p50, p99 = np.percentile(measured, [50, 99])
                concurrent[label] = (len(measured) / (sum(measured) / 1000 / 16), p50, p99)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with psycopg.connect(base + "/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    in_cells = sum(1 for c in places["grid_code"] if c)
    print(f"machine: {load_before} before, {_load()} after; onemap serve --workers {args.workers}")
    print(f"{'measure':<40}{'onemap':>14}{'goal':>12}")
    print(
        f"{'forward, addresses/s (batch, distinct)':<40}{len(distinct) / distinct_s:>14,.0f}{2000:>12,}"
        f"   ({answered}/{len(distinct)} answered)"
    )
    print(
        f"{'forward, addresses/s (batch, as drawn)':<40}{args.n / forward_s:>14,.0f}{2000:>12,}"
        f"   ({len(distinct)} distinct of {args.n})"
    )
    print(
        f"{'reverse, points/s (batch)':<40}{args.points / reverse_s:>14,.0f}{20000:>12,}"
        f"   ({in_cells} in a cell)"
    )
    print(f"{'reverse, ms per single point (in process)':<40}{single_reverse_ms:>14.3f}")
    print(
        f"{'peer: PostGIS round trip per point, /s':<40}{peer_n / peer_s:>14,.0f}"
        f"   ratio onemap/peer {args.points / reverse_s / (peer_n / peer_s):.1f}x"
    )
    s50, s99 = np.percentile(single, [50, 99])
    print(f"{'HTTP /geocode p50 / p99 ms (1 client)':<40}{s50:>7.1f} /{s99:>5.1f}")
    client = f"wrk -t2 -c16 -d{args.seconds:.0f}s" if wrk.available() else "asyncio client, each path once"
    for name, (rate, p50, p99) in concurrent.items():
        print(f"{'HTTP ' + name + ' p50 ms (16 clients)':<40}{p50:>14.1f}   ({client})")
        print(f"{'HTTP ' + name + ' p99 ms (16 clients)':<40}{p99:>14.1f}{20:>12}")
        print(f"{'HTTP ' + name + ' requests/s':<40}{rate:>14,.0f}")


if __name__ == "__main__":
    main()
