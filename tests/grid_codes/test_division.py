"""Automatic unit-grid division: tiling, containment, order, area band, stability, bad input."""

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from grid_codes.division import (
    CellFlag,
    Community,
    Division,
    DivisionOptions,
    GridCell,
    divide_communities,
)
from grid_codes.errors import DivisionInputError

REPO = Path(__file__).resolve().parents[2]
OPTS = DivisionOptions()
A, B, C = "440304005001", "440304005002", "440304005003"

Scenario = tuple[list[Community], list[BaseGeometry]]


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data (or $ONEMAP_SHARED_DIR/data), or skip with the reason."""
    root = Path(os.environ.get("ONEMAP_SHARED_DIR") or REPO.parent / "shared")
    path = root.joinpath("data", *parts)
    if not path.exists():
        pytest.skip(f"../shared/data not present: {path} is needed for this real-data test")
    return path


def geojson(path: Path) -> list[dict]:
    """The features of a GeoJSON file."""
    features: list[dict] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def to_metres(geoms: list[BaseGeometry]) -> list[BaseGeometry]:
    """WGS84 geometries in their CGCS2000 Gauss-Krüger zone, as the onemap CLI projects them."""
    from gis.crs import WGS84, gauss_kruger_epsg, transform

    lon = float(np.mean(shapely.total_bounds(np.asarray(geoms, dtype=object))[[0, 2]]))
    return list(transform(np.asarray(geoms, dtype=object), WGS84, gauss_kruger_epsg(lon)))


def street(x0: float, y0: float, x1: float, y1: float) -> LineString:
    """A straight barrier."""
    return LineString([(x0, y0), (x1, y1)])


def town() -> Scenario:
    """Three communities (one an enclave in another's hole) and a street network over them."""
    enclave = box(400, 200, 520, 300)
    a = Polygon(box(0, 0, 1000, 600).exterior.coords, [enclave.exterior.coords])
    b = Polygon([(1000, 0), (1700, 0), (1700, 450), (1450, 600), (1000, 600)])
    barriers: list[BaseGeometry] = [street(x, -40, x + 20, 640) for x in (130, 260, 740, 905, 1180)]
    barriers += [street(-40, y, 1740, y + 10) for y in (150, 320, 480)]
    barriers += [
        street(0, 0, 1700, 600),  # a diagonal avenue
        Point(1400, 250).buffer(80).exterior,  # a ring road
        street(60, 600, 60, 520),  # a cul-de-sac
        street(820, 0, 820, 150.2),  # a lane ending 0.4 m short of the street at y ≈ 150.6
        street(600, 300, 690, 500),  # a footpath across a block
    ]
    return [Community(A, a), Community(B, b), Community(C, enclave)], barriers


def no_barriers() -> Scenario:
    """One large community without any barrier: only straight cuts divide it."""
    return [Community(A, box(0, 0, 730, 410))], []


def sanhe_township() -> Scenario:
    """齐心庄镇 from OSM (its ring self-intersects, so it is repaired) with the local roads."""
    features = geojson(shared_file("osm_sample_sanhe", "sanhe_osm_overpass.geojson"))
    town_geom = [shapely.geometry.shape(f["geometry"]) for f in features
                 if f["properties"].get("name") == "齐心庄镇"]
    roads = [shapely.geometry.shape(f["geometry"]) for f in features
             if f["properties"].get("highway")]
    metres = to_metres(town_geom + roads)
    return [Community("131082106001", metres[0])], metres[1:]


def sanhe_roads() -> Scenario:
    """A 2 × 1.6 km rectangle over the Sanhe streets, with an OSM mud polygon as a barrier."""
    features = geojson(shared_file("osm_sample_sanhe", "sanhe_osm_overpass.geojson"))
    streets = geojson(shared_file("osm_sample_sanhe", "sanhe_osm_streets.geojson"))
    roads = [shapely.geometry.shape(f["geometry"]) for f in streets]
    mud = [shapely.geometry.shape(f["geometry"]) for f in features
           if f["properties"].get("natural") == "mud"]
    metres = to_metres([Point(116.955, 40.035), *roads, *mud])
    centre, barriers = metres[0], metres[1:]
    area = box(centre.x - 1000, centre.y - 800, centre.x + 1000, centre.y + 800)
    return [Community("131082106002", area)], barriers


def futian_rectangles() -> Scenario:
    """Four 1 km² made-up communities over central Futian with the real OSM roads."""
    features = geojson(shared_file("roads_shenzhen_futian", "shenzhen_futian_edges.geojson"))
    roads = to_metres([shapely.geometry.shape(f["geometry"]) for f in features])
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(roads, dtype=object))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    communities = [
        Community(f"440304005{k + 1:03d}", box(cx + dx, cy + dy, cx + dx + 1000, cy + dy + 1000))
        for k, (dx, dy) in enumerate([(-1000, 0), (0, 0), (-1000, -1000), (0, -1000)])
    ]
    return communities, roads


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "generated-town": town,
    "generated-no-barriers": no_barriers,
    "real-sanhe-township": sanhe_township,
    "real-sanhe-roads": sanhe_roads,
    "real-futian-rectangles": futian_rectangles,
}


