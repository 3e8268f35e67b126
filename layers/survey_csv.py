"""CSV text as survey offices save it: the encoding (UTF-8, GB18030 as Excel and WPS on Chinese Windows
save it, UTF-16 with its byte order mark), the delimiter, and records with the line each begins on, so
that a quoted cell spanning lines does not shift the row numbers of the report.
"""

import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import cast

from gis.errors import ImportValidationError

UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # byte order marks of UTF-16 little and big endian
_DELIMITER_LINES = 30  # lines the delimiter is chosen from
_SEP_LINE = re.compile(r"sep=(.)")  # the first line Excel writes to name a CSV file's delimiter
_UTF8_CHINESE_PAIR = re.compile(rb"(?:[\xe4-\xe9][\x80-\xbf]{2}){2}")  # two of U+4E00–U+9FFF in UTF-8
_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)


def csv_records(path: Path, data: bytes, codec: str | None, notes: list[str], *,
                option: str = "--encoding") -> tuple[list[tuple[int, list[object]]], str]:
    """The non-empty records of CSV text with their first line numbers, and the encoding read; `option`
    names how the caller gives an encoding (the CLI's --encoding, an HTTP charset)."""
    text, codec = decode_text(path, data, codec, notes, option=option)
    delimiter = _delimiter(text)
    if delimiter != ",":
        notes.append(f"CSV delimiter taken as {delimiter!r}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[object]]] = []
    as_text = 0
    try:
        before = 0
        for record in reader:
            start, before = before + 1, reader.line_num
            if "".join(record).strip():
                if any(cell.startswith('="') for cell in record):
                    record, unwrapped = _excel_text(record)
                    as_text += unwrapped
                records.append((start, cast(list[object], record)))  # cells of str: no copy
    except csv.Error as error:
        raise ImportValidationError(f"{path}: line {reader.line_num}: {error}") from None
    if as_text:
        notes.append(f'{as_text} cell(s) written ="…" (how Excel keeps digits as text in a CSV) read as '
                     "their text")
    return records, codec


def _delimiter(text: str) -> str:
    """The CSV delimiter: the one Excel's sep= line names, else of comma, tab, semicolon and bar the one
    that splits the most of the first lines into the same number of fields (a title line above the
    header has none; a header may hold a comma inside a field, 坐标(纬度,经度), in a tab-separated file)."""
    lines = [line for line in text.split("\n", _DELIMITER_LINES)[:_DELIMITER_LINES] if line.strip()]
    if lines and (named := _SEP_LINE.fullmatch(lines[0].strip())):
        return named.group(1)

    def agreement(candidate: str) -> tuple[int, int]:
        counts = Counter(n for line in lines if (n := line.count(candidate)))
        if not counts:
            return 0, 0
        fields, lines_agreeing = counts.most_common(1)[0]
        return lines_agreeing, fields

    best = max(",\t;|", key=agreement)
    return best if agreement(best)[0] else ","


def _excel_text(record: list[str]) -> tuple[list[str], int]:
    """The cells with ="…" (Excel's formula for text that would otherwise become a number) as their
    text, and how many there were."""
    cells = [_EXCEL_TEXT.sub(r"\1", cell) for cell in record]
    return cells, sum(a != b for a, b in zip(cells, record, strict=True))


def decode_text(path: Path, data: bytes, codec: str | None, notes: list[str], *,
                option: str = "--encoding") -> tuple[str, str]:
    """A text file's text and encoding: `codec` (--encoding), else UTF-16 when the text begins with its
    byte order mark (Excel's "Unicode text"), else UTF-8 (BOM or not), else GB18030 (what Excel and WPS
    on Chinese Windows save a CSV as)."""
    if codec is None and data.startswith(UTF16_MARKS):
        codec = "UTF-16"
        notes.append(f"{path.suffix.lower()[1:].upper()} file is UTF-16 (it begins with the byte order mark)")
    fell_back = False
    if codec is None:
        try:
            return data.decode("utf-8-sig"), "UTF-8"
        except UnicodeDecodeError:
            codec, fell_back = "GB18030", True
            notes.append(f"{path.suffix.lower()[1:].upper()} file is not UTF-8: decoded as GB18030")
    try:
        text = data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        not_utf8 = _first_bad_line(data, "utf-8-sig") if fell_back else line
        if not_utf8 != line:  # each encoding reads a part the other cannot
            raise ImportValidationError(
                f"{path}: the file mixes encodings: line {not_utf8} is not UTF-8 though the lines before it "
                f"are, and line {line} is not GB18030 (GBK): save it again in one encoding (UTF-8)") from None
        raise ImportValidationError(f"{path}: line {line}: not valid {codec} text; pass {option}") from None
    if fell_back and (utf8_line := _first_chinese_utf8_line(data)):
        raise ImportValidationError(
            f"{path}: the file mixes encodings: line {utf8_line} is Chinese text in UTF-8, line "
            f"{_first_bad_line(data, 'utf-8-sig')} is not UTF-8 (GB18030 or GBK, as Excel saves a CSV): save "
            "it again in one encoding (UTF-8)")
    return text, codec


def _first_chinese_utf8_line(data: bytes) -> int:
    """The first line that is valid UTF-8 and holds two Chinese characters in a row (0 if none): GB18030
    decodes UTF-8 bytes without an error, into other characters, and a line of GBK text is almost never
    valid UTF-8. Only lines with such a byte pattern are decoded, so a large GBK file costs one scan."""
    position = 0
    while (found := _UTF8_CHINESE_PAIR.search(data, position)) is not None:
        start = data.rfind(b"\n", 0, found.start()) + 1
        end = data.find(b"\n", found.end())
        end = len(data) if end < 0 else end
        try:
            data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            position = end + 1
            continue
        return data.count(b"\n", 0, start) + 1
    return 0


def _first_bad_line(data: bytes, codec: str) -> int:
    try:
        data.decode(codec)
    except UnicodeDecodeError as error:
        return data[: error.start].count(b"\n") + 1
    return 0
