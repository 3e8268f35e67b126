"""Evaluation: forward geocoding of real Xiamen addresses against a gazetteer built from other Xiamen POIs.

Run: .venv/bin/python bench/geocode_xiamen.py [--shared ../shared/data] [--file POIS.csv] [--answers OUT.csv]

Builds a scratch database (dropped afterwards) with the districts of the POIs' cities (their
district_adcode_pip; ../shared/data/boundaries, GCJ-02 → CGCS2000), and a gazetteer from every other
row of the POI file (../shared/data/xiamen_poi/xiamen_poi_dev.csv unless --file): the POIs by
name and, where the address is road + number, a door plate. The addresses of the remaining rows are
geocoded; printed: share within 50 m / 200 m / 1 km of the true point, right district, no answer,
per match level, over the answered addresses (how far an answer can be trusted) and overall.
--answers FILE writes each test address's answer (level, matched elements, county, metres off; for no
answer, the parsed elements), so two runs can be compared row by row.
"""

import argparse
import csv
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import psycopg
import shapely
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geocoder import gazetteer
from geocoder.forward import geocode, metres
from geocoder.imports import _split_address
from gis.crs import gcj02_to_wgs84
from gis.database import database_url
from gis.localdb import create_extensions
from gis.migrations import migrate
from gis.settings import Settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _district_rows(path: Path, cities: set[str]) -> list[tuple[str, str, bytes]]:
    """The county polygons of the given cities (4-digit codes), GCJ-02 → CGCS2000."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    out = []
    for f in features:
        code = str(f["properties"]["adcode"])
        if code[:4] not in cities or code.endswith("00"):
            continue
        geom = shapely.geometry.shape(f["geometry"])
        coords = shapely.get_coordinates(geom)
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        fixed = shapely.make_valid(shapely.set_coordinates(geom, np.column_stack([lon, lat])))
        out.append(
            (
                code,
                f["properties"]["name"],
                shapely.to_wkb(
                    shapely.multipolygons([p for p in shapely.get_parts(fixed) if p.geom_type == "Polygon"])
                ),
            )
        )
    return out


def build(url: str, shared: Path, train: list[dict[str, str]]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        create_extensions(conn)
        migrate(conn)
        cities = {r["district_adcode_pip"][:4] for r in train}
        for code, name, wkb in _district_rows(
            shared / "boundaries" / "amap_gcj02_districts_xiamen_haining_ruian.geojson", cities
        ):
            conn.execute(
                "INSERT INTO onemap.admin_area (code, level, name, vintage, source, geom) VALUES "
                "(%s, 'county', %s, 2023, 'bench', ST_Multi(ST_GeomFromWKB(%s, 4490)))",
                (code, name, wkb),
            )
        lon, lat = gcj02_to_wgs84(
            np.array([float(r["lng_gcj02"]) for r in train]), np.array([float(r["lat_gcj02"]) for r in train])
        )
        with conn.cursor() as cur:
            for i, row in enumerate(train):
                cur.execute(
                    "INSERT INTO onemap.poi (source, source_id, name, category, address, geom) VALUES "
                    "('bench', %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4490))",
                    (
                        row["source_id"] + f":{i}",
                        row["name"],
                        row["category"],
                        row["address"],
                        lon[i],
                        lat[i],
                    ),
                )
                split = _split_address(row["address"])
                if split:
                    road, number, sub = split
                    cur.execute(
                        "INSERT INTO onemap.door_plate (source, source_id, road_name, number, sub_number, "
                        "address, geom) VALUES ('bench', %s, %s, %s, %s, %s, "
                        "ST_SetSRID(ST_MakePoint(%s, %s), 4490)) ON CONFLICT DO NOTHING",
                        (f"{i}", road, int(number), sub, row["address"], lon[i], lat[i]),
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument(
        "--file", type=Path, help="POIs with the columns of xiamen_poi_dev.csv (default: that file, --shared)"
    )
    parser.add_argument(
        "--answers", type=Path, help="write each test address's answer to this CSV (compare two runs by row)"
    )
    args = parser.parse_args()
    source = args.file or args.shared / "xiamen_poi" / "xiamen_poi_dev.csv"
    if not source.is_file():
        sys.exit(f"{source} is absent: nothing to evaluate")
    rows = list(csv.DictReader(source.open(encoding="utf-8")))
    train, test = rows[0::2], rows[1::2]
    base = database_url(Settings(), start=True)
    name = f"onemap_bench_xiamen_{os.getpid()}"
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = base.rsplit("/", 1)[0] + "/" + name
        build(url, args.shared, train)
        with psycopg.connect(url) as conn:
            gaz = gazetteer.load(conn)
        evaluate(gaz, test, args.answers)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def evaluate(gaz: gazetteer.Gazetteer, test: list[dict[str, str]], answers: Path | None = None) -> None:
    lon, lat = gcj02_to_wgs84(
        np.array([float(r["lng_gcj02"]) for r in test]), np.array([float(r["lat_gcj02"]) for r in test])
    )
    per_level: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    rows: list[tuple[str, str, str, str, str]] = []  # address, level, elements, county, metres
    started = time.perf_counter()
    for i, row in enumerate(test):
        result = geocode(gaz, row["address"]) if row["address"].strip() else None
        if result is None or not result.candidates:
            per_level["(no answer)"].append((float("inf"), False))
            parsed = result.parsed.elements if result and result.parsed else {}
            rows.append((row["address"], "", json.dumps(parsed, ensure_ascii=False), "", ""))
            continue
        best = result.candidates[0]
        off = metres(best.lon, best.lat, lon[i], lat[i])
        per_level[best.level].append((off, best.county_code == row["district_adcode_pip"]))
        elements = json.dumps(best.elements, ensure_ascii=False)
        rows.append((row["address"], best.level, elements, best.county_code or "", f"{off:.0f}"))
    elapsed = time.perf_counter() - started
    if answers:
        with answers.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows([("address", "level", "elements", "county_code", "metres"), *rows])
    print(
        f"{len(test)} test addresses geocoded in {elapsed:.2f} s against {len(test) + len(test) % 2} "
        f"gazetteer rows\n"
    )
    print(f"{'level':<14}{'n':>5}{'share':>8}{'≤50 m':>8}{'≤200 m':>8}{'≤1 km':>8}{'district':>10}")
    total = len(test)

    def line(label: str, items: list[tuple[float, bool]]) -> None:
        n = len(items)
        if not n:
            return
        within = [100 * sum(1 for d, _ in items if d <= r) / n for r in (50, 200, 1000)]
        district = 100 * sum(1 for _, ok in items if ok) / n
        print(
            f"{label:<14}{n:>5}{100 * n / total:>7.1f}%"
            + "".join(f"{w:>7.1f}%" for w in within)
            + f"{district:>9.1f}%"
        )

    for level in (
        "door_plate",
        "interpolated",
        "intersection",
        "poi",
        "road",
        "community",
        "street",
        "district",
        "(no answer)",
    ):
        line(level, per_level.get(level, []))
    line("answered", [x for level, items in per_level.items() if level != "(no answer)" for x in items])
    line("all", [x for items in per_level.values() for x in items])


if __name__ == "__main__":
    main()
