"""onemap's error tree and the one table that maps it to HTTP statuses and CLI exit codes."""

from dataclasses import dataclass

from grid_codes.errors import DivisionInputError, InvalidCode, OnemapError, UnknownClass

__all__ = [
    "ConfigurationError",
    "DatabaseUnavailable",
    "DivisionInputError",
    "ErrorMapping",
    "ImportValidationError",
    "InvalidCode",
    "InvalidParameter",
    "InvalidTransition",
    "LocalDatabaseError",
    "MigrationError",
    "NotFound",
    "OnemapError",
    "PayloadTooLarge",
    "PermissionDenied",
    "PreconditionFailed",
    "ServiceBusy",
    "Unauthorized",
    "UnknownClass",
    "mapping_for",
]


class ConfigurationError(OnemapError):
    """Settings are inconsistent or a required program is missing."""


class LocalDatabaseError(OnemapError):
    """The project-local PostgreSQL cluster could not be created, started or stopped."""


class DatabaseUnavailable(OnemapError):
    """The configured PostgreSQL server cannot be reached."""


class MigrationError(OnemapError):
    """A schema migration failed or the applied history disagrees with the shipped files."""


class InvalidParameter(OnemapError):
    """A request parameter or CLI argument has an invalid value."""


class InvalidTransition(OnemapError):
    """A workflow action that the object's current state does not allow (e.g. closing a new case)."""


class ImportValidationError(OnemapError):
    """An import file failed validation; nothing was written."""


class NotFound(OnemapError):
    """The requested object does not exist."""


class PreconditionFailed(OnemapError):
    """A write's If-Match names no current version: the object changed since the client read it."""


class ServiceBusy(OnemapError):
    """The service has no room for this request now; the client may retry after `retry_after_s` seconds."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.headers = (("Retry-After", str(retry_after_s)),)


class PayloadTooLarge(InvalidParameter):
    """A request body is larger than the service accepts."""


class Unauthorized(OnemapError):
    """No valid token was presented."""


class PermissionDenied(OnemapError):
    """The token's role does not allow this operation."""


@dataclass(frozen=True)
class ErrorMapping:
    """How one kind of error reaches a client: HTTP status, OGC exception code, CLI exit code."""

    status: int
    ogc_code: str
    exit_code: int
    headers: tuple[tuple[str, str], ...] = ()  # HTTP headers every response of this kind carries


# Most specific class first; `mapping_for` walks the MRO so subclasses inherit their parent's row.
_MAPPINGS: dict[type[OnemapError], ErrorMapping] = {
    PayloadTooLarge: ErrorMapping(413, "PayloadTooLarge", 2),
    InvalidCode: ErrorMapping(400, "InvalidParameterValue", 2),
    InvalidParameter: ErrorMapping(400, "InvalidParameterValue", 2),
    DivisionInputError: ErrorMapping(400, "InvalidParameterValue", 2),
    ImportValidationError: ErrorMapping(422, "InvalidInput", 3),
    InvalidTransition: ErrorMapping(409, "Conflict", 2),
    PreconditionFailed: ErrorMapping(412, "PreconditionFailed", 2),
    # A private object is a 404 to the anonymous and found with a token: it says Vary: Authorization, as
    # every answer does (gis.app.CommonHeaders).
    NotFound: ErrorMapping(404, "NotFound", 4),
    # RFC 6750 §3: a 401 names the scheme the client should use.
    Unauthorized: ErrorMapping(401, "Unauthorized", 5,
                               headers=(("WWW-Authenticate", 'Bearer realm="onemap"'),)),
    PermissionDenied: ErrorMapping(403, "Forbidden", 5),
    ConfigurationError: ErrorMapping(500, "ServerError", 6),
    LocalDatabaseError: ErrorMapping(503, "ServiceUnavailable", 7),
    ServiceBusy: ErrorMapping(503, "ServiceUnavailable", 7),
    DatabaseUnavailable: ErrorMapping(503, "ServiceUnavailable", 7),
    MigrationError: ErrorMapping(500, "ServerError", 8),
    OnemapError: ErrorMapping(500, "ServerError", 1),
}


def mapping_for(error: OnemapError) -> ErrorMapping:
    """The mapping of the nearest class in the error's MRO that has a row."""
    for cls in type(error).__mro__:
        if cls in _MAPPINGS:
            return _MAPPINGS[cls]
    return _MAPPINGS[OnemapError]
