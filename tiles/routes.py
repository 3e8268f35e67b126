"""Tile routes: XYZ tiles, OGC API - Tiles (dataset and collection tilesets, tile matrix sets),
TileJSON 3.0 and the MapLibre style of the fused tileset.

Tiles answer 204 No Content when the tile holds no feature, carry a strong ETag (304 on a
matching If-None-Match) and are gzip-encoded when the client accepts it. Tiles and the documents
describing a tileset vary with the caller's token (private layers are left out for those who may not
read them): every answer says `Vary: Authorization` and, to a request with a token, `Cache-Control:
private` (gis.app.CommonHeaders). A tile sets its own: `public` for a public layer's, which is everyone's.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from gis.auth import Principal, optional_principal, sees_private
from gis.errors import NotFound
from tiles import FUSED_TITLE, documents
from tiles.cache import Entry
from tiles.filters import parse_tile_filter
from tiles.service import FUSED, Part, TileService, city_extent
from tiles.style import style
from tiles.tms import WEB_MERCATOR, MatrixSet, matrix_set

router = APIRouter(tags=["tiles"])
MVT_MEDIA_TYPE = documents.MVT
Caller = Annotated[Principal | None, Depends(optional_principal)]


def tile_service(request: Request) -> TileService:
    """The app's tile service, created on first use from its settings, pool and registry cache."""
    state = request.app.state
    if getattr(state, "tiles", None) is None:
        state.tiles = TileService(state.settings, state.pool, state.layers)
    service: TileService = state.tiles
    return service


def _base_url(request: Request) -> str:
    configured: str | None = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _per_caller(caller: Principal | None, tileset: str, parts: list[Part]) -> bool:
    """Whether the answer is the caller's own: the fused tileset or a private layer, for a token."""
    return caller is not None and (tileset == FUSED or any(layer.is_private for part in parts
                                                           for layer in part.layers))


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def tile_response(request: Request, entry: Entry, *, private: bool, live: bool) -> Response:
    """204 for an empty tile, 304 for a matching If-None-Match, else the (gzipped) tile."""
    gzip = "gzip" in request.headers.get("accept-encoding", "").lower() and bool(entry.body)
    etag = entry.etag[:-1] + '-gz"' if gzip else entry.etag
    # revalidation is a cheap 304; the fused tile and private layers differ per token
    headers = {"ETag": etag, "Vary": "Accept-Encoding",
               "Cache-Control": ("private" if private else "public")
               + (f", max-age={int(request.app.state.settings.tiles_live_ttl_s)}" if live else ", no-cache")}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    if not entry.body:
        return Response(status_code=204, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gzipped(level=1), media_type=MVT_MEDIA_TYPE, headers=headers)
    return Response(entry.body, media_type=MVT_MEDIA_TYPE, headers=headers)


async def _tile(request: Request, caller: Principal | None, tileset: str, tms: MatrixSet,
                z: int, x: int, y: int) -> Response:
    service = tile_service(request)
    tile = tms.tile(z, x, y)
    tile_filter = parse_tile_filter(request.query_params)
    entry, parts = await service.tile(tileset, tms, tile, tile_filter=tile_filter,
                                      sees_private=sees_private(caller))
    return tile_response(request, entry, private=_per_caller(caller, tileset, parts),
                         live=any(part.live for part in parts))


@router.get("/tiles/{tileset}/{z}/{x}/{y}.mvt", summary="XYZ vector tile (WebMercatorQuad) of a layer "
            "or of the fused one map", response_class=Response)
async def xyz_tile(tileset: str, z: int, x: int, y: int, request: Request, caller: Caller) -> Response:
    return await _tile(request, caller, tileset, WEB_MERCATOR, z, x, y)


@router.get("/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
            summary="OGC API - Tiles: a tile of the fused one-map dataset tileset", response_class=Response)
async def dataset_tile(tileMatrixSetId: str, tileMatrix: int, tileRow: int, tileCol: int,
                       request: Request, caller: Caller) -> Response:
    return await _tile(request, caller, FUSED, matrix_set(tileMatrixSetId), tileMatrix, tileCol, tileRow)


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
            summary="OGC API - Tiles: a tile of one collection", response_class=Response)
