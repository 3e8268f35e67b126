"""XYZ vector tile routes: one tileset per layer and the fused `onemap` tileset."""

from fastapi import APIRouter, Request, Response

from gis.errors import NotFound
from layers.registry import get_layer, list_layers
from tiles.mvt import checked_tile, render

router = APIRouter(prefix="/tiles", tags=["tiles"])
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
FUSED = "onemap"


@router.get("/{tileset}/{z}/{x}/{y}.mvt", summary="A vector tile of one layer or of the fused one map")
async def tile(tileset: str, z: int, x: int, y: int, request: Request) -> Response:
    coordinates = checked_tile(z, x, y)
    async with request.app.state.pool.connection() as conn:
        if tileset == FUSED:
            # per-class component layers are subsets of `components`: the fused tile shows it once
            layers = [layer for layer in await list_layers(conn)
                      if not layer.is_private and layer.class_prefix is None]
        else:
            layer = await get_layer(conn, tileset)
            if layer.is_private:  # private layers are served only with a token (issue 5)
                raise NotFound(f"layer {tileset!r} does not exist")
            layers = [layer]
        body = await render(conn, layers, coordinates)
    return Response(body, media_type=MVT_MEDIA_TYPE)
