"""Gathering an import's files into one SurveyRows: every layer read, its columns mapped to the standard
fields, its geometries converted to EPSG:4490, and classes taken from the mapping's names of values,
layers, files and folders."""

from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gis.crs import CrsSpec, to_cgcs2000
from gis.errors import ImportValidationError
from grid_codes.classes import Scheme, default_table
from layers.components import COMPARED_FIELDS, STANDARD_FIELDS
from layers.distinct_values import from_distinct
from layers.field_mapping import FieldMapping
from layers.returned_rows import RETURN_COLUMNS
from layers.survey_classes import class_named_by, class_of_columns
from layers.survey_deliveries import survey_files, without_copies
from layers.survey_read import layers_to_read, read_survey
from layers.survey_rows import FileColumns, SurveyRows
from layers.survey_served import unpacked, with_coded_id

if TYPE_CHECKING:  # the options are the import's; reading takes only what they say about files
    from layers.survey_import import ImportOptions

Progress = Callable[[str, int, int], None]  # stage, done, total


def noop(stage: str, done: int, total: int) -> None:
    return None


def read_rows(paths: Sequence[Path], options: "ImportOptions",
              progress: Progress = noop) -> tuple[SurveyRows, list[str]]:
    """Read every file, map its fields to the standard ones, convert to EPSG:4490; progress counts the
    layers read (a delivery folder may hold hundreds)."""
    files: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    frames: list[pd.DataFrame] = []
    attributes: list[pd.DataFrame] = []
    geometries: list[np.ndarray] = []
    problems: list[np.ndarray] = []
    class_problems: list[np.ndarray] = []
    notes: list[str] = []
    labels: list[str] = []
    names: list[np.ndarray] = []  # per row, its layer's or file's name
    columns: list[np.ndarray] = []  # per row, what its file's columns carry
    crs_of_files: dict[str, CrsSpec] = {}
    headers: set[str] = set()  # every file's column names, and the aliases its cut names were read as
    filled = {name for name, _ in options.fill}
    names_a_class = None if options.class_code else _names_a_class(options)
    progress("read", 0, len(paths))  # until folders are walked and archives unpacked
    with survey_files(paths) as delivered:
        found, copies = without_copies(delivered)
        notes.extend(copies)
        to_read = []
        for file in found:
            layers, layer_notes = layers_to_read(file.path, options.layers, named=file.named,
                                                 encoding=options.encoding, names_a_class=names_a_class)
            notes.extend(f"{file.label}: {note}" for note in layer_notes)
            to_read += [(file.path, layer, f"{file.label}:{layer}" if len(layers) > 1 else file.label)
                        for layer in layers]
        if not to_read:
            raise ImportValidationError(f"{', '.join(f.label for f in found)}: no survey layer to read "
                                        f"({'; '.join(notes)})")
        for done, (path, layer, label) in enumerate(to_read):
            progress("read", done, len(to_read))
            survey = read_survey(path, crs=options.crs, encoding=options.encoding, layer=layer,
                                 positions_stored=options.mode == "upsert")
            notes.extend(f"{label}: {note}" for note in survey.notes)
            labels.append(label)
            if not len(survey):
                notes.append(f"{label}: holds no rows")
            table, served = unpacked(survey.attributes)
            header = [str(c) for c in table.columns]
            resolved, coded = with_coded_id(options.mapping.resolve(header, yielding=survey.yielding), table)
            notes.extend(f"{label}: {note}" for note in [*served, coded] if note is not None)
            headers.update(header, resolved.cut.values())
            notes.extend(f"{label}: column {column!r} read as {alias!r}, whose name the file cut short"
                         for column, alias in resolved.cut.items())
            standard = pd.DataFrame({
                name: table[resolved.fields[name]] if name in resolved.fields else None
                for name in ["class_code", *STANDARD_FIELDS, *COMPARED_FIELDS]
            }, index=table.index)
            conflicts = _class_of_columns(standard, table, resolved.class_columns, options, label, notes)
            extra = table[[c for c in resolved.extra
                           if c not in survey.geometry_columns and c not in RETURN_COLUMNS]]
            if returned := [c for c in RETURN_COLUMNS if c in resolved.extra]:
                notes.append(f"{label}: columns {', '.join(returned)} (of the rows an import refused) are "
                             "not imported")
            carried = FileColumns(frozenset(resolved.fields) | filled, tuple(str(c) for c in extra.columns),
                                  survey.positioned)
            notes.extend(f"{label}: {note}" for note in options.mapping.misspelling_notes(
                carried.attributes, carried=resolved.fields))
            files.append(np.full(len(standard), label, dtype=object))
            if survey.positioned:
                crs_of_files[label] = survey.source_crs
            names.append(np.full(len(standard), layer if layer is not None else path.stem, dtype=object))
            columns.append(np.full(len(standard), carried, dtype=object))
            rows.append(np.asarray(survey.row_numbers))
            frames.append(standard)
            attributes.append(_as_objects(extra))
            geometries.append(to_cgcs2000(np.asarray(survey.geometries, dtype=object), survey.source_crs))
            problems.append(survey.geometry_problems if survey.geometry_problems is not None
                            else np.full(len(standard), None, dtype=object))
            class_problems.append(conflicts)
        progress("read", len(to_read), len(to_read))
    notes += options.mapping.unmatched_notes(headers)
    if not sum(len(numbers) for numbers in rows):  # a header or an empty layer: nothing to validate
        raise ImportValidationError(f"{', '.join(labels)}: no rows to import (only a header, or an empty "
                                    "layer)")
    fields = _as_objects(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame()
    sources = np.concatenate(names)
    notes += _values_of_the_mapping(fields, options.mapping, options.scheme)
    notes += _classes_of_named_sources(fields, sources, np.concatenate(files), options.mapping)
    extras = pd.concat(attributes, ignore_index=True) if attributes else pd.DataFrame()
    return SurveyRows(np.concatenate(files), np.concatenate(rows), fields, extras,
                      np.concatenate(geometries), np.concatenate(problems), sources,
                      np.concatenate(columns), np.concatenate(class_problems), crs_of_files), notes


def _class_of_columns(standard: pd.DataFrame, table: pd.DataFrame, columns: Sequence[str],
                      options: "ImportOptions", label: str, notes: list[str]) -> np.ndarray:
    """Where a file writes the class in several columns, the one class they name, in place, with notes;
    per row the reason where they name different classes (None elsewhere)."""
    if not columns:
        return np.full(len(standard), None, dtype=object)
    written, conflicts, read_notes = class_of_columns(
        [(column, table[column].to_numpy(dtype=object)) for column in columns], options.scheme,
        default_table(), options.mapping.class_code_of)
    standard["class_code"] = written
    notes.append(f"{label}: columns {', '.join(map(repr, columns))} all give the class: a row takes the one "
                 "class they name, and is refused where they name different ones")
    notes.extend(f"{label}: {note}" for note in read_notes)
    return conflicts


def _names_a_class(options: "ImportOptions") -> Callable[[str], bool]:
    """Whether a name (a drawing's CAD layer) names a component class: its code, standard name, or a
    name the mapping's `classes:` lists."""
    table = default_table()
    return lambda name: (options.mapping.class_code_of(name) is not None
                         or class_named_by(name, options.scheme, table) is not None)


def _values_of_the_mapping(fields: pd.DataFrame, mapping: FieldMapping, scheme: Scheme) -> list[str]:
    """Read the class and state values a mapping lists (`classes:`, `states:`) as the codes and standard
    states they stand for, and a longer state value as the one standard state it names, in place; a note
    each."""
    table = default_table()
    wrong = sorted((*mapping.class_lines[written], code) for written, code in mapping.classes.items()
                   if table.get(scheme, "component", code) is None)
    if wrong:
        raise ImportValidationError("\n".join(
            f"{origin} line {line}: classes: {code} is not a {scheme} component class code"
            for origin, line, code in wrong))
    return [note for column, read, what in (
                ("class_code", mapping.class_code_of, f"classes named in {mapping.origin}"),
                ("state", mapping.state_of, f"states named in {mapping.origin}"),
                ("state", mapping.state_within, "states read as the one standard state they name"))
            if (note := _replaced(fields, column, read, what))]


def _classes_of_named_sources(fields: pd.DataFrame, sources: np.ndarray, files: np.ndarray,
                              mapping: FieldMapping) -> list[str]:
    """Rows without a class whose layer or file the `classes:` section names (JG01.shp), else whose
    nearest folder within the delivery it names (JG/福田街道.shp), take its code, in place; a note per
    name."""
    notes: list[str] = []
    if not mapping.classes:
        return notes
    without = pd.isna(fields["class_code"]).to_numpy()
    for source in pd.unique(sources[without]):
        _take_class(fields, without & (sources == source), mapping.class_code_of(source),
                    f"the name {source!r}", mapping, notes)
    without = pd.isna(fields["class_code"]).to_numpy()
    if not without.any():
        return notes
    codes, distinct = pd.factorize(files)  # per file, the nearest folder the section names
    nearest = [next((name for name in reversed(PurePosixPath(str(file)).parent.parts)
                     if mapping.class_code_of(name) is not None), None) for file in distinct]
    folders = from_distinct(np.array(nearest, dtype=object), codes, None)
    for folder in pd.unique(folders[without & pd.notna(folders)]):
        _take_class(fields, without & (folders == folder), mapping.class_code_of(folder),
                    f"the folder {folder!r}", mapping, notes)
    return notes


def _take_class(fields: pd.DataFrame, taken: np.ndarray, code: str | None, origin: str, mapping: FieldMapping,
                notes: list[str]) -> None:
    if code is not None and taken.any():
        fields.loc[taken, "class_code"] = code
        notes.append(f"{int(taken.sum())} row(s) without a class take {code} from {origin} in "
                     f"{mapping.origin}")


def _replaced(fields: pd.DataFrame, column: str, read: Callable[[object], str | None],
              what: str) -> str | None:
    """Replace the values of `column` that `read` knows, in place; a note naming them, or None."""
    written = fields[column].to_numpy(dtype=object)
    codes, distinct = pd.factorize(written)  # each distinct value read once; a million rows hold a few
    read_as = from_distinct(np.array([read(value) for value in distinct], dtype=object), codes, None)
    known = pd.notna(read_as) & (read_as != written)
    if not known.any():
        return None
    pairs = list(dict(zip(written[known], read_as[known], strict=True)).items())
    shown = ", ".join(f"{v} → {c}" for v, c in pairs[:10]) + (" …" if len(pairs) > 10 else "")
    fields.loc[known, column] = read_as[known]
    return f"{int(known.sum())} row(s) of {what}: {shown}"


def _as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns as Python objects; a text column (Arrow strings as read) one distinct string at a
    time, missing as None."""
    columns: dict[int, Any] = {}
    for position in range(frame.shape[1]):  # by position: a file may repeat a column name
        column = frame.iloc[:, position]
        if isinstance(column.dtype, pd.StringDtype):
            codes, distinct = pd.factorize(column)
            columns[position] = from_distinct(np.asarray(distinct, dtype=object), codes, None)
        else:
            columns[position] = column.astype(object).to_numpy()
    objects = pd.DataFrame(columns, index=frame.index, dtype=object)
    objects.columns = frame.columns
    return objects
