"""GPS fix batches as sent by vehicle gateways: parsing and the per-row checks that need no database.

A batch is ``{"crs": "gcj02", "fixes": [{"vehicle", "time", "lon", "lat", "crs"?, "speed"?,
"heading"?}, ...]}`` (or the bare list). Every row gets an outcome; a bad row never fails the
batch. Only a body that is not JSON, or not a batch at all, is an error (InvalidParameter → 400).
"""

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import orjson
import shapely

from gis.crs import CGCS2000, CrsSpec, parse_crs, swapped_lon_lat, to_cgcs2000
from gis.errors import InvalidParameter
from gis.local_time import read_timestamp

Status = Literal["accepted", "flagged", "rejected"]
BBox = tuple[float, float, float, float]
CST = timedelta(hours=8)  # China Standard Time: the days fixes are partitioned by
_DEFAULT_CRS = "EPSG:4490"
_MAX_TEXT = 64


@dataclass
class Outcome:
    """What happened to one row: accepted (stored), flagged (stored with flags, or a duplicate
    that was not stored again) or rejected (not stored, with the reason)."""

    row: int
    vehicle: str | None
    status: Status = "accepted"
    reasons: list[str] = field(default_factory=list)

    def reject(self, reason: str) -> None:
        self.status = "rejected"
        self.reasons.append(reason)

    def flag(self, reason: str) -> None:
        if self.status != "rejected":
            self.status = "flagged"
        self.reasons.append(reason)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"row": self.row, "vehicle": self.vehicle, "status": self.status}
        if self.reasons:
            body["reasons"] = self.reasons
        return body


@dataclass
class Fix:
    """A fix that passed the row checks; lon/lat are CGCS2000 (EPSG:4490)."""

    outcome: Outcome
    vehicle: str
    t: datetime
    lon: float
    lat: float
    speed_kmh: float | None
    heading_deg: float | None
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FixLimits:
    """The plausibility checks of the ingest (settings feeds_*)."""

    extent: BBox | None  # lon/lat box of the city plus a margin; None: not checked
    now: datetime
    future_tolerance_s: float
    oldest: datetime  # fixes older than the retention period are not kept
    max_speed_kmh: float


