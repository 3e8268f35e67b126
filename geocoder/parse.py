"""Parse a normalised address into the GB/T 30428.3 / GA/T 2000.32 address elements.

Left to right: the administrative prefix is matched against the gazetteer's admin names (each level
below the previous one, codes consistent with it); the rest is read as road (known road names
first), house number and sub-number, estate or POI (known POI names first), building, unit,
floor and room, or as an intersection "A路与B路交叉口". Nothing is invented: a level the text does
not name is absent unless `infer=True`, and then it is listed in `inferred`.
"""

import re
from dataclasses import dataclass, field

from geocoder.admin import LEVELS, AdminEntry, AdminIndex
from geocoder.admin_match import DEVZONE
from geocoder.normalize import SIDE, digits_spelling
from geocoder.parse_admin import admin_prefix

ELEMENTS = (
    "province",
    "city",
    "district",
    "town",
    "community",
    "road",
    "house_number",
    "sub_number",
    "sub_road",
    "sub_road_number",
    "estate",
    "poi",
    "sub_poi",
    "building",
    "unit",
    "floor",
    "room",
    "intersection",
    "devzone",
    "other",
)
_ROAD_WORD = r"(?:大道|大街|路|街|巷|胡同|弄堂)"
_ROAD = re.compile(rf"^([^\d#\-]{{1,14}}?{_ROAD_WORD})(?![道区心])")
_CROSSING_NOUN = r"(?:交叉口|交叉路口|交汇处|交界处|十字路口|路口)"  # a crossing that text may follow
_CROSSING_WORD = rf"(?:{_CROSSING_NOUN}|交口|口)"
# a character of a crossing road's name: 与/和/跟/同 join two roads only right after a road word, and
# start or run through a name elsewhere (和平路, 同安路, 长江路与同集路); a number with 号 inside a name
# (立交3号通道, 科技园3号路), not right after a road word (中山路5号: a door plate)
_CROSSING_NAME = r"(?:[^\d与和跟同]|(?<![路街巷道线])[与和跟同]|(?<=[^\W\d路街巷道线])\d{1,4}号(?=[^\W\d]))"
# a numbered highway: 324国道, G324, S201, 448县道
_HIGHWAY = r"(?:[GSXYZ]\d{1,4}|\d{1,4}(?:国道|省道|县道|乡道))"
_FIRST_ROAD_NAME = rf"{_CROSSING_NAME}{{1,14}}?(?:{_ROAD_WORD}|道|线)|{_HIGHWAY}"
_SECOND_ROAD_NAME = rf"{_CROSSING_NAME}{{1,14}}?(?:{_ROAD_WORD}|道|线|高速|高速公路)|{_HIGHWAY}"
_JOINER = r"(?:与|和|跟|同|&|-)"
_CROSSING_ROADS = rf"^(?P<a>{_FIRST_ROAD_NAME}){_JOINER}(?P<b>{_SECOND_ROAD_NAME})"
# a crossing that a place or a side of it follows: 嘉禾路与吕岭路交叉口西南角加油站
_CROSSING_THEN = re.compile(rf"{_CROSSING_ROADS}(?:的)?{_CROSSING_NOUN}(?:{SIDE})?")
_INTERSECTION = re.compile(
    rf"{_CROSSING_ROADS}(?:的)?{_CROSSING_WORD}?$"
    # two roads run together before a crossing word: 湖滨南路斗西路口, 湖滨南路斗西路交叉口
    rf"|^(?P<c>{_CROSSING_NAME}{{1,14}}?{_ROAD_WORD})(?!三[叉岔]路口|丁字路口)"  # a junction word, no road
    rf"(?P<d>{_CROSSING_NAME}{{1,14}}?{_ROAD_WORD}){_CROSSING_WORD}$"
)
# the pieces of a crossing one of whose roads is known (see _known_crossing)
_CROSSING_END = rf"(?:的)?(?:{_CROSSING_WORD}?$|{_CROSSING_NOUN}(?:{SIDE})?)"
_AFTER_CROSSING = re.compile(_CROSSING_END)
_AFTER_RUN_TOGETHER = re.compile(rf"(?:的)?(?:{_CROSSING_WORD}$|{_CROSSING_NOUN}(?:{SIDE})?)")
_FIRST_ROAD = re.compile(rf"(?:{_FIRST_ROAD_NAME})(?={_JOINER})")
_JOINED = re.compile(_JOINER)
_SECOND_ROAD = re.compile(rf"(?:{_SECOND_ROAD_NAME})(?={_CROSSING_END})")
_HOUSE_NUMBER = re.compile(r"^(\d+)(?:-(\d+))?(号|弄)(?![楼院])")
COMPOUND = re.compile(r"^(\d+)号院")  # a compound (院) named by its door plate
_DOOR_NUMBER = re.compile(r"(\d+)(?:-(\d+))?")
_BUILDING = re.compile(
    r"^((?:\d+|[A-Z])(?:-\d+)?(?:号楼|栋|幢|座|#楼|#|号(?=\d)|楼(?=\d+单元))|[A-Z]区?\d*座|[A-Z]栋)"
)
_BARE_NUMBER = re.compile(r"^(\d+)()(?=$|[^\d\-#A-Z号楼层室栋幢座单元弄巷区组社期排户])")
_BARE_BUILDING = re.compile(r"^(\d+号)(?![楼院])")
_UNIT = re.compile(r"^(\d+单元)")
_FLOOR = re.compile(r"^((?:-|B|负)?\d+(?:层|楼|F))")
_ROOM = re.compile(r"^(\d+(?:-\d+)?(?:室|房|户|号房|号)?)$|^(\d+(?:室|房|户))")
_CHUNK = re.compile(r"^([^\d#\-]+?)(?=\d|#|-|[A-Z]+\d*(?:座|栋|幢)|$)|^([^\d#\-]+)")
# a number followed by a word that is no address unit, then the rest of a name
_NUMBERED_NAME = re.compile(
    r"^(\d+(?![号楼层室栋幢座单元弄巷区组社期排户米之附])[\u4e00-\u9fff][^\d#\-]*?)"
    r"(?=\d|#|-|[A-Z]+\d*(?:座|栋|幢)|$)"
)
_ESTATE = re.compile(
    r"(?:小区|花园|公寓|新村|家园|花苑|山庄|苑|庭|府|城|园|大厦|大楼|院|里|公馆|阁|居|名都|"
    r"村|社区|宿舍|公寓楼)$"
)


