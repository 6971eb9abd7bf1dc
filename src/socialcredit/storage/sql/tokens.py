"""API tokens in SQL: issued once, revoked once by a later row beside them, never changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from socialcredit.errors import RecordRejectedError
from socialcredit.storage.appending import iso_text
from socialcredit.storage.contract import Token
from socialcredit.storage.sql.base import SqlBase

__all__ = ["Tokens"]

_SELECT = (
    "SELECT t.id, t.role, t.principal, t.digest, t.created_at, r.revoked_at, r.reason "
    "FROM tokens AS t LEFT JOIN token_revocations AS r ON r.token = t.id"
)


class Tokens(SqlBase):
    """Bearer tokens for the HTTP API and their revocations."""

    def add_token(self, token: Token) -> None:
        """Store a new token; an id already stored is refused."""
        with self._writing():
            if self._fetch("SELECT 1 FROM tokens WHERE id = ?", (token.id,)):
                raise RecordRejectedError(f"a token with the id {token.id} is already stored")
            self._execute(
                "INSERT INTO tokens (id, role, principal, digest, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (token.id, token.role, token.principal, token.digest, iso_text(token.created_at)),
            )

    def token(self, id: str) -> Token | None:
        """One token by its id, with its revocation if it has one, or None."""
        with self._translated():
            found = self._fetch(f"{_SELECT} WHERE t.id = ?", (id,))
        return _token(found[0]) if found else None

    def tokens(self) -> list[Token]:
        """Every token, revoked ones included, in the order they were issued."""
        with self._translated():
            return [_token(row) for row in self._fetch(f"{_SELECT} ORDER BY t.created_at, t.id")]

    def revoke_token(self, id: str, *, reason: str | None, revoked_at: datetime) -> None:
        """Record the one revocation of a token; unknown or already revoked is refused."""
        with self._writing():
            found = self._fetch(f"{_SELECT} WHERE t.id = ?", (id,))
            if not found:
                raise RecordRejectedError(f"no token {id} is stored; `token list` shows them")
            if found[0][5] is not None:
                raise RecordRejectedError(f"token {id} was already revoked at {found[0][5]}")
            self._execute(
                "INSERT INTO token_revocations (token, reason, revoked_at) VALUES (?, ?, ?)",
                (id, reason, iso_text(revoked_at)),
            )


def _token(row: Sequence[Any]) -> Token:
    id_, role, principal, digest, created_at, revoked_at, reason = row
    return Token(
        id_,
        role,
        principal,
        digest,
        datetime.fromisoformat(created_at),
        None if revoked_at is None else datetime.fromisoformat(revoked_at),
        reason,
    )
