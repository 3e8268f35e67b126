"""Survey text whose Chinese was destroyed before it reached onemap, refused with what happened to it.

Two accidents leave a file that reads without an error but holds no Chinese:
* written in an encoding of Latin letters (ogr2ogr to a Shapefile without -lco ENCODING=UTF-8, whose
  default is ISO-8859-1; Excel's plain CSV on a Western Windows), each Chinese character became one `?`:
  完好 is `??`, 1号路灯 `1???`. Nothing reads it back.
* read as Latin-1 or Windows-1252 and saved again (a UTF-8 CSV opened in LibreOffice or Excel without
  choosing UTF-8), each character became two or three Latin letters and signs: 完好 is `å®Œå¥½`, and GBK
  text read so `ÍêºÃ`. Its bytes in Windows-1252 are the original's, which read as Chinese in UTF-8 or
  GBK (layers.survey_dbf.chinese_encoding, and `_common_hanzi` for GBK). onemap itself reads text so only
  when --encoding names a Western code page, which the notes on a .cpg or MapInfo charset offer as the way
  round a detection gone wrong: that reading is let be.

Either leaves no character beyond Latin-1 and Windows-1252 in the file, so a file holding one (Chinese, most
often) is let be, whatever `?` its surveyors typed. Otherwise a text column is judged whole, so that pinyin,
codes and Western text never are: `?` text in half its rows or more, one of them with `??`; or every value
beyond ASCII a Windows-1252 reading of Chinese. A file with such a column, or such column names, stops the
import before anything is staged, as other whole-file problems do; the notes on unknown states and classes
do not offer to map such a value (`lost_value`).
"""

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gis.errors import ImportValidationError
from layers.survey_dbf import CJK, WESTERN_CODE_PAGES, chinese_encoding

_QUESTIONED = re.compile(r"[^A-Za-z]*\?[^A-Za-z]*")  # `?` among digits and signs, no letter: 1???, ?-2
# Windows-1252's characters at 0x80-0x9F as those bytes in Latin-1; its five unassigned bytes there read as
# the C1 controls of their number (LibreOffice, Windows), which Latin-1 keeps as they are
_CP1252 = {character: byte for byte in range(0x80, 0xA0)
           if (character := bytes([byte]).decode("cp1252", errors="ignore"))}
_CP1252_AS_LATIN1 = str.maketrans({character: chr(byte) for character, byte in _CP1252.items()})
_SPECIALS = "".join(map(re.escape, _CP1252))
_BEYOND_LATIN = re.compile(rf"[^\x00-\xff{_SPECIALS}]")
_FIRST_VALUES = 1000  # per column, looked at for a wider character before any column is scanned whole
_SHOWN = 3  # columns shown with a value
_CODEC_NAMES = {"UTF-8": "UTF-8", "GB18030": "GBK (GB18030)"}


@dataclass(frozen=True)
class _Lost:
    """A column (or the column names) whose Chinese was lost, with a value to show."""

    column: str | None  # None: the column names
    sample: str
    codec: str = "UTF-8"  # mojibake: the encoding whose bytes were read as Windows-1252
    meant: str | None = None  # mojibake: the sample as it was written

    def named(self) -> str:
        return "the column names" if self.column is None else repr(self.column)

    def shown(self) -> str:
        return f"{self.named()} ({self.sample!r}{f' is {self.meant}' if self.meant else ''})"


def refuse_lost_text(where: str, frame: pd.DataFrame, *, forced: str | None = None) -> None:
    """Refuse a file's table (`where` names it) whose text columns or column names lost their Chinese.
    `forced`: the encoding the user gave (--encoding); a Western code page so given reads Chinese as Latin
    letters on purpose, the way round a detection gone wrong that the notes offer, and is let be."""
    texts = [(str(name), frame[name]) for name in frame.columns
             if frame[name].dtype == object or isinstance(frame[name].dtype, pd.StringDtype)]
    _refuse(where, [str(name) for name in frame.columns], texts, forced)


