"""Shared checks for fixed-length decimal codes, and the precise messages they raise.

Every code type parses the same way: the input must already be a `str` of ASCII digits
of the right length. Nothing is stripped or converted (no whitespace trimming, no
full-width to half-width folding), because a code that needed cleaning is a data
error the caller should see, not one onemap should hide. The fast path is a handful
of `str` method calls; the slow path only runs to explain a failure.
"""

import unicodedata
from typing import TypeGuard

_SHOW_MAX = 40


def show(text: object) -> str:
    """Quote an input for an error message, shortened if it is long."""
    if not isinstance(text, str):
        return repr(text)
    if len(text) > _SHOW_MAX:
        return repr(text[:_SHOW_MAX]) + f"... ({len(text)} characters)"
    return repr(text)


def is_digits(text: object, length: int) -> TypeGuard[str]:
    """Whether `text` is a `str` of exactly `length` ASCII digits."""
    return isinstance(text, str) and len(text) == length and text.isascii() and text.isdigit()


def describe(text: object, what: str, expected: str) -> str:
    """Say why `text` is not a well-formed `what`; `expected` completes 'expected ...'."""
    if text is None:
        return f"{what} is missing (None); expected {expected}"
    if not isinstance(text, str):
        return f"{what} must be a str, got {type(text).__name__} {show(text)}; expected {expected}"
    if text == "":
        return f"{what} is empty; expected {expected}"
    for position, char in enumerate(text, start=1):
        if "0" <= char <= "9":
            continue
        label = unicodedata.name(char, f"U+{ord(char):04X}")
        if char.isspace():
            return (
                f"{what} {show(text)} has whitespace {char!r} ({label}) at position {position};"
                f" whitespace is never stripped, expected {expected}"
            )
        if char.isdigit():
            return (
                f"{what} {show(text)} has the non-ASCII digit {char!r} ({label}) at position"
                f" {position}; only ASCII digits 0-9 are accepted, expected {expected}"
            )
        return (
            f"{what} {show(text)} has the non-digit {char!r} ({label}) at position {position};"
            f" expected {expected}"
        )
    return f"{what} {show(text)} has {len(text)} digits; expected {expected}"
