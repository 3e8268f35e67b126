"""A reproducible twelve-month case history for the demo city, with genuine hot spots.

Cases are drawn (seeded) as a background spread over the unit grid in proportion to cell area,
plus clusters where city-management problems really concentrate:

- around 4 "markets" (the refuse rooms 垃圾间 of the component census stand in for the markets they
  serve): 暴露垃圾, 占道经营, 无照经营游商, 乱堆杂物;
- around 3 "construction sites" (the three largest unit grid cells, big blocks being developed):
  工地扬尘, 施工占道, 施工废弃料;
- component cases (部件) at the census's own components, a few classes breaking more often.

A clean-up campaign (专项整治) against 占道经营 and 无照经营游商 starts on CAMPAIGN_START and cuts those
cases around the markets by 70 %, which campaign_effect.ipynb finds again. Cluster centres are picked
deterministically from the loaded demo data, so every `onemap demo` produces the same history.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import psycopg
import shapely

from gis.crs import CGCS2000, gauss_kruger_epsg, transform
from layers.case_history import CaseHistoryRecord, import_case_history

SEED = 440304
BEIJING = timezone(timedelta(hours=8), "CST")
START = datetime(2025, 11, 1, tzinfo=BEIJING)
END = datetime(2026, 11, 1, tzinfo=BEIJING)
CAMPAIGN_START = datetime(2026, 5, 1, tzinfo=BEIJING)
CAMPAIGN_CLASSES = ("09006", "09001")
CAMPAIGN_EFFECT = 0.3  # share of the campaign classes' market cases that remain
CASE_PREFIX = "DEMO-H"
SOURCES = (("inspector", 0.6), ("hotline_12345", 0.2), ("hotline_12319", 0.05), ("app", 0.1), ("video", 0.05))
BACKGROUND = {
    "06010": 550,
    "06036": 250,
    "07001": 450,
    "06012": 300,
    "09006": 250,
    "09001": 150,
    "08004": 80,
    "06042": 200,
}  # event class → cases per year anywhere
MARKET = {"06010": 160, "09006": 150, "09001": 90, "06036": 60}  # per market per year
SITE = {"08004": 100, "08002": 55, "08005": 45}  # per construction site per year
COMPONENT_RATE = {
    "01037": 0.12,
    "01002": 0.18,
    "01003": 0.18,
    "03005": 0.3,
    "04002": 0.025,
    "02017": 0.25,
    "03004": 0.8,
}  # component class → cases per component per year
CLUSTER_SD_M = 110.0


@dataclass(frozen=True)
class _City:
    zone: int
    area: shapely.Geometry  # union of the unit grid, zone metres
    markets: np.ndarray  # (m, 2) zone metres
    sites: np.ndarray
    components: list[tuple[str, float, float]]  # class code, x, y (zone metres)


def _read_city(conn: psycopg.Connection) -> _City:
    cells = conn.execute(
        "SELECT code, ST_AsBinary(geom), area_m2 FROM onemap.v_unit_grid ORDER BY code"
    ).fetchall()
    if not cells:
        raise ValueError("the demo unit grid is not loaded")
    geoms = shapely.from_wkb([c[1] for c in cells])
    zone = gauss_kruger_epsg(float(np.mean(shapely.bounds(geoms)[:, [0, 2]])))
    projected = transform(geoms, CGCS2000, zone)
    largest = np.argsort([-c[2] for c in cells], kind="stable")[:3]
    sites = shapely.get_coordinates(shapely.point_on_surface(projected[largest]))
    rows = conn.execute(
        "SELECT class_code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM onemap.v_component "
        "WHERE class_code = ANY(%s) ORDER BY id",
        (list(COMPONENT_RATE),),
    ).fetchall()
    lonlat = np.array([(r[1], r[2]) for r in rows], dtype=np.float64).reshape(-1, 2)
    xy = shapely.get_coordinates(transform(shapely.points(lonlat), CGCS2000, zone)).reshape(-1, 2)
    components = [(r[0], float(x), float(y)) for r, (x, y) in zip(rows, xy, strict=True)]
    rooms = np.array([(x, y) for code, x, y in components if code == "03004"])
    rng = np.random.default_rng(SEED)
    markets = rooms[rng.choice(len(rooms), size=min(4, len(rooms)), replace=False)] if len(rooms) else sites
    return _City(zone, shapely.union_all(projected), markets, sites, components)


def _inside(city: _City, xy: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.contains_xy(city.area, xy[:, 0], xy[:, 1]))


def _uniform(city: _City, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = city.area.bounds
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(2 * n + 16, 2))
        found.append(xy[_inside(city, xy)])
    return np.concatenate(found)[:n]


def _around(city: _City, centre: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < n:
        xy = rng.normal(centre, CLUSTER_SD_M, size=(n + 8, 2))
        found.append(xy[_inside(city, xy)])
    return np.concatenate(found)[:n]


def _times(n: int, rng: np.random.Generator) -> np.ndarray:
    """Report instants in the period, busier on weekdays' daytime (seconds since START)."""
    span = (END - START).total_seconds()
    days = rng.uniform(0, span / 86400, size=n).astype(np.int64)
    hours = rng.normal(13, 3.5, size=n).clip(6, 22.9)
    return days * 86400 + hours * 3600


