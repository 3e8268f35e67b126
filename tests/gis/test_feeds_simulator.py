"""The demo fleet simulator: vehicles drive the demo roads and their fixes pass the ingest checks."""

from datetime import UTC, datetime, timedelta

import psycopg
import shapely

from gis.demo import simulator
from tests.conftest import shared_data
from tests.gis.conftest import ogc_app_client
from tests.gis.feeds_support import FleetDb, bearer


def _simulator(feeds: FleetDb, speeds_from=None) -> simulator.Simulator:
    with psycopg.connect(feeds.url) as conn:
        return simulator.from_database(conn, seed=3, speeds_from=speeds_from)


def test_vehicles_stay_on_the_roads_and_move_at_their_speed(feeds):
    sim = _simulator(feeds)
    roads = shapely.union_all(sim.graph.lines)
    t0 = datetime(2026, 11, 23, 8, tzinfo=UTC)
    first = {f["vehicle"]: f for f in sim.tick(10, t0)}
    assert len(first) == 40
    for v in sim.vehicles:  # on a road segment, in metres of the Gauss-Krüger zone
        here = sim.graph.lines[v.edge].interpolate(
            v.along_m if v.forward else sim.graph.lines[v.edge].length - v.along_m
        )
        assert roads.distance(here) < 0.01
    second = {f["vehicle"]: f for f in sim.tick(10, t0 + timedelta(seconds=10))}
    muck = [f for f in second.values() if f.get("crs") == "gcj02"]
    assert len(muck) == 8  # the 渣土车 report GCJ-02, as third-party platforms do
    moved = [abs(second[k]["lon"] - first[k]["lon"]) + abs(second[k]["lat"] - first[k]["lat"]) for k in first]
    assert sum(1 for m in moved if m > 0) >= 30


def test_every_simulated_fix_is_accepted_by_the_ingest(settings, feeds):
    sim = _simulator(feeds)
    now = datetime.now(UTC) - timedelta(minutes=5)
    with ogc_app_client(settings, feeds.url) as client:
        for tick in range(3):
            fixes = sim.tick(10, now + timedelta(seconds=10 * tick))
            result = client.post(
                "/feeds/vehicles/fixes", json={"fixes": fixes}, headers=bearer(feeds.feeder)
            ).json()
            assert result["accepted"] == 40, [r for r in result["rows"] if r["status"] != "accepted"][:3]


def test_real_xiamen_speed_profiles_are_replayed():
    path = shared_data("gps_xiamen", "xiamen_vehicle_tracks_wgs84.csv")
    profiles = simulator.xiamen_speed_profiles(path)
    assert len(profiles) > 20 and all(len(p) == 20 for p in profiles)
    assert all(0 <= s <= 130 for p in profiles for s in p)