class NameSet:
    """Known names of one kind (roads, POIs) for longest-prefix lookup. A name written with a Chinese
    numeral (四号路, kept so by normalize.protect) is known by its spelling in digits too (4号路)."""

    def __init__(self, names: set[str] | None = None) -> None:
        self.names: set[str] = set()
        self.spellings: dict[str, str] = {}  # 4号路 → 四号路
        self.longest_from: dict[str, int] = {}  # first two characters → longest name or spelling
        self._sorted: tuple[str, ...] | None = None
        for name in names or ():
            self.add(name)

    def add(self, name: str) -> None:
        self.names.add(name)
        spelling = digits_spelling(name)
        for form in {name, spelling}:
            self.longest_from[form[:2]] = max(self.longest_from.get(form[:2], 0), len(form))
        if spelling != name:
            self.spellings.setdefault(spelling, name)
        self._sorted = None

    def __contains__(self, written: str) -> bool:
        return written in self.names or written in self.spellings

    def name_of(self, written: str) -> str:
        """The known name that `written` is (四号路 for 4号路), else `written` itself."""
        return written if written in self.names else self.spellings.get(written, written)

    @property
    def in_order(self) -> tuple[str, ...]:
        """The names in a fixed order, for fuzzy look-ups: equal scores rank the same in every process
        (a set's order moves with Python's per-process string hashing)."""
        if self._sorted is None:
            self._sorted = tuple(sorted(self.names))
        return self._sorted

    def prefix(self, text: str, pos: int) -> str | None:
        """The longest known name or spelling written at `pos`, as written (see name_of)."""
        for length in range(min(self.longest_from.get(text[pos : pos + 2], 0), len(text) - pos), 1, -1):
            candidate = text[pos : pos + length]
            if candidate in self:
                return candidate
        return None


@dataclass
class Parsed:
    """The elements found, the admin entries they resolve to, and how sure the admin part is."""

    text: str
    elements: dict[str, str] = field(default_factory=dict)
    admin: dict[str, AdminEntry] = field(default_factory=dict)  # level → the unique resolved entry
    admin_candidates: list[AdminEntry] = field(default_factory=list)  # deepest level, when ambiguous
    inferred: tuple[str, ...] = ()
    intersection: tuple[str, str] | None = None

    def deepest_admin(self) -> AdminEntry | None:
        for level in reversed(LEVELS):
            if level in self.admin:
                return self.admin[level]
        return None


