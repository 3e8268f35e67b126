"""Benchmark: OGC API - Features items pages (bbox + limit=100) from `onemap serve`, sequentially.

Starts `onemap serve` on a free port against the database (ONEMAP_DATABASE_URL, --url, or the
project-local cluster with the demo city loaded by `onemap demo`), warms it up, then sends N
sequential GET requests per case with httpx and prints requests/s and latency percentiles.
As a floor it times the same page's SQL run directly with psycopg (what the HTTP layer,
pygeoapi and JSON re-serialisation add on top). A peer server (e.g. stock pygeoapi with its
PostgreSQL provider, or tipg) can be measured with --peer URL on the same paths.

    .venv/bin/python bench/ogc_items.py [--url URL] [--requests 200] [--peer http://host:port]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gis.database import database_url  # noqa: E402
from gis.settings import Settings  # noqa: E402

BBOX = "114.02,22.52,114.04,22.54"
CASES = {
    "components bbox limit=100": f"/collections/components/items?bbox={BBOX}&limit=100",
    "roads bbox limit=100": f"/collections/roads/items?bbox={BBOX}&limit=100",
    "components bbox+CQL2 limit=100": f"/collections/components/items?bbox={BBOX}&limit=100"
                                      "&filter=class_code%20%3D%20%2704002%27",
    "unit_grid item by code": None,  # filled from the database
}
FLOOR_SQL = """
SELECT json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 8, 0)::json,
       'properties', json_build_object('id', id, 'name', name, 'class_code', class_code, 'state', state,
                                       'grid_code', grid_code))
FROM onemap.v_component WHERE ST_Intersects(geom, ST_MakeEnvelope(114.02, 22.52, 114.04, 22.54, 4490))
ORDER BY id LIMIT 101
"""


def serve(url: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`onemap serve` on a free port against `url` (with `env` added), once it answers /healthz."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([str(Path(sys.executable).with_name("onemap")), "serve", "--port", str(port)],
                               env={**os.environ, "ONEMAP_DATABASE_URL": url, "ONEMAP_LOG_LEVEL": "warning",
                                    **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("onemap serve did not become healthy")


def _measure(client: httpx.Client, path: str, n: int) -> tuple[float, float, float, int]:
    for _ in range(10):
        client.get(path).raise_for_status()
    timings = []
    size = 0
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - t0)
        response.raise_for_status()
        size = len(response.content)
    elapsed = time.perf_counter() - started
    timings.sort()
    return n / elapsed, statistics.median(timings) * 1000, timings[int(0.95 * (n - 1))] * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="database URL (default: ONEMAP_DATABASE_URL or the local cluster)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--peer", help="base URL of a peer OGC API server to measure on the same paths")
    args = parser.parse_args()
    url = args.url or database_url(Settings(), start=True)
    with psycopg.connect(url) as conn:
        code = conn.execute("SELECT code FROM onemap.v_unit_grid ORDER BY code LIMIT 1").fetchone()
        CASES["unit_grid item by code"] = f"/collections/unit_grid/items/{code[0]}"
        t0 = time.perf_counter()
        for _ in range(args.requests):
            conn.execute(FLOOR_SQL).fetchall()
        floor = args.requests / (time.perf_counter() - t0)
    process, base = serve(url)
    try:
        print(f"{args.requests} sequential requests per case, httpx keep-alive, against {base}")
        print(f"{'case':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>8}")
        targets = [("onemap", base)] + ([("peer", args.peer)] if args.peer else [])
        for label, target in targets:
            headers = {"Accept": "application/geo+json"}
            with httpx.Client(base_url=target, headers=headers, timeout=30) as client:
                for case, path in CASES.items():
                    rate, p50, p95, size = _measure(client, str(path), args.requests)
                    print(f"{label + ': ' + case:34} {rate:8.1f} {p50:8.2f} {p95:8.2f} {size:8d}")
        print(f"{'SQL floor (same page, psycopg)':34} {floor:8.1f}")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
