"""Relying parties: a versioned, append-only registry of who may ask for which purposes."""

from __future__ import annotations

from socialcredit.storage import Party, Source, Store
from tests.storage.conftest import Backend
from tests.storage.rows import LATER, RECORDED

RAIL = Party("rail.12306", "China Railway 12306", ("rail.ticket",), "cd" * 32)
HOTEL = Party("hotel.weihai", "Weihai Grand Hotel", ("hotel.luxury",))


def test_a_registered_party_reads_back(store: Store) -> None:
    assert store.register_party(RAIL, registered_at=RECORDED) == "new"
    assert store.register_party(HOTEL, registered_at=RECORDED) == "new"
    assert store.parties() == [HOTEL, RAIL]
    assert store.party("rail.12306") == RAIL
    assert store.party("nobody") is None


def test_the_same_party_again_is_exists_and_stores_nothing(store: Store, backend: Backend) -> None:
    store.register_party(RAIL, registered_at=RECORDED)
    assert store.register_party(RAIL, registered_at=LATER) == "exists"
    assert backend.raw("SELECT count(*) FROM party_versions")[0][0] == 1


def test_a_changed_party_is_a_new_version_and_the_old_one_is_kept(
    store: Store, backend: Backend
) -> None:
    store.register_party(RAIL, registered_at=RECORDED)
    widened = Party(RAIL.id, RAIL.name, ("air.ticket", "rail.ticket"), RAIL.credential_hash)
    assert store.register_party(widened, registered_at=LATER) == "updated"
    assert store.party(RAIL.id) == widened
    history = backend.raw(
        "SELECT version, purposes, registered_at FROM party_versions ORDER BY version"
    )
    assert [tuple(row) for row in history] == [
        (1, '["rail.ticket"]', "2025-01-01T08:00:00.000000+00:00"),
        (2, '["air.ticket","rail.ticket"]', "2025-01-02T08:00:00.000000+00:00"),
    ]


def test_a_party_without_purposes_reads_back_without_any(store: Store) -> None:
    idle = Party("library.wendeng", "Wendeng Library", ())
    store.register_party(idle, registered_at=RECORDED)
    assert store.party(idle.id) == idle


def test_parties_and_sources_are_separate_registries(store: Store) -> None:
    store.register_party(RAIL, registered_at=RECORDED)
    assert (
        store.register_source(
            Source(RAIL.id, RAIL.name, "high", ("commerce",)), registered_at=RECORDED
        )
        == "new"
    )
    assert store.parties() == [RAIL]
    assert [source.id for source in store.sources()] == [RAIL.id]
