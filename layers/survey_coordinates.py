"""Coordinate columns of survey tables (CSV/XLSX): which columns hold the coordinates, and their numbers.

Contractors name the columns many ways (经度/纬度, lon/lat, X/Y, POINT_X/POINT_Y, 东坐标/北坐标, E/N from
a total station), often with the unit in brackets: 经度(°), X坐标（m）. Handheld GPS exports write degrees
as degrees, minutes and seconds: 118°05′30.5″, 东经118度05分30.5秒, 24:29:12.3N. Coordinates copied from a
map's coordinate picker come as one column of pairs: 经纬度 "118.0918,24.4867". Field forms (古树名木
调查表 among them) give degrees, minutes and seconds a column each: 经度(度), 经度(分), 经度(秒).
"""

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from layers.field_mapping import fold

# (x column, y column), matched on column_key(); degree names first, plane names second.
DEGREE_PAIRS = (("lon", "lat"), ("lng", "lat"), ("long", "lat"), ("longitude", "latitude"), ("经度", "纬度"),
                ("东经", "北纬"))
PLANE_PAIRS = (("x", "y"), ("横坐标", "纵坐标"), ("point_x", "point_y"), ("x坐标", "y坐标"),
               ("坐标x", "坐标y"), ("东坐标", "北坐标"), ("东向坐标", "北向坐标"), ("easting", "northing"),
               ("e", "n"), ("x_coord", "y_coord"), ("xcoord", "ycoord"))
# Columns named with more words before the axis: 中心点经度/中心点纬度, 经度坐标/纬度坐标; 中心点X/中心点Y,
# centroid_x/centroid_y, 中心东坐标/中心北坐标
_DEGREE_WORDS = (("经度", "纬度"), ("longitude", "latitude"), ("lon", "lat"), ("lng", "lat"))
_PLANE_WORDS = (("x", "y"), ("东坐标", "北坐标"), ("easting", "northing"))
_AXIS_SUFFIXES = ("坐标", "")
WKT_NAMES = ("wkt", "geometry", "geom")
# One column of "x,y" pairs, matched on its name without separators: 经纬度, 坐标(经度,纬度), lng/lat …
# (Not 位置 or location: those often describe the place in words.)
PAIR_NAMES = ("经纬度", "经度纬度", "纬经度", "纬度经度", "坐标", "经纬度坐标", "坐标经纬度", "位置坐标",
              "gps坐标", "lnglat", "lonlat", "longlat", "longitudelatitude", "latlng", "latlon", "latlong",
              "latitudelongitude", "coordinates", "coordinate")

_UNIT_SUFFIX = re.compile(r"\s*[(\[（【][^()\[\]（）【】]*[)\]）】]$")
_HEMISPHERE = r"(?:[NSEW]|东经|西经|南纬|北纬|[东西南北])"
_NUMBER = r"(\d+(?:\.\d+)?)"
_DMS = re.compile(
    rf"(?P<before>{_HEMISPHERE})?\s*"
    rf"(?:{_NUMBER}\s*(?:°|度)\s*(?:{_NUMBER}\s*(?:'|分)\s*(?:{_NUMBER}\s*(?:\"|秒))?)?"  # 118°05'30.5"
    rf"|{_NUMBER}:{_NUMBER}(?::{_NUMBER})?"  # 118:05:30.5
    r"|(?P<bare>\d+(?:\.\d+)?))"  # E118.0918
    rf"\s*(?P<after>{_HEMISPHERE})?",
    re.IGNORECASE,
)
# What NFKC leaves of the prime and quote marks people type for minutes and seconds
_MARKS = str.maketrans({"′": "'", "’": "'", "‘": "'", "″": '"', "”": '"', "“": '"'})
# A number a sheet showed with its thousands grouped (a Gauss-Krüger cell formatted #,##0.000 and saved as
# CSV writes 38,501,080.177): groups of three digits, which no decimal coordinate has
_GROUPED_DIGITS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
# The ideographic full stop 。 (and its half-width form ｡, which NFKC makes 。) that a Chinese input method
# types for the decimal point (114。02): a point between digits of a number cell, never in text fields
_IDEOGRAPHIC_POINT = re.compile(r"(?<=[0-9])。(?=[0-9])")
_NAME_SEPARATORS = re.compile(r"[\s,/、;_\-]+")
_PAIR_BRACKETS = "()[]{}<>"
_PAIR_SEPARATOR = re.compile(r"\s*[,;、]\s*")
_NO_BRACKETS = str.maketrans("", "", "()[]（）【】")
# Words naming the coordinate system in a coordinate column's name, as parse_crs reads the system
_CRS_WORDS = {"高德": "gcj02", "腾讯": "gcj02", "火星": "gcj02", "gcj02": "gcj02", "gcj-02": "gcj02",
              "gcj": "gcj02", "百度": "bd09", "bd09": "bd09", "bd-09": "bd09", "wgs84": "wgs84",
              "wgs-84": "wgs84", "gps": "wgs84", "cgcs2000": "cgcs2000", "国家2000": "cgcs2000"}
