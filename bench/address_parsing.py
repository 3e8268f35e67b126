"""Evaluation: address parsing on the NCAP dev file, onemap beside cpca and jionlp (same strings, same run).

Run: .venv/bin/python bench/address_parsing.py [--data ../shared/data/addresses/ncap_dev.jsonl] [--limit N]
     [--no-peers] [--answers FILE]

Prints per-element precision / recall / F1 of onemap's parser (exact span match after onemap's
normalisation), the province / city / district (and town) accuracy of all three parsers on the
addresses whose text names that level, and the invented-level rate: the share of addresses whose
text does NOT name a level for which the parser still returns one (each share with its counts).
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geocoder.admin import autonomous_place
from geocoder.gazetteer import national_admin
from geocoder.normalize import normalize
from geocoder.parse import parse

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "addresses" / "ncap_dev.jsonl"
# NCAP label → onemap element (GB/T 30428.3 terms: 门牌号 = roadno, 楼栋 = houseno, 单元 = cellno)
LABELS = {
    "prov": "province",
    "city": "city",
    "district": "district",
    "town": "town",
    "community": "community",
    "road": "road",
    "roadno": "house_number",
    "subroad": "sub_road",
    "subRoad": "sub_road",
    "subroadno": "sub_road_number",
    "poi": "poi",
    "subpoi": "sub_poi",
    "houseno": "building",
    "cellno": "unit",
    "floorno": "floor",
    "roomno": "room",
}
ADMIN = ("province", "city", "district", "town")
_SUFFIX = re.compile(r"(省|市|区|县|自治区|自治州|自治县|地区|盟|旗|街道|镇|乡|壮族|回族|维吾尔)+$")


def _same(a: str | None, b: str | None) -> bool:
    """One unit, written in full, short or with another suffix
    (厦门 = 厦门市, 红河州 = 红河哈尼族彝族自治州)."""
    if not a or not b:
        return False
    a, b = (_SUFFIX.sub("", autonomous_place(x) or x) or x for x in (a, b))
    return a == b or (len(a) >= 2 and len(b) >= 2 and (a.startswith(b) or b.startswith(a)))


def gold_of(record: dict) -> dict[str, str]:
    gold: dict[str, str] = {}
    for label, text in record["spans"]:
        element = LABELS.get(label)
        if element and element not in gold:
            gold[element] = normalize(text).text
    return gold


def onemap_elements(text: str) -> dict[str, str]:
    elements = dict(parse(normalize(text).text, national_admin()).elements)
    if "estate" in elements:  # NCAP labels estates and landmarks alike as poi
        if "poi" in elements:
            elements.setdefault("sub_poi", elements["poi"])
        elements["poi"] = elements.pop("estate")
    return elements


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def peers(texts: list[str]) -> dict[str, list[dict[str, str | None]]]:
    out: dict[str, list[dict[str, str | None]]] = {}
    try:
        import cpca

        frame = cpca.transform(texts)
        out["cpca"] = [
            {"province": _text(r["省"]), "city": _text(r["市"]), "district": _text(r["区"]), "town": None}
            for _, r in frame.iterrows()
        ]
    except ImportError:
        print("cpca is not installed (pip install -e .[eval]); skipped")
    try:
        import jionlp

        for label, change2new in (("jionlp", True), ("jionlp keep-old", False)):
            rows = []
            for text in texts:
                r = jionlp.parse_location(text, town_village=True, change2new=change2new)
                rows.append(
                    {
                        "province": _text(r.get("province")),
                        "city": _text(r.get("city")),
                        "district": _text(r.get("county")),
                        "town": _text(r.get("town")),
                    }
                )
            out[label] = rows
    except ImportError:
        print("jionlp is not installed (pip install -e .[eval]); skipped")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--no-peers", action="store_true", help="onemap only (peers take minutes)")
    parser.add_argument("--answers", type=Path, help="write onemap's elements of each address to this file "
                        "(JSON lines), so the parses of two commits can be compared address by address")
    args = parser.parse_args()
    if not args.data.is_file():
        sys.exit(f"{args.data} is absent (../shared/data/addresses): nothing to evaluate")
    records = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line]
    records = records[: args.limit] if args.limit else records
    texts = [r["text"] for r in records]
    golds = [gold_of(r) for r in records]
    national_admin()
    started = time.perf_counter()
    ours = [onemap_elements(t) for t in texts]
    ours_s = time.perf_counter() - started
    if args.answers:
        args.answers.write_text("".join(json.dumps({"text": t, "elements": o}, ensure_ascii=False) + "\n"
                                        for t, o in zip(texts, ours, strict=True)), encoding="utf-8")
    print(f"{len(texts)} addresses; onemap parsed them in {ours_s:.2f} s ({len(texts) / ours_s:,.0f}/s)\n")
    print(f"{'element':<16}{'gold':>6}{'P %':>8}{'R %':>8}{'F1 %':>8}")
    for element in dict.fromkeys(LABELS.values()):
        tp = sum(1 for o, g in zip(ours, golds, strict=True) if element in g and o.get(element) == g[element])
        predicted = sum(1 for o in ours if element in o)
        gold = sum(1 for g in golds if element in g)
        p, r = tp / predicted if predicted else 0.0, tp / gold if gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{element:<16}{gold:>6}{100 * p:>8.1f}{100 * r:>8.1f}{100 * f1:>8.1f}")
    started = time.perf_counter()
    others = {} if args.no_peers else peers(texts)
    print(f"\n(peers took {time.perf_counter() - started:.1f} s)")
    systems = {"onemap": [{k: o.get(k) for k in ADMIN} for o in ours], **others}
    width = 24
    print(f"\n{'accuracy % (gold present)':<28}" + "".join(f"{name:>{width}}" for name in systems))
    for level in ADMIN:
        cells = []
        for rows in systems.values():
            present = [(row, g) for row, g in zip(rows, golds, strict=True) if level in g]
            hits = sum(1 for row, g in present if _same(row.get(level), g[level]))
            produced = bool(present) and any(r.get(level) for r, _ in present)
            cells.append(f"{_share(hits, len(present)):>{width}}" if produced else f"{'—':>{width}}")
        print(f"{level:<28}" + "".join(cells))
    print(f"\n{'invented % (gold absent)':<28}" + "".join(f"{name:>{width}}" for name in systems))
    for level in ADMIN:
        cells = []
        for rows in systems.values():
            absent = [row for row, g in zip(rows, golds, strict=True) if level not in g]
            invented = sum(1 for row in absent if row.get(level))
            cells.append(f"{_share(invented, len(absent)):>{width}}" if absent else f"{'—':>{width}}")
        print(f"{level:<28}" + "".join(cells))


def _share(count: int, total: int) -> str:
    """98.4% (1,636/1,662): the counts too, so one address more or less shows."""
    return f"{100 * count / total:.1f}% ({count:,}/{total:,})"

if __name__ == "__main__":
    main()
