"""Recognising one administrative name at a position of an address: full names, short forms where the
text goes on like an address, towns of redrawn counties, one-character misspellings (台卅市天台县).

`geocoder.parse_admin` walks the chain province … community with these. See docs/geocoder.md.
"""

from __future__ import annotations

import re

from geocoder.admin import LEVEL_OF_LENGTH, RANK, AdminEntry, AdminIndex

# A short admin name (杭州, 海宁) is not a place name when a road or feature word follows it (海宁路, and 社,
# a village in Minnan addresses: 浦东社).
NOT_AFTER_ALIAS = re.compile(
    r"^[东南西北中]?[\d一二三四五六七八九十]*(?:大道|大街|大?路|街|道|巷|弄|里|桥|湾|港|口|山|湖|江|河|园|苑|"
    r"广场|花园|小区|大厦|公园|中学|小学|大学|学院|医院|宾馆|酒店|饭店|银行|商场|超市|站|机场|码头|新村|村|社(?!区)|城(?![东南西北](?![路街道大巷]))|"
    r"镇|乡|区|县|市|州)"
    r"|^[^\d\W](?:大道|大街|路|街|巷)"  # 余杭塘路: one more character makes the short name a road name
)
_ORGANISATION = re.compile(
    r"^[^\d\-#A-Z省市区县镇乡村路街道巷弄号]{1,10}?(?:大学|学院|中学|小学|医院|研究院|研究所)"
    r"(?![路街道巷])"
)
# a zone named by a place of two to four characters (山口工业区): the short name before it is its city;
# not one that begins with a level, road or water word (镇斗南新区, 湾经济开发区: the name goes on)
_NAMED_ZONE = re.compile(
    r"^(?![省市区县镇乡村湾港大])[^\W\d路街道巷弄]{2,4}?(?:开发区|工业区|工业园区?|园区|新区)"
)
_ROAD_AFTER_FEATURE = re.compile(r"^([东南西北中]{0,2})(?:大道|大街|路|街|巷)")
_ROAD_WORDS = {"大道", "大街", "大路"}
_LEVEL_ENDINGS = set("省市区县旗州盟镇乡道村区会")
# units named by a bare direction or kind (攀枝花东区, 阳泉城区): as words (西安东区) they name no unit
_GENERIC_UNIT = re.compile(r"[东西南北新城矿郊]区|[新老南北]城区")
_TOWN_SUFFIXES = ("街道", "镇", "乡", "办事处", "苏木")
NOT_CITY = ("场", "民", "政")  # 市场, 市民, 市政: words, not a city
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_LONGEST_VILLAGE = 10  # characters of a village's name with its 村
# a road named after a village (霞阳村西路, 岭下村一路); a numbered lane (下沙村3巷) lies in the village
_ROAD_AFTER_VILLAGE = re.compile(r"[东南西北中]{0,2}[一二三四五六七八九十]*(?:大道|大街|路|街)")
DEVZONE = re.compile(r"(?:开发区|工业区|工业园区?|科技园|园区|高新区|新区|保税区)$")


def starts_admin(text: str, index: AdminIndex, parents: list[AdminEntry] | None = None) -> bool:
    """True when a full admin name (with its level suffix) begins the text (after separators), one inside
    `parents` when they are given."""
    text = text.lstrip("-")
    for length in range(min(index.longest_from.get(text[:2], 0), len(text)), 1, -1):
        form = text[:length]
        if _generic(form) or form[-1] not in _LEVEL_ENDINGS or form in index.aliases:
            continue
        entries = index.lookup(form)
        if entries and (parents is None or any(contains(p, e) for p in parents for e in entries)):
            return True
    return False


def _generic(form: str) -> bool:
    """True for a unit named by a bare word (城区, 工业园区): it does not show that an address goes on."""
    return _GENERIC_UNIT.fullmatch(form) is not None or DEVZONE.fullmatch(form) is not None


