"""Privacy of the live feeds: the routes and the push hub honour `is_private` on the layer their data
belongs to, as the tiles and the OGC API do; answers that differ per token say so to caches."""

import asyncio
from collections.abc import Iterator
from contextlib import nullcontext

import psycopg
import pytest
from fastapi.testclient import TestClient

from layers.feeds_events import EventHub
from layers.registry import LayerCache
from tests.gis.conftest import ogc_app_client
from tests.gis.feeds_support import FleetDb, bearer, private_layer

CAMERA = "44030400081326000001"


@pytest.fixture(scope="module")
def client(settings, feeds: FleetDb) -> Iterator[TestClient]:
    with ogc_app_client(settings, feeds.url) as test_client:
        yield test_client


@pytest.mark.parametrize(("layer", "path"), [("vehicles", "/feeds/vehicles"),
                                             ("cameras", f"/feeds/cameras/{CAMERA}"),
                                             ("camera_sectors", f"/feeds/cameras/{CAMERA}")],
                         ids=["positions", "camera", "camera-sector"])
def test_the_feed_of_a_private_layer_answers_as_its_collection(client, feeds, layer, path):
    assert client.get(path).status_code == 200
    with private_layer(feeds.url, layer):
        anonymous, collection = client.get(path), client.get(f"/collections/{layer}/items")
        assert anonymous.status_code == collection.status_code == 404
        assert anonymous.json()["code"] == collection.json()["code"] == "NotFound"
        assert client.get(path, headers=bearer(feeds.viewer)).status_code == 200


def test_a_track_is_kept_out_of_shared_caches(client, feeds):
    response = client.get("/feeds/vehicles/FT001/track", headers=bearer(feeds.viewer))
    assert response.status_code == 200
    assert "Authorization" in response.headers["vary"].split(", ")
    assert response.headers["cache-control"] == "private"


def _notify_case(url: str, case_id: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_notify('onemap_cases', %s)", (f'{{"id": {case_id}}}',))


def test_a_subscriber_without_read_private_gets_no_events_of_a_private_layer(feeds):
    """Case changes are public while the cases layer is; made private, they stop reaching such subscribers
    at the listener's next reading of the registry, and come back when it is public again."""

    async def scenario() -> list[tuple[str, str]]:
        hub = EventHub(feeds.url, heartbeat_s=0.5, layers=LayerCache(0.0))
        public, everyone = hub.stream(public_only=True), hub.stream()
        seen = []
        try:
            assert (await anext(public)).startswith("retry:")
            assert (await anext(everyone)).startswith("retry:")
            for case_id, private in ((1, False), (2, True), (3, False)):
                with private_layer(feeds.url, "cases") if private else nullcontext():
                    await asyncio.sleep(2.5)  # the listener re-reads the registry every second
                    _notify_case(feeds.url, case_id)
                    seen.append((await anext(everyone), await anext(public)))  # everyone's: published
        finally:
            await hub.close()
        return seen

    seen = asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    assert [everyone for everyone, _ in seen] == [f'event: cases\ndata: {{"id": {n}}}\n\n' for n in (1, 2, 3)]
    assert seen[0][1] == 'event: cases\ndata: {"id": 1}\n\n'
    assert seen[1][1] == ": heartbeat\n\n", "a private layer's event reached a public-only subscriber"
    assert seen[2][1] == 'event: cases\ndata: {"id": 3}\n\n'

