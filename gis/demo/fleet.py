"""The demo city's live objects: CCTV cameras at road intersections and a fleet of city-management vehicles.

Reproducible: the same roads and seed give the same cameras (ids, headings, ranges) and vehicles.
Cameras stand at junctions where three or more major road segments meet, looking down one of
them; ids are GB/T 28181 codes of Futian's centre (44030400), industry 08 城市管理接入, type 132
IPC, network 6 政务网.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np
import psycopg
import shapely

from layers.cameras import Camera, CameraStatus, upsert_cameras
from layers.vehicles import Vehicle, register_vehicles

SEED = 440304
CAMERA_SOURCE = "onemap demo"
CAMERA_OWNER = "福田区城市管理和综合执法局"
_MAJOR = ("primary", "secondary", "tertiary", "trunk")
_FLEET = (
    ("执法车", "福田区城市管理和综合执法局", 12),
    ("环卫车", "福田区环境卫生管理处", 14),
    ("渣土车", "福田区建筑废弃物运输企业", 8),
    ("巡查车", "福田区数字城管指挥中心", 6),
)
_ROADS_SQL = """
SELECT ST_AsBinary(geom) FROM onemap.road
WHERE kind = ANY(%s) AND left(source, 4) = 'osm:' ORDER BY source_id
"""


@dataclass(frozen=True)
class FleetCounts:
    cameras: int
    vehicles: int


def _junctions(lines: list[shapely.LineString]) -> list[tuple[float, float, float]]:
    """(lon, lat, bearing of one road leaving it) of every node where 3+ segments meet, sorted."""
    ends: Counter[tuple[float, float]] = Counter()
    leaving: dict[tuple[float, float], tuple[float, float]] = {}
    for line in lines:
        coords = np.asarray(line.coords)
        for node, toward in ((coords[0], coords[1]), (coords[-1], coords[-2])):
            key = (round(float(node[0]), 6), round(float(node[1]), 6))
            ends[key] += 1
            leaving.setdefault(key, (float(toward[0]), float(toward[1])))
    found = []
    for (lon, lat), degree in sorted(ends.items()):
        if degree >= 3:
            tx, ty = leaving[(lon, lat)]
            bearing = float(np.degrees(np.arctan2((tx - lon) * np.cos(np.radians(lat)), ty - lat))) % 360
            found.append((lon, lat, bearing))
    return found


def demo_cameras(lines: list[shapely.LineString], count: int, seed: int = SEED) -> list[Camera]:
    """`count` cameras at junctions of the given roads (EPSG:4490), chosen reproducibly."""
    rng = np.random.default_rng(seed)
    junctions = _junctions(lines)
    chosen = sorted(rng.choice(len(junctions), size=min(count, len(junctions)), replace=False))
    cameras = []
    for serial, index in enumerate(chosen, start=1):
        lon, lat, bearing = junctions[index]
        device_id = f"4403040008132600{serial:04d}"
        status: CameraStatus = "fault" if serial % 17 == 0 else "offline" if serial % 11 == 0 else "online"
        cameras.append(
            Camera(
                device_id=device_id,
                lon=lon,
                lat=lat,
                name=f"福田路口{serial:03d}",
                heading_deg=round(bearing, 1),
                fov_deg=float(rng.choice([60, 75, 90])),
                range_m=float(rng.integers(60, 150)),
                owner=CAMERA_OWNER,
                status=status,
                stream_url=f"rtsp://video.futian.example/live/{device_id}",
            )
        )
    return cameras


def demo_vehicles() -> list[Vehicle]:
    """The demo fleet: enforcement, sanitation, muck-truck and patrol vehicles."""
    fleet: list[Vehicle] = []
    for type_index, (kind, department, count) in enumerate(_FLEET):
        for _ in range(count):
            number = len(fleet) + 1
            fleet.append(
                Vehicle(
                    id=f"FT{number:03d}",
                    plate=f"粤B{type_index + 1}{number:03d}C",
                    type=kind,
                    department=department,
                )
            )
    return fleet


def demo_roads(conn: psycopg.Connection, kinds: tuple[str, ...] = _MAJOR) -> list[shapely.LineString]:
    """The demo road segments of these OSM highway kinds (EPSG:4490)."""
    return [shapely.from_wkb(wkb) for (wkb,) in conn.execute(_ROADS_SQL, (list(kinds),)).fetchall()]


def load(conn: psycopg.Connection, *, cameras: int = 60) -> FleetCounts:
    """Load the demo cameras and vehicles (idempotent: upserts by device id and vehicle id)."""
    camera_rows = demo_cameras(demo_roads(conn), cameras)
    loaded = upsert_cameras(conn, camera_rows, source=CAMERA_SOURCE)
    return FleetCounts(cameras=loaded, vehicles=register_vehicles(conn, demo_vehicles()))
