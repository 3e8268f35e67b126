"""Hot spots of cases per areal unit: counts → weights → Gi* → bins, as GeoJSON or the map layer.

Pure steps (``analyse``, ``to_geojson``) are shared by the HTTP API, the CLI and the notebooks;
``store`` writes the latest grid result into ``onemap.hotspot_cell`` (the `hotspots` layer).
"""

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import psycopg
import shapely
from scipy import sparse

from gis.analysis.aggregate import CaseFilter, UnitCounts
from gis.analysis.getisord import GiStar, gi_star
from gis.analysis.significance import hotspot_bins
from gis.analysis.weights import distance_band, queen
from gis.crs import CGCS2000, gauss_kruger_epsg, transform

Inference = Literal["permutation", "analytic"]
WeightsKind = Literal["queen", "distance"]


@dataclass(frozen=True)
class HotspotOptions:
    permutations: int = 999
    seed: int = 0
    fdr: bool = False
    inference: Inference = "permutation"
    weights: WeightsKind = "queen"


@dataclass(frozen=True)
class Hotspots:
    """Gi* of every unit with its count; ``gi`` is None when no case matched (nothing to test)."""

    units: UnitCounts
    gi: GiStar | None
    p: npt.NDArray[np.float64]  # two-sided p of the bins
    bins: npt.NDArray[np.int8]
    options: HotspotOptions


_WEIGHTS_CACHE: "OrderedDict[str, sparse.csr_array]" = OrderedDict()


def unit_weights(geometries: npt.NDArray[np.object_], kind: WeightsKind = "queen") -> sparse.csr_array:
    """Weights of units given in EPSG:4490, computed in their Gauss-Krüger zone (cached by geometry)."""
    digest = hashlib.sha256(kind.encode())
    for wkb in shapely.to_wkb(geometries):
        digest.update(wkb)
    key = digest.hexdigest()
    if key not in _WEIGHTS_CACHE:
        zone = gauss_kruger_epsg(float(np.mean(shapely.bounds(geometries)[:, [0, 2]])))
        projected = transform(geometries, CGCS2000, zone)
        _WEIGHTS_CACHE[key] = queen(projected) if kind == "queen" else distance_band(projected)
        while len(_WEIGHTS_CACHE) > 8:
            _WEIGHTS_CACHE.popitem(last=False)
    return _WEIGHTS_CACHE[key]


def analyse(units: UnitCounts, options: HotspotOptions = HotspotOptions()) -> Hotspots:
    """Gi* and its bins for the counts (an all-zero period yields no statistic and bin 0 everywhere)."""
    n = len(units.codes)
    if n < 2 or units.cases.sum() == 0:
        return Hotspots(units, None, np.ones(n), np.zeros(n, dtype=np.int8), options)
    weights = unit_weights(units.geometries, options.weights)
    gi = gi_star(units.cases, weights, permutations=options.permutations, seed=options.seed)
    p = gi.p_two_sided(options.inference)
    return Hotspots(units, gi, p, hotspot_bins(gi.Zs, p, fdr=options.fdr), options)


def _number(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None


def to_geojson(result: Hotspots, case_filter: CaseFilter) -> dict[str, Any]:
    """A FeatureCollection (EPSG:4490 lon/lat): one feature per unit with cases, gi, z, p, bin.

    An empty period (no case matched) is an empty collection: Gi* is undefined without cases.
    """
    units, gi = result.units, result.gi
    features = []
    if gi is not None:
        for i, code in enumerate(units.codes):
            features.append(
                {
                    "type": "Feature",
                    "id": code,
                    "geometry": json.loads(shapely.to_geojson(units.geometries[i])),
                    "properties": {
                        "code": code,
                        "name": units.names[i],
                        "community": units.communities[i],
                        "street": units.streets[i],
                        "cases": int(units.cases[i]),
                        "gi": _number(gi.Gs[i]),
                        "z": _number(gi.Zs[i]),
                        "p": _number(result.p[i]),
                        "p_sim": _number(gi.p_sim[i]),
                        "bin": int(result.bins[i]),
                        "neighbours": int(gi.cardinality[i]),
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberReturned": len(features),
        "properties": {
            "level": units.level,
            "from": case_filter.date_from.isoformat(),
            "to": case_filter.date_to.isoformat(),
            "classes": list(case_filter.classes),
            "cases": int(units.cases.sum()),
            "permutations": result.options.permutations,
            "inference": result.options.inference,
            "fdr": result.options.fdr,
            "weights": result.options.weights,
        },
    }


DELETE_SQL = "DELETE FROM onemap.hotspot_cell"
# One statement (so the layer's data_version moves once), not one INSERT per cell.
COPY_SQL = (
    "COPY onemap.hotspot_cell (grid_code, cases, gi, z, p, bin, period_from, period_to, class_codes, "
    "permutations, fdr) FROM STDIN"
)


def store_rows(result: Hotspots, case_filter: CaseFilter) -> list[tuple[Any, ...]]:
    """Rows of ``onemap.hotspot_cell`` for a grid-level result."""
    if result.units.level != "grid":
        raise ValueError("only unit grid results are stored as the hotspots layer")
    gi = result.gi
    rows = []
    for i, code in enumerate(result.units.codes):
        rows.append(
            (
                code,
                int(result.units.cases[i]),
                _number(gi.Gs[i]) if gi else None,
                _number(gi.Zs[i]) if gi else None,
                _number(result.p[i]),
                int(result.bins[i]),
                case_filter.date_from,
                case_filter.date_to,
                ",".join(case_filter.classes),
                result.options.permutations,
                result.options.fdr,
            )
        )
    return rows


def store(conn: psycopg.Connection, result: Hotspots, case_filter: CaseFilter) -> int:
    """Replace the `hotspots` layer with this grid result in one transaction; return the cells written."""
    rows = store_rows(result, case_filter)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(DELETE_SQL)
        with cur.copy(COPY_SQL) as copy:
            for row in rows:
                copy.write_row(row)
    return len(rows)