_CRS_ALTERNATIVES = "|".join(sorted(map(re.escape, _CRS_WORDS), key=len, reverse=True))
_CRS_WORD = re.compile(rf"^(?P<before>{_CRS_ALTERNATIVES})[_\-]*|[_\-]*(?P<after>{_CRS_ALTERNATIVES})$")


def column_key(name: str) -> str:
    """A column's matching key: fold() without a bracketed unit at the end (经度(°) → 经度)."""
    return _UNIT_SUFFIX.sub("", fold(name))


def coordinate_pairs(header: Sequence[str], *, plane_first: bool) -> list[tuple[str, str]]:
    """The (x, y) column pairs of a header, best first: plane names first when the CRS is projected, the
    standard names of each kind before names with more words. A word naming the coordinate system (高德经度,
    lng_gcj02: see named_crs) does not hide a column."""
    keyed: dict[str, str] = {}
    for name in header:
        keyed.setdefault(column_key(name), name)
    for name in header:
        keyed.setdefault(_crs_word(name)[0], name)
    degree = _named_pairs(keyed, DEGREE_PAIRS) + _worded_pair(keyed, _DEGREE_WORDS)
    plane = _named_pairs(keyed, PLANE_PAIRS) + _worded_pair(keyed, _PLANE_WORDS)
    return list(dict.fromkeys(plane + degree if plane_first else degree + plane))


def _named_pairs(keyed: dict[str, str], pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(keyed[x], keyed[y]) for x, y in pairs if x in keyed and y in keyed]


