"""The project-local PostgreSQL + PostGIS cluster onemap runs when no ONEMAP_DATABASE_URL is set.

initdb refuses to run as root, so when onemap is invoked as root the cluster is
owned by an unprivileged OS user (``postgres`` when the Debian packages created it,
else a system user ``onemap``) and every server program runs through ``runuser``.
The cluster listens on loopback only, on a port chosen free at each start, and
uses password authentication with a generated password kept in ``<home>/pg.json``.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from gis.errors import ConfigurationError, LocalDatabaseError

EXTENSIONS = ("postgis", "pg_trgm")
SUPERUSER = "postgres"
_SERVICE_USERS = ("postgres", "onemap")
_FALLBACK_ROOT = Path("/var/lib/onemap/clusters")
_RUNTIME_CONF = "onemap_runtime.conf"
_INSTALL_HINT = (
    "install PostgreSQL 15 with PostGIS (as root: apt-get install postgresql-15 "
    "postgresql-15-postgis-3, or run `make demo` which does it), set ONEMAP_PG_BIN to its bin "
    "directory, or set ONEMAP_DATABASE_URL to an existing PostGIS server"
)


@dataclass(frozen=True)
class ClusterStatus:
    """What `onemap db status` reports about the local cluster."""

    initialised: bool
    running: bool
    port: int | None
    data_dir: Path
    log_file: Path
    pid: int | None


def find_pg_bin(configured: Path | None) -> Path:
    """The directory holding initdb and pg_ctl: the configured one, Debian's newest, or PATH."""
    candidates: list[Path] = []
    if configured is not None:
        candidates.append(configured)
    else:
        debian = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
        candidates.extend(debian)
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).parent)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    where = f"in {configured}" if configured else "in /usr/lib/postgresql/*/bin or on PATH"
    raise ConfigurationError(f"PostgreSQL server programs (initdb, pg_ctl) not found {where}: "
                             f"{_INSTALL_HINT}")


