"""GPS fix batches: parsing and the per-row checks that need no database (layers/vehicle_fixes.py)."""

import json
import math
from datetime import UTC, datetime, timedelta

import pytest

from gis.crs import wgs84_to_gcj02
from gis.errors import InvalidParameter
from layers.vehicle_fixes import FixLimits, check_rows, implied_speed_kmh, parse_batch, summary

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
FUTIAN = (113.95, 22.49, 114.08, 22.58)
LIMITS = FixLimits(
    extent=FUTIAN, now=NOW, future_tolerance_s=120, oldest=NOW - timedelta(days=90), max_speed_kmh=150
)


def _fix(**overrides: object) -> dict[str, object]:
    fix: dict[str, object] = {
        "vehicle": "FT001",
        "time": NOW.isoformat(),
        "lon": 114.03,
        "lat": 22.54,
        "speed": 20.5,
        "heading": 90,
    }
    fix.update(overrides)
    return {k: v for k, v in fix.items() if v is not None}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xff\xfe garbage",
        b'"fixes"',
        b"42",
        b'{"fixes": {}}',
        b'{"rows": []}',
        b'{"fixes": [], "crs": 4490}',
    ],
    ids=[
        "empty",
        "truncated",
        "not-utf8",
        "string",
        "number",
        "object-not-list",
        "wrong-key",
        "crs-not-text",
    ],
)
def test_a_body_that_is_not_a_batch_is_refused(body):
    with pytest.raises(InvalidParameter):
        parse_batch(body, max_rows=100)


def test_a_batch_over_the_row_limit_is_refused():
    with pytest.raises(InvalidParameter, match="at most 3"):
        parse_batch(json.dumps({"fixes": [_fix()] * 4}).encode(), max_rows=3)


def test_a_bare_array_and_the_batch_crs_are_read():
    assert parse_batch(b"[]", max_rows=1) == ([], None)
    assert parse_batch(b'{"fixes": [], "crs": "gcj02"}', max_rows=1) == ([], "gcj02")


HOSTILE = [
    ("not-object", [1], "not a JSON object"),
    ("no-vehicle", _fix(vehicle=None), "vehicle: missing"),
    ("vehicle-number", _fix(vehicle=7), "vehicle: missing"),
    ("vehicle-nul", _fix(vehicle="FT\x00001"), "not printable"),  # PostgreSQL text holds no NUL
    ("vehicle-control", _fix(vehicle="FT\x1b001"), "not printable"),
    ("no-lon", _fix(lon=None), "lon: missing"),
    ("lat-text", _fix(lat="22.5"), "lat: not a number"),
    ("lat-bool", _fix(lat=True), "lat: not a number"),
    ("nan", _fix(lon=math.nan), "lon: not a finite number"),
    ("infinite", _fix(lat=math.inf), "lat: not a finite number"),
    ("huge-integer", _fix(lon=10**400), "lon: not a finite number"),
    ("speed-nan", _fix(speed=math.nan), "speed: not a finite number"),
    ("no-time", _fix(time=None), "time: missing"),
    ("naive-time", _fix(time="2026-11-23T08:00:00"), "no UTC offset"),
    ("garbage-time", _fix(time="yesterday"), "not an ISO 8601 time"),
    ("future", _fix(time=(NOW + timedelta(hours=1)).isoformat()), "in the future"),
    ("too-old", _fix(time=(NOW - timedelta(days=400)).isoformat()), "older than the retention"),
    ("swapped", _fix(lon=22.54, lat=114.03), "lon/lat swapped"),
    ("outside", _fix(lon=116.4, lat=39.9), "outside the city"),
    ("bad-crs", _fix(crs="EPSG:999999"), "crs:"),
    ("projected-crs", _fix(crs="EPSG:4547"), "not lon/lat"),
    ("speed", _fix(speed=-3), "speed:"),
    ("heading", _fix(heading=400), "heading:"),
]


@pytest.mark.parametrize(
    ("row", "reason"), [(r, why) for _, r, why in HOSTILE], ids=[i for i, _, _ in HOSTILE]
)
def test_a_hostile_row_is_rejected_with_its_reason_and_the_good_rows_pass(row, reason):
    rows = [_fix(vehicle="FT001"), row[0] if isinstance(row, list) else row, _fix(vehicle="FT002")]
    outcomes, fixes = check_rows(rows, None, LIMITS)
    assert [o.status for o in outcomes] == ["accepted", "rejected", "accepted"]
    assert any(reason in r for r in outcomes[1].reasons), outcomes[1].reasons
    assert [f.vehicle for f in fixes] == ["FT001", "FT002"]
    assert summary(outcomes) == {"accepted": 2, "flagged": 0, "rejected": 1}


def test_gcj02_fixes_are_converted_to_cgcs2000():
    gcj_lon, gcj_lat = wgs84_to_gcj02(114.03, 22.54)
    rows = [_fix(lon=float(gcj_lon), lat=float(gcj_lat), crs="gcj02"), _fix(vehicle="FT002")]
    _, fixes = check_rows(rows, None, LIMITS)
    assert fixes[0].lon == pytest.approx(114.03, abs=1e-6) and fixes[0].lat == pytest.approx(22.54, abs=1e-6)
    assert (fixes[1].lon, fixes[1].lat) == (114.03, 22.54)


def test_the_batch_crs_applies_unless_a_row_names_its_own():
    gcj_lon, gcj_lat = wgs84_to_gcj02(114.03, 22.54)
    rows = [_fix(lon=float(gcj_lon), lat=float(gcj_lat)), _fix(crs="EPSG:4490")]
    _, fixes = check_rows(rows, "gcj02", LIMITS)
    assert fixes[0].lon == pytest.approx(114.03, abs=1e-6)
    assert fixes[1].lon == 114.03


def test_unix_seconds_and_offsets_give_the_same_instant():
    rows = [_fix(time=NOW.timestamp()), _fix(time="2026-11-23T16:00:00+08:00"),
            _fix(time="2026-11-23t08:00:00z")]  # RFC 3339's lower-case T and Z
    _, fixes = check_rows(rows, None, LIMITS)
    assert fixes[0].t == fixes[1].t == fixes[2].t == NOW


def test_implied_speed_of_a_kilometre_in_a_minute_is_60_kmh():
    # 1 km north is 1/111.195 degrees of latitude on the sphere used
    speed = implied_speed_kmh(114.0, 22.5, NOW, 114.0, 22.5 + 1 / 111.195, NOW + timedelta(minutes=1))
    assert speed == pytest.approx(60.0, rel=1e-3)
    assert implied_speed_kmh(114.0, 22.5, NOW, 114.1, 22.5, NOW) == math.inf


def test_integers_and_floats_give_the_same_fix():
    """Whole numbers (as some gateways send them) take the detailed checks and end up equal."""
    rows = [_fix(lon=114, lat=22, speed=30, heading=360),
            _fix(lon=114.0, lat=22.0, speed=30.0, heading=360.0)]
    limits = FixLimits((113.0, 21.0, 115.0, 23.0), LIMITS.now, LIMITS.future_tolerance_s, LIMITS.oldest,
                       LIMITS.max_speed_kmh)
    outcomes, fixes = check_rows(rows, None, limits)
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert [(f.lon, f.lat, f.speed_kmh, f.heading_deg) for f in fixes] == [(114.0, 22.0, 30.0, 0.0)] * 2
    assert all(type(v) is float for f in fixes for v in (f.lon, f.lat, f.speed_kmh, f.heading_deg))
