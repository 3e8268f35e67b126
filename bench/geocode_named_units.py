"""Evaluation: road addresses that name their street or community (香蜜湖街道农轩路), on the loaded city.

Run: .venv/bin/python bench/geocode_named_units.py [--misses]   (after `onemap demo`, or on any loaded
database; --misses lists each address whose first answer lies outside the named unit)

A road runs through several streets (街道) and communities (社区), and hotline addresses name the one
the caller is in. For every road that runs through a loaded unit and on beyond it (at least 0.0005°,
about 50 m, inside; at most 95 % of its length), this geocodes "<unit><road>", the unit written as
addresses write it (下沙社区, not 下沙社区居委会), against the loaded gazetteer, and prints per unit level
the share whose first answer lies in the named unit, and the share where that answer is the road.
"""

import argparse
import sys
from pathlib import Path

import psycopg
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geocoder import gazetteer
from geocoder.forward import geocode
from gis.database import database_url
from gis.settings import Settings

_INSIDE_MIN = 0.0005  # degrees of road inside the unit: a crossing or a touch is no part of it
_INSIDE_MAX = 0.95  # share of the road inside the unit: a road wholly inside needs no unit to place it


def _pairs(areas: gazetteer.Areas, gaz: gazetteer.Gazetteer) -> list[tuple[str, str, str]]:
    """(road, unit code, unit short name) of every road that runs through the unit and beyond it."""
    pairs = []
    for road, line in gaz.road_lines.items():
        total = shapely.length(line)
        inside = shapely.length(shapely.intersection(line, areas.geoms))
        for i in ((inside > _INSIDE_MIN) & (inside < _INSIDE_MAX * total)).nonzero()[0]:
            pairs.append((road, str(areas.codes[i]), gaz.admin.by_code[str(areas.codes[i])].short_name))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the answers outside the named unit")
    args = parser.parse_args()
    with psycopg.connect(database_url(Settings(), start=True)) as conn:
        gaz = gazetteer.load(conn)
    print(f"{len(gaz.road_lines)} roads, {len(gaz.streets.codes)} streets, "
          f"{len(gaz.communities.codes)} communities loaded\n")
    print(f"{'named unit':<12}{'addresses':>10}{'in the unit':>14}{'road there':>14}")
    for level, areas, key in (("street", gaz.streets, "street_code"),
                              ("community", gaz.communities, "community_code")):
        pairs = _pairs(areas, gaz)
        inside = on_road = 0
        misses = []
        for road, code, name in pairs:
            first = next(iter(geocode(gaz, f"{name}{road}").candidates), None)
            if first is not None and getattr(first, key) == code:
                inside += 1
                on_road += first.level == "road"
            else:
                misses.append(f"  {name}{road}: {first.level if first else 'no answer'} in "
                              f"{getattr(first, key, None)}, not {code}")
        n = max(len(pairs), 1)
        print(f"{level:<12}{len(pairs):>10}{f'{100 * inside / n:.1f}% ({inside})':>14}"
              f"{f'{100 * on_road / n:.1f}% ({on_road})':>14}")
        if args.misses and misses:
            print("\n".join(misses))


if __name__ == "__main__":
    main()