def _port_is_free(port: int) -> bool:
    """Whether PostgreSQL could listen on the port: it binds with SO_REUSEADDR, so
    connections of a stopped server still in TIME_WAIT do not make the port busy."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalCluster:
    """One project-local cluster, identified by the onemap home directory that owns it."""

    def __init__(self, home: Path, *, pg_bin: Path | None, preferred_port: int, database: str):
        self.home = home.resolve()
        self._configured_pg_bin = pg_bin
        self.preferred_port = preferred_port
        self.database = database
        self.state_file = self.home / "pg.json"
        self._as_root = os.geteuid() == 0
        self.root = self._cluster_root()
        self.data_dir = self.root / "data"
        self.log_file = self.root / "postgres.log"
        self.socket_dir = self._socket_dir()

    # -- public operations ------------------------------------------------------------

    def up(self) -> str:
        """Create (once) and start the cluster and its database; return the database URL."""
        with self._lock():
            if not (self.data_dir / "PG_VERSION").is_file():
                self._initdb()
            if not self._running_pid():
                self._start()
            self._ensure_database()
        return self.url()

    def down(self) -> bool:
        """Stop the cluster if it runs; return whether it was running."""
        with self._lock():
            if not self._running_pid():
                return False
            self._pg_ctl("stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60")
            return True

    def status(self) -> ClusterStatus:
        pid = self._running_pid()
        return ClusterStatus(
            initialised=(self.data_dir / "PG_VERSION").is_file(),
            running=pid is not None,
            port=self._state().get("port"),
            data_dir=self.data_dir,
            log_file=self.log_file,
            pid=pid,
        )

    def url(self, database: str | None = None) -> str:
        """The superuser URL of a database in this cluster (the default one when not given)."""
        state = self._state()
        if "port" not in state:
            raise LocalDatabaseError(
                f"the local cluster under {self.root} has never been started: run `onemap db up`"
            )
        return (
            f"postgresql://{SUPERUSER}:{state['password']}@127.0.0.1:{state['port']}"
            f"/{database or self.database}"
        )

    # -- layout -----------------------------------------------------------------------

    def _service_user(self) -> str | None:
        """The OS user that owns and runs the cluster when onemap runs as root."""
        if not self._as_root:
            return None
        for name in _SERVICE_USERS:
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "onemap"],
            check=True,
        )
        return "onemap"

    def _cluster_root(self) -> Path:
        """<home>/pg, or a root-owned fallback when the service user cannot reach <home>."""
        preferred = self.home / "pg"
        user = self._service_user()
        if user is None or self._reachable_by(user, self.home):
            return preferred
        digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:12]
        return _FALLBACK_ROOT / digest

    def _reachable_by(self, user: str, directory: Path) -> bool:
        """Whether `user` can traverse every existing ancestor of `directory`."""
        existing = directory
        while not existing.exists():
            existing = existing.parent
        probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(existing)],
                               capture_output=True)
        return probe.returncode == 0

    def _socket_dir(self) -> Path:
        # Unix socket paths are limited to 107 bytes; keep well under with the file name.
        candidate = self.root / "run"
        if len(str(candidate)) <= 80:
            return candidate
        return Path("/tmp") / f"onemap-{hashlib.sha1(str(self.root).encode()).hexdigest()[:12]}"

    # -- state ------------------------------------------------------------------------

    def _state(self) -> dict:
        if not self.state_file.is_file():
            return {}
        return json.loads(self.state_file.read_text())

    def _write_state(self, state: dict) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.chmod(0o600)
        tmp.replace(self.state_file)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "pg.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- server programs --------------------------------------------------------------

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        pg_bin = find_pg_bin(self._configured_pg_bin)
        command = [str(pg_bin / program), *args]
        user = self._service_user()
        if user is not None:
            command = ["runuser", "-u", user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            reason = detail[-1] if detail else f"exit code {result.returncode}"
            raise LocalDatabaseError(f"{program} failed: {reason} (log: {self.log_file})")
        return result

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run("pg_ctl", *args)

    def _prepare_directory(self, directory: Path, mode: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        user = self._service_user()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(directory, entry.pw_uid, entry.pw_gid)
        directory.chmod(mode)

    def _initdb(self) -> None:
        find_pg_bin(self._configured_pg_bin)  # fail early with the install hint
        password = secrets.token_urlsafe(24)
        self._prepare_directory(self.root, 0o700)
        self._prepare_directory(self.data_dir, 0o700)
        password_file = self.root / "initdb.pw"
        password_file.write_text(password + "\n")
        self._prepare_directory_file(password_file)
        try:
            self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER,
                      "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                      f"--pwfile={password_file}", "-E", "UTF8", "--locale=C.UTF-8")
        finally:
            password_file.unlink(missing_ok=True)
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# onemap project-local cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                "shared_buffers = 256MB\n"
                "work_mem = 32MB\n"
                "maintenance_work_mem = 256MB\n"
                "max_connections = 100\n"
                "jit = off\n"
                "random_page_cost = 1.1\n"
                f"include_if_exists = '{_RUNTIME_CONF}'\n"
            )
        self._write_state({**self._state(), "password": password})

    def _prepare_directory_file(self, path: Path) -> None:
        user = self._service_user()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        path.chmod(0o600)

    def _running_pid(self) -> int | None:
        """The postmaster's pid when it runs; removes a pid file left by a crash."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.is_file():
            return None
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except (OSError, ValueError, IndexError):
            comm = ""
            pid = 0
        if comm in ("postgres", "postmaster"):
            return pid
        pid_file.unlink(missing_ok=True)
        return None

    def _start(self) -> None:
        state = self._state()
        port = state.get("port") or self.preferred_port
        if not _port_is_free(port):
            port = self.preferred_port if _port_is_free(self.preferred_port) else _any_free_port()
        self._prepare_directory(self.socket_dir, 0o700)
        runtime = self.data_dir / _RUNTIME_CONF
        runtime.write_text(f"port = {port}\nunix_socket_directories = '{self.socket_dir}'\n")
        self._prepare_directory_file(runtime)
        self.log_file.touch()
        self._prepare_directory_file(self.log_file)
        self._pg_ctl("start", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60")
        self._write_state({**state, "port": port})

    def _ensure_database(self) -> None:
        try:
            with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
            with psycopg.connect(self.url(), autocommit=True) as conn:
                create_extensions(conn)
        except psycopg.Error as error:
            raise LocalDatabaseError(
                f"could not prepare database {self.database!r}: {error}".strip()
            ) from error


def create_extensions(conn: psycopg.Connection) -> None:
    """Create the extensions onemap needs, explaining how to install a missing one."""
    for extension in EXTENSIONS:
        try:
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(
                sql.Identifier(extension)))
        except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile) as error:
            raise LocalDatabaseError(
                f"extension {extension} is not installed on the server: {_INSTALL_HINT}"
            ) from error