@pytest.fixture(scope="module", params=list(SCENARIOS), ids=list(SCENARIOS))
def divided(request: pytest.FixtureRequest) -> tuple[list[Community], Division]:
    """A scenario's communities and their division (computed once per module)."""
    communities, barriers = SCENARIOS[request.param]()
    return communities, divide_communities(communities, barriers)


def by_community(cells: list[GridCell]) -> dict[str, list[GridCell]]:
    """Cells grouped by community code."""
    groups: dict[str, list[GridCell]] = {}
    for cell in cells:
        groups.setdefault(cell.community_code, []).append(cell)
    return groups


def geometries(cells: list[GridCell]) -> np.ndarray:
    """The cells' geometries as an array."""
    return np.asarray([c.geometry for c in cells], dtype=object)


# --- invariants, on generated and real data --------------------------------------------------


def test_cell_areas_sum_to_community_area(divided: tuple[list[Community], Division]) -> None:
    communities, (cells, _) = divided
    groups = by_community(cells)
    for community in communities:
        total = sum(c.area_m2 for c in groups[community.code])
        assert total == pytest.approx(shapely.make_valid(community.geometry).area, rel=1e-4)


def test_union_of_cells_equals_community(divided: tuple[list[Community], Division]) -> None:
    communities, (cells, _) = divided
    groups = by_community(cells)
    for community in communities:
        expected = shapely.make_valid(community.geometry)
        union = shapely.union_all(geometries(groups[community.code]))
        assert shapely.symmetric_difference(union, expected).area <= 1e-4 * expected.area


def test_cells_do_not_overlap(divided: tuple[list[Community], Division]) -> None:
    _, (cells, _) = divided
    geoms = geometries(cells)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = i < j
    overlaps = shapely.area(shapely.intersection(geoms[i[pairs]], geoms[j[pairs]]))
    assert overlaps.max(initial=0.0) < 1e-3


def test_each_cell_lies_within_its_community(divided: tuple[list[Community], Division]) -> None:
    communities, (cells, _) = divided
    area = {c.code: shapely.make_valid(c.geometry).buffer(0.01) for c in communities}
    assert all(cell.geometry.within(area[cell.community_code]) for cell in cells)


def test_cells_of_a_community_form_a_valid_coverage(
    divided: tuple[list[Community], Division],
) -> None:
    _, (cells, _) = divided
    for group in by_community(cells).values():
        assert shapely.coverage_is_valid(geometries(group))


def test_cells_are_single_valid_polygons(divided: tuple[list[Community], Division]) -> None:
    _, (cells, _) = divided
    geoms = geometries(cells)
    assert set(shapely.get_type_id(geoms).tolist()) == {3}
    assert shapely.is_valid(geoms).all()


def test_code_is_community_code_and_three_digit_serial(
    divided: tuple[list[Community], Division],
) -> None:
    _, (cells, _) = divided
    for cell in cells:
        assert len(cell.code) == 15 and cell.code.isascii() and cell.code.isdigit()
        assert cell.code == f"{cell.community_code}{cell.serial:03d}"


def test_serials_count_from_one_without_gaps(divided: tuple[list[Community], Division]) -> None:
    _, (cells, _) = divided
    for group in by_community(cells).values():
        assert sorted(c.serial for c in group) == list(range(1, len(group) + 1))


def test_serials_run_west_to_east_then_north_to_south(
    divided: tuple[list[Community], Division],
) -> None:
    communities, (cells, _) = divided
    groups = by_community(cells)
    band = OPTS.row_band_m
    for community in communities:
        north = shapely.make_valid(community.geometry).bounds[3]
        group = groups[community.code]

        def rule(cell: GridCell, north: float = north) -> tuple[int, float, float]:
            c = cell.geometry.centroid
            return math.floor((north - c.y) / band), c.x, -c.y

        assert [c.serial for c in sorted(group, key=rule)] == sorted(c.serial for c in group)


