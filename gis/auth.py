"""Bearer tokens with roles: creation and revocation (CLI), authentication and permissions (service).

A token is ``om_`` + 32 random bytes in url-safe base64, shown once at creation; the
database keeps only its SHA-256 (see ``gis/sql/migrations/0004_auth.sql`` for why a fast
hash is right for random tokens). Clients send ``Authorization: Bearer om_…`` (RFC 6750).
"""

import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Literal, cast, get_args

import psycopg
from fastapi import Request
from psycopg_pool import AsyncConnectionPool

from gis.errors import InvalidParameter, NotFound, PermissionDenied, Unauthorized
from gis.roles import ROLES, Role

Permission = Literal["read_private", "write_components", "handle_cases", "ingest_feeds",
                     "report_cases"]

PERMISSIONS: tuple[Permission, ...] = get_args(Permission)

# Who may do what: the one place a role is turned into rights.
#   read_private      private layers (camera stream URLs, vehicle tracks) in tiles and the OGC API
#   write_components  edit the component inventory
#   handle_cases      run the case workflow (立案 派遣 … 结案, layers/case_workflow.py)
#   report_cases      report cases (上报); inspectors also verify and self-handle (自行处置)
#   ingest_feeds      push GPS fixes, camera status and the vehicle registry (issue 7 feeds)
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType({
    "viewer": frozenset({"read_private"}),
    "inspector": frozenset({"read_private", "report_cases"}),  # grid inspector (网格员, 采集员)
    "editor": frozenset({"read_private", "write_components"}),
    "dispatcher": frozenset({"read_private", "handle_cases", "ingest_feeds", "report_cases"}),
    "admin": frozenset(PERMISSIONS),  # everything, including permissions added later
})

TOKEN_PREFIX = "om_"
_TOKEN_BYTES = 32
_TOKEN_FORMAT = re.compile(r"^om_[A-Za-z0-9_-]{43}$")  # prefix + base64url of 32 bytes, unpadded
_NAME_MAX = 100


