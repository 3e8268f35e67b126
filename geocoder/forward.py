"""Forward geocoding down the match ladder (GB/T 30428.3): door plate → interpolation → intersection →
POI → road → community → street → district.

Every candidate says how it was found (`level`), how sure onemap is (`score`, 0–1), which parsed
elements it matched, and where it is (EPSG:4490) with its unit grid, community, street and county
codes. Several ranked candidates come back when the text fits several places.
"""

import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from rapidfuzz import fuzz, process

from geocoder.admin import AdminEntry
from geocoder.gazetteer import Areas, Gazetteer, Plates
from geocoder.memo import memo
from geocoder.near_names import Kinship, road_kinship, road_parts, same_head
from geocoder.normalize import MAX_LENGTH, has_han, normalize
from geocoder.parse import COMPOUND, Parsed, door_number, parse
from gis.errors import InvalidParameter
from layers.spreadsheet_errors import ERROR_VALUES, error_value_reason

LEVELS = ("door_plate", "interpolated", "intersection", "poi", "road", "community", "street", "district")
_RANK = {level: i for i, level in enumerate(LEVELS)}
# An admin-level answer stands for a whole unit: it carries that unit's codes and those above, not the
# cell or community its representative point happens to lie in.
_UNIT_CODES = {
    "community": ("community_code", "street_code", "county_code"),
    "street": ("street_code", "county_code"),
    "district": ("county_code",),
}
OUTSIDE_GRID = "outside the unit grid"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters but \t \n \r
_FUZZY_CUTOFF = 80.0
_SIBLING = 0.75  # a sibling road (南山路 for 南山西路) is near the named one, not it
_CROSSING_GAP_M = 60.0  # two roads closer than this count as crossing (dual carriageways, data gaps)
_METRES_PER_DEGREE = 111_320.0
Found = list[tuple[str, float, dict[str, str], float, float]]  # level, score, matched, lon, lat


@dataclass(frozen=True)
class Candidate:
    level: str
    score: float
    elements: dict[str, str]
    lon: float
    lat: float
    grid_code: str | None = None
    community_code: str | None = None
    street_code: str | None = None
    county_code: str | None = None
    label: str = ""


@dataclass
class GeocodeResult:
    query: str
    normalized: str
    qualifiers: tuple[str, ...] = ()
    candidates: list[Candidate] = field(default_factory=list)
    reason: str | None = None
    parsed: Parsed | None = None


def outside_grid(level: str, grid_code: str | None) -> bool:
    """A point answer (door plate … road) that no unit grid cell of the loaded city holds."""
    return level not in _UNIT_CODES and level != "" and not grid_code


