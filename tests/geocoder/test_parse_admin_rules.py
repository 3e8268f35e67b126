"""The admin-prefix rules: short forms before a child unit, abolished counties, restarts, written variants."""

import pytest

from geocoder.admin import autonomous_place
from geocoder.gazetteer import national_admin
from geocoder.normalize import normalize
from geocoder.parse import Parsed, parse


def _admin(query: str) -> dict[str, str]:
    elements = parse(normalize(query).text, national_admin()).elements
    return {k: v for k, v in elements.items() if k in ("province", "city", "district", "town", "other")}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a short city name followed by one of its counties' short names is the city (not 台州路)
        ("台州路桥区财富大厦", {"city": "台州", "district": "路桥区"}),
        ("宁波镇海骆驼街道", {"city": "宁波", "district": "镇海", "town": "骆驼街道"}),
        # the towns of an abolished county now belong to its successors in the same city
        ("杭州市江干区九堡镇九环路", {"city": "杭州市", "district": "江干区", "town": "九堡镇"}),
        ("浙江省绍兴县钱清镇华星村", {"province": "浙江省", "district": "绍兴县", "town": "钱清镇"}),
        # written variants: autonomous region as a province, prefecture short forms, 地区 of a new city
        ("广西省桂林市资源县", {"province": "广西省", "city": "桂林市", "district": "资源县"}),
        (
            "云南省怒江州泸水县六库镇",
            {"province": "云南省", "city": "怒江州", "district": "泸水县", "town": "六库镇"},
        ),
        ("西藏自治区山南地区扎囊县", {"province": "西藏自治区", "city": "山南地区", "district": "扎囊县"}),
        # OpenCC writes 乾县 as 干县: the tables are indexed the same way
        (
            "陕西省咸阳市乾县周城镇",
            {"province": "陕西省", "city": "咸阳市", "district": "干县", "town": "周城镇"},
        ),
        # the tables prefix some towns with their county (当阳市两河镇): the text writes two units
        (
            "湖北省宜昌市当阳市两河镇",
            {"province": "湖北省", "city": "宜昌市", "district": "当阳市", "town": "两河镇"},
        ),
        ("河南省济源市北海街道", {"province": "河南省", "district": "济源市", "town": "北海街道"}),
        # renamed prefecture cities and counties are still written (思茅市 → 普洱市, 翠云区 → 思茅区)
        ("云南省思茅市翠云区", {"province": "云南省", "city": "思茅市", "district": "翠云区"}),
        (
            "江苏省淮阴市清河区淮海南路",
            {"province": "江苏省", "city": "淮阴市", "district": "清河区"},
        ),
        # counties renamed since, under their old names (陕县 → 陕州区 2015, 苍山县 → 兰陵县 2014)
        (
            "河南省三门峡市陕县张湾乡",
            {"province": "河南省", "city": "三门峡市", "district": "陕县", "town": "张湾乡"},
        ),
        ("山东省苍山县芦柞镇", {"province": "山东省", "district": "苍山县", "town": "芦柞镇"}),
        # an autonomous county written as a plain county (隆林各族自治县 → 隆林县)
        (
            "广西百色市隆林县新州镇",
            {"province": "广西", "city": "百色市", "district": "隆林县", "town": "新州镇"},
        ),
        # a county written in full after a town of its own, or after a town or village name before its towns
        ("海沧街道海沧区海沧大道", {"district": "海沧区", "town": "海沧街道"}),
        ("红鲍村绍兴县孙端镇", {"district": "绍兴县", "town": "孙端镇", "other": "红鲍村"}),
        # a 新区 is written by its short name (浦东, 浦东区)
        ("上海市浦东区康桥镇", {"city": "上海市", "district": "浦东区", "town": "康桥镇"}),
        ("上海浦东张江镇", {"city": "上海", "district": "浦东", "town": "张江镇"}),
        ("甘肃省兰州市城关区", {"province": "甘肃省", "city": "兰州市", "district": "城关区"}),
        # 市辖区 is a filler of the statistical tables
        ("浙江省宁波市市辖区柴桥街道", {"province": "浙江省", "city": "宁波市", "town": "柴桥街道"}),
    ],
)
def test_admin_rules(query: str, expected: dict[str, str]) -> None:
    assert _admin(query) == expected


