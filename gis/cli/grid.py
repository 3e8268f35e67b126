"""`onemap grid divide|code`: automatic unit-grid division, and which cell a point lies in."""

import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gis.cli.context import ready_database_url, settings_of
from gis.database import connect
from gis.errors import DivisionInputError, InvalidParameter, NotFound

if TYPE_CHECKING:  # geopandas and shapely load when a command runs
    import geopandas as gpd

    from grid_codes.division import Division

app = typer.Typer(help="Unit grids (单元网格): divide communities, locate points.", no_args_is_help=True)

# Field names survey deliveries commonly use for the 12-digit community code.
CODE_FIELDS = ("code", "community_code", "sqdm", "cjdm", "社区代码", "社区编码", "村居代码")


def _read_layer(path: Path, crs: str | None, what: str) -> "gpd.GeoDataFrame":
    import geopandas as gpd

    if not path.is_file():
        raise InvalidParameter(f"{what} file {path} does not exist")
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        raise InvalidParameter(f"{what} file {path} cannot be read: {error}") from error
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
    if frame.crs is None:
        raise DivisionInputError(
            f"{what} file {path} declares no CRS: pass --crs (e.g. EPSG:4490 or EPSG:4547)")
    return frame


def _code_column(frame: "gpd.GeoDataFrame", path: Path, requested: str | None) -> str:
    if requested is not None:
        if requested not in frame.columns:
            raise InvalidParameter(f"communities file {path} has no field {requested!r}; "
                                   f"fields: {', '.join(map(str, frame.columns))}")
        return requested
    for column in frame.columns:
        if str(column).lower() in CODE_FIELDS:
            return str(column)
    fields = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
    raise InvalidParameter(f"communities file {path} has no community code field (tried "
                           f"{', '.join(CODE_FIELDS)}; it has {fields}): pass --code-field")


def _print_report(division: "Division") -> None:
    report = division.report
    typer.echo(f"{'community':<14}{'cells':>6}{'min m²':>10}{'median m²':>11}{'max m²':>10}  outside band")
    for c in report.communities:
        typer.echo(f"{c.community_code:<14}{c.cell_count:>6}{c.area_min_m2:>10.0f}"
                   f"{c.area_median_m2:>11.0f}{c.area_max_m2:>10.0f}  {len(c.out_of_band)}")
        for code, reason in c.out_of_band:
            typer.echo(f"    {code}: {reason}")
    areas = [cell.area_m2 for cell in division.cells]
    if areas:
        typer.echo(f"total: {len(areas)} cells, area min {min(areas):.0f} / median "
                   f"{statistics.median(areas):.0f} / max {max(areas):.0f} m²")
    for repair in report.repairs:
        typer.echo(f"repaired {repair.feature}: {repair.reason} → {repair.result}")
    for trim in report.trims:
        typer.echo(f"trimmed {trim.area_m2:.1f} m² of overlap with {trim.other_code} "
                   f"from {trim.community_code}")


@app.command()
def divide(
    ctx: typer.Context,
    communities: Path = typer.Option(..., help="community polygons (GeoPackage, Shapefile, GeoJSON)"),
    barriers: Path = typer.Option(..., help="barrier lines: roads, rivers, railways, walls"),
    target_area: float = typer.Option(10_000.0, help="target cell area in m² (万米单元网格)"),
    code_field: str = typer.Option(None, help="field holding the 12-digit community code"),
    crs: str = typer.Option(None, help="CRS of input files that declare none, e.g. EPSG:4490"),
    out: Path = typer.Option(None, help="write the cells to this GeoPackage (EPSG:4490)"),
    publish_cells: bool = typer.Option(False, "--publish", help="publish into the unit-grid layer"),
) -> None:
    """Divide communities into coded unit grid cells along barriers, and report the result."""
    if out is None and not publish_cells:
        raise InvalidParameter("nothing to do: pass --out FILE.gpkg and/or --publish")
    import geopandas as gpd
    import shapely

    from gis.crs import CGCS2000, gauss_kruger_epsg
    from grid_codes.division import Community, DivisionOptions, divide_communities
    from layers.unit_grid import current_cells, highest_serials, publish

    started = time.perf_counter()
    areas = _read_layer(communities, crs, "communities").to_crs(CGCS2000)
    lines = _read_layer(barriers, crs, "barriers").to_crs(CGCS2000)
    if not shapely.intersects(shapely.box(*areas.total_bounds), shapely.box(*lines.total_bounds)):
        raise DivisionInputError(
            f"barriers file {barriers} does not overlap the communities in {communities}: "
            "check the CRS each file declares")
    column = _code_column(areas, communities, code_field)
    zone = gauss_kruger_epsg(float(areas.geometry.union_all().centroid.x))
    areas, lines = areas.to_crs(zone), lines.to_crs(zone)
    inputs = [Community(str(code), geom) for code, geom in zip(areas[column], areas.geometry, strict=True)]
    options = DivisionOptions(target_area_m2=target_area)
    codes = [c.code for c in inputs]
    if publish_cells:
        settings = settings_of(ctx)
        with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
            previous = current_cells(conn, codes, zone_epsg=zone)
            division = divide_communities(inputs, list(lines.geometry), options, previous=previous,
                                          highest_serials=highest_serials(conn, codes))
            with conn.transaction():
                result = publish(conn, division.cells, zone_epsg=zone, previous=previous)
        typer.echo(f"published: {result.inserted} new, {result.kept} unchanged, "
                   f"{result.retired} retired")
    else:
        division = divide_communities(inputs, list(lines.geometry), options)
    _print_report(division)
    if out is not None:
        frame = gpd.GeoDataFrame(
            {"code": [c.code for c in division.cells],
             "community_code": [c.community_code for c in division.cells],
             "serial": [c.serial for c in division.cells],
             "area_m2": [round(c.area_m2, 1) for c in division.cells],
             "flag": [str(c.flag) for c in division.cells],
             "note": [c.note for c in division.cells]},
            geometry=[c.geometry for c in division.cells], crs=zone,
        ).to_crs(CGCS2000)
        frame.to_file(out, layer="unit_grid", driver="GPKG")
        typer.echo(f"wrote {len(frame)} cells to {out}")
    typer.echo(f"divided in {time.perf_counter() - started:.1f} s (CGCS2000 GK zone EPSG:{zone})")


@app.command()
def code(
    ctx: typer.Context,
    lon: float = typer.Argument(..., help="longitude, CGCS2000 / WGS84 degrees"),
    lat: float = typer.Argument(..., help="latitude"),
) -> None:
    """Print the unit grid cell, community, street and county of a point."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter(f"({lon}, {lat}) is not a longitude/latitude pair")
    from layers.unit_grid import locate

    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        where = locate(conn, lon, lat)
    if where.county_code is None and where.community_code is None:
        raise NotFound(f"({lon}, {lat}) lies outside every loaded area")
    typer.echo(f"grid: {where.grid_code or '-'}")
    typer.echo(f"community: {where.community_code or '-'} {where.community_name or ''}".rstrip())
    typer.echo(f"street: {where.street_code or '-'} {where.street_name or ''}".rstrip())
    typer.echo(f"county: {where.county_code or '-'} {where.county_name or ''}".rstrip())
