"""Which files of a delivery are surveys, by suffix: the vector files, tables and drawings onemap reads, the
archives it unpacks, and the survey formats it cannot open, each named in the report with what to convert
it to (a Personal Geodatabase or a MapGIS file may hold most of a census: it is not passed over in silence).
Files of other suffixes (photos, documents, a GML's .xsd) are none of the survey's.
"""

import glob
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Read by GDAL; newline-delimited GeoJSON (GeoJSONSeq) is .geojsonl or .geojsons, SpatiaLite .sqlite
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".geojsonl", ".geojsons", ".topojson", ".gml",
                   ".sqlite", ".fgb", ".gdb", ".tab", ".mif", ".kml", ".kmz", ".gpx")
# Vector files of several layers, named as messages name their format
MULTI_LAYER = {".gpkg": "GeoPackage", ".gdb": "File Geodatabase", ".kml": "KML", ".kmz": "KML", ".gpx": "GPX",
               ".gml": "GML", ".sqlite": "SpatiaLite database", ".topojson": "TopoJSON"}
# GeoJSON text: UTF-8 by RFC 7946 and RFC 8142, which contractors' tools sometimes write in GBK
GEOJSON_SUFFIXES = (".geojson", ".json", ".geojsonl", ".geojsons")
# Delimited text: CSV, and the tab-delimited .txt of Excel's 文本文件(制表符分隔) and Unicode 文本 (UTF-16)
DELIMITED_SUFFIXES = (".csv", ".txt", ".tsv")
# Workbooks calamine reads: Excel's, the .xls that WPS still saves, LibreOffice's OpenDocument .ods
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TABLE_SUFFIXES = (*DELIMITED_SUFFIXES, *WORKBOOK_SUFFIXES)
# Read only when given by name: in a delivery folder or archive a .txt is its 说明.txt more often than a table
NAMED_ONLY_SUFFIXES = (".txt",)
CAD_SUFFIXES = (".dxf",)  # read by layers.survey_cad, a CAD layer at a time
SURVEY_SUFFIXES = VECTOR_SUFFIXES + TABLE_SUFFIXES + CAD_SUFFIXES
ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".tar", ".tar.gz", ".tgz")  # unpacked by layers.survey_deliveries

_PERSONAL_GDB = ("a Personal Geodatabase (Access), which onemap cannot open: export its feature classes to a "
                 "File Geodatabase (.gdb) or GeoPackage and import that")
_SUPERMAP = ("a SuperMap datasource, which onemap cannot open: export its datasets from SuperMap as "
             "Shapefiles or a File Geodatabase (.gdb) and import those")


def _mapgis(kind: str) -> str:
    return (f"a MapGIS {kind} file, which onemap cannot open: export it from MapGIS as a Shapefile and "
            "import that")


UNREAD_FORMATS = {
    ".mdb": _PERSONAL_GDB, ".accdb": _PERSONAL_GDB,
    ".dwg": "a CAD drawing in DWG, which onemap cannot open: save it as DXF and import that",
    ".dgn": "a MicroStation drawing (DGN), which onemap cannot open: save it as DXF and import that",
    ".ovobj": ("an 奥维互动地图 (Ovital Map) object file, which onemap cannot open: export its objects "
               "from 奥维 as KML or KMZ and import that"),
    ".wt": _mapgis("point"), ".wl": _mapgis("line"), ".wp": _mapgis("area"),
    ".udb": _SUPERMAP, ".udbx": _SUPERMAP,
    ".et": ("a WPS 表格 workbook (.et), which onemap cannot open: in WPS save it as an Excel workbook "
            "(.xlsx) and import that"),
    ".xlsb": ("an Excel binary workbook (.xlsb), whose error cells (#N/A of a lookup) onemap cannot tell "
              "from empty ones: save it as an Excel workbook (.xlsx) and import that"),
}


@contextmanager
def temporary_copy(path: Path) -> Iterator[Path]:
    """A copy of `path` and the files beside it of the same name (.dbf, .xsd, a MapInfo table's .dat …) in a
    temporary folder, for reading with GDAL where it would write beside a file or must see it changed (the
    delivery folder is not written to)."""
    with tempfile.TemporaryDirectory(prefix="onemap-read-") as folder:
        for sibling in path.parent.glob(glob.escape(path.stem) + ".*"):
            shutil.copyfile(sibling, Path(folder) / sibling.name)
        yield Path(folder) / path.name
