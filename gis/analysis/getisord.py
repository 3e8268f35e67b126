"""Getis-Ord Gi*: local hot and cold spots of a count or rate per areal unit.

With binary weights ``w_ij`` (1 for the neighbours of i, including i itself: the "star"),
n units, values ``x`` with mean ``x̄`` and (population) standard deviation ``s``:

    Gi* = Σ_j w_ij x_j / Σ_j x_j

    z_i = (Σ_j w_ij x_j − x̄ Σ_j w_ij) / ( s · sqrt( (n Σ_j w_ij² − (Σ_j w_ij)²) / (n − 1) ) )

(Getis & Ord 1992; Ord & Getis 1995). This is esda's ``G_Local(y, w, transform="B", star=True)``
and ArcGIS's Hot Spot Analysis; with ``transform="R"`` the weights of each row (self included)
are divided by the row sum, as esda's default, which changes z but not the permutation p-values.

Inference: the analytic z (normal approximation) and a conditional permutation test (Anselin
1995): y_i stays in place and its k_i neighbour slots are filled with random draws of the other
n − 1 values. ``p_sim = (min(#draws ≥ G_i, #draws ≤ G_i) + 1) / (permutations + 1)`` is the share
of draws at least as extreme in the observed direction; the two-sided p used for the 90/95/99 %
bins is ``min(1, 2 · p_sim)``. esda counts ties only in the upper tail (``p_sim_esda``): on case
counts, where many draws tie, that turns every all-zero neighbourhood into a "99 % cold spot",
so onemap counts ties in both tails; on continuous data the two agree. The draws are shared across
cells as explained in ``gis.analysis.permutation``, which makes a 1,000,000-cell run take seconds.

Only binary neighbourhoods (contiguity, distance band) are supported: the permutation scheme
relies on every neighbour having the same weight.

Example::

    >>> import numpy as np
    >>> from libpysal.weights import lat2SW
    >>> y = np.zeros(25); y[[6, 7, 11, 12]] = 10
    >>> result = gi_star(y, lat2SW(5, 5, criterion="queen"), permutations=99, seed=1)
    >>> round(float(result.Zs[12]), 2)
    2.85
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from gis.analysis.permutation import esda_folded_p, folded_p, neighbour_sum_null
from gis.analysis.weights import Adjacency, binary_adjacency

FloatArray = npt.NDArray[np.float64]
Transform = Literal["B", "R"]


@dataclass(frozen=True)
class GiStar:
    """Gi* of every cell; attribute names follow esda's G_Local."""

    Gs: FloatArray  # the statistic
    EGs: FloatArray  # its expectation under normality
    VGs: FloatArray  # its variance under normality
    Zs: FloatArray  # analytic z-score
    p_norm: FloatArray  # one-sided normal p of |z| (esda)
    p_sim: FloatArray  # pseudo p-value of the permutation test, ties in both tails; 1 for islands
    p_sim_esda: FloatArray  # the same with esda's tie rule (ties only in the upper tail)
    z_sim: FloatArray  # z of Gs against the permutation mean and standard deviation
    p_z_sim: FloatArray  # one-sided normal p of |z_sim|
    cardinality: npt.NDArray[np.int64]  # neighbours other than the cell itself
    permutations: int

    def p_two_sided(self, inference: Literal["permutation", "analytic"] = "permutation") -> FloatArray:
        """Two-sided p-values for the confidence bins (ArcGIS semantics); 1 for islands."""
        p = np.minimum(1.0, 2.0 * (self.p_sim if inference == "permutation" else self.p_norm))
        return np.where((self.cardinality > 0) & np.isfinite(p), p, 1.0)


def gi_star(
    y: npt.ArrayLike,
    adjacency: Adjacency,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    transform: Transform = "B",
) -> GiStar:
    """Gi* of ``y`` over a binary neighbourhood (self excluded in ``adjacency``, included by Gi*)."""
    values = np.asarray(y, dtype=np.float64).ravel()
    a = binary_adjacency(adjacency, values.size)
    n = values.size
    k = np.diff(a.indptr).astype(np.int64)
    neighbour_sum = a @ values
    total = values.sum()
    own_weight = np.ones(n) if transform == "B" else 1.0 / (k + 1.0)
    gs = own_weight * (values + neighbour_sum) / total
    row_weight = own_weight * (k + 1.0)  # Σ_j w_ij* (k_i + 1, or 1 when row-standardised)
    mean = total / n
    variance_y = (values**2).sum() / n - mean**2
    expected = row_weight / n
    variance = row_weight * (n - row_weight) / (n - 1) / n**2 * variance_y / mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (gs - expected) / np.sqrt(variance)
    p_norm = stats.norm.sf(np.abs(z))
    null = neighbour_sum_null(values, k, neighbour_sum, permutations=permutations, seed=seed)
    p_sim = np.where(k > 0, folded_p(null.at_least, null.at_most, permutations), 1.0)
    p_esda = np.where(k > 0, esda_folded_p(null.at_least, permutations), 1.0)
    if not permutations:
        p_sim = p_esda = np.ones(n)
    sim_mean = own_weight * (values + null.mean) / total
    sim_sd = own_weight * null.std / total
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = (gs - sim_mean) / sim_sd
    return GiStar(
        gs, expected, variance, z, p_norm, p_sim, p_esda, z_sim, stats.norm.sf(np.abs(z_sim)), k, permutations
    )
