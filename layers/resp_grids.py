"""Responsibility grids (责任网格): groups of neighbouring unit grid cells of one community with an inspector.

The fourth level of the 区 / 街道 / 社区 / 责任网格 system, used to route cases to an inspector and
in the evaluation. Generated from the unit grid (a city with its own division loads it instead).
"""

from importlib import resources

import psycopg

from gis.errors import InvalidParameter


def generate_resp_grids(conn: psycopg.Connection, *, within: str = "", cells_per_grid: int = 6) -> int:
    """Replace the responsibility grids of the communities under `within` (an admin code prefix).

    Returns the number of responsibility grids; cases under them are re-assigned.
    """
    if not (within == "" or (within.isascii() and within.isdigit() and len(within) <= 12)):
        raise InvalidParameter(f"within {within[:20]!r} is not an admin code prefix of up to 12 digits")
    if not 1 <= cells_per_grid <= 1000:
        raise InvalidParameter("cells_per_grid must be between 1 and 1000")
    generate = (resources.files("layers") / "sql" / "resp_grids.sql").read_text(encoding="utf-8")
    with conn.transaction():
        conn.execute("DELETE FROM onemap.resp_grid WHERE starts_with(community_code, %s)", (within,))
        conn.execute(generate, {"prefix": within, "size": cells_per_grid})
        conn.execute("SET LOCAL onemap.quiet_cases = 'on'")
        conn.execute(
            "UPDATE onemap.city_case c SET resp_grid_code = rc.resp_grid_code FROM onemap.resp_grid_cell rc "
            "WHERE rc.grid_code = c.grid_code AND starts_with(c.grid_code, %s) "
            "AND c.resp_grid_code IS DISTINCT FROM rc.resp_grid_code",
            (within,),
        )
        row = conn.execute(
            "SELECT count(*) FROM onemap.resp_grid WHERE starts_with(community_code, %s)", (within,)
        ).fetchone()
    return int(row[0]) if row else 0