def check_query(query: str | None) -> str:
    """Refuse what cannot be an address (→ 400); return the query."""
    if query is None or not query.strip():
        raise InvalidParameter("address: empty query; give an address such as 深南大道6008号")
    if len(query) > MAX_LENGTH:
        raise InvalidParameter(f"address: {len(query)} characters; an address has at most {MAX_LENGTH}")
    if _CONTROL.search(query):
        raise InvalidParameter("address: control characters are not allowed")
    if query.strip() in ERROR_VALUES:  # a spreadsheet's failed formula, not a place named #N/A
        raise InvalidParameter(error_value_reason("address", query.strip()))
    return query


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance on a local equirectangular plane: exact enough within a city."""
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, lat2 - lat1) * _METRES_PER_DEGREE


def geocode(gaz: Gazetteer, query: str, *, limit: int = 5) -> GeocodeResult:
    """Geocode one address (checked with check_query first); coordinates in EPSG:4490.

    Answers are memoised per snapshot, by the query as given and by its normalised text (addresses
    of city-management cases recur: the same streets, estates and landmarks day after day)."""
    check_query(query)
    queries = memo(gaz, "geocode.query")
    norm = queries.get((query, limit))
    if norm is None:
        norm = normalize(query, gaz.protected)
        queries.put((query, limit), norm)
    texts = memo(gaz, "geocode.text")
    answer: tuple[tuple[Candidate, ...], str | None, Parsed | None] | None = texts.get((norm.text, limit))
    if answer is None:
        answer = _answer(gaz, norm.text, limit)
        texts.put((norm.text, limit), answer)
    candidates, reason, parsed = answer
    return GeocodeResult(query, norm.text, norm.qualifiers, list(candidates), reason, parsed)


def _answer(gaz: Gazetteer, text: str, limit: int) -> tuple[tuple[Candidate, ...], str | None, Parsed | None]:
    """Candidates, reason and parse of one normalised address."""
    if not has_han(text):
        return (), "no Chinese address text in the query", None
    parsed = parse(text, gaz.admin, gaz.roads, gaz.pois, home=gaz.home)
    found: Found = []
    _ladder(gaz, parsed, found)
    candidates = _finish(gaz, parsed, found, limit)
    if not candidates:  # nothing found, or only places outside the county the text names
        found = []
        _enclosing(gaz, parsed, found)
        candidates = _finish(gaz, parsed, found, limit)
    if candidates:
        best = candidates[0]
        reason = None
        if outside_grid(best.level, best.grid_code):
            unit = "grid cell" if best.county_code else "grid cell or district"
            reason = (f"{OUTSIDE_GRID}: no loaded {unit} holds the place found, so it has no grid code; "
                      "check the address, or load the grid of that area")
        return tuple(candidates), reason, parsed
    reason = (
        "the address names no place in the loaded gazetteer"
        if parsed.elements
        else "no address elements recognised"
    )
    return (), reason, parsed


def _ladder(gaz: Gazetteer, parsed: Parsed, found: Found) -> None:
    el = parsed.elements
    if parsed.intersection:
        _intersection(gaz, parsed.intersection, parsed, found)
    road = el.get("road")
    if parsed.intersection and road == parsed.intersection[0]:
        road = None  # the crossing's own roads are placed above
    for road_key, similarity, kinship in _roads_like(gaz, road) if road else []:
        matched = {"road": road_key}
        compound = COMPOUND.match(el.get("estate", ""))
        plate = el.get("house_number") or (compound[1] if compound else "")  # 4号院: behind door plate 4
        # a sibling road's numbers are not the named road's
        door = door_number(plate) if kinship is Kinship.SAME else None
        if door:
            _number(gaz, road_key, door[0], el.get("sub_number", ""), similarity, matched, found)
        numbered = _nearest_numbered(gaz, road_key, door[0]) if door else None
        for x, y in [numbered] if numbered else _road_points(gaz, road_key, parsed):
            found.append(("road", 0.6 * similarity, matched, x, y))
    for key in ("poi", "estate", "sub_poi"):
        if key in el:
            _poi(gaz, el[key], key, found)
    if not found and not road and parsed.text:
        _poi(gaz, parsed.text, "poi", found)
    if not any(f[0] in ("door_plate", "interpolated", "intersection", "poi") for f in found):
        _poi_address(gaz, parsed.text, found)
    for level, area_level, score, areas in _admin_rungs(gaz):
        entry = parsed.admin.get(area_level)
        for candidate in [entry] if entry else _loaded(gaz, parsed, area_level):
            point = areas.point_of(candidate.code)
            if point:
                found.append(
                    (level, score, {area_level: parsed.elements.get(area_level, candidate.name)}, *point)
                )


def _enclosing(gaz: Gazetteer, parsed: Parsed, found: Found) -> None:
    """A community or town the gazetteer holds no area for (street boundaries are often not surveyed):
    answer with the nearest unit above it that is loaded, at that unit's level, so the case still
    reaches the right street or district instead of no one (东孚镇洪塘村 → 海沧区)."""
    rungs = {area_level: (level, score, areas) for level, area_level, score, areas in _admin_rungs(gaz)}
    deepest = parsed.deepest_admin()
    for entry in [deepest] if deepest else parsed.admin_candidates:
        if entry.level not in ("community", "town"):
            continue
        matched = {entry.level: parsed.elements.get(entry.level, entry.name)}
        for above in reversed(gaz.admin.chain(entry.code)[:-1]):
            if above.level in rungs:
                level, score, areas = rungs[above.level]
                point = areas.point_of(above.code)
                if point:
                    found.append((level, score, matched, *point))
                    break


_RUNGS = (("community", "community", 0.5), ("street", "town", 0.4), ("district", "district", 0.3))


def _admin_rungs(gaz: Gazetteer) -> list[tuple[str, str, float, Areas]]:
    """The admin rungs of the ladder: match level, admin level, score, the loaded areas."""
    return [(level, area_level, score, areas) for level, area_level, score in _RUNGS
            if (areas := gaz.areas_of(area_level)) is not None]


def _loaded(gaz: Gazetteer, parsed: Parsed, level: str) -> list[AdminEntry]:
    """Ambiguous admin names (鼓楼区 is in four cities): the readings the loaded city has."""
    return [e for e in parsed.admin_candidates if e.level == level]


def _roads_like(gaz: Gazetteer, road: str) -> list[tuple[str, float, Kinship]]:
    """The known road of this name, else near names of the same stem (see near_names), best first."""
    if road in gaz.roads.names:
        return [(road, 1.0, Kinship.SAME)]
    hits = []
    for name in gaz.road_stems.get(road_parts(road)[0], ()):
        kinship = road_kinship(road, name)
        score = fuzz.ratio(road, name)
        if kinship and score >= _FUZZY_CUTOFF:
            weight = _SIBLING if kinship is Kinship.SIBLING else 1.0
            hits.append((name, score / 100 * 0.9 * weight, kinship))
    return sorted(hits, key=lambda hit: -hit[1])[:3]


def _number(
    gaz: Gazetteer, road: str, number: int, sub: str, similarity: float, matched: dict[str, str], found: Found
) -> None:
    with_number = {**matched, "house_number": f"{number}号"}
    plates = gaz.plates.get(road)
    if plates is not None:
        # plates are sorted by number: the ones with this number are one run
        same = range(*_run(plates.numbers, number))
        if len(same):
            exact = [i for i in same if plates.subs[i] == sub]
            i = exact[0] if exact else same[0]
            score = 1.0 if exact else 0.95
            found.append(("door_plate", score * similarity, with_number, *plates.xy[i]))
            return
        point = _interpolate(plates, number)
        if point:
            found.append(("interpolated", point[2] * similarity, with_number, point[0], point[1]))
            return
    for side, first, last, parity, line in gaz.ranges.get(road, []):
        if min(first, last) <= number <= max(first, last) and (
            parity == "all" or (number % 2 == 1) == (parity == "odd")
        ):
            fraction = 0.5 if last == first else (number - first) / (last - first)
            p = shapely.line_interpolate_point(line, fraction, normalized=True)
            found.append(("interpolated", 0.8 * similarity, {**with_number, "side": side}, p.x, p.y))
            return


def _interpolate(plates: Plates, number: int) -> tuple[float, float, float] | None:
    """Between the nearest known numbers on the same side (odd/even), else beside the nearest one."""
    numbers, xy = plates.numbers, plates.xy
    below, above = _run(numbers, number)
    for parity, penalty in ((number % 2, 1.0), (None, 0.9)):
        a = _next_plate(numbers, below - 1, -1, parity)
        b = _next_plate(numbers, above, len(numbers), parity)
        if a is not None and b is not None:
            t = (number - numbers[a]) / (numbers[b] - numbers[a])
            x, y = xy[a] + t * (xy[b] - xy[a])
            span = int(numbers[b] - numbers[a])
            return float(x), float(y), penalty * (0.9 if span <= 20 else 0.8)
    nearest = int(np.argmin(np.abs(numbers - number)))
    if abs(int(numbers[nearest]) - number) <= 20:
        return float(xy[nearest, 0]), float(xy[nearest, 1]), 0.7
    return None


def _run(numbers: np.ndarray, number: int) -> tuple[int, int]:
    """Positions of the first plate numbered `number` or higher and the first one higher (sorted)."""
    return int(numbers.searchsorted(number, "left")), int(numbers.searchsorted(number, "right"))


def _next_plate(numbers: np.ndarray, start: int, stop: int, parity: int | None) -> int | None:
    """The first position from start towards stop (exclusive) whose number has this parity (any: None)."""
    for i in range(start, stop, 1 if stop > start else -1):
        if parity is None or numbers[i] % 2 == parity:
            return i
    return None


def _nearest_numbered(gaz: Gazetteer, road: str, number: int) -> tuple[float, float] | None:
    """The plate of the road whose number is nearest: numbers run along a road, so a number beyond the
    known ones lies nearer that end than the road's middle."""
    plates = gaz.plates.get(road)
    if plates is None or not len(plates.numbers):
        return None
    i = int(np.argmin(np.abs(plates.numbers - number)))
    return float(plates.xy[i, 0]), float(plates.xy[i, 1])


