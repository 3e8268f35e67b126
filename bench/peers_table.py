"""The onemap-vs-peers table of one harness run: requests/s, p50, p99 per server and set, and ratios.

Reads the harness's results.jsonl (written by bench/peers.sh through ../shared/bench) and prints
Markdown: one table of every HTTP server and set, one of the goals of issues 5 and 6 with the
measured ratios (onemap at N workers against TiPg at N workers and stock pygeoapi at 1 worker;
cached against uncached tiles; the z12 tile size against the budget; tiles against the PostGIS
floor measured by pgbench).

    .venv/bin/python bench/peers_table.py /tmp/onemap-bench/out/results.jsonl \
        [--pglog /tmp/onemap-peers/pglog/postgres.log --from BYTE]

With --pglog it also lists onemap's slowest statements of the run (the scratch database logs
statements slower than 250 ms: bench/peers_load.py), e.g. the slowest tile SQL.
"""

import argparse
import itertools
import json
import re
from pathlib import Path
from typing import Any

SETS = ("items", "item", "z12", "z14", "z16", "all")
TILE_BUDGET = 500 * 1024
FLOOR = ("postgis-floor-pgbench-lim10k", "postgis-floor-pgbench-full")


def _load(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            results[(row["label"], row["set"])] = row  # the last measurement of a server and set wins
    return results


def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _rps(row: dict[str, Any] | None) -> float | None:
    wrk = (row or {}).get("wrk") or {}
    rps = wrk.get("rps")
    return float(rps) if isinstance(rps, (int, float)) and wrk.get("requests") else None


def _p99(row: dict[str, Any] | None) -> float | None:
    value = ((row or {}).get("wrk") or {}).get("p99_ms")
    return float(value) if isinstance(value, (int, float)) and _rps(row) else None


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}×"


