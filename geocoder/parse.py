"""Parse a normalised address into the GB/T 30428.3 / GA/T 2000.32 address elements.

Left to right: the administrative prefix is matched against the gazetteer's admin names (each level
below the previous one, codes consistent with it); the rest is read as road (known road names
first), house number and sub-number, estate or POI (known POI names first), building, unit,
floor and room, or as an intersection "A路与B路交叉口". Nothing is invented: a level the text does
not name is absent unless `infer=True`, and then it is listed in `inferred`.
"""

import re
from dataclasses import dataclass, field

from geocoder.admin import LEVEL_OF_LENGTH, LEVELS, AdminEntry, AdminIndex

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
_RANK = {level: i for i, level in enumerate(LEVELS)}
# A short admin name (杭州, 海宁) is not a place name when a road or feature word follows it (海宁路).
_NOT_AFTER_ALIAS = re.compile(
    r"^[东南西北中]?[\d一二三四五六七八九十]*(?:大道|大街|大?路|街|道|巷|弄|里|桥|湾|港|口|山|湖|江|河|园|苑|"
    r"广场|花园|小区|大厦|公园|中学|小学|大学|学院|医院|宾馆|酒店|饭店|银行|商场|超市|站|机场|码头|新村|村|城|"
    r"镇|乡|区|县|市|州)"
    r"|^[^\d\W](?:大道|大街|路|街|巷)"  # 余杭塘路: one more character makes the short name a road name
)
Span = tuple[str, str, list[AdminEntry]]  # level, the text, the entries it may be
_PLACEHOLDERS = ("市辖区", "市辖县")  # rows of the statistical tables that are no place
_AHEAD = 24  # how far past a failed admin prefix a new chain is looked for
_ORGANISATION = re.compile(
    r"^[^\d\-#A-Z省市区县镇乡村路街道巷弄号]{1,10}?(?:大学|学院|中学|小学|医院|研究院|研究所)"
    r"(?![路街道巷])"
)
_ROAD_AFTER_FEATURE = re.compile(r"^([东南西北中]{0,2})(?:大道|大街|路|街|巷)")
_ROAD_WORDS = {"大道", "大街", "大路"}
_LEVEL_ENDINGS = set("省市区县旗州盟镇乡道村区会")
_ROAD_WORD = r"(?:大道|大街|路|街|巷|胡同|弄堂)"
_ROAD = re.compile(rf"^([^\d#\-]{{1,14}}?{_ROAD_WORD})(?![道区心])")
_INTERSECTION = re.compile(
    rf"^(?P<a>[^\d与和跟同]{{1,14}}?(?:{_ROAD_WORD}|道|线))(?:与|和|跟|同|&|-)"
    rf"(?P<b>[^\d与和跟同]{{1,14}}?(?:{_ROAD_WORD}|道|线|高速|高速公路))"
    r"(?:的)?(?:交叉口|交叉路口|交汇处|交界处|十字路口|交口|路口|口)?$"
)
_HOUSE_NUMBER = re.compile(r"^(\d+)(?:-(\d+))?(号|弄)(?![楼院])")
_BUILDING = re.compile(
    r"^((?:\d+|[A-Z])(?:-\d+)?(?:号楼|栋|幢|座|#楼|#|号(?=\d)|楼(?=\d+单元))|[A-Z]区?\d*座|[A-Z]栋)"
)
_BARE_NUMBER = re.compile(r"^(\d+)()(?=$|[^\d\-#A-Z号楼层室栋幢座单元弄巷区组社期排户])")
_BARE_BUILDING = re.compile(r"^(\d+号)(?![楼院])")
_UNIT = re.compile(r"^(\d+单元)")
_FLOOR = re.compile(r"^((?:-|B|负)?\d+(?:层|楼|F))")
_ROOM = re.compile(r"^(\d+(?:-\d+)?(?:室|房|户|号房|号)?)$|^(\d+(?:室|房|户))")
_CHUNK = re.compile(r"^([^\d#\-]+?)(?=\d|#|-|[A-Z]+\d*(?:座|栋|幢)|$)|^([^\d#\-]+)")
_ESTATE = re.compile(
    r"(?:小区|花园|公寓|新村|家园|花苑|山庄|苑|庭|府|城|园|大厦|大楼|院|里|公馆|阁|居|名都|"
    r"村|社区|宿舍|公寓楼)$"
)
_TOWN_GUESS = re.compile(r"^([^\d路街巷]{2,6}?(?:街道|镇|乡))")
_COMMUNITY_GUESS = re.compile(r"^([^\d路街巷]{2,8}?(?:社区|村))(?![委里])")


