"""Benchmark: OGC API reads under 16 concurrent clients, by the number of threads that run them.

One `onemap serve` process per setting of ONEMAP_OGC_THREADS (default 2, then --compare), in the
same run against the same database (ONEMAP_DATABASE_URL, --url, or the project-local cluster with
the demo city loaded by `onemap demo`). wrk (`-t2 -c16`) cycles through single components by
identifier (1,000 of them) and then through items pages (bbox, limit=100) over the demo city;
printed: requests/s, p50 and p99 latency per setting, and each setting's p99 over the first's.

    .venv/bin/python bench/ogc_threads.py [--url URL] [--seconds 8] [--compare 40]
"""

import argparse
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ogc_items import serve
from wrk import available, run_wrk

from gis.database import database_url
from gis.settings import Settings


def _pages(conn: psycopg.Connection) -> list[str]:
    """40 bbox pages tiling the components' extent (4 rows of 10)."""
    row = conn.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                       "FROM (SELECT ST_Extent(geom) AS e FROM onemap.v_component) s").fetchone()
    if row is None or row[0] is None:
        raise SystemExit("no components: load the demo city first (onemap demo)")
    x0, y0, x1, y1 = row
    dx, dy = (x1 - x0) / 10, (y1 - y0) / 4
    return [f"/collections/components/items?bbox={x0 + i * dx:.5f},{y0 + j * dy:.5f},"
            f"{x0 + (i + 1) * dx:.5f},{y0 + (j + 1) * dy:.5f}&limit=100"
            for j in range(4) for i in range(10)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: ONEMAP_DATABASE_URL or the local cluster)")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--compare", type=int, nargs="*", default=[40],
                        help="other ONEMAP_OGC_THREADS settings to measure after the default")
    args = parser.parse_args()
    if not available():
        raise SystemExit("wrk not found: install Debian's wrk (apt-get install wrk)")
    url = args.url or database_url(Settings(), start=True)
    with psycopg.connect(url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM onemap.v_component ORDER BY md5(id) LIMIT 1000")]
        pages = _pages(conn)
    cases = {"single item": [f"/collections/components/items/{i}" for i in ids], "items page": pages}
    settings = [Settings().ogc_threads, *args.compare]
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    for threads in settings:
        process, base = serve(url, {"ONEMAP_OGC_THREADS": str(threads)})
        try:
            for case, paths in cases.items():
                run_wrk(base, paths, 2, 16, threads=2)  # warm-up
                results[(case, threads)] = run_wrk(base, paths, args.seconds, 16, threads=2)
        finally:
            process.terminate()
            process.wait(timeout=10)
    print(f"wrk -t2 -c16, {args.seconds:.0f} s per case; one `onemap serve` process per setting")
    print(f"{'case':14} {'threads':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 / first':>12}")
    for case in cases:
        first = results[(case, settings[0])][2]
        for threads in settings:
            rate, p50, p99 = results[(case, threads)]
            print(f"{case:14} {threads:>7} {rate:8.0f} {p50:8.1f} {p99:8.1f} {p99 / first:11.2f}x")


if __name__ == "__main__":
    main()
