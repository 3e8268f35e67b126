"""CRS handling: GCJ-02/BD-09 offsets, --crs parsing, reprojection to CGCS2000, swapped lon/lat."""

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from pyproj import CRS, Geod, Transformer

from gis.crs import (
    CGCS2000,
    WGS84,
    CrsSpec,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_cgcs2000,
    gauss_kruger_epsg,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_offset_area,
    parse_crs,
    swapped_lon_lat,
    to_cgcs2000,
    unshifted_datum_note,
    web_mercator_in_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
    xy_from_cgcs2000,
    xy_to_cgcs2000,
)
from gis.errors import InvalidParameter
from tests.city_grid import CITY_GRID

GEOD = Geod(ellps="WGS84")


def _metres(lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def _reference_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Scalar GCJ-02 written independently from the published model, as an oracle for the vector code."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    s = math.sin
    pi = math.pi
    t_lat = -100 + 2 * x + 3 * y + 0.2 * y**2 + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    t_lat += (20 * s(6 * pi * x) + 20 * s(2 * pi * x)) * 2 / 3
    t_lat += (20 * s(pi * y) + 40 * s(pi * y / 3)) * 2 / 3
    t_lat += (160 * s(pi * y / 12) + 320 * s(pi * y / 30)) * 2 / 3
    t_lon = 300 + x + 2 * y + 0.1 * x**2 + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    t_lon += (20 * s(6 * pi * x) + 20 * s(2 * pi * x)) * 2 / 3
    t_lon += (20 * s(pi * x) + 40 * s(pi * x / 3)) * 2 / 3
    t_lon += (150 * s(pi * x / 12) + 300 * s(pi * x / 30)) * 2 / 3
    phi = lat * pi / 180
    w = 1 - ee * s(phi) ** 2
    d_lat = t_lat * 180 / (a * (1 - ee) / (w * math.sqrt(w)) * pi)
    d_lon = t_lon * 180 / (a / math.sqrt(w) * math.cos(phi) * pi)
    return lon + d_lon, lat + d_lat


# Published vectors of the widely used coordtransform implementations (input 116.404, 39.915 near Tiananmen),
# reproduced identically in many independent ports.
BEIJING = (116.404, 39.915)


def test_wgs84_to_gcj02_matches_published_beijing_vector() -> None:
    lon, lat = wgs84_to_gcj02(*BEIJING)
    assert_allclose([lon, lat], [116.41024449916938, 39.91640428150164], rtol=0, atol=1e-12)


def test_gcj02_to_bd09_matches_published_beijing_vector() -> None:
    lon, lat = gcj02_to_bd09(*BEIJING)
    assert_allclose([lon, lat], [116.41036949371029, 39.92133699351021], rtol=0, atol=1e-12)


def test_wgs84_to_bd09_matches_published_beijing_vector() -> None:
    lon, lat = wgs84_to_bd09(*BEIJING)
    assert_allclose([lon, lat], [116.41662724378733, 39.922699552216216], rtol=0, atol=1e-12)


def test_bd09_to_gcj02_refines_the_published_closed_form() -> None:
    """The closed form gives (116.39762729119315, 39.90865673957631); iteration moves it by < 1 m."""
    lon, lat = bd09_to_gcj02(*BEIJING)
    assert _metres(lon, lat, 116.39762729119315, 39.90865673957631) < 1.0
    assert_allclose(gcj02_to_bd09(lon, lat), BEIJING, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(114.02, 22.53), (116.404, 39.915), (121.4737, 31.2304), (87.6, 43.8), (126.6, 45.75), (109.5, 18.25)],
    ids=["shenzhen", "beijing", "shanghai", "urumqi", "harbin", "sanya"],
)
def test_vector_code_agrees_with_scalar_oracle(lon: float, lat: float) -> None:
    assert_allclose(wgs84_to_gcj02(lon, lat), _reference_gcj02(lon, lat), rtol=0, atol=1e-12)