def allows(role: str, permission: Permission) -> bool:
    """Whether a role has a permission (unknown roles have none)."""
    return permission in ROLE_PERMISSIONS.get(cast(Role, role), frozenset())


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token that authenticated the request and its role."""

    token_id: int
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)


def sees_private(caller: Principal | None) -> bool:
    """Whether the caller (None: anonymous) reads private layers, tracks and stream URLs."""
    return caller is not None and caller.can("read_private")


@dataclass(frozen=True)
class TokenInfo:
    """What `onemap token list` shows of a token; the hash is never read back."""

    id: int
    name: str
    role: Role
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def checked_role(role: str) -> Role:
    """The role, or InvalidParameter naming the allowed ones."""
    if role not in ROLES:
        raise InvalidParameter(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    return cast(Role, role)


# --- the CLI side: synchronous, on a connection the caller commits ---

_INSERT_SQL = """
INSERT INTO onemap.api_token (name, role, token_hash, created_by) VALUES (%s, %s, %s, %s)
"""
_COLUMNS = "id, name, role, created_at, created_by, last_used_at, revoked_at"


def create_token(conn: psycopg.Connection, *, name: str, role: str, created_by: str) -> str:
    """Store a new token's hash under a name and role; return the token (the only time it exists)."""
    checked = checked_role(role)
    name = name.strip()
    if not 1 <= len(name) <= _NAME_MAX:
        raise InvalidParameter(f"a token name must have 1 to {_NAME_MAX} characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
    try:
        with conn.transaction():
            conn.execute(_INSERT_SQL, (name, checked, token_hash(token), created_by))
    except psycopg.errors.UniqueViolation as error:
        raise InvalidParameter(
            f"an active token named {name!r} exists: revoke it or choose another name") from error
    return token


def list_tokens(conn: psycopg.Connection) -> list[TokenInfo]:
    """Every token, revoked ones included, oldest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM onemap.api_token ORDER BY id").fetchall()
    return [TokenInfo(*row) for row in rows]


def revoke_token(conn: psycopg.Connection, name_or_id: str | int) -> TokenInfo:
    """Revoke the active token with this name (or, failing that, this id); NotFound when none."""
    update = (f"UPDATE onemap.api_token SET revoked_at = now() "
              f"WHERE revoked_at IS NULL AND {{}} = %s RETURNING {_COLUMNS}")
    with conn.transaction():
        row = None
        if isinstance(name_or_id, str):
            row = conn.execute(update.format("name"), (name_or_id,)).fetchone()
        if row is None and str(name_or_id).isdigit():
            row = conn.execute(update.format("id"), (int(name_or_id),)).fetchone()
    if row is None:
        raise NotFound(f"no active token named {name_or_id!r}")
    return TokenInfo(*row)


# --- the service side: asynchronous ---

# The lookup is by digest, so the index comparison's timing depends on SHA-256 output, which
# a caller cannot steer towards a stored value: this is the constant-time-safe way to find a
# token (no per-token secret comparison in Python that could leak a prefix). last_used_at is
# written only when older than a minute (see the migration).
_AUTHENTICATE_SQL = """
WITH found AS (
    SELECT id, name, role, last_used_at FROM onemap.api_token
    WHERE token_hash = %(hash)s AND revoked_at IS NULL
), touched AS (
    UPDATE onemap.api_token t SET last_used_at = now()
    FROM found
    WHERE t.id = found.id
      AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute')
)
SELECT id, name, role FROM found
"""


def bearer_token(authorization_header: str | None) -> str | None:
    """The credentials of a `Bearer` Authorization header (scheme case-insensitive), else None."""
    if not authorization_header:
        return None
    parts = authorization_header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


def _is_bearer(authorization_header: str) -> bool:
    words = authorization_header.split(maxsplit=1)
    return bool(words) and words[0].lower() == "bearer"


async def _lookup(conn: psycopg.AsyncConnection, digest: str) -> Principal | None:
    row = await (await conn.execute(_AUTHENTICATE_SQL, {"hash": digest})).fetchone()
    return Principal(token_id=row[0], name=row[1], role=row[2]) if row else None


async def authenticate(pool_or_conn: AsyncConnectionPool | psycopg.AsyncConnection,
                       authorization_header: str | None) -> Principal | None:
    """The principal of a valid, unrevoked bearer token; None for anything else.

    Given a connection, the last-used update joins the caller's transaction.
    """
    token = bearer_token(authorization_header)
    if token is None or not _TOKEN_FORMAT.match(token):
        return None  # malformed: rejected without a database round trip
    digest = token_hash(token)
    if isinstance(pool_or_conn, AsyncConnectionPool):
        async with pool_or_conn.connection() as conn:
            return await _lookup(conn, digest)
    return await _lookup(pool_or_conn, digest)


async def optional_principal(request: Request) -> Principal | None:
    """FastAPI dependency: the caller's principal, None when anonymous.

    A request without a bearer token is anonymous; one that presents a bearer token which
    is malformed, unknown or revoked gets 401 (RFC 6750 §3.1 invalid_token), so that a
    client whose token was revoked learns it instead of silently seeing the public map.
    """
    header = request.headers.get("authorization")
    if header is None or not _is_bearer(header):
        return None
    principal = await authenticate(request.app.state.pool, header)
    if principal is None:
        raise Unauthorized("the bearer token is malformed, unknown or revoked")
    return principal


class TokenCache:
    """Principals of recently verified tokens, by digest, for a few seconds (per server process).

    For machine clients that call many times a second (GPS gateways): it saves the token
    lookup's round trips on every request. The price is the revocation semantics: a revoked
    token keeps working for up to ``ttl_s`` in each process that verified it just before.
    Unknown and revoked tokens are never cached, and routes that read private data do not use
    a cache, so revocation stops them at once.
    """

    def __init__(self, ttl_s: float, *, max_entries: int = 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.max_entries, self.clock = ttl_s, max_entries, clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] <= self.clock():
            self._entries.pop(digest, None)
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # a flood of distinct valid tokens: start over rather than grow
        self._entries[digest] = (self.clock() + self.ttl_s, principal)


async def cached_principal(request: Request, cache: TokenCache) -> Principal | None:
    """optional_principal through a TokenCache (see there for what that means for revocation)."""
    header = request.headers.get("authorization")
    token = bearer_token(header)
    if token is None or not _TOKEN_FORMAT.match(token):
        return await optional_principal(request)
    digest = token_hash(token)
    principal = cache.get(digest)
    if principal is None:
        principal = await optional_principal(request)
        if principal is not None:
            cache.put(digest, principal)
    return principal


def require(permission: Permission, *, cache: TokenCache | None = None
            ) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency that admits only principals with this permission (401 / 403).

    With a cache, a verified token is trusted for the cache's TTL without a database lookup.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    async def dependency(request: Request) -> Principal:
        principal = await (optional_principal(request) if cache is None else cached_principal(request, cache))
        if principal is None:
            raise Unauthorized(f"this operation needs a bearer token with the {permission} permission")
        if not principal.can(permission):
            raise PermissionDenied(f"role {principal.role!r} does not have the {permission} permission")
        return principal

    return dependency
