"""Facts are append-only in the database itself: any client's UPDATE or DELETE is refused,
and the store's driver errors come out as the project's own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import psycopg
import pytest

from socialcredit.errors import StoreUnavailableError
from socialcredit.storage import Party, Source, Store, Token, open_store
from tests.storage.conftest import Backend
from tests.storage.rows import LATER, RECORDED, numbered

# Every fact table, with a column to "change" to itself.
FACT_TABLES = {
    "events": "subject",
    "event_reviews": "reason",
    "rulebook_versions": "text",
    "source_versions": "trust",
    "subjects": "kind",
    "case_actions": "kind",
    "party_versions": "name",
    "decisions": "outcome",
    "access_log": "what",
    "notice_deliveries": "status",
    "tokens": "role",
    "token_revocations": "reason",
}


def one_of_each_fact(store: Store) -> None:
    store.append_events(numbered(2, status="pending"), recorded_at=RECORDED)
    store.review_event(
        "traffic.weihai",
        "tj-1",
        decision="approve",
        reviewer="clerk-7",
        reason="seen",
        reviewed_at=LATER,
    )
    store.publish_rulebook("town", "1", RECORDED.date(), "text", published_at=RECORDED)
    store.register_source(
        Source("traffic.weihai", "Traffic", "high", ("traffic",)), registered_at=RECORDED
    )
    store.register_subjects(pl.DataFrame({"id": ["s"], "kind": ["person"]}), registered_at=RECORDED)
    store.append_case_actions(
        pl.DataFrame(
            {
                "kind": ["notice"],
                "subject": ["s"],
                "ref": ["notice-1"],
                "at": ["2025-01-01T00:00:00+00:00"],
            }
        )
    )
    store.register_party(Party("rail", "Rail", ("rail.ticket",)), registered_at=RECORDED)
    store.append_decisions(
        pl.DataFrame(
            {
                "decision_id": ["d-1"],
                "party": ["rail"],
                "subject": ["s"],
                "purpose": ["rail.ticket"],
                "outcome": ["allow"],
                "reasons": ["[]"],
                "rulebooks": [["town@1"]],
                "log_position": [2],
                "as_of": [RECORDED],
                "decided_at": [RECORDED],
            }
        )
    )
    store.append_access(
        pl.DataFrame(
            {"who": ["rail"], "role": ["party"], "subject": ["s"], "what": ["decision"]}
        ).with_columns(purpose=pl.lit("rail.ticket"), at=pl.lit(RECORDED))
    )
    store.append_deliveries(
        pl.DataFrame(
            {"notice": ["notice-1"], "channel": ["inbox"], "status": ["sent"]}
        ).with_columns(at=pl.lit(RECORDED))
    )
    store.add_token(Token("t-1", "admin", "operator", "00" * 32, RECORDED))
    store.revoke_token("t-1", reason="rotated", revoked_at=LATER)


@pytest.mark.parametrize("table", FACT_TABLES)
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET {column} = {column}", "DELETE FROM {table}"]
)
def test_the_database_refuses_changes_to_facts_from_any_client(
    store: Store, backend: Backend, table: str, statement: str
) -> None:
    one_of_each_fact(store)
    sql = statement.format(table=table, column=FACT_TABLES[table])
    with pytest.raises((sqlite3.IntegrityError, psycopg.Error), match="append-only"):
        backend.raw(sql)


def test_the_sqlite_file_refuses_an_update_from_the_sqlite3_module(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with open_store(path) as store:
        store.append_events(numbered(1), recorded_at=RECORDED)
    connection = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="events are append-only"):
        connection.execute("UPDATE events SET subject = 'someone-else'")
    connection.close()


@pytest.mark.parametrize("table", FACT_TABLES)
def test_postgres_refuses_to_truncate_facts(postgres_backend: Backend, table: str) -> None:
    with open_store(postgres_backend.target) as store:
        one_of_each_fact(store)
    with pytest.raises(psycopg.Error, match="append-only"):
        postgres_backend.raw(f"TRUNCATE {table} CASCADE")


def test_caches_are_not_facts(store: Store, backend: Backend) -> None:
    backend.raw("DELETE FROM entries")
    backend.raw("DELETE FROM standings")


def test_a_sqlite_file_in_a_missing_folder_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="missing"):
        open_store(tmp_path / "missing" / "ledger.db")


def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just some notes\n" * 100)
    with pytest.raises(StoreUnavailableError, match=r"notes\.txt"):
        open_store(path)


def test_an_unreachable_server_is_unavailable_without_its_password() -> None:
    with pytest.raises(StoreUnavailableError, match="secret") as caught:
        open_store("postgresql://clerk:hunter2@127.0.0.1:1/secret?connect_timeout=2")
    assert "hunter2" not in str(caught.value)
