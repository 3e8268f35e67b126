"""The date cells of a survey as spreadsheets and contractors write them."""

import pandas as pd

from layers.survey_validate import _parse_dates


def test_day_numbers_in_any_digits_and_no_date_placeholders_are_told_apart():
    written = ["45078", " 45079 ", "４５０７８", "45078.75", "无", "／", None, "2023年5月6日", "2023-06",
               "12345678"]
    dates = _parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == ["2023-06-01", "2023-06-02", "2023-06-01", "2023-06-01",
                                       None, None, None, "2023-05-06", None, None]
    assert dates.day_number.tolist() == [True] * 4 + [False] * 6
    assert dates.no_date.tolist() == [False] * 4 + [True, True] + [False] * 4


def test_a_time_of_day_after_the_date_and_a_date_kept_as_a_number_are_read_as_the_day():
    written = ["2023/6/1 0:00:00", "2023/6/1 0:00", "2023-06-01 00:00:00", "2023-06-01T08:31:12",
               "2023-06-01 8:31", "2023年6月1日 14:05:00", "20230601.0", "20230601",
               "2023-06-01 25", "2023.6", "202306.0"]
    dates = _parse_dates(pd.Series(written, dtype=object))
    assert dates.iso_text.tolist() == ["2023-06-01"] * 8 + [None, None, None]
