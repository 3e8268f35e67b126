"""The identifier (部件标识码) checks of a survey: forms of writing that lose nothing read as the code's
digits, then format, length, class, county and repetition within the import checked. Whether an
identifier is already in the inventory is checked in SQL at staging time (`layers.survey_import`)."""

import re
import unicodedata

import numpy as np
import pandas as pd

from grid_codes.classes import Scheme
from grid_codes.component_id import ComponentId
from grid_codes.errors import InvalidCode
from layers.distinct_values import from_distinct
from layers.survey_rows import Collector, SurveyRows, counted

ID_LENGTH = {"legacy": 16, "gb47678": 17}
# A number of more than 11 digits as Excel, WPS and LibreOffice show it and save it in a CSV: identifiers a
# spreadsheet turned into numbers (layers.survey_workbooks reads a workbook's number cell so too)
_SPREADSHEET_NUMBER = re.compile(r"[0-9](\.[0-9]+)?E\+?[0-9]+")  # 4.4030401001E+16
# A number field's value (a .dbf N field, a GeoPackage REAL) as Python writes a float: 4.4030401001e+16,
# 44030401001000000.0 (see _WHOLE_NUMBER_ID for those below 2^53)
_WHOLE_NUMBER_ID = re.compile(r"([0-9]+)\.0*")
_FIELD_NUMBER = re.compile(r"[0-9](\.[0-9]+)?e\+?[0-9]+|" + _WHOLE_NUMBER_ID.pattern)
# 16 or 17 digits, those past the 15th zeros: 44030401037000100 for 44030401037000123, as a spreadsheet that
# held the code as a number writes it in a number format
_CUT_TO_15_DIGITS = re.compile(r"[1-9][0-9]{14}0{1,2}")
_TAKE_THEM_AGAIN = ("take the identifiers from an XLSX export (onemap export components out.xlsx), which "
                    "keeps them as text, or format the column as text before typing or pasting them")
# A Double field (a .dbf N field, a File Geodatabase Double) hands a whole number over as 4403040101000123.0:
# exact below 2^53, under which a double holds every whole number; a 17-digit code lies above and lost digits
# (_WHOLE_NUMBER_ID, above, reads such a value)
_EXACT_IN_A_DOUBLE = 2**53
# 440304-01003-000001, 440304 01003 000001 (not a dot: 4403040100100001.0 is a number, see _WHOLE_NUMBER_ID)
_SEPARATED_DIGITS = re.compile(r"[0-9]+(?:[ \-_/][0-9]+)*")
_ID_SEPARATORS = re.compile(r"[ \-_/]")


def plain_identifiers(rows: SurveyRows, out: Collector) -> None:
    """Identifiers written in forms that lose nothing of the code read as its digits, in place, with a note
    per form: full-width digits (a Chinese input method), a leading apostrophe (Excel's mark for text that
    would otherwise become a number), separators between the code's parts (440304-01003-000001), and a whole
    number below 2^53 that a Double field holds exactly (4403040101000123.0). Other separated digits that are
    not 16 or 17 digits, and numbers that lost digits, are left as written, for the identifier check to
    explain."""
    ids = rows.fields["id"]
    given = ids.notna().to_numpy()
    if not given.any():  # the database allocates them all
        return
    written = given & ~ids.astype(object).str.fullmatch("[0-9]+").fillna(True).to_numpy(bool)
    separated: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for text in pd.unique(ids[written]):
        plain = unicodedata.normalize("NFKC", str(text)).strip().removeprefix("'")
        if (number := _WHOLE_NUMBER_ID.fullmatch(plain)) and int(number[1]) < _EXACT_IN_A_DOUBLE:
            numbers[str(text)] = number[1]
        elif _SEPARATED_DIGITS.fullmatch(plain) and len(digits := _ID_SEPARATORS.sub("", plain)) in (16, 17):
            separated[str(text)] = digits
    _read_identifiers(rows, separated, out, "identifier(s) written with full-width digits, a leading "
                                            "apostrophe or separators read as their digits")
    _read_identifiers(rows, numbers, out, "identifier(s) stored as numbers read as their digits")


def _read_identifiers(rows: SurveyRows, read: dict[str, str], out: Collector, what: str) -> None:
    """Replace the identifiers written as a key of `read` by its value, in place, with a note counting
    them."""
    if not read:
        return
    ids = rows.fields["id"]
    changed = ids.isin(list(read)).to_numpy()
    first = int(np.argmax(changed))
    out.notes.append(counted(changed, rows, what, first, f"{ids.iloc[first]!r} as {read[ids.iloc[first]]}"))
    rows.fields.loc[changed, "id"] = ids[changed].map(read)


