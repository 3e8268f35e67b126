"""The city-management standards as code (GB/T 30428, GB/T 47678.5, GB/T 2260, GB/T 28181).

Pure value types with `parse()` / `str()` round-trips; no database, no web framework.
Import the types from their modules (`grid_codes.grid.GridCode`) or from here.
"""

from grid_codes.admin import AdminCode, CommunityCode, StreetCode, parse_admin_code
from grid_codes.camera_id import DeviceId
from grid_codes.classes import ClassCode, ClassInfo, ClassTable, default_table
from grid_codes.component_id import ComponentId
from grid_codes.grid import GridCode

__all__ = [
    "AdminCode",
    "ClassCode",
    "ClassInfo",
    "ClassTable",
    "CommunityCode",
    "ComponentId",
    "DeviceId",
    "GridCode",
    "StreetCode",
    "default_table",
    "parse_admin_code",
]