def table(results: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    lines = ["| server | set | req/s | p50 ms | p99 ms | avg body | max body (preflight) | non-2xx "
             "| serial p50 ms |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    labels = sorted({label for label, _ in results if not label.startswith("postgis-floor")})
    for label in labels:
        for name in SETS:
            row = results.get((label, name))
            if row is None:
                continue
            wrk, check = row.get("wrk") or {}, row.get("check") or {}
            body = wrk.get("avg_body_bytes") or check.get("avg_bytes")
            lines.append(
                f"| {label} | {name} | {_num(_rps(row))} | {_num(wrk.get('p50_ms'))} | {_num(_p99(row))} "
                f"| {_num(body / 1024 if body else None)} KiB "
                f"| {_num((check.get('max_bytes') or 0) / 1024)} KiB "
                f"| {wrk.get('non2xx', '-')} | {_num(check.get('serial_p50_ms'))} |")
    for label in FLOOR:
        for name in SETS:
            row = results.get((label, name))
            if row is not None:
                wrk = row.get("wrk") or {}
                lines.append(f"| {label} | {name} | {_num(_rps(row))} | {_num(wrk.get('p50_ms'))} "
                             f"| {_num(wrk.get('p99_ms'))} | | | | |")
    return lines


def goals(results: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    def get(label: str, name: str) -> dict[str, Any] | None:
        return results.get((label, name))

    lines = ["| goal | measured | met |", "|---|---|---|"]

    def add(goal: str, measured: str, met: bool | None) -> None:
        lines.append(f"| {goal} | {measured} | {'-' if met is None else ('yes' if met else 'NO')} |")

    workers = sorted({label.removeprefix("onemap-w") for label, _ in results
                      if label.startswith("onemap-w") and label.removeprefix("onemap-w").isdigit()})
    for w in workers:
        onemap, tipg = f"onemap-w{w}", f"tipg-w{w}"
        for name in SETS:
            floor = 1.5
            mine, theirs = get(onemap, name), get(tipg, name)
            if mine is None or theirs is None:
                continue
            ratio = (_rps(mine) or 0) / (_rps(theirs) or float("inf"))
            add(f"{name}: {onemap} ≥ {floor}× {tipg} req/s", f"{_ratio(_rps(mine), _rps(theirs))} "
                f"({_num(_rps(mine))} vs {_num(_rps(theirs))})", ratio >= floor)
            p_mine, p_theirs = _p99(mine), _p99(theirs)
            add(f"{name}: {onemap} p99 ≤ {tipg} p99", f"{_num(p_mine)} vs {_num(p_theirs)} ms",
                None if p_mine is None or p_theirs is None else p_mine <= p_theirs)
        if w == "1":
            for name in ("items", "item"):
                mine, theirs = get(onemap, name), get("pygeoapi-w1", name)
                if mine is not None and theirs is not None:
                    ratio = (_rps(mine) or 0) / (_rps(theirs) or float("inf"))
                    add(f"{name}: {onemap} ≥ 3× pygeoapi-w1 req/s",
                        f"{_ratio(_rps(mine), _rps(theirs))} ({_num(_rps(mine))} vs {_num(_rps(theirs))})",
                        ratio >= 3)
    for name in ("z12", "z14", "z16", "all"):
        cached, uncached = get("onemap-w1-cached", name), get("onemap-w1", name)
        if cached is not None and uncached is not None:
            ratio = (_rps(cached) or 0) / (_rps(uncached) or float("inf"))
            add(f"{name}: cached ≥ 10× uncached (onemap, 1 worker)",
                f"{_ratio(_rps(cached), _rps(uncached))} ({_num(_rps(cached))} vs {_num(_rps(uncached))})",
                ratio >= 10)
    z12 = get("onemap-w1", "z12")
    if z12 is not None:
        largest = (z12.get("check") or {}).get("max_bytes")
        add("z12 tile size ≤ 500 KB budget (largest of the 6 z12 tiles)",
            f"{_num((largest or 0) / 1024)} KiB", None if largest is None else largest <= TILE_BUDGET)
    for name in ("z12", "z14", "z16", "all"):
        mine = get("onemap-w1", name)
        for floor_label in FLOOR:
            base = get(floor_label, name)
            if mine is not None and base is not None:
                add(f"{name}: onemap-w1 / {floor_label} (ratio to the PostGIS floor)",
                    f"{_ratio(_rps(mine), _rps(base))} ({_num(_rps(mine))} vs {_num(_rps(base))} tiles/s)",
                    None)
    return lines


_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.MULTILINE)
_DURATION = re.compile(r"duration: ([0-9.]+) ms")
_STATEMENT = re.compile(r"(?:execute [^:]*|statement): ")


def slowest(log: Path, start: int, count: int = 3) -> list[str]:
    """The slowest logged statements (only onemap's database logs them), slowest first, with parameters."""
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode("utf-8", "replace")
    starts = [m.start() for m in _ENTRY.finditer(text)] + [len(text)]
    entries = [text[a:b].strip() for a, b in itertools.pairwise(starts)]
    found: list[tuple[float, str, str]] = []
    for i, entry in enumerate(entries):
        match = _DURATION.search(entry)
        if match:
            detail = entries[i + 1] if i + 1 < len(entries) and "DETAIL:" in entries[i + 1] else ""
            statement = _STATEMENT.split(entry, maxsplit=1)[-1]
            found.append((float(match.group(1)), statement,
                          entry[:2500] + ("\n" + detail[:500] if detail else "")))
    found.sort(key=lambda item: -item[0])
    distinct: dict[str, tuple[float, str, int]] = {}  # statement text -> slowest run, its entry, runs
    for ms, statement, body in found:
        slowest_ms, entry, runs = distinct.get(statement, (ms, body, 0))
        distinct[statement] = (slowest_ms, entry, runs + 1)
    return [f"{len(found)} statements logged, {len(distinct)} distinct; the slowest of each:"] + [
        f"{ms:,.0f} ms (logged {runs} times):\n```\n{body}\n```"
        for ms, body, runs in list(distinct.values())[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="?", default="/tmp/onemap-bench/out/results.jsonl")
    parser.add_argument("--pglog", type=Path, help="the harness cluster's log file")
    parser.add_argument("--from", dest="start", type=int, default=0, help="byte offset of the run in it")
    args = parser.parse_args()
    results = _load(Path(args.results))
    first = min((row.get("ts", "") for row in results.values()), default="?")
    print(f"# onemap beside the peers (one harness run, started {first})\n")
    print("\n".join(table(results)))
    print("\n## Goals (issues 5 and 6)\n")
    print("\n".join(goals(results)))
    if args.pglog is not None and args.pglog.exists():
        print("\n## onemap's slowest statements (> 250 ms) during the run\n")
        print("\n\n".join(slowest(args.pglog, args.start)) or "(none)")


if __name__ == "__main__":
    main()