_ROAD_END = re.compile(rf"{_ROAD_WORD}(?:辅路)?(?![道区心口])")
_NUMBERED_ROAD = re.compile(r"^([^\d#\-区村镇]{0,8}?\d+号?(?:大道|大街|路|街|国道|省道|县道))(?![楼院])")
# words that end what comes before a road in the same run of text (龙山工业区|龙镇大道, 火车东站|东宁路,
# 湖里街道|华荣路, 运营中心|下堡路)
_BREAKER = re.compile(
    r"(?:开发区|工业区|工业园区?|科技园|物流园|园区|高新区|新区|车站|东站|西站|南站|北站|街道|中心|大厦|广场|"
    r"市场|公司|医院|学校|酒店|宾馆|[区村镇乡组楼栋幢座])"
)
_ROAD_WORD_AT = re.compile(_ROAD_WORD)
_INSIDE = re.compile(r"^(?:[\d\-#A-Z]|单元|层|楼|室|房|户|栋|幢|座)")
_GROUP = re.compile(r"^((?:\d+|[^\d\W]{1,4}?)(?:村民小组|村民组|小组|组)|\d+社)(?![团件合])")


def door_number(house_number: str) -> tuple[int, str] | None:
    """The door number and sub-number a house number starts with (628-616号 → 628, '616'; 12 → 12, '')."""
    match = _DOOR_NUMBER.match(house_number)
    return (int(match[1]), match[2] or "") if match else None


def plate_address(road: str, number: int, sub: str | None) -> str:
    """A door plate written as an address: 侨香路12号, 侨香路12-3号 (with its sub-number)."""
    return f"{road}{number}{'-' + sub if sub else ''}号"


def _road_at(rest: str) -> tuple[str, str] | None:
    """(text before the road, road) when the rest starts with, or soon reaches, a road (街路巷)."""
    numbered = _NUMBERED_ROAD.match(rest)
    if numbered:
        return "", numbered[1]
    segment = re.match(r"[^\d#\-]*", rest)[0]  # type: ignore[index]
    ends = [m.end() for m in _ROAD_END.finditer(segment)]
    if not ends:
        return None
    at_number = len(segment) < len(rest) or not segment[ends[-1] :]
    end = ends[-1] if at_number and ends[-1] == len(segment) else ends[0]
    # the last breaker that is no bare level character (镇 of 镇宁西路), leaves a road name of three
    # characters at least (not 龙山工业区龙镇|大道) and is no part of the road's own name (中心街, 南市场路)
    breaks = [m.end() for m in _BREAKER.finditer(segment[: end - 1])
              if (m.start() > 0 or len(m[0]) > 1) and end - m.end() >= 3
              and not _ROAD_WORD_AT.match(segment, m.end())]
    start = breaks[-1] if breaks else 0
    if end < 2:
        return None
    return segment[:start], segment[start:end]


def _plated_road(rest: str) -> tuple[str, str] | None:
    """A road right after a place, with its door plate: the place lies on it (软件园二期|观日路24号)."""
    road = _ROAD.match(rest)
    return ("", road[1]) if road and _HOUSE_NUMBER.match(rest[road.end() :]) else None


def _known_tail(prefix: str, road: str, roads: NameSet) -> tuple[str, str]:
    """An unknown road name ending with a known one is a place, then that road (五通泗水大道: 泗水大道)."""
    if road in roads:
        return prefix, road
    for start in range(1, len(road) - 2):
        if road[start:] in roads:
            return prefix + road[:start], road[start:]
    return prefix, road


def _put_prefix(elements: dict[str, str], prefix: str) -> None:
    """What a road follows without a separator: villages, towns, development zones or landmarks, each
    ending at a breaker (经济技术开发区|下沙街道|幸福南路)."""
    start = 0
    for match in _BREAKER.finditer(prefix):  # pieces of two characters at least
        if match.end() - start >= 2 and len(prefix) - match.end() >= 2:
            _put_place(elements, prefix[start : match.end()])
            start = match.end()
    _put_place(elements, prefix[start:])


def _put_place(elements: dict[str, str], prefix: str) -> None:
    if prefix.endswith(("村", "社区")) and "community" not in elements:
        elements["community"] = prefix
    elif prefix.endswith(("镇", "乡", "街道")) and "town" not in elements:
        elements["town"] = prefix
    elif DEVZONE.search(prefix) and "devzone" not in elements:
        elements["devzone"] = prefix
    else:
        _put(elements, ("poi", "sub_poi", "other"), prefix)


