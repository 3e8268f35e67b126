"""Rows of a census form that are not survey rows: the lines above the header that say who filled it in
(填报单位：…, 填报日期：…), the units and the column numbers under the header ((°), (m); 栏次: 甲, 乙, 1, 2,
3 …), the blank rows of a template whose 序号 was filled in ahead, subtotals and totals (小计, 合计), and the
lines a form ends with (填表人, 审核人, 制表, 校核, 填表日期, 注：…).

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
    r"(小计|合计|总计|共计|填表人|填报人|制表人|制表|审核人|审核|审批人|审定|负责人|技术负责人|项目负责人|"
    r"调查人|调查员|普查员|核查人|检查人|校核|校对|编制|填表日期|填报日期|制表日期|日期[:：]|填表单位|"
    r"填报单位|制表单位|作业单位|测绘单位|注[:：]|备注[:：]|说明[:：])"
    r"|.*(小计|合计|总计|共计)$"  # 福田街道小计, 井盖合计
)
_TOTAL = re.compile(r".*(小计|合计|总计|共计)$")
# A cell that labels a value (填报单位：某测绘公司, 填报日期：2023年6月5日): a short label and a colon
_LABELLED_VALUE = re.compile(r"[^:：]{1,12}[:：]")
# A unit in brackets, as a row under the header writes it: (°), （m）, [YYYYMMDD]
_UNIT = re.compile(r"[(（\[【][^()（）\[\]【】]{1,12}[)）\]】]")
_COLUMN_LETTERS = "甲乙丙丁戊己庚辛壬癸"
_NUMBER_MARKS = str.maketrans("", "", "()（）[]【】栏第列")
_SEQUENCE_NAMES = ("序号", "序", "顺序号", "行号", "no", "no.")  # folded as column names are matched


def is_labelled_value_row(cells: Sequence[object]) -> bool:
    """True for a line of a form above its header whose every filled cell labels a value
    (填报单位：某测绘公司 | 填报日期：2023年6月5日): column names carry no colon."""
    filled = [v for v in cells if _is_filled(v)]
    return bool(filled) and all(isinstance(v, str) and _LABELLED_VALUE.match(fold(v)) for v in filled)


def is_unit_row(cells: Sequence[object]) -> bool:
    """True for the row some forms put under the header to give each column's unit: every filled
    cell a unit in brackets ((°), （m）, (YYYYMMDD))."""
    filled = [v for v in cells if _is_filled(v)]
    return bool(filled) and all(isinstance(v, str) and _UNIT.fullmatch(v.strip()) for v in filled)


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
    begins with a form word, or any of whose cells is a total (小计, 福田街道小计: the first cell may be a
    street merged down over its rows and their subtotal), spaces inside them ignored (合  计)."""
    found = np.zeros(len(attributes), dtype=bool)
    cells = attributes.to_numpy(dtype=object)
    for i in np.flatnonzero(without_coordinates):
        texts = [fold(v) for v in cells[i] if isinstance(v, str) and v.strip()]
        first = next((v for v in cells[i] if _is_filled(v)), None)
        found[i] = (isinstance(first, str) and _FORM_WORDS.match(fold(first)) is not None) \
            or any(_TOTAL.match(text) for text in texts)
    return found


def _is_filled(value: object) -> bool:
    return value is not None and bool(str(value).strip())


def form_rows_note(rows: np.ndarray, unit: str) -> str:
    """The note naming the form rows left out, by their row or line numbers."""
    shown = ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
    units = unit + ("s" if len(rows) > 1 else "")
    return f"{len(rows)} subtotal, total or signature {units} of the form not read: {units} {shown}"