def test_cells_outside_the_band_carry_a_reason(divided: tuple[list[Community], Division]) -> None:
    _, (cells, report) = divided
    reported = {code: reason for r in report.communities for code, reason in r.out_of_band}
    for cell in cells:
        in_band = OPTS.min_area_m2 <= cell.area_m2 <= OPTS.max_area_m2
        assert (cell.flag is CellFlag.IN_BAND) == in_band
        if not in_band:
            assert cell.note and reported[cell.code] == cell.note


def test_report_statistics_match_the_cells(divided: tuple[list[Community], Division]) -> None:
    _, (cells, report) = divided
    groups = by_community(cells)
    for r in report.communities:
        areas = [c.area_m2 for c in groups[r.community_code]]
        assert r.cell_count == len(areas)
        assert (r.area_min_m2, r.area_max_m2) == (min(areas), max(areas))
        assert r.area_median_m2 == pytest.approx(float(np.median(areas)))


# --- the area band -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario", ["generated-town", "generated-no-barriers", "real-futian-rectangles"]
)
def test_all_cells_in_band_where_faces_allow(scenario: str) -> None:
    communities, barriers = SCENARIOS[scenario]()
    cells, _ = divide_communities(communities, barriers)
    assert all(c.flag is CellFlag.IN_BAND for c in cells)


def test_large_face_is_cut_into_near_target_pieces() -> None:
    communities, barriers = no_barriers()
    cells, _ = divide_communities(communities, barriers)
    areas = np.array([c.area_m2 for c in cells])
    assert len(cells) == round(730 * 410 / OPTS.target_area_m2)
    assert np.all(np.abs(areas / OPTS.target_area_m2 - 1) < 0.25)


def test_small_face_joins_neighbour_with_longest_shared_edge() -> None:
    # Faces: left 100×100, a 30×40 corner face touching left (edge 40) and middle (edge 70).
    community = Community(A, box(0, 0, 200, 100))
    barriers = [street(100, 0, 100, 100), LineString([(100, 40), (130, 40), (130, 0)])]
    cells, _ = divide_communities([community], barriers)
    assert len(cells) == 2
    holder = next(c for c in cells if c.geometry.contains(Point(115, 20)))
    assert holder.geometry.contains(Point(160, 70)) and not holder.geometry.contains(Point(50, 50))
    assert holder.area_m2 == pytest.approx(10_000)


def test_narrow_strip_is_merged_even_when_its_area_is_in_band() -> None:
    # A 4 m wide, 1000 m long strip (4,000 m²) between two parallel roads.
    community = Community(A, box(0, 0, 1000, 204))
    cells, _ = divide_communities([community], [street(0, 100, 1000, 100), street(0, 104, 1000, 104)])
    widths = [2 * c.area_m2 / c.geometry.length for c in cells]
    assert min(widths) >= OPTS.min_sliver_width_m


def test_isolated_small_part_is_flagged_with_reason() -> None:
    island = box(300, 0, 330, 30)
    community = Community(A, MultiPolygon([box(0, 0, 100, 100), island]))
    cells, report = divide_communities([community], [])
    flagged = [c for c in cells if c.flag is CellFlag.BELOW_MIN]
    assert [c.geometry.equals(island) for c in flagged] == [True]
    assert "no neighbour in the same community" in flagged[0].note
    assert report.communities[0].out_of_band == ((flagged[0].code, flagged[0].note),)


def test_community_smaller_than_min_is_one_flagged_cell() -> None:
    cells, _ = divide_communities([Community(A, box(0, 0, 40, 40))], [])
    assert [(c.serial, c.flag) for c in cells] == [(1, CellFlag.BELOW_MIN)]
    assert "community itself" in cells[0].note


def test_polygon_barrier_divides_along_its_boundary() -> None:
    pond = box(20, 20, 80, 80)
    cells, _ = divide_communities([Community(A, box(0, 0, 200, 100))], [pond])
    assert sorted(round(c.area_m2) for c in cells) == [3_600, 16_400]
    assert any(c.geometry.equals(pond) for c in cells)


def test_plain_code_geometry_tuples_are_accepted() -> None:
    cells, _ = divide_communities([(A, box(0, 0, 100, 100))], [])
    assert [c.code for c in cells] == [f"{A}001"]


@pytest.mark.parametrize("snap, count", [(1.0, 2), (0.0, 1)], ids=["snapped", "not-snapped"])
def test_barrier_end_short_of_boundary_is_snapped(snap: float, count: int) -> None:
    community = Community(A, box(0, 0, 200, 100))
    opts = DivisionOptions(snap_tolerance_m=snap)
    cells, _ = divide_communities([community], [street(100, 0, 100, 99.5)], opts)
    assert len(cells) == count