def test_shenzhen_offset_magnitude_and_direction() -> None:
    """roads_shenzhen_futian/README.md in ../shared/data says about 500–600 m; the model gives ≈605 m ESE."""
    lon = np.array([113.99702, 114.03988, 114.02])
    lat = np.array([22.51666, 22.55052, 22.53])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    azimuth, _, distance = GEOD.inv(lon, lat, g_lon, g_lat)
    assert np.all((distance > 500) & (distance < 650))
    assert np.all((np.asarray(azimuth) > 110) & (np.asarray(azimuth) < 130))  # east-south-east
    assert np.all(g_lon > lon) and np.all(g_lat < lat)


def _china_grid(step: float) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.arange(73.5, 135.0, step), np.arange(18.0, 53.5, step))
    return lon.ravel(), lat.ravel()


def test_gcj02_round_trip_over_china_grid() -> None:
    lon, lat = _china_grid(0.25)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.01


def test_bd09_round_trip_over_china_grid() -> None:
    lon, lat = _china_grid(0.25)
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.01
    gcj = gcj02_to_wgs84(lon, lat)
    assert _metres(*gcj, *bd09_to_wgs84(*wgs84_to_bd09(*gcj))).max() < 0.01


china_points = st.lists(
    st.tuples(st.floats(73.0, 135.0), st.floats(18.0, 53.5)), min_size=1, max_size=64
).map(lambda pts: (np.array([p[0] for p in pts]), np.array([p[1] for p in pts])))


@settings(max_examples=200, deadline=None)
@given(china_points)
def test_gcj02_round_trip_error_below_half_metre(points: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = points
    assert _metres(lon, lat, *gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))).max() < 0.5


@settings(max_examples=200, deadline=None)
@given(china_points)
def test_bd09_round_trip_error_below_half_metre(points: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = points
    assert _metres(lon, lat, *bd09_to_wgs84(*wgs84_to_bd09(lon, lat))).max() < 0.5
    assert _metres(lon, lat, *bd09_to_gcj02(*gcj02_to_bd09(lon, lat))).max() < 0.5


# Paris, New York, Sydney, null island, north of the box, south of the box.
OUTSIDE = (
    np.array([2.3522, -74.006, 151.21, 0.0, 139.69, 114.0]),
    np.array([48.8566, 40.71, -33.87, 0.0, 56.5, 0.5]),
)
Conversion = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
CONVERSIONS: list[Conversion] = [
    wgs84_to_gcj02,
    gcj02_to_wgs84,
    gcj02_to_bd09,
    bd09_to_gcj02,
    wgs84_to_bd09,
    bd09_to_wgs84,
]


@pytest.mark.parametrize("convert", CONVERSIONS, ids=lambda f: f.__name__)
def test_points_outside_china_are_unchanged(convert: Conversion) -> None:
    lon, lat = convert(*OUTSIDE)
    assert_array_equal(lon, OUTSIDE[0])
    assert_array_equal(lat, OUTSIDE[1])


@pytest.mark.parametrize("convert", CONVERSIONS, ids=lambda f: f.__name__)
def test_conversions_keep_shape_and_propagate_nan(convert: Conversion) -> None:
    lon = np.array([[114.02, np.nan], [116.4, 121.5]])
    lat = np.array([[22.53, 22.5], [np.nan, 31.2]])
    out_lon, out_lat = convert(lon, lat)
    assert out_lon.shape == out_lat.shape == (2, 2)
    assert np.isnan(out_lon[0, 1]) and np.isnan(out_lat[1, 0])
    assert np.all(np.isfinite(out_lon[[0, 1], [0, 1]]))


def test_offset_area_is_the_rough_china_bbox() -> None:
    inside = in_offset_area([114.0, 72.0, 137.9, 100.0, 100.0], [22.5, 30.0, 30.0, 0.8, 55.9])
    assert inside.tolist() == [True, False, False, False, False]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EPSG:4490", CrsSpec(epsg=4490)),
        ("epsg:4547", CrsSpec(epsg=4547)),
        ("4490", CrsSpec(epsg=4490)),
        (" 4326 ", CrsSpec(epsg=4326)),
        ("EPSG:4513", CrsSpec(epsg=4513)),
        ("wgs84", CrsSpec(epsg=WGS84)),
        ("WGS-84", CrsSpec(epsg=WGS84)),
        ("CGCS2000", CrsSpec(epsg=CGCS2000)),
        ("gcj02", CrsSpec(offset="gcj02")),
        ("GCJ-02", CrsSpec(offset="gcj02")),
        ("bd09", CrsSpec(offset="bd09")),
        ("BD-09", CrsSpec(offset="bd09")),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_parse_crs_accepts(text: str, expected: CrsSpec) -> None:
    assert parse_crs(text) == expected
    assert CrsSpec.parse(str(expected)) == expected


HOSTILE = [
    "",
    "   ",
    "EPSG:",
    "EPSG:abc",
    "EPSG:-4490",
    "4490.0",
    "EPSG::4490",
    "urn:ogc:def:crs:EPSG::4490",
    "+proj=longlat +datum=WGS84",
    "EPSG:4490; DROP TABLE components",
    "EPSG:4490\n4326",
    "４４９０",  # full-width digits
    "EPSG:４４９０",
    "gcj",
    "gcj-02-",
    "bd09ll",
    "mars",
    "EPSG:99999",  # not in the PROJ database
    "EPSG:1234567",
    "EPSG:0",
    "EPSG:5773",  # vertical CRS
    "EPSG:4978",  # geocentric
    "EPSG:7405",  # compound
    "epsg:4490\x00",
    "x" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t)[:24])
