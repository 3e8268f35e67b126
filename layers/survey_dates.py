"""Dates as survey tables write them, read as days: YYYYMMDD, dashed, slashed, dotted and 年月日 text,
a workbook's date cell, a spreadsheet's day number that lost its format, a timestamp with a UTC offset
(the day in Beijing, where it was surveyed), the words that say there is no date, and 1899-12-30, the
empty date of ArcGIS and Excel."""

import re
import unicodedata
from datetime import time, timedelta, timezone
from typing import NamedTuple

import numpy as np
import pandas as pd

from layers.distinct_values import from_distinct

# the time of day after a date: a workbook's date cell (2023-05-06 00:00:00, 2023/5/6 0:00 as Excel writes
# it to CSV) or a field app's timestamp (2023-05-06T08:31:12), whose date is the day surveyed
_TIME_OF_DAY = re.compile(r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")
_WHOLE_NUMBER = re.compile(r"([0-9]{8})\.0+")  # 20230506.0: YYYYMMDD kept in a numeric field
# a date and time of day with its UTC offset: a File Geodatabase Date field (as pandas writes it, 2023-06-01
# 00:00:00+00:00), a GeoPackage DateTime or a web export (2023-05-31T16:00:00Z, 2023-06-01T08:30:00.000+0800)
_ZONED = re.compile(r"(?P<day>.+?)[ T](?P<clock>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?) ?"
                    r"(?P<zone>Z|[+-][0-9]{2}(?::?[0-9]{2})?)$")
_BEIJING = timezone(timedelta(hours=8))  # the day surveyed is the date in Beijing time
# 2023 年 6 月 1 日: the spaces some input methods type around 年, 月 and 日
_SPACED_DATE_UNITS = re.compile(r"\s+(?=[年月日号])|(?<=[年月])\s+")
# A 年月日 date as people write it by hand: the day as 1号, a time of day in words or figures after it
# (2023年6月1日 08时30分, 2023年6月1日8:30, 2023年6月1号 下午3点); the date is the day surveyed
_WORDED_DAY = re.compile(r"(?P<day>[0-9]{4}年[0-9]{1,2}月[0-9]{1,2})[日号]\s*(?P<clock>.*)")
_HOUR = "(?:[01]?[0-9]|2[0-3])"
_WORDED_CLOCK = re.compile(rf"(?:[上下]午|早上|晚上|中午)?\s*(?:{_HOUR}\s*[时点]"
                           r"(?:\s*[0-9]{1,2}\s*分(?:\s*[0-9]{1,2}\s*秒)?)?"
                           rf"|{_HOUR}:[0-9]{{2}}(?::[0-9]{{2}}(?:\.[0-9]+)?)?)")
_DATE_SEPARATORS = str.maketrans({"年": "-", "月": "-", "/": "-", ".": "-"})
# A date cell whose format was lost (a column set to General, values pasted without formats) shows the
# spreadsheet's day number: days since 1899-12-30, 5 digits for 1927-05-18 to 2173-10-13, a fraction for
# the time of day. No date form onemap reads has 5 digits, so such a number is read as that day.
_DAY_NUMBER = re.compile(r"[0-9]{5}(\.[0-9]+)?")
_DAY_ZERO = pd.Timestamp("1899-12-30")  # also the date ArcGIS and Excel show for an empty date
_JANUARY_ZERO = re.compile(r"1900-0?1-0?0")  # day 0 as Excel shows it (1900/1/0), dashed
# A year and month without the day (2023年6月, 2023-06, 2023/6, 2023.06), as forms of a component's build or
# survey date write it: read as the month's first day, with a note. A dotted month has two digits: 2023.1 is
# as likely a number cell of 2023.10 that lost its trailing zero.
_MONTH_ONLY = re.compile(r"(?P<year>[0-9]{4})\s*(?:年\s*(?P<unit>[0-9]{1,2})\s*月|[-/](?P<sep>[0-9]{1,2})|"
                         r"\.(?P<dot>[0-9]{2}))")
# What survey tables write in a date cell that has no date (compared after NFKC: ／ is /, － is -)
_NO_DATE = frozenset({"无", "暂无", "空", "/", "-", "--", "—", "——", "NULL", "null", "None", "N/A", "n/a",
                      "#N/A"})


class Dates(NamedTuple):
    parsed: pd.Series  # NaT where unreadable or no date
    iso_text: pd.Series  # as COPY reads them, None where no date was read
    day_number: np.ndarray  # rows written as a spreadsheet's day number
    no_date: np.ndarray  # rows that say there is no date (无, /, …)
    day_zero: np.ndarray  # rows of 1899-12-30, day 0 of ArcGIS and Excel: their empty date
    month_only: np.ndarray  # rows of a year and month alone, read as the month's first day


def date_cells_of_day_zero(fields: pd.DataFrame) -> None:
    """Workbook date cells of day 0 written as 1899-12-30 (with their time of day), in place: calamine hands
    a date cell below day 1 over as a time of day alone, which the date check would not read."""
    for column in ("initial_date", "change_date"):
        codes, distinct = pd.factorize(fields[column])
        if any(isinstance(value, time) for value in distinct):
            written = [f"{_DAY_ZERO.date()} {value}" if isinstance(value, time) else value
                       for value in distinct]
            fields[column] = from_distinct(np.array(written, dtype=object), codes, None)


def parse_dates(text: pd.Series) -> Dates:
    """Dates of YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年MM月DD日 text, with a time of day
    after it or not (a workbook's date cell ends in midnight), the day in Beijing time of one with a UTC
    offset, a spreadsheet's day number, or a year and month (the first day). Each distinct text is parsed
    once."""
    codes, distinct = pd.factorize(text)
    distinct = pd.Series(distinct, dtype=object)
    plain = distinct.map(lambda v: unicodedata.normalize("NFKC", str(v)).strip())
    dates = pd.to_datetime(plain.str.replace(_WHOLE_NUMBER, r"\1", regex=True), format="%Y%m%d",
                           errors="coerce")
    rest = dates.isna().to_numpy()
    day_number = rest & plain.str.fullmatch(_DAY_NUMBER).to_numpy(dtype=bool)
    no_date = rest & plain.isin(_NO_DATE).to_numpy()
    if day_number.any():
        days = pd.to_numeric(plain[day_number]).astype("int64")
        dates = dates.fillna(_DAY_ZERO + pd.to_timedelta(days, unit="D"))
    zoned = rest & plain.str.fullmatch(_ZONED).to_numpy(dtype=bool)
    if zoned.any():
        dates = dates.fillna(_beijing_dates(plain[zoned]))
    dashed = rest & ~day_number & ~no_date & ~zoned
    if dashed.any():
        iso = distinct[dashed].map(_dashed_date)
        dates = dates.fillna(pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce"))
    month_only = dates.isna().to_numpy() & plain.str.fullmatch(_MONTH_ONLY).to_numpy(dtype=bool)
    if month_only.any():
        parts = plain[month_only].str.extract(_MONTH_ONLY)
        months = parts["unit"].fillna(parts["sep"]).fillna(parts["dot"])
        dates = dates.fillna(pd.to_datetime(parts["year"] + "-" + months + "-1", format="%Y-%m-%d",
                                            errors="coerce"))
        month_only &= dates.notna().to_numpy()
    day_zero = (dates == _DAY_ZERO).to_numpy()
    dates = dates.where(~day_zero)
    iso_text = np.where(dates.notna(), dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=object), None)
    # in the unit pandas chose: 2999-01-01 does not fit nanoseconds
    parsed = from_distinct(dates.to_numpy(), codes, np.datetime64("NaT"))
    written = from_distinct(np.asarray(iso_text, dtype=object), codes, None)
    return Dates(pd.Series(parsed, index=text.index), pd.Series(written, index=text.index, dtype=object),
                  from_distinct(day_number, codes, False), from_distinct(no_date, codes, False),
                  from_distinct(day_zero, codes, False), from_distinct(month_only, codes, False))


def _dashed_date(text: str) -> str:
    """2023年5月6日 (spaced or not, 6号, a time of day after it), 2023.5.6, 2023/5/6 and a date cell's
    '2023-05-06 00:00:00' as 2023-5-6 / 2023-05-06; Excel's day 0, 1900/1/0, as 1899-12-30."""
    text = _SPACED_DATE_UNITS.sub("", unicodedata.normalize("NFKC", text).strip())
    worded = _WORDED_DAY.fullmatch(text)
    if worded and (not worded["clock"] or _WORDED_CLOCK.fullmatch(worded["clock"])):
        text = worded["day"]
    dashed = _TIME_OF_DAY.sub("", text).removesuffix("日").translate(_DATE_SEPARATORS)
    return str(_DAY_ZERO.date()) if _JANUARY_ZERO.fullmatch(dashed) else dashed


def _beijing_dates(text: pd.Series) -> pd.Series:
    """The days in Beijing time (UTC+8) of dates with a time of day and a UTC offset: 2023-05-31T16:00:00Z
    was 2023-06-01 where it was surveyed. NaT where unreadable."""
    parts = text.str.extract(_ZONED)
    days = pd.to_datetime(parts["day"].map(_dashed_date), format="%Y-%m-%d", errors="coerce")
    moments = pd.to_datetime(days.dt.strftime("%Y-%m-%d") + "T" + parts["clock"] + parts["zone"],
                             format="ISO8601", utc=True, errors="coerce")
    return moments.dt.tz_convert(_BEIJING).dt.tz_localize(None).dt.normalize()
