"""Helpers every command shares: the settings of the invocation, the database it targets, and how a refused
option exits."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from gis.database import database_url, local_cluster, uses_local_cluster
from gis.errors import ImportValidationError, InvalidParameter
from gis.settings import Settings

SURVEY_FILES_HELP = ("GeoPackage, Shapefile, GeoJSON, File Geodatabase, MapInfo, KML/KMZ, GPX, CSV (or "
                     "tab-delimited .txt/.tsv), XLSX or XLS files, DXF drawings, .zip/.7z/.rar/.tar archives "
                     "of them, or folders holding them")
CRS_HELP = "CRS of the coordinates: EPSG:xxxx, gcj02, bd09, a PROJ string or a .prj file (else the file's)"
LAYER_HELP = ("layer of a GeoPackage / File Geodatabase / KML, CAD layer of a drawing, or sheet of a "
              "workbook (else the first; a drawing's every CAD layer)")


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def ready_database_url(settings: Settings) -> str:
    """The database URL, starting the local cluster first when it is the one in use."""
    if uses_local_cluster(settings) and not local_cluster(settings).status().running:
        typer.echo("starting the project-local PostgreSQL cluster …", err=True)
    return database_url(settings, start=True)


@contextmanager
def options_checked() -> Iterator[None]:
    """An option refused before any row is read (InvalidParameter) exits 3, as refused input does (README)."""
    try:
        yield
    except InvalidParameter as refused:
        raise ImportValidationError(str(refused)) from None
