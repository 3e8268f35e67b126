"""Whether a survey's lon/lat fit the city's roads better with a consumer map's offset undone.

Coordinates picked on 高德, 腾讯 or 百度 maps, or exported by their SDKs, are GCJ-02 or BD-09: lon/lat
shifted by a few hundred metres from CGCS2000/WGS84. Saved as plain lon/lat (a CSV without a CRS, a
Shapefile given a WGS84 .prj), they read as a plausible city, and nothing in a single row shows the shift.
What shows it is the pattern: lamps, manhole covers and bins stand at roads, so a file read in the right
system lies a few metres from the road centre lines, and one read in the wrong system lies wherever the
shift put it. For a sample of each file's rows, the distance to the nearest road (`onemap.road`) is
measured as read and as each other system would read it; a note names the system that brings most rows
closer and their median markedly so. A file of components away from roads (trees in a park) fits neither,
and gets no note.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
import shapely

from gis.crs import CGCS2000, WGS84, CrsSpec, xy_from_cgcs2000, xy_to_cgcs2000
from layers.survey_rows import SurveyRows

SAMPLE_ROWS = 500  # rows measured per file, spread evenly over it
TOTAL_ROWS = 6000  # rows measured in all, in a delivery of many files: fewer per file, at least MIN_ROWS
# Fewer rows say too little: a few dozen points scattered with no regard to the roads can meet the
# conditions below by chance (tests/layers/test_survey_offsets.py draws sets of MIN_ROWS that must not)
MIN_ROWS = 50
# A system is named when it brings at least CLOSER_SHARE of the rows closer to a road, and their median
# distance to at most FIT_SHARE of the one read in, to at most FIT_M metres (the rows stand at the roads)
# and at least GAIN_M metres closer
CLOSER_SHARE = 0.7
FIT_SHARE = 0.5
FIT_M = 30.0
GAIN_M = 10.0
# The systems a lon/lat file may be in, as --crs names them: how a note describes each, when a file is in it
_SYSTEMS = {
    "EPSG:4490": (CrsSpec(epsg=CGCS2000), "plain lon/lat (CGCS2000 or WGS84)",
                  "if its coordinates come from a GNSS receiver or a survey, pass --crs EPSG:4490"),
    "gcj02": (CrsSpec(offset="gcj02"), "GCJ-02 (the offset lon/lat of 高德 and 腾讯 maps)",
              "if its coordinates were picked on or converted by such a map, pass --crs gcj02"),
    "bd09": (CrsSpec(offset="bd09"), "BD-09 (the offset lon/lat of 百度 maps)",
             "if its coordinates were picked on or converted by such a map, pass --crs bd09"),
}
# Mercator stretches distances by 1/cos(lat): the distance in its metres times cos(lat) is the true one
_NEAREST_ROAD_SQL = """
SELECT (SELECT ST_Distance(r.geom_3857, p.geom) FROM onemap.road r
        ORDER BY r.geom_3857 <-> p.geom LIMIT 1) * cosd(t.y)
FROM unnest(%(x)s::float8[], %(y)s::float8[]) WITH ORDINALITY AS t(x, y, n),
     LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(t.x, t.y), 4490), 3857) AS geom) AS p
ORDER BY t.n
"""


@dataclass(frozen=True)
class ReadLayer:
    """One file's geometries in EPSG:4490 and the CRS they were read in."""

    label: str
    geometries: np.ndarray
    crs: CrsSpec


def layers_of(rows: SurveyRows) -> list[ReadLayer]:
    """The files of an import's rows that were read with coordinates, each with its CRS."""
    if not rows.crs_of_files:
        return []
    codes, labels = pd.factorize(rows.files)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(labels))
    starts = np.cumsum(counts) - counts
    geometries = np.asarray(rows.geometries, dtype=object)
    return [ReadLayer(str(label), geometries[order[start:start + count]], rows.crs_of_files[str(label)])
            for label, start, count in zip(labels, starts, counts, strict=True)
            if str(label) in rows.crs_of_files]


