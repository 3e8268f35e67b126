"""Benchmark: reading a census table (.xlsx workbook or .csv) as `onemap import components` does, beside
GDAL's XLSX or CSV driver reading the same file.

The script writes a table of N rows with the columns of a typical census form (names, class,
departments, a date, longitude and latitude): a workbook split over S sheets behind a 填表说明 sheet, or
a UTF-8 CSV file. It then times, in the same run and alternating their order, onemap choosing the
layers that hold a survey and reading each (`layers_to_read` + `read_survey`: header detection, cell
values, coordinates to points) and GDAL reading every sheet or the file through pyogrio (attributes
only; building points is left to the caller). Each side is timed `--repeat` times; the medians and
their ratio are printed.

    .venv/bin/python bench/read_tables.py [--format xlsx|csv] [--rows 100000] [--sheets 1] [--repeat 3]
"""

import argparse
import csv
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


def census_rows(count: int, draw: random.Random) -> list[list[object]]:
    return [[f"上水井盖{i}", "0101", "区水务局", "水务集团", "养护中心", "完好", datetime(2023, 5, 6),
             f"备注{i % 97}", "铸铁", "700mm", 114.02 + draw.random() * 0.06, 22.52 + draw.random() * 0.04]
            for i in range(count)]


def write_workbook(path: Path, rows: int, sheets: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    cover = book.create_sheet("填表说明")
    cover.append(["部件普查成果表"])
    cover.append(["说明：坐标为 CGCS2000 经纬度"])
    draw = random.Random(1)
    for number in range(sheets):
        sheet = book.create_sheet(f"街道{number + 1}")
        sheet.append(HEADER)
        for row in census_rows(rows // sheets, draw):
            sheet.append(row)
    book.save(path)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows([*row[:6], row[6].strftime("%Y%m%d"), *row[7:]]  # type: ignore[attr-defined]
                         for row in census_rows(rows, random.Random(1)))


def onemap_read(path: Path) -> int:
    layers, _ = layers_to_read(path, ())
    return sum(len(read_survey(path, layer=layer)) for layer in layers)


def gdal_read(path: Path) -> int:
    names = [str(name) for name, _ in pyogrio.list_layers(path) if name != "填表说明"]
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
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sheets", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"census.{args.format}"
        if args.format == "csv":
            write_csv(path, args.rows)
            expected = args.rows
        else:
            write_workbook(path, args.rows, args.sheets)
            expected = args.rows // args.sheets * args.sheets
        times: dict[str, list[float]] = {"onemap": [], "gdal": []}
        for run in range(args.repeat):
            order = [("onemap", onemap_read), ("gdal", gdal_read)]
            for name, read in order if run % 2 == 0 else order[::-1]:
                times[name].append(timed(read, path, expected))
        onemap, gdal = (statistics.median(times[name]) for name in ("onemap", "gdal"))
        layout = "a CSV file" if args.format == "csv" else f"{args.sheets} sheet(s)"
        print(f"{expected} rows in {layout}, {path.stat().st_size / 1e6:.1f} MB, median of {args.repeat}: "
              f"onemap {onemap:.2f} s, GDAL {args.format.upper()} {gdal:.2f} s, "
              f"onemap / GDAL {onemap / gdal:.2f}")


if __name__ == "__main__":
    main()
