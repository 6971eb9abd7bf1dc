"""`socialcredit demo`: a small demo built into a temporary directory, checked end to end:
the store verifies, every event went through ingest, due process is under way, the four
tokens sign in to the API, and a second run reuses the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from socialcredit import bootstrap
from socialcredit.api import create_app
from socialcredit.cli import app
from socialcredit.storage import open_store

runner = CliRunner()
# One moment for every build of this module, so that the same seed gives the same year.
NOW = datetime.now(UTC).replace(microsecond=0)
PEOPLE = "500"


def _demo(folder: Path, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bootstrap, "clock", lambda: NOW)
        return runner.invoke(
            app, ["demo", "--dir", str(folder), "--people", PEOPLE, "--no-serve", *args]
        )


def _summary(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


@dataclass(frozen=True)
class Built:
    folder: Path
    summary: dict[str, Any]

    @property
    def store(self) -> Path:
        return self.folder / "ledger.db"

    def token(self, who: str) -> dict[str, str]:
        found = next(t for t in self.summary["tokens"] if t["who"] == who)
        return {"Authorization": f"Bearer {found['bearer']}"}

    @property
    def citizen(self) -> str:
        return str(self.summary["featured"]["subject"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("demo") / "wendeng"
    return Built(folder, _summary(_demo(folder, "--json")))


@pytest.fixture
def client(built: Built) -> Iterator[TestClient]:
    with TestClient(create_app(str(built.store), lambda: NOW)) as found:
        yield found


def test_the_demo_store_verifies(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALCREDIT_DB", str(built.store))
    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True


def test_every_event_went_through_ingest(built: Built) -> None:
    events = built.summary["events"]
    lines = (built.folder / "events.ndjson").read_text(encoding="utf-8").splitlines()
    assert events["rows"] == len(lines) == events["new"] == events["stored"]
    assert events["quarantined"] == 0
    assert events["pending"] > 0  # the community reporters' tips await review
    with open_store(built.store) as store:
        assert store.event_count() == len(lines)
        assert store.subjects().height == built.summary["people"] == int(PEOPLE)


def test_due_process_is_under_way(built: Built) -> None:
    summary = built.summary
    assert summary["listings"]["under_appeal"] >= 1
    assert summary["appeals"] >= 1
    assert summary["disputes"]["opened"] >= 1
    assert summary["repairs"] >= 1
    queue = summary["review_queue"]
    assert min(queue["appeal"], queue["dispute"], queue["repair"]) >= 1
    assert queue["pending_event"] == summary["events"]["pending"]


def test_the_featured_citizen_has_a_doubled_fine_an_open_dispute_and_an_appeal(
    built: Built,
) -> None:
    person = built.summary["featured"]
    assert any(e["doubled"] and e["rule"] == "traffic.fine" for e in person["entries"])
    assert [d["state"] for d in person["disputes"]] == ["source_notified"]
    assert "under_appeal" in [listed["state"] for listed in person["listings"]]


def test_the_citizen_token_reads_its_own_record_and_nobody_elses(
    built: Built, client: TestClient
) -> None:
    mine = client.get(f"/subjects/{built.citizen}/explain", headers=built.token("citizen"))
    assert mine.status_code == 200, mine.text
    entries = mine.json()["schemes"][0]["entries"]
    assert any(e["disputed"] for e in entries)
    listings = client.get(f"/subjects/{built.citizen}/listings", headers=built.token("citizen"))
    assert [s["state"] for s in listings.json()] == ["under_appeal"]
    with open_store(built.store) as store:
        other = next(s for s in store.subjects().get_column("id") if s != built.citizen)
    assert client.get(f"/subjects/{other}/score", headers=built.token("citizen")).status_code == 403


def test_the_reviewer_sees_the_review_queue(built: Built, client: TestClient) -> None:
    queue = client.get("/review/queue", headers=built.token("reviewer"))
    assert queue.status_code == 200, queue.text
    assert {"appeal", "dispute", "repair", "pending_event"} <= {i["kind"] for i in queue.json()}


def test_the_rail_operator_asks_for_its_purpose_and_only_that(
    built: Built, client: TestClient
) -> None:
    ask = {"subject": built.citizen, "purpose": "rail_g_train"}
    answer = client.post("/decisions", json=ask, headers=built.token("rail operator"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["decision"] == "allow"  # the listing is under appeal: no effect yet
    ask = {"subject": built.citizen, "purpose": "air_travel"}
    refused = client.post("/decisions", json=ask, headers=built.token("rail operator"))
    assert refused.status_code == 403


def test_the_operator_sees_who_asked_about_the_citizen(built: Built, client: TestClient) -> None:
    reads = client.get(f"/subjects/{built.citizen}/access", headers=built.token("operator"))
    assert reads.status_code == 200, reads.text
    assert any(r["who"] == "rail.12306" for r in reads.json())


def test_the_tokens_are_kept_in_the_demo_directory(built: Built) -> None:
    path = Path(built.summary["token_file"])
    assert json.loads(path.read_text(encoding="utf-8")) == built.summary["tokens"]
    assert path.stat().st_mode & 0o077 == 0
    assert [t["role"] for t in built.summary["tokens"]] == [
        "subject",
        "reviewer",
        "relying_party",
        "admin",
    ]


def test_a_second_run_reuses_the_store(built: Built) -> None:
    before = built.store.stat().st_mtime_ns
    again = _summary(_demo(built.folder, "--json"))
    assert again["reused"] is True
    assert again["tokens"] == built.summary["tokens"]
    assert built.store.stat().st_mtime_ns == before


def test_a_fresh_run_with_the_same_seed_gives_the_same_counts(built: Built, tmp_path: Path) -> None:
    fresh = _summary(_demo(tmp_path / "again", "--json", "--fresh"))
    assert fresh["reused"] is False
    for key in ("events", "listings", "notices", "disputes", "appeals", "repairs", "grades"):
        assert fresh[key] == built.summary[key], key
    assert fresh["featured"]["subject"] == built.citizen
    assert fresh["tokens"] != built.summary["tokens"]


def test_the_demo_never_writes_over_a_directory_it_did_not_build(tmp_path: Path) -> None:
    (tmp_path / "socialcredit.db").write_text("not a demo")
    for args in ((), ("--fresh",)):
        result = _demo(tmp_path, *args)
        assert result.exit_code == 2
        assert "not a demo directory" in result.output
    assert (tmp_path / "socialcredit.db").read_text() == "not a demo"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["socialcredit.db"]


def test_the_demo_prints_how_to_sign_in(built: Built) -> None:
    result = _demo(built.folder)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/sign-in" in result.stdout
    for token in built.summary["tokens"]:
        assert token["bearer"] in result.stdout


def test_an_unfinished_demo_is_built_again(tmp_path: Path) -> None:
    (tmp_path / "demo.json").write_text('{"demo": 1, "complete": false}')
    (tmp_path / "ledger.db").write_text("half a store")
    summary = _summary(_demo(tmp_path, "--json"))
    assert summary["reused"] is False
    assert summary["events"]["stored"] == summary["events"]["rows"]
