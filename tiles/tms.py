"""Tile matrix sets (OGC TMS 2.0, from morecantile) and the tiles onemap can cut from them.

WebMercatorQuad tiles are cut from each layer's stored `geom_3857`; WorldCRS84Quad tiles are cut
from the stored EPSG:4490 `geom` (CGCS2000 and WGS84 lon/lat agree to a few centimetres, far
below a tile pixel), so neither needs a per-request reprojection.
"""

from dataclasses import dataclass
from typing import NamedTuple

import morecantile

from gis.errors import InvalidParameter, NotFound

EXTENT = 4096  # MVT units per tile side
BUFFER = 64  # MVT units of geometry kept beyond the tile edge


class Bounds(NamedTuple):
    """A box in some CRS: min x, min y, max x, max y."""

    min_x: float
    min_y: float
    max_x: float
    max_y: float

    def grown(self, margin: float) -> "Bounds":
        if not margin:
            return self
        return Bounds(self.min_x - margin, self.min_y - margin, self.max_x + margin, self.max_y + margin)

    def intersects(self, other: "Bounds") -> bool:
        return (self.min_x <= other.max_x and other.min_x <= self.max_x
                and self.min_y <= other.max_y and other.min_y <= self.max_y)


@dataclass(frozen=True)
class MatrixSet:
    """One supported tile matrix set: the morecantile definition and the column its tiles read."""

    id: str
    tms: morecantile.TileMatrixSet
    geometry_column: str
    srid: int

    def tile(self, z: int, x: int, y: int) -> morecantile.Tile:
        """The tile, or InvalidParameter naming the bad index."""
        if not self.tms.minzoom <= z <= self.tms.maxzoom:
            raise InvalidParameter(f"zoom {z} is outside {self.tms.minzoom}..{self.tms.maxzoom} "
                                   f"of {self.id}")
        matrix = self.tms.matrix(z)
        if not (0 <= x < matrix.matrixWidth and 0 <= y < matrix.matrixHeight):
            raise InvalidParameter(f"tile {z}/{x}/{y} does not exist in {self.id}: x must be in "
                                   f"0..{matrix.matrixWidth - 1} and y in 0..{matrix.matrixHeight - 1}")
        return morecantile.Tile(x, y, z)

    def bounds(self, tile: morecantile.Tile) -> Bounds:
        """The tile's box in the matrix set's CRS (the envelope the SQL clips to)."""
        b = self.tms.xy_bounds(tile)
        return Bounds(b.left, b.bottom, b.right, b.top)

    def mercator_bounds(self, tile: morecantile.Tile) -> Bounds:
        """The tile's box in EPSG:3857, buffer included (what cache invalidation compares)."""
        b = self.bounds(tile)
        if self.srid != 3857:
            lo = WEB_MERCATOR.tms.xy(max(b.min_x, -180.0), max(b.min_y, -85.0511287798))
            hi = WEB_MERCATOR.tms.xy(min(b.max_x, 180.0), min(b.max_y, 85.0511287798))
            b = Bounds(lo.x, lo.y, hi.x, hi.y)
        margin_x = (b.max_x - b.min_x) * BUFFER / EXTENT
        margin_y = (b.max_y - b.min_y) * BUFFER / EXTENT
        return Bounds(b.min_x - margin_x, b.min_y - margin_y, b.max_x + margin_x, b.max_y + margin_y)

    def tiles_over(self, box: Bounds, zoom: int) -> tuple[range, range]:
        """The x and y index ranges of the tiles at `zoom` whose buffered bounds may meet an
        EPSG:3857 box (one extra tile on each side: a tile's buffer reaches into its neighbours)."""
        if self.srid != 3857:
            lo = WEB_MERCATOR.tms.lnglat(box.min_x, box.min_y)
            hi = WEB_MERCATOR.tms.lnglat(box.max_x, box.max_y)
            box = Bounds(lo.x, lo.y, hi.x, hi.y)
        matrix = self.tms.matrix(zoom)
        size = matrix.cellSize * matrix.tileWidth
        origin_x, origin_y = matrix.pointOfOrigin
        left, right = int((box.min_x - origin_x) // size), int((box.max_x - origin_x) // size)
        top, bottom = int((origin_y - box.max_y) // size), int((origin_y - box.min_y) // size)
        return (range(max(left - 1, 0), min(right + 2, matrix.matrixWidth)),
                range(max(top - 1, 0), min(bottom + 2, matrix.matrixHeight)))


WEB_MERCATOR = MatrixSet("WebMercatorQuad", morecantile.tms.get("WebMercatorQuad"), "geom_3857", 3857)
WORLD_CRS84 = MatrixSet("WorldCRS84Quad", morecantile.tms.get("WorldCRS84Quad"), "geom", 4490)
MATRIX_SETS = {m.id: m for m in (WEB_MERCATOR, WORLD_CRS84)}


def matrix_set(identifier: str) -> MatrixSet:
    try:
        return MATRIX_SETS[identifier]
    except KeyError:
        raise NotFound(f"tile matrix set {identifier!r} does not exist; onemap serves "
                       f"{', '.join(MATRIX_SETS)}") from None
