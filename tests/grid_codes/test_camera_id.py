"""GB/T 28181 device ids: round-trips, fields, type ranges and rejections."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grid_codes.admin import AdminCode
from grid_codes.camera_id import DeviceId
from grid_codes.errors import InvalidDeviceId
from tests.grid_codes import strategies as codes


@given(codes.device_ids, codes.vintages)
def test_device_id_round_trips(text: str, vintage: int) -> None:
    device = DeviceId.parse(text, vintage)
    assert str(device) == text
    assert DeviceId.parse(str(device), vintage) == device


@given(st.text(max_size=21))
def test_arbitrary_text_is_parsed_or_rejected(text: str) -> None:
    try:
        DeviceId.parse(text)
    except InvalidDeviceId:
        return
    assert len(text) == 20


def test_fields_of_the_common_ipc_example() -> None:
    device = DeviceId.parse("34020000001320000001")
    assert device.centre_code == "34020000"
    assert device.admin_code == AdminCode.parse("340200")
    assert device.admin_code.level == "prefecture"
    assert (device.basic_unit_code, device.industry_code) == ("00", "00")
    assert device.industry_name == "社会治安路面接入"
    assert (device.type_code, device.type_category, device.type_name) == (
        132,
        "front_end_peripheral",
        "网络摄像机 (IPC)",
    )
    assert (device.network_flag, device.network_name, device.serial) == (0, "监控报警专网", 1)
    assert device.is_camera


def test_city_management_camera_in_a_county() -> None:
    device = DeviceId.parse("35020301081317000042")
    assert device.admin_code.level == "county"
    assert device.industry_name == "城市管理接入"
    assert device.type_name == "摄像机" and device.is_camera
    assert device.network_name == "Internet"


@pytest.mark.parametrize(
    ("type_code", "category", "camera"),
    [
        ("111", "front_end_main", False),
        ("118", "front_end_main", False),
        ("131", "front_end_peripheral", True),
        ("132", "front_end_peripheral", True),
        ("200", "platform", False),
        ("300", "centre_user", False),
        ("400", "terminal_user", False),
        ("500", "platform_external", False),
        ("600", "extension", False),
        ("999", "extension", False),
    ],
    ids=[
        "dvr",
        "nvr",
        "camera",
        "ipc",
        "sip-server",
        "centre-user",
        "terminal",
        "external",
        "ext-600",
        "ext-999",
    ],
)
def test_type_ranges(type_code: str, category: str, camera: bool) -> None:
    device = DeviceId.parse(f"34020000{'00'}{type_code}0000001")
    assert device.type_category == category
    assert device.is_camera is camera


REJECTED = [
    (None, "device id is missing (None)"),
    ("", "device id is empty"),
    ("3402000000132000000", "has 19 digits; expected 20 ASCII digits"),
    ("340200000013200000011", "has 21 digits"),
    ("34020000001100000001", "type code '110' (positions 11–13), which GB/T 28181-2016 does not"),
    ("34020000000000000001", "type code '000'"),
    ("99020000001320000001", "province part '99'"),
    ("34000100001320000001", "prefecture part '00' but county part '01'"),
    ("３4020000001320000001", "non-ASCII digit '３'"),
    ("3402000000132000000 1", "whitespace"),
    ("3402000000132000000a", "non-digit 'a'"),
]


@pytest.mark.parametrize(
    ("text", "message"),
    REJECTED,
    ids=[
        "none",
        "empty",
        "19",
        "21",
        "type-110",
        "type-000",
        "province",
        "county-under-province",
        "full-width",
        "inner-space",
        "letter",
    ],
)
def test_device_id_rejections(text: object, message: str) -> None:
    with pytest.raises(InvalidDeviceId) as caught:
        DeviceId.parse(text)
    assert message in str(caught.value)
