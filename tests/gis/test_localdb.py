"""The project-local cluster, on a second cluster of its own in a temporary onemap home."""

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gis.errors import ConfigurationError
from gis.localdb import LocalCluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    home = tmp_path_factory.mktemp("onemap-home")
    local = LocalCluster(home, pg_bin=None, preferred_port=_free_port(), database="onemap")
    yield local
    local.down()
    shutil.rmtree(local.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_up_creates_a_postgis_database_and_is_idempotent(cluster):
    first = cluster.up()
    second = cluster.up()
    assert first == second
    with psycopg.connect(first) as conn:
        extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
        listen = conn.execute("SHOW listen_addresses").fetchone()
    assert {"postgis", "pg_trgm"} <= extensions
    assert listen == ("127.0.0.1",)
    assert cluster.status().running


def test_password_is_required(cluster):
    cluster.up()
    port = cluster.status().port
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(f"postgresql://postgres:wrong@127.0.0.1:{port}/onemap")


def test_state_file_with_the_password_is_private(cluster):
    cluster.up()
    assert cluster.state_file.stat().st_mode & 0o077 == 0


def test_down_twice_is_harmless(cluster):
    cluster.up()
    assert cluster.down() is True
    assert cluster.down() is False
    assert not cluster.status().running


def test_stale_pid_file_is_recovered(cluster):
    cluster.up()
    cluster.down()
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
    (cluster.data_dir / "postmaster.pid").write_text(f"{dead_pid}\n{cluster.data_dir}\n")
    url = cluster.up()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_port_in_use_is_handled_by_choosing_another(cluster):
    cluster.up()
    port = cluster.status().port
    assert port is not None
    cluster.down()
    with socket.socket() as squatter:
        # The stopped server's connections may linger in TIME_WAIT on this port.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        url = cluster.up()
        assert cluster.status().port != port
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_missing_server_programs_explain_what_to_install(tmp_path: Path):
    local = LocalCluster(tmp_path, pg_bin=tmp_path / "no-such-bin", preferred_port=5999,
                         database="onemap")
    with pytest.raises(ConfigurationError, match="apt-get install postgresql-15"):
        local.up()


def test_cli_up_without_binaries_exits_non_zero_with_a_message(tmp_path: Path):
    env = {**os.environ, "ONEMAP_HOME": str(tmp_path), "ONEMAP_PG_BIN": str(tmp_path / "none")}
    env.pop("ONEMAP_DATABASE_URL", None)
    onemap = str(Path(sys.executable).with_name("onemap"))
    result = subprocess.run([onemap, "db", "up"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 6
    assert "initdb, pg_ctl" in result.stderr
    assert "Traceback" not in result.stderr
