"""Day partitions of the GPS fixes: created on demand, China Standard Time days, dropped after retention."""

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from layers.feeds_partitions import day_of, ensure_partitions_sync, list_partitions, partition_name, prune
from tests.conftest import template_clone
from tests.gis.test_cli import run

TODAY = date(2026, 11, 23)


@pytest.fixture
def conn(conn: psycopg.Connection) -> psycopg.Connection:
    conn.execute("SELECT 1")  # in a transaction: the DDL below is rolled back with the test
    return conn


def _insert(conn: psycopg.Connection, t: datetime) -> str:
    row = conn.execute(
        "INSERT INTO onemap.vehicle_fix (vehicle_id, t, geom) "
        "VALUES ('X1', %s, ST_SetSRID(ST_Point(114, 22.5), 4490)) "
        "RETURNING tableoid::regclass::text",
        (t,),
    ).fetchone()
    return str(row[0])


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 11, 22, 16, 0, tzinfo=UTC), date(2026, 11, 23)),  # 00:00 CST
        (datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC), date(2026, 11, 22)),  # 23:59:59 CST
        (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), date(2026, 11, 23)),
    ],
    ids=["cst-midnight", "just-before", "noon-utc"],
)
def test_a_fix_belongs_to_its_china_standard_time_day(conn, instant, day):
    assert day_of(instant) == day
    ensure_partitions_sync(conn, [day])
    assert _insert(conn, instant) == f"onemap.{partition_name(day)}"


def test_without_its_partition_a_fix_cannot_be_stored(conn):
    with pytest.raises(psycopg.errors.CheckViolation, match="no partition"):
        _insert(conn, datetime(2031, 1, 1, tzinfo=UTC))


def test_ensuring_twice_creates_each_day_once(conn):
    days = [TODAY - timedelta(days=n) for n in range(3)]
    ensure_partitions_sync(conn, days)
    ensure_partitions_sync(conn, [*days, TODAY + timedelta(days=1)])
    assert {TODAY - timedelta(days=2), TODAY + timedelta(days=1)} <= set(list_partitions(conn))
    assert len(list_partitions(conn)) == len(set(list_partitions(conn)))


def test_prune_drops_the_days_before_the_retention_period_only(conn):
    days = [TODAY - timedelta(days=n) for n in (0, 1, 7, 8, 30)]
    ensure_partitions_sync(conn, days)
    for day in days:
        _insert(conn, datetime(day.year, day.month, day.day, 4, tzinfo=UTC))
    assert prune(conn, retention_days=7, today=TODAY, dry_run=True) == [
        TODAY - timedelta(days=30),
        TODAY - timedelta(days=8),
    ]
    assert set(days) <= set(list_partitions(conn))
    dropped = prune(conn, retention_days=7, today=TODAY)
    assert dropped == [TODAY - timedelta(days=30), TODAY - timedelta(days=8)]
    remaining = set(list_partitions(conn))
    assert {TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=7)} <= remaining
    assert not remaining & set(dropped)
    count = conn.execute("SELECT count(*) FROM onemap.vehicle_fix WHERE vehicle_id = 'X1'").fetchone()[0]
    assert count == 3


def test_cli_prune_reports_what_it_dropped(server_url, db_url):
    old = day_of(datetime.now(UTC)) - timedelta(days=40)
    with template_clone(server_url, "onemap_test_prune") as url:
        with psycopg.connect(url) as conn:
            ensure_partitions_sync(conn, [old, day_of(datetime.now(UTC))])
        result = run("feeds", "prune", "--retention-days", "30", ONEMAP_DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert f"dropped 1 partition(s) older than 30 days: {old.isoformat()}" in result.stdout
        listed = run("feeds", "partitions", ONEMAP_DATABASE_URL=url)
        assert old.isoformat() not in listed.stdout and listed.returncode == 0
        bad = run("feeds", "prune", "--retention-days", "0", ONEMAP_DATABASE_URL=url)
        assert bad.returncode == 2 and "at least 1" in bad.stderr
