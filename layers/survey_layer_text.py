"""Text columns of a vector layer read through Arrow that are not UTF-8.

GeoPackage and SpatiaLite store text as UTF-8 by their rules, but older Chinese GIS tools wrote GBK into
them all the same. Arrow hands such bytes over unchecked, and pandas fails on them later with a bare
traceback. So each text column is checked by Arrow's own UTF-8 validation, over its buffers without
building Python strings (the read line of bench/import_components.py prices it); one that is not
UTF-8 is read as GB18030 (a superset of GBK) when its text reads as Chinese so, with a note, and refused
naming the file, layer, column and row otherwise.
"""

from pathlib import Path

import pandas as pd
import pyarrow as pa

from gis.errors import ImportValidationError
from layers.survey_dbf import chinese_encoding

_NOT_UTF8 = "is not UTF-8, as the format requires"
_SAVE_AGAIN = ("save the layer again in UTF-8 (QGIS: Export → Save Features As, encoding UTF-8) and import "
               "that")


def decode_non_utf8_text(frame: pd.DataFrame, path: Path, layer: str | None, notes: list[str]) -> None:
    """Decode in place, as GB18030, the Arrow-backed text columns of `frame` that are not valid UTF-8."""
    decoded: list[str] = []
    for column in frame.columns:
        values = frame[column].array
        if not isinstance(values, pd.arrays.ArrowStringArray):
            continue
        text = pa.array(values)  # the column's own Arrow data (chunked when read in batches), not a copy
        try:
            text.validate(full=True)
            continue
        except pa.ArrowInvalid:
            pass
        blobs: list[bytes | None] = text.cast(pa.large_binary()).to_pylist()
        chinese = chinese_encoding([], [blob for blob in blobs if blob and not blob.isascii()])
        try:
            strings = [None if blob is None else blob.decode("gb18030") for blob in blobs]
        except UnicodeDecodeError:
            chinese = None
        if chinese != "GB18030":
            row = next(row for row, blob in enumerate(blobs, 1) if blob and not _is_utf8(blob))
            where = f"{path}: layer {layer!r}" if layer is not None else str(path)
            raise ImportValidationError(f"{where}, column {column!r}, row {row}: text {_NOT_UTF8}, and does "
                                        f"not read as GBK/GB18030 Chinese either: {_SAVE_AGAIN}")
        frame[column] = pd.array(strings, dtype=values.dtype)
        decoded.append(str(column))
    if decoded:
        notes.append(f"text of column(s) {', '.join(decoded)} {_NOT_UTF8}: read as GB18030 (GBK), as older "
                     f"Chinese GIS tools wrote it; check the names read, or {_SAVE_AGAIN}")


def _is_utf8(blob: bytes) -> bool:
    try:
        blob.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