def test_a_county_level_city_before_another_county_stands_for_its_prefecture() -> None:
    """吉首 is the seat of 湘西州: written before 凤凰县 it names the prefecture; the address is in 凤凰县."""
    parsed = parse(normalize("湖南省吉首市凤凰县沱江镇").text, national_admin())
    assert {k: parsed.elements[k] for k in ("city", "district", "town")} == {
        "city": "吉首市",
        "district": "凤凰县",
        "town": "沱江镇",
    }
    assert parsed.admin["city"].name == "湘西土家族苗族自治州"
    assert parsed.admin["district"].code == "433123"
    # alone, or followed by a town of its own, it is the county
    assert _admin("吉首市乾州街道") == {"district": "吉首市", "town": "乾州街道"}


def test_a_new_district_named_after_its_city_has_no_short_form() -> None:
    """兰州新区's 兰州 is the city: 兰州, 兰州市 and 兰州区 name no part of it; 浦东新区's 浦东 is its own."""
    index = national_admin()
    for form in ("兰州", "兰州市"):
        assert [e.name for e in index.lookup(form)] == ["兰州市"]
    assert index.lookup("兰州区") == []
    assert "浦东新区" in {e.name for e in index.lookup("浦东")}


def test_chain_after_china_restarts_the_address() -> None:
    got = _admin("山东省临沂市临沭县中国浙江省杭州市余杭区龙潭路")
    assert got == {"province": "浙江省", "city": "杭州市", "district": "余杭区"}


def test_full_chain_after_other_words_is_the_address() -> None:
    got = _admin("得力集团宁波江北工业园浙江省宁波市江北区长兴路1220号")
    assert got == {
        "province": "浙江省",
        "city": "宁波市",
        "district": "江北区",
        "other": "得力集团宁波江北工业园",
    }


def test_restart_keeps_the_levels_that_contain_the_second_chain() -> None:
    got = _admin("浙江省嘉兴市海宁市浙江省海宁市长安镇")
    assert got == {"province": "浙江省", "city": "嘉兴市", "district": "海宁市", "town": "长安镇"}


def test_restart_drops_levels_of_another_place() -> None:
    got = _admin("安徽省宿州市萧县中国浙江省宁波市江北区洪大路")
    assert got["province"] == "浙江省" and got["city"] == "宁波市" and "宿州" not in str(got)


def test_short_name_before_a_road_is_no_place() -> None:
    assert "city" not in _admin("杭州路15号")
    assert "district" not in _admin("路桥路15号")


def test_a_name_written_a_character_short_is_read_when_its_own_unit_follows() -> None:
    got = _admin("温市鹿城区五马街12号")  # 温州市 without 州; 鹿城区 is Wenzhou's alone
    assert got["city"] == "温市" and got["district"] == "鹿城区"
    assert "city" not in _admin("温市场路5号")  # no unit follows: a word, not a city


def test_a_city_of_the_province_after_other_words_is_the_city() -> None:
    got = _admin("福建省转交厦门市软件园观日路")
    assert got["province"] == "福建省" and got["city"] == "厦门市"
    assert "city" not in _admin("福建省转交杭州市软件园观日路")  # another province's city is a name


def test_short_name_before_a_village_word_is_no_place() -> None:
    assert "district" not in _admin("浦东社88号")  # 社: a Minnan village, not Shanghai's 浦东新区
    assert _admin("浦东新区张江路1号")["district"] == "浦东新区"


def test_no_chain_is_invented_after_a_county() -> None:
    # a county has been read: a later city name is part of the detail, not a new address
    got = _admin("浙江省杭州市西湖区文三路温州市驻杭办")
    assert got["district"] == "西湖区" and got["city"] == "杭州市"


@pytest.mark.parametrize(
    ("name", "place"),
    [
        ("怒江傈僳族自治州", "怒江"),
        ("巴音郭楞蒙古自治州", "巴音郭楞"),
        ("峨边彝族自治县", "峨边"),
        ("隆林各族自治县", "隆林"),
        ("西湖区", ""),
    ],
)
def test_autonomous_place(name: str, place: str) -> None:
    assert autonomous_place(name) == place


def _elements(query: str) -> dict[str, str]:
    return parse(normalize(query).text, national_admin()).elements


