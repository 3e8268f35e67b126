"""A road-level answer lies on the road inside the street, community or county the address names."""

import shapely

from geocoder.forward import geocode
from geocoder.gazetteer import Gazetteer
from tests.geocoder.snapshots import area, county, road, snapshot


def _two_streets() -> Gazetteer:
    """思明区 as two streets side by side, 湖滨路 running through both and 镇海路 through one, and 集美区
    beside it, with a road of 思明区's name (中山路) in both counties; the longer 中山路 lies in 思明区."""
    return snapshot(
        [
            county("350203", "思明区", (118.0, 24.4, 118.1, 24.5)),
            area("350203001", "street", "厦港街道", (118.0, 24.4, 118.05, 24.5)),
            area("350203003", "street", "中华街道", (118.05, 24.4, 118.1, 24.5)),
            county("350211", "集美区", (118.1, 24.4, 118.2, 24.5)),
        ],
        roads=[
            road("湖滨路", (118.01, 24.45), (118.09, 24.45)),
            road("中山路", (118.01, 24.42), (118.08, 24.42)),
            road("中山路", (118.15, 24.42), (118.18, 24.42)),
            road("镇海路", (118.06, 24.48), (118.09, 24.48)),
        ],
    )


def test_a_road_across_two_streets_answers_in_the_street_named() -> None:
    gaz = _two_streets()
    for street, code in (("厦港街道", "350203001"), ("中华街道", "350203003")):
        first = geocode(gaz, f"{street}湖滨路").candidates[0]
        assert (first.level, first.street_code, first.score) == ("road", code, 0.6)
        assert first.lat == 24.45


def test_a_road_name_in_two_counties_answers_in_the_county_named() -> None:
    gaz = _two_streets()
    for district, code in (("思明区", "350203"), ("集美区", "350211")):
        first = geocode(gaz, f"{district}中山路").candidates[0]
        assert (first.level, first.county_code, first.score) == ("road", code, 0.6)


def test_a_road_without_a_unit_named_answers_at_its_own_point() -> None:
    first = geocode(_two_streets(), "中山路").candidates[0]
    assert (first.level, first.county_code) == ("road", "350203")  # the middle of its longest part


def test_a_street_the_road_does_not_run_through_leaves_its_county_to_place_it() -> None:
    """镇海路 lies in 中华街道 only: written with 厦港街道, it is the 镇海路 of their county, at a lower
    score."""
    first = geocode(_two_streets(), "厦港街道镇海路").candidates[0]
    assert (first.level, first.street_code, first.score) == ("road", "350203003", 0.42)


def test_a_community_name_of_two_counties_is_the_loaded_one() -> None:
    """龙山社区 is a community of 思明区 and one of 集美区; only 思明区's is loaded, and the road runs
    through it: the answer lies on the road inside it, not at the road's middle."""
    gaz = snapshot(
        [
            county("350203", "思明区", (118.0, 24.4, 118.1, 24.5)),
            county("350211", "集美区", (118.1, 24.4, 118.2, 24.5)),
            area("350203011051", "community", "龙山社区居委会", (118.0, 24.4, 118.02, 24.5)),
        ],
        roads=[road("龙山南路", (118.01, 24.45), (118.09, 24.45))],
    )
    first = geocode(gaz, "龙山社区龙山南路").candidates[0]
    assert (first.level, first.community_code) == ("road", "350203011051")


def test_demo_roads_across_streets_answer_in_the_street_named(demo_gazetteer: Gazetteer) -> None:
    """Every demo road that runs through more than one street: named with each street, the answer is a
    road-level one inside that street."""
    gaz = demo_gazetteer
    checked = 0
    for name, line in gaz.road_lines.items():
        inside = shapely.length(shapely.intersection(line, gaz.streets.geoms))
        streets = gaz.streets.codes[inside > 0.0005]
        if len(streets) < 2:
            continue
        for code in streets:
            street = gaz.admin.by_code[code].name
            first = geocode(gaz, f"{street}{name}").candidates[0]
            assert (first.level, first.street_code) == ("road", code), (street, name)
            checked += 1
    assert checked >= 10
