"""Tilesets from the layer registry, rendered part by part through the cache.

A tile is the concatenation of its parts (one MVT layer each). Parts are cached on their own, so
a fused tile whose live part (vehicles, cases) expired re-renders only that part. Cache keys hold
the data_version of every layer whose writes the change log does not track; tracked layers
(admin areas, unit grid, roads, components) are invalidated exactly by the log instead, so an edit leaves
the untouched tiles cached.
"""

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import morecantile
import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from gis.errors import DatabaseUnavailable, InvalidParameter
from gis.settings import Settings
from layers.layer_states import check_states
from layers.ogc_query import layer_spec
from layers.registry import Layer, LayerCache, column_types, find_layer, visible
from tiles import FUSED
from tiles.cache import DiskTier, Entry, TileCache
from tiles.changes import ChangeFeed, changed_since, prune
from tiles.filters import TileFilter
from tiles.mvt import PYRAMID_ZOOMS, Source, Zooms, mode_at, render_part
from tiles.tms import WEB_MERCATOR, Bounds, MatrixSet

# The fused tileset's MVT layers and the registry kind each is built from (the roles).
ROLES = (("admin", "admin"), ("grid", "grid"), ("roads", "road"), ("components", "components"),
         ("cameras", "cameras"), ("vehicles", "vehicles"), ("cases", "cases"), ("hotspots", "analysis"))
LIVE_KINDS = frozenset({"vehicles", "cases"})
# Relations whose writes the triggers of migration 0008 log; other layers key on their data_version.
TRACKED_RELATIONS = frozenset({("onemap", "v_county"), ("onemap", "v_street"), ("onemap", "v_community"),
                               ("onemap", "v_unit_grid"), ("onemap", "road"), ("onemap", "v_component")})
_PRUNE_EVERY_S = 3600.0
# A component aggregate sits at the mean of its unit grid cell's (or 1 km square's) members:
# an edit moves it by less than this many metres.
SUMMARY_REACH_M = 1500.0
# How long a tile request queues for a pooled connection. Tiles come in bursts (a map view asks
# for a dozen at once), so a burst larger than the pool waits its turn instead of failing after
# the pool's short default wait; past this, the answer is a 503, never a 500.
POOL_WAIT_S = 30.0


@dataclass(frozen=True)
class Part:
    """One MVT layer of a tileset and the registry layers it is built from."""

    name: str
    layers: tuple[Layer, ...]

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(layer.kind for layer in self.layers)

    @property
    def live(self) -> bool:
        return bool(self.kinds & LIVE_KINDS)

    @property
    def version(self) -> str:
        return ",".join(f"{layer.name}:{layer.data_version}" for layer in self.layers
                        if (layer.schema, layer.relation) not in TRACKED_RELATIONS)


def zoom_range(parts: Sequence[Part], zooms: Zooms) -> tuple[int, int]:
    """The zooms at which some part is drawn (points from the cluster zoom on)."""
    lows, highs = [], []
    for part in parts:
        for layer in part.layers:
            pointy = layer.geometry_type in ("point", "mixed")
            lows.append(min(layer.min_zoom, zooms.cluster_min) if pointy else layer.min_zoom)
            highs.append(layer.max_zoom)
    return (min(lows), max(highs)) if lows else (0, 22)


def deepest_matrix(matrix_set: MatrixSet, parts: Sequence[Part], zooms: Zooms) -> int:
    """The deepest tile matrix of a tileset (capped by the matrix set's): clients overzoom it."""
    return min(zoom_range(parts, zooms)[1], matrix_set.tms.maxzoom)


def tileset_parts(tileset: str, layers: Sequence[Layer], *, sees_private: bool) -> list[Part]:
    """The parts of a tileset: the fused `onemap` one, or one registry layer (NotFound otherwise;
    a private layer is as invisible to those who may not read it as an unknown one)."""
    shown = visible(layers, sees_private=sees_private)
    if tileset == FUSED:
        parts = []
        for name, kind in ROLES:
            members = tuple(layer for layer in shown if layer.kind == kind and layer.class_prefix is None)
            if members:
                parts.append(Part(name, members))
        return parts
    return [Part(tileset, (find_layer(shown, tileset),))]


