"""The class of a survey row as contractors write it, read as the class code of the scheme.

Besides the plain code, survey tables carry a class in forms that lose nothing of it:
* full-width digits (０１００１), typed with a Chinese input method;
* the code without its leading zero (1001 for 01001): a spreadsheet keeps a typed code as a
  number, and a number has no leading zero;
* the class's standard name (上水井盖), or its code and name together (01001 上水井盖,
  01001-上水井盖, 上水井盖(01001)), as drop-down lists of survey apps write them.
Each form is read only when it names exactly one class of the table; anything else is left as
written, for the validator to refuse with the table's reason. Each form read is counted in a note.
"""

import re
import unicodedata
from collections import Counter

import numpy as np
import pandas as pd

from grid_codes.classes import CODE_LENGTHS, ClassTable, Scheme

_DIGITS = re.compile(r"[0-9]+")
_BETWEEN_CODE_AND_NAME = " -_:、()[]【】"  # around a code beside its name: 01001-上水井盖, 上水井盖(01001)
_FORM_NOTES = {
    "full-width": "class codes written in full-width digits read as ASCII digits",
    "leading zero": "class codes without their leading zero (a spreadsheet keeps a typed code as a "
                    "number) read with it",
    "name": "classes written by their standard name read as its code",
    "code and name": "classes written as code and name read as the code",
}


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
    plain = unicodedata.normalize("NFKC", value).strip()
    width = CODE_LENGTHS[scheme]
    if plain.isascii() and plain.isdigit():
        if len(plain) == width - 1 and _listed(table, scheme, "0" + plain):
            return "0" + plain, "leading zero"
        return plain, ("full-width" if plain != value.strip() else None)
    named = table.find_by_name(scheme, "component", plain)
    if len(named) == 1:
        return named[0].code.code, "name"
    digits = _DIGITS.findall(plain)
    if len(digits) == 1 and len(digits[0]) in (width - 1, width):
        code = digits[0].zfill(width)
        info = table.get(scheme, "component", code)
        if info is not None and info.name == _DIGITS.sub("", plain).strip(_BETWEEN_CODE_AND_NAME):
            return code, "code and name"
    return value, None


def unread_reason(value: str, scheme: Scheme, table: ClassTable) -> str | None:
    """Why a written class that is not a code names no class; None for a code (the table says why)."""
    plain = unicodedata.normalize("NFKC", value).strip()
    if plain.isascii() and plain.isdigit():
        return None
    digits = _DIGITS.findall(plain)
    width = CODE_LENGTHS[scheme]
    if len(digits) == 1 and len(digits[0]) in (width - 1, width):
        info = table.get(scheme, "component", digits[0].zfill(width))
        if info is not None:
            name = _DIGITS.sub("", plain).strip(_BETWEEN_CODE_AND_NAME)
            return f"class {value!r}: {info.code.code} is {info.name}, not {name}"
    return f"class {value!r} is neither a {scheme} class code nor the standard name of a {scheme} class"


def _listed(table: ClassTable, scheme: Scheme, code: str) -> bool:
    return table.get(scheme, "component", code) is not None