def _road_points(gaz: Gazetteer, road: str, parsed: Parsed) -> list[tuple[float, float]]:
    """Where a road-level answer lies: on the road inside the deepest unit the text names that it runs
    through (a community, else its street, else its county); for a unit name that several loaded units
    bear (下沙社区 is in two districts of 深圳), in each of them; else at the road's own point."""
    named = _named_unit(gaz, parsed)
    points = []
    for reading in [named] if named else parsed.admin_candidates:
        for unit in reversed(gaz.admin.chain(reading.code)):
            if point := gaz.road_point_in(road, unit):
                points.append(point)
                break
    own = gaz.road_points.get(road)
    return list(dict.fromkeys(points)) or ([own] if own else [])


def _intersection(gaz: Gazetteer, roads: tuple[str, str], parsed: Parsed, found: Found) -> None:
    first, second = (_roads_like(gaz, r)[:1] for r in roads)
    if not first or not second:
        # one road unknown: somewhere along the other, when its name is exact (a near name of one
        # road, with no second to confirm it, is as likely another road across the city)
        exact = [(road, similarity) for road, similarity, _ in first + second if similarity == 1.0]
        _along(gaz, exact, parsed, found)
        return
    (a, sa, _), (b, sb, _) = first[0], second[0]
    la, lb = gaz.road_lines.get(a), gaz.road_lines.get(b)
    if la is None or lb is None:
        _along(gaz, [(a, sa), (b, sb)], parsed, found)  # without centre lines the crossing is unknown
        return
    matched = {"intersection": f"{a}与{b}", "road": a, "sub_road": b}
    crossing = shapely.intersection(la, lb)
    points = (
        [p for p in shapely.get_parts(crossing) if p.geom_type == "Point"] if not crossing.is_empty else []
    )
    if not points:
        (ax, ay), (bx, by) = shapely.get_coordinates(shapely.shortest_line(la, lb))
        if metres(ax, ay, bx, by) > _CROSSING_GAP_M:
            return
        points = [shapely.Point((ax + bx) / 2, (ay + by) / 2)]
    # several crossings of the same two names (dual carriageways): one place when close together
    kept: list[shapely.Point] = []
    for p in points:
        if all(metres(p.x, p.y, k.x, k.y) > 150 for k in kept):
            kept.append(p)
    for p in kept:
        found.append(("intersection", 0.9 * sa * sb / len(kept) ** 0.5, matched, p.x, p.y))