def test_parse_crs_rejects_hostile_input(text: str) -> None:
    with pytest.raises(InvalidParameter) as excinfo:
        parse_crs(text)
    assert repr(text[:20])[:-1] in str(excinfo.value)
    assert len(str(excinfo.value)) < 300


def test_parse_crs_rejects_non_string() -> None:
    with pytest.raises(InvalidParameter):
        parse_crs(4490)  # type: ignore[arg-type]


def test_crs_spec_is_either_epsg_or_offset() -> None:
    with pytest.raises(InvalidParameter):
        CrsSpec()
    with pytest.raises(InvalidParameter):
        CrsSpec(epsg=4490, offset="gcj02")


@pytest.mark.parametrize(
    ("text", "geographic"),
    [("EPSG:4490", True), ("gcj02", True), ("bd09", True), ("EPSG:4547", False), ("EPSG:3857", False)],
    ids=lambda v: str(v),
)
def test_crs_spec_is_geographic(text: str, geographic: bool) -> None:
    assert parse_crs(text).is_geographic is geographic


def test_to_cgcs2000_from_gauss_kruger_agrees_with_pyproj() -> None:
    line = shapely.LineString([(480_000, 2.49e6), (5.1e5, 2.5e6)])
    geoms = np.array([shapely.Point(500_000, 2_495_000), None, line])
    out = to_cgcs2000(geoms, parse_crs("EPSG:4547"))
    assert out[1] is None
    oracle = Transformer.from_crs(4547, 4490, always_xy=True)
    expected = np.column_stack(oracle.transform([500_000, 480_000, 510_000], [2_495_000, 2.49e6, 2.5e6]))
    assert_allclose(shapely.get_coordinates(out[[0, 2]]), expected, rtol=0, atol=1e-9)


