"""The push hub: one LISTEN connection fanned out to every subscriber, heartbeats, clean close."""

import asyncio

import psycopg

from layers.feeds_events import EventHub, format_event


def test_an_event_with_a_multi_line_payload_keeps_every_line():
    assert format_event("cases", '{"a":\n1}') == 'event: cases\ndata: {"a":\ndata: 1}\n\n'


async def _next_event(stream, prefix: str) -> str:
    async for chunk in stream:
        if chunk.startswith(prefix):
            return chunk
    raise AssertionError("the stream ended")


def test_two_subscribers_share_one_listener_and_both_get_each_channel(db_url):
    async def scenario() -> tuple[list[str], list[str], int]:
        hub = EventHub(db_url, heartbeat_s=30)
        first, second = hub.stream(), hub.stream()
        assert (await anext(first)).startswith("retry:")
        assert (await anext(second)).startswith("retry:")
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            listeners = await (
                await conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE 'LISTEN%%'"
                )
            ).fetchone()
            await conn.execute("SELECT pg_notify('onemap_vehicles', '[{\"id\":\"FT001\"}]')")
            await conn.execute('SELECT pg_notify(\'onemap_cases\', \'{"id":7,"state":"filed"}\')')
        got_first = [await _next_event(first, "event:"), await _next_event(first, "event:")]
        got_second = [await _next_event(second, "event:"), await _next_event(second, "event:")]
        await hub.close()
        return got_first, got_second, listeners[0]

    got_first, got_second, listeners = asyncio.run(scenario())
    assert got_first == got_second
    assert got_first[0] == 'event: vehicles\ndata: [{"id":"FT001"}]\n\n'
    assert got_first[1] == 'event: cases\ndata: {"id":7,"state":"filed"}\n\n'
    assert listeners == 1


def test_an_idle_stream_sends_heartbeats_and_ends_when_the_hub_closes(db_url):
    async def scenario() -> list[str]:
        hub = EventHub(db_url, heartbeat_s=0.2)
        stream = hub.stream()
        chunks = [await anext(stream), await anext(stream)]
        await hub.close()
        chunks += [chunk async for chunk in stream]
        return chunks

    chunks = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert chunks[1] == ": heartbeat\n\n"
    assert all(not c.startswith("event:") for c in chunks)