def test_short_name_before_a_longer_road_name_is_the_place() -> None:
    assert _elements("杭州学院路99号") == {"city": "杭州", "road": "学院路", "house_number": "99号"}
    assert _elements("衢州江东大道803号")["city"] == "衢州"
    assert "city" not in _elements("杭州湾大道88号")  # 湾 alone is no road name
    assert "district" not in _elements("余杭塘路1892号")  # one more character makes 余杭 part of the road


def test_short_name_of_a_school_is_no_province() -> None:
    assert "province" not in _elements("浙江传媒学院")
    assert "city" not in _elements("湖州中心医院住院部")


def test_village_group_is_the_street_of_the_village() -> None:
    got = _elements("浙江省杭州市余杭区新港村8组62号")
    assert (got["community"], got["road"], got["house_number"]) == ("新港村", "8组", "62号")
    assert _elements("贵州省镇远县舞阳镇岔河村虎洞组")["road"] == "虎洞组"


def test_number_after_a_named_place_is_its_door_plate() -> None:
    assert _elements("浙江省杭州市西湖区杨公堤43号")["house_number"] == "43号"
    got = _elements("浙江省杭州市西湖区某某大厦5号3单元")  # a unit follows: the number is a building
    assert "house_number" not in got and got["building"] == "5号"


def test_bare_number_after_a_building_name_is_no_door_plate() -> None:
    got = _elements("宁波海曙区东渡路华联写字楼2491")
    assert "house_number" not in got and got["road"] == "东渡路"
    assert _elements("宁波海曙区东渡路2491")["house_number"] == "2491"


def test_road_after_an_industrial_zone_or_station() -> None:
    assert _elements("宁波慈溪市龙山镇龙山工业区龙镇大道158号")["road"] == "龙镇大道"
    assert _elements("火车东站东宁路8号")["road"] == "东宁路"
    assert _elements("花园路8号")["road"] == "花园路"  # too short to split


def test_street_named_after_its_road_is_read_as_the_road() -> None:
    got = _elements("上海市杨浦区控江路2569号")  # 控江路街道 exists, but 控江路 alone is the road
    assert "town" not in got and got["road"] == "控江路"
    assert _elements("上海市杨浦区控江路街道")["town"] == "控江路街道"


def test_development_zone_of_the_tables_is_a_zone() -> None:
    got = _elements("杭州市萧山经济技术开发区建设二路")
    assert got["devzone"] == "萧山经济技术开发区" and "town" not in got


def test_zone_named_after_its_city_is_the_city_and_a_zone() -> None:
    got = parse(normalize("芜湖经济技术开发区长春路").text, national_admin())
    assert (got.elements["city"], got.elements["devzone"]) == ("芜湖", "经济技术开发区")
    assert got.admin["district"].name == "芜湖经济技术开发区"  # still resolved to the zone's unit
    assert _elements("宁波保税区兴业大道")["devzone"] == "保税区"


