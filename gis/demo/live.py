"""The live part of the demo beside `onemap serve --simulate`: the fleet simulator and the case
trickle run in a background thread against the server being started, with a token of their own
that is revoked when the server stops."""

import logging
import os
import threading
import time
from pathlib import Path

import httpx

from gis.auth import create_token, revoke_token
from gis.database import connect
from gis.demo import simulator

log = logging.getLogger("onemap.demo")
_READY_TIMEOUT_S = 120.0
DEMO_FIX_INTERVAL_S = 10.0  # every vehicle reports every 10 s, as the fleet's terminals do


class LiveDemo:
    """Fixes and cases flowing into a server at `base_url` until `stop()`."""

    def __init__(self, database_url: str, base_url: str, *, interval_s: float, speeds_from: Path | None,
                 connect_timeout_s: float) -> None:
        self._database_url = database_url
        self._connect_timeout_s = connect_timeout_s
        self._base_url = base_url
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._token_name = f"demo-simulator-{os.getpid()}"
        with connect(database_url, timeout_s=connect_timeout_s) as conn:
            conn.autocommit = True
            self._simulator = simulator.from_database(conn, speeds_from=speeds_from)
            self._token = create_token(conn, name=self._token_name, role="dispatcher",
                                       created_by="onemap demo")
        self._thread = threading.Thread(target=self._run, name="demo-simulator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with connect(self._database_url, timeout_s=self._connect_timeout_s) as conn:
            conn.autocommit = True
            revoke_token(conn, self._token_name)

    def _wait_until_ready(self) -> bool:
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self._base_url}/healthz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            self._stop.wait(1.0)
        return False

    def _run(self) -> None:
        if not self._wait_until_ready():
            log.warning("demo simulator: the server did not become ready; no live data")
            return
        simulator.start_case_trickle(self._base_url, self._token, self._stop)
        log.info("demo simulator: %d vehicles every %g s and a trickle of cases",
                 len(self._simulator.vehicles), self._interval_s)
        try:
            self._simulator.run(self._base_url, self._token, interval_s=self._interval_s, duration_s=None,
                                stop=self._stop)
        except httpx.HTTPError as error:  # the server went away or refused: the demo just stops moving
            log.warning("demo simulator stopped: %s", error)