class NameSet:
    """Known names of one kind (roads, POIs) for longest-prefix lookup."""

    def __init__(self, names: set[str] | None = None) -> None:
        self.names: set[str] = set()
        self.longest_from: dict[str, int] = {}  # first two characters → longest name
        for name in names or ():
            self.add(name)

    def add(self, name: str) -> None:
        self.names.add(name)
        self.longest_from[name[:2]] = max(self.longest_from.get(name[:2], 0), len(name))

    def prefix(self, text: str, pos: int) -> str | None:
        for length in range(min(self.longest_from.get(text[pos : pos + 2], 0), len(text) - pos), 1, -1):
            candidate = text[pos : pos + length]
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


def _starts_admin(text: str, index: AdminIndex) -> bool:
    """True when a full admin name (with its level suffix) begins the text (after separators)."""
    text = text.lstrip("-")
    for length in range(min(index.longest_from.get(text[:2], 0), len(text)), 1, -1):
        form = text[:length]
        if form[-1] in _LEVEL_ENDINGS and form in index.names and form not in index.aliases:
            return True
    return False


def _feature_follows(rest: str) -> bool:
    """True when a road or feature word follows a short admin name (海宁路, 浙江大学): the name is part of
    it; not when that word only begins a longer road name (杭州学院路, 温州学院中路: 杭州 + 学院路)."""
    if _ORGANISATION.match(rest):  # 浙江传媒学院, 湖州中心医院: the name of a school or hospital
        return True
    match = _NOT_AFTER_ALIAS.match(rest)
    if match is None:
        return False
    word = re.sub(r"^\d+", "", match[0])
    road = _ROAD_AFTER_FEATURE.match(rest[match.end() :])
    if road is None or word in _ROAD_WORDS:
        return True
    # 学院路, 中山路, 江东大道 are road names of their own; 湾大道 (杭州湾大道) is too short for one
    return len(word) + len(road[1]) < 2


def _starts_child(text: str, index: AdminIndex, parents: list[AdminEntry]) -> bool:
    """True when a unit inside one of `parents` begins the text, even as a short form (杭州江干, 台州路桥)."""
    for length in range(min(index.longest_from.get(text[:2], 0), len(text)), 1, -1):
        for entry in index.lookup(text[:length]):
            if entry.level == "community":  # bare community names (大学, 城南) are too common words
                continue
            if any(entry.code != p.code and entry.code.startswith(index.scope(p)) for p in parents):
                return not _NOT_AFTER_ALIAS.match(text[length:]) or _starts_admin(text[length:], index)
    return False


def _match(
    text: str, pos: int, index: AdminIndex, last_rank: int, active: list[AdminEntry], longest_known: int
) -> tuple[str, list[AdminEntry]] | None:
    """The longest admin form at `pos` below `last_rank` and inside `active`, or None."""
    scopes = tuple(index.scope(a) for a in active)
    for length in range(min(index.longest_from.get(text[pos : pos + 2], 0), len(text) - pos), 1, -1):
        form = text[pos : pos + length]
        entries = [
            e
            for e in index.lookup(form)
            if _RANK[LEVEL_OF_LENGTH[len(e.code)]] > last_rank and (not scopes or e.code.startswith(scopes))
        ]
        if not entries or length < longest_known:
            continue
        top = min(_RANK[e.level] for e in entries)
        rest = text[pos + length :]
        # a short form (杭州, 海宁, 城区) is a place name only where the text goes on like an address
        if form in index.aliases or form[-1] not in _LEVEL_ENDINGS or len(form) <= 2:
            follows = _starts_admin(rest, index) or _starts_child(rest, index, entries)
            unique = top == _RANK["district"] and len({e.code for e in entries if e.level == "district"}) == 1
            if not follows and (
                _feature_follows(rest) or (not active and top >= _RANK["district"] and not unique)
            ):
                continue
        return form, [e for e in entries if _RANK[e.level] == top]
    return None


