"""The text encoding of a MapInfo table (.tab, .mif): the charset it declares, unless --encoding names one,
or it declares a Western charset over Chinese text.

GDAL decodes a table's text from the charset its header declares (`!charset WindowsLatin1` in a .tab,
`Charset "WindowsLatin1"` in a .mif). Tables converted by other tools, or written on an English-locale
Windows, declare WindowsLatin1 over GBK text, which then reads as Latin letters (雨水井盖 as ÓêË®¾®¸Ç)
with nothing to tell. Another encoding is read from a copy whose header declares "Neutral", the charset
under which GDAL hands the bytes over as they are, for pyogrio to decode.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyogrio

from layers.survey_dbf import chinese_encoding
from layers.survey_formats import temporary_copy

# MapInfo's names of the single-byte Western charsets, lower-cased -> Python codec; such a charset
# decodes almost any byte, so GBK text read in it raises nothing
_WESTERN = {"windowslatin1": "cp1252", "iso8859_1": "latin-1", "iso8859_15": "iso8859-15",
            "codepage437": "cp437", "codepage850": "cp850", "macroman": "mac-roman"}
# `!charset WindowsLatin1` opening a .tab line; `Charset "WindowsLatin1"` in a .mif header or a .tab's
# definition (quoted there, so a field named Charset, `Charset Char (10)`, is not taken for one)
_DECLARED = re.compile(rb'(^[ \t]*!charset[ \t]+|\bcharset[ \t]+")([A-Za-z0-9_]+)',
                       re.IGNORECASE | re.MULTILINE)
_HEAD_BYTES = 1 << 16
_MIF_DATA = re.compile(rb"^\s*data\s*$", re.IGNORECASE | re.MULTILINE)  # the end of a .mif's header


def mapinfo_encoding(path: Path, codec: str | None, notes: list[str]) -> str | None:
    """The encoding to read the table's text in from `neutral_copy`, or None to read it as declared."""
    charset = declared_charset(path)
    if codec is not None:
        if charset is not None and charset.lower() != "neutral":
            notes.append(f"the table declares charset {charset!r}; decoded as {codec} (--encoding)")
        return codec
    western = _WESTERN.get((charset or "").lower())
    if western is None:
        return None
    with neutral_copy(path) as copy:
        frame = pyogrio.read_dataframe(copy, encoding="latin-1", read_geometry=False)
    names = [str(c).encode("latin-1") for c in frame.columns]
    values = [v.encode("latin-1") for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype)
              for v in frame[c] if isinstance(v, str)]
    chinese = chinese_encoding(names, values)
    if chinese is None:
        return None
    sample = next(b for b in (*values, *names) if not b.isascii())[:24]
    notes.append(f"the table declares charset {charset!r} ({western}), but its text reads as Chinese in "
                 f"{chinese} ({sample.decode(chinese, errors='replace')!r}, which {charset} reads as "
                 f"{sample.decode(western, errors='replace')!r}): decoded as {chinese}; pass --encoding "
                 f"{western} to read it as declared")
    return chinese


def declared_charset(path: Path) -> str | None:
    """The charset a .tab or .mif header declares, None when it declares none. It is declared near the top
    (before the columns), so only the file's first bytes are read: a .mif holds all its rows below."""
    with path.open("rb") as file:
        header = _header(file.read(_HEAD_BYTES), path.suffix.lower())
    found = _DECLARED.search(header)
    return found[2].decode("ascii") if found else None


@contextmanager
def neutral_copy(path: Path) -> Iterator[Path]:
    """The table and its files (.dat, .map, .id / .mid …) copied to a temporary folder, its header declaring
    the charset Neutral."""
    with temporary_copy(path) as copy:
        data = copy.read_bytes()
        header = _header(data, path.suffix.lower())
        copy.write_bytes(_DECLARED.sub(rb'\1Neutral', header) + data[len(header):])
        yield copy


def _header(data: bytes, suffix: str) -> bytes:
    """A .tab is all header (its rows live in the .dat); a .mif's header ends where its Data section
    begins."""
    if suffix != ".mif":
        return data
    end = _MIF_DATA.search(data)
    return data[:end.start()] if end else data
