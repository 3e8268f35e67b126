"""HTTP routes of the cases: create, read, workflow transitions (/cases) and evaluation (/evaluation).

Mounted by gis/app.py; it wires onemap's geocoder into case creation for address-only cases.

Writes need a bearer token: creating a case the `report_cases` permission (inspector, dispatcher,
admin); a transition the role the workflow names for its action (layers/case_workflow.py); an
inspector self-handles only a case they reported on patrol that is not of urgency A.
Reading a case or the evaluation needs any valid token (`read_private`): a case carries the
reporter and free text. Errors are OGC exception bodies (gis/errors.py).
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from geocoder.forward import geocode
from geocoder.routes import snapshot
from gis.auth import Principal, require
from gis.errors import InvalidParameter, NotFound
from layers.case_evaluation import GROUPINGS, evaluate
from layers.case_rules import CaseOptions
from layers.cases import Geocode, NewCase, apply_action, create_case, get_case

router = APIRouter(tags=["cases"])
_MAX_ID = 2**63 - 1


class CaseIn(BaseModel):
    """A new case: a class, a source, and one of lon/lat, component_id or address."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["event", "component"]
    class_code: str | None = Field(default=None, max_length=5)
    source: Literal["inspector", "hotline_12319", "hotline_12345", "app", "video"]
    urgency: Literal["A", "B", "C"] = "B"
    lon: float | None = Field(default=None, allow_inf_nan=False)
    lat: float | None = Field(default=None, allow_inf_nan=False)
    crs: str = Field(
        default="EPSG:4490",
        max_length=40,
        description="EPSG:n, wgs84, cgcs2000, gcj02 or bd09 (lon/lat order)",
    )
    address: str = Field(default="", max_length=200)
    component_id: str | None = Field(default=None, max_length=17)
    description: str = Field(default="", max_length=2000)
    photo_urls: list[str] = Field(default_factory=list, max_length=20)
    reporter: str = Field(default="", max_length=100)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        max_length=40,
        description="file, dispatch, handle, feed_back, verify, close, rework, cancel or self_handle",
    )
    note: str = Field(default="", max_length=2000)


def _options(request: Request) -> CaseOptions:
    return CaseOptions.from_settings(request.app.state.settings)


# Candidates precise enough to place a case in a unit grid cell (a road or an area is not).
_POINT_LEVELS = frozenset({"door_plate", "interpolated", "intersection", "poi"})


def _geocoder(request: Request) -> Geocode:
    """Address → EPSG:4490 lon/lat through onemap's geocoder (its gazetteer snapshot of this app)."""

    async def locate(address: str) -> tuple[float, float]:
        result = geocode(await snapshot(request), address, limit=1)
        best = result.candidates[0] if result.candidates else None
        if best is None or best.level not in _POINT_LEVELS:
            found = f"only to a {best.level}" if best else f"to nothing ({result.reason or 'no match'})"
            raise InvalidParameter(
                f"the address {address[:60]!r} resolves {found}: give lon/lat or a component_id"
            )
        return best.lon, best.lat

    return locate


def _checked_id(case_id: int) -> int:
    if not 1 <= case_id <= _MAX_ID:
        raise NotFound(f"no case {case_id}")
    return case_id


@router.post("/cases", status_code=201)
async def post_case(
    body: CaseIn, request: Request, principal: Annotated[Principal, Depends(require("report_cases"))]
) -> JSONResponse:
    case = NewCase(
        kind=body.kind,
        class_code=body.class_code,
        source=body.source,
        urgency=body.urgency,
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        address=body.address,
        component_id=body.component_id,
        description=body.description,
        photo_urls=tuple(body.photo_urls),
        reporter=body.reporter,
    )
    async with request.app.state.pool.connection() as conn:
        case_id = await create_case(
            conn,
            case,
            actor=principal.name,
            role=principal.role,
            options=_options(request),
            geocode=_geocoder(request),
        )
        await conn.commit()
        created = await get_case(conn, case_id, role=principal.role, actor=principal.name)
    return JSONResponse(_json(created), status_code=201, headers={"Location": f"/cases/{case_id}"})


@router.get("/cases/{case_id}")
async def read_case(
    case_id: int, request: Request, principal: Annotated[Principal, Depends(require("read_private"))]
) -> JSONResponse:
    async with request.app.state.pool.connection() as conn:
        case = await get_case(conn, _checked_id(case_id), role=principal.role, actor=principal.name)
        return JSONResponse(_json(case))


@router.post("/cases/{case_id}/transitions")
async def post_transition(
    case_id: int,
    body: TransitionIn,
    request: Request,
    principal: Annotated[Principal, Depends(require("read_private"))],
) -> JSONResponse:
    async with request.app.state.pool.connection() as conn:
        await apply_action(
            conn, _checked_id(case_id), body.action, actor=principal.name, role=principal.role, note=body.note
        )
        await conn.commit()
        return JSONResponse(_json(await get_case(conn, case_id, role=principal.role, actor=principal.name)))


@router.get("/evaluation")
async def get_evaluation(
    request: Request,
    _: Annotated[Principal, Depends(require("read_private"))],
    start: Annotated[datetime, Query(description="period start (RFC 3339, with offset)")],
    end: Annotated[datetime, Query(description="period end, exclusive")],
    by: Annotated[str, Query(description=" | ".join(GROUPINGS))] = "street",
    within: Annotated[str, Query(max_length=15, description="grid or admin code prefix")] = "",
) -> JSONResponse:
    async with request.app.state.pool.connection() as conn:
        groups = await evaluate(conn, by=by, start=start, end=end, within=within)
    return JSONResponse(
        {
            "by": by,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "within": within,
            "groups": _json(groups),
        }
    )


def _json(value: Any) -> Any:
    """Datetimes as RFC 3339 text, everything else as is."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
