"""Rows of a census form that are not survey rows: the column numbers under the header (栏次: 甲, 乙, 1, 2,
3 …), the blank rows of a template whose 序号 was filled in ahead, subtotals and totals (小计, 合计), and the
lines a form ends with (填表人, 审核人, 填表日期, 注：…).

Official census forms are filled in as spreadsheets and signed at the bottom; a per-street 小计 row or a
合计 row under the table is common. Such a row has no coordinates of its own and begins with one of these
words, so it is told apart from a survey row that lost its coordinates, which the import reports.
"""

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from layers.field_mapping import fold

_FORM_WORDS = re.compile(
    r"(小计|合计|总计|共计|填表人|填报人|制表人|审核人|审核|审批人|负责人|调查人|调查员|普查员|核查人|"
    r"填表日期|填报日期|制表日期|填表单位|填报单位|制表单位|注[:：]|备注[:：]|说明[:：])"
    r"|.*(小计|合计|总计|共计)$"  # 福田街道小计, 井盖合计
)
_COLUMN_LETTERS = "甲乙丙丁戊己庚辛壬癸"
_NUMBER_MARKS = str.maketrans("", "", "()（）[]【】栏第列")
_SEQUENCE_NAMES = ("序号", "序", "顺序号", "行号", "no", "no.")  # folded as column names are matched


def sequence_columns(header: Sequence[str]) -> frozenset[int]:
    """The positions of the row-number columns of a form (序号, No.)."""
    return frozenset(i for i, name in enumerate(header) if fold(name) in _SEQUENCE_NAMES)


def is_blank_form_row(cells: list[object], sequence: frozenset[int]) -> bool:
    """True for a template row nobody filled in: its only filled cells are row numbers (序号: 12). The
    cells are counted first, so a survey row, which holds more, costs next to nothing."""
    if len(cells) - cells.count(None) - cells.count("") > len(sequence):
        return False
    filled = [(i, v) for i, v in enumerate(cells) if _is_filled(v)]
    return bool(filled) and all(i in sequence and str(v).strip().isdigit() for i, v in filled)


def is_column_number_row(cells: Sequence[object]) -> bool:
    """True for the row official forms put under the header to number its columns: at least three
    filled cells, leading 甲, 乙 … letters allowed, then consecutive whole numbers (1, 2, 3 or (1), (2),
    ①, ② …) in column order (matched as column names are, so full-width and spaced digits count)."""
    filled = [v for v in cells if _is_filled(v)]
    texts = [fold(str(v)).translate(_NUMBER_MARKS) for v in filled]
    letters = 0
    while letters < len(texts) and texts[letters] == _COLUMN_LETTERS[letters:letters + 1]:
        letters += 1
    numbers = texts[letters:]
    if len(filled) < 3 or not numbers or not all(t.isdigit() for t in numbers):
        return False
    values = [int(t) for t in numbers]
    return values == list(range(values[0], values[0] + len(values))) and values[0] in (0, 1)


def form_rows(attributes: pd.DataFrame, without_coordinates: np.ndarray) -> np.ndarray:
    """Which rows are subtotal, total or signature lines: among the rows `without_coordinates` (none
    read: a signature line may write 审核人：李四 in a coordinate column), those whose first filled cell
    begins with a form word or ends in a total (福田街道小计), spaces inside it ignored (合  计)."""
    found = np.zeros(len(attributes), dtype=bool)
    cells = attributes.to_numpy(dtype=object)
    for i in np.flatnonzero(without_coordinates):
        first = next((v for v in cells[i] if _is_filled(v)), None)
        if isinstance(first, str):
            found[i] = _FORM_WORDS.match(fold(first)) is not None
    return found


def _is_filled(value: object) -> bool:
    return value is not None and bool(str(value).strip())


def form_rows_note(rows: np.ndarray, unit: str) -> str:
    """The note naming the form rows left out, by their row or line numbers."""
    shown = ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
    units = unit + ("s" if len(rows) > 1 else "")
    return f"{len(rows)} subtotal, total or signature {units} of the form not read: {units} {shown}"
