"""Which store a target opens, where the target comes from, and concurrent writers."""

from __future__ import annotations

import threading
from pathlib import Path

from socialcredit.storage import DEFAULT_DB, Store, open_store, target_from_env
from socialcredit.storage.postgres import PostgresStore
from socialcredit.storage.sqlite import SQLiteStore
from tests.storage.conftest import Backend
from tests.storage.rows import RECORDED, events


def test_the_target_comes_from_socialcredit_db_or_is_the_default_file() -> None:
    assert target_from_env({}) == DEFAULT_DB == "./socialcredit.db"
    assert target_from_env({"SOCIALCREDIT_DB": ""}) == DEFAULT_DB
    assert target_from_env({"SOCIALCREDIT_DB": "postgresql://h/db"}) == "postgresql://h/db"


def test_a_path_opens_sqlite_and_a_url_opens_postgres(
    tmp_path: Path, postgres_backend: Backend
) -> None:
    with open_store(tmp_path / "ledger.db") as store:
        assert isinstance(store, SQLiteStore)
    with open_store(postgres_backend.target) as store:
        assert isinstance(store, PostgresStore)


def test_an_in_memory_sqlite_store_keeps_the_contract() -> None:
    with open_store(":memory:") as store:
        store.append_events(events({"id": "m1"}), recorded_at=RECORDED)
        assert store.event_count() == 1
        assert store.verify_chain() == []


def test_concurrent_writers_keep_one_dense_unbroken_chain(backend: Backend) -> None:
    open_store(backend.target).close()
    errors: list[BaseException] = []

    def write(writer: str) -> None:
        try:
            with open_store(backend.target) as store:
                for batch in range(10):
                    rows = ({"id": f"{writer}-{batch}-{i}"} for i in range(20))
                    store.append_events(events(*rows), recorded_at=RECORDED)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(backend.target) as store:
        verify(store, 600)


def verify(store: Store, count: int) -> None:
    assert store.event_count() == count
    assert store.events_between(1, count).get_column("seq").to_list() == list(range(1, count + 1))
    assert store.verify_chain() == []