def test_full_province_then_its_short_city_restarts_the_chain() -> None:
    got = _admin("绍兴浙江省绍兴越城区")
    assert got == {"province": "浙江省", "city": "绍兴", "district": "越城区"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a county's full name stays one although a street's short form is the same (朝阳区街道)
        ("北京市朝阳区北苑家园6号楼", {"city": "北京市", "district": "朝阳区"}),
        # a unit named by a bare word (攀枝花东区, 工业园区) does not show that a short name is a place
        (
            "浙江杭州市余杭区临平南苑街道西安东区",
            {"province": "浙江", "city": "杭州市", "district": "余杭区", "town": "临平南苑街道"},
        ),
        ("屠甸工业园区同丰路676号", {}),
        # a city written in full after a unit of its own adds the level; not 市场, not another city
        ("丰产路街道郑州市红专路", {"town": "丰产路街道", "city": "郑州市"}),
        ("丰产路街道郑州市场", {"town": "丰产路街道"}),
        ("丰产路街道杭州市文三路", {"town": "丰产路街道"}),
        # one character wrong in a city or county name: taken when one unit only fits, as written
        (
            "湖北省宜宣市兴山县昭君镇",
            {"province": "湖北省", "city": "宜宣市", "district": "兴山县", "town": "昭君镇"},
        ),
        ("杭州市江士区万家花园", {"city": "杭州市", "district": "江士区"}),
        ("广洲市海珠区昌岗中路", {"city": "广洲市", "district": "海珠区"}),
        ("广洲市人民路", {}),  # nothing confirms it
        # the same province again before a town only is no new chain; another province is
        (
            "浙江省温州市瑞安市浙江省新塍镇",
            {"province": "浙江省", "city": "温州市", "district": "瑞安市", "town": "新塍镇"},
        ),
        ("贵州省毕节市织金县浙江省斜桥镇", {"province": "浙江省", "town": "斜桥镇"}),
        # the unit just read written again, though a county below bears its name; not the county's own name
        ("绍兴绍兴诸暨大唐镇", {"city": "绍兴", "district": "诸暨", "town": "大唐镇"}),
        ("广东省东莞市东莞市大岭山镇", {"province": "广东省", "city": "东莞市", "town": "大岭山镇"}),
        (
            "甘肃省临夏回族自治州临夏市城北街道",
            {"province": "甘肃省", "city": "临夏回族自治州", "district": "临夏市", "town": "城北街道"},
        ),
        # 市场 after a county written with 市 is a market, unless a town follows (场口镇)
        ("福田市场", {}),
        (
            "浙江省杭州市富阳市场口镇",
            {"province": "浙江省", "city": "杭州市", "district": "富阳市", "town": "场口镇"},
        ),
        # a short city name and one of its counties after a leading street and a road start the address
        ("新桥街道六虹桥路温州鹿城仓储基地", {"city": "温州", "district": "鹿城", "other": "六虹桥路"}),
        ("新桥街道六虹桥路温州商城", {"town": "新桥街道"}),
        # a short name starts a second chain only before a unit inside it (阜阳: 灵桥镇 is in 杭州)
        ("杭州阜阳灵桥镇董家桥村", {"city": "杭州", "town": "阜阳灵桥镇"}),
        (
            "广西壮族自治区桂林市象山区广西桂林市西城路157号",
            {"province": "广西", "city": "桂林市", "district": "象山区"},
        ),
        # a school named after a province follows the place; one named after the place swallows it
        ("杭州浙江大学玉泉校区", {"city": "杭州"}),
        ("湖州中心医院住院部", {}),
        # a town (with its suffix) moved to another county of the same city when the counties were redrawn
        ("宁波市鄞州区横街镇上阵村", {"city": "宁波市", "district": "鄞州区", "town": "横街镇"}),
        ("宁波市鄞州区高桥工业区秀丰路1027号", {"city": "宁波市", "district": "鄞州区"}),
        # a county-level zone named after its city gives the city as written, unless a city was read
        ("芜湖经济技术开发区长春路", {"city": "芜湖"}),
        (
            "安徽省芜湖市芜湖经济技术开发区长春路",
            {"province": "安徽省", "city": "芜湖市", "district": "芜湖经济技术开发区"},
        ),
        ("中新苏滁高新技术产业开发区", {"district": "中新苏滁高新技术产业开发区"}),
        # a short name before a zone named by a place (山口工业区; 山口 alone would be a feature word) is the
        # place; 杭州湾新区 is named after the bay, and 镇 or 路 after a short name begins no zone name
        ("金华山口工业区友谊路87号", {"city": "金华"}),
        ("萧山桥南开发区鸿兴路872号", {"district": "萧山"}),
        ("杭州湾新区滨海大道752号", {}),
        ("台州市台州湾经济开发区滨海工业区海丰路946号", {"city": "台州市"}),
        ("温州龙港镇塑编工业区", {"city": "温州", "town": "龙港镇"}),
        # a zone named after its city starts the address past numbers, or after a county of that city
        ("科贸中心东1009-1010宁波高新区翔云路1069号", {"other": "科贸中心东1009-1010", "city": "宁波"}),
        ("北仑区九龙山1号宁波保税区南区", {"other": "九龙山1号", "city": "宁波", "district": "北仑区"}),
        ("杭州市西湖区文三路1号宁波高新区", {"city": "杭州市", "district": "西湖区"}),
        ("振宁路9号杭州萧山新华绗缝绣服厂", {}),  # a short city and county past a door plate: a firm's name
        # a unit read in full and written again short keeps its full spelling and the levels below it
        ("浙江省绍兴市绍兴高新区东山路", {"province": "浙江省", "city": "绍兴市"}),
        (
            "浙江省杭州市江干区杭州下沙经济开发区",
            {"province": "浙江省", "city": "杭州市", "district": "江干区", "town": "下沙"},
        ),
        ("广东省深圳市南山区深圳南山", {"province": "广东省", "city": "深圳市", "district": "南山区"}),
        ("杭州市江干区杭州西湖区文三路", {"city": "杭州", "district": "西湖区"}),
        # a short province before a short city and a full county of its own starts the address again
        ("东兴镇广西防城港东兴市永定街", {"province": "广西", "city": "防城港", "district": "东兴市"}),
        ("浙江省温州市瓯海区浙江台州黄岩区", {"province": "浙江省", "city": "温州市", "district": "瓯海区"}),
        # a province written with 市 before a city of its own; not a city's name, not 市场
        ("山西市太原迎泽区", {"province": "山西市", "city": "太原", "district": "迎泽区"}),
        ("吉林市船营区", {"city": "吉林市", "district": "船营区"}),
        ("山西市场", {}),
        # 城北, 城南 after a short name are parts of the place; 城市花园 is a name
        ("丽水城北东区62-993", {"city": "丽水"}),
        ("温州城市花园", {}),
    ],
    ids=[
        "full-name-over-street-short-form",
        "bare-word-unit-no-restart",
        "bare-word-zone-no-town",
        "city-after-own-street",
        "city-market-no-city",
        "other-city-not-above",
        "misspelt-city-inside-province",
        "misspelt-county-inside-city",
        "misspelt-city-before-child",
        "misspelt-city-unconfirmed",
        "same-province-before-town",
        "other-province-restarts",
        "short-city-written-again",
        "full-city-written-again",
        "county-own-name-not-again",
        "county-market-no-county",
        "county-before-town-shichang",
        "short-city-and-county-after-street",
        "short-city-without-county",
        "short-name-restart-needs-child",
        "short-name-restart-before-own-unit",
        "school-named-after-province",
        "school-named-after-place",
        "town-moved-to-another-county",
        "short-town-not-moved",
        "zone-named-after-its-city",
        "zone-after-its-city-read",
        "zone-named-otherwise",
        "short-city-before-named-zone",
        "short-county-before-named-zone",
        "bay-zone-no-city",
        "bay-zone-after-city",
        "short-name-town-before-zone",
        "city-zone-past-numbers",
        "city-zone-after-own-county",
        "city-zone-not-of-the-county",
        "short-city-county-past-door-plate",
        "short-city-again-in-zone-name",
        "short-city-again-keeps-county",
        "short-city-and-county-again",
        "short-city-again-before-other-county",
        "short-province-city-restart",
        "short-province-city-other-county",
        "province-written-with-shi",
        "city-named-like-province",
        "province-shi-market",
        "short-city-then-chengbei",
        "short-city-cheng-word",
    ],
)
def test_admin_rules_issue_8(query: str, expected: dict[str, str]) -> None:
    assert _admin(query) == expected