def _draws(city: _City, rng: np.random.Generator) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    """(kind, class, points, times) groups; the campaign thins the market cases of its classes."""
    for code, per_year in BACKGROUND.items():
        n = int(rng.poisson(per_year))
        yield "event", code, _uniform(city, n, rng), _times(n, rng)
    for centres, rates in ((city.markets, MARKET), (city.sites, SITE)):
        for centre in centres:
            for code, per_year in rates.items():
                n = int(rng.poisson(per_year))
                xy, t = _around(city, centre, n, rng), _times(n, rng)
                if rates is MARKET and code in CAMPAIGN_CLASSES:
                    after = t >= (CAMPAIGN_START - START).total_seconds()
                    keep = ~after | (rng.random(n) < CAMPAIGN_EFFECT)
                    xy, t = xy[keep], t[keep]
                yield "event", code, xy, t
    for code, rate in COMPONENT_RATE.items():
        places = np.array([(x, y) for c, x, y in city.components if c == code]).reshape(-1, 2)
        if not len(places):
            continue
        # an older half of the city (west of the centre) breaks twice as often
        weights = rate * np.where(places[:, 0] < np.median(places[:, 0]), 1.4, 0.6)
        counts = rng.poisson(weights)
        xy = np.repeat(places, counts, axis=0) + rng.normal(0, 1.5, size=(int(counts.sum()), 2))
        yield "component", code, xy, _times(len(xy), rng)


def generate(conn: psycopg.Connection, *, seed: int = SEED) -> list[CaseHistoryRecord]:
    """The demo history for the loaded demo city (deterministic for a seed)."""
    city = _read_city(conn)
    rng = np.random.default_rng(seed)
    groups = list(_draws(city, rng))
    kinds = [k for k, _, xy, _ in groups for _ in range(len(xy))]
    codes = [c for _, c, xy, _ in groups for _ in range(len(xy))]
    xy = np.concatenate([g[2] for g in groups])
    seconds = np.concatenate([g[3] for g in groups])
    lonlat = shapely.get_coordinates(transform(shapely.points(xy), city.zone, CGCS2000))
    names, shares = [s for s, _ in SOURCES], [p for _, p in SOURCES]
    sources = rng.choice(names, size=len(xy), p=shares)
    urgency = rng.choice(["A", "B", "C"], size=len(xy), p=[0.1, 0.8, 0.1])
    handling_h = rng.gamma(2.0, 10.0, size=len(xy)) + 0.5
    order = np.argsort(seconds, kind="stable")
    records = []
    for serial, i in enumerate(order, start=1):
        reported = START + timedelta(seconds=float(seconds[i]))
        closed = reported + timedelta(hours=float(handling_h[i]))
        is_closed = closed < END
        records.append(
            CaseHistoryRecord(
                kind=kinds[i],
                class_code=codes[i],
                source=str(sources[i]),
                urgency=str(urgency[i]),
                state="closed" if is_closed else "dispatched",
                reported_at=reported,
                closed_at=closed if is_closed else None,
                lon=float(lonlat[i, 0]),
                lat=float(lonlat[i, 1]),
                case_no=f"{CASE_PREFIX}{reported:%Y%m%d}{serial:06d}",
            )
        )
    return records


def load(conn: psycopg.Connection, *, seed: int = SEED) -> int:
    """Replace the demo history (cases numbered DEMO-H…) with a freshly generated one."""
    records = generate(conn, seed=seed)
    with conn.transaction():
        conn.execute("DELETE FROM onemap.city_case WHERE case_no LIKE %s", (CASE_PREFIX + "%",))
    return import_case_history(conn, records)


def publish_hotspots(conn: psycopg.Connection) -> int:
    """Publish the last quarter's Gi* of all event cases as the `hotspots` map layer."""
    from gis.analysis.aggregate import CaseFilter, case_counts
    from gis.analysis.hotspots import analyse, store

    last_day = (END - timedelta(days=1)).date()
    case_filter = CaseFilter(last_day - timedelta(days=91), last_day, kind="event")
    return store(conn, analyse(case_counts(conn, "grid", case_filter)), case_filter)


def cluster_centres(conn: psycopg.Connection) -> dict[str, np.ndarray]:
    """The demo's market and construction-site centres, (m, 2) lon/lat in EPSG:4490."""
    city = _read_city(conn)
    return {
        name: shapely.get_coordinates(transform(shapely.points(xy), city.zone, CGCS2000))
        for name, xy in (("markets", city.markets), ("sites", city.sites))
    }
