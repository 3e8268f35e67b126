"""Case loading: the bulk history load (COPY, one INSERT … SELECT) beside one-by-one creation.

Run: .venv/bin/python bench/cases_load.py [--records 5000] [--single 300]

Both paths place every case (grid cell, community, street, county, responsibility grid,
department) and compute its deadline on the working-day calendar; the single path is what
`POST /cases` does per request (without HTTP). Works on a scratch clone of the test template
(run the test suite once first), dropped afterwards. Prints cases/s of each and the ratio.
"""

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gis.database import database_url
from gis.settings import Settings
from layers.case_history import CaseHistoryRecord, import_case_history
from layers.case_rules import CaseOptions
from layers.cases import NewCase, create_case


def _points(conn: psycopg.Connection, n: int) -> list[tuple[float, float]]:
    rows = conn.execute(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Union(geom), %s, 7)))"
        ".geom p FROM onemap.v_unit_grid) c",
        (n,),
    ).fetchall()
    return [(float(x), float(y)) for x, y in rows]


def bulk(url: str, points: list[tuple[float, float]]) -> float:
    rng = random.Random(1)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = [
        CaseHistoryRecord(
            kind="event",
            class_code=rng.choice(["06001", "06003", "09001", "01002"]),
            source="history",
            urgency=rng.choice("ABC"),
            state="closed",
            reported_at=(t := start + timedelta(minutes=rng.randrange(200_000))),
            closed_at=t + timedelta(hours=rng.randrange(1, 100)),
            lon=x,
            lat=y,
        )
        for x, y in points
    ]
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        loaded = import_case_history(conn, records)
        elapsed = time.perf_counter() - began
    assert loaded == len(records)
    return elapsed


def single(url: str, points: list[tuple[float, float]]) -> float:
    async def main() -> float:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            began = time.perf_counter()
            for x, y in points:
                await create_case(
                    conn,
                    NewCase(kind="event", class_code="06001", source="app", lon=x, lat=y),
                    actor="bench",
                    role="dispatcher",
                    options=CaseOptions(),
                )
                await conn.commit()
            return time.perf_counter() - began

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--single", type=int, default=300)
    args = parser.parse_args()
    base = database_url(Settings(), start=True).rsplit("/", 1)[0]
    name = "onemap_bench_cases"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        template = admin.execute(
            "SELECT datname FROM pg_database WHERE datistemplate AND datname LIKE 'onemap\\_test\\_tpl\\_%%' "
            "ORDER BY oid DESC LIMIT 1"
        ).fetchone()
        if template is None:
            sys.exit("no test template database: run the test suite once first")
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template[0])
            )
        )
    try:
        url = f"{base}/{name}"
        with psycopg.connect(url) as conn:
            points = _points(conn, args.records + args.single)
        bulk_s = bulk(url, points[: args.records])
        single_s = single(url, points[args.records :])
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    bulk_rate, single_rate = args.records / bulk_s, args.single / single_s
    print(f"{'path':<34}{'cases':>8}{'seconds':>10}{'cases/s':>10}")
    print(f"{'import_case_history (COPY)':<34}{args.records:>8}{bulk_s:>10.2f}{bulk_rate:>10.0f}")
    print(f"{'create_case, one per transaction':<34}{args.single:>8}{single_s:>10.2f}{single_rate:>10.0f}")
    print(f"bulk / single: {bulk_rate / single_rate:.1f}x")


if __name__ == "__main__":
    main()
