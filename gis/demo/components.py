"""A component census (部件普查) for the demo city, generated reproducibly from its roads.

Placement rules, all in the city's metric Gauss-Krüger zone:
- 路灯 (01037) every 35 m along primary, secondary and tertiary roads, 10 m off the centre line;
- 雨水井盖 / 污水井盖 (01003 / 01002) alternating every 40 m on residential and tertiary roads;
- 垃圾箱 (03005) every 120 m along roads with footways, 6 m off the centre line;
- 行道树 (04002) every 12 m along primary and secondary roads, 8 m off on both sides;
- 交通护栏 (02017) as lines along primary-road edges longer than 150 m;
- 垃圾间 (03004) as 6 m × 4 m polygons beside every 25th bin.
The result is written as a survey file and loaded through the real import path.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

COMPETENT_DEPT = "福田区城市管理和综合执法局"
DATA_SOURCE = "实测"
INITIAL_DATE = "20230601"


@dataclass(frozen=True)
class Rule:
    class_code: str
    highways: frozenset[str]
    spacing_m: float
    offsets_m: tuple[float, ...]


RULES = (
    Rule("01037", frozenset({"primary", "secondary", "tertiary"}), 35.0, (10.0,)),
    Rule("01003", frozenset({"residential", "tertiary"}), 80.0, (0.0,)),
    Rule("01002", frozenset({"residential", "tertiary"}), 80.0, (1.5,)),
    Rule("03005", frozenset({"primary", "secondary", "tertiary", "residential"}), 120.0, (6.0,)),
    Rule("04002", frozenset({"primary", "secondary"}), 12.0, (8.0, -8.0)),
)


def _points_along(line: BaseGeometry, spacing: float, offset: float, phase: float) -> list:
    if offset:
        line = line.offset_curve(offset)
        if line.is_empty or line.geom_type != "LineString":
            return []
    distances = np.arange(phase, line.length, spacing)
    return list(shapely.line_interpolate_point(line, distances)) if len(distances) else []


def generate(roads: Iterable[tuple[str, BaseGeometry]], county_code: str,
             area: BaseGeometry) -> list[dict]:
    """Survey rows (attributes + metric geometry) with identifiers county + class + serial.

    Only components that lie inside `area` (the city) are kept.
    """
    roads = list(roads)
    rows: list[dict] = []
    serials: dict[str, int] = {}
    shapely.prepare(area)

    def add(class_code: str, geometry: BaseGeometry) -> None:
        if not area.covers(geometry):
            return
        serials[class_code] = serials.get(class_code, 0) + 1
        rows.append({"GLBJBSM": f"{county_code}{class_code}{serials[class_code]:06d}",
                     "XLDM": class_code, "ZGBMMC": COMPETENT_DEPT, "SJLY": DATA_SOURCE,
                     "CSRQ": INITIAL_DATE, "geometry": geometry})

    for rule in RULES:
        taken: list = []
        for highway, line in roads:
            if highway not in rule.highways:
                continue
            for offset in rule.offsets_m:
                taken.extend(_points_along(line, rule.spacing_m, offset, rule.spacing_m / 2))
        # a point per spot: drop points closer than 1 m to one already placed (shared road ends)
        kept = _thin(np.array(taken, dtype=object), 1.0)
        for point in kept:
            add(rule.class_code, point)
        if rule.class_code == "03005":
            for point in kept[::25]:
                add("03004", shapely.box(point.x + 2, point.y + 2, point.x + 8, point.y + 6))
    for highway, line in roads:
        if highway == "primary" and line.length > 150:
            edge = line.offset_curve(12.0)
            if edge.geom_type == "LineString" and not edge.is_empty:
                add("02017", edge)
    return rows


def _thin(points: np.ndarray, distance: float) -> list:
    if len(points) == 0:
        return []
    tree = shapely.STRtree(points)
    left, right = tree.query(points, predicate="dwithin", distance=distance)
    dropped = set(right[left < right].tolist())
    return [p for i, p in enumerate(points) if i not in dropped]