def refuse_lost_digits(rows: SurveyRows, out: Collector) -> np.ndarray:
    """Refuse each identifier written as a number, or cut to 15 digits (see _cut_in_a_spreadsheet), with one
    reason; the rows refused. A number keeps 15 significant digits, so 16- and 17-digit codes that became
    numbers lost their last digits, and many read alike: no other reason is given for them
    (layers.survey_validate), not even that they repeat."""
    ids = rows.fields["id"].to_numpy(dtype=object)
    codes, distinct = pd.factorize(ids)
    why = np.array([_lost_digits(str(text)) for text in distinct], dtype=object)
    reasons = from_distinct(why, codes, None)
    ends_cut = np.array([_CUT_TO_15_DIGITS.fullmatch(str(text)) is not None for text in distinct], dtype=bool)
    cut = _cut_in_a_spreadsheet(rows, ids, from_distinct(ends_cut, codes, False))
    reasons[cut] = [f"identifier {text} lost its last digits: every identifier of its file ends in zeros "
                    "past the 15th digit, and some repeat, as when Excel or WPS turned the identifiers into "
                    f"numbers, which keep 15 significant digits; {_TAKE_THEM_AGAIN}" for text in ids[cut]]
    lost = pd.notna(reasons)
    out.reject(lost, "id", list(reasons[lost]))
    return lost


def check_identifiers(rows: SurveyRows, classes: np.ndarray, scheme: Scheme,
                      county_codes: frozenset[str], out: Collector, *, lost: np.ndarray) -> None:
    """Check the identifiers as codes, and that none repeats; those of the rows `lost` (refused by
    refuse_lost_digits) are not checked again."""
    ids = rows.fields["id"].to_numpy(dtype=object)
    given = ~pd.isna(ids) & ~lost
    reasons: dict[int, str] = {}
    for i in map(int, np.flatnonzero(given)):
        text = ids[i]
        try:
            parsed = ComponentId.parse(text)
        except InvalidCode as error:
            reasons[i] = str(error)
            continue
        if len(text) != ID_LENGTH[scheme]:
            reasons[i] = (f"identifier {text} has {len(text)} digits; the {scheme} scheme uses "
                          f"{ID_LENGTH[scheme]}")
        elif isinstance(classes[i], str) and parsed.class_code.code != classes[i]:
            reasons[i] = (f"identifier {text} is of class {parsed.class_code.code}, "
                          f"the row of class {classes[i]}")
        elif text[:6] not in county_codes:
            reasons[i] = f"identifier {text} belongs to county {text[:6]}, not a loaded county"
    mask = np.zeros(len(ids), dtype=bool)
    mask[list(reasons)] = True
    out.reject(mask, "id", [reasons[int(i)] for i in np.flatnonzero(mask)])
    series = pd.Series(ids)
    repeated = given & series.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first_of = {v: i for i, v in reversed(list(enumerate(ids))) if isinstance(v, str)}
    out.reject(repeated, "id", [
        f"identifier {ids[i]} is also used in {rows.files[first_of[ids[i]]]} row "
        f"{rows.rows[first_of[ids[i]]]}" for i in np.flatnonzero(repeated)])


def _lost_digits(text: str) -> str | None:
    """Why an identifier written as a number is refused; None for one that is not."""
    if _SPREADSHEET_NUMBER.fullmatch(text):
        return (f"identifier {text} is a number: Excel or WPS turned the identifiers into numbers, which "
                f"keep 15 significant digits, so the codes lost their last digits; {_TAKE_THEM_AGAIN}")
    if _FIELD_NUMBER.fullmatch(text):
        return (f"identifier {text} was stored as a number, which keeps 15 significant digits and so loses a "
                "16- or 17-digit code: store the column as text and enter the codes again")
    return None


def _cut_in_a_spreadsheet(rows: SurveyRows, ids: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """Per row, whether its identifier is one of a file whose every identifier has 16 or 17 digits ending
    in zeros past the 15th (`cut`, per row), some of them repeated: a column a spreadsheet held as numbers
    and wrote in full (a code ends so once in 10 or 100, so a file of them that repeat is no chance)."""
    texts = pd.Series(ids, dtype=object)
    given = texts.notna().to_numpy()
    found = np.zeros(len(ids), dtype=bool)
    for file in pd.unique(rows.files[cut]):
        mine = given & (rows.files == file)
        if cut[mine].all() and texts[mine].duplicated().any():
            found |= mine
    return found
