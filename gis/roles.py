"""The roles of onemap's bearer tokens, apart from gis.auth so that `onemap token` starts without FastAPI."""

from typing import Literal, get_args

Role = Literal["viewer", "inspector", "editor", "dispatcher", "admin"]

ROLES: tuple[Role, ...] = get_args(Role)  # least privileged first; editor and dispatcher are peers
