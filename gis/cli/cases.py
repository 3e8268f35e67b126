"""`onemap cases …` (calendar, rules, responsibility grids, deadlines, one case) and `onemap evaluate`."""

import asyncio
import csv
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
import typer

from gis.cli.context import ready_database_url, settings_of
from gis.database import connect, connect_async, create_pool
from gis.errors import InvalidParameter
from gis.local_time import local_instant
from layers.case_evaluation import COUNTS, GROUPINGS
from layers.case_evaluation import evaluate as evaluate_cases
from layers.case_rules import (
    DISPATCH_RULES_SQL,
    CaseOptions,
    load_policy,
    shipped_calendars,
    store_calendar,
    store_deadline_rules,
    store_dispatch_rules,
)
from layers.resp_grids import generate_resp_grids

if TYPE_CHECKING:  # the case workflow (shapely, FastAPI, httpx) loads when a command runs
    from gis.demo.cases_trickle import TrickleStats

app = typer.Typer(
    help="Cases: working-day calendar, deadline and department rules, responsibility grids.",
    no_args_is_help=True,
)
calendar_app = typer.Typer(
    help="The working-day calendar (public holidays, make-up workdays 调休).", no_args_is_help=True
)
rules_app = typer.Typer(help="Deadline rules and department (dispatch) rules.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(rules_app, name="rules")
T = TypeVar("T")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidParameter(f"{path}: cannot read it as UTF-8 text ({error})") from None


def _sync(ctx: typer.Context) -> psycopg.Connection:
    settings = settings_of(ctx)
    return connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s)


def _async(ctx: typer.Context, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
    settings = settings_of(ctx)
    url = ready_database_url(settings)

    async def run() -> T:
        async with await connect_async(url, timeout_s=settings.connect_timeout_s) as conn:
            return await work(conn)

    return asyncio.run(run())


@calendar_app.command("load")
def calendar_load(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        None, help="CSV files with the columns date,workday,name; none: the shipped calendars"
    ),
) -> None:
    """Replace the calendar of each year a file mentions with its holidays and make-up workdays."""
    texts = [(str(f), _read(f)) for f in files] if files else shipped_calendars()
    with _sync(ctx) as conn:
        for name, text in texts:
            typer.echo(f"{name}: {store_calendar(conn, text, name)} days")


@calendar_app.command("show")
def calendar_show(ctx: typer.Context, year: int = typer.Option(datetime.now(UTC).year)) -> None:
    """The holidays and make-up workdays of a year."""
    with _sync(ctx) as conn:
        rows = conn.execute(
            "SELECT day, workday, name FROM onemap.work_calendar "
            "WHERE extract(year FROM day)::int = %s ORDER BY day",
            (year,),
        ).fetchall()
    for day, workday, name in rows:
        typer.echo(f"{day}  {'workday' if workday else 'holiday'}  {name}")
    if not rows:
        typer.echo(f"no calendar for {year}: only weekends are days off")


@rules_app.command("load-deadlines")
def rules_load_deadlines(ctx: typer.Context, file: Path) -> None:
    """Replace the deadline rules (CSV: scheme,kind,class_prefix,urgency,amount,unit,note)."""
    with _sync(ctx) as conn:
        typer.echo(f"{store_deadline_rules(conn, _read(file), str(file))} deadline rules")


@rules_app.command("load-departments")
def rules_load_departments(ctx: typer.Context, file: Path) -> None:
    """Replace the department rules (CSV: scheme,kind,class_prefix,area_prefix,department)."""
    with _sync(ctx) as conn:
        typer.echo(f"{store_dispatch_rules(conn, _read(file), str(file))} department rules")


@rules_app.command("show")
def rules_show(ctx: typer.Context) -> None:
    """Print both rule tables as CSV (the format the load commands read)."""
    with _sync(ctx) as conn:
        policy = load_policy(conn, CaseOptions.from_settings(settings_of(ctx)))
        departments = conn.execute(DISPATCH_RULES_SQL).fetchall()
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["scheme", "kind", "class_prefix", "urgency", "amount", "unit"])
    out.writerows(
        [r.scheme or "", r.kind or "", r.class_prefix, r.urgency or "", f"{r.amount:g}", r.unit]
        for r in policy.rules
    )
    typer.echo()
    out.writerow(["scheme", "kind", "class_prefix", "area_prefix", "department"])
    out.writerows([[v or "" for v in row] for row in departments])


