"""Unified social credit codes (统一社会信用代码, GB 32100-2015), the department codes GB/T 47678.5 asks a
component to carry: 18 characters of digits and capital letters but I, O, S, V and Z, the last a check
character over the other seventeen."""

import unicodedata

_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {character: value for value, character in enumerate(_CHARACTERS)}
_WEIGHTS = tuple(pow(3, position, 31) for position in range(17))


def is_credit_code(text: str) -> bool:
    """Whether `text` is a unified social credit code with its check character right (case and full-width
    forms aside, as people type them)."""
    code = unicodedata.normalize("NFKC", text).strip().upper()
    if len(code) != 18 or any(character not in _VALUES for character in code):
        return False
    total = sum(_VALUES[character] * weight for character, weight in zip(code, _WEIGHTS, strict=False))
    return code[17] == _CHARACTERS[-total % 31]