async def collection_tile(collectionId: str, tileMatrixSetId: str, tileMatrix: int,
                          tileRow: int, tileCol: int, request: Request, caller: Caller) -> Response:
    return await _tile(request, caller, collectionId, matrix_set(tileMatrixSetId), tileMatrix, tileCol,
                       tileRow)


async def _described(request: Request, caller: Principal | None,
                     tileset: str) -> tuple[TileService, list[Part], str]:
    """The service, the tileset's parts (NotFound for unknown or invisible ones) and its title."""
    service = tile_service(request)
    await service.sync()
    parts = service.parts(tileset, sees_private=sees_private(caller), tile_filter=parse_tile_filter({}))
    title = FUSED_TITLE if tileset == FUSED else parts[0].layers[0].title
    return service, parts, title


async def _bbox(service: TileService) -> tuple[float, float, float, float] | None:
    async with service.connection() as conn:
        return await city_extent(conn)


@router.get("/tiles", summary="OGC API - Tiles: tilesets of the fused one-map dataset")
async def dataset_tilesets(request: Request, caller: Caller) -> JSONResponse:
    await _described(request, caller, FUSED)
    return JSONResponse(documents.tileset_list(_base_url(request), FUSED, FUSED_TITLE))


@router.get("/tiles/{tileMatrixSetId}", summary="OGC API - Tiles: metadata of the fused dataset tileset")
async def dataset_tileset(tileMatrixSetId: str, request: Request, caller: Caller) -> JSONResponse:
    return await _metadata(request, caller, FUSED, tileMatrixSetId)


@router.get("/collections/{collectionId}/tiles", summary="OGC API - Tiles: tilesets of a collection")
async def collection_tilesets(collectionId: str, request: Request, caller: Caller) -> JSONResponse:
    _, _, title = await _described(request, caller, collectionId)
    return JSONResponse(documents.tileset_list(_base_url(request), collectionId, title))


@router.get("/collections/{collectionId}/tiles/{tileMatrixSetId}",
            summary="OGC API - Tiles: metadata of a collection's tileset")
async def collection_tileset(collectionId: str, tileMatrixSetId: str, request: Request,
                             caller: Caller) -> JSONResponse:
    return await _metadata(request, caller, collectionId, tileMatrixSetId)


async def _metadata(request: Request, caller: Principal | None, tileset: str, tms_id: str) -> JSONResponse:
    tms = matrix_set(tms_id)
    service, parts, title = await _described(request, caller, tileset)
    return JSONResponse(documents.tileset_metadata(_base_url(request), tileset, title, tms, parts,
                                                   service.zooms, await _bbox(service)))


@router.get("/tileMatrixSets", summary="OGC API - Tiles: the tile matrix sets onemap serves")
async def tile_matrix_sets(request: Request) -> JSONResponse:
    return JSONResponse(documents.matrix_set_list(_base_url(request)))


@router.get("/tileMatrixSets/{tileMatrixSetId}", summary="OGC API - Tiles: one tile matrix set (OGC TMS 2.0)")
async def tile_matrix_set(tileMatrixSetId: str) -> JSONResponse:
    return JSONResponse(documents.matrix_set_document(matrix_set(tileMatrixSetId)))


@router.get("/tiles/{tileset}/tilejson.json", summary="TileJSON 3.0 of a tileset's XYZ tiles")
async def tilejson(tileset: str, request: Request, caller: Caller) -> JSONResponse:
    service, parts, title = await _described(request, caller, tileset)
    return JSONResponse(documents.tilejson(_base_url(request), tileset, title, parts, service.columns,
                                           service.zooms, await _bbox(service)))


@router.get("/tiles/{tileset}/style.json", summary="MapLibre style of the fused one-map tileset")
async def map_style(tileset: str, request: Request, caller: Caller) -> JSONResponse:
    if tileset != FUSED:
        raise NotFound(f"onemap publishes a style for the fused tileset {FUSED!r} only")
    _, parts, _ = await _described(request, caller, FUSED)
    return JSONResponse(style(f"{_base_url(request)}/tiles/{FUSED}/tilejson.json", {p.name for p in parts}))
