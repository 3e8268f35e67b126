"""`onemap token create|list|revoke`: API bearer tokens, stored hashed."""

import getpass
from datetime import datetime

import typer

from gis.cli.context import ready_database_url, settings_of
from gis.database import connect
from gis.roles import ROLES

app = typer.Typer(help="API bearer tokens with a role; onemap stores only their hashes.",
                  no_args_is_help=True)


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


@app.command()
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., help="who or what holds the token, e.g. patrol-app"),
    role: str = typer.Option(..., help=" | ".join(ROLES)),
) -> None:
    """Create a token and print it once: onemap keeps only its hash."""
    from gis.auth import checked_role, create_token  # FastAPI: ~0.2 s

    checked_role(role)  # before touching the database
    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        token = create_token(conn, name=name, role=role, created_by=getpass.getuser())
    typer.echo(token)  # alone on stdout, so that scripts can capture it
    typer.secho(f"created {role} token {name.strip()!r}. Store it now: it cannot be shown again.",
                fg=typer.colors.YELLOW, err=True)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List tokens: name, role, created, last used (minute resolution), revoked. Never the token."""
    from gis.auth import list_tokens

    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        tokens = list_tokens(conn)
    if not tokens:
        typer.echo("no tokens")
        return
    rows = [("id", "name", "role", "created", "by", "last used", "revoked")]
    rows += [(str(t.id), t.name, t.role, _when(t.created_at), t.created_by, _when(t.last_used_at),
              _when(t.revoked_at)) for t in tokens]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@app.command()
def revoke(ctx: typer.Context,
           name: str = typer.Argument(..., help="name (or id) of an active token")) -> None:
    """Revoke a token: it stops working at once."""
    from gis.auth import revoke_token

    settings = settings_of(ctx)
    with connect(ready_database_url(settings), timeout_s=settings.connect_timeout_s) as conn:
        token = revoke_token(conn, name)
    typer.echo(f"revoked {token.role} token {token.name!r} (id {token.id})")
