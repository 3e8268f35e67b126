"""Per-row values worked out once per distinct value: survey columns repeat few values (classes,
departments, dates), so a million rows convert in the time of their distinct values."""

from typing import Any

import numpy as np


def from_distinct(values: np.ndarray, codes: np.ndarray, missing: Any) -> np.ndarray:
    """Per row, the value worked out for its distinct value: `codes` as pd.factorize gives them
    (-1 for a missing row, which gets `missing`)."""
    return np.append(values, np.array([missing], dtype=values.dtype))[codes]
