"""`onemap analysis hotspots|density`: case hot spots (Gi*) and kernel density from the command line."""

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from gis.cli.context import ready_database_url, settings_of
from gis.database import connect
from gis.errors import InvalidParameter

if TYPE_CHECKING:  # numpy and shapely load when a command runs
    from gis.analysis.aggregate import CaseFilter

app = typer.Typer(help="Hot spot analysis of cases (Getis-Ord Gi*, kernel density).", no_args_is_help=True)


def _filter(start: str | None, end: str | None, classes: str | None, kind: str | None) -> "CaseFilter":
    from gis.analysis.aggregate import CaseFilter, period

    try:
        days = period(date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)
    except ValueError as error:
        raise InvalidParameter(f"--from/--to: {error} (expected YYYY-MM-DD)") from None
    parts = tuple(c.strip() for c in (classes or "").split(",") if c.strip())
    return CaseFilter(*days, parts, kind)


@app.command()
def hotspots(
    ctx: typer.Context,
    start: str = typer.Option(None, "--from", help="first day, YYYY-MM-DD (default: 90 days before --to)"),
    end: str = typer.Option(None, "--to", help="last day, inclusive (default: today)"),
    classes: str = typer.Option(None, "--class", help="class codes or prefixes, comma-separated"),
    kind: str = typer.Option(None, help="event | component"),
    level: str = typer.Option("grid", help="grid | community | street"),
    permutations: int = typer.Option(999, min=0, max=99999),
    fdr: bool = typer.Option(False, help="Benjamini–Hochberg cut-offs for the bins"),
    out: Path = typer.Option(None, help="write the GeoJSON here"),
    publish: bool = typer.Option(False, "--store", help="publish as the `hotspots` map layer (grid only)"),
) -> None:
    """Gi* hot spots of the matching cases; prints the count per bin."""
    case_filter = _filter(start, end, classes, kind)
    if publish and level != "grid":
        raise InvalidParameter("--store publishes unit grid results only (use --level grid)")
    settings = settings_of(ctx)
    import numpy as np

    from gis.analysis.aggregate import case_counts
    from gis.analysis.hotspots import HotspotOptions, analyse, store, to_geojson  # esda, scipy: ~1 s

    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        result = analyse(case_counts(conn, level, case_filter), HotspotOptions(permutations, fdr=fdr))
        if publish:
            store(conn, result, case_filter)
            conn.commit()
    if out is not None:
        out.write_text(json.dumps(to_geojson(result, case_filter), ensure_ascii=False), encoding="utf-8")
    bins = np.bincount(result.bins + 3, minlength=7)
    typer.echo(
        f"{int(result.units.cases.sum())} cases in {len(result.units.codes)} units "
        f"{case_filter.date_from} … {case_filter.date_to}; bins -3..+3: {bins.tolist()}"
        + (" (stored as layer hotspots)" if publish else "")
    )


@app.command()
def density(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="the Cloud-Optimized GeoTIFF to write"),
    start: str = typer.Option(None, "--from"),
    end: str = typer.Option(None, "--to"),
    classes: str = typer.Option(None, "--class"),
    kind: str = typer.Option(None),
    cell_size: float = typer.Option(10.0, min=1.0, help="metres"),
    bandwidth: float = typer.Option(None, min=1.0, help="metres (default: Silverman's rule)"),
) -> None:
    """Kernel density of the matching cases in the city's Gauss-Krüger zone."""
    from gis.analysis.aggregate import case_points

    case_filter = _filter(start, end, classes, kind)
    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        lonlat = case_points(conn, case_filter)
    if len(lonlat) < 2 and bandwidth is None:
        raise InvalidParameter("fewer than two cases match: give --bandwidth or widen the period")
    import shapely

    from gis.analysis.kde import kernel_density, to_cog  # scipy, rasterio: ~1 s
    from gis.crs import CGCS2000, gauss_kruger_epsg, transform

    zone = gauss_kruger_epsg(float(lonlat[:, 0].mean()))
    xy = shapely.get_coordinates(transform(shapely.points(lonlat), CGCS2000, zone))
    surface = kernel_density(xy, epsg=zone, cell_size=cell_size, bandwidth=bandwidth)
    out.write_bytes(to_cog(surface))
    typer.echo(
        f"wrote {out}: {surface.values.shape[1]} × {surface.values.shape[0]} cells of {cell_size:g} m, "
        f"EPSG:{zone}, bandwidth {surface.bandwidth:.0f} m, {surface.count} cases "
    )