def test_to_cgcs2000_from_gcj02_keeps_z_and_none() -> None:
    geoms = np.array([shapely.LineString([(114.02, 22.53, 3.5), (114.03, 22.54, 4.0)]), None], dtype=object)
    out = to_cgcs2000(geoms, parse_crs("gcj02"))
    assert out[1] is None
    coords = shapely.get_coordinates(out[0], include_z=True)
    assert_allclose(coords[:, 2], [3.5, 4.0])
    assert_allclose(coords[:, :2], np.column_stack(gcj02_to_wgs84([114.02, 114.03], [22.53, 22.54])))


def test_to_cgcs2000_from_bd09() -> None:
    out = to_cgcs2000(np.array([shapely.Point(BEIJING)]), parse_crs("bd09"))
    assert_allclose(shapely.get_coordinates(out)[0], np.ravel(bd09_to_wgs84(*BEIJING)))


def test_to_cgcs2000_identity_and_wgs84() -> None:
    geoms = np.array([shapely.Point(114.02, 22.53)])
    assert shapely.equals(to_cgcs2000(geoms, CrsSpec(epsg=CGCS2000))[0], geoms[0])
    moved = to_cgcs2000(geoms, CrsSpec(epsg=WGS84))[0]
    assert _metres(114.02, 22.53, moved.x, moved.y) < 0.05


@pytest.mark.parametrize("target", ["EPSG:4490", "EPSG:4326", "EPSG:4547", "EPSG:3857", "gcj02", "bd09"])
def test_from_cgcs2000_inverts_to_cgcs2000(target: str) -> None:
    line = shapely.LineString([(114.02, 22.53, 1.0), (114.03, 22.54, 2.0)])
    geoms = np.array([shapely.Point(114.05, 22.54), None, line], dtype=object)
    spec = parse_crs(target)
    out = from_cgcs2000(geoms, spec)
    assert out[1] is None and shapely.get_coordinates(out[2], include_z=True)[:, 2].tolist() == [1.0, 2.0]
    back = shapely.get_coordinates(to_cgcs2000(out, spec))
    start = shapely.get_coordinates(geoms)
    assert _metres(start[:, 0], start[:, 1], back[:, 0], back[:, 1]).max() < 0.01


@pytest.mark.parametrize("other", ["EPSG:4490", "EPSG:4326", "EPSG:4547", "EPSG:3857", "gcj02", "bd09"])
def test_coordinate_arrays_convert_like_geometries(other: str) -> None:
    """The geocoder converts bare coordinate arrays; they must land where the geometries do."""
    spec = parse_crs(other)
    lon, lat = np.array([114.05, 118.1]), np.array([22.54, 24.5])
    points = shapely.points(lon, lat)
    x, y = xy_from_cgcs2000(lon, lat, spec)
    assert_allclose(np.column_stack([x, y]), shapely.get_coordinates(from_cgcs2000(points, spec)))
    back_x, back_y = xy_to_cgcs2000(x, y, spec)
    assert_allclose(np.column_stack([back_x, back_y]),
                    shapely.get_coordinates(to_cgcs2000(shapely.points(x, y), spec)))
    assert _metres(lon, lat, back_x, back_y).max() < 0.01
    assert xy_to_cgcs2000(lon, lat, None)[0].tolist() == lon.tolist()


@pytest.mark.parametrize(
    ("x", "y", "swapped"),
    [
        (114.05, 22.54, False),
        (22.54, 114.05, True),
        (39.9, 116.4, True),
        (116.4, 39.9, False),
        (500_000.0, 2_500_000.0, False),
        (2.35, 48.85, False),
        (48.85, 2.35, False),
        (float("nan"), 114.0, False),
        (53.9, 73.1, True),
    ],
    ids=["futian", "futian-swap", "beijing-swap", "beijing", "metres", "paris", "paris-swap", "nan", "edge"],
)
def test_swapped_lon_lat(x: float, y: float, swapped: bool) -> None:
    assert swapped_lon_lat(np.array([x]), np.array([y])).tolist() == [swapped]


