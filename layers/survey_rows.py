"""The rows of one import as validation sees them, and what validation collects about them."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis.crs import CrsSpec
from layers.distinct_values import from_distinct


@dataclass(frozen=True)
class Rejection:
    """One reason one row cannot be loaded."""

    file: str
    row: int
    field: str
    reason: str


def rows_rejected(rejections: Sequence[Rejection]) -> int:
    """How many rows the rejections refuse (a row with several problems is one row)."""
    return len({(r.file, r.row) for r in rejections})


@dataclass(frozen=True)
class FileColumns:
    """What one file's columns carry: the standard fields (after the mapping and --fill) and the free
    attributes, and whether it has coordinates. An upsert takes the fields, attributes and position a
    file does not carry from the stored version, so that a sheet of identifiers and states updates the
    states alone."""

    fields: frozenset[str]
    attributes: tuple[str, ...]
    positioned: bool = True


@dataclass
class SurveyRows:
    """All rows of one import, in onemap's standard fields, geometries in EPSG:4490."""

    files: np.ndarray  # source file name per row
    rows: np.ndarray  # row / feature number per row, as the user sees it in that file
    fields: pd.DataFrame  # one column per standard field (object dtype, None when absent)
    attributes: list[dict] | pd.DataFrame  # free attributes per row (jsonb): dicts, or a frame's columns
    geometries: np.ndarray  # shapely geometries in EPSG:4490 (None where absent)
    # per row, why its file gave no geometry although it held coordinates (None elsewhere)
    geometry_problems: np.ndarray | None = None
    # per row, the name of its layer or file: the class of rows that name none, when it names one
    sources: np.ndarray | None = None
    # per row, its file's FileColumns (None: every row carries every field, as a written feature does)
    columns: np.ndarray | None = None
    # per row, why the class columns of its file name no one class (None elsewhere, or no array at all)
    class_problems: np.ndarray | None = None
    # per file (as `files` names it), the CRS its coordinates were read in (None: rows not read from files)
    crs_of_files: dict[str, CrsSpec] | None = None

    def __len__(self) -> int:
        return len(self.rows)


class Collector:
    """The outcome of validation as the checks build it: which rows are still valid, why the others are
    not, and the notes on values read from another written form."""

    def __init__(self, rows: SurveyRows) -> None:
        self.rows = rows
        self.valid = np.ones(len(rows), dtype=bool)
        self.rejections: list[Rejection] = []
        self.notes: list[str] = []
        self.error_values: dict[str, np.ndarray] = {}  # per standard field, the rows that held #N/A &c.

    def reject(self, mask: np.ndarray, field_name: str, reasons: Sequence[str] | str) -> None:
        indices = np.flatnonzero(mask)
        if isinstance(reasons, str):
            reasons = [reasons] * len(indices)
        for i, reason in zip(indices, reasons, strict=True):
            self.rejections.append(Rejection(str(self.rows.files[i]), int(self.rows.rows[i]),
                                             field_name, reason))
        self.valid[indices] = False


def carries(rows: SurveyRows, name: str) -> np.ndarray:
    """Per row, whether its file has a column for the standard field `name`."""
    return per_file(rows, lambda columns: name in columns.fields)


def per_file(rows: SurveyRows, test: Callable[[FileColumns], bool]) -> np.ndarray:
    """Per row, `test` of its file's FileColumns, worked out once per file; True for rows without
    FileColumns (a written feature carries every field)."""
    if rows.columns is None:
        return np.ones(len(rows), dtype=bool)
    codes, distinct = pd.factorize(rows.columns)
    return from_distinct(np.array([test(c) for c in distinct], dtype=bool), codes, True)


def counted(mask: np.ndarray, rows: SurveyRows, what: str, first: int, detail: str) -> str:
    """A note counting the rows of `mask`, with the file and row of the `first` of them and its `detail`."""
    return f"{int(mask.sum())} {what} (first: {rows.files[first]} row {rows.rows[first]}: {detail})"
