"""API tokens: issued once, found by id, revoked once by a later record; only digests kept."""

from __future__ import annotations

import pytest

from socialcredit.errors import RecordRejectedError
from socialcredit.storage import Store, Token
from tests.storage.conftest import Backend
from tests.storage.rows import LATER, RECORDED

ADMIN = Token("a1b2c3d4e5f60718", "admin", "operator-li", "ab" * 32, RECORDED)
COURT = Token("0f0e0d0c0b0a0908", "source", "court.wendeng", "cd" * 32, LATER)


def test_an_issued_token_reads_back_unrevoked(store: Store) -> None:
    store.add_token(ADMIN)
    assert store.token(ADMIN.id) == ADMIN
    assert store.token("nope") is None


def test_tokens_are_listed_in_the_order_they_were_issued(store: Store) -> None:
    store.add_token(COURT)
    store.add_token(ADMIN)
    assert store.tokens() == [ADMIN, COURT]


def test_a_token_id_is_stored_once(store: Store) -> None:
    store.add_token(ADMIN)
    with pytest.raises(RecordRejectedError, match=ADMIN.id):
        store.add_token(Token(ADMIN.id, "reviewer", "someone", "ef" * 32, LATER))
    assert store.tokens() == [ADMIN]


def test_a_revocation_is_a_row_beside_the_token_which_stays_as_issued(
    store: Store, backend: Backend
) -> None:
    store.add_token(ADMIN)
    store.revoke_token(ADMIN.id, reason="left the office", revoked_at=LATER)
    revoked = store.token(ADMIN.id)
    assert revoked == Token(
        ADMIN.id, "admin", "operator-li", ADMIN.digest, RECORDED, LATER, "left the office"
    )
    assert backend.raw("SELECT id, role, principal, digest FROM tokens") == [
        (ADMIN.id, "admin", "operator-li", ADMIN.digest)
    ]
    assert backend.raw("SELECT token, reason FROM token_revocations") == [
        (ADMIN.id, "left the office")
    ]


def test_a_token_is_revoked_once_and_an_unknown_one_not_at_all(store: Store) -> None:
    store.add_token(ADMIN)
    store.revoke_token(ADMIN.id, reason=None, revoked_at=LATER)
    with pytest.raises(RecordRejectedError, match="already revoked"):
        store.revoke_token(ADMIN.id, reason="again", revoked_at=LATER)
    with pytest.raises(RecordRejectedError, match="no token"):
        store.revoke_token("unknown", reason=None, revoked_at=LATER)
    assert store.token(ADMIN.id) == Token(
        ADMIN.id, "admin", "operator-li", ADMIN.digest, RECORDED, LATER, None
    )


def test_the_database_refuses_a_role_it_does_not_know(store: Store) -> None:
    with pytest.raises(RecordRejectedError):
        store.add_token(Token("ffff", "superuser", "x", "00" * 32, RECORDED))
    assert store.tokens() == []