def test_one_off_names_the_misspelt_unit() -> None:
    index = national_admin()
    assert {e.name for e in index.one_off("台卅市")} >= {"台州市"}
    assert all(e.name != "台州市" for e in index.one_off("台州市"))  # a name is no misspelling of itself


def test_an_abolished_city_reads_as_the_city_its_counties_joined() -> None:
    """莱芜市 joined 济南市 in 2019; its 莱城区 is 济南's 莱芜区 and the towns below it are found."""
    admin = parse(normalize("山东省莱芜市莱城区凤城街道").text, national_admin()).admin
    assert {level: entry.code for level, entry in admin.items()} == {
        "province": "37",
        "city": "3701",
        "district": "370116",
        "town": "370116001",
    }


def test_a_merged_county_reads_as_the_county_it_joined() -> None:
    """开元区 joined 思明区 in 2003: its streets are found under 思明区's code."""
    admin = parse(normalize("福建省厦门市开元区中华街道").text, national_admin()).admin
    assert (admin["district"].name, admin["district"].code) == ("开元区", "350203")
    assert admin["town"].code == "350203003"


def test_old_name_of_a_merged_county_after_its_successor_is_a_street() -> None:
    """鼓浪屿区 merged into 思明区 and is now its street 鼓浪屿街道: after 思明区 it is that street, not
    思明区 written again."""
    parsed = parse(normalize("思明区鼓浪屿龙头路").text, national_admin())
    assert parsed.elements == {"district": "思明区", "town": "鼓浪屿", "road": "龙头路"}
    assert parsed.admin["town"].code == "350203012"