def refuse_lost_table_text(where: str, records: Sequence[tuple[int, list[object]]], *,
                           forced: str | None) -> None:
    """`refuse_lost_text` for a CSV file's or a sheet's records, before a header is looked for (经度/纬度
    written `??`/`??` or `ç»åº¦`/`çº¬åº¦` name no coordinates, or one name twice); the columns are named by
    the first record of two cells or more. Records with a wider character, or of ASCII without a `?`, are
    let by without a look at their columns (their text is joined in C, str.isascii costs nothing, and the
    search for a wider character ends at the first)."""
    try:
        text = "".join(map("".join, map(itemgetter(1), records)))  # a CSV file's cells: all str
    except TypeError:  # a sheet's numbers, dates and empty cells
        text = "".join(map(str, itertools.chain.from_iterable(map(itemgetter(1), records))))
    if not records or ("?" not in text if text.isascii() else _BEYOND_LATIN.search(text)):
        return
    at = next((i for i, (_, cells) in enumerate(records) if sum(bool(_text(c)) for c in cells) > 1), 0)
    header = [_text(cell) or f"Unnamed: {i}" for i, cell in enumerate(records[at][1])]
    columns = list(itertools.zip_longest(*(cells for _, cells in records[at + 1:])))
    names = header + [f"Unnamed: {i}" for i in range(len(header), len(columns))]
    texts = [(name, pd.Series(values, dtype=object)) for name, values in zip(names, columns, strict=False)]
    _refuse(where, header, texts, forced)


def _text(cell: object) -> str:
    """A header cell's text: a sheet's empty cell is None."""
    return "" if cell is None else str(cell).strip()


def lost_value(value: object) -> str | None:
    """Why one value is text that lost its Chinese (`'??'` written as ?, `'å®Œå¥½'` 完好 read in the wrong
    encoding), else None: for notes, which must not offer to map such a value."""
    if not isinstance(value, str) or (value.isascii() and "?" not in value) or not _latin(value):
        return None
    if _is_questioned(value):
        return f"{value!r} looks like text whose Chinese characters were each written as ?"
    found = _garbled("", [value])
    return None if found is None else f"{value!r} is {found.meant} read in the wrong encoding"


def _refuse(where: str, names: Sequence[str], columns: Sequence[tuple[str, pd.Series]],
            forced: str | None) -> None:
    if not all(map(_latin, names)) or any(_wide(values.iloc[:_FIRST_VALUES]) for _, values in columns):
        return
    questioned: list[tuple[str, pd.Series]] = []
    garbled: list[_Lost] = []
    for name, values in columns:
        latin, asked = _scan(values)
        if latin is None:
            return
        if latin and (found := _garbled(name, latin)) is not None:
            garbled.append(found)
        if asked:
            questioned.append((name, values))
    if (found := _garbled(None, [name for name in names if not name.isascii()])) is not None:
        garbled.insert(0, found)
    if lost := _questioned(names, questioned):
        raise ImportValidationError(
            f"{where}: the Chinese text of {_listed(lost)} was lost before the file reached onemap, each "
            "character written as ?, and cannot be read back: the file was written in an encoding without "
            "Chinese characters (ogr2ogr without -lco ENCODING=UTF-8; Excel's plain CSV on a Western "
            "Windows); export it again from the original in UTF-8 (ogr2ogr -lco ENCODING=UTF-8, Excel: CSV "
            "UTF-8) and import that")
    if garbled and forced not in WESTERN_CODE_PAGES:
        written = _CODEC_NAMES[garbled[0].codec]
        raise ImportValidationError(
            f"{where}: the Chinese text of {_listed(garbled)} was read in the wrong encoding, each character "
            f"as Latin letters and signs: a program read the {written} file as Latin-1/Windows-1252 and "
            f"saved what it showed (a CSV opened in LibreOffice or Excel without choosing {written}); open "
            "the original again choosing that character set and save it as UTF-8, or export it again, and "
            "import that")


def _listed(lost: Sequence[_Lost]) -> str:
    shown = ", ".join(column.shown() for column in lost[:_SHOWN])
    if more := [column.named() for column in lost[_SHOWN:]]:
        shown += f" and of {len(more)} other column(s), {', '.join(more)}"
    return shown


def _wide(values: pd.Series) -> bool:
    return any(isinstance(value, str) and not _latin(value) for value in values)


