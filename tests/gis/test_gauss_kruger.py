"""Gauss-Krüger forms: zone numbers in eastings and the EPSG code of each form and datum."""

import numpy as np
import pytest
from pyproj import CRS

from gis.gauss_kruger import (
    central_meridian_form_epsg,
    datum_of,
    inside_area,
    zone_form_epsg,
    zone_in_eastings,
)


@pytest.mark.parametrize(("eastings", "zone"), [
    ([38512345.6, 38499000.0], 38),  # 3-degree zone 38 (CM 114E)
    ([19654321.0], 19),  # 6-degree zone 19 (CM 111E)
    ([512345.6], None),  # the central-meridian form: no zone number
    ([38512345.6, 39512345.6], None),  # two zones: not one survey's convention
    ([24512345.6], None),  # 24 is neither a 6-degree (13–23) nor a 3-degree (25–45) zone of China
    ([38012345.6], None),  # 12 km: no easting of a zone
    ([np.nan, 38512345.6], 38),
    ([np.nan], None),
])
def test_zone_in_eastings(eastings, zone):
    assert zone_in_eastings(eastings) == zone


@pytest.mark.parametrize(("zone", "datum", "name"), [
    (38, "CGCS2000", "CGCS2000 / 3-degree Gauss-Kruger zone 38"),
    (19, "CGCS2000", "CGCS2000 / Gauss-Kruger zone 19"),
    (38, "Xian 1980", "Xian 1980 / 3-degree Gauss-Kruger zone 38"),
    (38, "Beijing 1954", "Beijing 1954 / 3-degree Gauss-Kruger zone 38"),
])
def test_zone_form_epsg_names_the_crs_of_that_zone_and_datum(zone, datum, name):
    epsg = zone_form_epsg(zone, datum)
    assert epsg is not None and CRS.from_epsg(epsg).name == name


def test_zone_form_epsg_is_none_for_an_unknown_datum():
    assert zone_form_epsg(38, "Nowhere 2000") is None


@pytest.mark.parametrize(("epsg", "name"), [
    (4526, "CGCS2000 / 3-degree Gauss-Kruger CM 114E"),
    (4497, "CGCS2000 / Gauss-Kruger CM 111E"),  # 6-degree zone 19
    (2362, "Xian 1980 / 3-degree Gauss-Kruger CM 114E"),
])
def test_central_meridian_form_of_a_zone_form(epsg, name):
    plain = central_meridian_form_epsg(epsg)
    assert plain is not None and CRS.from_epsg(plain).name == name


@pytest.mark.parametrize("epsg", [4547, 4490, 32650])
def test_central_meridian_form_is_none_for_other_crss(epsg):
    assert central_meridian_form_epsg(epsg) is None


def test_datum_of():
    assert datum_of(2383) == "Xian 1980" and datum_of(4547) == "CGCS2000" and datum_of(32650) is None


def test_inside_area_tells_eastings_from_northings():
    # Shenzhen in CGCS2000 / 3-degree Gauss-Kruger CM 114E: easting ≈ 500 km, northing ≈ 2,495 km
    assert inside_area(4547, [500123.4], [2495000.5]).tolist() == [True]
    assert inside_area(4547, [2495000.5], [500123.4]).tolist() == [False]
    assert inside_area(4526, [38500123.4], [2495000.5]).tolist() == [True]
    assert inside_area(4526, [500123.4], [2495000.5]).tolist() == [False]