class TileService:
    """Everything a tile request needs: registry snapshot, cache tiers, change feed."""

    def __init__(self, settings: Settings, pool: AsyncConnectionPool, registry: LayerCache) -> None:
        self.settings = settings
        self.pool = pool
        self.registry = registry
        self.cache = TileCache(int(settings.tiles_cache_mb * 1024 * 1024))
        self.disk = DiskTier(settings.tiles_cache_dir) if settings.tiles_cache_dir else None
        self.feed = ChangeFeed()
        self.zooms = Zooms(settings.tiles_cluster_min_zoom, settings.tiles_cluster_max_zoom)
        self.layers: list[Layer] = []
        self.columns: Mapping[str, Mapping[str, str]] = {}
        self.queryables: Mapping[str, Mapping[str, str]] = {}  # per layer, what its items API filters on
        self._registry_at = self._polled_at = self._pruned_at = -float("inf")
        self._lock = asyncio.Lock()
        self._parts: dict[tuple[str, bool], list[Part]] = {}
        self._deepest: dict[tuple[str, bool, str], int] = {}  # (tileset, sees_private, matrix set)
        self._renders = asyncio.Semaphore(settings.tiles_render_concurrency)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection for tile work; a pool that stays exhausted or a database that is
        down is DatabaseUnavailable (503)."""
        try:
            async with self.pool.connection(timeout=POOL_WAIT_S) as conn:
                # Tile work is single reads: in autocommit each costs one round trip instead of
                # three (BEGIN, the read, COMMIT). The pool's other users get the connection back
                # as they lent it.
                lent = conn.autocommit
                await conn.set_autocommit(True)
                try:
                    yield conn
                finally:
                    with suppress(psycopg.Error):  # a broken connection: the pool discards it
                        await conn.set_autocommit(lent)
        except (PoolTimeout, psycopg.OperationalError) as error:
            detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise DatabaseUnavailable(f"the database is unavailable or busy; try again shortly ({detail})") \
                from error

    async def sync(self, *, force: bool = False) -> None:
        """Re-read the registry and apply the change log when their intervals are due."""
        due_registry, due_poll = self._due(force)
        if not (due_registry or due_poll):
            return
        async with self._lock:
            due_registry, due_poll = self._due(force)  # another request may just have synced
            if due_registry or due_poll:
                await self._sync(due_registry, due_poll)

    def _due(self, force: bool) -> tuple[bool, bool]:
        now = time.monotonic()
        return (force or now - self._registry_at >= self.settings.registry_ttl_s,
                force or now - self._polled_at >= self.settings.tiles_change_poll_s)

    async def _sync(self, due_registry: bool, due_poll: bool) -> None:
        async with self.connection() as conn:
            if due_registry:
                layers = await self.registry.layers(conn)
                if layers is not self.layers:
                    self.columns = await column_types(conn)
                    self.queryables = _queryables(layers, self.columns)
                    self.layers = layers
                    self._parts, self._deepest = {}, {}
                self._registry_at = time.monotonic()
            if due_poll:
                await self._apply_changes(conn)
                self._polled_at = time.monotonic()

    async def _apply_changes(self, conn: psycopg.AsyncConnection) -> None:
        boxes: dict[str, list[Bounds]] = defaultdict(list)
        for change in await self.feed.poll(conn):
            boxes[change.kind].append(change.bounds)
        for kind, kind_boxes in boxes.items():
            self.cache.invalidate(kind, kind_boxes)
        if time.monotonic() - self._pruned_at >= _PRUNE_EVERY_S:
            await prune(conn)
            self._pruned_at = time.monotonic()

    def parts(self, tileset: str, *, sees_private: bool, tile_filter: TileFilter) -> list[Part]:
        key = (tileset, sees_private)
        parts = self._parts.get(key)
        if parts is None:  # memoised until the registry changes
            parts = self._parts[key] = tileset_parts(tileset, self.layers, sees_private=sees_private)
        if tile_filter.empty:
            return parts
        kinds = {layer.kind for part in parts for layer in part.layers
                 if tile_filter.applies_to(self.queryables.get(layer.name, {}))}
        if not kinds:
            raise InvalidParameter(f"no layer of tileset {tileset!r} has all of the filtered properties "
                                   f"({', '.join(sorted(tile_filter.names))}) among its queryables "
                                   f"(/collections/{{layer}}/queryables lists them)")
        if tile_filter.states:
            check_states(tile_filter.states, kinds)
        return parts

    async def tile(self, tileset: str, matrix_set: MatrixSet, tile: morecantile.Tile, *,
                   tile_filter: TileFilter, sees_private: bool) -> tuple[Entry, list[Part]]:
        """The encoded tile (every part visible at its zoom), from the cache when it holds it,
        and the tileset's parts."""
        await self.sync()
        parts = self.parts(tileset, sees_private=sees_private, tile_filter=tile_filter)
        deepest = self._deepest.get((tileset, sees_private, matrix_set.id))
        if deepest is None:  # memoised with the parts it is computed from
            deepest = self._deepest[(tileset, sees_private, matrix_set.id)] = deepest_matrix(
                matrix_set, parts, self.zooms)
        if tile.z > deepest:  # OGC API - Tiles /req/core/tc-error: out of the limits is a 400, not a 204
            raise InvalidParameter(f"zoom {tile.z} is past tileset {tileset!r}, whose {matrix_set.id} "
                                   f"matrices end at {deepest} (clients overzoom it)")
        where = (str(tile.z), str(tile.x), str(tile.y))
        versions = "|".join(f"{p.name}@{p.version}" for p in parts)
        key = ("tile", tileset, matrix_set.id, tile_filter.key, versions, *where)
        entry = self.cache.get(key)
        if entry is not None:
            return entry, parts
        generation = self.cache.generation
        async with self._renders, self.connection() as conn:
            rendered = [await self._part(conn, part, matrix_set, tile, tile_filter, generation)
                        for part in parts]
        expiries = [e.expires_at for e in rendered if e.expires_at is not None]
        entry = Entry(b"".join(e.body for e in rendered), frozenset().union(*(p.kinds for p in parts)),
                      matrix_set.mercator_bounds(tile), min(expiries) if expiries else None,
                      max((e.reach for e in rendered), default=0.0),
                      etag=rendered[0].etag if len(rendered) == 1 else "")  # same body, same tag
        if entry.body and self.cache.max_bytes > 0:
            entry.gzipped()  # once, before the entry's size is counted (uncached: on demand only)
        if not any(p.live for p in parts) or self.settings.tiles_live_ttl_s > 0:
            self.cache.put(key, entry, generation=generation)
        return entry, parts

    def _sources(self, part: Part, matrix_set: MatrixSet, zoom: int, tile_filter: TileFilter) -> list[Source]:
        sources = []
        for index, layer in enumerate(part.layers):
            mode = mode_at(layer, zoom, self.zooms)
            columns = self.columns.get(layer.name, {})
            if mode is None or matrix_set.geometry_column not in columns:
                continue
            if mode == "cluster" and matrix_set is WEB_MERCATOR and _summarised(layer):
                if tile_filter.empty and layer.class_prefix is None and zoom in PYRAMID_ZOOMS:
                    mode = "pyramid"
                elif tile_filter.class_only:
                    mode = "summary"
            queryables = self.queryables.get(layer.name, {})
            if not tile_filter.empty and tile_filter.applies_to(queryables):
                condition, params = tile_filter.compile(queryables, index, self.settings.zone)
                sources.append(Source(layer, mode, columns, condition, params))
            else:
                sources.append(Source(layer, mode, columns))
        return sources

    async def _part(self, conn: psycopg.AsyncConnection, part: Part, matrix_set: MatrixSet,
                    tile: morecantile.Tile, tile_filter: TileFilter, generation: int) -> Entry:
        key = ("part", part.name, matrix_set.id, tile_filter.key, part.version,
               str(tile.z), str(tile.x), str(tile.y))
        entry = self.cache.get(key)
        if entry is not None:
            return entry
        bounds = matrix_set.mercator_bounds(tile)
        expires = time.monotonic() + self.settings.tiles_live_ttl_s if part.live else None
        sources: list[Source] | None = None
        body = await self._disk_read(conn, key, part, bounds)
        if body is None:
            sources = self._sources(part, matrix_set, tile.z, tile_filter)
            body = await render_part(conn, part.name, sources, matrix_set, tile) if sources else b""
            if self.disk is not None and not part.live and self.feed.last_id is not None:
                self.disk.write(key, self.feed.last_id, body)
        summarised = any(s.mode == "summary" for s in sources) if sources is not None else True
        entry = Entry(body, part.kinds, bounds, expires, SUMMARY_REACH_M if summarised else 0.0)
        if not part.live or self.settings.tiles_live_ttl_s > 0:
            self.cache.put(key, entry, generation=generation)
        return entry

    async def _disk_read(self, conn: psycopg.AsyncConnection, key: tuple[str, ...], part: Part,
                         bounds: Bounds) -> bytes | None:
        if self.disk is None or part.live:
            return None
        found = self.disk.read(key)
        if found is None:
            return None
        rendered_at, body = found
        if await changed_since(conn, rendered_at, sorted(part.kinds), bounds):
            return None
        return body


def _queryables(layers: Sequence[Layer], columns: Mapping[str, Mapping[str, str]]
                ) -> dict[str, Mapping[str, str]]:
    """Per layer, the properties (and their types) its OGC API items filter on: tile filters take those
    and no other column of the relation."""
    return {layer.name: layer_spec(layer, columns.get(layer.name, {})).fields for layer in layers}


def _summarised(layer: Layer) -> bool:
    """Component layers over the current inventory, which the summary table of migration 0008 counts."""
    return layer.kind == "components" and (layer.schema, layer.relation) == ("onemap", "v_component")


_EXTENT_SQL = """
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom) AS e FROM onemap.admin_area WHERE level = 'county') AS s
"""


async def city_extent(conn: psycopg.AsyncConnection) -> tuple[float, float, float, float] | None:
    """The lon/lat box of the loaded city's counties (None when none is loaded)."""
    row = await (await conn.execute(_EXTENT_SQL)).fetchone()
    return (row[0], row[1], row[2], row[3]) if row and row[0] is not None else None