@pytest.mark.parametrize("central_meridian", range(75, 136, 3))
def test_gauss_kruger_zones_match_pyproj_names(central_meridian: int) -> None:
    for lon in (central_meridian - 1.4, central_meridian, central_meridian + 1.4):
        name = CRS.from_epsg(gauss_kruger_epsg(lon)).name
        assert name == f"CGCS2000 / 3-degree Gauss-Kruger CM {central_meridian}E"


@pytest.mark.parametrize("lon", [70.0, 140.0, -114.0], ids=str)
def test_gauss_kruger_outside_china(lon: float) -> None:
    with pytest.raises(InvalidParameter):
        gauss_kruger_epsg(lon)


# ---- CRSs without an EPSG code: a city's independent grid ------------------------------------------------

def test_a_proj_string_of_a_city_grid_is_a_definition_that_converts_both_ways() -> None:
    spec = parse_crs(CITY_GRID, definitions=True)
    assert spec.epsg is None and spec.definition is not None and not spec.is_geographic
    assert "+lon_0=114.05" in str(spec) and str(spec).endswith("(no EPSG code)")
    lon, lat = np.array([114.03, 114.06]), np.array([22.53, 22.55])
    expected = Transformer.from_crs(CGCS2000, CRS.from_proj4(CITY_GRID), always_xy=True).transform(lon, lat)
    grid = from_cgcs2000(shapely.points(lon, lat), spec)
    assert_allclose(shapely.get_coordinates(grid), np.column_stack(expected), atol=1e-6)
    assert_allclose(shapely.get_coordinates(to_cgcs2000(grid, spec)), np.column_stack([lon, lat]), atol=1e-10)


def test_a_definition_of_an_epsg_crs_is_its_code(tmp_path) -> None:
    prj = tmp_path / "zone.prj"
    prj.write_text(CRS.from_epsg(4547).to_wkt("WKT1_ESRI"), encoding="utf-8")
    assert parse_crs(str(prj), definitions=True) == CrsSpec(epsg=4547)
    wgs84 = "+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs"
    assert parse_crs(wgs84, definitions=True) == CrsSpec(epsg=4326)


@pytest.mark.parametrize(("text", "message"), [
    ('LOCAL_CS["site",LOCAL_DATUM["site",0],UNIT["metre",1]]', "is not a 2D geographic or projected CRS"),
    ("+proj=nonsense", "is not a CRS definition PROJ reads"),
    ("/nowhere/city.prj", "CRS file /nowhere/city.prj does not exist"),
])
def test_unusable_definitions_are_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse_crs(text, definitions=True)


def test_definitions_are_only_read_where_asked_for() -> None:
    with pytest.raises(InvalidParameter, match="unknown CRS"):
        parse_crs(CITY_GRID)


# ---- datums without a published transformation to CGCS2000: Xian 1980, Beijing 1954 ---------------------

# made-up seven parameters of the kind a surveying authority publishes for a city
XIAN80_PARAMETERS = "+towgs84=24,-123,-94,0.02,-0.25,-0.13,1.1"
XIAN80_GRID = "+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=IAU76 +units=m"


