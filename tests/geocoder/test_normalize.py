"""Normalisation: script, width, numerals (not inside names), separators, qualifiers."""

import pytest

from geocoder.normalize import chinese_to_int, normalize, protect


@pytest.mark.parametrize(
    ("query", "text", "qualifiers"),
    [
        ("廈門市思明區嘉蓮街道蓮花五村 12號樓前面", "厦门市思明区嘉莲街道莲花五村12号楼", ("前面",)),
        ("一百二十三号", "123号", ()),
        ("吕岭路二十一号", "吕岭路21号", ()),
        ("厦门一中", "厦门一中", ()),
        ("火炬二路一号", "火炬二路1号", ()),
        ("莲花五村", "莲花五村", ()),
        ("１２号之３", "12-3号", ()),
        ("12号之三", "12-3号", ()),
        ("12附3号", "12-3号", ()),
        ("三单元五楼五零二室", "3单元5楼502室", ()),
        ("吕岭路21号附近", "吕岭路21号", ("附近",)),
        ("湖滨南路与斗西路交叉口南50米", "湖滨南路与斗西路交叉口", ("南50米",)),
        ("深南大道６００８号对面", "深南大道6008号", ("对面",)),
        ("嘉禾路398号对面公交站", "嘉禾路398号", ("对面公交站",)),
        ("嘉禾路398号旁边的建设银行门口", "嘉禾路398号", ("旁边的建设银行门口",)),
        ("思明区厦禾路 - 先锋营", "思明区厦禾路先锋营", ()),
        ("A-3栋12-3号", "A-3栋12-3号", ()),
        ("前成小区16--7--426", "前成小区16-7-426", ()),
        ("斗西路140-之1号附近", "斗西路140-1号", ("附近",)),
        ("厦禾路840号-1", "厦禾路840-1号", ()),
        ("殿前一路536、538号附近", "殿前一路536号", ("538号", "附近")),
        ("殿前一路536号、538号", "殿前一路536号", ("538号",)),
        ("湖滨南路1,3，5号", "湖滨南路1号", ("3号", "5号")),
        ("前埔小区1号楼2和3单元", "前埔小区1号楼2单元", ("3单元",)),
        ("万象城B座-1层", "万象城B座-1层", ()),
        ("北街一巷四号之九8楼", "北街1巷4-9号8楼", ()),
        ("地址：厦门市湖里区吕岭路21号", "厦门市湖里区吕岭路21号", ()),
        ("位于湖里区吕岭路21号", "湖里区吕岭路21号", ()),
        ("地址", "", ()),
        ("湖滨南路100号-1层", "湖滨南路100号-1层", ()),
        ("对面小区", "对面小区", ()),
        ("湖滨南路与斗西路交叉口东南侧", "湖滨南路与斗西路交叉口", ("东南侧",)),
        ("泰然九路廿一号", "泰然九路21号", ()),
        ("卅五号楼廿单元", "35号楼20单元", ()),
    ],
    ids=[
        "traditional",
        "hundreds",
        "road-number",
        "name-yizhong",
        "name-road-numeral",
        "name-wucun",
        "fullwidth-sub",
        "zhi-numeral",
        "fu",
        "unit-floor-room",
        "nearby",
        "offset",
        "opposite",
        "opposite-then-place",
        "beside-then-place",
        "lone-dash",
        "joining-dashes",
        "dash-runs",
        "dash-zhi",
        "hao-dash",
        "listed-numbers",
        "listed-with-unit",
        "listed-three",
        "listed-units",
        "basement-after-building",
        "numeral-sub-number-then-floor",
        "field-label",
        "located-at",
        "label-alone",
        "basement-after-number",
        "leading-word-is-a-name",
        "two-direction-side",
        "nian-tens",
        "sa-tens-and-nian",
    ],
)
def test_normalize(query: str, text: str, qualifiers: tuple[str, ...]) -> None:
    result = normalize(query)
    assert (result.text, result.qualifiers) == (text, qualifiers)


def test_protected_names_keep_their_numerals() -> None:
    protected = protect(["第一号楼大厦", "第一"])
    assert normalize("第一号楼大厦3号楼", protected=protected).text == "第一号楼大厦3号楼"
    assert normalize("第一号楼大厦3号楼").text == "第1号楼大厦3号楼"


def test_names_are_protected_as_normalize_reads_them() -> None:
    """A gazetteer name in traditional script or full width keeps its numerals in simplified text too;
    names without numerals make no pattern."""
    protected = protect(["十七號街", "侨香路"])
    assert protected is not None and protected.pattern == "十七号街"
    assert normalize("十七號街三號", protected=protected).text == "十七号街3号"
    assert protect(["侨香路", "深南大道"]) is None


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("一百零八", 108),
        ("二〇八", 208),
        ("一千二百", 1200),
        ("两", 2),
        ("廿", 20),
        ("廿一", 21),
        ("卅五", 35),
        ("一百廿三", 123),
    ],
)
def test_chinese_to_int(numeral: str, value: int) -> None:
    assert chinese_to_int(numeral) == value


def test_emoji_and_symbols_vanish() -> None:
    assert normalize("😀🎉").text == ""
