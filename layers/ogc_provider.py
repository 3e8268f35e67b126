"""onemap's pygeoapi feature provider: one class for every registered layer.

pygeoapi's configuration names it by dotted path (``layers.ogc_provider.OnemapProvider``) and
builds one per request; its options carry the layer (LayerSpec) and the key of the
connection pool to borrow from (see layers.ogc_context, the seam). Errors become pygeoapi
provider errors with the HTTP status and OGC exception code of onemap's error table.
"""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg_pool import PoolTimeout
from pygeoapi.provider.base import BaseProvider, ProviderGenericError, SchemaType
from pygeoapi.util import CrsTransformSpec

from gis.errors import OnemapError, mapping_for
from layers import ogc_edit
from layers.ogc_context import current_request, pool
from layers.ogc_params import item_as_of, item_query, output_crs
from layers.ogc_query import LayerSpec, get_feature, query_features

log = logging.getLogger("onemap.ogc")
MAX_ID_CHARS = 64


class OnemapProviderError(ProviderGenericError):
    """An OnemapError crossing pygeoapi: the status and OGC code of gis.errors' table."""

    def __init__(self, error: OnemapError) -> None:
        mapping = mapping_for(error)
        super().__init__(str(error), user_msg=str(error))
        self.http_status_code = HTTPStatus(mapping.status)
        self.ogc_exception_code = mapping.ogc_code


class DatabaseUnavailableError(ProviderGenericError):
    http_status_code = HTTPStatus.SERVICE_UNAVAILABLE
    ogc_exception_code = "ServiceUnavailable"
    default_msg = "the database is unavailable or busy; try again shortly"


class QueryTimeoutError(ProviderGenericError):
    http_status_code = HTTPStatus.SERVICE_UNAVAILABLE
    ogc_exception_code = "ServiceUnavailable"
    default_msg = "the query took too long: narrow it with bbox, filter or a smaller limit"


class ItemNotFoundError(ProviderGenericError):
    http_status_code = HTTPStatus.NOT_FOUND
    ogc_exception_code = "NotFound"
    default_msg = "no feature with this identifier in this collection"


@contextmanager
def _errors() -> Iterator[None]:
    """Map onemap and database errors to pygeoapi provider errors (never SQL text to a client)."""
    try:
        yield
    except OnemapError as error:
        raise OnemapProviderError(error) from error
    except psycopg.errors.QueryCanceled as error:
        raise QueryTimeoutError() from error
    except (PoolTimeout, psycopg.OperationalError) as error:
        log.warning("OGC provider: database unavailable: %s", (str(error).splitlines() or [""])[0])
        raise DatabaseUnavailableError() from error


class OnemapProvider(BaseProvider):
    """Features of one registry layer: query, get, and for component layers create/update/delete."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        options = provider_def["options"]
        self.spec = LayerSpec.from_options(options["layer"])
        self.pool_key: str = options["pool"]
        self.zone = ZoneInfo(options["timezone"])
        self._fields = self.spec.json_schemas()

    def get_fields(self) -> dict[str, dict[str, str]]:
        return self._fields

    def get_schema(self, schema_type: SchemaType = SchemaType.item) -> tuple[str, dict[str, Any]]:
        """JSON schema of a feature (pygeoapi puts it in the OpenAPI document)."""
        properties = self.spec.json_schemas()
        if schema_type != SchemaType.item:
            properties = {k: v for k, v in properties.items() if k in ogc_edit.WRITABLE}
            properties["attributes"] = {"type": "object"}
        # a PATCH is a merge patch: any of the members, none required (layers.ogc_edit)
        required = [] if schema_type == SchemaType.update else ["type", "geometry", "properties"]
        return "application/geo+json", {
            "type": "object", "required": required,
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "id": {"type": "string" if self.spec.id_type == "string" else "integer"},
                           "geometry": {"type": "object"},
                           "properties": {"type": "object", "properties": properties}}}

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        with pool(self.pool_key).connection() as conn:
            yield conn

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: Sequence[float] = (), datetime_: str | None = None,
              properties: Sequence[tuple[str, str]] = (), sortby: Sequence[dict[str, str]] = (),
              select_properties: Sequence[str] = (), skip_geometry: bool = False, q: str | None = None,
              language: Any = None, filterq: Any = None,
              crs_transform_spec: CrsTransformSpec | None = None) -> dict[str, Any]:
        """One page of features (pygeoapi's arguments; `bbox`, `q` and `filterq` are not used: the
        router hands bbox and the parsed CQL2 filter over in the OgcRequest)."""
        request = current_request()
        with _errors():
            query = item_query(self.spec, offset=offset, limit=limit, resulttype=resulttype,
                               datetime_=datetime_, properties=properties, sortby=sortby,
                               select_properties=select_properties, skip_geometry=skip_geometry,
                               crs_transform_spec=crs_transform_spec, request=request, zone=self.zone)
            with self._connection() as conn:
                content = query_features(conn, self.spec, query)
        # pygeoapi adds a `next` link to every full page; the router drops it from the last one
        matched = content.get("numberMatched")
        request.outcome["last_page"] = matched is not None and matched <= offset + content["numberReturned"]
        return content

    def _identifier(self, identifier: str) -> str | int:
        """The identifier as the id column's type; malformed ones cannot exist (404)."""
        text = str(identifier)
        if len(text) > MAX_ID_CHARS or "\x00" in text:
            raise ItemNotFoundError()
        if self.spec.id_type == "integer":
            if not text.isascii() or not text.lstrip("-").isdigit() or abs(int(text)) >= 2**63:
                raise ItemNotFoundError()
            return int(text)
        return text

    def get(self, identifier: str, language: Any = None,
            crs_transform_spec: CrsTransformSpec | None = None) -> dict[str, Any]:
        """One feature: the current version, or the one valid at the request's `as_of` (components)."""
        with _errors():
            as_of = item_as_of(self.spec, current_request().params, self.zone)
            key = self._identifier(identifier)
            with self._connection() as conn:
                feature = get_feature(conn, self.spec, key, output_crs(crs_transform_spec), as_of=as_of)
        if feature is None:
            raise ItemNotFoundError()
        return feature

    def create(self, item: bytes) -> str:
        with _errors(), self._connection() as conn:
            return ogc_edit.create_feature(conn, self.spec, item, current_request(), self.zone)

    def update(self, identifier: str, item: bytes) -> bool:
        request = current_request()
        with _errors():
            key = str(self._identifier(identifier))
            with self._connection() as conn:
                ogc_edit.update_feature(conn, self.spec, key, item, request, self.zone,
                                        merge=request.method == "PATCH")
        return True

    def delete(self, identifier: str) -> bool:
        with _errors():
            key = str(self._identifier(identifier))
            with self._connection() as conn:
                ogc_edit.delete_feature(conn, self.spec, key, current_request())
        return True
