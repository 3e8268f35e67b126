import pytest

from gis.errors import (
    ConfigurationError,
    DatabaseUnavailable,
    ImportValidationError,
    InvalidCode,
    InvalidParameter,
    MigrationError,
    NotFound,
    OnemapError,
    PermissionDenied,
    Unauthorized,
    UnknownClass,
    mapping_for,
)


@pytest.mark.parametrize(
    ("error", "status", "exit_code"),
    [
        (InvalidCode("x"), 400, 2),
        (UnknownClass("x"), 400, 2),  # inherits its parent's row
        (InvalidParameter("x"), 400, 2),
        (ImportValidationError("x"), 422, 3),
        (NotFound("x"), 404, 4),
        (Unauthorized("x"), 401, 5),
        (PermissionDenied("x"), 403, 5),
        (ConfigurationError("x"), 500, 6),
        (DatabaseUnavailable("x"), 503, 7),
        (MigrationError("x"), 500, 8),
        (OnemapError("x"), 500, 1),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_each_error_maps_to_one_status_and_exit_code(error, status, exit_code):
    mapping = mapping_for(error)
    assert (mapping.status, mapping.exit_code) == (status, exit_code)


def test_an_unmapped_subclass_falls_back_to_its_nearest_mapped_ancestor():
    class Custom(NotFound):
        pass

    assert mapping_for(Custom("gone")).status == 404
