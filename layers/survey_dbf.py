"""Text of a Shapefile's .dbf: the encoding its .cpg (or --encoding) names, GBK told from UTF-8 when none
is named, and field names the .dbf cut short.

A .dbf holds the bytes of whatever code page its writer used: UTF-8, GBK from Chinese desktop GIS (often
without a .cpg), or GBK under a .cpg copied from a template that names a Western code page. Field names are
cut to the format's bytes, sometimes mid-character, and GDAL numbers a cut name that repeats another. What
was chosen is said in notes.
"""

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gis.errors import ImportValidationError
from layers.field_mapping import DBF_NAME_BYTES, FieldMapping

_CODE_PAGES = {"65001": "UTF-8", "936": "GBK", "54936": "GB18030", "950": "BIG5"}
# How ArcGIS names ISO 8859 parts in a .cpg: 88591 for ISO-8859-1, 885915 for ISO-8859-15 (GDAL reads
# them so too, after Esri's knowledge base article 21106)
_ISO_8859 = re.compile(r"8859-?([0-9]{1,2})", re.ASCII)
# Single-byte Western code pages (as text_codec names them): a .cpg naming one over GBK text decodes almost
# any byte, to mojibake
WESTERN_CODE_PAGES = ("CP1252", "ISO8859-1", "ISO8859-15", "CP850", "CP858", "CP437")
# CJK ideographs: extension A, the unified block, the compatibility block
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# GDAL numbers a cut name that repeats an earlier one: %.8s_%d, so a UTF-8 name may end mid-character
# before the number (管理部件名称 → 管理 and two bytes of 部, then _1)
_NUMBERED_NAME = re.compile(rb"(.+)(_[0-9]{1,2})", re.DOTALL)
_CUT_REASONS = ("unexpected end of data", "incomplete multibyte sequence")


def text_codec(path: Path, name: str, origin: str) -> str:
    """A Python codec name for an encoding given by the user or a .cpg ('GBK', '936', 'ANSI 936', 'UTF-8',
    ArcGIS's '88591')."""
    text = re.sub(r"^ANSI\s*", "", name.strip(), flags=re.IGNORECASE)
    if iso := _ISO_8859.fullmatch(text):
        text = f"ISO-8859-{iso[1]}"
    elif re.fullmatch(r"[0-9]+", text, re.ASCII):
        text = _CODE_PAGES.get(text, f"CP{text}")
    try:
        return codecs.lookup(text).name.upper()
    except LookupError:
        raise ImportValidationError(f"{path}: unknown text encoding {name!r} ({origin})") from None


def shapefile_text(path: Path, attributes: pd.DataFrame, codec: str | None, notes: list[str]) -> str:
    """Decode the .dbf names and strings (read as ISO-8859-1) in place; return the encoding used.

    The encoding is --encoding, else the .cpg (see _cpg_codec), else detected: UTF-8 when every text decodes
    strictly, else GB18030 (a superset of GBK and GB2312, which Chinese desktop GIS writes without a .cpg).
    """
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = path.with_suffix(".CPG")
    columns = [c for c in attributes.columns if pd.api.types.is_string_dtype(attributes[c].dtype)]
    text = _DbfText(tuple(c.encode("latin-1") for c in attributes.columns if isinstance(c, str)),
                    tuple(v.encode("latin-1") for c in columns for v in attributes[c] if isinstance(v, str)))
    said = ""
    if codec is not None:
        if cpg.exists():
            notes.append(f".cpg says {cpg.read_text(errors='replace').strip()!r}; decoded as {codec}")
    elif cpg.exists():
        codec, said = _cpg_codec(path, cpg, text, notes), f" (as {cpg.name} says)"
    else:
        codec = _detect(path, text)
        ascii_only = all(b.isascii() for b in (*text.names, *text.values))
        notes.append("no .cpg: .dbf text is ASCII" if ascii_only else f"no .cpg: .dbf decoded as {codec}")
    truncated: set[str] = set()

    def decode(value: str, column: str, row: int | None) -> str:
        data = value.encode("latin-1")
        text, cut = _decode_name(data, codec) if row is None else _decode_cut(data, codec)
        if text is None:
            where = (f"field name {data.decode(codec, errors='replace')!r}" if row is None
                     else f"row {row}, field {column!r}")
            raise ImportValidationError(f"{path}: {where}: text is not valid {codec}{said}; pass --encoding")
        if cut:
            truncated.add(text if row is None else column)
        return text

    names = {c: decode(c, c, None) for c in attributes.columns if isinstance(c, str)}
    for column in columns:
        attributes[column] = [
            decode(v, names[column], row) if isinstance(v, str) else v
            for row, v in enumerate(attributes[column], start=1)
        ]
    attributes.columns = pd.Index([names.get(c, c) for c in attributes.columns])
    if truncated:
        notes.append(f"text cut mid-character at the .dbf field width, bytes dropped: {sorted(truncated)}")
    notes.extend(_cut_name_notes(names, codec))
    return codec


@dataclass(frozen=True)
class _DbfText:
    """The bytes of a .dbf's field names and text values."""

    names: tuple[bytes, ...]
    values: tuple[bytes, ...]

    def decoded(self, codec: str) -> list[str] | None:
        """Every name and value in `codec` (a cut character dropped); None as soon as one is not `codec`."""
        texts: list[str] = []
        for decode, blobs in ((_decode_name, self.names), (_decode_cut, self.values)):
            for blob in blobs:
                text, _ = decode(blob, codec)
                if text is None:
                    return None
                texts.append(text)
        return texts


