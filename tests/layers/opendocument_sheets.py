"""OpenDocument spreadsheets (.ods) written for tests as LibreOffice Calc writes them: runs of identical
cells and rows written once with their repeat count, an error cell typed calcext:value-type="error" with
the error as its text and an empty office:string-value."""

import zipfile
from datetime import date, datetime
from itertools import groupby
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from layers.spreadsheet_errors import ERROR_VALUES

_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def write_ods(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    tables = "".join(f"<table:table table:name={quoteattr(name)}>{_rows(rows)}</table:table>"
                     for name, rows in sheets.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NAMESPACES} '
               f'office:version="1.3"><office:body><office:spreadsheet>{tables}</office:spreadsheet>'
               "</office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), _MIMETYPE)  # first and stored, as the format asks
        book.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _rows(rows: list[list[object]]) -> str:
    written = []
    for row, run in groupby("".join(_cells(cells)) for cells in rows):
        repeat = len(list(run))
        attribute = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
        written.append(f"<table:table-row{attribute}>{row}</table:table-row>")
    return "".join(written)


def _cells(cells: list[object]) -> list[str]:
    written = []
    for cell, run in groupby(_cell(value) for value in cells):
        repeat = len(list(run))
        written.append(cell.replace("<table:table-cell", f'<table:table-cell table:number-columns-repeated='
                                                          f'"{repeat}"', 1) if repeat > 1 else cell)
    return written


def _cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, str) and value in ERROR_VALUES:
        return ('<table:table-cell table:formula="of:=VLOOKUP([.A1];[.X1:.Y9];2;0)" '
                'office:value-type="string" office:string-value="" calcext:value-type="error">'
                f"<text:p>{escape(value)}</text:p></table:table-cell>")
    if isinstance(value, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{value!r}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if isinstance(value, date | datetime):
        return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
    return (f'<table:table-cell office:value-type="string" calcext:value-type="string">'
            f"<text:p>{escape(str(value))}</text:p></table:table-cell>")
