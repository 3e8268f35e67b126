"""The tile cache: LRU bound, ETag, invalidation of exactly the tiles an edit touched (through the
change log of migration 0008), live-layer TTL, and the disk tier shared with `onemap tiles seed`."""

import asyncio
import json
from typing import cast

import mapbox_vector_tile
import morecantile
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gis.auth import create_token
from gis.cli.tiles import seed
from tests.tiles.conftest import CENTRE, tiles_client
from tiles.cache import Entry, TileCache
from tiles.service import TileService
from tiles.tms import WEB_MERCATOR as MATRIX_SET
from tiles.tms import Bounds

WEB_MERCATOR = morecantile.tms.get("WebMercatorQuad")
COLLECTION = "/collections/components_gb47678_01002/items"


def _entry(size: int, box: Bounds | None = None, kinds: frozenset[str] = frozenset({"components"})) -> Entry:
    return Entry(b"x" * size, kinds, box or Bounds(0, 0, 10, 10))


def test_lru_stays_within_its_byte_bound_and_drops_the_least_recent():
    cache = TileCache(max_bytes=3 * 1200)
    for key in "abc":
        cache.put((key,), _entry(1000))
    assert cache.get(("a",)) is not None  # a is now the most recent
    cache.put(("d",), _entry(1000))
    assert ("b",) not in cache and ("a",) in cache and ("d",) in cache
    assert cache.bytes <= cache.max_bytes


def test_invalidation_drops_only_intersecting_entries_of_the_kind():
    cache = TileCache(max_bytes=10**6)
    cache.put(("near",), _entry(10, Bounds(0, 0, 10, 10)))
    cache.put(("far",), _entry(10, Bounds(100, 100, 110, 110)))
    cache.put(("roads",), _entry(10, Bounds(0, 0, 10, 10), frozenset({"road"})))
    assert cache.invalidate("components", [Bounds(5, 5, 6, 6)]) == 1
    assert ("near",) not in cache and ("far",) in cache and ("roads",) in cache


def test_a_render_that_raced_an_invalidation_is_not_stored():
    cache = TileCache(max_bytes=10**6)
    generation = cache.generation
    cache.invalidate("components", [Bounds(0, 0, 1, 1)])
    cache.put(("stale",), _entry(10), generation=generation)
    assert ("stale",) not in cache


def _service(client: TestClient) -> TileService:
    service: TileService = cast(FastAPI, client.app).state.tiles
    return service


def _path(tile: morecantile.Tile, tileset: str = "components") -> str:
    return f"/tiles/{tileset}/{tile.z}/{tile.x}/{tile.y}.mvt"


def _ids(client, tile: morecantile.Tile) -> set[str]:
    response = client.get(_path(tile))
    if response.status_code == 204:
        return set()
    features = mapbox_vector_tile.decode(response.content)["components"]["features"]
    return {f["properties"]["id"] for f in features}


def _cached_tiles(client) -> set[tuple[str, ...]]:
    return {key for key in _service(client).cache._entries if key[0] == "tile"}


def test_api_edit_invalidates_exactly_the_touched_tiles(settings, own_db_url, db):
    with psycopg.connect(own_db_url) as conn:
        token = create_token(conn, name="tiles-editor", role="editor", created_by="tests")
    identifier, lon, lat = db.execute(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM onemap.v_component WHERE class_code = '01002' "
        "AND ST_DWithin(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4490), 0.01) ORDER BY id LIMIT 1",
        CENTRE).fetchone()
    new_lon, new_lat = lon + 0.004, lat + 0.003  # a few hundred metres away, in other z17 tiles
    old_tile, new_tile = WEB_MERCATOR.tile(lon, lat, 17), WEB_MERCATOR.tile(new_lon, new_lat, 17)
    far_tile = WEB_MERCATOR.tile(lon - 0.02, lat - 0.01, 17)
    with tiles_client(settings, own_db_url) as client:
        assert identifier in _ids(client, old_tile)
        assert identifier not in _ids(client, new_tile)
        client.get(_path(far_tile))
        before = _cached_tiles(client)
        assert len(before) == 3, (old_tile, new_tile, far_tile, before)
        patch = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [new_lon, new_lat]},
                 "properties": {}}
        response = client.patch(f"{COLLECTION}/{identifier}", content=json.dumps(patch),
                                headers={"Content-Type": "application/geo+json",
                                         "Authorization": f"Bearer {token}"})
        assert response.status_code in (200, 204), response.text
        cache = _service(client).cache
        hits = cache.hits
        client.get(_path(far_tile))  # the first request after the edit applies the change log
        assert cache.hits == hits + 1  # the untouched tile came from the cache
        survivors = before & _cached_tiles(client)
        assert [key[-3:] for key in survivors] == [(str(far_tile.z), str(far_tile.x), str(far_tile.y))]
        assert identifier in _ids(client, new_tile)
        assert identifier not in _ids(client, old_tile)


