"""Local Moran's I: equal to esda's Moran_Local (I, quadrants), p within Monte-Carlo error, clusters."""

import warnings

import numpy as np
from esda.moran import Moran_Local
from libpysal.weights import WSP, lat2SW
from numpy.testing import assert_allclose

from gis.analysis.moran import local_moran


def test_equals_esda_on_a_lattice():
    rng = np.random.default_rng(42)
    y = rng.gamma(2.0, size=144)
    y[:20] += 4.0
    adjacency = lat2SW(12, 12, criterion="queen")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = Moran_Local(y, WSP(adjacency.tocsr()).to_W(silence_warnings=True), permutations=0)
    ours = local_moran(y, adjacency, permutations=999, seed=4)
    assert_allclose(ours.Is, theirs.Is, rtol=1e-10)
    assert (ours.q == theirs.q).all()


def test_p_within_monte_carlo_error_of_a_direct_simulation():
    """Each cell simulated on its own (k of the other n − 1 values, 999 times) as the oracle."""
    rng = np.random.default_rng(8)
    y = rng.gamma(2.0, size=100)
    adjacency = lat2SW(10, 10, criterion="queen").tocsr()
    ours = local_moran(y, adjacency, permutations=999, seed=1)
    z = (y - y.mean()) / y.std()
    direct = np.empty(100)
    for i in range(100):
        k = adjacency[[i], :].nnz
        others = np.delete(z, i)
        draws = np.array([rng.choice(others, k, replace=False).sum() for _ in range(999)])
        observed = adjacency[[i], :] @ z
        ge, le = (draws >= observed).sum(), (draws <= observed).sum()
        direct[i] = (min(ge, le) + 1) / 1000
    p = (ours.p_sim + direct) / 2
    standardised = (ours.p_sim - direct) / (np.sqrt(2 * p * (1 - p) / 999) + 1e-3)
    assert np.abs(standardised).max() < 4.5
    assert abs(standardised.mean()) < 0.35


def test_clusters_of_a_gradient_and_an_outlier():
    y = np.tile(np.arange(10.0), 10)  # low in the west, high in the east
    y[55] = 40.0  # a high value among middling ones
    result = local_moran(y, lat2SW(10, 10, criterion="queen"), permutations=999, seed=0)
    clusters = result.clusters(0.05)
    assert clusters[0] == "LL" and clusters[9] == "HH"
    assert set(clusters.tolist()) <= {"HH", "LL", "HL", "LH", "ns"}
