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

ELEMENTS = ("province", "city", "district", "town", "community", "road", "house_number", "sub_number",
            "sub_road", "sub_road_number", "estate", "poi", "sub_poi", "building", "unit", "floor",
            "room", "intersection", "other")
_RANK = {level: i for i, level in enumerate(LEVELS)}
# A short admin name (杭州, 海宁) is not a place name when a road or feature word follows it (海宁路).
_NOT_AFTER_ALIAS = re.compile(
    r"^[东南西北中]?[\d一二三四五六七八九十]*(?:大道|大街|大?路|街|道|巷|弄|里|桥|湾|港|口|山|湖|江|河|园|苑|"
    r"广场|花园|小区|大厦|公园|中学|小学|大学|学院|医院|宾馆|酒店|饭店|银行|商场|超市|站|机场|码头|新村|村|城)"
)
_LEVEL_ENDINGS = set("省市区县旗州盟镇乡道村区会")
_ROAD_WORD = r"(?:大道|大街|路|街|巷|胡同|弄堂)"
_ROAD = re.compile(rf"^([^\d#\-]{{1,14}}?{_ROAD_WORD})(?![道区心])")
_INTERSECTION = re.compile(
    rf"^(?P<a>[^\d与和跟同]{{2,14}}?{_ROAD_WORD})(?:与|和|跟|同|&|-)(?P<b>[^\d与和跟同]{{2,14}}?{_ROAD_WORD})"
    r"(?:的)?(?:交叉口|交叉路口|交汇处|交界处|十字路口|交口|路口|口)?$")
_HOUSE_NUMBER = re.compile(r"^(\d+)(?:-(\d+))?(号|弄)(?![楼院])")
_BUILDING = re.compile(r"^((?:\d+|[A-Z])(?:-\d+)?(?:号楼|栋|幢|座|#楼|#|号(?=\d)|楼(?=\d+单元))|[A-Z]区?\d*座|[A-Z]栋)")
_BARE_BUILDING = re.compile(r"^(\d+号)(?![楼院])")
_UNIT = re.compile(r"^(\d+单元)")
_FLOOR = re.compile(r"^((?:-|B|负)?\d+(?:层|楼|F))")
_ROOM = re.compile(r"^(\d+(?:-\d+)?(?:室|房|户|号房|号)?)$|^(\d+(?:室|房|户))")
_CHUNK = re.compile(r"^([^\d#\-]+?)(?=\d|#|-|[A-Z]+\d*(?:座|栋|幢)|$)|^([^\d#\-]+)")
_ESTATE = re.compile(r"(?:小区|花园|公寓|新村|家园|花苑|山庄|苑|庭|府|城|园|大厦|大楼|院|里|公馆|阁|居|名都|"
                     r"村|社区|宿舍|公寓楼)$")
_TOWN_GUESS = re.compile(r"^([^\d路街巷]{2,6}?(?:街道|镇|乡))")
_COMMUNITY_GUESS = re.compile(r"^([^\d路街巷]{2,8}?(?:社区|村))(?![委里])")


class NameSet:
    """Known names of one kind (roads, POIs) for longest-prefix lookup."""

    def __init__(self, names: set[str] | None = None) -> None:
        self.names: set[str] = set(names or ())
        self.longest = max((len(n) for n in self.names), default=0)

    def add(self, name: str) -> None:
        self.names.add(name)
        self.longest = max(self.longest, len(name))

    def prefix(self, text: str, pos: int) -> str | None:
        for length in range(min(self.longest, len(text) - pos), 1, -1):
            candidate = text[pos:pos + length]
            if candidate in self.names:
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


