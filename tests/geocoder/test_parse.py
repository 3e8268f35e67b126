"""Parsing into GB/T 30428.3 / GA/T 2000.32 elements, driven by the admin tables and known names."""

import pytest

from geocoder.gazetteer import national_admin
from geocoder.normalize import normalize
from geocoder.parse import NameSet, Parsed, parse


def _parse(query: str, roads: set[str] | None = None, pois: set[str] | None = None, **kw: bool) -> Parsed:
    return parse(normalize(query).text, national_admin(), NameSet(roads), NameSet(pois), **kw)


@pytest.mark.parametrize(
    ("query", "elements"),
    [
        (
            "廈門市思明區嘉蓮街道蓮花五村12號樓",
            {
                "city": "厦门市",
                "district": "思明区",
                "town": "嘉莲街道",
                "community": "莲花五村",
                "building": "12号楼",
            },
        ),
        ("吕岭路21号", {"road": "吕岭路", "house_number": "21号"}),
        (
            "金华永康市方岩镇下宅村万里公路832弄125号",
            {
                "city": "金华",
                "district": "永康市",
                "town": "方岩镇",
                "community": "下宅村",
                "road": "万里公路",
                "house_number": "832弄",
                "sub_road_number": "125号",
            },
        ),
        (
            "浙江省杭州市西湖区文三路478号华星时代广场A座5楼501室",
            {
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "road": "文三路",
                "house_number": "478号",
                "poi": "华星时代广场",
                "building": "A座",
                "floor": "5楼",
                "room": "501室",
            },
        ),
        (
            "杭州萧山区宁围镇金色家园3幢2单元301",
            {
                "city": "杭州",
                "district": "萧山区",
                "town": "宁围镇",
                "estate": "金色家园",
                "building": "3幢",
                "unit": "2单元",
                "room": "301",
            },
        ),
        ("海宁路12号", {"road": "海宁路", "house_number": "12号"}),
        (
            "瑞安市上望镇蔡宅东路206号",
            {"district": "瑞安市", "town": "上望镇", "road": "蔡宅东路", "house_number": "206号"},
        ),
        (
            "福田区莲花街道景田社区景田北路2号之1",
            {
                "district": "福田区",
                "town": "莲花街道",
                "community": "景田社区",
                "road": "景田北路",
                "house_number": "2-1号",
                "sub_number": "1",
            },
        ),
        ("湖滨南路123号7天酒店", {"road": "湖滨南路", "house_number": "123号", "poi": "7天酒店"}),
        ("886精品酒店(海沧区政府店)", {"poi": "886精品酒店海沧区政府店"}),
        ("莲花五村12号楼2单元301室",
         {"estate": "莲花五村", "building": "12号楼", "unit": "2单元", "room": "301室"}),
        ("青松街道华荣路46号", {"town": "青松街道", "road": "华荣路", "house_number": "46号"}),
        ("观音山运营中心下堡路168号", {"poi": "观音山运营中心", "road": "下堡路", "house_number": "168号"}),
        ("杭州经济技术开发区下沙街道幸福南路8号",
         {"city": "杭州", "devzone": "经济技术开发区", "town": "下沙街道", "road": "幸福南路",
          "house_number": "8号"}),
        ("洞头县中心街创新巷13弄", {"district": "洞头县", "road": "中心街创新巷", "house_number": "13弄"}),
        ("莘塍南市场路5号", {"road": "莘塍南市场路", "house_number": "5号"}),
        ("殿前一路536、538号", {"road": "殿前一路", "house_number": "536号"}),
        ("江夏街道小沙泥街12号", {"town": "江夏街道", "road": "小沙泥街", "house_number": "12号"}),
        ("永嘉县江北街道西岸街84号",
         {"district": "永嘉县", "town": "江北街道", "road": "西岸街", "house_number": "84号"}),
        ("龙湾区镇标西路1037号", {"district": "龙湾区", "road": "镇标西路", "house_number": "1037号"}),
        ("镇宁西路32号", {"road": "镇宁西路", "house_number": "32号"}),
    ],
    ids=[
        "xiamen-community-building",
        "road-number",
        "lane-and-number",
        "full-with-room",
        "estate-unit-room",
        "admin-alias-inside-road",
        "town-then-road",
        "sub-number",
        "name-beginning-with-a-number",
        "name-beginning-with-a-number-alone",
        "numbers-with-units-stay-units",
        "town-before-road",
        "landmark-before-road",
        "zone-town-road",
        "breaker-inside-road-name",
        "breaker-before-road-word",
        "listed-door-plates",
        "street-word-alone-is-no-unit",
        "street-word-alone-is-no-unit-after-a-village-name",
        "level-character-begins-road",
        "level-character-begins-road-alone",
    ],
)
def test_elements(query: str, elements: dict[str, str]) -> None:
    assert _parse(query).elements == elements


