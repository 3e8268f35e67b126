"""Rows of a census form that are not survey rows: subtotals and totals (小计, 合计), and the lines a form
ends with (填表人, 审核人, 填表日期, 注：…).

Official census forms are filled in as spreadsheets and signed at the bottom; a per-street 小计 row or a
合计 row under the table is common. Such a row has no coordinates of its own and begins with one of these
words, so it is told apart from a survey row that lost its coordinates, which the import reports.
"""

import re
import unicodedata

import numpy as np
import pandas as pd

_FORM_WORDS = re.compile(
    r"(小计|合计|总计|共计|填表人|填报人|制表人|审核人|审核|审批人|负责人|调查人|调查员|普查员|核查人|"
    r"填表日期|填报日期|制表日期|填表单位|填报单位|制表单位|注[:：]|备注[:：]|说明[:：])"
    r"|.*(小计|合计|总计|共计)$"  # 福田街道小计, 井盖合计
)


def form_rows(attributes: pd.DataFrame, without_coordinates: np.ndarray) -> np.ndarray:
    """Which rows are subtotal, total or signature lines: among the rows `without_coordinates` (none
    read; a signature line may write 审核人：李四 in a coordinate column), those
    whose first filled cell begins with a form word or ends in a total (福田街道小计); spaces inside it are
    ignored (合  计)."""
    found = np.zeros(len(attributes), dtype=bool)
    for i in np.flatnonzero(without_coordinates):
        first = next((v for v in attributes.iloc[i] if v is not None and str(v).strip()), None)
        if isinstance(first, str):
            text = "".join(unicodedata.normalize("NFKC", first).split())
            found[i] = _FORM_WORDS.match(text) is not None
    return found


def form_rows_note(rows: np.ndarray, unit: str) -> str:
    """The note naming the form rows left out, by their row or line numbers."""
    shown = ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
    units = unit + ("s" if len(rows) > 1 else "")
    return f"{len(rows)} subtotal, total or signature {units} of the form not read: {units} {shown}"
