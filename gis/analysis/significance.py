"""Confidence bins of hot and cold spots, with an optional Benjamini–Hochberg FDR correction.

The 7-class bin ArcGIS and SuperMap show: +3 / +2 / +1 a hot spot at 99 / 95 / 90 % confidence
(positive z, two-sided p ≤ 0.01 / 0.05 / 0.10), −3 / −2 / −1 the cold spots, 0 not significant.

With ``fdr=True`` each level's cut-off α is replaced by the Benjamini–Hochberg critical p-value
over all m cells (Benjamini & Hochberg 1995): with p-values sorted ascending,

    p* = max { p_(r) : p_(r) ≤ r · α / m }   (no cell significant at that level when the set is empty)

which keeps the expected share of false hot/cold spots among those reported at most α, the
correction ArcGIS applies with "Apply False Discovery Rate (FDR) Correction".

Example::

    >>> import numpy as np
    >>> hotspot_bins(np.array([3.0, -2.0, 1.7, 0.5]), np.array([0.002, 0.04, 0.09, 0.6])).tolist()
    [3, -2, 1, 0]
"""

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))  # bin magnitude, two-sided α (99, 95, 90 % confidence)


def bh_cutoff(p: npt.ArrayLike, alpha: float) -> float:
    """The Benjamini–Hochberg critical p-value at FDR level ``alpha``; -1.0 when nothing is significant."""
    values = np.sort(np.asarray(p, dtype=np.float64)[np.isfinite(p)])
    if values.size == 0:
        return -1.0
    ranks = np.arange(1, values.size + 1)
    passing = np.flatnonzero(values <= ranks * alpha / values.size)
    return float(values[passing[-1]]) if passing.size else -1.0


def hotspot_bins(z: npt.ArrayLike, p: npt.ArrayLike, *, fdr: bool = False) -> npt.NDArray[np.int8]:
    """The bin −3 … +3 of each cell from its z (sign) and two-sided p (confidence)."""
    zs = np.asarray(z, dtype=np.float64)
    ps = np.asarray(p, dtype=np.float64)
    ps = np.where(np.isfinite(ps) & np.isfinite(zs), ps, 1.0)
    bins = np.zeros(zs.shape, dtype=np.int8)
    for magnitude, alpha in reversed(LEVELS):  # weakest first, stronger levels overwrite
        cut = bh_cutoff(ps, alpha) if fdr else alpha
        significant = ps <= cut
        bins[significant & (zs > 0)] = magnitude
        bins[significant & (zs < 0)] = -magnitude
    return bins
