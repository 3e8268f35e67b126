"""The demo fleet simulator: vehicles driving the demo roads, reporting GPS fixes through the ingest API.

The shared real traces (Xiamen, Wuxi, Chengdu) lie in other cities and are not map-matched to
Futian's roads, so the simulator drives along ``onemap.road`` itself; when the Xiamen tracks
are available (``speeds_from``), each vehicle replays a real speed profile from them (km/h
every 30 s) instead of a drawn one. Muck trucks (渣土车) report GCJ-02 coordinates, as
third-party GPS platforms do, so the API's conversion is exercised too.

It is a client of the HTTP API like any gateway: fixes go through POST /feeds/vehicles/fixes
with a token that has ``ingest_feeds``, in batches of at most 100.
"""

import csv
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
import shapely

from gis.crs import CGCS2000, gauss_kruger_epsg, transform, transformer, wgs84_to_gcj02
from gis.demo import cases_trickle

DRIVABLE = (
    "primary",
    "secondary",
    "tertiary",
    "trunk",
    "residential",
    "unclassified",
    "service",
    "primary_link",
    "secondary_link",
    "tertiary_link",
    "living_street",
)
_SPEEDS_KMH = {"执法车": 30.0, "环卫车": 12.0, "渣土车": 35.0, "巡查车": 25.0}
_ROADS_SQL = "SELECT ST_AsBinary(geom) FROM onemap.road WHERE kind = ANY(%s) ORDER BY source, source_id"
_FLEET_SQL = "SELECT id, type FROM onemap.vehicle ORDER BY id"
BATCH = 100


class RoadGraph:
    """Road segments in the city's Gauss-Krüger zone, joined at shared end points."""

    def __init__(self, lines_4490: list[shapely.LineString]) -> None:
        if not lines_4490:
            raise ValueError("no roads: load the demo city first (onemap demo)")
        centre = float(np.mean([line.centroid.x for line in lines_4490[:100]]))
        self.zone = gauss_kruger_epsg(centre)
        self.lines = [transform(line, CGCS2000, self.zone) for line in lines_4490]
        self.at_node: dict[tuple[int, int], list[tuple[int, bool]]] = defaultdict(list)
        for index, line in enumerate(self.lines):
            first, last = line.coords[0], line.coords[-1]
            self.at_node[_node(first)].append((index, True))  # leaving forwards from its start
            self.at_node[_node(last)].append((index, False))  # leaving backwards from its end

    def next_edge(self, index: int, forward: bool, rng: np.random.Generator) -> tuple[int, bool]:
        """Where to go at the end of a segment: any other segment there, else back the same way."""
        line = self.lines[index]
        end = line.coords[-1] if forward else line.coords[0]
        choices = [(i, f) for i, f in self.at_node[_node(end)] if i != index]
        if not choices:
            return index, not forward
        return choices[int(rng.integers(len(choices)))]


def _node(xy: tuple[float, ...]) -> tuple[int, int]:
    return round(xy[0]), round(xy[1])  # metres: end points within a metre are one junction


@dataclass
class SimVehicle:
    id: str
    type: str
    edge: int
    forward: bool
    along_m: float
    speeds: list[float]
    step: int = 0

    def speed_kmh(self) -> float:
        self.step += 1
        return self.speeds[self.step % len(self.speeds)]


def xiamen_speed_profiles(path: Path) -> list[list[float]]:
    """Runs of 20 consecutive real speeds (km/h) from the shared Xiamen tracks (gps_xiamen)."""
    with path.open(encoding="utf-8") as handle:
        speeds = [float(row["speed_kmh"]) for row in csv.DictReader(handle)]
    return [speeds[i : i + 20] for i in range(0, len(speeds) - 20, 20) if max(speeds[i : i + 20]) > 0]