@pytest.mark.parametrize("written", ["proj", "prj"])
def test_seven_parameters_given_with_the_crs_shift_the_datum(tmp_path, written: str) -> None:
    bound = CRS.from_proj4(f"{XIAN80_GRID} {XIAN80_PARAMETERS}")
    if written == "prj":  # a .prj as GDAL writes it, TOWGS84[…] in the datum
        prj = tmp_path / "xian80.prj"
        prj.write_text(bound.to_wkt("WKT1_GDAL"), encoding="utf-8")
        spec = parse_crs(str(prj), definitions=True)
    else:
        spec = parse_crs(f"{XIAN80_GRID} {XIAN80_PARAMETERS}", definitions=True)
    assert spec.definition is not None  # not collapsed to EPSG:2383, which would lose the parameters
    grid = shapely.points([501028.7, 498100.0], [2492489.4, 2495600.0])
    converted = shapely.get_coordinates(to_cgcs2000(grid, spec))
    helmert = Transformer.from_crs(bound, WGS84, always_xy=True).transform([501028.7, 498100.0],
                                                                          [2492489.4, 2495600.0])
    assert_allclose(converted, np.column_stack(helmert), atol=1e-9)
    unshifted = shapely.get_coordinates(to_cgcs2000(grid, parse_crs(XIAN80_GRID, definitions=True)))
    _, _, apart = Geod(ellps="GRS80").inv(converted[:, 0], converted[:, 1], unshifted[:, 0], unshifted[:, 1])
    assert (apart > 20).all()  # the parameters move the points, as the survey's datum needs
    back = shapely.get_coordinates(from_cgcs2000(shapely.points(converted), spec))
    assert_allclose(back, shapely.get_coordinates(grid), atol=0.005)
    assert unshifted_datum_note(spec, to_cgcs2000=True) is None


@pytest.mark.parametrize(("text", "datum", "template"), [
    ("EPSG:2383", "Xian 1980", XIAN80_GRID),
    ("EPSG:2435", "Beijing 1954", "+proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=krass "
                                  "+units=m"),
    ("EPSG:4214", "Beijing 1954", "+proj=longlat +ellps=krass"),
    ("EPSG:4610", "Xian 1980", "+proj=longlat +ellps=IAU76"),
    # a grid of its own on the Beijing 1954 ellipsoid: no EPSG code
    ("+proj=tmerc +lat_0=0 +lon_0=114.5 +k=1 +x_0=50000 +y_0=0 +ellps=krass +units=m",
     "on the Krassovsky, 1942 ellipsoid",
     "+proj=tmerc +lat_0=0 +lon_0=114.5 +k=1 +x_0=50000 +y_0=0 +ellps=krass +units=m"),
])
def test_a_datum_converted_without_a_shift_is_named_with_how_to_shift_it(text: str, datum: str,
                                                                       template: str) -> None:
    spec = parse_crs(text, definitions=True)
    note = unshifted_datum_note(spec, to_cgcs2000=True)
    assert note is not None
    assert f"the datum of {spec} ({datum}) has no transformation to CGCS2000 that PROJ knows" in note
    assert note.endswith(f"--crs '{template} +towgs84=dx,dy,dz,rx,ry,rz,ds'")
    assert "converted from CGCS2000" in str(unshifted_datum_note(spec, to_cgcs2000=False))


@pytest.mark.parametrize("text", ["EPSG:4490", "EPSG:4547", "EPSG:4526", "EPSG:4326", "EPSG:32650", "gcj02",
                                  "bd09", CITY_GRID])
def test_geocentric_frames_need_no_datum_shift(text: str) -> None:
    assert unshifted_datum_note(parse_crs(text, definitions=True), to_cgcs2000=True) is None


@pytest.mark.parametrize(("x", "y", "inside"), [
    (12_697_000.0, 2_575_000.0, True),  # Futian, Shenzhen
    (8_200_000.0, 400_000.0, True), (15_100_000.0, 7_100_000.0, True),  # China's lon/lat box, inside
    (8_000_000.0, 3_000_000.0, False), (15_200_000.0, 3_000_000.0, False),  # west and east of it
    (12_000_000.0, 300_000.0, False), (12_000_000.0, 7_200_000.0, False),  # south and north of it
    (500_123.4, 2_495_000.5, False), (38_500_123.4, 2_495_000.5, False),  # Gauss-Krüger, both forms
])
def test_web_mercator_in_china(x: float, y: float, inside: bool) -> None:
    lon, lat = Transformer.from_crs(3857, 4326, always_xy=True).transform(x, y)
    assert web_mercator_in_china([x], [y]).tolist() == [inside]
    assert inside == (73 <= lon <= 136 and 3 <= lat <= 54)  # the box, as pyproj places the point