def _admin_prefix(text: str, index: AdminIndex, known: tuple[NameSet, NameSet], parsed: Parsed) -> int:
    """Match admin names from the start; return where the rest of the address begins.

    A unit written twice (宁波宁波市) or a second, fuller chain after a first one (浙江杭州西湖区浙江省杭州市
    西湖区…, 南泗乡广西来宾市…) restarts the chain: the last one written is the address; levels of the
    first chain that the second leaves out and that contain it are kept (浙江省温州市瑞安市浙江省新塍镇)."""
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
        found = _match(text, pos, index, last_rank, active, longest_known)
        again = _match(text, pos, index, -1, [], longest_known) if found is None and spans else None
        if again is not None:
            form, entries = again
            seen = {e.code for _, _, matched in spans for e in matched}
            repeated = [e for e in entries if e.code in seen and _RANK[e.level] >= last_rank - 1]
            if repeated:  # the same unit written again (宁波宁波市, 江山市江山市): the later spelling
                last_rank = _RANK[repeated[0].level]
                dropped += [s for s in spans if _RANK[s[0]] >= last_rank]
                spans = [*(s for s in spans if _RANK[s[0]] < last_rank), (repeated[0].level, form, repeated)]
                for level in LEVELS[last_rank:]:
                    parsed.elements.pop(level, None)
                parsed.elements[repeated[0].level] = form
                active, pos = repeated, pos + len(form)
                continue
            after = text[pos + len(form) :]
            # a province or city written in full, then a unit inside it (even short: 绍兴浙江省绍兴时代广场)
            fuller = _starts_admin(after, index) or (
                form not in index.aliases and _starts_child(after, index, entries)
            )
            if _RANK[entries[0].level] <= _RANK["city"] and fuller:
                for level in LEVELS:  # a second, fuller chain
                    parsed.elements.pop(level, None)
                dropped += spans
                spans, active, found = [], [], again
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
            last_rank, pos = _RANK[level], pos + len(form)
            continue
        form, entries = found
        level = entries[0].level
        spans.append((level, form, entries))
        # development zones listed as town-level units (萧山经济技术开发区) are written as zones, not towns
        parsed.elements["devzone" if level == "town" and _DEVZONE.search(form) else level] = form
        last_rank, active, pos = _RANK[level], entries, pos + len(form)
    while pos > 0 and pos < len(text) and text[pos] == "-":
        pos += 1
    if spans and dropped:
        _restore(dropped, spans, parsed)
    _resolve(spans, parsed)
    return pos


def _restore(dropped: list[Span], spans: list[Span], parsed: Parsed) -> None:
    """Put back levels of an earlier chain that the later one leaves out: the units containing its deepest
    unit, and a city or county inside it (杭州江干区杭州市石桥路 keeps 江干区)."""
    deepest = spans[-1][2]
    for level, form, entries in dropped:
        kept = [
            e
            for e in entries
            if any(_contains(e, d) or (level in ("city", "district") and _contains(d, e)) for d in deepest)
        ]
        if kept and level not in parsed.elements:
            parsed.elements[level] = form
            spans.append((level, form, kept))
    spans.sort(key=lambda span: _RANK[span[0]])


def _contains(outer: AdminEntry, inner: AdminEntry) -> bool:
    return outer.code != inner.code and inner.code.startswith(outer.code)


