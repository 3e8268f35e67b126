"""The push hub: one LISTEN connection fanned out to every subscriber, heartbeats, clean close."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import psycopg

from layers.case_history import CaseHistoryRecord, import_case_history
from layers.feeds_events import EventHub, format_event
from tests.conftest import template_clone


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


def test_a_case_crossing_its_deadline_with_time_alone_is_announced(server_url, db_url):
    """No write happens when a case becomes overdue; the hub's announcer tells the map anyway."""
    with template_clone(server_url, "onemap_test_deadline_push") as url:
        with psycopg.connect(url) as conn:
            lon, lat = conn.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                                    "FROM onemap.v_unit_grid ORDER BY code LIMIT 1) c").fetchone()
            import_case_history(conn, [CaseHistoryRecord(
                kind="event", class_code="06001", source="inspector", urgency="A", state="dispatched",
                reported_at=datetime.now(UTC) - timedelta(hours=1), lon=lon, lat=lat, case_no="PUSH1")])
            conn.commit()

        async def scenario() -> list[dict]:
            hub = EventHub(url, heartbeat_s=30, deadline_poll_s=0.3)
            stream = hub.stream()
            assert (await anext(stream)).startswith("retry:")
            await asyncio.sleep(0.5)  # the announcer has taken its first reading of the clock
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute("UPDATE onemap.city_case SET due_soon_at = now() - interval '1 minute', "
                                   "deadline_at = now() + interval '1 second' WHERE case_no = 'PUSH1'")
            events = []
            while not any(event["deadline_state"] == "overdue" for event in events):
                chunk = await _next_event(stream, "event: cases")
                events.append(json.loads(chunk.split("data: ", 1)[1]))
            await hub.close()
            return events

        events = asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    assert events[0]["deadline_state"] == "due_soon", "the update itself is announced at once"
    assert events[-1]["case_no"] == "PUSH1" and events[-1]["deadline_state"] == "overdue"