@pytest.mark.parametrize(
    ("query", "elements"),
    [
        ("莲花香秀里62号", {"estate": "莲花香秀里", "building": "62号"}),  # 莲花县 is in Jiangxi
        ("集美学村", {"district": "集美", "estate": "学村"}),  # 集美区 is Xiamen's
        ("莲花县琴亭镇", {"district": "莲花县", "town": "琴亭镇"}),  # a full name stays a place
    ],
    ids=["short-name-of-elsewhere", "short-name-at-home", "full-name-of-elsewhere"],
)
def test_a_short_county_name_of_elsewhere_first_is_a_name_in_a_city_service(
    query: str, elements: dict[str, str]
) -> None:
    assert parse(normalize(query).text, national_admin(), home=("3502",)).elements == elements


@pytest.mark.parametrize(
    ("query", "level", "codes"),
    [
        ("香蜜湖", "town", {"440304006"}),  # 香蜜湖街道
        ("沙头", "town", {"321002103", "330324111", "430902104", "440113008", "440304005", "450421101"}),
        ("下沙村", "community", {"440304005036", "440307010007"}),  # 下沙社区 of 福田区 and of 龙岗区
        ("上沙村", "community", {"440304005026", "330302023205"}),  # 上沙社区 of 福田区, 上沙村委会 of 鹿城区
        ("福田区下沙村", "community", {"440304005036"}),
        ("鹿城区上沙村18号", "community", {"330302023205"}),
    ],
    ids=["short-street-alone", "short-town-of-six", "urban-village", "village-or-community",
         "village-in-county", "village-committee"],
)
def test_a_bare_area_or_village_name_is_the_unit(query: str, level: str, codes: set[str]) -> None:
    """Callers name an area by its short name alone (香蜜湖), and an urban village by its old name (下沙村:
    the community that bears it)."""
    parsed = parse(normalize(query).text, national_admin())
    readings = [parsed.admin[level]] if level in parsed.admin else parsed.admin_candidates
    assert {e.code for e in readings} == codes
    assert level in parsed.elements


def test_a_short_name_names_its_unit_only_as_the_whole_text() -> None:
    """香蜜湖 alone is the street; a bare word (城区), a short name with more after it (香蜜湖1号) or one
    at the end of an address (…涌泉镇涌泉) is not."""
    def elements(query: str) -> dict[str, str]:
        return parse(normalize(query).text, national_admin()).elements

    assert elements("香蜜湖") == {"town": "香蜜湖"}
    assert elements("城区") == {"poi": "城区"}
    assert elements("香蜜湖1号") == {"poi": "香蜜湖", "house_number": "1号"}
    assert elements("浙江省台州市临海市涌泉镇涌泉") == {
        "province": "浙江省", "city": "台州市", "district": "临海市", "town": "涌泉镇", "poi": "涌泉"
    }


def test_a_village_of_no_home_city_first_is_a_name() -> None:
    """上沙村 is 上沙社区 of 深圳 or 上沙村委会 of 温州; in a Xiamen service it is neither, whose county would
    rule out every place found in Xiamen."""
    assert {e.code for e in parse("上沙村", national_admin(), home=("4403",)).admin_candidates} == {
        "440304005026", "330302023205"
    }
    parsed = parse("上沙村", national_admin(), home=("3502",))
    assert parsed.elements == {"estate": "上沙村"} and not parsed.admin_candidates


def test_a_village_is_the_community_unless_a_road_is_named_after_it() -> None:
    """霞阳村 is 霞阳社区 and 下沙村三巷 a lane in 下沙社区; 霞阳村西路 is a road named after the village."""
    def parsed(query: str) -> Parsed:
        return parse(normalize(query).text, national_admin())

    assert parsed("霞阳村").elements == {"community": "霞阳村"}
    assert {e.code for e in parsed("下沙村三巷5号").admin_candidates} == {"440304005036", "440307010007"}
    assert parsed("霞阳村西路2号").elements == {"road": "霞阳村西路", "house_number": "2号"}
