"""`/healthz`: is the database reachable, which PostGIS, are all migrations applied."""

from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from gis.migrations import APPLIED_VERSIONS_SQL, available

router = APIRouter(tags=["health"])


async def check(pool: AsyncConnectionPool) -> tuple[bool, dict[str, Any]]:
    """(healthy, report); never raises, so the endpoint can always answer."""
    shipped = [m.version for m in available()]
    try:
        async with pool.connection() as conn:
            row = await (await conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'postgis'")).fetchone()
            postgis = row[0] if row else None
            try:
                cursor = await conn.execute(APPLIED_VERSIONS_SQL)
                applied = [r[0] for r in await cursor.fetchall()]
            except psycopg.errors.UndefinedTable:
                applied = []
    except (PoolTimeout, psycopg.Error) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return False, {"status": "unavailable", "database": "unreachable", "reason": reason}
    pending = [v for v in shipped if v not in applied]
    report: dict[str, Any] = {
        "status": "ok" if not pending else "unavailable",
        "database": "reachable",
        "postgis": postgis,
        "migrations": {"applied": len(applied), "shipped": len(shipped), "pending": pending},
    }
    if pending:
        report["reason"] = f"{len(pending)} migration(s) not applied: run `onemap db migrate`"
    if postgis is None:
        report["status"] = "unavailable"
        report["reason"] = "PostGIS is not installed in this database: run `onemap db migrate`"
    return not pending and postgis is not None, report


@router.get("/healthz", summary="Service health: database, PostGIS version, migrations")
async def healthz(request: Request) -> JSONResponse:
    healthy, report = await check(request.app.state.pool)
    return JSONResponse(report, status_code=200 if healthy else 503)