def test_more_than_999_cells_is_an_error_naming_the_community() -> None:
    lines = [street(x, 0, x, 3200) for x in range(100, 3200, 100)]
    lines += [street(0, y, 3200, y) for y in range(100, 3200, 100)]
    with pytest.raises(DivisionInputError, match=rf"community {A} needs 1024 cells.*999"):
        divide_communities([Community(A, box(0, 0, 3200, 3200))], lines)


@given(
    xs=st.lists(st.floats(20, 880), min_size=0, max_size=6),
    ys=st.lists(st.floats(20, 480), min_size=0, max_size=5),
    tilt=st.floats(-30, 30),
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_street_grids_tile_the_community_within_band(
    xs: list[float], ys: list[float], tilt: float
) -> None:
    community = box(0, 0, 900, 500)
    barriers = [street(x, -10, x + tilt, 510) for x in xs]
    barriers += [street(-10, y, 910, y - tilt) for y in ys]
    cells, _ = divide_communities([Community(A, community)], barriers)
    geoms = geometries(cells)
    assert sum(c.area_m2 for c in cells) == pytest.approx(community.area, rel=1e-6)
    assert shapely.coverage_is_valid(geoms)
    for c in cells:
        assert c.flag is CellFlag.IN_BAND or "no neighbour" in c.note


# --- stability (相对稳定) ------------------------------------------------------------------------


def moved_footpath() -> tuple[Scenario, Scenario, BaseGeometry]:
    """The town before and after its footpath moved 30 m, and the street block it crosses."""
    communities, barriers = town()
    streets = shapely.union_all([c.geometry.boundary for c in communities] + barriers[:-1])
    block = next(face for face in shapely.get_parts(shapely.polygonize([streets]))
                 if face.contains(Point(650, 400)))
    moved = street(630, 300, 700, 500)
    return (communities, barriers), (communities, [*barriers[:-1], moved]), block.buffer(-1)


def test_identical_redivision_keeps_every_code() -> None:
    communities, barriers = town()
    first, _ = divide_communities(communities, barriers)
    again, report = divide_communities(communities, barriers, previous=first)
    assert [(c.code, c.geometry) for c in again] == [(c.code, c.geometry) for c in first]
    assert all(r.new_codes == 0 and not r.retired_codes for r in report.communities)


def test_moved_barrier_keeps_codes_and_geometry_away_from_the_change() -> None:
    before, after, zone = moved_footpath()
    first, _ = divide_communities(*before)
    second, _ = divide_communities(*after, previous=first)
    now = {c.code: c.geometry for c in second}
    away = [c for c in first if not c.geometry.intersects(zone)]
    assert len(away) > len(first) // 2
    for cell in away:
        # Equal up to T-junction vertices a moved cut leaves on a shared edge (sub-millimetre).
        assert cell.code in now and shapely.hausdorff_distance(now[cell.code], cell.geometry) < 1e-3


def test_moved_barrier_gives_changed_cells_new_serials_after_the_highest() -> None:
    before, after, _ = moved_footpath()
    first, _ = divide_communities(*before)
    second, report = divide_communities(*after, previous=first)
    old_codes = {c.code for c in first}
    highest = max(c.serial for c in first if c.community_code == A)
    fresh = [c for c in second if c.code not in old_codes]
    assert fresh and all(c.community_code == A and c.serial > highest for c in fresh)
    retired = {code for r in report.communities for code in r.retired_codes}
    assert retired and retired.isdisjoint(c.code for c in second)


def test_highest_serials_keeps_retired_serials_unused() -> None:
    before, after, _ = moved_footpath()
    first, _ = divide_communities(*before)
    second, _ = divide_communities(*after, previous=first, highest_serials={A: 700})
    fresh = [c.serial for c in second if c.code not in {p.code for p in first}]
    assert fresh and min(fresh) == 701


# --- bad input -----------------------------------------------------------------------------------


def test_invalid_community_is_repaired_and_reported() -> None:
    bowtie = Polygon([(0, 0), (200, 200), (200, 0), (0, 200)])
    cells, report = divide_communities([Community(A, bowtie)], [])
    assert [r.feature for r in report.repairs] == [f"community {A} (index 0)"]
    assert "Self-intersection" in report.repairs[0].reason
    assert sum(c.area_m2 for c in cells) == pytest.approx(20_000)


def test_invalid_barrier_is_reported_not_dropped_silently() -> None:
    degenerate = LineString([(50, 0), (50, 0)])
    _, report = divide_communities([Community(A, box(0, 0, 100, 100))], [degenerate])
    assert [r.feature for r in report.repairs] == ["barrier 0"]
    assert "ignored" in report.repairs[0].result


def test_real_invalid_township_boundary_is_repaired_and_reported() -> None:
    communities, barriers = sanhe_township()
    _, report = divide_communities(communities, barriers)
    assert [r.feature for r in report.repairs] == ["community 131082106001 (index 0)"]


def test_overlapping_communities_are_rejected_naming_both_codes() -> None:
    communities = [Community(A, box(0, 0, 200, 200)), Community(B, box(150, 0, 350, 200))]
    with pytest.raises(DivisionInputError, match=rf"communities {A} and {B} overlap by 10000"):
        divide_communities(communities, [])


def test_overlap_within_tolerance_is_trimmed_and_reported() -> None:
    communities = [Community(B, box(0, 0, 200, 200)), Community(A, box(199.998, 0, 400, 200))]
    cells, report = divide_communities(communities, [])
    assert [(t.community_code, t.other_code) for t in report.trims] == [(B, A)]
    geoms = geometries(cells)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert shapely.area(shapely.intersection(geoms[i[i < j]], geoms[j[i < j]])).max() < 1e-6


SQUARE = box(0, 0, 100, 100)
BAD_INPUT = {
    "code-missing": ([Community._make([None, SQUARE])], [], "community at index 0 has no code"),
    "code-short": ([Community("44030400500", SQUARE)], [], "index 0 has a malformed code"),
    "code-full-width": ([Community("４４０３０４００５００１", SQUARE)], [], "index 0 has a malformed"),
    "code-int": ([Community._make([440304005001, SQUARE])], [], "index 0 has a malformed code"),
    "code-twice": ([Community(A, SQUARE), Community(A, box(200, 0, 300, 100))], [],
                   f"{A} appears twice"),
    "geometry-empty": ([Community(A, Polygon())], [], f"community {A} .index 0. has an empty"),
    "geometry-none": ([Community._make([A, None])], [], f"community {A} .index 0. has no geometry"),
    "not-a-pair": ([(A, SQUARE, "extra")], [], "community at index 0 is not a .code, geometry. pair"),
    "geometry-line": ([Community(A, street(0, 0, 1, 1))], [], "is a LineString; expected Polygon"),
    "geometry-inf": ([Community(A, Polygon([(0, 0), (100, 0), (100, math.inf), (0, 0)]))], [],
                     "non-finite coordinates"),
    "degrees": ([Community(A, box(114.0, 22.5, 114.01, 22.51))], [], "longitude/latitude degrees"),
    "barrier-empty": ([Community(A, SQUARE)], [LineString()], "barrier 0 has an empty geometry"),
    "barrier-point": ([Community(A, SQUARE)], [street(0, 0, 9, 9), Point(5, 5)],
                      "barrier 1 is a Point"),
    "barrier-none": ([Community(A, SQUARE)], [None], "barrier 0 has no geometry"),
}


@pytest.mark.parametrize("communities, barriers, message", BAD_INPUT.values(), ids=BAD_INPUT)
def test_bad_input_is_rejected_naming_the_feature(
    communities: list[Community], barriers: list[BaseGeometry], message: str
) -> None:
    with pytest.raises(DivisionInputError, match=message):
        divide_communities(communities, barriers)


BAD_OPTIONS = {
    "target-zero": {"target_area_m2": 0.0},
    "min-ratio-above-one": {"min_area_ratio": 1.2, "max_area_ratio": 3.0},
    "max-ratio-below-one": {"max_area_ratio": 0.9},
    "band-too-narrow": {"min_area_ratio": 0.6, "max_area_ratio": 1.1},
    "negative-snap": {"snap_tolerance_m": -1.0},
    "zero-row-height": {"row_height_m": 0.0},
}


@pytest.mark.parametrize("kwargs", BAD_OPTIONS.values(), ids=BAD_OPTIONS)
def test_inconsistent_options_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(DivisionInputError):
        DivisionOptions(**kwargs)


def test_division_modules_stay_pure() -> None:
    script = (
        "import sys, grid_codes.division\n"
        "bad = {'gis', 'layers', 'tiles', 'geocoder', 'psycopg', 'fastapi', 'pandas'}\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in bad)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=60, cwd=REPO)
    assert result.stdout.strip() == ""