def _admin_prefix(text: str, index: AdminIndex, known: tuple[NameSet, NameSet], parsed: Parsed) -> int:
    """Match admin names from the start; return where the rest of the address begins."""
    pos, last_rank, active = 0, -1, list[AdminEntry]()
    spans: list[tuple[str, str, list[AdminEntry]]] = []
    while pos < len(text):
        found = None
        # a known road or POI named after an admin area (景田社区党群服务中心) is the road or POI
        longest_known = max((len(n) for names in known if (n := names.prefix(text, pos))), default=0)
        for length in range(min(index.longest, len(text) - pos), 1, -1):
            form = text[pos:pos + length]
            entries = [e for e in index.lookup(form) if _RANK[e.level] > last_rank
                       and (not active or any(e.code.startswith(a.code) for a in active))]
            if not entries or length < longest_known:
                continue
            if ((form in index.aliases or form[-1] not in _LEVEL_ENDINGS)
                    and _NOT_AFTER_ALIAS.match(text[pos + length:])):
                continue
            top = min(_RANK[e.level] for e in entries)
            found = (form, [e for e in entries if _RANK[e.level] == top])
            break
        if found is None:
            guess = _guess_lower_level(text[pos:], last_rank)
            if guess is None:
                break
            level, form = guess
            parsed.elements[level] = form
            last_rank, pos = _RANK[level], pos + len(form)
            continue
        form, entries = found
        level = entries[0].level
        spans.append((level, form, entries))
        parsed.elements[level] = form
        last_rank, active, pos = _RANK[level], entries, pos + len(form)
    _resolve(spans, parsed)
    return pos


def _guess_lower_level(rest: str, last_rank: int) -> tuple[str, str] | None:
    """A town or community missing from the tables (renamed since), recognised by its suffix."""
    if last_rank == _RANK["district"]:
        match = _TOWN_GUESS.match(rest)
        if match and not _NOT_AFTER_ALIAS.match(rest[len(match[1]):]):
            return "town", match[1]
    if last_rank == _RANK["town"]:
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


def _detail(text: str, pos: int, roads: NameSet, pois: NameSet, parsed: Parsed) -> None:
    elements = parsed.elements
    crossing = _INTERSECTION.match(text[pos:])
    if crossing:
        parsed.intersection = (crossing["a"], crossing["b"])
        elements["intersection"] = crossing[0]
        return
    while pos < len(text):
        rest = text[pos:]
        known_road = roads.prefix(text, pos)
        known_poi = pois.prefix(text, pos)
        if known_poi and (not known_road or len(known_poi) > len(known_road)):
            pos += _put(elements, ("poi", "sub_poi"), known_poi)
            continue
        road = known_road or (m[1] if (m := _ROAD.match(rest)) and "poi" not in elements
                              and "estate" not in elements else None)
        if road:
            pos += _put(elements, ("road", "sub_road"), road)
            continue
        number = _HOUSE_NUMBER.match(rest)
        if number and ("road" in elements or "sub_road" in elements) and "building" not in elements:
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


def _tail(rest: str, elements: dict[str, str]) -> int:
    if ("estate" in elements or "poi" in elements) and "building" not in elements:
        bare = _BARE_BUILDING.match(rest)
        if bare:
            return _put(elements, ("building",), bare[1])
    room = _ROOM.match(rest)
    if room and "room" not in elements and (elements.keys() & {"building", "unit", "floor", "estate", "poi"}):
        return _put(elements, ("room",), room[1] or room[2])
    chunk = _CHUNK.match(rest)
    if chunk:
        name = chunk[1] or chunk[2]
        if "estate" not in elements and "poi" not in elements and _ESTATE.search(name):
            return _put(elements, ("estate",), name)
        return _put(elements, ("poi", "sub_poi", "other"), name)
    token = re.match(r"^[\d#\-A-Z]+[^\d#\-A-Z]?", rest)
    return _put(elements, ("other",), token[0] if token else rest[0])


def _put(elements: dict[str, str], slots: tuple[str, ...], value: str) -> int:
    for slot in slots:
        if slot not in elements:
            elements[slot] = value
            return len(value)
    elements[slots[-1]] += value
    return len(value)


def parse(text: str, index: AdminIndex, roads: NameSet | None = None, pois: NameSet | None = None,
          *, infer: bool = False) -> Parsed:
    """Parse a normalised address (see normalize.normalize)."""
    parsed = Parsed(text)
    roads, pois = roads or NameSet(), pois or NameSet()
    pos = _admin_prefix(text, index, (roads, pois), parsed)
    _detail(text, pos, roads, pois, parsed)
    if infer and (deepest := parsed.deepest_admin()) is not None:
        inferred = []
        for entry in index.chain(deepest.code):
            if entry.level not in parsed.admin:
                parsed.admin[entry.level] = entry
                inferred.append(entry.level)
        parsed.inferred = tuple(inferred)
    return parsed