@pytest.mark.parametrize(
    ("query", "a", "b"),
    [
        ("湖滨南路与斗西路交叉口", "湖滨南路", "斗西路"),
        ("新丰路和火炬二路交叉路口南50米", "新丰路", "火炬二路"),
        ("农园路与香轩路", "农园路", "香轩路"),
        ("湖滨南路/斗西路", "湖滨南路", "斗西路"),
        ("深南大道、红荔路交叉路口", "深南大道", "红荔路"),
        ("湖滨南路斗西路口", "湖滨南路", "斗西路"),
        ("健康街潍州路交叉口西北角", "健康街", "潍州路"),
        ("和平路与中山路交叉口", "和平路", "中山路"),
        ("同安路与长江路交叉口", "同安路", "长江路"),
        ("长江路与同集路交叉口", "长江路", "同集路"),
        ("中山路和解放路交叉口", "中山路", "解放路"),
        ("翔安西路与448县道交叉口", "翔安西路", "448县道"),
        ("G324与S201交叉口", "G324", "S201"),
    ],
    ids=["yu-jiaochakou", "he-lukou-offset", "bare", "slash", "enumeration-comma", "run-together-kou",
         "run-together-jiaochakou", "first-road-starts-with-he", "first-road-starts-with-tong",
         "second-road-starts-with-tong", "he-between-roads", "numbered-county-road", "highway-codes"],
)
def test_intersections(query: str, a: str, b: str) -> None:
    assert _parse(query).intersection == (a, b)


@pytest.mark.parametrize(
    ("query", "elements"),
    [
        (
            "湖滨南路与斗西路交叉口",
            {"intersection": "湖滨南路与斗西路交叉口", "road": "湖滨南路", "sub_road": "斗西路"},
        ),
        (
            "嘉禾路与吕岭路交叉口西南角加油站",
            {
                "intersection": "嘉禾路与吕岭路交叉口西南角",
                "road": "嘉禾路",
                "sub_road": "吕岭路",
                "poi": "加油站",
            },
        ),
        (
            "萍水街与益乐路交叉口方家花苑82幢",
            {
                "intersection": "萍水街与益乐路交叉口",
                "road": "萍水街",
                "sub_road": "益乐路",
                "estate": "方家花苑",
                "building": "82幢",
            },
        ),
        (
            "环岛路与鳌山路交汇处航空港北区港中路1690号",
            {
                "intersection": "环岛路与鳌山路交汇处",
                "poi": "航空港北区",
                "road": "港中路",
                "house_number": "1690号",
            },
        ),
    ],
    ids=["crossing", "crossing-side-then-place", "crossing-then-estate", "crossing-then-door-plate"],
)
def test_crossing_elements_and_what_follows(query: str, elements: dict[str, str]) -> None:
    assert _parse(query).elements == elements


@pytest.mark.parametrize("query", ["杨上台巷三叉路口", "莲前街道/前埔社区", "厦禾路口", "湖滨南路/123号"])
def test_no_intersection_without_two_roads(query: str) -> None:
    assert _parse(query).intersection is None


@pytest.mark.parametrize(("query", "b"), [("中山路和平路交叉口", "和平路"), ("同安路同集路口", "同集路")])
def test_crossing_road_named_with_a_joining_word_when_the_gazetteer_knows_it(query: str, b: str) -> None:
    assert _parse(query, roads={b}).intersection == (query[:3], b)
    assert _parse(query).intersection == (query[:3], b[1:])  # without it, the word joins two roads


def test_known_road_at_the_end_of_an_unknown_one() -> None:
    parsed = _parse("五缘湾五通泗水大道625号", roads={"泗水大道"})
    assert parsed.elements == {"poi": "五缘湾五通", "road": "泗水大道", "house_number": "625号"}
    assert _parse("五缘湾五通泗水大道625号").elements["road"] == "五缘湾五通泗水大道"


