"""A worker renders at most ONEMAP_TILES_RENDER_CONCURRENCY tiles in PostgreSQL at once; the rest queue."""

import asyncio

import morecantile
import pytest
from pydantic import SecretStr

from gis.database import create_pool
from gis.settings import Settings
from layers.registry import LayerCache
from tiles.filters import TileFilter
from tiles.service import TileService
from tiles.tms import WEB_MERCATOR

from .conftest import CENTRE

_MIDDLE = WEB_MERCATOR.tms.tile(*CENTRE, 16)
TILES = [morecantile.Tile(_MIDDLE.x + dx, _MIDDLE.y + dy, 16) for dx in range(-2, 2) for dy in range(-1, 1)]


async def _render_all(settings: Settings, url: str, concurrency: int) -> tuple[list[bytes], dict[str, int]]:
    own = settings.model_copy(update={"database_url": SecretStr(url), "tiles_cache_mb": 0.0,
                                      "tiles_render_concurrency": concurrency, "pool_min_size": 1,
                                      "pool_max_size": 10})
    pool = create_pool(url, own)
    await pool.open(wait=True)
    try:
        service = TileService(own, pool, LayerCache(own.registry_ttl_s))
        await service.sync(force=True)
        entries = await asyncio.gather(*(service.tile("onemap", WEB_MERCATOR, tile, tile_filter=TileFilter(),
                                                      sees_private=False) for tile in TILES))
        return [entry.body for entry, _ in entries], pool.get_stats()
    finally:
        await pool.close()


@pytest.mark.parametrize("concurrency", [1, 2])
def test_concurrent_requests_queue_for_a_render_and_all_get_their_tile(settings, db_url, concurrency):
    limited, stats = asyncio.run(_render_all(settings, db_url, concurrency))
    unlimited, free_stats = asyncio.run(_render_all(settings, db_url, len(TILES)))
    assert limited == unlimited and all(limited)  # the same fused tiles, none lost while queued
    # the registry sync holds one connection before the renders start; renders never take more
    assert stats["pool_size"] <= concurrency + 1
    assert free_stats["pool_size"] > concurrency + 1  # without the limit the burst widens the pool
