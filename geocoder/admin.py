"""The administrative part of the gazetteer: names and aliases of provinces … communities, by code.

Loaded from the statistical division codes shipped in geocoder/data (国家统计局 2023, via the
china-division package, MIT/WTFPL; historic county names from cpca's table, MIT) plus the
communities of the loaded city (onemap.admin_area). Codes: province 2, city 4, county 6, street 9,
community 12 digits.
"""

import csv
import gzip
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

from geocoder.normalize import simplified

LEVELS = ("province", "city", "district", "town", "community")
RANK = {level: i for i, level in enumerate(LEVELS)}  # province 0 … community 4: higher is lower
LEVEL_OF_LENGTH = {2: "province", 4: "city", 6: "district", 9: "town", 12: "community"}
_MUNICIPALITIES = {"11", "12", "31", "50"}
_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟|(?:[^族]{1,12}族)+自治州|自治州)$")
_DISTRICT_SUFFIX = re.compile(r"(区|县|市|旗|(?:[^族]{1,12}族)+自治县|自治县|自治旗|林区|特区)$")
_NEW_DISTRICT = re.compile(r"(..)新区")
_TOWN_SUFFIX = re.compile(r"(街道办事处|街道|镇|乡|民族乡|苏木|地区办事处|办事处)$")
# the ethnic part of an autonomous unit's name (怒江傈僳族自治州 → 怒江, 巴音郭楞蒙古自治州 → 巴音郭楞)
_ETHNIC = re.compile(
    r"(?:蒙古|维吾尔|哈萨克|柯尔克孜|塔吉克|锡伯|达斡尔|鄂温克|鄂伦春|傈僳|傣|朝鲜|土家|苗|藏|彝|白|哈尼|壮|布依|回|羌|侗|"
    r"景颇|黎|瑶|畲|满|撒拉|土|东乡|保安|裕固|仫佬|毛南|水|纳西|拉祜|佤|怒|普米|独龙|基诺|阿昌|德昂|布朗|仡佬|各)族?"
    r".*自治[州县旗]$"
)
_COMMUNITY_SUFFIX = re.compile(r"(居民委员会|居委会|村民委员会|村委会|委员会)$")
# a unit the tables name by its level word alone (a 街道 of 653223): no text can name it
_LEVEL_WORD_ONLY = re.compile(r"(?:街道|镇|乡|社区|村)(?:办事处|居委会|村委会)?")


@dataclass(frozen=True)
class AdminEntry:
    code: str
    name: str

    @property
    def level(self) -> str:
        return LEVEL_OF_LENGTH[len(self.code)]

    @cached_property
    def short_name(self) -> str:
        """The name without the committee suffix (景田社区居委会 → 景田社区), for labels."""
        return _COMMUNITY_SUFFIX.sub("", self.name) if self.level == "community" else self.name


