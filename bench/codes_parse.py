"""Benchmark: parse N generated valid codes of each type and print codes/s.

Run: .venv/bin/python bench/codes_parse.py [--n 1000000] [--seed 20230630]

The peer, measured in the same run on the same strings, is a bare pre-compiled regular
expression `[0-9]{n}` fullmatch: the cheapest check a caller could write, which checks
length and digits but no structure and builds no value. The ratio says what the
structural validation and the value type cost on top of that floor.
"""

import argparse
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grid_codes.admin import PROVINCE_CODES, AdminCode, CommunityCode, StreetCode
from grid_codes.camera_id import DeviceId
from grid_codes.classes import ClassCode, default_table
from grid_codes.component_id import ComponentId
from grid_codes.grid import GridCode


def _counties(rng: random.Random, count: int) -> list[str]:
    """A pool of structurally valid county codes."""
    provinces = sorted(PROVINCE_CODES)
    return [
        f"{rng.choice(provinces)}{rng.randint(1, 99):02d}{rng.randint(1, 99):02d}"
        for _ in range(count)
    ]


def generate(n: int, seed: int) -> dict[str, list[str]]:
    """N valid codes of each type, built from pools so generation stays fast."""
    rng = random.Random(seed)
    counties = _counties(rng, 2000)
    streets = [f"{c}{rng.randint(1, 599):03d}" for c in counties]
    communities = [f"{s}{rng.randint(1, 999):03d}" for s in streets]
    table = default_table()
    legacy_classes = [i.code.code for i in table.classes("legacy", "component")]
    gb_classes = [i.code.code for i in table.classes("gb47678", "component")]
    pick = rng.choice
    rand = rng.randint
    return {
        "AdminCode (6)": [pick(counties) for _ in range(n)],
        "StreetCode (9)": [pick(streets) for _ in range(n)],
        "CommunityCode (12)": [pick(communities) for _ in range(n)],
        "GridCode (15)": [f"{pick(communities)}{rand(1, 999):03d}" for _ in range(n)],
        "GridCode legacy (14)": [f"{pick(communities)}{rand(1, 99):02d}" for _ in range(n)],
        "ClassCode (5)": [pick(gb_classes) for _ in range(n)],
        "ComponentId legacy (16)": [
            f"{pick(counties)}{pick(legacy_classes)}{rand(1, 999_999):06d}" for _ in range(n)
        ],
        "ComponentId gb47678 (17)": [
            f"{pick(counties)}{pick(gb_classes)}{rand(1, 999_999):06d}" for _ in range(n)
        ],
        "DeviceId (20)": [
            f"{pick(counties)}{rand(0, 99):02d}{rand(0, 99):02d}{rand(111, 999)}"
            f"{rand(0, 9)}{rand(0, 999_999):06d}"
            for _ in range(n)
        ],
    }


PARSERS: dict[str, Callable[[str], object]] = {
    "AdminCode (6)": AdminCode.parse,
    "StreetCode (9)": StreetCode.parse,
    "CommunityCode (12)": CommunityCode.parse,
    "GridCode (15)": GridCode.parse,
    "GridCode legacy (14)": GridCode.parse,
    "ClassCode (5)": ClassCode.parse,
    "ComponentId legacy (16)": ComponentId.parse,
    "ComponentId gb47678 (17)": ComponentId.parse,
    "DeviceId (20)": DeviceId.parse,
}


def _rate(func: Callable[[str], object], texts: list[str]) -> float:
    """Codes per second of `func` over `texts`."""
    start = time.perf_counter()
    for text in texts:
        func(text)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    """Generate, parse, print one line per type."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="codes per type")
    parser.add_argument("--seed", type=int, default=20230630)
    args = parser.parse_args()
    samples = generate(args.n, args.seed)
    print(f"{'type':<26}{'codes/s':>12}{'µs/code':>10}{'regex codes/s':>15}{'ratio':>8}")
    for name, texts in samples.items():
        regex = re.compile(f"[0-9]{{{len(texts[0])}}}").fullmatch
        peer = _rate(regex, texts)
        ours = _rate(PARSERS[name], texts)
        print(f"{name:<26}{ours:>12,.0f}{1e6 / ours:>10.2f}{peer:>15,.0f}{peer / ours:>7.1f}x")


if __name__ == "__main__":
    main()