def _along(gaz: Gazetteer, roads: list[tuple[str, float]], parsed: Parsed, found: Found) -> None:
    """Roads of an intersection that cannot be placed: each somewhere along itself, at a lower level."""
    for road, similarity in roads:
        for point in _road_points(gaz, road, parsed):
            found.append(("road", 0.5 * similarity, {"road": road}, *point))


def _poi(gaz: Gazetteer, name: str, key: str, found: Found) -> None:
    name = gaz.poi_short.get(name, name)
    rows = gaz.poi_rows.get(name)
    hits = (
        [(name, 1.0)]
        if rows
        else [
            (n, s / 100 * 0.85)
            for n, s, _ in process.extract(
                name, gaz.pois.in_order, scorer=fuzz.WRatio, limit=10, score_cutoff=_FUZZY_CUTOFF + 5
            )
            if same_head(name, n, gaz.home_places)  # not just the generic tail: 创新大厦, 高新技术园
        ]
    )
    for hit, similarity in hits[:3]:
        for _, _, x, y in gaz.poi_rows[hit]:
            found.append(("poi", 0.95 * similarity, {key: hit}, x, y))


def _poi_address(gaz: Gazetteer, text: str, found: Found) -> None:
    """The address of a known POI (POIs carry addresses: 软件园二期观日路 …) is a place too."""
    if text in gaz.poi_addresses:
        hits = [(text, 1.0)]
    else:
        # near addresses are compared without the county names they begin with: 福建省厦门市思明区 in
        # front of two addresses makes them no more alike
        core, cores = gaz.home_counties.sub("", text), gaz.poi_address_cores
        near = (
            process.extract(core, cores.keys(), scorer=fuzz.ratio, limit=2, score_cutoff=_FUZZY_CUTOFF + 5)
            if len(core) >= 2  # an address of county names only is no address to compare
            else []
        )
        hits = [(address, s / 100 * 0.8) for n, s, _ in near for address in cores[n]]
    for address, similarity in hits:
        for name, x, y in gaz.poi_addresses[address][:3]:
            found.append(("poi", 0.9 * similarity, {"poi": name, "address": address}, x, y))


