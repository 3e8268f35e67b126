"""Conditional randomisation for local statistics that are sums over a cell's neighbours.

For a local statistic built from the sum of the values of the k_i neighbours of cell i
(Getis-Ord Gi*, local Moran's I with binary or row-standardised weights), the conditional
permutation null of Anselin (1995) holds y_i fixed and gives its k_i neighbour slots k_i values
drawn without replacement from the n - 1 other cells. That null depends on the cell only through
k_i and through which value is left out, so onemap does not simulate each cell separately:

1. Draw ``permutations`` rows of ``K = max k_i`` distinct positions in ``0 .. n-2`` once
   (esda shares one such matrix of draws across all cells too, see ``esda.crand``).
2. The pool of cell i is ``y`` with ``y_i`` replaced by ``y_{n-1}``, restricted to positions
   ``0 .. n-2``: exactly the n - 1 other values. Position p of the pool holds ``y_p`` except
   position i, which holds ``y_{n-1}``.
3. A draw's sum for cell i is the cumulative sum of the row up to ``k_i`` (shared by every cell
   of that cardinality), corrected by ``y_{n-1} - y_i`` on the few draws whose prefix contains
   position i (about ``permutations * k_i / n`` of them per cell).

Each cell therefore sees exactly the conditional randomisation distribution (uniform k_i-subsets of
the other n - 1 values); as in esda, cells share draws, so their pseudo p-values are dependent.
Counting a cell's draws at or above its observed sum is a binary search in the sorted draws of its
cardinality class, so the cost is O(permutations * K + n log permutations) instead of esda's
O(n * (n + permutations * k)).
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_DENSE_DRAW_LIMIT = 20_000_000  # up to this many random keys, rows come from a full shuffle of the pool


@dataclass(frozen=True)
class NullCounts:
    """Per cell, how its observed neighbour sum ranks among the conditional-randomisation sums."""

    at_least: IntArray  # draws whose sum >= the observed sum
    at_most: IntArray  # draws whose sum <= the observed sum
    mean: FloatArray  # mean of the drawn sums
    std: FloatArray  # standard deviation (ddof 0, as esda) of the drawn sums
    permutations: int


def draw_positions(pool_size: int, width: int, permutations: int, rng: np.random.Generator) -> IntArray:
    """``permutations`` rows of ``width`` distinct positions in ``0 .. pool_size-1``, rows in random order."""
    if width > pool_size:
        raise ValueError(f"cannot draw {width} distinct values from {pool_size}")
    if permutations * pool_size <= _DENSE_DRAW_LIMIT or width * width > pool_size:
        return np.argsort(rng.random((permutations, pool_size)), axis=1)[:, :width].astype(np.int64)
    rows = rng.integers(0, pool_size, size=(permutations, width))
    while width > 1:
        ordered = np.sort(rows, axis=1)
        repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if not repeated.any():
            break
        rows[repeated] = rng.integers(0, pool_size, size=(int(repeated.sum()), width))
    return rows.astype(np.int64)


def neighbour_sum_null(
    values: FloatArray, cardinality: IntArray, observed: FloatArray, *, permutations: int, seed: int | None
) -> NullCounts:
    """Rank each cell's observed neighbour sum (self excluded) in its conditional-randomisation null.

    ``cardinality`` is each cell's number of neighbours other than itself; cells with none (islands)
    get zero counts and NaN moments.
    """
    y = np.asarray(values, dtype=np.float64)
    card = np.asarray(cardinality, dtype=np.int64)
    obs = np.asarray(observed, dtype=np.float64)
    n = y.size
    at_least = np.zeros(n, dtype=np.int64)
    at_most = np.zeros(n, dtype=np.int64)
    first = np.full(n, np.nan)
    second = np.full(n, np.nan)
    width = int(card.max()) if n else 0
    if width == 0 or permutations <= 0:
        return NullCounts(at_least, at_most, first, second, permutations)
    rng = np.random.default_rng(seed)
    rows = draw_positions(n - 1, width, permutations, rng)
    sums = np.cumsum(y[rows], axis=1)  # sums[p, k-1]: draw p's sum over k neighbours
    shift = sums.mean(axis=0)  # moments are accumulated around each class's mean, for precision
    for k in np.unique(card[card > 0]):
        cells = np.flatnonzero(card == k)
        column = sums[:, k - 1]
        ordered = np.sort(column)
        at_least[cells] = permutations - np.searchsorted(ordered, obs[cells], side="left")
        at_most[cells] = np.searchsorted(ordered, obs[cells], side="right")
        first[cells] = (column - shift[k - 1]).sum()
        second[cells] = ((column - shift[k - 1]) ** 2).sum()
    _correct_own_position(y, card, obs, rows, sums, shift, (at_least, at_most, first, second))
    mean = first / permutations
    variance = np.maximum(second / permutations - mean**2, 0.0)
    mean = mean + np.where(card > 0, shift[np.maximum(card, 1) - 1], np.nan)
    return NullCounts(at_least, at_most, mean, np.sqrt(variance), permutations)


def _correct_own_position(
    y: FloatArray,
    card: IntArray,
    obs: FloatArray,
    rows: IntArray,
    sums: FloatArray,
    shift: FloatArray,
    totals: tuple[IntArray, IntArray, FloatArray, FloatArray],
) -> None:
    """In cell i's pool, position i holds y[n-1], not y[i]: fix the draws whose prefix hits it."""
    at_least, at_most, first, second = totals
    permutations, width = rows.shape
    cells = rows.ravel()
    slot = np.tile(np.arange(width), permutations)
    draw = np.repeat(np.arange(permutations), width)
    hit = slot < card[cells]
    cells, draw = cells[hit], draw[hit]
    k = card[cells]
    drawn = sums[draw, k - 1]
    actual = drawn + (y[-1] - y[cells])
    target = obs[cells]
    np.add.at(at_least, cells, (actual >= target).astype(np.int64) - (drawn >= target))
    np.add.at(at_most, cells, (actual <= target).astype(np.int64) - (drawn <= target))
    centre = shift[k - 1]
    np.add.at(first, cells, actual - drawn)
    np.add.at(second, cells, (actual - centre) ** 2 - (drawn - centre) ** 2)


def folded_p(at_least: IntArray, at_most: IntArray, permutations: int) -> FloatArray:
    """Pseudo p-value of the observed direction, ties counted in both tails:
    ``(min(#draws ≥ observed, #draws ≤ observed) + 1) / (permutations + 1)``."""
    return (np.minimum(at_least, at_most) + 1.0) / (permutations + 1.0)


def esda_folded_p(at_least: IntArray, permutations: int) -> FloatArray:
    """esda's pseudo p-value ("directed"): ``(min(#≥, #<) + 1) / (permutations + 1)``.

    It counts ties only in the upper tail, so on counts a cell whose whole neighbourhood is 0 (a
    value most draws tie with) gets the smallest p-value there is and shows as a 99 % cold spot;
    onemap's bins use ``folded_p``, and this form exists to compare with esda."""
    tail = np.minimum(at_least, permutations - at_least)
    return (tail + 1.0) / (permutations + 1.0)