def _feature_follows(rest: str, index: AdminIndex) -> bool:
    """True when a road or feature word follows a short admin name (海宁路, 浙江大学): the name is part of
    it; not when that word only begins a longer road name (杭州学院路, 温州学院中路: 杭州 + 学院路) or
    the name of a zone (金华山口工业区: 金华 + 山口工业区; but 杭州湾新区 is named after the bay)."""
    if _NAMED_ZONE.match(rest):
        return False
    if _ORGANISATION.match(rest):  # 浙江传媒学院, 湖州中心医院: the name of a school or hospital
        # but one named after a province follows the place (杭州浙江大学, 增城广东财经大学)
        return not any(e.level == "province" for n in (2, 3) for e in index.lookup(rest[:n]))
    match = NOT_AFTER_ALIAS.match(rest)
    if match is None:
        return False
    word = re.sub(r"^\d+", "", match[0])
    road = _ROAD_AFTER_FEATURE.match(rest[match.end() :])
    if road is None or word in _ROAD_WORDS:
        return True
    # 学院路, 中山路, 江东大道 are road names of their own; 湾大道 (杭州湾大道) is too short for one
    return len(word) + len(road[1]) < 2


def starts_child(text: str, index: AdminIndex, parents: list[AdminEntry]) -> bool:
    """True when a unit inside one of `parents` begins the text, even as a short form (杭州江干, 台州路桥)."""
    for length in range(min(index.longest_from.get(text[:2], 0), len(text)), 1, -1):
        for entry in index.lookup(text[:length]):
            if entry.level == "community":  # bare community names (大学, 城南) are too common words
                continue
            if any(entry.code != p.code and entry.code.startswith(index.scope(p)) for p in parents):
                return not NOT_AFTER_ALIAS.match(text[length:]) or starts_admin(text[length:], index)
    return False


def match_at(
    text: str, pos: int, index: AdminIndex, last_rank: int, active: list[AdminEntry], longest_known: int
) -> tuple[str, list[AdminEntry]] | None:
    """The longest admin form at `pos` below `last_rank` and inside `active`, or None."""
    scopes = tuple(index.scope(a) for a in active)
    for length in range(min(index.longest_from.get(text[pos : pos + 2], 0), len(text) - pos), 1, -1):
        form = text[pos : pos + length]
        entries = [
            e
            for e in index.lookup(form)
            if RANK[LEVEL_OF_LENGTH[len(e.code)]] > last_rank and (not scopes or e.code.startswith(scopes))
        ]
        if not entries or length < longest_known:
            continue
        top = min(RANK[e.level] for e in entries)
        rest = text[pos + length :]
        # a short form (杭州, 海宁, 城区) is a place name only where the text goes on like an address, or
        # when it is the whole text (香蜜湖: callers name an area so; not a bare word such as 城区)
        if form[-1] == "市" and rest.startswith("场") and not starts_admin(rest, index):
            continue  # 福田市场: a market, not 福田(区) written 福田市; but 富阳市场口镇
        if form in index.aliases or form[-1] not in _LEVEL_ENDINGS or len(form) <= 2 or _generic(form):
            follows = starts_admin(rest, index) or starts_child(rest, index, entries)
            unique = top == RANK["district"] and len({e.code for e in entries if e.level == "district"}) == 1
            alone = pos == 0 and not rest and not _generic(form)
            if not follows and (
                _feature_follows(rest, index)
                or (not active and top >= RANK["district"] and not unique and not alone)
            ):
                continue
        return form, [e for e in entries if RANK[e.level] == top]
    return None


def moved_town(
    text: str, pos: int, index: AdminIndex, last_rank: int, active: list[AdminEntry], longest_known: int
) -> tuple[str, list[AdminEntry]] | None:
    """A town of the county's city written after the county it belonged to before the counties were
    redrawn (鄞州区横街镇: 横街镇 is in 海曙区 since 2016; 余杭区乔司: in 临平区 since 2021)."""
    cities = [index.by_code[a.code[:4]] for a in active if a.code[:4] in index.by_code]
    if not cities or any(a.level != "district" for a in active):
        return None
    found = match_at(text, pos, index, last_rank, cities, longest_known)
    if found is None or found[1][0].level != "town" or not found[0].endswith(_TOWN_SUFFIXES):
        return None
    return found


def village(
    text: str, pos: int, index: AdminIndex, last_rank: int, active: list[AdminEntry], longest_known: int
) -> tuple[str, list[AdminEntry]] | None:
    """A village written by its name (下沙村, 上沙村): the community that bears it, as a village committee
    (上沙村委会) or as the community an urban village became (下沙社区, 城中村 of 深圳 and 厦门); not
    one that begins a road's name (霞阳村西路)."""
    if last_rank >= RANK["community"]:
        return None
    scopes = tuple(index.scope(a) for a in active)
    for end in range(min(pos + _LONGEST_VILLAGE, len(text)), pos + 2, -1):
        form = text[pos:end]
        if not form.endswith("村") or len(form) < longest_known or _ROAD_AFTER_VILLAGE.match(text, end):
            continue
        entries = [
            e
            for e in index.lookup(form[:-1])
            if e.level == "community"
            and (not scopes or e.code.startswith(scopes))
            and e.short_name in (form[:-1], form[:-1] + "社区")
        ]
        if entries:
            return form, entries
    return None


def may_name(form: str, units: list[AdminEntry], index: AdminIndex) -> bool:
    """True when `form` is one of the names of `units` (the unit just read may be written again)."""
    codes = {e.code for e in units}
    return any(e.code in codes for e in index.lookup(form))


def misspelt(
    text: str, pos: int, index: AdminIndex, last_rank: int, active: list[AdminEntry]
) -> tuple[str, list[AdminEntry]] | None:
    """A city or county name with one character wrong (台卅市天台县, 杭州市江士区) or missing (台市椒江区),
    kept as written: taken when one unit only fits — inside the units read and right below them, or followed
    by a unit of its own (always, for a missing character)."""
    scopes = tuple(index.scope(a) for a in active)
    below = max((RANK[a.level] for a in active), default=-2) + 1
    for length in range(6, 2, -1):  # 台卅市 … 乌鲁木齐市
        form = text[pos : pos + length]
        rest = text[pos + length :]
        if len(form) < length or form[-1] not in "市区县" or not _HAN.fullmatch(form) or index.lookup(form):
            continue
        if rest.startswith(NOT_CITY):
            continue
        fits = {
            e.code: e
            for e in index.one_off(form)
            if RANK[e.level] > last_rank
            and (not scopes or e.code.startswith(scopes))
            and (RANK[e.level] == below or starts_child(rest, index, [e]))
        }
        if len(fits) == 1:
            return form, list(fits.values())
    # a city or county written a character short (台市椒江区): only when a unit of its own follows
    for length in range(5, 1, -1):
        form, rest = text[pos : pos + length], text[pos + length :]
        if len(form) < length or form[-1] not in "市区县" or not _HAN.fullmatch(form) or index.lookup(form):
            continue
        short = [
            e for e in index.one_missing(form)
            if RANK[e.level] > last_rank
            and (not scopes or e.code.startswith(scopes))
            and starts_child(rest, index, [e])
        ]
        if len(short) == 1:
            return form, short
    # a province written with 市 (山西市太原迎泽区): the province, when a city or county of its own follows
    for length in (4, 3) if last_rank < 0 else ():  # 黑龙江市, 山西市
        form = text[pos : pos + length]
        provinces = [e for e in index.lookup(form[:-1]) if e.level == "province"]
        rest = text[pos + length :]
        if form.endswith("市") and not index.lookup(form) and starts_child(rest, index, provinces):
            return form, provinces
    return None


def contains(outer: AdminEntry, inner: AdminEntry) -> bool:
    return outer.code != inner.code and inner.code.startswith(outer.code)
