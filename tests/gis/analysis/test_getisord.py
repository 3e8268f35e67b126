"""Gi*: equal to esda's G_Local on a fixed lattice (statistic and analytic z exactly, permutation
p-values within Monte-Carlo error), islands, and the conditional randomisation engine itself."""

import warnings

import numpy as np
import pytest
from esda.getisord import G_Local
from libpysal.weights import WSP, lat2SW
from numpy.testing import assert_allclose

from gis.analysis.getisord import gi_star
from gis.analysis.permutation import draw_positions, neighbour_sum_null

ROWS, COLS = 12, 12


def _esda(y: np.ndarray, transform: str) -> G_Local:
    # permutations=0: esda's numba permutation engine compiles for tens of seconds; the permutation
    # test is checked against a direct simulation below and against esda itself in bench/hotspots.py
    w = WSP(lat2SW(ROWS, COLS, criterion="queen").tocsr()).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(y, w, transform=transform, star=True, permutations=0)


@pytest.fixture(scope="module")
def field() -> np.ndarray:
    rng = np.random.default_rng(20261123)
    y = rng.gamma(2.0, 1.5, ROWS * COLS)
    y[[26, 27, 38, 39]] += 8.0  # a small planted cluster
    return y


@pytest.mark.parametrize("transform", ["B", "R"], ids=["binary", "row-standardised"])
def test_statistic_and_analytic_z_equal_esda(field, transform):
    ours = gi_star(field, lat2SW(ROWS, COLS, criterion="queen"), permutations=0, transform=transform)
    theirs = _esda(field, transform)
    assert_allclose(ours.Gs, theirs.Gs, rtol=1e-12)
    assert_allclose(ours.EGs, theirs.EGs, rtol=1e-12)
    assert_allclose(ours.VGs, theirs.VGs, rtol=1e-12)
    assert_allclose(ours.Zs, theirs.Zs, rtol=1e-10)
    assert_allclose(ours.p_norm, theirs.p_norm, rtol=1e-9)


def test_permutation_p_within_monte_carlo_error_of_a_direct_simulation(field):
    """Each cell simulated on its own (its k neighbours drawn from the other n − 1 values, 999 times)."""
    adjacency = lat2SW(ROWS, COLS, criterion="queen").tocsr()
    ours = gi_star(field, adjacency, permutations=999, seed=7)
    rng = np.random.default_rng(11)
    direct, direct_z = np.empty(field.size), np.empty(field.size)
    for i in range(field.size):
        k = adjacency[[i], :].nnz
        others = np.delete(field, i)
        draws = np.array([rng.choice(others, k, replace=False).sum() for _ in range(999)])
        observed = (adjacency[[i], :] @ field)[0]
        direct[i] = (min((draws >= observed).sum(), (draws <= observed).sum()) + 1) / 1000
        direct_z[i] = (observed - draws.mean()) / draws.std()
    p = (ours.p_sim + direct) / 2
    standardised = (ours.p_sim - direct) / (np.sqrt(2 * p * (1 - p) / 999) + 1e-3)
    assert np.abs(standardised).max() < 4.5
    assert abs(standardised.mean()) < 0.35  # no bias
    assert np.abs(ours.z_sim - direct_z).max() < 0.35
    assert_allclose(ours.p_sim, ours.p_sim_esda)  # continuous values: no ties, esda's rule agrees


def test_the_planted_cluster_has_the_smallest_p(field):
    result = gi_star(field, lat2SW(ROWS, COLS, criterion="queen"), permutations=999, seed=3)
    assert int(np.argmax(result.Zs)) in {26, 27, 38, 39}
    assert result.p_sim[[26, 27, 38, 39]].max() <= 0.02


def test_ties_count_in_both_tails_but_esda_rule_is_kept():
    y = np.zeros(ROWS * COLS)
    y[:10] = 5.0  # the rest of the lattice: all-zero neighbourhoods that most draws tie with
    result = gi_star(y, lat2SW(ROWS, COLS, criterion="queen"), permutations=999, seed=0)
    far = ROWS * COLS - 1
    assert result.p_sim_esda[far] == pytest.approx(0.001)  # esda: "significantly cold"
    assert result.p_sim[far] > 0.3  # not cold at all: most draws are zero too


def test_islands_get_no_permutation_test():
    adjacency = lat2SW(3, 3, criterion="queen").tolil()
    adjacency[4, :] = 0
    adjacency[:, 4] = 0
    y = np.array([1.0, 2, 3, 4, 50, 6, 7, 8, 9])
    result = gi_star(y, adjacency.tocsr(), permutations=99, seed=0)
    assert result.cardinality[4] == 0
    assert result.p_sim[4] == 1.0
    assert result.p_two_sided()[4] == 1.0


def test_weights_must_match_the_values():
    with pytest.raises(ValueError, match="weights are 9 × 9 but there are 4 values"):
        gi_star(np.ones(4), lat2SW(3, 3))


@pytest.mark.parametrize("pool,width", [(10, 10), (50, 7), (100_000, 12)], ids=["whole", "dense", "sparse"])
def test_drawn_rows_are_distinct_positions(pool, width):
    rows = draw_positions(pool, width, 200, np.random.default_rng(1))
    assert rows.shape == (200, width)
    assert rows.min() >= 0 and rows.max() < pool
    assert all(len(set(r)) == width for r in rows.tolist())


def test_each_cell_draws_from_the_other_cells_only():
    # cell 0 holds a huge value: if it could appear in its own draws, its draws' mean would move
    y = np.array([1000.0] + [1.0] * 29)
    card = np.full(30, 3)
    null = neighbour_sum_null(y, card, np.full(30, 3.0), permutations=4000, seed=5)
    assert null.mean[0] == pytest.approx(3.0)
    assert null.std[0] == pytest.approx(0.0, abs=1e-9)
    # every other cell: 3 draws of 29 values, one of which is 1000 → mean 3 · (1000 + 28) / 29
    assert null.mean[1:] == pytest.approx(3 * 1028 / 29, rel=0.05)
