"""CAD drawings (.dxf) as survey files: the components drawn on CAD layers named for their class.

Survey contractors draw a census in CAD: a manhole cover or a lamp is a block reference (a symbol)
or a circle on a layer such as 雨水井盖 or 路灯, a kerb or a green a polyline or hatch on its own
layer. Each CAD layer is read as a survey layer, so its name gives its rows a class (by the class's
code or standard name, or the mapping's `classes:`) the way a GeoPackage layer's name does.

GDAL's DXF driver reads the model space's entities, with block references kept as one point at their
insertion point (DXF_INLINE_BLOCKS=FALSE) instead of the circles and lines that draw the symbol, and
their attributes (ATTRIB: 编号, 材质 …) as columns of their own. Text (labels, annotation) is never a
component and is not read; a circle is read as its centre, where the component stands. The drawing's
text is decoded as a CSV is (UTF-8 in AutoCAD 2007 and later, GBK before on Chinese Windows, or
--encoding) and handed to GDAL as UTF-8, since GDAL decodes the code page a drawing names only with
iconv, which pyogrio's GDAL lacks.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gis.errors import ImportValidationError
from layers.survey_csv import decode_text
from layers.survey_tables import RawLayer

_ENTITIES = "entities"
# GDAL's columns that describe the drawing, not the component; the handle is kept (it finds the entity
# in CAD) and the block name (the symbol)
_CAD_COLUMNS = ["Layer", "PaperSpace", "SubClasses", "Linetype", "Text", "BlockScale", "BlockAngle",
                "BlockOCSNormal", "BlockOCSCoords", "BlockAttributes", "Block", "AttributeTag"]
_KEPT = {"EntityHandle": "CAD句柄", "BlockName": "CAD块名"}
_TEXT_CLASSES = ("AcDbText", "AcDbMText")  # TEXT, MTEXT, ATTRIB, ATTDEF
_CIRCLE = "AcDbCircle"  # an arc is AcDbCircle:AcDbArc


class Drawing:
    """The model-space entities of a drawing that can be components, by CAD layer, and notes."""

    def __init__(self, entities: gpd.GeoDataFrame, encoding: str, notes: list[str]) -> None:
        self.entities = entities
        self.encoding = encoding
        self.notes = notes

    def layers(self) -> dict[str, int]:
        """Entities per CAD layer, in drawing order."""
        return {str(k): int(v) for k, v in self.entities["Layer"].value_counts(sort=False).items()}

    def layer(self, path: Path, name: str | None) -> RawLayer:
        """The components drawn on the CAD layer `name` (None: on every layer), block attributes as
        columns, circles as their centres."""
        entities = self.entities
        if name is not None:
            if name not in self.layers():
                raise ImportValidationError(f"{path}: no CAD layer {name!r}; the CAD layers holding shapes "
                                            f"are {list(self.layers())}")
            entities = entities[entities["Layer"] == name]
        entities = entities.reset_index(drop=True)
        notes = list(self.notes) if name is None else []  # else layers_to_read gave the drawing's once
        geometries = np.asarray(entities.geometry.array, dtype=object)
        circles = entities["SubClasses"].fillna("").str.endswith(_CIRCLE).to_numpy()
        if circles.any():
            geometries[circles] = shapely.centroid(geometries[circles])
            notes.append(f"{int(circles.sum())} circle(s) read as their centres")
        attributes = pd.concat([_block_attributes(entities["BlockAttributes"]),
                                entities[list(_KEPT)].rename(columns=_KEPT)], axis=1)
        attributes = attributes.dropna(axis=1, how="all")
        rows = np.arange(1, len(entities) + 1)
        return RawLayer(attributes, geometries, rows, encoding=self.encoding, notes=notes)


def read_drawing(path: Path, codec: str | None) -> Drawing:
    """The drawing at `path` (cached while the file is unchanged: an import reads it once per CAD layer)."""
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size, codec)


@lru_cache(maxsize=1)
def _read(path: Path, _mtime: int, _size: int, codec: str | None) -> Drawing:
    notes: list[str] = []
    text, encoding = decode_text(path, path.read_bytes(), codec, notes)
    try:
        with _dxf_options():
            frame = pyogrio.read_dataframe(io.BytesIO(text.encode("utf-8")), layer=_ENTITIES)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as error:
        raise ImportValidationError(f"{path}: cannot read the drawing: {error}") from None
    subclasses = frame["SubClasses"].fillna("")
    text_entities = subclasses.str.contains("|".join(_TEXT_CLASSES)).to_numpy()
    paper = frame["PaperSpace"].fillna(0).to_numpy() != 0
    empty = np.asarray(shapely.is_missing(frame.geometry.array) | shapely.is_empty(frame.geometry.array))
    if text_entities.any():
        notes.append(f"{int(text_entities.sum())} text entities (labels, annotation) not read")
    if (paper & ~text_entities).any():
        notes.append(f"{int((paper & ~text_entities).sum())} paper-space entities (layouts, frames) not read")
    keep = ~text_entities & ~paper & ~empty
    entities = frame[keep]
    for column in [*_CAD_COLUMNS, *_KEPT]:
        if column not in entities.columns:
            entities = entities.assign(**{column: None})
    return Drawing(gpd.GeoDataFrame(entities, geometry=frame.geometry.name), encoding, notes)


@contextmanager
def _dxf_options() -> Iterator[None]:
    """Block references as points; the text as the UTF-8 it was recoded to, whatever code page it names."""
    pyogrio.set_gdal_config_options({"DXF_INLINE_BLOCKS": "FALSE", "DXF_ENCODING": "UTF-8"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"DXF_INLINE_BLOCKS": None, "DXF_ENCODING": None})


def _block_attributes(values: pd.Series) -> pd.DataFrame:
    """A column per attribute tag of the block references ('编号 440304…' → 编号: 440304…)."""
    records = []
    for value in values:
        pairs = [str(item).split(" ", 1) for item in (value if value is not None else [])]
        records.append({tag: (rest[0] if rest else None) for tag, *rest in pairs})
    tags = list(dict.fromkeys(tag for record in records for tag in record))
    return pd.DataFrame.from_records(records, index=values.index, columns=tags)
