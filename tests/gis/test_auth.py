"""Bearer tokens and roles against the test database: storage, authentication, the CLI, private
layers in the tiles, and the `require` dependency on a test-only app."""

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, cast

import mapbox_vector_tile
import morecantile
import psycopg
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from psycopg_pool import AsyncConnectionPool
from pydantic import SecretStr

from gis.app import create_app, error_response
from gis.auth import (
    PERMISSIONS,
    ROLE_PERMISSIONS,
    ROLES,
    Permission,
    Principal,
    TokenCache,
    allows,
    authenticate,
    create_token,
    list_tokens,
    require,
    revoke_token,
)
from gis.errors import InvalidParameter, NotFound, OnemapError

ONEMAP = str(Path(sys.executable).with_name("onemap"))  # the console script of this environment
CENTRE = (114.02, 22.535)  # 车公庙, inside the demo city; roads are drawn from z12


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ONEMAP, *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _token(url: str, role: str = "viewer", name: str | None = None) -> str:
    with psycopg.connect(url) as conn:
        return create_token(conn, name=name or _name(), role=role, created_by="pytest")


def _authenticate(url: str, header: str | None) -> Principal | None:
    async def go() -> Principal | None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await authenticate(conn, header)

    return asyncio.run(go())


# --- tokens ---


@pytest.mark.parametrize("role", ROLES)
def test_created_token_authenticates_with_its_name_and_role(db_url, role):
    name = _name()
    token = _token(db_url, role, name)
    principal = _authenticate(db_url, f"Bearer {token}")
    assert principal is not None
    assert (principal.name, principal.role) == (name, role)


def test_token_is_prefixed_and_carries_32_random_bytes(db_url):
    token = _token(db_url)
    assert token.startswith("om_")
    assert len(token) == len("om_") + 43  # base64url of 32 bytes, unpadded
    assert token != _token(db_url)


def test_only_the_sha256_of_the_token_is_stored(db_url):
    name = _name()
    token = _token(db_url, name=name)
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT token_hash FROM onemap.api_token WHERE name = %s", (name,)).fetchone()
        leaks = conn.execute(
            "SELECT count(*) FROM onemap.api_token t "
            "WHERE strpos(t::text, %s) > 0 OR strpos(t::text, %s) > 0",
            (token, token.removeprefix("om_"))).fetchone()
    assert stored == (hashlib.sha256(token.encode()).hexdigest(),)
    assert leaks == (0,)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Token {token}", "Bearer {token} extra",
     "Bearer om_short", "Bearer {token}x", "Bearer om_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
     "Bearer {token}'; DROP TABLE onemap.api_token; --"],
    ids=["absent", "empty", "no-credentials", "blank-credentials", "basic-scheme", "other-scheme",
         "extra-part", "malformed", "altered", "unknown", "hostile"],
)
def test_anything_but_a_valid_bearer_token_authenticates_to_none(db_url, header):
    token = _token(db_url)
    assert _authenticate(db_url, header and header.format(token=token)) is None


def test_bearer_scheme_is_case_insensitive(db_url):
    token = _token(db_url)
    assert _authenticate(db_url, f"bearer  {token}") is not None


def test_revoked_token_is_rejected(db_url):
    name = _name()
    token = _token(db_url, name=name)
    with psycopg.connect(db_url) as conn:
        revoked = revoke_token(conn, name)
    assert revoked.revoked_at is not None
    assert _authenticate(db_url, f"Bearer {token}") is None


def test_revoke_by_id_and_twice(db_url):
    name = _name()
    _token(db_url, name=name)
    with psycopg.connect(db_url) as conn:
        token_id = next(t.id for t in list_tokens(conn) if t.name == name)
        assert revoke_token(conn, str(token_id)).name == name
        with pytest.raises(NotFound, match="no active token"):
            revoke_token(conn, name)


def test_an_active_name_is_unique_and_free_again_after_revocation(db_url):
    name = _name()
    _token(db_url, name=name)
    with psycopg.connect(db_url) as conn:
        with pytest.raises(InvalidParameter, match="active token named"):
            create_token(conn, name=name, role="viewer", created_by="pytest")
        revoke_token(conn, name)
        assert create_token(conn, name=name, role="editor", created_by="pytest")


def test_unknown_role_is_refused_naming_the_roles(db_url):
    with psycopg.connect(db_url) as conn, pytest.raises(
            InvalidParameter, match="viewer, inspector, editor, dispatcher, admin"):
        create_token(conn, name=_name(), role="root", created_by="pytest")