def _detail(text: str, pos: int, roads: NameSet, pois: NameSet, parsed: Parsed) -> None:
    elements = parsed.elements
    crossing = _crossing(text[pos:], roads)
    if crossing:
        a, b, length = crossing
        parsed.intersection = (roads.name_of(a), roads.name_of(b))
        elements["intersection"] = text[pos : pos + length]
        pos += length
    while pos < len(text):
        rest = text[pos:]
        known_road = roads.prefix(text, pos)
        known_poi = pois.prefix(text, pos)
        if known_poi and (not known_road or len(known_poi) > len(known_road)):
            _put(elements, ("poi", "sub_poi"), pois.name_of(known_poi))
            pos += len(known_poi)
            continue
        if known_road:
            _put(elements, ("road", "sub_road"), roads.name_of(known_road))
            pos += len(known_road)
            continue
        group = _GROUP.match(rest) if _in_village(elements) else None
        if group:  # 村民小组 are the streets of a village: 新港村8组62号
            last = list(elements)[-1]
            if last != "community" and "community" not in elements:  # a village (…村) with groups
                elements["community"] = elements.pop(last)
            pos += _put(elements, ("road",), group[1])
            continue
        found = (
            _road_at(rest)
            if not elements.keys() & {"poi", "estate", "road"}
            else _plated_road(rest) if "road" not in elements else None
        )
        if found:
            prefix, road = _known_tail(*found, roads)
            if prefix:
                _put_prefix(elements, prefix)
            _put(elements, ("road", "sub_road"), roads.name_of(road))
            pos += len(prefix) + len(road)
            continue
        compound = COMPOUND.match(rest) if not elements.keys() & {"estate", "house_number"} else None
        if compound:  # 北土城东路4号院8号楼: the compound behind door plate 4, its buildings after it
            pos += _put(elements, ("estate",), compound[0])
            continue
        sub_road = _ROAD.match(rest) if "house_number" in elements and "sub_road" not in elements else None
        if sub_road:
            pos += _put(elements, ("sub_road",), sub_road[1])
            continue
        # a number without 号 is a door plate only right after its road (东渡路华联写字楼2491: a room)
        bare = (
            _BARE_NUMBER.match(rest)
            if "house_number" not in elements and not _after_place(elements)
            else None
        )
        number = _HOUSE_NUMBER.match(rest) or bare
        # a door plate hangs on a road (街路巷) or, in villages, on the village or town (下沈村107号)
        placed = (
            elements.keys() & {"road", "sub_road"}
            or (elements.keys() & {"community", "town"} and not elements.keys() & {"estate", "poi"})
            or (
                number is not None
                and number[0].endswith("号")
                and not number[2]
                and _plate_of_place(elements, rest[len(number[0]) :])
            )
        )
        if number and placed and "building" not in elements:
            slot = "house_number" if "house_number" not in elements else "sub_road_number"
            if slot == "house_number" and number[2]:
                elements["sub_number"] = number[2]
            pos += _put(elements, (slot,), number[0])
            continue
        for name, pattern in (("building", _BUILDING), ("unit", _UNIT), ("floor", _FLOOR)):
            match = pattern.match(rest)
            if match and name not in elements:
                pos += _put(elements, (name,), match[1])
                break
        else:
            pos += _tail(rest, elements)
            continue
    if parsed.intersection and "road" not in elements:  # the crossing's two roads, unless a road follows
        order = list(elements.items())
        at = list(elements).index("intersection") + 1
        elements.clear()
        elements.update(order[:at], road=parsed.intersection[0], sub_road=parsed.intersection[1])
        elements.update(order[at:])


def _crossing(text: str, roads: NameSet) -> tuple[str, str, int] | None:
    """The two roads of a crossing that begins the text, as written, and the crossing's length: known
    roads first, then the road patterns."""
    known = _known_crossing(text, roads)
    if known:
        return known
    crossing = _INTERSECTION.match(text) or _CROSSING_THEN.match(text)
    if crossing is None:
        return None
    return crossing["a"] or crossing["c"], crossing["b"] or crossing["d"], len(crossing[0])


