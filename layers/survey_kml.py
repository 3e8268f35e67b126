"""The fields of KML placemarks: named in Chinese in their ExtendedData, or kept in their description,
as ArcGIS writes KML.

Google Earth, 奥维互动地图 and 两步路 write a placemark's fields as `<Data name="主管部门"><value>…`. GDAL's
LIBKML driver turns every character of such a name that is not a letter or digit of ASCII into '_', so
主管部门 and 部件状态 both became '____________' and one of them was lost. The names are swapped for
ASCII stand-ins before GDAL reads the file and given back after (`ascii_data_names`).

ArcGIS's Layer To KML (and the KML of web maps made from ArcGIS layers) keeps a feature's attributes not
as ExtendedData but as the HTML table of its popup, one row per field: `<tr><td>ZGBMMC</td><td>区水务局
</td></tr>`. Read as it is, such a census has every field in one 'description' text and none where the
mapping looks, so every row lacks its department. The table's rows become columns here, also when the
popup nests the table of fields under a title row (the layout of ArcGIS's default HTML popup).
"""

import html
import io
import re
import zipfile
from html.parser import HTMLParser

import pandas as pd

_DATA_NAME = re.compile(r"""(<Data\s+name\s*=\s*)(["'])(.*?)\2""", re.DOTALL)
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STAND_IN = "onemap_kml_field_{}"
# What ArcGIS writes in a popup for an empty field
_NULLS = frozenset({"<Null>", "<null>", "&lt;Null&gt;", "Null", ""})


class _TableRows(HTMLParser):
    """The text of each table row's cells; a row of header cells (th) is left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cells: list[str] | None = None
        self._text: list[str] | None = None
        self._header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._cells, self._header = [], False
        elif tag in ("td", "th") and self._cells is not None:
            self._text = []
            self._header = self._header or tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cells is not None and self._text is not None:
            self._cells.append("".join(self._text).strip())
            self._text = None
        elif tag == "tr" and self._cells is not None:
            if not self._header:
                self.rows.append(self._cells)
            self._cells = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def with_description_fields(attributes: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """A KML layer's attributes with the fields of its placemarks' description tables (ArcGIS) in place of
    the descriptions; a field of the name of a column the placemarks have already is left to that column."""
    if "description" not in attributes.columns:
        return attributes
    fields = _description_fields(attributes["description"])
    if fields is None:
        return attributes
    fields = fields.drop(columns=[c for c in fields.columns if c in attributes.columns])
    notes.append(f"fields read from the placemarks' description tables (as ArcGIS writes KML): "
                 f"{', '.join(map(str, fields.columns))}")
    return pd.concat([attributes.drop(columns="description"), fields], axis=1)


def _description_fields(descriptions: pd.Series) -> pd.DataFrame | None:
    """A column per field of the placemarks' description tables, or None when the descriptions are not
    such tables (each filled description must be one whose rows are all field-value pairs)."""
    records: list[dict[str, str | None]] = []
    for text in descriptions:
        if not isinstance(text, str) or not text.strip():
            records.append({})
            continue
        parser = _TableRows()
        parser.feed(text)
        # a row of one cell is a title: ArcGIS's popup puts the feature's label above a table of its fields
        pairs = [cells for cells in parser.rows if len(cells) != 1]
        if not pairs or any(len(cells) != 2 or not cells[0] for cells in pairs):
            return None
        records.append({name: (None if value in _NULLS else value) for name, value in pairs})
    if not any(records):
        return None
    names = list(dict.fromkeys(name for record in records for name in record))
    return pd.DataFrame.from_records(records, index=descriptions.index, columns=names)


def ascii_data_names(kml: bytes, *, zipped: bool) -> tuple[bytes, dict[str, str]] | None:
    """The KML text (of a .kmz: its first .kml) with each ExtendedData Data name that GDAL would mangle
    replaced by an ASCII stand-in, and {stand-in: name}; None when no name needs it or the text is
    not UTF-8 (KML's encoding)."""
    if zipped:
        with zipfile.ZipFile(io.BytesIO(kml)) as archive:
            member = next((n for n in archive.namelist() if n.lower().endswith(".kml")), None)
            if member is None:
                return None
            kml = archive.read(member)
    try:
        text = kml.decode("utf-8")
    except UnicodeDecodeError:
        return None
    stand_ins: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        name = html.unescape(match.group(3))
        if _PLAIN_NAME.fullmatch(name):
            return match.group(0)
        stand_in = stand_ins.setdefault(name, _STAND_IN.format(len(stand_ins)))
        return f"{match.group(1)}{match.group(2)}{stand_in}{match.group(2)}"

    swapped = _DATA_NAME.sub(swap, text)
    if not stand_ins:
        return None
    return swapped.encode("utf-8"), {stand_in: name for name, stand_in in stand_ins.items()}
