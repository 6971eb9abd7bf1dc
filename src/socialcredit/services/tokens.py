"""Bearer tokens for the HTTP API: issued for one role and principal, shown once, revocable.

A token reads `sc_<id>_<secret>`: the id (16 hex digits) is public and names the stored
record; the secret (32 random bytes, URL-safe base64) is never stored. The store keeps the
SHA-256 of the whole token, so a request's token is found by its id and its digest compared
in constant time (`hmac.compare_digest`). A token whose digest the store holds cannot be
rebuilt from it, and a leaked copy of the store signs nobody in.

The principal must exist for its role: a registered source for `source`, a registered
relying party for `relying_party`, a registered subject for `subject`; admins and reviewers
are named people. Revoking a token records a revocation beside it (tokens are facts too);
a revoked token signs nobody in from then on.

Random bytes come from a generator passed in (`secrets.token_bytes` in production), so the
tokens of a test are the same at every run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from socialcredit.errors import AuthenticationError, SocialCreditError, UnknownRecordError
from socialcredit.storage import Store, Token

__all__ = [
    "ROLES",
    "Issued",
    "RandomBytes",
    "Role",
    "SignedIn",
    "authenticate",
    "issue_token",
    "list_tokens",
    "revoke_token",
    "still_valid",
    "token_view",
]

Role = Literal["admin", "reviewer", "source", "relying_party", "subject"]
ROLES: tuple[str, ...] = get_args(Role)
RandomBytes = Callable[[int], bytes]

PREFIX = "sc"
_ID_BYTES = 8
_SECRET_BYTES = 32


@dataclass(frozen=True)
class Issued:
    """A token just issued: its stored record and the bearer text, shown this once."""

    token: Token
    bearer: str


def _digest(bearer: str) -> str:
    return hashlib.sha256(bearer.encode()).hexdigest()


def _check_principal(store: Store, role: str, principal: str) -> None:
    """Refuse a principal that does not exist for its role."""
    if role not in ROLES:
        raise SocialCreditError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not principal.strip():
        raise SocialCreditError("give the principal the token acts as (--principal)")
    if role == "source" and store.source(principal) is None:
        raise SocialCreditError(
            f"no registered source {principal!r}; register it with `socialcredit source add`"
        )
    if role == "relying_party" and store.party(principal) is None:
        raise SocialCreditError(
            f"no registered relying party {principal!r}; register it with `socialcredit party add`"
        )
    if role == "subject" and store.subjects([principal]).is_empty():
        raise SocialCreditError(
            f"no registered subject {principal!r}; a subject is registered by its first "
            "event or with `socialcredit subject add`"
        )


def issue_token(
    store: Store, *, role: str, principal: str, random: RandomBytes, created_at: datetime
) -> Issued:
    """Issue a token for a role and principal that exist; the bearer text is returned once."""
    _check_principal(store, role, principal)
    id_ = random(_ID_BYTES).hex()
    secret = base64.urlsafe_b64encode(random(_SECRET_BYTES)).rstrip(b"=").decode()
    bearer = f"{PREFIX}_{id_}_{secret}"
    token = Token(id_, role, principal, _digest(bearer), created_at)
    store.add_token(token)
    return Issued(token, bearer)


def list_tokens(store: Store) -> list[Token]:
    """Every token, revoked ones included, in the order they were issued."""
    return store.tokens()


def revoke_token(store: Store, id: str, *, reason: str | None, revoked_at: datetime) -> Token:
    """Revoke a token from now on; a token already revoked is left as it was."""
    found = store.token(id)
    if found is None:
        raise UnknownRecordError(f"no token {id}; `socialcredit token list` shows them")
    if found.revoked_at is None:
        store.revoke_token(id, reason=reason, revoked_at=revoked_at)
        found = store.token(id)
        assert found is not None
    return found


def authenticate(store: Store, bearer: str) -> Token:
    """The unrevoked token this bearer text is, or AuthenticationError."""
    prefix, _, rest = bearer.partition("_")
    id_, _, secret = rest.partition("_")
    if prefix != PREFIX or not id_ or not secret:
        raise AuthenticationError(
            "the bearer token is malformed; send the token `socialcredit token create` "
            "printed, as `Authorization: Bearer sc_...`"
        )
    found = store.token(id_)
    # Compared even for an unknown id, so the time taken does not tell which ids exist.
    stored = found.digest if found is not None else _digest("")
    if not hmac.compare_digest(stored, _digest(bearer)) or found is None:
        raise AuthenticationError(
            "the bearer token is not known; ask the operator for a token "
            "(`socialcredit token create`)"
        )
    _refuse_revoked(found)
    return found


def _refuse_revoked(found: Token) -> None:
    if found.revoked_at is not None:
        raise AuthenticationError(
            f"the bearer token was revoked at {found.revoked_at.isoformat()}; ask the "
            "operator for a new one"
        )


def still_valid(store: Store, id: str) -> None:
    """AuthenticationError, as `authenticate` words it, if the token (by its id) is no
    longer stored unrevoked."""
    found = store.token(id)
    if found is None:
        raise AuthenticationError(
            "the bearer token is not known; ask the operator for a token "
            "(`socialcredit token create`)"
        )
    _refuse_revoked(found)


class SignedIn:
    """Tokens already authenticated, by the digest of their bearer text, for as long as the
    store's tokens and revocations stay as they were.

    Revocation is re-checked by the store's change stamp, not by a time to live: once a
    revocation (or a new token) is committed, the first stamp read after it (`observe`)
    forgets every token, so that each is authenticated afresh. `authenticate` reads the
    stamp at every call: a revoked token signs nobody in from the first request that starts
    after its revocation. `remembered` does not, for the busiest path (decisions), whose
    writer reads the stamp inside the transaction that records the decision, observes it
    here, and refuses a decision whose token was revoked before that commit (`mark` says
    which stamp a token was last checked against). Only tokens that signed in are kept, so
    unknown or forged bearer text always reaches the store."""

    def __init__(self) -> None:
        self._known: dict[str, Token] = {}
        self._mark: tuple[int, int] | None = None

    def observe(self, stamp: dict[str, int]) -> tuple[int, int]:
        """Take note of the store's change stamp: a token issued or revoked since the last
        one forgets every token. The tokens' part of the stamp."""
        mark = (stamp["tokens"], stamp["token_revocations"])
        if mark != self._mark:
            self._known, self._mark = {}, mark
        return mark

    def authenticate(self, store: Store, bearer: str) -> Token:
        """`authenticate`, from memory while no token was issued or revoked since."""
        self.observe(store.change_stamp())
        token, _ = self.remembered(store, bearer)
        return token

    def remembered(self, store: Store, bearer: str) -> tuple[Token, tuple[int, int]]:
        """`authenticate`, from memory if the token signed in since the last stamp observed
        (which may be a little old: see the class's notes); and the mark it holds for."""
        if self._mark is None:
            self.observe(store.change_stamp())
        # The mark before the tokens: `observe` replaces the tokens before the mark, so a
        # token found here was checked against this mark or a later one.
        mark, known = self._mark, self._known
        assert mark is not None
        digest = _digest(bearer)
        found = known.get(digest)
        if found is None:
            found = authenticate(store, bearer)
            known[digest] = found
        return found, mark


def token_view(token: Token) -> dict[str, Any]:
    """A token as JSON-ready data, without its digest."""
    return {
        "id": token.id,
        "role": token.role,
        "principal": token.principal,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "revoked_reason": token.revoked_reason,
    }
