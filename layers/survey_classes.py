"""The class of a survey row as contractors write it, read as the class code of the scheme.

Besides the plain code, survey tables carry a class in forms that lose nothing of it:
* full-width digits (０１００１), typed with a Chinese input method;
* the code without its leading zero (1001 for 01001): a spreadsheet keeps a typed code as a
  number, and a number has no leading zero;
* the class's standard name (上水井盖), or its code and name together (01001 上水井盖,
  01001-上水井盖, 上水井盖(01001)), as drop-down lists of survey apps write them;
* the standard name with a remark in brackets after it (上水井盖(圆形)), as forms qualify a class.
Each form is read only when it names exactly one class of the table; anything else is left as
written, for the validator to refuse with the table's reason. Each form read is counted in a note.
"""

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from gis.errors import ImportValidationError
from grid_codes.classes import CODE_LENGTHS, ClassInfo, ClassTable, Scheme
from grid_codes.errors import InvalidCode
from layers.distinct_values import distinct_combinations, from_distinct, is_missing

_DIGITS = re.compile(r"[0-9]+")
_BETWEEN_CODE_AND_NAME = " -_:、/|()[]【】"  # around a code beside its name: 01001-上水井盖, 上水井盖(01001)
_REPEATED_LAYER_NAME = re.compile(r"\s*\(#[0-9]+\)$")  # GDAL's name for a layer repeating another's
_CODE_BETWEEN_LETTERS = re.compile(r"[A-Za-z]*[_-]?([0-9]+)[_-]?[A-Za-z]*")  # L01037, JG_01002, 01002_pt
# A standard name with a remark in brackets after it, as forms qualify a class (污水井盖(圆形), 路灯【双头】)
_NAME_AND_REMARK = re.compile(r"(?P<name>.+?)\s*[(\[【](?P<remark>[^()\[\]【】]*)[)\]】]")
_KEPT_AS_NUMBER = re.compile(r"^([0-9]+)\.0+$")  # 1003.0: a code a spreadsheet or a dbf kept as a number
_FORM_NOTES = {
    "full-width": "class codes written in full-width digits read as ASCII digits",
    "leading zero": "class codes without their leading zero (a spreadsheet keeps a typed code as a "
                    "number) read with it",
    "number": "class codes kept as numbers (01003.0) read as the code",
    "name": "classes written by their standard name read as its code",
    "code and name": "classes written as code and name read as the code",
    "name and remark": "classes written as a standard name with a remark in brackets (污水井盖(圆形)) read "
                       "as its code",
}
_MAPPING_HINT = "; a mapping file's classes: section reads a survey's own class names as codes"


def class_codes(written: np.ndarray, files: np.ndarray, scheme: Scheme,
                table: ClassTable) -> tuple[np.ndarray, list[str]]:
    """Per row, the class code that `written` names (as written where it names none), and
    notes per file counting the rows read from each other form."""
    codes, distinct = pd.factorize(pd.Series(written, dtype=object))
    read = [_read(str(value), scheme, table) for value in distinct]
    resolved = np.array([code for code, _ in read] + [None], dtype=object)[codes]
    forms = np.array([form for _, form in read] + [None], dtype=object)[codes]
    read_from_form = np.flatnonzero(pd.notna(forms))
    counted = Counter((str(files[i]), str(forms[i])) for i in read_from_form)
    return resolved, [f"{file}: {count} row(s): {_FORM_NOTES[form]}"
                      for (file, form), count in sorted(counted.items())]


def _read(value: str, scheme: Scheme, table: ClassTable) -> tuple[str, str | None]:
    """The code `value` names and the form it was written in (None: as the code, or unread)."""
    plain = _KEPT_AS_NUMBER.sub(r"\1", unicodedata.normalize("NFKC", value).strip())
    width = CODE_LENGTHS[scheme]
    if plain.isascii() and plain.isdigit():
        if len(plain) == width - 1 and table.get(scheme, "component", "0" + plain) is not None:
            return "0" + plain, "leading zero"
        if plain == value.strip():
            return plain, None
        return plain, ("full-width" if plain.isdigit() and not value.strip().isascii() else "number")
    named = _named(plain, scheme, table)
    if len(named) == 1:
        return named[0].code.code, "name"
    beside = _code_beside_name(plain, scheme, table)
    if beside is not None and beside[0] in _named(beside[1], scheme, table):
        return beside[0].code.code, "code and name"
    remarked = _NAME_AND_REMARK.fullmatch(plain)
    if remarked is not None and len(named := _named(remarked["name"], scheme, table)) == 1:
        return named[0].code.code, "name and remark"
    return value, None


