"""Validation of a survey whose rows without a fix all carry one placeholder position (a district office's
coordinates), beside as many scattered rows: time and peak memory of `layers.survey_validate.validate`.

Run: .venv/bin/python bench/duplicate_stacks.py [--rows N ...]

Each size runs in a process of its own, so each peak is that size's; a size that runs out of memory is
reported as such. No database is needed: the city is a box around the rows.
"""

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LON, LAT = 114.05, 22.54
METRE = 1 / 102_000  # degrees of longitude per metre at this latitude, roughly


def _one(stacked: int) -> None:
    import numpy as np
    import pandas as pd
    import shapely

    from grid_codes.classes import default_table
    from layers.components import STANDARD_FIELDS
    from layers.survey_validate import SurveyRows, ValidationContext, validate

    rng = np.random.default_rng(3)
    scattered = rng.uniform(-900, 900, (stacked, 2)) * METRE
    x = np.concatenate([np.full(stacked, LON), LON + scattered[:, 0]])
    y = np.concatenate([np.full(stacked, LAT), LAT + scattered[:, 1]])
    n = len(x)
    fields = pd.DataFrame({name: [None] * n for name in ["class_code", *STANDARD_FIELDS]}, dtype=object)
    fields["class_code"] = "01001"
    fields["competent_dept_name"] = "城管局"
    rows = SurveyRows(np.full(n, "s.gpkg", dtype=object), np.arange(1, n + 1), fields, [{}] * n,
                      shapely.points(x, y))
    ctx = ValidationContext(scheme="gb47678", table=default_table(), county_codes=frozenset({"440304"}),
                            city=shapely.box(LON - 0.02, LAT - 0.02, LON + 0.02, LAT + 0.02), zone_epsg=4547)
    started = time.perf_counter()
    checked = validate(rows, ctx)
    seconds = time.perf_counter() - started
    duplicates = sum(r.reason.startswith("duplicate") for r in checked.rejections)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{stacked:>9,} stacked + {stacked:>9,} scattered: {duplicates:>9,} duplicates, "
          f"validate {seconds:6.2f} s, peak {peak_mb:6.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[5_000, 20_000, 200_000],
                        help="rows at the placeholder position (as many again scattered)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        _one(args.one)
        return
    for stacked in args.rows:
        done = subprocess.run([sys.executable, __file__, "--one", str(stacked)], check=False)
        if done.returncode:
            print(f"{stacked:>9,} stacked: the process ended with {done.returncode} "
                  f"({'killed: out of memory' if done.returncode == -9 else 'failed'})")


if __name__ == "__main__":
    main()
