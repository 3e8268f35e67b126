"""Per-row values worked out once per distinct value: survey columns repeat few values (classes,
departments, dates), so a million rows convert in the time of their distinct values."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def is_missing(value: object) -> bool:
    """Whether a cell holds no value: None, pandas' NA or NaT, or a float NaN (a list or any other object is a
    value, where pd.isna would answer per element)."""
    return (value is None or value is pd.NA or value is pd.NaT
            or (isinstance(value, float | np.floating) and bool(np.isnan(value))))


def from_distinct(values: np.ndarray, codes: np.ndarray, missing: Any) -> np.ndarray:
    """Per row, the value worked out for its distinct value: `codes` as pd.factorize gives them
    (-1 for a missing row, which gets `missing`)."""
    return np.append(values, np.array([missing], dtype=values.dtype))[codes]


def distinct_combinations(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct combination of the columns' values (missing counts as a value of its
    own), and per row the number of its combination, to work a combination out once."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        codes, distinct = pd.factorize(column)
        # renumbered after each column, so the key stays below the row count whatever the columns hold
        key = pd.factorize(key * (len(distinct) + 1) + codes + 1)[0]
    _, firsts, combination = np.unique(key, return_index=True, return_inverse=True)
    return firsts, combination
