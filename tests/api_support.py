"""A small world for the API tests: a SQLite store with the bundled rulebooks, two sources,
a relying party, two subjects with a traffic fine each, one pending report, and a token
for every role; and an in-process client over it with a fixed clock.

The store is built once per session and copied for each test, so every test starts from
the same facts and may write freely.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from socialcredit.api import create_app
from socialcredit.services.casework import listings_of
from socialcredit.services.consent import give_consent
from socialcredit.services.dispute_casework import open_dispute
from socialcredit.services.ingest import ingest_records
from socialcredit.services.parties import add_party
from socialcredit.services.registry import add_source
from socialcredit.services.repair import apply_for_repair
from socialcredit.services.schemes import publish_bundled
from socialcredit.services.tick import tick
from socialcredit.services.tokens import issue_token, revoke_token
from socialcredit.storage import open_store
from tests.scenario import ADULT, OTHER_ADULT

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
TRAFFIC = "traffic.weihai"
REPORTER = "community.reporter"
HOTEL = "hotel.weihai"
PENDING = (REPORTER, "noise-1")

# Who calls, as (role, principal); "revoked" is an admin token revoked before the tests.
CALLERS: dict[str, tuple[str, str]] = {
    "admin": ("admin", "operator-li"),
    "reviewer": ("reviewer", "reviewer-wang"),
    "source": ("source", TRAFFIC),
    "low_source": ("source", REPORTER),
    "relying_party": ("relying_party", HOTEL),
    "subject": ("subject", ADULT),
    "other_subject": ("subject", OTHER_ADULT),
    "revoked": ("admin", "operator-gone"),
}


def fine(event_id: str, subject: str, when: str = "2026-03-01T09:30:00+08:00") -> dict[str, Any]:
    """A traffic fine as a source sends it."""
    return {
        "id": event_id,
        "subject": subject,
        "type": "traffic.fine",
        "occurred_at": when,
        "jurisdiction": "371003",
        "data": {"amount_cny": 800},
    }


def build_store(path: Path) -> dict[str, str]:
    """The world's store at `path`; the bearer token of every caller."""
    rng = random.Random(5)
    with open_store(path) as store:
        publish_bundled(store, published_at=NOW)
        add_source(
            store,
            TRAFFIC,
            name=None,
            trust="high",
            allow=["traffic"],
            credential=None,
            registered_at=NOW,
        )
        add_source(
            store,
            REPORTER,
            name=None,
            trust="low",
            allow=["public_order"],
            credential=None,
            registered_at=NOW,
        )
        add_party(
            store,
            HOTEL,
            name="Weihai Grand Hotel",
            purposes=["air_travel", "merchant_discounts"],
            registered_at=NOW,
        )
        ingest_records(
            store,
            [fine("tj-1", ADULT), fine("tj-2", OTHER_ADULT)],
            source=TRAFFIC,
            recorded_at=NOW,
        )
        noise = {
            "id": PENDING[1],
            "subject": ADULT,
            "type": "public_order.noise",
            "occurred_at": "2026-04-01T22:00:00+08:00",
            "jurisdiction": "371003",
        }
        ingest_records(store, [noise], source=REPORTER, recorded_at=NOW)
        tokens = {
            name: issue_token(
                store, role=role, principal=principal, random=rng.randbytes, created_at=NOW
            )
            for name, (role, principal) in CALLERS.items()
        }
        revoke_token(store, tokens["revoked"].token.id, reason="left", revoked_at=NOW)
    bearers = {name: issued.bearer for name, issued in tokens.items()}
    # Tokens the store never issued: a well-formed one with a wrong secret, and noise.
    bearers["forged"] = bearers["admin"][:-4] + "AAAA"
    bearers["malformed"] = "not-a-token"
    return bearers


@dataclass
class World:
    """A client over a fresh copy of the world's store, and the callers' tokens."""

    app: FastAPI
    client: TestClient
    tokens: dict[str, str]
    store: Path

    def auth(self, caller: str | None) -> dict[str, str]:
        """The headers a caller sends: its bearer token, or none."""
        return {} if caller is None else {"Authorization": f"Bearer {self.tokens[caller]}"}

    def get(self, path: str, caller: str | None = None, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.auth(caller), **kwargs)

    def post(self, path: str, caller: str | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.auth(caller), **kwargs)

    def delete(self, path: str, caller: str | None = None, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.auth(caller), **kwargs)


@dataclass(frozen=True)
class Template:
    """The world's store as built once, and its tokens."""

    path: Path
    tokens: dict[str, str]


def build_template(folder: Path) -> Template:
    path = folder / "template.db"
    return Template(path, build_store(path))


_BUILT: dict[Path, Template] = {}


def shared_template(factory: pytest.TempPathFactory) -> Template:
    """The template of this test session, built on first use."""
    base = factory.getbasetemp()
    if base not in _BUILT:
        _BUILT[base] = build_template(factory.mktemp("api-world"))
    return _BUILT[base]


def world_from(template: Template, folder: Path) -> Iterator[World]:
    """A world over a copy of the template's store, its client open for the test."""
    path = folder / "ledger.db"
    shutil.copyfile(template.path, path)
    app = create_app(str(path), lambda: NOW)
    with TestClient(app) as client:
        yield World(app, client, template.tokens, path)


COURT = "court.wendeng"
DEFAULTERS = "dishonest-judgment-defaulters"
CIVIC = "civic-rewards"


def open_a_dispute(world: World, subject: str = ADULT, event_id: str = "tj-1") -> str:
    """Open the subject's dispute of their traffic fine, as of the world's clock; its ref."""
    with open_store(world.store) as store:
        found = open_dispute(
            store,
            subject,
            source=TRAFFIC,
            event_id=event_id,
            rule=None,
            grounds="I was not driving",
            at=NOW,
        )
    return found.ref


def consent_to(world: World, rulebook: str = CIVIC, subject: str = ADULT) -> None:
    """Record the subject's consent to an opt-in scheme, as of the world's clock."""
    with open_store(world.store) as store:
        give_consent(store, subject, rulebook, at=NOW, recorded_at=NOW)


def list_a_defaulter(world: World, subject: str = ADULT, *, noticed: bool = False) -> str:
    """Have the court list the subject as a judgment defaulter (and, if `noticed`, serve
    the notice that opens the appeal window); the listing's ref."""
    court_order = {
        "id": f"c-{subject}",
        "subject": subject,
        "type": "court.defaulter_listed",
        "occurred_at": "2026-05-25T09:00:00+08:00",
        "jurisdiction": "371003",
        "data": {"case_no": "c-1"},
    }
    with open_store(world.store) as store:
        if store.source(COURT) is None:
            add_source(
                store,
                COURT,
                name=None,
                trust="high",
                allow=["judicial"],
                credential=None,
                registered_at=NOW,
            )
        ingest_records(store, [court_order], source=COURT, recorded_at=NOW)
        if noticed:
            tick(store, now=NOW)
        found = [s for s in listings_of(store, subject, NOW) if s.definition.id == DEFAULTERS]
    return found[-1].ref


def apply_for_a_repair(world: World, subject: str = ADULT, event_id: str = "tj-1") -> str:
    """File the subject's application to repair their traffic fine; its ref."""
    with open_store(world.store) as store:
        found = apply_for_repair(
            store,
            f"{TRAFFIC}/{event_id}",
            commitment="I will keep to the speed limit",
            proof="the fine is paid",
            at=NOW,
            subject=subject,
        )
    return found.id
