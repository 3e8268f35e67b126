"""Kernel density of case points as a raster (Cloud-Optimized GeoTIFF), in a projected CRS.

Kernel: the quartic (biweight) kernel of Silverman (1986, eq. 4.5), as ArcGIS's Kernel Density:

    f(x) = Σ_i 3 / (π h²) · (1 − d_i² / h²)²   for d_i < h, else 0

in cases per square metre (reported per km²). Bandwidth rule (``bandwidth=None``): Silverman's
rule of thumb in its spatial form (ArcGIS's default search radius), robust to outliers:

    h = 0.9 · min(SD, sqrt(1 / ln 2) · D_m) · n^(−1/5)

with SD the standard distance of the points from their mean centre and D_m the median of those
distances. Points are binned to the raster's cells and the histogram convolved (FFT) with the
kernel sampled on the same grid and normalised to sum 1, so the raster's mass (Σ value × cell
area) equals the number of points exactly; the raster extends one bandwidth beyond the points so
no kernel mass is cut off.
"""

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import rasterio
from affine import Affine
from rasterio.io import MemoryFile
from scipy.signal import fftconvolve

FloatArray = npt.NDArray[np.float64]
PER_KM2 = 1e6


@dataclass(frozen=True)
class Density:
    """A density surface: ``values[row, col]`` in points per km², north-up."""

    values: npt.NDArray[np.float32]
    transform: Affine
    epsg: int
    bandwidth: float  # metres
    cell_size: float  # metres
    count: int

    @property
    def mass(self) -> float:
        """Σ value × cell area: the number of points the surface holds."""
        return float(self.values.sum(dtype=np.float64) * self.cell_size**2 / PER_KM2)


def silverman_bandwidth(xy: FloatArray) -> float:
    """The spatial Silverman rule above, in the units of ``xy``; 0 for fewer than two distinct points."""
    points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if len(points) < 2:
        return 0.0
    distances = np.hypot(*(points - points.mean(axis=0)).T)
    standard_distance = math.sqrt(float((distances**2).mean()))
    median = float(np.median(distances)) * math.sqrt(1 / math.log(2))
    spread = min(standard_distance, median) or standard_distance
    return 0.9 * spread * len(points) ** -0.2


def quartic_kernel(bandwidth: float, cell_size: float) -> FloatArray:
    """The quartic kernel sampled at cell centres within one bandwidth, normalised to sum 1."""
    radius = math.ceil(bandwidth / cell_size)
    offsets = np.arange(-radius, radius + 1) * cell_size
    d2 = offsets[:, None] ** 2 + offsets[None, :] ** 2
    kernel = np.where(d2 < bandwidth**2, (1 - d2 / bandwidth**2) ** 2, 0.0)
    if kernel.sum() == 0:  # bandwidth below half a cell: all mass in the point's own cell
        kernel[radius, radius] = 1.0
    return kernel / kernel.sum()


def kernel_density(
    xy: FloatArray,
    *,
    epsg: int,
    cell_size: float,
    bandwidth: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
) -> Density:
    """Density of points ``xy`` (projected metres in ``epsg``) on a grid of ``cell_size`` metres.

    ``bounds`` (minx, miny, maxx, maxy) fixes the extent (points outside it are dropped); by default
    the points' extent grown by one bandwidth, snapped to multiples of the cell size.
    """
    points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if cell_size <= 0:
        raise ValueError("cell_size must be positive")
    h = float(bandwidth) if bandwidth is not None else silverman_bandwidth(points)
    h = max(h, cell_size)
    if bounds is None:
        if len(points) == 0:
            raise ValueError("no points and no bounds: the raster has no extent")
        low = np.floor((points.min(axis=0) - h) / cell_size) * cell_size
        high = np.ceil((points.max(axis=0) + h) / cell_size) * cell_size
        bounds = (low[0], low[1], high[0], high[1])
    minx, miny, maxx, maxy = bounds
    cols = max(1, math.ceil((maxx - minx) / cell_size))
    rows = max(1, math.ceil((maxy - miny) / cell_size))
    col = np.floor((points[:, 0] - minx) / cell_size).astype(np.int64)
    row = np.floor((maxy - points[:, 1]) / cell_size).astype(np.int64)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    counts = np.bincount(row[inside] * cols + col[inside], minlength=rows * cols).reshape(rows, cols)
    smoothed = fftconvolve(counts.astype(np.float64), quartic_kernel(h, cell_size), mode="same")
    values = np.clip(smoothed, 0, None) * PER_KM2 / cell_size**2
    transform = Affine(cell_size, 0, minx, 0, -cell_size, maxy)
    return Density(values.astype(np.float32), transform, epsg, h, cell_size, int(inside.sum()))


def to_cog(density: Density) -> bytes:
    """The surface as a Cloud-Optimized GeoTIFF (deflate, internal tiles and overviews)."""
    rows, cols = density.values.shape
    profile = {
        "driver": "COG",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": rasterio.crs.CRS.from_epsg(density.epsg),
        "transform": density.transform,
        "compress": "deflate",
        "predictor": 3,
        "blocksize": 256,
        "overview_resampling": "average",
    }
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(density.values, 1)
            dataset.update_tags(
                units="points per km²",
                kernel="quartic",
                bandwidth_m=f"{density.bandwidth:.1f}",
                points=str(density.count),
            )
        return bytes(memory.read())
