"""Comparison of two periods' hot spots: emerging, persistent and diminishing.

Given the Gi* bins (−3 … +3, see ``gis.analysis.significance``) of the same units in a "before"
and an "after" period, each unit gets one trend:

    emerging     not a hot spot before, a hot spot after      (bin_before ≤ 0 < bin_after)
    persistent   a hot spot in both periods                    (bin_before > 0 and bin_after > 0)
    diminishing  a hot spot before, no longer one after        (bin_before > 0 ≥ bin_after)
    none         a hot spot in neither period

"Hot spot" means bin > 0, i.e. at least 90 % confidence. A campaign (专项整治) that worked shows
as diminishing units where it ran and few emerging ones nearby (no displacement).

Example::

    >>> import numpy as np
    >>> compare_periods(np.array([0, 2, 3, -1]), np.array([3, 2, 0, 0])).tolist()
    ['emerging', 'persistent', 'diminishing', 'none']
"""

from collections import Counter

import numpy as np
import numpy.typing as npt

TRENDS = ("emerging", "persistent", "diminishing", "none")


def compare_periods(bins_before: npt.ArrayLike, bins_after: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """The trend of each unit from its bins in the two periods (aligned arrays)."""
    before = np.asarray(bins_before) > 0
    after = np.asarray(bins_after) > 0
    if before.shape != after.shape:
        raise ValueError(f"the periods have {before.size} and {after.size} units")
    trend = np.full(before.shape, "none", dtype="<U11")
    trend[~before & after] = "emerging"
    trend[before & after] = "persistent"
    trend[before & ~after] = "diminishing"
    return trend


def trend_counts(trends: npt.ArrayLike) -> dict[str, int]:
    """How many units follow each trend (all four keys present)."""
    counted = Counter(np.asarray(trends).tolist())
    return {name: int(counted.get(name, 0)) for name in TRENDS}
