"""Rebuild data/futian/ from the public sources in ../shared/data (developers only; needs ../shared).

- roads.geojson: the OpenStreetMap road network of west/central Futian (ODbL), the directed
  OSMnx edges reduced to one feature per undirected edge with the attributes onemap uses.
- county.csv, streets.csv, communities.csv: the NBS 2023 statistical division codes of 福田区 (440304).

Usage: .venv/bin/python data/prepare_futian.py [SHARED_DIR]
"""

import csv
import json
import sys
from pathlib import Path

COUNTY = "440304"
HERE = Path(__file__).resolve().parent / "futian"


def _first(value: str | None) -> str | None:
    """OSMnx writes merged ways' list attributes as "['a', 'b']"; keep the first (most important)."""
    if value is None:
        return None
    if value.startswith("["):
        return value.strip("[]").split(",")[0].strip().strip("'\"")
    return value


def build_roads(edges_path: Path) -> dict:
    features = json.loads(edges_path.read_text(encoding="utf-8"))["features"]
    seen: set[tuple] = set()
    kept = []
    for feature in features:
        props = feature["properties"]
        coords = [tuple(c) for c in feature["geometry"]["coordinates"]]
        key = (*sorted((coords[0], coords[-1])), len(coords), _first(props.get("osmid")))
        undirected = min(tuple(coords), tuple(reversed(coords)))
        if (key, undirected) in seen:
            continue
        seen.add((key, undirected))
        kept.append({
            "type": "Feature",
            "properties": {
                "osm_id": _first(props.get("osmid")),
                "name": _first(props.get("name")),
                "highway": _first(props.get("highway")),
                "u": props["u"],
                "v": props["v"],
                "key": props["key"],
            },
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in undirected]},
        })
    kept.sort(key=lambda f: (f["properties"]["u"], f["properties"]["v"], f["properties"]["key"]))
    return {
        "type": "FeatureCollection",
        "name": "futian_roads",
        "attribution": "© OpenStreetMap contributors, ODbL 1.0",
        "features": kept,
    }


def write_codes(source: Path, target: Path, prefix: str, columns: list[str]) -> int:
    with source.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["code"].startswith(prefix)]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row[c] for c in columns])
    return len(rows)


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared"
    data = shared / "data"
    roads = build_roads(data / "roads_shenzhen_futian" / "shenzhen_futian_edges.geojson")
    HERE.mkdir(exist_ok=True)
    (HERE / "roads.geojson").write_text(
        json.dumps(roads, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    divisions = data / "admin_divisions"
    streets = write_codes(divisions / "streets.csv", HERE / "streets.csv", COUNTY,
                          ["code", "name", "areaCode"])
    communities = write_codes(divisions / "villages_4403.csv", HERE / "communities.csv", COUNTY,
                              ["code", "name", "streetCode"])
    write_codes(divisions / "areas.csv", HERE / "county.csv", COUNTY, ["code", "name", "cityCode"])
    print(f"roads: {len(roads['features'])} edges; streets: {streets}; communities: {communities}")


if __name__ == "__main__":
    main()
