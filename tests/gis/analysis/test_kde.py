"""Kernel density: CRS, transform, mass, bandwidth rule, and a valid Cloud-Optimized GeoTIFF."""

import numpy as np
import pytest
import rasterio
from rasterio.io import MemoryFile

from gis.analysis.kde import kernel_density, quartic_kernel, silverman_bandwidth, to_cog

ZONE = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E (Shenzhen)


@pytest.fixture(scope="module")
def points() -> np.ndarray:
    rng = np.random.default_rng(5)
    return rng.normal((500_000.0, 2_490_000.0), (800.0, 500.0), size=(5000, 2))


def test_mass_crs_and_transform(points):
    surface = kernel_density(points, epsg=ZONE, cell_size=10.0)
    assert surface.mass == pytest.approx(len(points), rel=1e-6)
    assert surface.transform.a == 10.0 and surface.transform.e == -10.0
    assert surface.transform.c % 10 == 0 and surface.transform.f % 10 == 0  # snapped to the cell size
    west, north = surface.transform.c, surface.transform.f
    assert west <= points[:, 0].min() - surface.bandwidth and north >= points[:, 1].max() + surface.bandwidth
    with MemoryFile(to_cog(surface)) as memory, memory.open() as dataset:
        assert dataset.crs == rasterio.crs.CRS.from_epsg(ZONE)
        assert dataset.transform == surface.transform
        assert dataset.profile["tiled"] and dataset.overviews(1)
        values = dataset.read(1).astype(np.float64)
        assert values.sum() * 100 / 1e6 == pytest.approx(len(points), rel=1e-5)


def test_the_peak_is_where_the_points_are(points):
    surface = kernel_density(points, epsg=ZONE, cell_size=20.0)
    row, col = np.unravel_index(np.argmax(surface.values), surface.values.shape)
    x, y = surface.transform @ (col + 0.5, row + 0.5)
    assert abs(x - 500_000) < 150 and abs(y - 2_490_000) < 150


def test_silverman_rule():
    xy = np.random.default_rng(1).normal(0, 100.0, size=(10_000, 2))
    # standard distance √2·100, median distance 100·√(2 ln 2) → spread √2·100 (the smaller term ties)
    assert silverman_bandwidth(xy) == pytest.approx(0.9 * np.sqrt(2) * 100 * 10_000**-0.2, rel=0.03)
    assert silverman_bandwidth(np.zeros((1, 2))) == 0.0


def test_kernel_is_normalised_and_round():
    kernel = quartic_kernel(50.0, 10.0)
    assert kernel.sum() == pytest.approx(1.0)
    assert kernel.shape == (11, 11) and kernel[5, 5] == kernel.max() and kernel[0, 0] == 0


def test_fixed_bounds_drop_points_outside():
    xy = np.array([[5.0, 5.0], [500.0, 500.0]])
    surface = kernel_density(xy, epsg=ZONE, cell_size=1.0, bandwidth=2.0, bounds=(0, 0, 10, 10))
    assert surface.count == 1 and surface.values.shape == (10, 10)
