"""EXPLAIN (ANALYZE, BUFFERS) the statement onemap composes for one MVT layer of a tile.

    .venv/bin/python bench/tiles_explain.py URL [--tileset components] 12/3391/1759 14/13566/7040 ...

Prints, per tile, the mode of each source (raw, cluster, summary, pyramid), the plan and the
execution time: the statement is the one `onemap serve` runs for an unfiltered tile (same
composition code, same bound parameters), so a plan read here is the plan the server gets.
"""

import argparse
import asyncio

import morecantile
import psycopg
from pydantic import SecretStr

from gis.settings import Settings
from layers.registry import LayerCache, column_types
from tiles.filters import TileFilter
from tiles.mvt import part_params, part_statement
from tiles.service import TileService
from tiles.tms import WEB_MERCATOR


async def explain(url: str, tileset: str, tiles: list[str], analyze: bool) -> None:
    settings = Settings(database_url=SecretStr(url), tiles_cache_mb=0)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        service = TileService(settings, None, LayerCache(settings.registry_ttl_s))  # type: ignore[arg-type]
        service.layers = await service.registry.layers(conn)
        service.columns = await column_types(conn)
        for text in tiles:
            z, x, y = (int(v) for v in text.split("/"))
            tile = morecantile.Tile(x, y, z)
            for part in service.parts(tileset, sees_private=True, tile_filter=TileFilter()):
                sources = service._sources(part, WEB_MERCATOR, z, TileFilter())
                if not sources:
                    continue
                modes = ", ".join(f"{s.layer.name}:{s.mode}" for s in sources)
                statement = part_statement(sources, WEB_MERCATOR, simplify=z < 18)
                options = "ANALYZE, BUFFERS" if analyze else "COSTS"
                query = psycopg.sql.SQL("EXPLAIN ({}) ").format(psycopg.sql.SQL(options)) + statement
                params = part_params(part.name, sources, WEB_MERCATOR, tile)
                rows = await (await conn.execute(query, params)).fetchall()
                print(f"== {text} {part.name} ({modes})")
                print("\n".join(row[0] for row in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("tiles", nargs="+", help="z/x/y")
    parser.add_argument("--tileset", default="components")
    parser.add_argument("--no-analyze", action="store_true")
    args = parser.parse_args()
    asyncio.run(explain(args.url, args.tileset, args.tiles, not args.no_analyze))


if __name__ == "__main__":
    main()
