"""Address normalisation: simplified script, half width, digits for numbers, one separator, qualifiers apart.

The normalised text is what the parser and the gazetteer compare; qualifiers (附近, 对面, 东侧 50 米 …)
describe where the place is relative to the address and are returned beside it, never matched.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import opencc

MAX_LENGTH = 200  # longer queries are not addresses (the hotline form field holds 100 characters)

_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_TENS = str.maketrans({"廿": "二十", "卅": "三十"})  # 廿一 (21), 卅五 (35): the tens in one character
_NUMERAL = "零〇○一二两三四五六七八九十百千廿卅"
_HAS_NUMERAL = re.compile(f"[{_NUMERAL}]")
# A Chinese numeral is a number (not part of a name such as 一中, 五村, 火炬二路) when a unit of an
# address element follows it (GA/T 2000.32: 门牌号, 楼栋, 单元, 楼层, 户室).
_NUMBER_UNIT = r"(?:号楼|号院|号|栋|幢|座|单元|层|楼|室|户|弄|巷|组|排|期|之|附)"
_CHINESE_NUMBER = re.compile(rf"(?<![{_NUMERAL}])(第?)([{_NUMERAL}]{{1,8}})(?={_NUMBER_UNIT})")
# 四号之九8楼: a sub-number written in numerals ends where digits begin (4号之9号 8楼, not 之98楼)
_AFTER_SUB = re.compile(rf"(?<=[之附])([{_NUMERAL}]{{1,4}})(?![{_NUMERAL}])(?=(\d)?)")
# 12号之3, 12之3号, 12-之3号, 12号附3, 12附3号, 12号-3 → 12-3号 (sub-number, 附号); 12-3号 stays;
# 5-436 (楼-室) is no plate
_SUB_NUMBER = re.compile(r"(\d+)(?:号之|-之|之|号附|附|号-)(\d+)(?:(号)|(?![\d层楼F]))")
_DASHES = re.compile(r"(?<=\d)[—–~](?=\d)")
SIDE = r"[东南西北]{1,2}(?:侧|面|边|角)"  # a side of a place: 东侧, 西南角
_QUALIFIER = re.compile(
    r"(?:(?:往|向)?[东南西北]{1,2}(?:侧|面|边)?(?:约)?\d+(?:米|m)(?:处)?"
    rf"|(?:的)?(?:附近|旁边|旁|对面|斜对面|前面|后面|门口|门前|楼下|周边|一带|{SIDE}|里面|内部?))$"
)
# after a house number, 附近 / 旁边 / 对面 and what follows them describe a place by that address:
# 嘉禾路398号对面公交站 is the bus stop opposite No. 398, found at No. 398
_MID_QUALIFIER = re.compile(r"(?<=\d号)(?:的)?(?:附近|旁边|斜对面|对面)(?=.)")
# a run of dashes is one dash; a dash that joins no numbers or letters (厦禾路 - 先锋营) only separates
# words, while 12-3号, 16--7--426 (as 16-7-426), A-3栋 and a basement's -1层 keep theirs
_DASH_RUN = re.compile(r"-{2,}")
_LONE_DASH = re.compile(r"(?<![0-9A-Z])-(?!\d+(?:层|楼|F))|-(?![0-9A-Z])")  # -1层: a basement
# a field label typed before the address (地址：…, 位于…): never part of a place name
_LEADING_LABEL = re.compile(r"^(?:详细地址|事发地址|事发地点|发生地址|发生地点|所在地址|地址|地点|位置|位于)")
# two roads listed (湖滨南路/斗西路, 湖滨南路、斗西路, 湖滨南路&斗西路) name their crossing
_ROAD_LIST = re.compile(r"(?:(?<=[路街巷])|(?<=[^街]道))\s*[/、&]\s*(?=[\u4e00-\u9fff])")  # not after 街道
# numbers listed before their unit (536、538号, 3和5号楼, 2、3单元) or each with it (536号、538号): the
# address is the first, the others are qualifiers; separators alone would run them together (536538号)
_LISTED_SEPARATOR = r"\s*[、,，/和及]\s*"
_LISTED_UNIT = r"(?:号楼|号(?![楼院])|栋|幢|座|单元|层|楼|室)"
_NUMBER_LIST = re.compile(
    rf"(?<![\d-])(?P<first>\d+)(?P<more>(?:{_LISTED_SEPARATOR}\d+)+)(?P<unit>{_LISTED_UNIT})"
    rf"|(?<![\d-])(?P<first_own>\d+)(?P<own>{_LISTED_UNIT})(?P<each>(?:{_LISTED_SEPARATOR}\d+(?P=own))+)"
)
_SEPARATORS = re.compile(r"[\s,，、;；:：/\\|_·•。.!！?？\"'“”‘’()（）\[\]【】{}<>《》]+")
_EMOJI_OR_SYMBOL = re.compile(r"[^\w\-#]", re.UNICODE)


@dataclass(frozen=True)
class Normalized:
    """A query after normalisation: the text to match, and the qualifiers taken off it."""

    text: str
    qualifiers: tuple[str, ...]


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional → simplified script (OpenCC t2s), as `normalize` applies it."""
    return _t2s().convert(text)