def _chain_ahead(text: str, pos: int, index: AdminIndex, spans: list[Span]) -> int | None:
    """Where a new admin chain starts after `pos`: right after 中国 (山东省临沂市…中国浙江省杭州市…), or at a
    province or city written in full and followed by a lower level, when no county has been read yet and
    only words without digits come before it (邮寄地址浙江省杭州市…, 狮山镇广东省佛山南海…)."""
    if text.startswith("中国", pos) and _starts_admin(text[pos + 2 :], index):
        return pos + 2
    if any(_RANK[level] >= _RANK["district"] for level, _, _ in spans):
        return None
    for start in range(pos + 1, min(len(text), pos + _AHEAD)):
        if text[start - 1].isdigit():
            return None
        longest = min(index.longest_from.get(text[start : start + 2], 0), len(text) - start)
        for length in range(longest, 2, -1):
            form = text[start : start + length]
            if form in index.aliases or form[-1] not in "省市区州":
                continue
            entries = [e for e in index.lookup(form) if _RANK[e.level] <= _RANK["city"]]
            rest = text[start + length :]
            if entries and (_starts_admin(rest, index) or _starts_child(rest, index, entries)):
                return start
    return None


def _guess_lower_level(rest: str, last_rank: int) -> tuple[str, str] | None:
    """A town or community missing from the tables (renamed since), recognised by its suffix."""
    if last_rank in (_RANK["city"], _RANK["district"]):
        match = _TOWN_GUESS.match(rest)
        if match and not _NOT_AFTER_ALIAS.match(rest[len(match[1]) :]):
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


_ROAD_END = re.compile(rf"{_ROAD_WORD}(?:辅路)?(?![道区心口])")
_NUMBERED_ROAD = re.compile(r"^([^\d#\-区村镇]{0,8}?\d+号?(?:大道|大街|路|街|国道|省道|县道))(?![楼院])")
# words that end what comes before a road in the same run of text (龙山工业区|龙镇大道, 火车东站|东宁路)
_BREAKER = re.compile(
    r"(?:开发区|工业区|工业园区?|科技园|物流园|园区|高新区|新区|车站|东站|西站|南站|北站|[区村镇乡组楼栋幢座])"
)
_INSIDE = re.compile(r"^(?:[\d\-#A-Z]|单元|层|楼|室|房|户|栋|幢|座)")
_GROUP = re.compile(r"^((?:\d+|[^\d\W]{1,4}?)(?:村民小组|村民组|小组|组)|\d+社)(?![团件合])")
_DEVZONE = re.compile(r"(?:开发区|工业区|工业园区?|科技园|园区|高新区|新区)$")


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
    # the last breaker that leaves a road name of three characters at least (not 龙山工业区龙镇|大道)
    breaks = [m.end() for m in _BREAKER.finditer(segment[: end - 1]) if end - m.end() >= 3]
    start = breaks[-1] if breaks else 0
    if end < 2:
        return None
    return segment[:start], segment[start:end]


def _put_prefix(elements: dict[str, str], prefix: str) -> None:
    """What a road follows without a separator: a village, a town, a development zone or a landmark."""
    if prefix.endswith(("村", "社区")) and "community" not in elements:
        elements["community"] = prefix
    elif prefix.endswith(("镇", "乡", "街道")) and "town" not in elements:
        elements["town"] = prefix
    elif _DEVZONE.search(prefix) and "devzone" not in elements:
        elements["devzone"] = prefix
    else:
        _put(elements, ("poi", "sub_poi", "other"), prefix)


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
        if known_road:
            pos += _put(elements, ("road", "sub_road"), known_road)
            continue
        group = _GROUP.match(rest) if _in_village(elements) else None
        if group:  # 村民小组 are the streets of a village: 新港村8组62号
            last = list(elements)[-1]
            if last != "community" and "community" not in elements:  # a village (…村) with groups
                elements["community"] = elements.pop(last)
            pos += _put(elements, ("road",), group[1])
            continue
        found = _road_at(rest) if not elements.keys() & {"poi", "estate", "road"} else None
        if found:
            prefix, road = found
            if prefix:
                _put_prefix(elements, prefix)
            pos += len(prefix) + _put(elements, ("road", "sub_road"), road)
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
) -> Parsed:
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