class Simulator:
    """Moves every vehicle each tick and returns their fixes; `run` posts them to a server."""

    def __init__(
        self,
        graph: RoadGraph,
        fleet: list[tuple[str, str]],
        *,
        seed: int = 7,
        speed_profiles: list[list[float]] | None = None,
    ) -> None:
        self.graph = graph
        self.rng = np.random.default_rng(seed)
        self.vehicles = []
        for number, (vehicle_id, kind) in enumerate(fleet):
            edge = int(self.rng.integers(len(graph.lines)))
            base = _SPEEDS_KMH.get(kind, 25.0)
            if speed_profiles:
                speeds = speed_profiles[number % len(speed_profiles)]
            else:
                speeds = list(np.clip(self.rng.normal(base, base / 3, 20), 0, 70))
            self.vehicles.append(SimVehicle(vehicle_id, kind, edge, True, 0.0, speeds))
        self._to_lonlat = transformer(graph.zone, CGCS2000)

    def tick(self, dt_s: float, now: datetime) -> list[dict[str, Any]]:
        """Advance every vehicle by `dt_s` seconds of driving; their fixes at `now`."""
        fixes = []
        for v in self.vehicles:
            speed = v.speed_kmh()
            remaining = speed / 3.6 * dt_s
            while True:
                length = self.graph.lines[v.edge].length
                if v.along_m + remaining <= length:
                    v.along_m += remaining
                    break
                remaining -= length - v.along_m
                v.edge, v.forward = self.graph.next_edge(v.edge, v.forward, self.rng)
                v.along_m = 0.0
            line = self.graph.lines[v.edge]
            at = v.along_m if v.forward else line.length - v.along_m
            here = line.interpolate(at)
            ahead = line.interpolate(min(line.length, at + 1) if v.forward else max(0.0, at - 1))
            heading = float(np.degrees(np.arctan2(ahead.x - here.x, ahead.y - here.y))) % 360
            lon, lat = self._to_lonlat.transform(here.x, here.y)
            fix = {
                "vehicle": v.id,
                "time": now.isoformat(),
                "lon": round(lon, 7),
                "lat": round(lat, 7),
                "speed": round(speed, 1),
                "heading": round(heading, 1),
            }
            if v.type == "渣土车":
                glon, glat = wgs84_to_gcj02(lon, lat)
                fix.update(lon=round(float(glon), 7), lat=round(float(glat), 7), crs="gcj02")
            fixes.append(fix)
        return fixes

    def run(
        self,
        base_url: str,
        token: str,
        *,
        interval_s: float,
        duration_s: float | None,
        stop: threading.Event,
        on_tick: Callable[[int, int], None] | None = None,
    ) -> int:
        """Post a tick of fixes every `interval_s` until `duration_s` passed or `stop` is set."""
        sent = 0
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            while not stop.is_set() and (duration_s is None or time.monotonic() - started < duration_s):
                fixes = self.tick(interval_s, datetime.now(UTC))
                accepted = 0
                for i in range(0, len(fixes), BATCH):
                    response = client.post("/feeds/vehicles/fixes", json={"fixes": fixes[i : i + BATCH]})
                    response.raise_for_status()
                    accepted += response.json()["accepted"]
                sent += len(fixes)
                if on_tick:
                    on_tick(len(fixes), accepted)
                stop.wait(interval_s)
        return sent


def from_database(conn: psycopg.Connection, *, seed: int = 7, speeds_from: Path | None = None) -> Simulator:
    """A simulator over the loaded roads and the registered fleet."""
    lines = [shapely.from_wkb(wkb) for (wkb,) in conn.execute(_ROADS_SQL, (list(DRIVABLE),)).fetchall()]
    fleet = [(vehicle_id, kind) for vehicle_id, kind in conn.execute(_FLEET_SQL).fetchall()]
    if not fleet:
        raise ValueError("no vehicles registered: run onemap demo (or onemap import vehicles)")
    profiles = xiamen_speed_profiles(speeds_from) if speeds_from and speeds_from.is_file() else None
    return Simulator(RoadGraph(lines), fleet, seed=seed, speed_profiles=profiles)


def start_case_trickle(base_url: str, token: str, stop: threading.Event) -> threading.Thread:
    """Run the demo case trickle (gis/demo/cases_trickle.py: new cases now and then, open
    ones moving through the workflow, all through the cases API) in a thread beside the fleet."""
    thread = threading.Thread(
        target=cases_trickle.trickle, args=(base_url, token, stop), name="cases-trickle", daemon=True
    )
    thread.start()
    return thread
