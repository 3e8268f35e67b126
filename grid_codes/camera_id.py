"""GB/T 28181-2016 video device and user identifiers (编码规则 A, Appendix D): 20 digits.

Positions 1–8 are the centre code (province 2 + city 2 + county 2 + basic access unit 2,
the first six a GB/T 2260 code, "空余位为0" when the centre is above the basic level, so the
division may be a province or prefecture), 9–10 the industry code (table D.3), 11–13 the
type code, 14 the network flag and 15–20 the serial.

Accepted type codes are the ranges the 2016 edition assigns: 111–130 front-end main
devices, 131–199 front-end peripherals, 200–299 platform devices, 300–399 centre users,
400–499 terminal users, 500–599 platform-external servers and 600–999 extension types;
000–110 are unassigned and rejected. Individual names are given only where public
sources agree; 215/216 are not named because the 2016 and 2022 editions swap them.
"""

from dataclasses import dataclass
from typing import Literal, Self

from grid_codes._digits import describe, is_digits, show
from grid_codes.admin import DEFAULT_VINTAGE, AdminCode, check_vintage, division_level
from grid_codes.errors import InvalidAdminCode, InvalidDeviceId

__all__ = ["CAMERA_TYPES", "INDUSTRY_NAMES", "TYPE_NAMES", "DeviceId", "TypeCategory"]

TypeCategory = Literal[
    "front_end_main",
    "front_end_peripheral",
    "platform",
    "centre_user",
    "terminal_user",
    "platform_external",
    "extension",
]

CAMERA_TYPES: frozenset[int] = frozenset({131, 132})
"""131 camera (摄像机) and 132 network camera (网络摄像机, IPC)."""

_CATEGORY_BOUNDS: tuple[tuple[int, TypeCategory], ...] = (
    (130, "front_end_main"),
    (199, "front_end_peripheral"),
    (299, "platform"),
    (399, "centre_user"),
    (499, "terminal_user"),
    (599, "platform_external"),
    (999, "extension"),
)

TYPE_NAMES: dict[int, str] = {
    111: "DVR",
    112: "视频服务器",
    113: "编码器",
    114: "解码器",
    115: "视频切换矩阵",
    116: "音频切换矩阵",
    117: "报警控制器",
    118: "网络视频录像机 (NVR)",
    131: "摄像机",
    132: "网络摄像机 (IPC)",
    133: "显示器",
    134: "报警输入设备",
    135: "报警输出设备",
    136: "语音输入设备",
    137: "语音输出设备",
    138: "移动传输设备",
    139: "其他外围设备",
    200: "中心信令控制服务器",
    201: "Web应用服务器",
    202: "媒体分发服务器",
    203: "代理服务器",
    204: "安全服务器",
    205: "报警服务器",
    206: "数据库服务器",
    207: "GIS服务器",
    208: "管理服务器",
    209: "接入网关",
    210: "媒体存储服务器",
    211: "信令安全路由网关",
    300: "中心用户",
    400: "终端用户",
}

# Table D.3 (2016), codes 00–11; 12–99 are reserved or sector codes that editions disagree on.
INDUSTRY_NAMES: dict[str, str] = {
    "00": "社会治安路面接入",
    "01": "社会治安社区接入",
    "02": "社会治安内部接入",
    "03": "社会治安其他接入",
    "04": "交通路面接入",
    "05": "交通卡口接入",
    "06": "交通内部接入",
    "07": "交通其他接入",
    "08": "城市管理接入",
    "09": "卫生环保接入",
    "10": "商检海关接入",
    "11": "教育部门接入",
}

_NETWORK_NAMES = ("监控报警专网",) * 5 + (
    "公安信息网",
    "政务网",
    "Internet",
    "社会资源接入网",
    "预留",
)

_EXPECT = (
    "20 ASCII digits (centre 8: province 2 + city 2 + county 2 + unit 2; industry 2;"
    " type 3; network 1; serial 6)"
)


@dataclass(frozen=True, slots=True, order=True)
class DeviceId:
    """A GB/T 28181 20-digit device or user id; `vintage` is that of its division code."""

    code: str
    vintage: int = DEFAULT_VINTAGE

    def __post_init__(self) -> None:
        code = self.code
        if not is_digits(code, 20):
            raise InvalidDeviceId(describe(code, "device id", _EXPECT))
        try:
            division_level(code[:6], "device id", code)
            check_vintage(self.vintage, f"device id {code!r}")
        except InvalidAdminCode as exc:
            raise InvalidDeviceId(str(exc)) from None
        if code[10:13] < "111":
            raise InvalidDeviceId(
                f"device id {show(code)} has type code {code[10:13]!r} (positions 11–13), which"
                " GB/T 28181-2016 does not assign; expected 111–999"
            )

    @classmethod
    def parse(cls, text: object, vintage: int = DEFAULT_VINTAGE) -> Self:
        """Parse a 20-digit id exactly as given (nothing is stripped)."""
        if not isinstance(text, str):
            raise InvalidDeviceId(describe(text, "device id", _EXPECT))
        return cls(text, vintage)

    def __str__(self) -> str:
        return self.code

    @property
    def centre_code(self) -> str:
        """Positions 1–8: the monitoring centre the device belongs to."""
        return self.code[:8]

    @property
    def admin_code(self) -> AdminCode:
        """Positions 1–6 as a GB/T 2260 code (a county, or higher for a higher centre)."""
        return AdminCode(self.code[:6], self.vintage)

    @property
    def basic_unit_code(self) -> str:
        """Positions 7–8: the basic access unit (基层接入单位); '00' above that level."""
        return self.code[6:8]

    @property
    def industry_code(self) -> str:
        """Positions 9–10: the industry code (行业编码)."""
        return self.code[8:10]

    @property
    def industry_name(self) -> str | None:
        """The 2016 name of the industry code, for 00–11."""
        return INDUSTRY_NAMES.get(self.code[8:10])

    @property
    def type_code(self) -> int:
        """Positions 11–13: the device or user type (类型编码)."""
        return int(self.code[10:13])

    @property
    def type_category(self) -> TypeCategory:
        """The range the type code falls in."""
        type_code = self.type_code
        return next(cat for bound, cat in _CATEGORY_BOUNDS if type_code <= bound)

    @property
    def type_name(self) -> str | None:
        """The name of the type code where sources agree on one."""
        return TYPE_NAMES.get(self.type_code)

    @property
    def network_flag(self) -> int:
        """Position 14: 0–4 surveillance network, 5 police, 6 government, 7 Internet, 8 social."""
        return int(self.code[13])

    @property
    def network_name(self) -> str:
        """The 2016 name of the network flag (9 is reserved)."""
        return _NETWORK_NAMES[int(self.code[13])]

    @property
    def serial(self) -> int:
        """Positions 15–20: the device or user serial."""
        return int(self.code[14:])

    @property
    def is_camera(self) -> bool:
        """Whether the type is 131 (camera) or 132 (IPC)."""
        return self.code[10:13] in ("131", "132")