def _cpg_codec(path: Path, cpg: Path, text: _DbfText, notes: list[str]) -> str:
    """The encoding the .cpg names, unless it names a Western single-byte code page over text that reads as
    Chinese in UTF-8 or GB18030 (ArcMap on an English-locale Windows writes 1252, and .cpg files are copied
    from templates): such a code page decodes almost any byte, so the rows would load as ÓêË®¾®¸Ç with
    nothing to tell. The override is noted, with how to keep the .cpg's encoding."""
    declared = cpg.read_text(encoding="ascii", errors="replace").strip()
    codec = text_codec(path, declared, cpg.name)
    chinese = _chinese_encoding(text) if codec in WESTERN_CODE_PAGES else None
    if chinese is None:
        return codec
    sample = next(b for b in (*text.values, *text.names) if not b.isascii())[:24]
    notes.append(f"{cpg.name} says {declared!r} ({codec}), but the .dbf text reads as Chinese in {chinese} "
                 f"({_decode_cut(sample, chinese)[0]!r}, which {codec} reads as "
                 f"{sample.decode(codec, errors='replace')!r}): decoded as {chinese}; pass --encoding "
                 f"{declared} to read it as the .cpg says")
    return chinese


def chinese_encoding(names: Sequence[bytes], values: Sequence[bytes]) -> str | None:
    """UTF-8 or GB18030 when field names and text `values` (bytes as stored) read as Chinese in it, else None:
    for a table whose declared Western code page would decode them as mojibake."""
    return _chinese_encoding(_DbfText(tuple(names), tuple(values)))


def _chinese_encoding(text: _DbfText) -> str | None:
    """UTF-8, else GB18030, when every name and value decodes in it and CJK ideographs are among them; in
    GB18030 only when the bytes past ASCII pair up as GBK's double-byte characters do (see _gbk_pairs)."""
    for codec in ("UTF-8", "GB18030"):
        decoded = text.decoded(codec)
        if decoded and any(map(CJK.search, decoded)) and (codec == "UTF-8" or _gbk_pairs(decoded)):
            return codec
    return None


def _gbk_pairs(texts: Sequence[str]) -> bool:
    """True when two characters past ASCII or more, and nine in ten, were two bytes past ASCII, as GBK
    text is. A Western text's accented letters mostly stand alone (église, für): read as GB18030, é and
    the ASCII letter after it make one character, which counts against."""
    wide = [c for t in texts for c in t if not c.isascii()]
    pairs = sum(1 for c in wide if len(data := c.encode("gb18030")) == 2 and data[1] >= 0x80)
    return pairs >= 2 and pairs * 10 >= len(wide) * 9


def _decode_cut(data: bytes, codec: str) -> tuple[str | None, bool]:
    """Decode strictly, tolerating only a multibyte character cut off at the end; (None, False) if invalid."""
    try:
        return data.decode(codec), False
    except UnicodeDecodeError as error:
        if error.reason in _CUT_REASONS and error.start > 0:
            try:
                return data[: error.start].decode(codec), True
            except UnicodeDecodeError:
                return None, False
        return None, False


def _decode_name(data: bytes, codec: str) -> tuple[str | None, bool]:
    """A field name decoded as _decode_cut does, also one that GDAL cut mid-character and then numbered
    (_NUMBERED_NAME): the broken character before the number is dropped."""
    text, cut = _decode_cut(data, codec)
    if text is None and (numbered := _NUMBERED_NAME.fullmatch(data)):
        base, cut = _decode_cut(numbered[1], codec)
        if base is not None and cut:
            return base + numbered[2].decode("ascii"), True
    return text, cut


def _detect(path: Path, text: _DbfText) -> str:
    for candidate in ("UTF-8", "GB18030"):
        if text.decoded(candidate) is not None:
            return candidate
    raise ImportValidationError(f"{path}: .dbf text is neither UTF-8 nor GB18030: pass --encoding")


def _cut_name_notes(names: dict[str, str], codec: str) -> list[str]:
    """A note per column whose name the .dbf's 10 bytes may have cut from standard names the mapping
    cannot tell apart (管理部件标识码, 管理部件名称 and 管理部件状态 all keep 管理部 in UTF-8): such a
    column would be a free attribute without a word, an identifier column too."""
    mapping = FieldMapping.default()
    notes: list[str] = []
    for raw, name in names.items():
        if mapping.resolve([name]).fields:  # the mapping reads it, a cut it can tell included
            continue
        if fields := _fields_cut_to(raw.encode("latin-1"), name, codec, mapping):
            candidates = ", ".join(f"{alias} ({field})" for field, alias in fields.items())
            notes.append(f"column {name!r} may be a name cut to the Shapefile's {DBF_NAME_BYTES} bytes: "
                         f"{candidates}; read as a free attribute unless a --mapping file names it "
                         f"(extend: {{FIELD: [{name!r}]}})")
    return notes


def _fields_cut_to(raw: bytes, name: str, codec: str, mapping: FieldMapping) -> dict[str, str]:
    """The standard fields the column `name` (its .dbf bytes `raw`) may have been cut from; a name GDAL
    numbered is compared without its number, at the bytes left before it."""
    numbered = _NUMBERED_NAME.fullmatch(raw) if len(raw) == DBF_NAME_BYTES else None
    number = numbered[2].decode("ascii") if numbered else ""
    return mapping.aliases_cut_to(name.removesuffix(number), codec, DBF_NAME_BYTES - len(number))
