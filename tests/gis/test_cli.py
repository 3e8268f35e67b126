"""The `onemap` command line, run as a user runs it: a subprocess with an environment."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ONEMAP = str(Path(sys.executable).with_name("onemap"))  # the console script of this environment


def run(*args: str, timeout_s: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run([ONEMAP, *args], env=environment, capture_output=True, text=True,
                          timeout=timeout_s)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", [
    ("db", "status"),
    ("cases", "show", "1"),  # connects asynchronously
    ("evaluate", "--start", "2026-01-01", "--end", "2026-02-01"),
    ("cases", "trickle", "--count", "1"),  # through a connection pool
], ids=lambda c: " ".join(c[:2]))
def test_unreachable_database_url_gives_one_line_naming_host_and_port(command):
    port = _closed_port()
    result = run(*command, ONEMAP_DATABASE_URL=f"postgresql://u:pw@127.0.0.1:{port}/city")
    assert result.returncode == 7
    message = result.stderr.strip()
    assert message.count("\n") == 0
    assert f"127.0.0.1:{port}" in message
    assert "pw" not in message
    assert "Traceback" not in message


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("ONEMAP_TIMEZONE", "Beijing", "ONEMAP_TIMEZONE: unknown time zone 'Beijing': use an IANA name such as "
                                   "Asia/Shanghai"),
    ("ONEMAP_PORT", "eighty", "ONEMAP_PORT: Input should be a valid integer"),
])
def test_an_invalid_setting_gives_one_line_naming_its_variable(variable, value, message):
    result = run("db", "status", **{variable: value})
    assert result.returncode == 6
    assert result.stderr.startswith(f"onemap: error: {message}") and result.stderr.count("\n") == 1, \
        result.stderr[-400:]


def test_local_cluster_commands_refuse_when_an_external_url_is_set():
    result = run("db", "up", ONEMAP_DATABASE_URL="postgresql://u@127.0.0.1:1/city")
    assert result.returncode == 6
    assert "ONEMAP_DATABASE_URL is set" in result.stderr


def test_url_prints_a_working_connection_url(db_url):
    result = run("db", "url", ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 0
    with psycopg.connect(result.stdout.strip()) as conn:
        assert conn.execute("SELECT postgis_lib_version()").fetchone() is not None


def test_migrate_on_an_up_to_date_database_says_so(db_url):
    result = run("db", "migrate", ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    assert "schema is up to date" in result.stdout


def test_demo_loads_the_city_and_can_be_repeated(empty_db_url):
    for _ in range(2):
        # the whole demo (city, grid, census, fleet, a year of cases) takes ~1 min on a quiet machine
        result = run("demo", timeout_s=600, ONEMAP_DATABASE_URL=empty_db_url)
        assert result.returncode == 0, result.stderr
        assert "loaded 福田区 (440304)" in result.stdout
    with psycopg.connect(empty_db_url) as conn:
        counts = dict(conn.execute(
            "SELECT level, count(*) FROM onemap.admin_area GROUP BY level").fetchall())
    assert counts == {"county": 1, "street": 3, "community": 33}


@pytest.mark.parametrize("args", [["nope"], ["db", "nope"]], ids=["command", "subcommand"])
def test_unknown_command_exits_with_usage_error(args):
    result = run(*args)
    assert result.returncode == 2
    assert "No such command" in result.stderr