def _finish(gaz: Gazetteer, parsed: Parsed, found: Found, limit: int) -> list[Candidate]:
    if not found:
        return []
    named = _named_unit(gaz, parsed)
    written = [*parsed.admin.values(), *([named] if named else [])]
    text_codes = [e.code for e in written if len(e.code) >= 6]
    county = gaz.admin.scope(named)[:6] if named else ""  # the county (or city) the text names
    out: list[Candidate] = []
    for level, score, matched, x, y in found:
        lon, lat, row = _rounded(gaz, float(x), float(y))
        here = row["community_code"] or row["street_code"] or row["county_code"] or ""
        if (
            here
            and level not in ("community", "street", "district")
            and any(not (here.startswith(c) or c.startswith(here)) for c in text_codes)
        ):
            # the text names another county / street / community than the place found: another
            # county (also through its town or community: 灌口镇 is in 集美区) rules the place out
            if not here.startswith(county):
                continue
            score *= 0.7
        codes = _codes_of(level, row)
        label = _label(gaz, codes, matched)
        out.append(Candidate(level, round(score, 3), matched, lon, lat, label=label, **codes))
    out.sort(key=lambda c: (-c.score, _RANK[c.level]))
    unique: list[Candidate] = []
    for c in out:
        if all(metres(c.lon, c.lat, u.lon, u.lat) > 5 or c.level != u.level for u in unique):
            unique.append(c)
    return unique[:limit]


def _rounded(gaz: Gazetteer, x: float, y: float) -> tuple[float, float, dict[str, str | None]]:
    """The point rounded to 7 decimals (≈ 1 cm) and its codes, which are those of the rounded point.

    A point within a centimetre of a cell's edge may round into the next cell (road points often lie on
    the boundary the road is): then the point of the 7-decimal lattice around it that stays in the cell,
    else in the community, street, county found, is taken."""
    codes = gaz.codes_at(x, y)
    lon, lat = round(x, 7), round(y, 7)
    if gaz.codes_at(lon, lat) == codes:
        return lon, lat, codes

    def kept(point: tuple[float, float]) -> tuple[bool, ...]:
        found = gaz.codes_at(*point)
        units = _UNIT_CODES["community"]
        return (found == codes, *(found[k] is not None and found[k] == codes[k] for k in units))

    corners = itertools.product(_lattice_neighbours(x), _lattice_neighbours(y))
    best = max([(lon, lat), *corners], key=kept)  # the first of the best: the rounded point on a tie
    return best[0], best[1], gaz.codes_at(*best)


def _lattice_neighbours(value: float) -> tuple[float, float]:
    """The 7-decimal values just below and just above `value`."""
    scaled = value * 1e7
    return round(math.floor(scaled) / 1e7, 7), round(math.ceil(scaled) / 1e7, 7)


def _codes_of(level: str, codes: dict[str, str | None]) -> dict[str, str | None]:
    """The codes an answer of `level` carries (see _UNIT_CODES)."""
    kept = _UNIT_CODES.get(level)
    return codes if kept is None else {k: (v if k in kept else None) for k, v in codes.items()}


def _named_unit(gaz: Gazetteer, parsed: Parsed) -> AdminEntry | None:
    """The deepest admin unit the text names; of a name that several units bear (灌口 is also in
    Sichuan), the one reading at home when there is one."""
    deepest = parsed.deepest_admin()
    if deepest:
        return deepest
    at_home = [e for e in parsed.admin_candidates if e.code[:4] in gaz.home]
    return at_home[0] if len(at_home) == 1 else None


def _label(gaz: Gazetteer, codes: dict[str, str | None], matched: dict[str, str]) -> str:
    parts = []
    for code in (codes["county_code"], codes["street_code"], codes["community_code"]):
        entry = gaz.admin.by_code.get(code) if code else None
        if entry:
            parts.append(entry.short_name)
    place = "".join(
        v for k, v in matched.items() if k in ("road", "house_number", "poi", "estate", "sub_poi")
    )
    if "intersection" in matched:
        place = matched["intersection"] + "交叉口"
    return "".join(parts) + place if place and place not in parts else "".join(parts)