def class_of_columns(columns: Sequence[tuple[str, np.ndarray]], scheme: Scheme, table: ClassTable,
                     mapped: Callable[[object], str | None]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The class of rows that write it in several columns (a census form's 小类代码 and 小类名称): per row
    the value of the first column that names a listed class (`mapped`: the mapping's `classes:`), else the
    first value written, for the validator to explain; per row the reason where the columns name
    different classes (None elsewhere); and notes on values that name no class beside one that does."""
    values = []
    for _, column in columns:
        codes, distinct = pd.factorize(column)  # each distinct cell read once
        values.append(from_distinct(np.array([_written(value) for value in distinct], dtype=object), codes,
                                    None))
    first_rows, groups = distinct_combinations(values)
    sizes = np.bincount(groups)
    chosen: list[object] = []
    reasons: list[str | None] = []
    unnamed: Counter[tuple[int, str]] = Counter()  # rows per (column, value naming no class beside a class)
    for group, row in enumerate(first_rows):
        written = [(i, value[row]) for i, value in enumerate(values) if value[row] is not None]
        named = [(i, v, mapped(v) or listed_class(v, scheme, table)) for i, v in written]
        codes = set(code for _, _, code in named if code is not None)
        if len(codes) > 1:
            chosen.append(None)
            reasons.append(" but ".join(f"{columns[i][0]} {v!r} is class {code}" for i, v, code in named
                                        if code is not None) + ": the columns name different classes")
            continue
        first = written[0][1] if written else None
        chosen.append(next((v for _, v, code in named if code is not None), first))
        reasons.append(None)
        for i, v, code in named:
            if codes and code is None:
                unnamed[(i, v)] += int(sizes[group])
    notes = []
    for i, (name, _) in enumerate(columns):
        shown = [v for column, v in unnamed if column == i]
        if shown:
            rows = sum(n for (column, _), n in unnamed.items() if column == i)
            notes.append(f"{rows} row(s): {name} {', '.join(map(repr, shown[:5]))}{' …' * (len(shown) > 5)} "
                         f"names no {scheme} class; the class is the one the other column names")
    return np.array(chosen, dtype=object)[groups], np.array(reasons, dtype=object)[groups], notes


def _written(value: object) -> str | None:
    """A class cell as text, None for an empty one."""
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def listed_class(value: str, scheme: Scheme, table: ClassTable) -> str | None:
    """The listed class `value` names in any form a class column is read in, else None."""
    code, _ = _read(value, scheme, table)
    return code if table.get(scheme, "component", code) is not None else None


def given_class(value: str, scheme: Scheme, table: ClassTable) -> str:
    """The listed class --class names, in any form a class column is read in (01003, 1003, 雨水井盖 …);
    refused once, before any file is read, when it names none."""
    code = listed_class(value, scheme, table)
    if code is not None:
        return code
    reason = unread_reason(value, scheme, table, in_rows=False)
    if reason is None:  # a code: the class table says why it names no class
        try:
            table.lookup(scheme, "component", value.strip())
        except InvalidCode as error:
            reason = str(error)
    raise ImportValidationError(f"--class: {reason}")


def _named(name: str, scheme: Scheme, table: ClassTable) -> tuple[ClassInfo, ...]:
    """The classes of this standard name, full-width brackets and the like compared as half-width ones: a
    table writes 输油（气）井盖, a form typed on a half-width keyboard 输油(气)井盖."""
    exact = table.find_by_name(scheme, "component", name)
    if exact:
        return exact
    folded = unicodedata.normalize("NFKC", name)
    return tuple(info for info in table.classes(scheme, "component")
                 if unicodedata.normalize("NFKC", info.name or "") == folded)


def class_named_by(source: str, scheme: Scheme, table: ClassTable) -> str | None:
    """The listed class a layer, file or folder name names (01002, 污水井盖, 01002污水井盖 …), else None.

    GDAL's suffix on a layer that repeats another's name (路灯 (#2): a KML folder nested in another of
    its name) is left out, and a code between letters (L01037, JG_01002, 01002_pt: a geodatabase's
    feature class named after it) counts. A code without its leading zero does not: a file named 2023
    is a year, not class 02023.
    """
    name = _REPEATED_LAYER_NAME.sub("", source)
    code, form = _read(name, scheme, table)
    if form != "leading zero" and table.get(scheme, "component", code) is not None:
        return code
    lettered = _CODE_BETWEEN_LETTERS.fullmatch(name)
    if lettered is None or len(lettered[1]) != CODE_LENGTHS[scheme]:
        return None
    return lettered[1] if table.get(scheme, "component", lettered[1]) is not None else None


def unread_reason(value: str, scheme: Scheme, table: ClassTable, *, in_rows: bool = True) -> str | None:
    """Why a written class that is not a code names no class; None for a code (the table says why), unless
    the other scheme lists it: a survey coded in that scheme. A name written in rows (not given by --class)
    gets the hint of a mapping file's classes."""
    plain = unicodedata.normalize("NFKC", value).strip()
    if plain.isascii() and plain.isdigit():
        other: Scheme = "legacy" if scheme == "gb47678" else "gb47678"
        listed = table.get(other, "component", plain)
        return None if listed is None else (
            f"class {plain} is not a {scheme} code but the {other} code of {listed.name}: pass --scheme "
            f"{other} for a survey coded in that scheme")
    beside = _code_beside_name(plain, scheme, table)
    if beside is not None:
        return f"class {value!r}: {beside[0].code.code} is {beside[0].name}, not {beside[1]}"
    classes = table.classes(scheme, "component")
    majors = {unicodedata.normalize("NFKC", info.major_name): info.code.major
              for info in classes if info.major_name}
    if plain in majors:
        return (f"class {value!r} is the major class (大类) {majors[plain]}: a row needs its minor class "
                "(小类), by code or standard name")
    reason = f"class {value!r} is neither a {scheme} class code nor the standard name of a {scheme} class"
    names = {info.name: info.code.code for info in classes if info.name}
    closest = difflib.get_close_matches(plain, names, n=3, cutoff=0.6)
    if closest:
        reason += f" (closest standard names: {', '.join(f'{name} {names[name]}' for name in closest)})"
    return reason + (_MAPPING_HINT if in_rows else "")


def _code_beside_name(plain: str, scheme: Scheme, table: ClassTable) -> tuple[ClassInfo, str] | None:
    """The listed class of the one code in `plain` (its leading zero may be gone) and the text beside
    it, as the name it was written with; None when `plain` holds no such code."""
    digits = _DIGITS.findall(plain)
    width = CODE_LENGTHS[scheme]
    if len(digits) != 1 or len(digits[0]) not in (width - 1, width):
        return None
    info = table.get(scheme, "component", digits[0].zfill(width))
    return None if info is None else (info, _DIGITS.sub("", plain).strip(_BETWEEN_CODE_AND_NAME))
