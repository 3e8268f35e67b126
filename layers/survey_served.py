"""Features saved from an OGC API - Features server read back as the components they are.

A GIS user who saves the features of a components collection (a browser download of
/collections/components/items, QGIS's "Save Features As" of the collection) and sends them back as
a re-delivery carries each feature's 部件标识码 as the Feature's `id` (GDAL reads it as a column named
`id`), the columns onemap derives (scheme, major_code), the version each feature was served from
(valid_from, read as an export's: layers.survey_versions), and the free attributes nested in one
`attributes` object. Read as written, the identifier would be lost and the rest stored as free
attributes, so an unchanged download would open a new version of every component.
"""

import json
import re
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from layers.components import VERSION_FIELD
from layers.field_mapping import ResolvedFields

SERVED_ONLY = ("scheme", "major_code")  # derived from the class, not data
_SERVED_COLUMNS = (*SERVED_ONLY, VERSION_FIELD)  # the columns that tell a collection as onemap serves it
_NESTED = "attributes"
_CODE = re.compile(r"[0-9]{16,17}")


def unpacked(attributes: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The columns of a collection as onemap serves it (`attributes` and _SERVED_COLUMNS all present, each
    `attributes` value an object) with the nested free attributes as columns of their own (a column of the
    file keeps its name over a nested one) and SERVED_ONLY dropped, and a note; as they were otherwise."""
    if not {_NESTED, *_SERVED_COLUMNS} <= set(attributes.columns):
        return attributes, []
    nested = [_object(v) for v in attributes[_NESTED]]
    if any(n is None for n in nested):
        return attributes, []
    table = attributes.drop(columns=[_NESTED, *SERVED_ONLY])
    spread = pd.DataFrame([n or {} for n in nested], index=attributes.index, dtype=object)
    table = pd.concat([table, spread[[c for c in spread.columns if c not in table.columns]]], axis=1)
    return table, [f"features as an OGC API serves components: the free attributes in {_NESTED!r} read as "
                   f"columns; {', '.join(SERVED_ONLY)} not read (onemap derives them); "
                   f"{VERSION_FIELD} read as the version each feature was served from"]


def with_coded_id(resolved: ResolvedFields, attributes: pd.DataFrame) -> tuple[ResolvedFields, str | None]:
    """`resolved` with a column named id as the identifier when the file has no identifier column and every
    value of that column is a 16- or 17-digit code (the validator checks scheme, class and county as for
    any identifier), and a note saying so; as it was, and None, otherwise. `id` is no alias in the
    mapping: most files that have such a column number their rows 1, 2, 3."""
    named = [c for c in resolved.extra if str(c).strip().casefold() == "id"]
    if "id" in resolved.fields or len(named) != 1:
        return resolved, None
    column = named[0]
    values = attributes[column].dropna()
    if not len(values) or not all(_CODE.fullmatch(_digits(v)) for v in pd.unique(values)):
        return resolved, None
    coded = replace(resolved, fields=MappingProxyType({**resolved.fields, "id": column}),
                    extra=tuple(c for c in resolved.extra if c != column),
                    missing=tuple(m for m in resolved.missing if m != "id"))
    return coded, (f"column {column!r} read as the identifier (管理部件标识码): each of its values is a "
                   "16- or 17-digit component code")


def _object(value: object) -> dict | None:
    """A nested object as GDAL gives it (a dict, or its JSON text), {} for an empty cell; None for
    anything else."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return {}
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _digits(value: object) -> str:
    """A cell as the text of its code: strings stripped, integers written out; '' for anything else."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(value)
    return ""