def test_last_used_is_written_at_most_once_a_minute(db_url):
    name = _name()
    token = _token(db_url, name=name)

    def last_used() -> object:
        with psycopg.connect(db_url) as conn:
            row = conn.execute(
                "SELECT last_used_at FROM onemap.api_token WHERE name = %s", (name,)).fetchone()
        assert row is not None
        return row[0]

    assert last_used() is None
    _authenticate(db_url, f"Bearer {token}")
    first = last_used()
    assert first is not None
    _authenticate(db_url, f"Bearer {token}")
    assert last_used() == first
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE onemap.api_token SET last_used_at = now() - interval '2 minutes' "
                     "WHERE name = %s", (name,))
    _authenticate(db_url, f"Bearer {token}")
    assert last_used() != first


# --- the permission table ---


@pytest.mark.parametrize(
    ("role", "granted"),
    [
        ("viewer", {"read_private"}),
        ("inspector", {"read_private", "report_cases"}),
        ("editor", {"read_private", "write_components"}),
        ("dispatcher", {"read_private", "handle_cases", "ingest_feeds", "report_cases"}),
        ("admin", set(PERMISSIONS)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_role_permissions(role, granted):
    assert ROLE_PERMISSIONS[role] == granted
    assert {p for p in PERMISSIONS if allows(role, p)} == granted


def test_unknown_role_has_no_permission():
    assert not any(allows("root", p) for p in PERMISSIONS)


def test_require_refuses_an_unknown_permission():
    with pytest.raises(ValueError, match="unknown permission"):
        require(cast(Permission, "fly"))


# --- the command line ---


def test_cli_create_prints_the_token_once_and_it_works(db_url):
    result = run("token", "create", "--name", _name(), "--role", "editor", ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("om_")
    assert "cannot be shown again" in result.stderr
    principal = _authenticate(db_url, f"Bearer {token}")
    assert principal is not None
    assert principal.role == "editor"


def test_cli_list_shows_tokens_but_never_secrets(db_url):
    name = _name()
    token = _token(db_url, "dispatcher", name)
    result = run("token", "list", ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "name", "role", "created", "by", "last", "used", "revoked"]
    assert any(name in row and "dispatcher" in row for row in rows)
    assert token not in result.stdout
    assert hashlib.sha256(token.encode()).hexdigest() not in result.stdout


def test_cli_revoke_stops_the_token_and_a_second_revoke_is_not_found(db_url):
    name = _name()
    token = _token(db_url, name=name)
    first = run("token", "revoke", name, ONEMAP_DATABASE_URL=db_url)
    second = run("token", "revoke", name, ONEMAP_DATABASE_URL=db_url)
    assert first.returncode == 0, first.stderr
    assert f"revoked viewer token {name!r}" in first.stdout
    assert _authenticate(db_url, f"Bearer {token}") is None
    assert second.returncode == 4
    assert "no active token" in second.stderr


def test_cli_unknown_role_exits_2_naming_the_roles(db_url):
    result = run("token", "create", "--name", _name(), "--role", "root", ONEMAP_DATABASE_URL=db_url)
    assert result.returncode == 2
    assert "viewer, inspector, editor, dispatcher, admin" in result.stderr
    assert "Traceback" not in result.stderr


# --- private layers in the tiles ---


def _tile_path(tileset: str, z: int = 14) -> str:
    tile = morecantile.tms.get("WebMercatorQuad").tile(*CENTRE, z)
    return f"/tiles/{tileset}/{tile.z}/{tile.x}/{tile.y}.mvt"


@pytest.fixture
def private_roads(settings, fresh_db_url) -> Iterator[tuple[TestClient, str]]:
    """The app over a database whose `roads` layer is private, and a viewer token."""
    with psycopg.connect(fresh_db_url) as conn:
        conn.execute("UPDATE onemap.layer SET is_private = true WHERE name = 'roads'")
    token = _token(fresh_db_url, "viewer")
    app = create_app(settings.model_copy(update={"database_url": SecretStr(fresh_db_url)}))
    with TestClient(app) as client:
        yield client, token


def test_private_layer_is_invisible_without_a_token(private_roads):
    client, _ = private_roads
    private = client.get(_tile_path("roads"))
    unknown = client.get(_tile_path("no_such_layer"))
    assert private.status_code == unknown.status_code == 404
    assert private.json()["code"] == unknown.json()["code"] == "NotFound"
    assert "Authorization" in private.headers["vary"].split(", ")


def test_private_layer_is_served_to_a_viewer_and_kept_out_of_shared_caches(private_roads):
    client, token = private_roads
    response = client.get(_tile_path("roads"), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert mapbox_vector_tile.decode(response.content)["roads"]["features"]
    assert response.headers["cache-control"].startswith("private")
    assert "Authorization" in response.headers["vary"]


def test_fused_tile_leaves_private_layers_out_without_a_token(private_roads):
    client, _ = private_roads
    response = client.get(_tile_path("onemap"))
    layers = mapbox_vector_tile.decode(response.content)
    assert "roads" not in layers
    assert "admin" in layers
    assert "Authorization" in response.headers["vary"]
    assert "private" not in response.headers.get("cache-control", "")


def test_fused_tile_includes_private_layers_for_a_viewer(private_roads):
    client, token = private_roads
    response = client.get(_tile_path("onemap"), headers={"Authorization": f"Bearer {token}"})
    layers = mapbox_vector_tile.decode(response.content)
    assert {"roads", "admin"} <= set(layers)
    assert response.headers["cache-control"].startswith("private")
    assert "Authorization" in response.headers["vary"]


def test_a_revoked_token_gets_401_not_the_public_map(private_roads, fresh_db_url):
    client, token = private_roads
    principal = _authenticate(fresh_db_url, f"Bearer {token}")
    assert principal is not None
    with psycopg.connect(fresh_db_url) as conn:
        revoke_token(conn, principal.token_id)
    response = client.get(_tile_path("onemap"), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- require(permission) on a test-only app ---


@pytest.fixture(scope="module")
def guarded(db_url) -> Iterator[TestClient]:
    """A tiny app with one route that needs `write_components`, wired like the product's."""
    with _guarded_client(db_url, "/components", require("write_components")) as client:
        yield client


@contextmanager
def _guarded_client(db_url: str, path: str, guard: Callable[[Request], Awaitable[Principal]]
                    ) -> Iterator[TestClient]:
    """A test app with one POST route behind `guard`, answering {"by": the token's name}."""
    pool = AsyncConnectionPool(db_url, open=False)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pool.open()
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)
    app.state.pool = pool

    @app.exception_handler(OnemapError)
    async def _error(_: Request, error: OnemapError) -> JSONResponse:
        return error_response(error)

    @app.post(path)
    async def write(principal: Annotated[Principal, Depends(guard)]) -> dict:
        return {"by": principal.name}

    with TestClient(app) as client:
        yield client


def test_require_answers_401_with_the_scheme_without_a_token(guarded):
    response = guarded.post("/components")
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"
    assert response.headers["www-authenticate"] == 'Bearer realm="onemap"'


@pytest.mark.parametrize(
    ("role", "status"),
    [("viewer", 403), ("dispatcher", 403), ("editor", 200), ("admin", 200)],
    ids=["viewer", "dispatcher", "editor", "admin"],
)
def test_require_checks_the_role(guarded, db_url, role, status):
    name = _name()
    token = _token(db_url, role, name)
    response = guarded.post("/components", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status
    if status == 200:
        assert response.json() == {"by": name}
    else:
        assert response.json()["code"] == "Forbidden"


def test_require_answers_401_for_an_invalid_token(guarded):
    response = guarded.post("/components", headers={"Authorization": "Bearer om_nope"})
    assert response.status_code == 401


# --- the token cache of high-rate machine routes (GPS ingest) ---


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def cached(db_url) -> Iterator[tuple[TestClient, _Clock]]:
    """A route guarded through a TokenCache with a clock the test moves."""
    clock = _Clock()
    guard = require("ingest_feeds", cache=TokenCache(ttl_s=5.0, clock=clock))
    with _guarded_client(db_url, "/fixes", guard) as client:
        yield client, clock


def test_a_cached_token_outlives_its_revocation_only_for_the_ttl(cached, db_url):
    client, clock = cached
    name = _name()
    headers = {"Authorization": f"Bearer {_token(db_url, 'dispatcher', name)}"}
    assert client.post("/fixes", headers=headers).json() == {"by": name}
    with psycopg.connect(db_url) as conn:
        revoke_token(conn, name)
    clock.now += 4.9
    assert client.post("/fixes", headers=headers).status_code == 200  # the documented grace
    clock.now += 0.2
    response = client.post("/fixes", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"


def test_the_cache_keeps_no_unknown_token_and_still_checks_the_role(cached, db_url):
    client, _ = cached
    unknown = "Bearer om_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert client.post("/fixes", headers={"Authorization": unknown}).status_code == 401
    viewer = {"Authorization": f"Bearer {_token(db_url, 'viewer')}"}
    assert client.post("/fixes", headers=viewer).status_code == 403
    assert client.post("/fixes", headers=viewer).status_code == 403  # cached, still refused
    assert client.post("/fixes").status_code == 401


def test_the_cache_is_bounded():
    small = TokenCache(ttl_s=5.0, max_entries=2)
    for n in range(3):
        small.put(f"d{n}", Principal(n, "gw", "dispatcher"))
    assert small.get("d2") == Principal(2, "gw", "dispatcher")
    assert small.get("d0") is None