def test_a_write_from_another_process_invalidates_every_zoom(settings, own_db_url, db):
    identifier, lon, lat = db.execute(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM onemap.v_component WHERE geometry_type = 'point' "
        "ORDER BY id DESC LIMIT 1").fetchone()
    with tiles_client(settings, own_db_url) as client:
        tiles = [WEB_MERCATOR.tile(lon, lat, z) for z in (12, 14, 16, 18)]
        before = {t.z: client.get(_path(t)).content for t in tiles}
        # what an import in another process does: close the current version (the next is not opened)
        db.execute("UPDATE onemap.component SET valid_to = now() WHERE id = %s AND valid_to IS NULL",
                   (identifier,))
        after = {t.z: client.get(_path(t)).content for t in tiles}
        assert all(after[z] != before[z] for z in before)
        assert identifier not in _ids(client, tiles[-1])


def test_large_statements_are_coalesced_in_the_change_log(db):
    start = db.execute("SELECT coalesce(max(id), 0) FROM onemap.tile_change").fetchone()[0]
    changed = db.execute("UPDATE onemap.component SET note = 'tiles' WHERE valid_to IS NULL").rowcount
    rows, features = db.execute("SELECT count(*), sum(features) FROM onemap.tile_change "
                                "WHERE id > %s AND kind = 'components'", (start,)).fetchone()
    assert changed > 10_000
    assert rows < 50 and features == 2 * changed  # old and new geometry of every row


def test_live_layers_get_a_short_ttl(settings, own_db_url):
    with tiles_client(settings, own_db_url, tiles_live_ttl_s=30.0) as client:
        tile = WEB_MERCATOR.tile(*CENTRE, 14)
        response = client.get(_path(tile, "onemap"))
        assert response.status_code == 200
        service = _service(client)
        parts = {key[1]: entry for key, entry in service.cache._entries.items() if key[0] == "part"}
        live = [name for name in ("vehicles", "cases") if name in parts]
        assert all(parts[name].expires_at is not None for name in live)
        assert parts["components"].expires_at is None and parts["admin"].expires_at is None
        if live:
            assert "max-age=30" in response.headers["cache-control"]


def test_seeded_disk_tier_serves_tiles_until_a_write_touches_them(settings, own_db_url, db, tmp_path):
    tuned = settings.model_copy(update={"tiles_cache_dir": tmp_path, "tiles_change_poll_s": 0.0})
    box = (CENTRE[0] - 0.003, CENTRE[1] - 0.003, CENTRE[0] + 0.003, CENTRE[1] + 0.003)
    report = asyncio.run(seed(tuned, own_db_url, tileset="components", tms=MATRIX_SET, zooms=[16], bbox=box,
                              quiet=True))
    assert report.tiles >= 1 and report.over_budget == 0
    assert list(tmp_path.rglob("*.mvt"))
    with tiles_client(settings, own_db_url, tiles_cache_dir=tmp_path) as client:
        tile = WEB_MERCATOR.tile(*CENTRE, 16)
        identifier = next(iter(_ids(client, tile)))
        db.execute("UPDATE onemap.component SET valid_to = now() WHERE id = %s AND valid_to IS NULL",
                   (identifier,))
        _service(client).cache.clear()  # only the disk tier holds the tile now
        assert identifier not in _ids(client, tile)


@pytest.mark.parametrize("header", ["*", "W/{etag}", '"other", {etag}'], ids=["star", "weak", "list"])
def test_if_none_match_forms(client, header):
    path = _path(WEB_MERCATOR.tile(*CENTRE, 16), "onemap")
    etag = client.get(path, headers={"Accept-Encoding": "identity"}).headers["etag"]
    response = client.get(path, headers={"Accept-Encoding": "identity",
                                         "If-None-Match": header.format(etag=etag)})
    assert response.status_code == 304
