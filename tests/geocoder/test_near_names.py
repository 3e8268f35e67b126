"""A near name is accepted only when it can name the same road or place (geocoder.near_names)."""

import pytest

from geocoder.forward import geocode
from geocoder.gazetteer import Gazetteer
from geocoder.near_names import Kinship, road_kinship, road_parts
from tests.geocoder.snapshots import county, snapshot


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("南山西路", ("南山", "西", "路")),
        ("新丰二路", ("新丰", "2", "路")),
        ("董任西二路", ("董任", "西2", "路")),
        ("侨香大道", ("侨香", "", "大道")),
        ("湖滨一里", ("湖滨", "1", "里")),
        ("河南路", ("河南", "", "路")),  # a stem keeps two characters: not 河 + 南
        ("河东二路", ("河东", "2", "路")),
        ("五一路", ("五一", "", "路")),
    ],
)
def test_a_road_name_is_stem_modifiers_and_generic_word(name: str, parts: tuple[str, str, str]) -> None:
    assert road_parts(name) == parts


@pytest.mark.parametrize(
    ("written", "known", "kinship"),
    [
        ("侨香大路", "侨香路", Kinship.SAME),
        ("新丰2路", "新丰二路", Kinship.SAME),
        ("南山西路", "南山路", Kinship.SIBLING),
        ("海景路", "海景东路", Kinship.SIBLING),
        ("滨湖北二路", "枋湖北二路", None),
        ("凤山庙路", "凤山路", None),
        ("城南路", "环城南路", None),
        ("湖南路", "河南路", None),
    ],
)
def test_near_road_names_are_the_road_a_sibling_or_another(
    written: str, known: str, kinship: Kinship | None
) -> None:
    assert road_kinship(written, known) is kinship


def _two_counties() -> Gazetteer:
    """思明区 and 集美区 as two squares, with plates on three roads of 思明区 and three of its POIs."""
    plates = [
        ("南山路", 549, None, None, 118.05, 24.45),
        ("南山路", 553, None, None, 118.051, 24.45),
        ("枋湖北二路", 70, None, None, 118.02, 24.42),
        ("凤山路", 110, None, None, 118.07, 24.47),
        ("凤山路", 114, None, None, 118.071, 24.47),
    ]
    pois = [
        ("厦门产业技术研究院创新大厦", "写字楼", None, 118.03, 24.43),
        ("沙坡尾创意港", "产业园区", None, 118.04, 24.44),
        ("厦门大学附属成功医院", "医院", "福建省厦门市思明区厦门大学附属成功医院", 118.06, 24.46),
    ]
    areas = [
        county("350203", "思明区", (118.0, 24.4, 118.1, 24.5)),
        county("350211", "集美区", (118.1, 24.5, 118.2, 24.6)),
    ]
    return snapshot(areas, plates=plates, pois=pois)


def test_a_road_of_another_stem_is_no_answer() -> None:
    """滨湖北二路 is not 枋湖北二路 written wrong: one character apart, 12 km apart in Xiamen."""
    result = geocode(_two_counties(), "滨湖北二路70号")
    assert result.candidates == [] and result.reason


def test_a_sibling_road_answers_at_road_level_without_the_door_number() -> None:
    best = geocode(_two_counties(), "南山西路551号").candidates[0]
    assert (best.level, best.elements) == ("road", {"road": "南山路"})
    assert best.score < geocode(_two_counties(), "南山路").candidates[0].score


def test_a_road_outside_the_county_of_the_named_town_falls_back_to_that_county() -> None:
    """灌口镇 lies in 集美区: 凤山路 of 思明区 is another road, so the case goes to 集美区."""
    gaz = _two_counties()
    result = geocode(gaz, "灌口镇凤山路112号")
    assert [(c.level, c.county_code) for c in result.candidates] == [("district", "350211")]
    assert geocode(gaz, "凤山路112号").candidates[0].level == "interpolated"  # the road alone is found


def test_a_near_place_name_must_begin_as_the_written_one() -> None:
    gaz = _two_counties()
    assert geocode(gaz, "创新大厦").candidates == []  # the generic tail of another building's name
    best = geocode(gaz, "沙坡尾").candidates[0]
    assert (best.level, best.elements) == ("poi", {"poi": "沙坡尾创意港"})


def test_a_near_address_is_alike_beyond_the_county_names_it_begins_with() -> None:
    """Two hospitals of 思明区 share 福建省厦门市思明区厦门大学附属…, which makes them no more alike."""
    gaz = _two_counties()
    best = geocode(gaz, "福建省厦门市思明区厦门大学附属第一医院").candidates[0]
    assert (best.level, best.county_code) == ("district", "350203")
    assert geocode(gaz, "福建省厦门市思明区厦门大学附属成功医院").candidates[0].level == "poi"
