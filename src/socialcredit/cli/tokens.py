"""`socialcredit token`: issue, list and revoke the bearer tokens of the HTTP API."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import app, opened_store, out, reported
from socialcredit.cli.options import JsonOpt, print_json
from socialcredit.services.tokens import (
    ROLES,
    issue_token,
    list_tokens,
    revoke_token,
    token_view,
)

__all__ = ["token_app"]

token_app = typer.Typer(
    help="Bearer tokens for the HTTP API: one role and principal each, stored hashed.",
    no_args_is_help=True,
)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}.")],
    principal: Annotated[
        str,
        typer.Option(
            help="Who the token acts as: a source id, a party id, a subject id, or a "
            "person's name for admin and reviewer."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Issue a token and print it. It is shown this once: only its hash is stored."""
    with opened_store() as store, reported():
        issued = issue_token(
            store,
            role=role,
            principal=principal,
            random=secrets.token_bytes,
            created_at=bootstrap.clock(),
        )
    if as_json:
        print_json({**token_view(issued.token), "token": issued.bearer})
        return
    out.print(f"token {issued.token.id} for {role} {principal}:", highlight=False)
    print(issued.bearer)
    out.print("It is shown only now; send it as `Authorization: Bearer <token>`.")


@token_app.command("list")
def token_list(as_json: JsonOpt = False) -> None:
    """Every token issued, with its role, principal and revocation; never the secret."""
    with opened_store() as store, reported():
        rows = [token_view(t) for t in list_tokens(store)]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "role", "principal", "created", "revoked")
    for row in rows:
        table.add_row(
            row["id"], row["role"], row["principal"], row["created_at"], row["revoked_at"] or ""
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (`token list`).")],
    reason: Annotated[str | None, typer.Option(help="Why; recorded with the revocation.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token: it signs nobody in from now on. The record of it is kept."""
    now = bootstrap.clock()
    with opened_store() as store, reported():
        revoked = revoke_token(store, token_id, reason=reason, revoked_at=now)
    if as_json:
        print_json(token_view(revoked))
        return
    assert revoked.revoked_at is not None
    word = "revoked" if revoked.revoked_at == now else "already revoked at"
    when = "" if revoked.revoked_at == now else f" {revoked.revoked_at.isoformat()}"
    out.print(f"{word}{when}: token {token_id}", highlight=False)