@app.command("resp-grids")
def resp_grids(
    ctx: typer.Context,
    within: str = typer.Option("", help="admin code prefix (county, street or community)"),
    cells_per_grid: int = typer.Option(6, help="unit grid cells per responsibility grid"),
) -> None:
    """Generate the responsibility grids (责任网格) from the unit grid."""
    with _sync(ctx) as conn:
        typer.echo(
            f"{generate_resp_grids(conn, within=within, cells_per_grid=cells_per_grid)} responsibility grids"
        )


@app.command("deadline")
def deadline(
    ctx: typer.Context,
    class_code: str = typer.Option(..., "--class"),
    kind: str = typer.Option("event"),
    urgency: str = typer.Option("B"),
    at: datetime = typer.Option(None, help="report time (default now; local time unless an offset is given)"),
) -> None:
    """When a case of this class and urgency reported at --at is due, and when it becomes due soon."""
    from layers.cases import URGENCIES, check_choice, check_class

    options = CaseOptions.from_settings(settings_of(ctx))
    code = check_class(kind, class_code)
    check_choice("urgency", urgency, URGENCIES)
    reported = at or datetime.now(UTC)
    reported = local_instant(reported, options.tz)
    with _sync(ctx) as conn:
        due = load_policy(conn, options).deadline_for(
            kind=kind, class_code=code, urgency=urgency, reported_at=reported
        )
    typer.echo(f"reported {reported.astimezone(options.tz):%Y-%m-%d %H:%M %a}")
    typer.echo(f"due soon {due.due_soon_at.astimezone(options.tz):%Y-%m-%d %H:%M %a}")
    typer.echo(f"deadline {due.deadline_at.astimezone(options.tz):%Y-%m-%d %H:%M %a}")


@app.command("show")
def show(ctx: typer.Context, case_id: int) -> None:
    """One case with its history, as JSON."""
    from layers.cases import get_case

    case = _async(ctx, lambda conn: get_case(conn, case_id))
    typer.echo(json.dumps(case, ensure_ascii=False, indent=2, default=str))


def evaluate(
    ctx: typer.Context,
    start: datetime = typer.Option(..., help="period start (local time unless an offset is given)"),
    end: datetime = typer.Option(..., help="period end, exclusive"),
    by: str = typer.Option("street", help=" | ".join(GROUPINGS)),
    within: str = typer.Option("", help="grid or admin code prefix"),
    output: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Evaluation figures (结案率, 按期结案率, 返工率, 一次性办结率, problems per km² per day)."""
    from layers.cases import check_choice

    options = CaseOptions.from_settings(settings_of(ctx))
    check_choice("format", output, ("table", "csv", "json"))
    groups = _async(
        ctx,
        lambda conn: evaluate_cases(
            conn, by=by, start=local_instant(start, options.tz), end=local_instant(end, options.tz),
            within=within,
        ),
    )
    if output == "json":
        typer.echo(json.dumps(groups, ensure_ascii=False, indent=2))
        return
    columns = [
        "key",
        "name",
        *COUNTS,
        "closure_rate",
        "on_time_rate",
        "rework_rate",
        "first_time_rate",
        "found_per_km2_day",
    ]
    rows = [[_cell(g[c]) for c in columns] for g in groups]
    if output == "csv":
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(columns)
        out.writerows(rows)
        return
    short = [
        "key",
        "name",
        "reported",
        "due",
        "closed",
        "on time",
        "rework",
        "self",
        "结案率",
        "按期率",
        "返工率",
        "一次办结",
        "/km²/day",
    ]
    picks = [0, 1, 2, 7, 8, 9, 10, 4, 12, 13, 14, 15, 16]
    table = [short] + [[row[i] for i in picks] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(short))]
    for row in table:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


@app.command("trickle")
def trickle_command(
    ctx: typer.Context,
    count: int = typer.Option(20, help="steps to run (0: until interrupted)"),
    interval: float = typer.Option(2.0, help="seconds between steps"),
    seed: int = typer.Option(None, help="random seed (repeatable demo)"),
) -> None:
    """Report demo cases and move open ones through the workflow, one step every --interval seconds."""
    from gis.demo.cases_trickle import trickle_db

    settings = settings_of(ctx)
    url = ready_database_url(settings)
    with connect(url, timeout_s=settings.connect_timeout_s):  # the pool would wait; say now if it can't
        pass

    async def run() -> "TrickleStats":
        async with create_pool(url, settings) as pool:
            return await trickle_db(
                pool,
                CaseOptions.from_settings(settings),
                count=count or None,
                interval_s=interval,
                seed=seed,
                on_step=lambda s: typer.echo(f"\r{s.created} reported, {s.advanced} moved on", nl=False),
            )

    stats = asyncio.run(run())
    typer.echo(f"\n{stats.created} demo cases reported, {stats.advanced} workflow steps taken")