def _worded_pair(keyed: dict[str, str], words: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns whose names share the words around the axis (中心点经度/中心点纬度, 中心X/中心Y), when
    the header holds one such pair: 起点经度 … 终点纬度 of a line hold two, and say no point."""
    pairs = {(keyed[key], keyed[partner])
             for key in keyed for x_word, y_word in words for suffix in _AXIS_SUFFIXES
             if key.endswith(x_word + suffix) and key != x_word
             and (partner := key[: len(key) - len(x_word + suffix)] + y_word + suffix) in keyed}
    return list(pairs) if len(pairs) == 1 else []


# A column of degrees, minutes or seconds of one axis: 经度(度), 经度_分, 纬度秒, lat_deg, lon(′)
_DMS_PARTS = {"度": 0, "°": 0, "deg": 0, "d": 0, "分": 1, "'": 1, "min": 1, "m": 1, "秒": 2, '"': 2, "''": 2,
              "sec": 2, "s": 2}  # NFKC writes the double prime ″ as two primes
_DMS_AXES = {"经度": "x", "纬度": "y", "lon": "x", "lng": "x", "long": "x", "longitude": "x", "lat": "y",
             "latitude": "y"}
DmsColumns = tuple[str, str, str | None]  # degrees, minutes and (optional) seconds columns of one axis


def dms_columns(header: Sequence[str]) -> tuple[DmsColumns, DmsColumns] | None:
    """The degree, minute and second columns of longitude and latitude, when both axes have degree and
    minute columns (and seconds on both or neither)."""
    found: dict[tuple[str, int], str] = {}
    for name in header:
        key = _NAME_SEPARATORS.sub("", fold(name).translate(_MARKS)).translate(_NO_BRACKETS)
        for base, axis in _DMS_AXES.items():
            part = _DMS_PARTS.get(key.removeprefix(base)) if key.startswith(base) else None
            if part is not None:
                found.setdefault((axis, part), name)
    axes = [(found.get((axis, 0)), found.get((axis, 1)), found.get((axis, 2))) for axis in ("x", "y")]
    (xd, xm, xs), (yd, ym, ys) = axes
    if xd is None or xm is None or yd is None or ym is None or (xs is None) != (ys is None):
        return None
    return (xd, xm, xs), (yd, ym, ys)


def dms_column_degrees(attributes: pd.DataFrame, columns: DmsColumns) -> np.ndarray:
    """Decimal degrees of an axis written in degree, minute and second columns; an empty minute or second
    cell counts as 0. NaN where the degrees are missing or a part is unreadable, negative (minutes,
    seconds) or 60 or more."""
    degrees = coordinate_numbers(attributes[columns[0]])[0]
    minutes, seconds = (_dms_part(attributes, column) for column in columns[1:])
    fine = (minutes >= 0) & (minutes < 60) & (seconds >= 0) & (seconds < 60)
    value = np.abs(degrees) + minutes / 60 + seconds / 3600
    return np.where(fine, np.copysign(value, degrees), np.nan)


def _dms_part(attributes: pd.DataFrame, column: str | None) -> np.ndarray:
    """A minute or second column's numbers, an empty cell (or no such column) as 0."""
    if column is None:
        return np.zeros(len(attributes))
    values = attributes[column]
    empty = values.map(lambda v: v is None or (isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)
    return np.where(empty, 0.0, coordinate_numbers(values)[0])


def named_crs(columns: Sequence[str]) -> str | None:
    """The coordinate system that the names of the coordinate columns give (高德经度/高德纬度 → gcj02,
    经度(百度) → bd09, WGS84经度 → wgs84), as parse_crs reads it; None when they name none or disagree."""
    named = {crs for crs in (_crs_word(column)[1] for column in columns) if crs is not None}
    return named.pop() if len(named) == 1 else None


def _crs_word(name: str) -> tuple[str, str | None]:
    """A column's matching key without a word naming its coordinate system, before or after it or in
    brackets, and the system that word names."""
    folded = fold(name)
    unit = _UNIT_SUFFIX.search(folded)
    if unit and (word := unit.group().translate(_NO_BRACKETS)) in _CRS_WORDS:
        return folded[: unit.start()], _CRS_WORDS[word]
    key = column_key(name)
    if found := _CRS_WORD.search(key):
        word = found.group("before") or found.group("after")
        return key[: found.start()] + key[found.end():], _CRS_WORDS[word]
    return key, None


def wkt_column(header: Sequence[str]) -> str | None:
    keyed = {column_key(name): name for name in header}
    return next((keyed[n] for n in WKT_NAMES if n in keyed), None)


def pair_column(header: Sequence[str]) -> tuple[str, bool | None] | None:
    """The column of coordinate pairs, and whether its name puts latitude first (None: it does not say).

    The name is matched without separators and a bracketed unit or order: 经纬度, 坐标(经度,纬度), lng/lat.
    """
    for name in header:
        if _NAME_SEPARATORS.sub("", column_key(name)) in PAIR_NAMES \
                or _NAME_SEPARATORS.sub("", _crs_word(name)[0]) in PAIR_NAMES:
            words = _NAME_SEPARATORS.sub("", fold(name))
            at = {axis: min((i for i in (words.find(w) for w in marks) if i >= 0), default=-1)
                  for axis, marks in (("lat", ("纬", "lat")), ("lon", ("经", "lng", "lon")))}
            return name, (at["lat"] < at["lon"] if min(at.values()) >= 0 else None)
    return None


def pair_numbers(values: pd.Series, lat_first: bool | None) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """x and y of a column of pairs ("118.0918,24.4867", "(118.0918 24.4867)", 118°05'30.5"E，24°29'12.3"N),
    the count of cells in degrees, minutes and seconds, and whether latitude came first.

    A name that does not give the order (坐标) is read longitude first, as the coordinate pickers of
    Chinese web maps write it, unless every pair is a latitude followed by a longitude beyond ±90°.
    A cell that is not two parts gives NaN.
    """
    texts = values.map(_clean)
    first = np.full(len(values), None, dtype=object)
    second = np.full(len(values), None, dtype=object)
    for i, text in enumerate(texts):
        if isinstance(text, str) and text:
            parts = _pair_parts(text.strip(_PAIR_BRACKETS + " "))
            if len(parts) == 2:
                first[i], second[i] = parts
    (a, a_dms), (b, b_dms) = (coordinate_numbers(pd.Series(part, dtype=object)) for part in (first, second))
    if lat_first is None:
        read = np.isfinite(a) & np.isfinite(b)
        lat_first = bool(read.any()) and bool((np.abs(a[read]) <= 90).all() and (np.abs(b[read]) > 90).all())
    return (b, a, a_dms + b_dms, True) if lat_first else (a, b, a_dms + b_dms, False)


def _pair_parts(text: str) -> list[str]:
    parts = _PAIR_SEPARATOR.split(text)
    return parts if len(parts) == 2 else text.split()


def coordinate_numbers(values: pd.Series) -> tuple[np.ndarray, int]:
    """The numbers of a coordinate column and how many cells were degrees-minutes-seconds text.

    Numeric cells and numeric text (full-width digits, thousands grouped, an ideographic full stop for the
    decimal point: 114。02, too) are read as they are;
    text in degrees, minutes and seconds becomes decimal degrees; anything else (and minutes or seconds
    of 60 or more) is NaN, which the reader reports as a row without a usable geometry.
    """
    # Plain numbers and numeric text at C speed first; only the cells that fail (full-width digits,
    # degrees-minutes-seconds, stray marks) and true/false cells are cleaned one by one.
    numbers = np.array(pd.to_numeric(values, errors="coerce"), dtype=np.float64)
    booleans = np.fromiter((type(v) is bool for v in values), dtype=bool, count=len(values))
    numbers[booleans] = np.nan
    again = np.flatnonzero(np.isnan(numbers) & ~booleans & values.notna().to_numpy())
    texts = values.iloc[again].map(_clean)
    numbers[again] = np.array(pd.to_numeric(texts, errors="coerce"), dtype=np.float64)
    is_text = texts.map(lambda v: isinstance(v, str) and v != "").to_numpy(dtype=bool)
    unread = np.flatnonzero(np.isnan(numbers[again]) & is_text)
    for i in unread:
        numbers[again[i]] = dms_degrees(texts.iloc[i])
    return numbers, int(np.isfinite(numbers[again[unread]]).sum())


def dms_degrees(text: str) -> float:
    """Decimal degrees of 118°05'30.5"E, 东经118度05分30.5秒, 24:29:12.3N or E118.0918°; NaN if it is none."""
    match = _DMS.fullmatch(text.translate(_MARKS).replace("''", '"'))
    if match is None:
        return float("nan")
    before, after = match.group("before"), match.group("after")
    if before and after:
        return float("nan")
    if before is None and after is None and match.group("bare") is not None:
        return float("nan")  # a bare number that pandas could not read
    parts = [float(p) if p else 0.0 for p in match.groups()[1:8]]
    degrees, minutes, seconds = parts[0] + parts[3] + parts[6], parts[1] + parts[4], parts[2] + parts[5]
    if minutes >= 60 or seconds >= 60:
        return float("nan")
    value = degrees + minutes / 60 + seconds / 3600
    hemisphere = (before or after or "").upper()
    return -value if hemisphere in ("S", "W", "西经", "南纬", "西", "南") else value


def _clean(value: object) -> object:
    if isinstance(value, str):
        text = _IDEOGRAPHIC_POINT.sub(".", unicodedata.normalize("NFKC", value).strip())
        return text.replace(",", "") if _GROUPED_DIGITS.fullmatch(text) else text
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
