"""`onemap tiles seed`: pre-render tiles into the shared disk tier of the tile cache."""

import asyncio
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from gis.cli.context import ready_database_url, settings_of
from gis.database import create_pool
from gis.errors import InvalidParameter
from gis.settings import Settings
from layers.registry import LayerCache
from tiles import FUSED

if TYPE_CHECKING:  # the tile service (morecantile, the CQL parser) loads when a command runs
    from tiles.tms import MatrixSet

app = typer.Typer(help="Vector tiles: pre-render (seed) the disk tier of the tile cache.",
                  no_args_is_help=True)
_ZOOMS = re.compile(r"(\d{1,2})(?:-(\d{1,2}))?")


def parse_zooms(text: str) -> list[int]:
    """`12` or `10-16` (inclusive)."""
    match = _ZOOMS.fullmatch(text.strip())
    if not match:
        raise InvalidParameter(f"--zooms {text!r}: give one zoom (14) or a range (10-16)")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    if not 0 <= low <= high <= 22:
        raise InvalidParameter(f"--zooms {text!r}: zooms must be within 0..22, low to high")
    return list(range(low, high + 1))


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """`minlon,minlat,maxlon,maxlat` in EPSG:4490 / WGS84 degrees."""
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidParameter(f"--bbox {text!r}: give minlon,minlat,maxlon,maxlat") from None
    if not (-180 <= west < east <= 180 and -85 <= south < north <= 85):
        raise InvalidParameter(f"--bbox {text!r}: not a lon/lat box (west < east, south < north)")
    return west, south, east, north


@dataclass
class SeedReport:
    tiles: int = 0
    empty: int = 0
    bytes: int = 0
    largest: int = 0
    over_budget: int = 0


async def seed(settings: Settings, url: str, *, tileset: str, tms: "MatrixSet", zooms: list[int],
               bbox: tuple[float, float, float, float] | None, quiet: bool) -> SeedReport:
    """Render every tile of the box at the zooms through the tile service (which writes the disk tier)."""
    from tiles.filters import parse_tile_filter
    from tiles.mvt import TILE_BUDGET_BYTES
    from tiles.service import TileService, city_extent

    pool = create_pool(url, settings)
    await pool.open(wait=True, timeout=settings.connect_timeout_s)
    try:
        service = TileService(settings, pool, LayerCache(settings.registry_ttl_s))
        await service.sync(force=True)
        everything = parse_tile_filter({})
        service.parts(tileset, sees_private=False, tile_filter=everything)  # NotFound for an unknown one
        if bbox is None:
            async with pool.connection() as conn:
                bbox = await city_extent(conn)
            if bbox is None:
                raise InvalidParameter("the database holds no county boundary: give --bbox")
        tiles = list(tms.tms.tiles(*bbox, zooms=zooms))
        report = SeedReport()
        bar = Progress(TextColumn(f"seeding {tileset}"), BarColumn(),
                       TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), disable=quiet)
        with bar:
            task = bar.add_task("seed", total=len(tiles))
            for tile in tiles:
                entry, _ = await service.tile(tileset, tms, tile, tile_filter=everything, sees_private=False)
                size = len(entry.body)
                report.tiles += 1
                report.empty += size == 0
                report.bytes += size
                report.largest = max(report.largest, size)
                report.over_budget += size > TILE_BUDGET_BYTES
                bar.advance(task)
        return report
    finally:
        await pool.close()


@app.command("seed")
def seed_command(
    ctx: typer.Context,
    tileset: str = typer.Option(FUSED, help="the fused `onemap` tileset or a layer name"),
    zooms: str = typer.Option("10-16", help="one zoom (14) or an inclusive range (10-16)"),
    bbox: str = typer.Option(None, help="minlon,minlat,maxlon,maxlat (default: the city's extent)"),
    tile_matrix_set: str = typer.Option("WebMercatorQuad", "--tms", help="WebMercatorQuad or WorldCRS84Quad"),
    cache_dir: Path = typer.Option(None, help="disk tier to fill (default: ONEMAP_TILES_CACHE_DIR)"),
) -> None:
    """Pre-render tiles into the disk tier that `onemap serve` reads (ONEMAP_TILES_CACHE_DIR)."""
    from tiles.mvt import TILE_BUDGET_BYTES
    from tiles.tms import matrix_set

    settings = settings_of(ctx)
    directory = cache_dir or settings.tiles_cache_dir
    if directory is None:
        raise InvalidParameter("seeding fills the disk tier of the tile cache: set ONEMAP_TILES_CACHE_DIR "
                               "(the directory `onemap serve` reads) or pass --cache-dir")
    levels, box, tms = parse_zooms(zooms), parse_bbox(bbox) if bbox else None, matrix_set(tile_matrix_set)
    settings = settings.model_copy(update={"tiles_cache_dir": directory, "tiles_cache_mb": 8.0})
    report = asyncio.run(seed(settings, ready_database_url(settings), tileset=tileset, tms=tms, zooms=levels,
                              bbox=box, quiet=not sys.stderr.isatty()))
    typer.echo(f"seeded {report.tiles} tiles of {tileset} ({tms.id}, zooms {zooms}) into {directory}: "
               f"{report.empty} empty, {report.bytes / 1e6:.1f} MB, largest {report.largest / 1024:.0f} KB, "
               f"{report.over_budget} over the {TILE_BUDGET_BYTES // 1024} KB budget")
