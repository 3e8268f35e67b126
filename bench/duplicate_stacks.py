"""Validation of a survey whose rows without a fix all carry one placeholder position (a district office's
coordinates), beside as many scattered rows: time and peak memory of `layers.survey_validate.validate`.

Run: .venv/bin/python bench/duplicate_stacks.py [--rows N ...]

Each size runs in a process of its own, so each peak is that size's; a size that runs out of memory is
reported as such. No database is needed: the rows and the city box are those of
tests/layers/test_survey_validate_duplicates.py.
"""

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _one(stacked: int) -> None:
    import numpy as np

    from tests.layers.test_survey_validate_duplicates import _duplicates, _point  # the tests' survey rows

    rng = np.random.default_rng(3)
    scattered = [_point(float(dx), float(dy)) for dx, dy in rng.uniform(-900, 900, (stacked, 2))]
    rows = [("01001", _point(0))] * stacked + [("01001", point) for point in scattered]
    started = time.perf_counter()
    duplicates = len(_duplicates(rows))  # validate() over the rows, in a 0.02° box around them
    seconds = time.perf_counter() - started
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