def _scan(values: pd.Series) -> tuple[list[str] | None, bool]:
    """A column's distinct texts beyond ASCII (None at the first with a character beyond Latin-1 and
    Windows-1252, where the scan ends), and whether a text in ASCII holds a `?`. Arrow's text of ASCII
    only is looked at in Arrow."""
    array = values.array
    arrow = isinstance(array, pd.arrays.ArrowStringArray)
    if arrow:
        data = pa.array(array)
        if pc.all(pc.string_is_ascii(data)).as_py() is not False:
            return [], bool(pc.any(pc.match_substring(data, "?")).as_py())
    latin: dict[str, None] = {}
    asked = False
    for value in array if arrow else values.to_numpy(dtype=object):  # Arrow's text made str one by one
        if not isinstance(value, str):
            continue
        if value.isascii():
            asked = asked or "?" in value
        elif value not in latin:
            if not _latin(value):
                return None, asked
            latin[value] = None
    return list(latin), asked


def _questioned(names: Sequence[str], columns: Sequence[tuple[str, pd.Series]]) -> list[_Lost]:
    """The column names when one is `?` text, and the columns whose rows are mostly `?` text, one with
    `??` (a single `?` may be what a surveyor typed)."""
    lost = [_Lost(None, name) for name in names if _is_questioned(name)][:1]
    for name, values in columns:
        texts = [value for value in values if isinstance(value, str) and value.strip()]
        marked = [text for text in texts if _is_questioned(text)]
        doubled = next((text for text in marked if "??" in text), None)
        if doubled is not None and len(marked) * 2 >= len(texts):
            lost.append(_Lost(name, doubled))
    return lost


def _is_questioned(text: str) -> bool:
    return "??" in text or _QUESTIONED.fullmatch(text) is not None


def _garbled(column: str | None, texts: Sequence[str]) -> _Lost | None:
    """A `_Lost` when every one of `texts` (beyond ASCII, in Latin-1 and Windows-1252) is UTF-8 or GBK read
    as Windows-1252, Chinese among them; shown by a text without the C1 controls that such a reading leaves
    of some UTF-8 bytes, where there is one."""
    if not texts:
        return None
    blobs = [_bytes(text) for text in texts]
    codec = chinese_encoding([], blobs)
    if codec is None or (codec == "GB18030" and not _common_hanzi(blobs)):
        return None
    read = [(text, meant) for text, blob in zip(texts, blobs, strict=True)
            if CJK.search(meant := blob.decode(codec, errors="ignore"))]
    text, meant = next(((text, meant) for text, meant in read if text.isprintable()), read[0])
    return _Lost(column, text, codec, meant)


def _common_hanzi(blobs: Sequence[bytes]) -> bool:
    """Whether bytes past ASCII pair up, nine in ten, as GB2312 characters do (both bytes A1-FE, the first
    at most F7), and more than half of the hanzi they make are of its first level, the 3,755 common ones
    (first byte B0-D7) that GB2312 chose as the characters most used in running text: Chinese text in GBK
    passes, while Western names in which accented letters pair up (Svíþjóð, Óþekkt svæði) read as rare
    hanzi of the second level (ö, æ, í as first bytes are E0-FF), or as no GB2312 character (ü, FC)."""
    wide = pairs = hanzi = common = 0
    for blob in blobs:
        at = 0
        while at < len(blob):
            lead = blob[at]
            at += 1
            if lead < 0x80:
                continue
            wide += 1
            if 0xA1 <= lead <= 0xF7 and at < len(blob) and 0xA1 <= blob[at] <= 0xFE:
                pairs += 1
                hanzi += lead >= 0xB0
                common += 0xB0 <= lead <= 0xD7
                at += 1
    return pairs * 10 >= wide * 9 and common * 2 > hanzi


def _latin(text: str) -> bool:
    """Whether `text` holds only characters of Latin-1 and Windows-1252."""
    return _BEYOND_LATIN.search(text) is None


def _bytes(text: str) -> bytes:
    """The bytes that a Windows-1252 (or Latin-1) reading turned into `text`."""
    return text.translate(_CP1252_AS_LATIN1).encode("latin-1")