def offset_notes(conn: psycopg.Connection, layers: Sequence[ReadLayer]) -> list[str]:
    """A note per file whose rows lie markedly closer to the roads read in another lon/lat system."""
    lon_lat = [layer for layer in layers if _lon_lat(layer.crs)]
    size = max(MIN_ROWS, min(SAMPLE_ROWS, TOTAL_ROWS // max(len(lon_lat), 1)))
    samples = [(layer, *sample) for layer in lon_lat if (sample := _sample(layer, size)) is not None]
    if not samples or conn.execute("SELECT NOT EXISTS (SELECT FROM onemap.road)").fetchone() == (True,):
        return []
    # every sample as read, then as each other system reads it, measured in one query
    readings = [(x, y) if system is None else _read_as(x, y, layer.crs, system)
                for layer, x, y, _ in samples for system in (None, *_others(layer.crs))]
    found = conn.execute(_NEAREST_ROAD_SQL, {"x": np.concatenate([x for x, _ in readings]).tolist(),
                                             "y": np.concatenate([y for _, y in readings]).tolist()})
    distances = iter(np.split(np.array([metres for metres, in found], dtype=float),
                              np.cumsum([len(x) for x, _ in readings])[:-1]))
    notes = []
    for layer, x, _, rows in samples:
        as_read = next(distances)
        others = {system: next(distances) for system in _others(layer.crs)}
        fits = {system: float(np.median(other)) for system, other in others.items()
                if _fits_better(other, as_read)}
        if fits:
            system = min(fits, key=fits.__getitem__)
            notes.append(_note(layer, len(x), rows, float(np.median(as_read)), fits[system], system))
    return notes


def _read_as(x: np.ndarray, y: np.ndarray, crs: CrsSpec, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat in EPSG:4490 read in `crs`, as they would be read in `system` instead."""
    raw_x, raw_y = xy_from_cgcs2000(x, y, crs)
    return xy_to_cgcs2000(raw_x, raw_y, _SYSTEMS[system][0])


def _sample(layer: ReadLayer, size: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """x, y of up to `size` rows spread evenly over a file, and its rows with a geometry; None for a file
    with too few rows."""
    geometries = np.asarray(layer.geometries, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(geometries) & ~shapely.is_empty(geometries))
    if len(present) < MIN_ROWS:
        return None
    chosen = present[np.unique(np.linspace(0, len(present) - 1, min(size, len(present))).astype(int))]
    points = shapely.point_on_surface(geometries[chosen])
    x, y = shapely.get_x(points), shapely.get_y(points)
    finite = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    if finite.sum() < MIN_ROWS:
        return None
    return x[finite], y[finite], len(present)


def _lon_lat(crs: CrsSpec) -> bool:
    """Lon/lat a consumer map's offset could hide in: CGCS2000, WGS84 or an offset system itself."""
    return crs.offset is not None or crs.epsg in (CGCS2000, WGS84)


def _others(crs: CrsSpec) -> list[str]:
    """The systems (as --crs names them) other than the one `crs` reads in."""
    read_as = crs.offset or "EPSG:4490"
    return [system for system in _SYSTEMS if system != read_as]


def _fits_better(other: np.ndarray, as_read: np.ndarray) -> bool:
    """Whether the distances of the rows read another way (`other`) fit the roads markedly better."""
    median, read_median = float(np.median(other)), float(np.median(as_read))
    return (float(np.mean(other < as_read)) >= CLOSER_SHARE and median <= FIT_SHARE * read_median
            and median <= FIT_M and read_median - median >= GAIN_M)


def _note(layer: ReadLayer, sampled: int, rows: int, as_read: float, median: float, system: str) -> str:
    _, described, advice = _SYSTEMS[system]
    read_in = str(layer.crs) if layer.crs.offset is not None else f"plain lon/lat ({layer.crs})"
    measured = f"{sampled} of its {rows} rows" if sampled < rows else f"its {rows} rows"
    return (f"{layer.label}: read as {read_in}, {measured} lie a median {as_read:.0f} m from the nearest "
            f"road; read as {described}, {median:.0f} m: {advice}")
