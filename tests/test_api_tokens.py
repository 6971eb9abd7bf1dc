"""API tokens: issued for a principal that exists, shown once, kept only as a digest, found
by id, refused once revoked; and the `socialcredit token` commands over them."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.errors import AuthenticationError, SocialCreditError, UnknownRecordError
from socialcredit.services.tokens import authenticate, issue_token, list_tokens, revoke_token
from socialcredit.storage import Store, open_store
from tests.api_support import HOTEL, NOW, TRAFFIC, build_store
from tests.cli_support import run
from tests.scenario import ADULT, OTHER_ADULT


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "ledger.db"
    build_store(path)
    with open_store(path) as opened:
        yield opened


def issue(store: Store, role: str, principal: str, seed: int = 1) -> str:
    rng = random.Random(seed)
    return issue_token(
        store, role=role, principal=principal, random=rng.randbytes, created_at=NOW
    ).bearer


def test_a_token_names_its_id_and_the_store_keeps_only_its_digest(store: Store) -> None:
    bearer = issue(store, "reviewer", "reviewer-zhao")
    prefix, id_, secret = bearer.split("_", 2)
    assert (prefix, len(id_)) == ("sc", 16)
    assert len(secret) >= 43  # 32 random bytes
    stored = store.token(id_)
    assert stored is not None
    assert stored.digest == hashlib.sha256(bearer.encode()).hexdigest()
    assert secret not in repr(list_tokens(store))


def test_the_same_generator_gives_the_same_token_and_another_gives_another(
    tmp_path: Path,
) -> None:
    bearers = []
    for name in ("a.db", "b.db"):
        with open_store(tmp_path / name) as store:
            bearers.append(issue(store, "admin", "operator", seed=7))
            bearers.append(issue(store, "admin", "operator", seed=8))
    assert bearers[0] == bearers[2]
    assert bearers[0] != bearers[1]


def test_authenticate_finds_the_token_by_id_and_checks_the_secret(store: Store) -> None:
    bearer = issue(store, "subject", ADULT)
    found = authenticate(store, bearer)
    assert (found.role, found.principal) == ("subject", ADULT)
    with pytest.raises(AuthenticationError, match="not known"):
        authenticate(store, bearer[:-3] + "xyz")
    with pytest.raises(AuthenticationError, match="malformed"):
        authenticate(store, "Bearer-ish nonsense")


def test_a_revoked_token_signs_nobody_in_and_stays_on_record(store: Store) -> None:
    bearer = issue(store, "source", TRAFFIC)
    id_ = bearer.split("_")[1]
    revoked = revoke_token(store, id_, reason="key leaked", revoked_at=NOW)
    assert (revoked.revoked_at, revoked.revoked_reason) == (NOW, "key leaked")
    with pytest.raises(AuthenticationError, match="revoked"):
        authenticate(store, bearer)
    assert revoke_token(store, id_, reason="again", revoked_at=NOW) == revoked
    assert id_ in [t.id for t in list_tokens(store)]


def test_revoking_an_unknown_token_says_so(store: Store) -> None:
    with pytest.raises(UnknownRecordError, match="no token"):
        revoke_token(store, "0000", reason=None, revoked_at=NOW)


@pytest.mark.parametrize(
    ("role", "principal", "problem"),
    [
        ("source", "court.nowhere", "no registered source"),
        ("relying_party", "bank.nowhere", "no registered relying party"),
        ("subject", "371003199901010000", "no registered subject"),
        ("subject", HOTEL, "no registered subject"),
        ("superuser", "root", "not one of"),
        ("admin", "  ", "give the principal"),
    ],
)
def test_a_principal_must_exist_for_its_role(
    store: Store, role: str, principal: str, problem: str
) -> None:
    before = list_tokens(store)
    with pytest.raises(SocialCreditError, match=problem):
        issue(store, role, principal)
    assert list_tokens(store) == before


@pytest.mark.parametrize(
    ("role", "principal"),
    [("source", TRAFFIC), ("relying_party", HOTEL), ("subject", OTHER_ADULT), ("admin", "li")],
)
def test_a_principal_that_exists_gets_its_token(store: Store, role: str, principal: str) -> None:
    assert authenticate(store, issue(store, role, principal)).role == role


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.db"
    build_store(path)
    monkeypatch.setenv("SOCIALCREDIT_DB", str(path))
    return path


def test_token_create_prints_the_token_once_and_list_never_shows_it(db: Path) -> None:
    created = run("token", "create", "--role", "relying_party", "--principal", HOTEL, "--json")
    assert created.exit_code == 0, created.output
    issued = json.loads(created.stdout)
    assert issued["token"].startswith(f"sc_{issued['id']}_")
    assert (issued["role"], issued["principal"], issued["revoked_at"]) == (
        "relying_party",
        HOTEL,
        None,
    )
    listed = run("token", "list", "--json")
    assert listed.exit_code == 0
    assert issued["id"] in listed.stdout
    assert issued["token"] not in listed.stdout
    assert "digest" not in listed.stdout


def test_token_create_in_words_shows_the_token_and_how_to_send_it(db: Path) -> None:
    created = run("token", "create", "--role", "admin", "--principal", "operator-zhou")
    assert created.exit_code == 0, created.output
    assert "sc_" in created.stdout
    assert "Authorization: Bearer" in created.stdout


def test_token_revoke_records_the_revocation_and_says_when_it_was_already(db: Path) -> None:
    issued = json.loads(
        run("token", "create", "--role", "admin", "--principal", "op", "--json").stdout
    )
    first = run("token", "revoke", issued["id"], "--reason", "rotated")
    assert first.exit_code == 0, first.output
    assert f"revoked: token {issued['id']}" in first.stdout
    again = run("token", "revoke", issued["id"])
    assert again.exit_code == 0
    assert "already revoked at" in again.stdout
    listed = json.loads(run("token", "list", "--json").stdout)
    mine = next(t for t in listed if t["id"] == issued["id"])
    assert mine["revoked_reason"] == "rotated"


def test_token_commands_refuse_bad_input_with_a_one_line_reason(db: Path) -> None:
    unknown = run("token", "create", "--role", "source", "--principal", "court.nowhere")
    assert unknown.exit_code == 2
    assert "no registered source" in unknown.stderr
    bad_role = run("token", "create", "--role", "king", "--principal", "x")
    assert bad_role.exit_code == 2
    assert "not one of" in bad_role.stderr
    missing = run("token", "revoke", "ffff")
    assert missing.exit_code == 2
    assert "no token ffff" in missing.stderr