def _known_crossing(text: str, roads: NameSet) -> tuple[str, str, int] | None:
    """A crossing of a known road, read whole whatever it ends with (四号路与九号路, 福田立交与白石路,
    上沙东村九巷与沙嘴路, 车公庙立交与香蜜湖路辅路), the other road by the pattern; run together, both
    known and a crossing word after them (中山路和平路口: 和平路 when it is known, not 和 + 平路)."""
    first = roads.prefix(text, 0)
    if first is None:
        generic = _FIRST_ROAD.match(text)
        if generic is None:
            return None
        first = generic[0]
    second = roads.prefix(text, len(first))
    if second and (end := _AFTER_RUN_TOGETHER.match(text, len(first) + len(second))):
        return first, second, end.end()
    joiner = _JOINED.match(text, len(first))
    if joiner is None:
        return None
    patterned = _SECOND_ROAD.match(text, joiner.end())
    for second in (roads.prefix(text, joiner.end()), patterned[0] if patterned else None):
        if not second or (first not in roads and second not in roads):
            continue
        if end := _AFTER_CROSSING.match(text, joiner.end() + len(second)):
            return first, second, end.end()
    return None


def _in_village(elements: dict[str, str]) -> bool:
    """True when the text so far ends with a village (社区/村, or a name in 村) and names no road yet."""
    if not elements or elements.keys() & {"road", "house_number"}:
        return False
    last = list(elements)[-1]
    return last == "community" or (last in ("estate", "poi") and elements[last].endswith("村"))


def _plate_of_place(elements: dict[str, str], after: str) -> bool:
    """True when a 号 number right after a named place (毛塘141号, 杨公堤43号, 武林广场7号) is its door
    plate: no road was read, the place is no estate (its numbers are buildings), and no unit, floor or
    room follows."""
    if not elements or list(elements)[-1] != "poi" or elements.keys() & {"estate", "road", "house_number"}:
        return False
    return not _INSIDE.match(after)


def _after_place(elements: dict[str, str]) -> bool:
    """True when an estate or POI was read after the road (the elements keep the order they were read)."""
    order = list(elements)
    roads = [i for i, key in enumerate(order) if key in ("road", "sub_road")]
    places = [i for i, key in enumerate(order) if key in ("poi", "estate", "sub_poi")]
    return bool(roads and places and places[-1] > roads[-1])


_BUILDING_UNIT_ROOM = re.compile(r"^(\d+)-(\d+)-(\d+)(室?)$")


def _tail(rest: str, elements: dict[str, str]) -> int:
    if ("estate" in elements or "poi" in elements) and "building" not in elements:
        bare = _BARE_BUILDING.match(rest)
        if bare:
            return _put(elements, ("building",), bare[1])
    triple = _BUILDING_UNIT_ROOM.match(rest)
    if triple and not elements.keys() & {"building", "unit", "room"}:  # 8-10-1109: 幢-单元-室
        elements.update(building=triple[1], unit=triple[2], room=triple[3] + triple[4])
        return len(rest)
    room = _ROOM.match(rest)
    if room and "room" not in elements and (elements.keys() & {"building", "unit", "floor", "estate", "poi"}):
        return _put(elements, ("room",), room[1] or room[2])
    chunk = _CHUNK.match(rest)
    if chunk:
        name = chunk[1] or chunk[2]
        if "estate" not in elements and "poi" not in elements and _ESTATE.search(name):
            return _put(elements, ("estate",), name)
        return _put(elements, ("poi", "sub_poi", "other"), name)
    named = _NUMBERED_NAME.match(rest)
    if named:  # 7天连锁酒店, 886精品酒店, 24小时便利店: the number begins a name
        return _put(elements, ("poi", "sub_poi", "other"), named[1])
    token = re.match(r"^[\d#\-A-Z]+[^\d#\-A-Z]?", rest)
    return _put(elements, ("other",), token[0] if token else rest[0])


def _put(elements: dict[str, str], slots: tuple[str, ...], value: str) -> int:
    for slot in slots:
        if slot not in elements:
            elements[slot] = value
            return len(value)
    elements[slots[-1]] += value
    return len(value)


def parse(
    text: str,
    index: AdminIndex,
    roads: NameSet | None = None,
    pois: NameSet | None = None,
    *,
    infer: bool = False,
    home: tuple[str, ...] = (),
) -> Parsed:
    """Parse a normalised address (see normalize.normalize). `home`, the code prefixes of the cities a
    service holds, makes a short county or town name of elsewhere at the start a name, not a place
    (莲花新城 in Xiamen is no 莲花县)."""
    parsed = Parsed(text)
    roads, pois = roads or NameSet(), pois or NameSet()
    pos = admin_prefix(text, index, (roads, pois), parsed, home)
    _detail(text, pos, roads, pois, parsed)
    if infer and (deepest := parsed.deepest_admin()) is not None:
        inferred = []
        for entry in index.chain(deepest.code):
            if entry.level not in parsed.admin:
                parsed.admin[entry.level] = entry
                inferred.append(entry.level)
        parsed.inferred = tuple(inferred)
    return parsed