def chinese_to_int(numeral: str) -> int:
    """一百二十三 → 123, 二〇八 → 208 (digit by digit when no unit), 十五 → 15, 廿一 → 21."""
    numeral = numeral.translate(_TENS)
    if not any(c in _UNITS for c in numeral):
        return int("".join(str(_DIGITS[c]) for c in numeral))
    total, current = 0, 0
    for char in numeral:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:
            total += (current or 1) * _UNITS[char]
            current = 0
    return total + current


def protect(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for those of the names (longest first) that hold a Chinese numeral, written as
    `normalize` reads them: it keeps their numerals (四号路 stays the gazetteer's name, not 4号路)."""
    forms = set(half_width(simplified("\n".join(names))).split("\n"))  # one OpenCC call for them all
    ordered = sorted((form for form in forms if _HAS_NUMERAL.search(form)), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


def _numbers(text: str, protected: re.Pattern[str] | None) -> str:
    kept: list[str] = []
    if protected is not None:

        def mask(match: re.Match[str]) -> str:
            kept.append(match[0])
            return f"\x00{len(kept) - 1}\x00"

        text = protected.sub(mask, text)
    text = _CHINESE_NUMBER.sub(lambda m: m[1] + str(chinese_to_int(m[2])), text)
    text = _AFTER_SUB.sub(lambda m: str(chinese_to_int(m[1])) + ("号" if m[2] else ""), text)
    if kept:
        text = re.sub("\x00([0-9]+)\x00", lambda m: kept[int(m[1])], text)
    return text


def digits_spelling(name: str) -> str:
    """A normalised name with its Chinese numerals before a unit as digits (四号路 → 4号路): how text
    normalised without protecting that name writes it."""
    return _numbers(name, None)


def half_width(text: str) -> str:
    """Full-width ASCII and the ideographic space to their half-width forms (NFKC, letters upper-cased)."""
    return unicodedata.normalize("NFKC", text).upper()


def _first_listed(text: str) -> tuple[str, list[str]]:
    """The text with each list of numbers cut to its first, and the numbers cut off (538号)."""
    listed: list[str] = []

    def first(match: re.Match[str]) -> str:
        first, others, unit = (
            (match["first"], match["more"], match["unit"])
            if match["first"] is not None
            else (match["first_own"], match["each"], match["own"])
        )
        listed.extend(number + unit for number in re.findall(r"\d+", others))
        return first + unit

    return _NUMBER_LIST.sub(first, text), listed


def normalize(query: str, protected: re.Pattern[str] | None = None) -> Normalized:
    """Normalise a query; `protected` names (gazetteer names with numerals: 第一中学) stay as they are."""
    text, qualifiers = _first_listed(half_width(simplified(query)))
    text = _SEPARATORS.sub(" ", _ROAD_LIST.sub("与", text)).strip()
    text = _numbers(text, protected)
    text = _DASH_RUN.sub("-", _DASHES.sub("-", text).replace(" ", ""))
    text = _SUB_NUMBER.sub(lambda m: f"{m[1]}-{m[2]}{m[3] or '号'}", text)
    text = _LONE_DASH.sub("", _EMOJI_OR_SYMBOL.sub("", text))
    text = _LEADING_LABEL.sub("", text)
    if middle := _MID_QUALIFIER.search(text):
        qualifiers.append(text[middle.start():].removeprefix("的"))
        text = text[: middle.start()]
    ahead = len(qualifiers)  # the end's qualifiers are read back to front, after those before them
    while True:
        match = _QUALIFIER.search(text)
        if not match or match.start() == 0:
            break
        qualifiers.insert(ahead, match[0].removeprefix("的"))
        text = text[: match.start()]
    return Normalized(text, tuple(qualifiers))


def has_han(text: str) -> bool:
    """True when the text holds at least one CJK ideograph."""
    return any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)