@dataclass
class AdminIndex:
    """Surface form → entries; `alias` marks forms that are a name without its level suffix."""

    names: dict[str, list[AdminEntry]] = field(default_factory=lambda: defaultdict(list))
    aliases: set[str] = field(default_factory=set)
    by_code: dict[str, AdminEntry] = field(default_factory=dict)
    longest: int = 0
    longest_from: dict[str, int] = field(default_factory=dict)  # first two characters → longest form
    historic: set[str] = field(default_factory=set)  # county codes abolished since (江干区 330104)
    # city and county names with one character blanked (宜?市) or left out (台市) → entries, built when used
    _variants: dict[str, list[AdminEntry]] | None = field(default=None, repr=False)

    def add(self, code: str, name: str) -> None:
        name = name.strip()
        if not name or (code in self.by_code and self.by_code[code].name == name):
            return
        entry = AdminEntry(code, name)
        self.by_code.setdefault(code, entry)
        if _LEVEL_WORD_ONLY.fullmatch(name):
            return
        self._variants = None
        # a zone named 新区 after its city (兰州新区, 镇江新区) has no short form: 兰州 is the city
        named_after_city = _NEW_DISTRICT.fullmatch(name) and any(
            e.level == "city" for e in self.names.get(name[:2], [])
        )
        for form, is_alias in [(name, False)] if named_after_city else admin_forms(entry):
            # a form that is a unit's full name stays one (朝阳区, though 朝阳区街道 is short 朝阳区 too)
            full_already = bool(self.names.get(form)) and form not in self.aliases
            if entry not in self.names[form]:
                self.names[form].append(entry)
            if not is_alias:
                self.aliases.discard(form)
            elif not full_already:
                self.aliases.add(form)
            self.longest = max(self.longest, len(form))
            self.longest_from[form[:2]] = max(self.longest_from.get(form[:2], 0), len(form))

    def lookup(self, text: str) -> list[AdminEntry]:
        return self.names.get(text, [])

    def one_off(self, form: str) -> list[AdminEntry]:
        """Cities and counties whose name differs from `form` in one character before the same suffix
        (台卅市 → 台州市, 宜宣市 → 宜昌市): the candidates of a misspelt name."""
        found: dict[str, AdminEntry] = {}
        for i in range(len(form) - 1):
            for e in self._variant(f"{form[:i]}?{form[i + 1 :]}"):
                if e.name != form:
                    found.setdefault(e.code, e)
        return list(found.values())

    def one_missing(self, form: str) -> list[AdminEntry]:
        """Cities and counties whose name is `form` with one character more before the suffix (台市 → 台州市,
        温岭 written 温市): the candidates of a name written a character short."""
        return list({e.code: e for e in self._variant(form)}.values())

    def _variant(self, key: str) -> list[AdminEntry]:
        if self._variants is None:
            self._variants = defaultdict(list)
            units = {e for entries in self.names.values() for e in entries if e.level in ("city", "district")}
            for e in units:
                if len(e.name) >= 3 and e.name[-1] in "市区县":
                    for i in range(len(e.name) - 1):
                        self._variants[f"{e.name[:i]}?{e.name[i + 1 :]}"].append(e)  # one character wrong
                        self._variants[e.name[:i] + e.name[i + 1 :]].append(e)  # one character left out
        return self._variants.get(key, [])

    def scope(self, entry: AdminEntry) -> str:
        """The code prefix the units written below `entry` share: the city's for an abolished county,
        whose towns now belong to the counties that replaced it (江干区九堡 → 上城区九堡街道)."""
        return entry.code[:4] if entry.code in self.historic else entry.code

    def add_simplified(self) -> None:
        """Index names also as `normalize` writes them: OpenCC turns 乾县 into 干县, 於潜 into 于潜."""
        forms = list(self.names)
        converted = _t2s_lines(forms)
        for form, simple in zip(forms, converted, strict=True):
            if simple != form and simple not in self.names:
                for entry in self.names[form]:
                    self.names[simple].append(entry)
                if form in self.aliases:
                    self.aliases.add(simple)
                self.longest_from[simple[:2]] = max(self.longest_from.get(simple[:2], 0), len(simple))

    def chain(self, code: str) -> list[AdminEntry]:
        """The entry and its parents, province first (levels missing from the tables are skipped)."""
        out = []
        for length in (2, 4, 6, 9, 12):
            if len(code) >= length and code[:length] in self.by_code:
                out.append(self.by_code[code[:length]])
        return out


