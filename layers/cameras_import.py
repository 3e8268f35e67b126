"""`onemap import cameras`: camera inventories from CSV, XLSX, GeoPackage, GeoJSON or Shapefile.

Reading (encodings, coordinate columns, CRS) is the survey import's (layers/survey_read.py);
the conversion to CGCS2000 is gis.crs's. The import is all or nothing unless `skip_invalid`:
every problem is reported with file, row and field, and a file with problems loads nothing.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import psycopg

from gis.crs import CrsSpec, to_cgcs2000
from grid_codes.errors import InvalidDeviceId
from layers.cameras import (
    STATUSES,
    Camera,
    CameraStatus,
    check_device_id,
    check_geometry_fields,
    upsert_cameras,
)
from layers.field_mapping import fold
from layers.spreadsheet_errors import error_values_by_row
from layers.survey_deliveries import passed_over_note, survey_files
from layers.survey_offsets import ReadLayer, offset_notes
from layers.survey_read import read_survey
from layers.survey_rows import Rejection

# Standard field -> accepted column names (matched after NFKC + casefold).
ALIASES: dict[str, tuple[str, ...]] = {
    "device_id": ("device_id", "deviceid", "gb_id", "gbid", "id", "设备编码", "设备编号", "国标编码"),
    "name": ("name", "名称", "点位名称", "设备名称"),
    "heading": ("heading", "direction", "azimuth", "方向", "朝向", "方位角"),
    "fov": ("fov", "field_of_view", "视场角", "视角"),
    "range": ("range", "range_m", "distance", "可视距离", "视距"),
    "owner": ("owner", "权属单位", "所属单位", "管理单位"),
    "status": ("status", "状态"),
    "stream_url": ("stream_url", "url", "rtsp", "视频流地址", "取流地址"),
}
_STATUS_WORDS = {"在线": "online", "离线": "offline", "故障": "fault"}
_DEFAULTS = {"fov": 60.0, "range": 80.0}


@dataclass(frozen=True)
class CameraImport:
    rows_read: int
    loaded: int
    rejections: list[Rejection]
    notes: tuple[str, ...]


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    """Standard field -> the file's column: the first alias present."""
    by_key = {fold(str(c)): str(c) for c in frame.columns}
    found = {}
    for field, aliases in ALIASES.items():
        column = next((by_key[alias] for alias in aliases if alias in by_key), None)
        if column is not None:
            found[field] = column
    return found


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _number(value: Any, field: str, default: float | None, problems: list[tuple[str, str]]) -> float | None:
    text = _text(value)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        problems.append((field, f"{text[:40]!r} is not a number"))
        return default


def _camera(record: dict[str, Any], lon: float, lat: float, problems: list[tuple[str, str]]) -> Camera | None:
    device_id = _text(record.get("device_id"))
    try:
        device_id = check_device_id(device_id)
    except InvalidDeviceId as error:
        problems.append(("device_id", str(error)))
    heading = _number(record.get("heading"), "heading", None, problems)
    fov = cast(float, _number(record.get("fov"), "fov", _DEFAULTS["fov"], problems))
    range_m = cast(float, _number(record.get("range"), "range", _DEFAULTS["range"], problems))
    problems.extend(check_geometry_fields(heading=heading, fov=fov, range_m=range_m))
    status = _text(record.get("status")) or "offline"
    status = _STATUS_WORDS.get(status, status.lower())
    if status not in STATUSES:
        problems.append(("status", f"{status!r} is not online/offline/fault (在线/离线/故障)"))
    if problems or device_id is None:
        return None
    return Camera(
        device_id=device_id,
        lon=lon,
        lat=lat,
        name=_text(record.get("name")) or "",
        heading_deg=heading,
        fov_deg=fov,
        range_m=range_m,
        owner=_text(record.get("owner")) or "",
        status=cast(CameraStatus, status),
        stream_url=_text(record.get("stream_url")),
    )


@dataclass(frozen=True)
class CamerasRead:
    """One file's valid cameras, its rejections (file or label, row, field, reason), rows read, notes, and
    its rows' positions with the CRS they were read in (to check against the roads)."""

    cameras: list[Camera]
    rejections: list[Rejection]
    rows: int
    notes: tuple[str, ...]
    positions: ReadLayer


def read_cameras(
    path: Path, *, crs: CrsSpec | None = None, encoding: str | None = None, layer: str | None = None,
    label: str | None = None,
) -> CamerasRead:
    """The cameras of one file, and what reading it found."""
    survey = read_survey(path, crs=crs, encoding=encoding, layer=layer)
    columns = _columns(survey.attributes)
    points = to_cgcs2000(survey.geometries, survey.source_crs)
    cameras: list[Camera] = []
    rejections: list[Rejection] = []
    seen: dict[str, int] = {}
    records = survey.attributes.rename(columns={v: k for k, v in columns.items()}).to_dict("records")
    unread = (survey.geometry_problems if survey.geometry_problems is not None
              else np.full(len(survey), None, dtype=object))
    error_values = error_values_by_row(survey.attributes, columns.values())
    field_of = {column: field for field, column in columns.items()}
    rows = zip(records, points, survey.row_numbers, unread, strict=True)
    for at, (record, point, row, why) in enumerate(rows):
        problems = [(field_of[column], reason) for column, reason in error_values.get(at, [])]
        if problems:
            camera = None
        elif point is None or point.geom_type != "Point" or point.is_empty:
            problems.append(("geometry",
                             why or "not a point (give lon/lat or x/y columns, or point geometries)"))
            camera = None
        else:
            camera = _camera(record, float(point.x), float(point.y), problems)
        if camera is not None and camera.device_id in seen:
            problems.append(("device_id", f"{camera.device_id} is also on row {seen[camera.device_id]}"))
            camera = None
        rejections.extend(Rejection(label or str(path), int(row), field, reason)
                          for field, reason in problems)
        if camera is not None:
            seen[camera.device_id] = int(row)
            cameras.append(camera)
    return CamerasRead(cameras, rejections, len(survey), survey.notes,
                       ReadLayer(label or str(path), points, survey.source_crs))


def import_cameras(
    conn: psycopg.Connection,
    paths: Sequence[Path],
    *,
    crs: CrsSpec | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    skip_invalid: bool = False,
) -> CameraImport:
    """Validate every file, then load all cameras in one transaction (none when a row is invalid)."""
    cameras: list[Camera] = []
    rejections: list[Rejection] = []
    notes: list[str] = []
    placed: list[ReadLayer] = []  # each file's positions, to check its CRS against the roads
    rows_read = 0
    with survey_files(paths) as files:
        for file in files:
            if (unread := passed_over_note(file, encoding)) is not None:
                notes.append(unread)
                continue
            read = read_cameras(file.path, crs=crs, encoding=encoding, layer=layer, label=file.label)
            cameras += read.cameras
            rejections += read.rejections
            rows_read += read.rows
            notes += read.notes
            placed.append(read.positions)
    notes += offset_notes(conn, placed)
    loaded = 0
    if cameras and (skip_invalid or not rejections):
        loaded = upsert_cameras(conn, cameras, source=", ".join(p.name for p in paths)[:200])
    return CameraImport(rows_read, loaded, rejections, tuple(notes))
