"""Spatial weights of areal units: queen contiguity or a distance band, binary, islands handled.

Queen contiguity is computed with a shapely STRtree ("the boundaries share at least one point",
libpysal's ``Graph.build_contiguity(rook=False, strict=True)``, which the tests use as the oracle):
importing libpysal.graph costs seconds, too much for a request or ``onemap demo``.

Every statistic of ``gis.analysis`` takes an ``Adjacency``: an n × n sparse matrix (or a libpysal
``W`` / ``Graph``) whose non-zero entries off the diagonal mark neighbours. Geometries must be in a
projected CRS (metres), e.g. the city's Gauss-Krüger zone (``gis.crs.gauss_kruger_epsg``).

Islands (units without a neighbour: a cell cut off by a river or a wide road) would get no local
statistic at all; with ``islands="nearest"`` (the default) each is joined to the unit whose
centroid is nearest, both ways, the usual fix (libpysal's ``attach_islands``).
"""

from typing import Literal, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

Islands = Literal["nearest", "keep"]


class _HasSparse(Protocol):
    @property
    def sparse(self) -> sparse.sparray | sparse.spmatrix: ...


Adjacency: TypeAlias = sparse.sparray | sparse.spmatrix | _HasSparse


def binary_adjacency(adjacency: Adjacency, n: int) -> sparse.csr_array:
    """A CSR matrix of ones for every neighbour pair, diagonal removed, checked against n units."""
    matrix = adjacency if isinstance(adjacency, sparse.sparray | sparse.spmatrix) else adjacency.sparse
    a = sparse.csr_array(matrix, dtype=np.float64, copy=True)
    if a.shape != (n, n):
        raise ValueError(f"weights are {a.shape[0]} × {a.shape[1]} but there are {n} values")
    a.setdiag(0)
    a.eliminate_zeros()
    a.data[:] = 1.0
    a.sort_indices()
    return a


def cardinalities(adjacency: Adjacency, n: int) -> npt.NDArray[np.int64]:
    """Number of neighbours of each unit, itself excluded."""
    return np.diff(binary_adjacency(adjacency, n).indptr).astype(np.int64)


def queen(geometries: npt.ArrayLike, *, islands: Islands = "nearest") -> sparse.csr_array:
    """Queen contiguity: units sharing at least one boundary point are neighbours."""
    geoms = np.asarray(geometries, dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    n = geoms.size
    matrix = sparse.csr_array((np.ones(left.size), (left, right)), shape=(n, n))
    return _with_islands(matrix, geoms, islands)


def distance_band(
    geometries: npt.ArrayLike, threshold: float | None = None, *, islands: Islands = "nearest"
) -> sparse.csr_array:
    """Units whose centroids lie within ``threshold`` metres; by default the smallest threshold that
    leaves no unit without a neighbour (the largest nearest-neighbour distance)."""
    geoms = np.asarray(geometries, dtype=object)
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    if threshold is None:
        threshold = nearest_distance(xy).max() if len(xy) > 1 else 0.0
    tree = cKDTree(xy)
    pairs = tree.query_pairs(float(threshold) * (1 + 1e-9), output_type="ndarray")
    n = len(xy)
    data = np.ones(2 * len(pairs))
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    matrix = sparse.csr_array((data, (rows, cols)), shape=(n, n))
    return _with_islands(matrix, geoms, islands)


def nearest_distance(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Distance from each point to its nearest other point."""
    distances, _ = cKDTree(xy).query(xy, k=2)
    return np.asarray(distances[:, 1], dtype=np.float64)


def _with_islands(
    matrix: sparse.csr_array, geoms: npt.NDArray[np.object_], islands: Islands
) -> sparse.csr_array:
    a = binary_adjacency(matrix, geoms.size)
    alone = np.flatnonzero(np.diff(a.indptr) == 0)
    if islands == "keep" or alone.size == 0 or geoms.size < 2:
        return a
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    _, nearest = cKDTree(xy).query(xy[alone], k=2)
    other = np.where(nearest[:, 0] == alone, nearest[:, 1], nearest[:, 0])
    link = sparse.csr_array(
        (np.ones(2 * alone.size), (np.r_[alone, other], np.r_[other, alone])), shape=a.shape
    )
    return binary_adjacency(a + link, geoms.size)