def _loads(body: bytes) -> Any:
    """orjson, several times faster; the standard parser for what it refuses, so that NaN and
    Infinity (which gateways send, and the standard parser reads) are rejected per row, and a
    body that is not JSON gets the standard parser's error message."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def parse_rows(body: bytes, *, key: str, max_rows: int) -> tuple[list[Any], dict[str, Any]]:
    """The rows of a JSON body ``{key: [...], ...}`` (or a bare array) and the object around them."""
    try:
        document = _loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InvalidParameter(f"the body is not JSON: {str(error)[:120]}") from None
    envelope = document if isinstance(document, dict) else {}
    rows = envelope.get(key) if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise InvalidParameter(f'expected {{"{key}": [...]}} or a JSON array of {key}')
    if len(rows) > max_rows:
        raise InvalidParameter(f"{len(rows)} {key} in one request: at most {max_rows}")
    return rows, envelope


def parse_batch(body: bytes, *, max_rows: int) -> tuple[list[Any], str | None]:
    """The rows and the batch-level CRS of a fix batch, or InvalidParameter."""
    rows, envelope = parse_rows(body, key="fixes", max_rows=max_rows)
    crs = envelope.get("crs")
    if crs is not None and not isinstance(crs, str):
        raise InvalidParameter("crs: expected a string such as EPSG:4490, wgs84 or gcj02")
    return rows, crs


def _number(row: dict[str, Any], name: str, outcome: Outcome, *, required: bool) -> float | None:
    value = row.get(name)
    if value is None:
        if required:
            outcome.reject(f"{name}: missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        outcome.reject(f"{name}: not a number ({str(value)[:_MAX_TEXT]!r})")
        return None
    if not math.isfinite(value) if isinstance(value, float) else abs(value) > 1e300:
        outcome.reject(f"{name}: not a finite number")
        return None
    return float(value)


def _time(row: dict[str, Any], outcome: Outcome) -> datetime | None:
    value = row.get("time")
    if value is None:
        outcome.reject("time: missing")
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and len(value) <= _MAX_TEXT:
            parsed = read_timestamp(value)
            if parsed.tzinfo is None:
                outcome.reject("time: no UTC offset (send e.g. 2026-11-23T08:00:00+08:00)")
                return None
            return parsed
    except (ValueError, OverflowError, OSError):
        pass
    outcome.reject(f"time: not an ISO 8601 time or Unix seconds ({str(value)[:_MAX_TEXT]!r})")
    return None


def _crs(text: object, cache: dict[str, CrsSpec | str]) -> CrsSpec | str:
    """The parsed CRS, or the reason it is refused (cached per batch: gateways send one or two)."""
    key = text if isinstance(text, str) else repr(text)[:_MAX_TEXT]
    if key not in cache:
        try:
            spec = parse_crs(key)
            cache[key] = spec if spec.is_geographic else f"crs: {key!r} is not lon/lat"
        except InvalidParameter as error:
            cache[key] = f"crs: {error}"
    return cache[key]


def _row_fix(
    index: int, row: object, default_crs: str, crs_cache: dict[str, CrsSpec | str]
) -> tuple[Outcome, tuple[Any, ...] | None]:
    if not isinstance(row, dict):
        return Outcome(index, None, "rejected", ["not a JSON object"]), None
    vehicle = row.get("vehicle")
    if not isinstance(vehicle, str) or not 1 <= len(vehicle) <= _MAX_TEXT or not vehicle.isprintable():
        shown = vehicle if isinstance(vehicle, str) and vehicle.isprintable() else None
        reason = "vehicle: missing, not a short string or not printable"
        return Outcome(index, shown, "rejected", [reason]), None
    outcome = Outcome(index, vehicle)
    lon = _number(row, "lon", outcome, required=True)
    lat = _number(row, "lat", outcome, required=True)
    speed = _number(row, "speed", outcome, required=False)
    heading = _number(row, "heading", outcome, required=False)
    t = _time(row, outcome)
    crs = _crs(row.get("crs", default_crs), crs_cache)
    if isinstance(crs, str):
        outcome.reject(crs)
    if speed is not None and not 0 <= speed <= 1000:
        outcome.reject(f"speed: {speed} km/h is out of range 0–1000")
    if heading is not None and not 0 <= heading <= 360:
        outcome.reject(f"heading: {heading}° is out of range 0–360")
    if outcome.status == "rejected" or lon is None or lat is None or t is None or isinstance(crs, str):
        return outcome, None
    return outcome, (vehicle, t, lon, lat, crs, speed, None if heading is None else heading % 360)


_NUMBERS = (int, float)  # exact types: bool is an int subclass and is refused


def _fast_values(row: object, crs: CrsSpec | str) -> tuple[Any, ...] | None:
    """The values of a well-formed row in the batch's CRS (what gateways send), or None: then the
    detailed checks of _row_fix run and say what is wrong. Every check here is one of theirs."""
    if type(row) is not dict or "crs" in row or isinstance(crs, str):
        return None
    vehicle, lon, lat, t = row.get("vehicle"), row.get("lon"), row.get("lat"), row.get("time")
    speed, heading = row.get("speed"), row.get("heading")
    if (
        type(vehicle) is not str
        or not 1 <= len(vehicle) <= _MAX_TEXT
        or not vehicle.isprintable()
        or type(lon) is not float  # (a huge JSON integer would overflow math.isfinite)
        or type(lat) is not float
        or type(t) is not str
        or len(t) > _MAX_TEXT
        or not (math.isfinite(lon) and math.isfinite(lat))
        or (speed is not None and (type(speed) not in _NUMBERS or not 0 <= speed <= 1000))
        or (heading is not None and (type(heading) not in _NUMBERS or not 0 <= heading <= 360))
    ):
        return None
    try:
        parsed = read_timestamp(t)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    speed_kmh = None if speed is None else float(speed)
    heading_deg = None if heading is None else float(heading) % 360
    return (vehicle, parsed, lon, lat, crs, speed_kmh, heading_deg)


def check_rows(rows: list[Any], batch_crs: str | None, limits: FixLimits) -> tuple[list[Outcome], list[Fix]]:
    """Per-row outcomes and the fixes that passed the checks needing no database, in row order."""
    outcomes: list[Outcome] = []
    candidates: list[tuple[Outcome, tuple[Any, ...]]] = []
    crs_cache: dict[str, CrsSpec | str] = {}
    crs = _crs(batch_crs or _DEFAULT_CRS, crs_cache)
    for index, row in enumerate(rows):
        fast = _fast_values(row, crs)
        if fast is not None:
            outcome = Outcome(index, fast[0])
            outcomes.append(outcome)
            candidates.append((outcome, fast))
            continue
        outcome, values = _row_fix(index, row, batch_crs or _DEFAULT_CRS, crs_cache)
        outcomes.append(outcome)
        if values is not None:
            candidates.append((outcome, values))
    if candidates:
        swapped = swapped_lon_lat([v[2] for _, v in candidates], [v[3] for _, v in candidates])
        for (outcome, (_, _, lon, lat, *_)), bad in zip(candidates, swapped, strict=True):
            if bad:
                outcome.reject(f"lon/lat swapped: ({lon}, {lat}) is a (lat, lon) pair")
        candidates = [c for c, bad in zip(candidates, swapped, strict=True) if not bad]
    fixes = _converted(candidates)
    return outcomes, [fix for fix in fixes if _plausible(fix, limits)]


def _converted(candidates: list[tuple[Outcome, tuple[Any, ...]]]) -> list[Fix]:
    """Fixes with CGCS2000 coordinates; one vectorised conversion per source CRS."""
    fixes: list[Fix] = []
    by_crs: dict[CrsSpec, list[int]] = {}
    for position, (_, values) in enumerate(candidates):
        by_crs.setdefault(values[4], []).append(position)
    lon = np.array([values[2] for _, values in candidates], dtype=np.float64)
    lat = np.array([values[3] for _, values in candidates], dtype=np.float64)
    for crs, positions in by_crs.items():
        if crs.epsg in (CGCS2000, 4326):  # CGCS2000 and WGS84 agree to centimetres
            continue
        points = to_cgcs2000(shapely.points(lon[positions], lat[positions]), crs)
        for p, point in zip(positions, points, strict=True):
            lon[p], lat[p] = point.x, point.y
    for position, (outcome, (vehicle, t, _, _, _, speed, heading)) in enumerate(candidates):
        fixes.append(Fix(outcome, vehicle, t, float(lon[position]), float(lat[position]), speed, heading))
    return fixes


def _plausible(fix: Fix, limits: FixLimits) -> bool:
    outcome = fix.outcome
    if limits.extent is not None:
        xmin, ymin, xmax, ymax = limits.extent
        if not (xmin <= fix.lon <= xmax and ymin <= fix.lat <= ymax):
            outcome.reject(f"outside the city: ({fix.lon:.6f}, {fix.lat:.6f}) is not in {limits.extent}")
    if fix.t > limits.now + timedelta(seconds=limits.future_tolerance_s):
        outcome.reject(f"time: {fix.t.isoformat()} is in the future")
    elif fix.t < limits.oldest:
        outcome.reject(f"time: {fix.t.isoformat()} is older than the retention period")
    return outcome.status != "rejected"


def implied_speed_kmh(
    lon0: float, lat0: float, t0: datetime, lon1: float, lat1: float, t1: datetime
) -> float:
    """Ground speed (km/h) of the straight jump between two fixes (equirectangular distance)."""
    dx = math.radians(lon1 - lon0) * math.cos(math.radians((lat0 + lat1) / 2))
    dy = math.radians(lat1 - lat0)
    metres = 6_371_000.0 * math.hypot(dx, dy)
    seconds = abs((t1 - t0).total_seconds())
    return math.inf if seconds == 0 and metres > 1 else metres / max(seconds, 1e-9) * 3.6


def summary(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = {"accepted": 0, "flagged": 0, "rejected": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts
