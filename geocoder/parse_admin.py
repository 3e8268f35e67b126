"""The administrative prefix of an address: province … community, matched against the division tables.

Each level lies below the previous one and inside it (codes consistent); a short form (杭州, 临平) counts
only where the text goes on like an address; a unit written again or a second, fuller chain restarts the
chain, but a unit read in full and written again short does not (绍兴市绍兴高新区); levels missing from the
tables are guessed from their suffix (…街道, …村); a city or county name with one character wrong is read
when a single unit fits (台卅市天台县); a zone named after its city names the city (芜湖经济技术开发区,
宁波高新区); a county-level city before another county of its prefecture stands for the prefecture
(吉首市凤凰县). See docs/geocoder.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from geocoder.admin import LEVELS, RANK, AdminEntry, AdminIndex
from geocoder.admin_match import (
    DEVZONE,
    NOT_AFTER_ALIAS,
    NOT_CITY,
    contains,
    match_at,
    may_name,
    misspelt,
    moved_town,
    starts_admin,
    starts_child,
    village,
)

if TYPE_CHECKING:
    from geocoder.parse import NameSet, Parsed

Span = tuple[str, str, list[AdminEntry]]  # level, the text, the entries it may be
_PLACEHOLDERS = ("市辖区", "市辖县")  # rows of the statistical tables that are no place
_AHEAD = 24  # how far past a failed admin prefix a new chain is looked for
_TOWN_GUESS = re.compile(r"^([^\d路街巷]{2,6}?(?:街道|镇|乡))")
_TOWN_BEFORE = re.compile(r"[^\d路街巷]{1,6}(?:街道|镇|乡|村)")  # a leading town or village name
_COMMUNITY_GUESS = re.compile(r"^([^\d路街巷]{2,8}?(?:社区|村))(?![委里])")
# zones named after their city (宁波高新区, 宁波保税区, 杭州经济技术开发区): its short name is the place
_CITY_ZONE = re.compile(r"(?:国家)?(?:高新技术产业开发区|高新技术开发区|高新区|保税区|经济(?:技术)?开发区)")


def _written_again(form: str, entries: list[AdminEntry], last: list[AdminEntry], index: AdminIndex) -> bool:
    """True when `form` names the unit just read again (绍兴绍兴诸暨, 东莞市东莞市), not a county below it
    whose own name it is (临夏州临夏市, 恩施州恩施市), nor the old name of a unit merged into it
    (思明区鼓浪屿: 鼓浪屿区 is listed under 思明区's code, and 鼓浪屿 is now its street)."""
    codes = {e.code for e in last}
    names = {e.name for e in last}
    if not any(e.code in codes and e.name in names for e in entries):
        return False
    return not any(
        e.name == form and e.name not in names and any(contains(a, e) for a in last)
        for e in index.lookup(form)
    )


def _starts_short_city(text: str, index: AdminIndex, parents: list[AdminEntry], spans: list[Span]) -> bool:
    """True when a short city name inside `parents` begins the text and a full unit of its own follows
    (东兴镇广西防城港东兴市: 广西 starts the address again), once a county is read only if the city holds it
    (福建省福州市闽侯县福建福州闽侯县青口镇, not 浙江省温州市瓯海区浙江台州黄岩区)."""
    counties = [matched for level, _, matched in spans if level == "district"]
    for length in range(min(index.longest_from.get(text[:2], 0), len(text)), 1, -1):
        form = text[:length]
        cities = [e for e in index.lookup(form) if e.level == "city" and any(contains(p, e) for p in parents)]
        if (
            form in index.aliases
            and cities
            and starts_admin(text[length:], index, cities)
            and all(any(contains(c, e) for c in cities for e in matched) for matched in counties)
        ):
            return True
    return False


def admin_prefix(
    text: str, index: AdminIndex, known: tuple[NameSet, NameSet], parsed: Parsed, home: tuple[str, ...] = ()
) -> int:
    """Match admin names from the start; return where the rest of the address begins.

    A unit written twice (宁波宁波市) or a second, fuller chain after a first one (浙江杭州西湖区浙江省杭州市
    西湖区…, 南泗乡广西来宾市…) restarts the chain: the last one written is the address; levels of the
    first chain that the second leaves out and that contain it are kept (浙江省嘉兴市海宁市浙江省海宁市
    长安镇). The same province written again before a town only (浙江省温州市瑞安市浙江省新塍镇) is no new
    chain, and a city written in full after a unit of its own (丰产路街道郑州市) adds the level it misses."""
    pos, last_rank, active = 0, -1, list[AdminEntry]()
    spans: list[Span] = []
    dropped: list[Span] = []
    if text.startswith("中国"):
        parsed.elements["country"] = "中国"
        pos = 2
    while pos < len(text):
        if text[pos] == "-" or text.startswith("NULL", pos):
            pos += 1 if text[pos] == "-" else 4
            continue
        if spans and text.startswith(_PLACEHOLDERS, pos):  # 宁波市市辖区柴桥街道: a statistical filler
            pos += 3
            continue
        # a known road or POI named after an admin area (景田社区党群服务中心) is the road or POI
        longest_known = max((len(n) for names in known if (n := names.prefix(text, pos))), default=0)
        found = (
            match_at(text, pos, index, last_rank, active, longest_known)
            or moved_town(text, pos, index, last_rank, active, longest_known)
            or village(text, pos, index, last_rank, active, longest_known)
        )
        again = None
        if spans and (found is None or may_name(found[0], spans[-1][2], index)):
            again = match_at(text, pos, index, -1, [], longest_known)
        # the unit just read written again (绍兴绍兴诸暨, 东莞市东莞市), though a county below bears its name
        if again is not None and _written_again(again[0], again[1], spans[-1][2], index):
            found = None
        elif found is None:
            found = misspelt(text, pos, index, last_rank, active)
        if again is not None and found is None:
            form, entries = again
            seen = {e.code for _, _, matched in spans for e in matched}
            repeated = [e for e in entries if e.code in seen and RANK[e.level] >= last_rank - 1]
            if repeated and _short_again(form, repeated, text[pos + len(form) :], spans, index):
                pos = _past_short_again(text, pos + len(form), index, repeated, spans)
                continue
            if repeated:  # the same unit written again (宁波宁波市, 江山市江山市): the later spelling
                last_rank = RANK[repeated[0].level]
                dropped += [s for s in spans if RANK[s[0]] >= last_rank]
                spans = [*(s for s in spans if RANK[s[0]] < last_rank), (repeated[0].level, form, repeated)]
                for level in LEVELS[last_rank:]:
                    parsed.elements.pop(level, None)
                parsed.elements[repeated[0].level] = form
                active, pos = repeated, pos + len(form)
                continue
            after = text[pos + len(form) :]
            # a province or city written in full, then a unit inside it (even short: 绍兴浙江省绍兴时代广场)
            short = form in index.aliases
            fuller = (
                starts_admin(after, index, entries if short else None)
                or (not short and starts_child(after, index, entries))
                or (short and _starts_short_city(after, index, entries, spans))
            )
            if fuller and _stray_province(text, pos + len(form), index, entries, spans):
                pos += len(form)  # 瑞安市浙江省新塍镇: the province again before a town only is no new chain
                continue
            if RANK[entries[0].level] <= RANK["city"] and fuller:
                for level in LEVELS:  # a second, fuller chain
                    parsed.elements.pop(level, None)
                dropped += spans
                spans, active, found = [], [], again
            elif (
                RANK[entries[0].level] <= RANK["city"]
                or (entries[0].level == "district" and form[-1] in "区县市旗")
            ) and _above(form, entries, after, spans, index):
                # a city or county written in full after a unit of its own (丰产路街道郑州市红专路,
                # 海沧街道海沧区): the level it misses
                spans = _with_above(spans, form, entries)
                parsed.elements[entries[0].level] = form
                active = [e for e in active if any(contains(a, e) for a in entries)]
                pos += len(form)
                continue
        if found is None and (seat := _seat_before_county(text, pos, index, spans, longest_known)):
            # 吉首市凤凰县: a county-level city before another county of its prefecture stands for the
            # prefecture; the county after it is where the address lies
            _, form, _ = spans.pop()
            parsed.elements.pop("district", None)
            parsed.elements["city"] = form
            spans.append(("city", form, seat[0]))
            active, last_rank, found = seat[0], RANK["city"], seat[1]
        if found is None:
            guess = _guess_lower_level(text[pos:], last_rank)
            if guess is None:
                ahead = _chain_ahead(text, pos, index, spans)
                if ahead is None:
                    break
                for level in LEVELS:  # 中国 or a full chain after other words starts the address again
                    parsed.elements.pop(level, None)
                if text[pos:ahead] == "中国":
                    parsed.elements["country"] = "中国"
                elif ahead > pos:
                    parsed.elements.setdefault("other", text[pos:ahead])
                dropped += spans
                pos, last_rank, active, spans = ahead, -1, [], []
                continue
            level, form = guess
            parsed.elements[level] = form
            last_rank, pos = RANK[level], pos + len(form)
            continue
        form, entries = found
        if home and not spans and _elsewhere(form, entries, home):
            break
        level, end = entries[0].level, pos + len(form)
        # development zones listed as town-level units (萧山经济技术开发区) are written as zones, not towns
        element = "devzone" if level == "town" and DEVZONE.search(form) else level
        named = _zone_city(form, entries, index) if last_rank < RANK["city"] else None
        if named is not None:  # 芜湖经济技术开发区: its city 芜湖 and the zone, as NCAP writes them
            spans.append(("city", named[0], named[1]))
            parsed.elements["city"] = named[0]
            form, element = form[len(named[0]) :], "devzone"
        spans.append((level, form, entries))
        parsed.elements[element] = form
        last_rank, active, pos = RANK[level], entries, end
    while pos > 0 and pos < len(text) and text[pos] == "-":
        pos += 1
    if spans and dropped:
        _restore(dropped, spans, parsed)
    _resolve(spans, parsed)
    return pos


def _elsewhere(form: str, entries: list[AdminEntry], home: tuple[str, ...]) -> bool:
    """A short county, town or community name first in the text, of no unit in the service's cities: a
    name that begins the place, not that far-off unit (莲花新城 in Xiamen; 鼓楼 anywhere but its four
    cities; 上沙村 in Xiamen is no village of Wenzhou)."""
    return (
        all(e.name != form and e.level in ("district", "town", "community") for e in entries)
        and not any(e.code.startswith(home) for e in entries)
    )


def _short_again(
    form: str, repeated: list[AdminEntry], after: str, spans: list[Span], index: AdminIndex
) -> bool:
    """True when `form` is the short form of a unit read in full before (浙江省绍兴市绍兴高新区, 杭州市江干区
    杭州下沙): a name that begins with it, not a new chain — unless another unit of a level read follows."""
    codes = {e.code for e in repeated}
    earlier = [written for _, written, matched in spans if any(e.code in codes for e in matched)]
    if not earlier or earlier[0] in index.aliases or not earlier[0].startswith(form) or form == earlier[0]:
        return False
    below = match_at(after, 0, index, RANK[repeated[0].level], repeated, 0)
    if below is None:
        return True
    seen = {e.code for _, _, matched in spans for e in matched}
    read = {level for level, _, _ in spans}
    return below[1][0].level not in read or any(e.code in seen for e in below[1])


def _past_short_again(
    text: str, pos: int, index: AdminIndex, units: list[AdminEntry], spans: list[Span]
) -> int:
    """Where short re-mentions of the units read in full end (深圳市南山区深圳南山: past 南山 as well)."""
    while (below := match_at(text, pos, index, RANK[units[0].level], units, 0)) is not None:
        form, units = below
        if not _short_again(form, units, text[pos + len(form) :], spans, index):
            break
        pos += len(form)
    return pos


def _seat_before_county(
    text: str, pos: int, index: AdminIndex, spans: list[Span], longest_known: int
) -> tuple[list[AdminEntry], tuple[str, list[AdminEntry]]] | None:
    """When the county-level city just read, with no city before it, is followed by another county of
    its prefecture written in full (吉首市凤凰县): that prefecture, and the county found."""
    if not spans or spans[-1][0] != "district" or any(level == "city" for level, _, _ in spans):
        return None
    _, form, entries = spans[-1]
    cities = [index.by_code[e.code[:4]] for e in entries if e.code[:4] in index.by_code]
    if not form.endswith("市") or form in index.aliases or len(cities) != 1:
        return None
    county = match_at(text, pos, index, RANK["city"], cities, longest_known)
    if county is None or county[0] in index.aliases or county[1][0].level != "district":
        return None
    return None if set(county[1]) & set(entries) else (cities, county)


def _zone_city(
    form: str, entries: list[AdminEntry], index: AdminIndex
) -> tuple[str, list[AdminEntry]] | None:
    """The name of its own city that a county-level zone's name begins with (芜湖经济技术开发区 → 芜湖),
    with the city, or None (中新苏滁高新技术产业开发区, 鹿城区)."""
    if len(entries) != 1 or entries[0].level != "district" or DEVZONE.search(form) is None:
        return None
    city = index.by_code.get(entries[0].code[:4])
    for length in range(len(form) - 3, 1, -1):
        if city in index.lookup(form[:length]):
            return form[:length], [city]
    return None


def _restore(dropped: list[Span], spans: list[Span], parsed: Parsed) -> None:
    """Put back levels of an earlier chain that the later one leaves out: the units containing its deepest
    unit, and a city or county inside it (杭州江干区杭州市石桥路 keeps 江干区)."""
    deepest = spans[-1][2]
    for level, form, entries in dropped:
        kept = [
            e
            for e in entries
            if any(contains(e, d) or (level in ("city", "district") and contains(d, e)) for d in deepest)
        ]
        if kept and level not in parsed.elements:
            parsed.elements[level] = form
            spans.append((level, form, kept))
    spans.sort(key=lambda span: RANK[span[0]])


def _chain_ahead(text: str, pos: int, index: AdminIndex, spans: list[Span]) -> int | None:
    """Where a new admin chain starts after `pos`: right after 中国 (山东省临沂市…中国浙江省杭州市…), or at a
    province or city written in full and followed by a lower level, when no county has been read yet and
    only words without digits come before it (邮寄地址浙江省杭州市…, 狮山镇广东省佛山南海…)."""
    if text.startswith("中国", pos) and starts_admin(text[pos + 2 :], index):
        return pos + 2
    if any(level == "district" for level, _, _ in spans):
        return _zone_ahead(text, pos, index, spans)
    if not spans and (county := _county_after_town(text, pos, index)) is not None:
        return county
    by_short = None
    for start in range(pos + 1, min(len(text), pos + _AHEAD)):
        if text[start - 1].isdigit():
            return by_short if by_short is not None else _zone_ahead(text, start, index, spans)
        longest = min(index.longest_from.get(text[start : start + 2], 0), len(text) - start)
        for length in range(longest, 1, -1):
            form = text[start : start + length]
            short = form in index.aliases
            if not short and (length == 2 or form[-1] not in "省市区州"):
                continue
            entries = [e for e in index.lookup(form) if RANK[e.level] <= RANK["city"]]
            if short:  # a short city name followed by one of its units (…六虹桥路温州鹿城…)
                entries = [e for e in entries if e.level == "city"]
            rest = text[start + length :]
            if entries and (
                (not short and (starts_admin(rest, index) or _inside_all(entries, spans)))
                or starts_child(rest, index, entries)
                or (short and _CITY_ZONE.match(rest) is not None)
            ):
                if not short:
                    return start
                by_short = start if by_short is None else by_short
    return by_short


def _inside_all(entries: list[AdminEntry], spans: list[Span]) -> bool:
    """True when a unit lies inside every unit read so far, and something was read (浙江省…杭州市)."""
    return bool(spans) and all(any(contains(a, e) for a in read for e in entries) for _, _, read in spans)


def _county_after_town(text: str, pos: int, index: AdminIndex) -> int | None:
    """Where a county written in full starts right after a leading town or village name, when a unit of
    its own follows (红鲍村绍兴县孙端镇: the address starts at 绍兴县), or None."""
    for start in range(pos + 2, min(len(text), pos + 9)):
        if not _TOWN_BEFORE.fullmatch(text, pos, start):
            continue
        county = match_at(text, start, index, RANK["city"], [], 0)
        if county is None or county[0] in index.aliases or county[0][-1] not in "区县市旗":
            continue
        form, counties = county
        if counties[0].level == "district" and starts_child(text[start + len(form) :], index, counties):
            return start
    return None


def _zone_ahead(text: str, pos: int, index: AdminIndex, spans: list[Span]) -> int | None:
    """Where a zone named after its city starts past words or numbers (科贸中心东1009-1010宁波高新区,
    北仑区九龙山1号宁波保税区): the short city name, when that city contains every unit read so far."""
    for zone in _CITY_ZONE.finditer(text, pos, pos + _AHEAD):
        for start in range(max(pos, zone.start() - 4), zone.start() - 1):  # 乌鲁木齐, 张家口, 宁波
            form = text[start : zone.start()]
            cities = [e for e in index.lookup(form) if e.level == "city"] if form in index.aliases else []
            if cities and all(any(contains(c, e) for c in cities for e in m) for _, _, m in spans):
                return start
    return None


def _stray_province(
    text: str, pos: int, index: AdminIndex, entries: list[AdminEntry], spans: list[Span]
) -> bool:
    """True when the province of a chain read down to a county is written again and followed by no city or
    county (浙江省温州市瑞安市浙江省新塍镇): the chain read is the address, the town belongs to it."""
    read = {e.code for level, _, matched in spans if level == "province" for e in matched}
    if not any(e.code in read for e in entries) or not any(level == "district" for level, _, _ in spans):
        return False
    below = match_at(text, pos, index, RANK["province"], entries, 0)
    return below is None or RANK[below[1][0].level] >= RANK["town"]


def _above(form: str, entries: list[AdminEntry], after: str, spans: list[Span], index: AdminIndex) -> bool:
    """True when `form`, a province or city written in full (not 市场), contains every unit read so far."""
    return (
        form not in index.aliases
        and not after.startswith(NOT_CITY)
        and all(any(contains(a, e) for a in entries for e in matched) for _, _, matched in spans)
    )


def _with_above(spans: list[Span], form: str, entries: list[AdminEntry]) -> list[Span]:
    """The spans read so far, narrowed to the units inside `entries`, with the higher level put first."""
    narrowed = [
        (level, text, [e for e in matched if any(contains(a, e) for a in entries)])
        for level, text, matched in spans
    ]
    return sorted([*narrowed, (entries[0].level, form, entries)], key=lambda span: RANK[span[0]])


def _guess_lower_level(rest: str, last_rank: int) -> tuple[str, str] | None:
    """A town or community missing from the tables (renamed since), recognised by its suffix."""
    if last_rank in (RANK["city"], RANK["district"]):
        match = _TOWN_GUESS.match(rest)
        if match and not NOT_AFTER_ALIAS.match(rest[len(match[1]) :]):
            return "town", match[1]
    if last_rank == RANK["town"]:
        match = _COMMUNITY_GUESS.match(rest)
        if match:
            return "community", match[1]
    return None


def _resolve(spans: list[tuple[str, str, list[AdminEntry]]], parsed: Parsed) -> None:
    if not spans:
        return
    deepest = spans[-1][2]
    if len(deepest) > 1:
        parsed.admin_candidates = list(deepest)
    for level, _, entries in spans:
        consistent = [e for e in entries if any(d.code.startswith(e.code) for d in deepest)]
        if len(consistent) == 1:
            parsed.admin[level] = consistent[0]