@pytest.mark.parametrize(
    ("query", "road", "number"),
    [("软件园二期观日路24号", "观日路", "24号"), ("恒辉商贸大厦岭下南路77号", "岭下南路", "77号")],
)
def test_road_with_its_door_plate_after_a_place(query: str, road: str, number: str) -> None:
    elements = _parse(query).elements
    assert (elements.get("road"), elements.get("house_number")) == (road, number)


def test_compound_named_by_its_door_plate() -> None:
    elements = _parse("北土城东路4号院8号楼6-723").elements
    assert elements == {"road": "北土城东路", "estate": "4号院", "building": "8号楼", "room": "6-723"}


def test_numerals_in_known_names_stay() -> None:
    parsed = _parse("厦门一中", pois={"厦门一中"})
    assert parsed.elements == {"poi": "厦门一中"}


def test_admin_codes_resolve_through_the_chain() -> None:
    parsed = _parse("宁波市江东区金家一路")  # 江东区 was merged in 2016: a historic county name
    assert parsed.admin["district"].code == "330204"
    assert parsed.admin["city"].code == "3302"


def test_no_invented_levels_unless_asked() -> None:
    plain = _parse("福田区香蜜湖街道侨香路7号")
    assert set(plain.admin) == {"district", "town"} and plain.inferred == ()
    inferred = _parse("福田区香蜜湖街道侨香路7号", infer=True)
    assert inferred.admin["province"].name == "广东省" and inferred.admin["city"].code == "4403"
    assert set(inferred.inferred) == {"province", "city"}


def test_ambiguous_district_keeps_every_reading() -> None:
    parsed = _parse("鼓楼区中山路1号")
    assert "district" not in parsed.admin
    assert len({e.code for e in parsed.admin_candidates}) >= 3


def test_known_poi_beats_the_admin_prefix() -> None:
    parsed = _parse("景田社区党群服务中心", pois={"景田社区党群服务中心"})
    assert parsed.elements == {"poi": "景田社区党群服务中心"}


@pytest.mark.parametrize(
    ("query", "roads", "crossing"),
    [
        ("四号路与九号路交叉口", {"四号路", "九号路"}, ("四号路", "九号路")),
        ("4号路与9号路交叉口", {"四号路", "九号路"}, ("四号路", "九号路")),
        ("福田立交与白石路交叉口", {"福田立交"}, ("福田立交", "白石路")),
        ("白石路和福田立交路口", {"福田立交"}, ("白石路", "福田立交")),
        ("东海坊与香林路", {"东海坊", "香林路"}, ("东海坊", "香林路")),
        ("上沙东村9巷与沙嘴路交叉口", {"上沙东村九巷"}, ("上沙东村九巷", "沙嘴路")),
        ("车公庙立交与香蜜湖路辅路交叉口", {"车公庙立交", "香蜜湖路辅路"}, ("车公庙立交", "香蜜湖路辅路")),
        ("十七号街福强路口", {"十七号街", "福强路"}, ("十七号街", "福强路")),
    ],
    ids=["numerals", "numerals-in-digits", "interchange", "interchange-second", "ending-fang",
         "lane-in-digits", "side-road-after-road-word", "run-together"],
)
def test_crossing_of_known_roads_whatever_their_names_end_with(
    query: str, roads: set[str], crossing: tuple[str, str]
) -> None:
    """The gazetteer's own names are read whole; a name written in digits (4号路) is the known 四号路."""
    parsed = _parse(query, roads=roads)
    assert parsed.intersection == crossing
    assert (parsed.elements["road"], parsed.elements["sub_road"]) == crossing


def test_number_inside_a_crossing_road_name_is_no_door_plate() -> None:
    """深南广深立交3号通道 and 科技园3号路 are names; 中山路5号 is door plate 5 of 中山路 (a road word
    before the number)."""
    for query, crossing in (
        ("深南大道辅路与深南广深立交3号通道交叉口", ("深南大道辅路", "深南广深立交3号通道")),
        ("滨海大道与科技园3号路交叉口", ("滨海大道", "科技园3号路")),
    ):
        parsed = _parse(query)
        assert parsed.intersection == crossing and "house_number" not in parsed.elements, query
    parsed = _parse("中山路5号和平路口")
    assert parsed.intersection is None
    assert (parsed.elements["road"], parsed.elements["house_number"]) == ("中山路", "5号")


def test_known_name_written_in_digits_reads_as_the_name() -> None:
    parsed = _parse("上沙东村9巷12号", roads={"上沙东村九巷"})
    assert parsed.elements == {"road": "上沙东村九巷", "house_number": "12号"}
