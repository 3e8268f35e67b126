"""XYZ vector tile routes: one tileset per layer and the fused `onemap` tileset."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from gis.auth import Principal, optional_principal
from gis.errors import NotFound
from layers.registry import find_layer
from tiles.mvt import checked_tile, render

router = APIRouter(prefix="/tiles", tags=["tiles"])
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
FUSED = "onemap"


@router.get("/{tileset}/{z}/{x}/{y}.mvt", summary="A vector tile of one layer or of the fused one map")
async def tile(tileset: str, z: int, x: int, y: int, request: Request,
               principal: Annotated[Principal | None, Depends(optional_principal)]) -> Response:
    coordinates = checked_tile(z, x, y)
    sees_private = principal is not None and principal.can("read_private")
    async with request.app.state.pool.connection() as conn:
        registered = await request.app.state.layers.layers(conn)
        if tileset == FUSED:
            # per-class component layers are subsets of `components`: the fused tile shows it once
            layers = [layer for layer in registered
                      if layer.class_prefix is None and (sees_private or not layer.is_private)]
        else:
            layer = find_layer(registered, tileset)
            if layer.is_private and not sees_private:  # invisible: the same 404 as an unknown layer
                raise NotFound(f"layer {tileset!r} does not exist")
            layers = [layer]
        body = await render(conn, layers, coordinates)
    headers = {}
    # The fused tile and private layers differ by token: caches must key on Authorization,
    # and what a token saw must not be stored by shared caches.
    if tileset == FUSED or any(layer.is_private for layer in layers):
        headers["Vary"] = "Authorization"
        if principal is not None:
            headers["Cache-Control"] = "private"
    return Response(body, media_type=MVT_MEDIA_TYPE, headers=headers)
