"""The root of onemap's error tree, and the errors of the standards themselves.

The root lives here because `grid_codes` is the bottom of the dependency graph:
every other room may import it, and it imports none of them. `gis.errors`
extends the tree with platform errors and owns the one table that maps each
error to an HTTP status and a CLI exit code.
"""


class OnemapError(Exception):
    """An error onemap raises on purpose; its message is safe to show to a client."""


class InvalidCode(OnemapError):
    """A standard code (admin, grid, class, component id, device id) is malformed."""


class UnknownClass(InvalidCode):
    """A well-formed class code that the class table of its scheme does not contain."""


class DivisionInputError(OnemapError):
    """Input to the unit-grid division (communities, barriers, CRS) is unusable."""


class InvalidAdminCode(InvalidCode):
    """An administrative division code (GB/T 2260, GB/T 10114, NBS 12-digit) is malformed."""


class InvalidGridCode(InvalidCode):
    """A unit grid code (GB/T 30428.1, 15 digits; legacy 14) is malformed or inconsistent."""


class InvalidClassCode(InvalidCode):
    """A component or event class code (legacy 4 digits, GB/T 47678.5 5 digits) is malformed."""


class InvalidComponentId(InvalidCode):
    """A component identifier (legacy 16 digits, GB/T 47678.5 17 digits) is malformed."""


class InvalidDeviceId(InvalidCode):
    """A GB/T 28181 20-digit video device identifier is malformed."""
