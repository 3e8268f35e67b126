"""Local Moran's I (LISA) and its HH / LL / HL / LH clusters: the second view of hot spots.

With z_i = (x_i − x̄) / s (population standard deviation) and row-standardised binary weights
(w_ij = 1 / k_i for the k_i neighbours of i):

    I_i = (n − 1) · z_i · Σ_j w_ij z_j / Σ_j z_j²

(Anselin 1995; esda's ``Moran_Local(y, w, transformation="r")``). A significant I_i with z_i > 0
and a positive lag is an HH cluster (a high value among high values), z_i < 0 with a negative lag
LL; the mixed signs are the outliers HL (high among low) and LH. Quadrant numbers follow esda:
1 HH, 2 LH, 3 LL, 4 HL.

Inference is the same conditional permutation test as Gi* (shared draws, see
``gis.analysis.permutation``): I_i is monotone in the neighbour sum, increasing for z_i > 0 and
decreasing for z_i < 0, so the draws' ranks carry over. Cells with z_i = 0 or no neighbour get p = 1.

Example::

    >>> import numpy as np
    >>> from libpysal.weights import lat2SW
    >>> y = np.arange(25.0)
    >>> local_moran(y, lat2SW(5, 5, criterion="queen"), permutations=99, seed=0).clusters(0.05)[:3].tolist()
    ['LL', 'LL', 'LL']
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from gis.analysis.permutation import folded_p, neighbour_sum_null
from gis.analysis.weights import Adjacency, binary_adjacency

FloatArray = npt.NDArray[np.float64]
QUADRANT_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


@dataclass(frozen=True)
class LocalMoran:
    """Local Moran's I of every cell; attribute names follow esda's Moran_Local."""

    Is: FloatArray
    q: npt.NDArray[np.int64]  # quadrant: 1 HH, 2 LH, 3 LL, 4 HL
    p_sim: FloatArray  # pseudo p-value, ties in both tails (see getisord); 1 for islands and z_i = 0
    EI_sim: FloatArray
    seI_sim: FloatArray
    z_sim: FloatArray
    p_z_sim: FloatArray
    permutations: int

    def clusters(self, alpha: float = 0.05) -> npt.NDArray[np.str_]:
        """'HH', 'LL', 'HL', 'LH' where p_sim ≤ alpha, else 'ns' (not significant)."""
        labels = np.array([QUADRANT_LABELS[int(q)] for q in range(1, 5)])
        return np.where(self.p_sim <= alpha, labels[self.q - 1], "ns")


def local_moran(
    y: npt.ArrayLike, adjacency: Adjacency, *, permutations: int = 999, seed: int | None = 0
) -> LocalMoran:
    """Local Moran's I of ``y`` with row-standardised binary weights."""
    values = np.asarray(y, dtype=np.float64).ravel()
    n = values.size
    a = binary_adjacency(adjacency, n)
    k = np.diff(a.indptr).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (values - values.mean()) / values.std()
        neighbour_sum = a @ z
        lag = np.where(k > 0, neighbour_sum / k, 0.0)
        scale = (n - 1) / (z * z).sum()
    local_i = scale * z * lag
    q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3)).astype(np.int64)
    null = neighbour_sum_null(z, k, neighbour_sum, permutations=permutations, seed=seed)
    # count draws with I ≥ observed: the neighbour sum at least (z_i > 0) or at most (z_i < 0) the observed
    at_least = np.where(z > 0, null.at_least, null.at_most)
    at_most = np.where(z > 0, null.at_most, null.at_least)
    testable = (k > 0) & (z != 0) & np.isfinite(z)
    p_sim = np.where(testable, folded_p(at_least, at_most, permutations), 1.0) if permutations else np.ones(n)
    factor = np.where(k > 0, scale * z / np.maximum(k, 1), np.nan)
    mean = factor * null.mean
    sd = np.abs(factor) * null.std
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (local_i - mean) / sd
    return LocalMoran(local_i, q, p_sim, mean, sd, z_sim, stats.norm.sf(np.abs(z_sim)), permutations)
