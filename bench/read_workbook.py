"""Benchmark: reading a census workbook (.xlsx) as `onemap import components` does, beside GDAL's XLSX
driver reading the same sheets.

The script writes a workbook of N rows, split over S sheets behind a 填表说明 sheet, with the columns
of a typical census form (names, class, departments, a date cell, longitude and latitude), then times,
in the same run and alternating their order, onemap choosing the sheets that hold a survey and reading
each (`layers_to_read` + `read_survey`: header detection, cell values, coordinates to points) and
GDAL reading every sheet through pyogrio (attributes only; building points is left to the caller).
Each side is timed `--repeat` times; the medians and their ratio are printed.

    .venv/bin/python bench/read_workbook.py [--rows 100000] [--sheets 1] [--repeat 3]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layers.survey_read import layers_to_read, read_survey

HEADER = ["部件名称", "小类代码", "主管部门名称", "权属单位名称", "养护单位名称", "状态", "初始日期", "备注",
          "材质", "规格", "经度", "纬度"]


def write_workbook(path: Path, rows: int, sheets: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    cover = book.create_sheet("填表说明")
    cover.append(["部件普查成果表"])
    cover.append(["说明：坐标为 CGCS2000 经纬度"])
    draw = random.Random(1)
    for number in range(sheets):
        sheet = book.create_sheet(f"街道{number + 1}")
        sheet.append(HEADER)
        for i in range(rows // sheets):
            sheet.append([f"上水井盖{i}", "0101", "区水务局", "水务集团", "养护中心", "完好",
                          datetime(2023, 5, 6), f"备注{i % 97}", "铸铁", "700mm",
                          114.02 + draw.random() * 0.06, 22.52 + draw.random() * 0.04])
    book.save(path)


def onemap_read(path: Path) -> int:
    layers, _ = layers_to_read(path, ())
    return sum(len(read_survey(path, layer=layer)) for layer in layers)


def gdal_read(path: Path) -> int:
    names = [name for name, _ in pyogrio.list_layers(path) if name != "填表说明"]
    return sum(len(pyogrio.read_dataframe(path, layer=name, read_geometry=False)) for name in names)


def timed(read: Callable[[Path], int], path: Path, expected: int) -> float:
    start = time.perf_counter()
    count = read(path)
    elapsed = time.perf_counter() - start
    if count != expected:
        raise SystemExit(f"{read.__name__} read {count} rows, not {expected}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sheets", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "census.xlsx"
        write_workbook(path, args.rows, args.sheets)
        expected = args.rows // args.sheets * args.sheets
        times: dict[str, list[float]] = {"onemap": [], "gdal": []}
        for run in range(args.repeat):
            order = [("onemap", onemap_read), ("gdal", gdal_read)]
            for name, read in order if run % 2 == 0 else order[::-1]:
                times[name].append(timed(read, path, expected))
        onemap, gdal = (statistics.median(times[name]) for name in ("onemap", "gdal"))
        print(f"{expected} rows in {args.sheets} sheet(s), {path.stat().st_size / 1e6:.1f} MB, "
              f"median of {args.repeat}: onemap {onemap:.2f} s, GDAL XLSX {gdal:.2f} s, "
              f"onemap / GDAL {onemap / gdal:.2f}")


if __name__ == "__main__":
    main()