def admin_forms(entry: AdminEntry) -> Iterable[tuple[str, bool]]:
    """The full name, its short forms (浙江, 杭州, 永康), and level-suffix variants of renamed units."""
    name, level = entry.name, entry.level
    yield name, False
    if level == "province":
        short = _PROVINCE_SUFFIX.sub("", name)
        if len(short) >= 2:
            yield short, True
            if not name.endswith("省"):  # autonomous regions are written as provinces: 广西省, 新疆省
                yield short + "省", False
    elif level == "city":
        short = autonomous_place(name) or _CITY_SUFFIX.sub("", name)
        if len(short) >= 2 and short != name:
            yield short, True
            yield short + "市", False
            if name.endswith("自治州"):  # 怒江傈僳族自治州 → 怒江州
                yield short + "州", False
            elif name.endswith("市"):  # prefectures that became cities keep being written 山南地区
                yield short + "地区", False
    elif level == "district":
        new_district = _NEW_DISTRICT.fullmatch(name)  # 浦东新区 is written 浦东 and 浦东区
        short = autonomous_place(name) or (
            new_district[1] if new_district else _DISTRICT_SUFFIX.sub("", name)
        )
        if len(short) >= 2 and short != name:
            yield short, True
            # counties that became districts or cities keep being written with the old suffix
            for suffix in ("区", "县", "市"):
                yield short + suffix, False
    elif level == "town":
        short = _TOWN_SUFFIX.sub("", name)
        if len(short) >= 2 and short != name:
            # 临平, 九堡: accepted only inside their county (see parse_admin._match); 天山路(街道) is the road
            if short[-1] not in "路街道巷":
                yield short, True
            # towns that became streets (镇 → 街道) are still written as towns, and the reverse
            for suffix in ("街道", "镇", "乡", "街道办事处", "街道办"):
                yield short + suffix, False
    elif level == "community":
        short = _COMMUNITY_SUFFIX.sub("", name)
        if short != name and len(short) >= 2:
            yield short, False
        bare = short.removesuffix("社区")
        # 鹭江道社区 is written 鹭江道 only as the road: a short form ending like a road is no community
        if short.endswith("社区") and len(bare) >= 2 and bare[-1] not in "路街道巷":
            yield bare, True


def autonomous_place(name: str) -> str:
    """The place name of an autonomous prefecture or county (德宏傣族景颇族自治州 → 德宏), or ''."""
    if not name.endswith(("自治州", "自治县", "自治旗")):
        return ""
    match = _ETHNIC.search(name, 2)  # the place name has two characters at least (怒江傈僳族: not 怒族)
    return name[: match.start()] if match else ""


def _without_county(town: str, county: str) -> str:
    """The town's own name when the tables prefix it with its county's (济源市北海街道 → 北海街道):
    the text writes the county and the town as two units, and the town alone inside its county."""
    own = town.removeprefix(county) if county else town
    if own != town and (suffix := _TOWN_SUFFIX.search(own)) and suffix.start() >= 2:
        return own
    return town


def _csv(name: str) -> list[dict[str, str]]:
    data = resources.files("geocoder").joinpath("data", name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def load_national() -> AdminIndex:
    """Provinces, cities, counties (with historic names), streets and the shipped communities."""
    index = AdminIndex()
    provinces = {row["code"]: row["name"] for row in _csv("provinces.csv.gz")}
    for code, name in provinces.items():
        if code in _MUNICIPALITIES:  # 上海市 is written as a city (its code 3101): index the city only
            index.by_code[code] = AdminEntry(code, name)
        else:
            index.add(code, name)
    for row in _csv("cities.csv.gz"):
        # 市辖区 / 县 of the four municipalities: the city is the municipality itself
        name = provinces[row["provinceCode"]] if row["provinceCode"] in _MUNICIPALITIES else row["name"]
        if name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            index.add(row["code"], name)
    for row in _csv("cities_historic_extra.csv"):  # old names, under the code of the city they became
        index.add(row["code"], row["name"])
    current: dict[str, str] = {}
    for table in ("areas.csv.gz", "areas_historic.csv", "areas_historic_extra.csv"):
        for row in _csv(table):
            if row["name"] != "市辖区":
                index.add(row["code"], row["name"])
            if table == "areas.csv.gz":
                current[row["code"]] = row["name"]
            elif row["code"] not in current:
                index.historic.add(row["code"])
    for row in _csv("streets.csv.gz"):
        index.add(row["code"], _without_county(row["name"], current.get(row["areaCode"], "")))
    for row in _csv("villages.csv.gz"):
        index.add(row["code"], row["name"])
    index.add_simplified()
    return index


def _t2s_lines(texts: list[str]) -> list[str]:
    return simplified("\n".join(texts)).split("\n")
