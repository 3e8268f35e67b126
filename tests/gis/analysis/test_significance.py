"""Hot/cold bins and the Benjamini–Hochberg FDR option: planted clusters, random fields, oracle."""

import numpy as np
import pytest
from libpysal.weights import lat2SW
from scipy.stats import false_discovery_control

from gis.analysis.getisord import gi_star
from gis.analysis.significance import bh_cutoff, hotspot_bins

SIDE = 20


def _planted(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.poisson(2.0, SIDE * SIDE).astype(float)
    block = np.array([r * SIDE + c for r in range(8, 12) for c in range(8, 12)])
    y[block] += rng.poisson(10.0, block.size)
    return y, block


@pytest.mark.parametrize("fdr,permutations", [(False, 999), (True, 9999)], ids=["plain", "fdr"])
def test_planted_cluster_is_hot_at_99_percent(fdr, permutations):
    y, block = _planted(seed=9)
    result = gi_star(y, lat2SW(SIDE, SIDE, criterion="queen"), permutations=permutations, seed=1)
    bins = hotspot_bins(result.Zs, result.p_two_sided(), fdr=fdr)
    core = [b for b in block if b // SIDE in (9, 10) and b % SIDE in (9, 10)]  # star all planted
    assert (bins[core] == 3).all()
    if not fdr:
        assert (bins[block] > 0).all()  # the block's edges and corners: hot at 90 % at least
    assert (bins[np.setdiff1d(np.arange(SIDE * SIDE), block)] <= 3).all()


def test_random_fields_stay_within_the_fdr_level():
    # under the complete null every discovery is false, so FDR = P(any discovery) ≤ α = 0.05
    w = lat2SW(SIDE, SIDE, criterion="queen")
    fields, with_discovery, uncorrected = 40, 0, 0
    for seed in range(fields):
        y = np.random.default_rng(1000 + seed).poisson(3.0, SIDE * SIDE).astype(float)
        result = gi_star(y, w, permutations=0)
        p = result.p_two_sided("analytic")
        with_discovery += bool((np.abs(hotspot_bins(result.Zs, p, fdr=True)) >= 2).any())
        uncorrected += int((np.abs(hotspot_bins(result.Zs, p)) >= 2).sum())
    assert with_discovery / fields <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / fields)
    assert uncorrected / (fields * SIDE * SIDE) > 0.02  # without the correction, ~5 % false positives


def test_bh_cutoff_matches_scipy():
    p = np.random.default_rng(3).beta(0.3, 2.0, 500)
    cut = bh_cutoff(p, 0.05)
    assert ((p <= cut) == (false_discovery_control(p) <= 0.05)).all()


def test_bins_need_the_sign_and_the_level():
    z = np.array([3.0, 2.1, 1.8, 0.3, -1.7, -2.2, -3.1, 4.0])
    p = np.array([0.001, 0.03, 0.08, 0.7, 0.09, 0.04, 0.002, np.nan])
    assert hotspot_bins(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3, 0]


def test_nothing_significant_when_bh_finds_nothing():
    assert bh_cutoff(np.array([0.5, 0.9]), 0.05) < 0
    assert hotspot_bins(np.array([2.0, -2.0]), np.array([0.5, 0.9]), fdr=True).tolist() == [0, 0]
