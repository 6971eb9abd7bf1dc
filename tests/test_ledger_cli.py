"""The ledger as a user drives it: init, sources, ingest, pending, score, explain, verify,
recompute, all through the `socialcredit` command on an SQLite store."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from socialcredit import bootstrap
from tests.cli_support import event, ingest, ndjson, quarantined, run, score, verify
from tests.scenario import ADULT, OTHER_ADULT

ORG_FAILING_CHECK = "91350100M0001TGQXM"  # an early Fujian code: fails the national check


NOW = datetime(2026, 7, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("SOCIALCREDIT_DB", str(path))
    monkeypatch.setattr(bootstrap, "clock", lambda: NOW)
    assert run("init").exit_code == 0
    assert run("source", "add", "traffic.weihai", "--allow", "traffic").exit_code == 0
    assert run("source", "add", "court.wendeng", "--allow", "judicial").exit_code == 0
    assert run("source", "add", "community", "--trust", "low", "--allow", "traffic").exit_code == 0
    return path


def test_init_publishes_the_bundled_packs_once(db: Path) -> None:
    again = run("init", "--json")
    assert again.exit_code == 0
    rulebooks = json.loads(again.stdout)["rulebooks"]
    assert {(r["rulebook"], r["outcome"]) for r in rulebooks} == {
        ("cn-national", "exists"),
        ("cn-371003-wendeng", "exists"),
        ("civic-rewards", "exists"),
    }


def test_publishing_changed_content_under_a_published_version_is_refused(
    db: Path, tmp_path: Path
) -> None:
    bundled = Path(__file__).parents[1] / "src/socialcredit/rulebooks/civic-rewards/2026.1.toml"
    changed = tmp_path / "civic.toml"
    changed.write_text(bundled.read_text().replace("points = 10", "points = 12", 1))
    result = run("rulebook", "publish", str(changed))
    assert result.exit_code == 2
    assert "already published with other content" in result.stderr
    same = run("rulebook", "publish", str(bundled))
    assert same.exit_code == 0
    assert "unchanged" in same.stdout


def test_a_source_may_only_be_allowed_known_types_or_domains(db: Path) -> None:
    result = run("source", "add", "x", "--allow", "speech")
    assert result.exit_code == 2
    assert "neither an event type" in result.stderr
    listed = json.loads(run("source", "list", "--json").stdout)
    assert [s["id"] for s in listed] == ["community", "court.wendeng", "traffic.weihai"]


def test_ingesting_the_same_file_twice_adds_nothing(db: Path, tmp_path: Path) -> None:
    path = ndjson(
        tmp_path / "fines.ndjson",
        event(1, "2026-03-01T09:30:00+08:00"),
        event(2, "2026-06-01T09:30:00+08:00"),
    )
    code, first = ingest(path)
    assert (code, first["new"], first["exists"], first["quarantined"]) == (0, 2, 0, 0)
    head = verify()[1]["head"]
    code, again = ingest(path)
    assert (code, again["new"], again["exists"], again["quarantined"]) == (0, 0, 2, 0)
    assert verify()[1]["head"] == head
    assert score(ADULT, "--as-of", "2026-07-01")["score"] == 1000 - 20 - 40


def test_a_reused_id_with_changed_content_is_quarantined_naming_the_fields(
    db: Path, tmp_path: Path
) -> None:
    ingest(ndjson(tmp_path / "a.ndjson", event(1, "2026-03-01T09:30:00+08:00")))
    changed = event(1, "2026-03-02T09:30:00+08:00", data={"amount_cny": 900})
    path = ndjson(tmp_path / "b.ndjson", changed, event(2, "2026-04-01T09:30:00+08:00"))
    code, summary = ingest(path)
    assert (code, summary["new"], summary["quarantined"]) == (1, 1, 1)
    [row] = quarantined(path)
    assert row["line"] == 1
    assert "occurred_at" in row["reason"]
    assert "data" in row["reason"]
    assert row["row"]["id"] == "tj-1"


def test_broken_rows_are_quarantined_with_line_and_reason_and_good_rows_land(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.ndjson"
    path.write_text(
        "\n".join(
            [
                json.dumps(event(1, "2026-03-01T09:30:00+08:00")),
                "{not json",
                json.dumps(event(3, "2026-03-01T09:30:00+08:00", type="traffic.speech")),
                json.dumps(event(4, "2026-03-01T09:30:00+08:00", subject="371003199003071236")),
                json.dumps(event(5, "2026-03-01T09:30:00+08:00", source="nobody")),
                json.dumps(event(6, "2026-03-01T09:30:00+08:00", source="court.wendeng")),
                json.dumps(event(7, "yesterday")),
                json.dumps(event(8, "2026-03-01T09:30:00+08:00", data={})),
                json.dumps(event(9, "2026-04-01T09:30:00+08:00", subject=OTHER_ADULT)),
            ]
        )
        + "\n"
    )
    code, summary = ingest(path)
    assert (code, summary["new"], summary["quarantined"]) == (1, 2, 7)
    reasons = {row["line"]: (row["field"], row["reason"]) for row in quarantined(path)}
    assert set(reasons) == {2, 3, 4, 5, 6, 7, 8}
    assert "not valid JSON" in reasons[2][1]
    assert reasons[3][0] == "type"
    assert "unknown event type" in reasons[3][1]
    assert reasons[4][0] == "subject"
    assert "check character" in reasons[4][1]
    assert "unknown source nobody" in reasons[5][1]
    assert "not allowed to report traffic.fine" in reasons[6][1]
    assert reasons[7][0] == "occurred_at"
    assert reasons[8][0] == "amount_cny"
    fixed = ndjson(path, event(1, "2026-03-01T09:30:00+08:00"))
    assert ingest(fixed)[1]["quarantined"] == 0
    assert not path.with_name(path.name + ".quarantine.ndjson").exists()


def test_a_late_fine_doubles_the_later_one_already_stored(db: Path, tmp_path: Path) -> None:
    ingest(ndjson(tmp_path / "june.ndjson", event(2, "2026-06-01T09:30:00+08:00")))
    assert score(ADULT, "--as-of", "2026-07-01")["score"] == 980
    ingest(ndjson(tmp_path / "march.ndjson", event(1, "2026-03-01T09:30:00+08:00")))
    assert score(ADULT, "--as-of", "2026-07-01")["score"] == 1000 - 20 - 40
    explained = json.loads(run("explain", ADULT, "--json", "--as-of", "2026-07-01").stdout)
    june = next(e for e in explained["entries"] if e["event_id"] == "tj-2")
    assert (june["doubled"], june["applied_points"], june["base_points"]) == (True, -40, -20)
    assert june["rule"] == "traffic.fine"
    assert june["rulebook"] == "cn-371003-wendeng@2020.1"
    assert june["source"] == "traffic.weihai"
    assert june["valid_until"].startswith("2027-06-01")
    assert verify()[0] == 0


def test_a_void_rederives_the_subject_and_explain_says_why(db: Path, tmp_path: Path) -> None:
    ingest(
        ndjson(
            tmp_path / "fines.ndjson",
            event(1, "2026-03-01T09:30:00+08:00"),
            event(2, "2026-06-01T09:30:00+08:00"),
        )
    )
    void = event(
        3, "2026-06-05T09:30:00+08:00", type="void", data={"target": "tj-1", "reason": "wrong car"}
    )
    ingest(ndjson(tmp_path / "void.ndjson", void))
    assert score(ADULT, "--as-of", "2026-07-01")["score"] == 980
    explained = json.loads(run("explain", ADULT, "--json", "--as-of", "2026-07-01").stdout)
    assert [e["event_id"] for e in explained["entries"]] == ["tj-2"]
    assert explained["entries"][0]["doubled"] is False
    [voided] = [r for r in explained["not_scored"] if r["id"] == "tj-1"]
    assert voided["why"] == "withdrawn by void tj-3"
    assert verify()[0] == 0


def test_low_trust_events_wait_for_review_or_a_second_source(db: Path, tmp_path: Path) -> None:
    reported = event(1, "2026-03-01T09:30:00+08:00", source="community", act="case-1")
    other = event(
        2, "2026-03-02T09:30:00+08:00", source="community", subject=OTHER_ADULT, act="case-2"
    )
    code, summary = ingest(ndjson(tmp_path / "tips.ndjson", reported, other))
    assert (code, summary["new"], summary["pending"]) == (0, 2, 2)
    assert score(ADULT, "--as-of", "2026-07-01")["score"] == 1000
    waiting = json.loads(run("pending", "list", "--json").stdout)
    assert [(w["source"], w["id"]) for w in waiting] == [
        ("community", "tj-1"),
        ("community", "tj-2"),
    ]
    police = event(9, "2026-03-01T09:30:00+08:00", act="case-1")
    ingest(ndjson(tmp_path / "police.ndjson", police))
    # Corroborated, the tip counts, and as one act with the police report: one entry.
    explained = json.loads(run("explain", ADULT, "--json", "--as-of", "2026-07-01").stdout)
    assert explained["score"] == 980
    assert {e["event_id"]: e["status"] for e in explained["entries"]} == {
        "tj-1": "superseded",
        "tj-9": "counted",
    } or {e["event_id"]: e["status"] for e in explained["entries"]} == {
        "tj-1": "counted",
        "tj-9": "superseded",
    }
    assert [w["id"] for w in json.loads(run("pending", "list", "--json").stdout)] == ["tj-2"]
    approve = run(
        "pending", "approve", "community", "tj-2", "--reason", "photo", "--reviewer", "li"
    )
    assert approve.exit_code == 0, approve.output
    assert score(OTHER_ADULT, "--as-of", "2026-07-01")["score"] == 980
    assert json.loads(run("pending", "list", "--json").stdout) == []
    again = run("pending", "reject", "community", "tj-2", "--reason", "x", "--reviewer", "li")
    assert again.exit_code == 2
    assert "already reviewed" in again.stderr
    assert verify()[0] == 0


def test_organisations_with_failing_check_characters_are_warned_not_rejected(
    db: Path, tmp_path: Path
) -> None:
    listed = {
        "id": "c-1",
        "source": "court.wendeng",
        "subject": ORG_FAILING_CHECK,
        "subject_kind": "organisation",
        "type": "court.defaulter_listed",
        "occurred_at": "2026-03-01T09:30:00+08:00",
        "data": {"case_no": "(2026)鲁1003执1号"},
    }
    result = run("ingest", str(ndjson(tmp_path / "court.ndjson", listed)))
    assert result.exit_code == 0, result.output
    assert "warning" in result.stderr
    assert "check" in result.stderr


def test_score_json_and_explain_over_the_store(db: Path, tmp_path: Path) -> None:
    ingest(ndjson(tmp_path / "f.ndjson", event(1, "2026-03-01T09:30:00+08:00")))
    standing = score(ADULT, "--as-of", "2026-07-01")
    assert {"subject", "score", "grade", "direct_grade"} <= set(standing)
    assert (standing["subject"], standing["score"], standing["grade"]) == (ADULT, 980, "A")
    later = score(ADULT, "--as-of", "2027-07-01")
    assert later["score"] == 1000
    explained = json.loads(run("explain", ADULT, "--json", "--as-of", "2027-07-01").stdout)
    assert explained["entries"][0]["expired"] is True
    unknown = run("score", OTHER_ADULT)
    assert unknown.exit_code == 1
    assert "no events" in unknown.stderr


def test_verify_prints_the_head_and_names_a_record_edited_behind_the_triggers(
    db: Path, tmp_path: Path
) -> None:
    ingest(
        ndjson(
            tmp_path / "f.ndjson",
            event(1, "2026-03-01T09:30:00+08:00"),
            event(2, "2026-06-01T09:30:00+08:00"),
        )
    )
    ok = run("verify")
    assert ok.exit_code == 0
    code, report = verify()
    assert report["ok"]
    assert len(report["head"]["hash"]) == 64
    assert report["head"]["hash"] in ok.stdout
    with sqlite3.connect(db) as connection, pytest.raises(sqlite3.DatabaseError, match="append"):
        connection.execute("UPDATE events SET data = '{\"amount_cny\":8}' WHERE id = 'tj-1'")
    connection = sqlite3.connect(db)
    connection.execute("DROP TRIGGER events_no_update")
    connection.execute("UPDATE events SET data = '{\"amount_cny\":8}' WHERE id = 'tj-1'")
    connection.commit()
    connection.close()
    code, report = verify()
    assert code == 1
    assert any("tj-1" in b for b in report["chain_breaks"])


def test_verify_finds_a_cache_that_does_not_follow_from_the_facts(db: Path, tmp_path: Path) -> None:
    ingest(ndjson(tmp_path / "f.ndjson", event(1, "2026-03-01T09:30:00+08:00")))
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE standings SET score = 1000 WHERE subject = ?", (ADULT,))
        # Entries are cached packed, a CSV line per entry in one row per subject and write.
        connection.execute(
            "UPDATE entries SET entries = replace(entries, ',\"counted\",', ',\"expired\",') "
            "WHERE subject = ?",
            (ADULT,),
        )
    code, report = verify()
    assert code == 1
    text = "\n".join(report["cache_differences"])
    assert f"cn-371003-wendeng / {ADULT}: cached standing has score 1000" in text
    assert "is missing from the cache" in text
    recomputed = json.loads(run("recompute", "--json").stdout)
    wendeng = next(c for c in recomputed if c["scheme"] == "cn-371003-wendeng")
    assert wendeng["score_changed"] == 1
    assert verify()[0] == 0


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 shell is not installed")
def test_the_sqlite3_shell_cannot_edit_a_stored_event(db: Path, tmp_path: Path) -> None:
    ingest(ndjson(tmp_path / "f.ndjson", event(1, "2026-03-01T09:30:00+08:00")))
    edit = subprocess.run(
        ["sqlite3", str(db), "UPDATE events SET subject = 'someone else' WHERE id = 'tj-1';"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert edit.returncode != 0
    assert "append-only" in edit.stderr
    assert verify()[0] == 0


GOOD = event(1, "2026-03-01T09:30:00+08:00", act="case-88")
BROKEN = event(2, "2026-03-02T09:30:00+08:00", type="traffic.unknown")


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in record.items() if k != "data"}, **record["data"]}


def _xml(record: dict[str, Any]) -> str:
    top = "".join(f"<{k}>{v}</{k}>" for k, v in record.items() if k != "data")
    data = "".join(f"<{k}>{v}</{k}>" for k, v in record["data"].items())
    return f"<event>{top}<data>{data}</data></event>"


def write_format(fmt: str, folder: Path) -> tuple[Path, int]:
    """GOOD then BROKEN in one format; returns the file and the line (or row) of BROKEN."""
    path = folder / f"events.{fmt}"
    if fmt == "ndjson":
        ndjson(path, GOOD, BROKEN)
        return path, 2
    if fmt == "json":
        path.write_text("[\n" + json.dumps(GOOD) + ",\n" + json.dumps(BROKEN) + "\n]\n")
        return path, 3
    if fmt == "csv":
        pl.DataFrame([_flat(GOOD), _flat(BROKEN)]).write_csv(path)
        return path, 3
    if fmt == "parquet":
        pl.DataFrame([_flat(GOOD), _flat(BROKEN)]).write_parquet(path)
        return path, 2
    path.write_text(f"<events>\n{_xml(GOOD)}\n{_xml(BROKEN)}\n</events>\n")
    return path, 3


def test_every_format_records_the_same_event_and_quarantines_the_broken_row(
    db: Path, tmp_path: Path
) -> None:
    outcomes = []
    for fmt in ("ndjson", "json", "csv", "parquet", "xml"):
        folder = tmp_path / fmt
        folder.mkdir()
        path, broken_line = write_format(fmt, folder)
        code, summary = ingest(path)
        assert code == 1, (fmt, summary)
        [row] = quarantined(path)
        assert (row["line"], row["field"]) == (broken_line, "type"), fmt
        assert "unknown event type traffic.unknown" in row["reason"]
        outcomes.append((fmt, summary["new"], summary["exists"]))
    # The same event sent in another format is the same record: stored once, then "exists".
    assert outcomes == [
        ("ndjson", 1, 0),
        ("json", 0, 1),
        ("csv", 0, 1),
        ("parquet", 0, 1),
        ("xml", 0, 1),
    ]


def test_a_mapping_turns_a_foreign_export_into_events(db: Path, tmp_path: Path) -> None:
    export = tmp_path / "bureau.csv"
    export.write_text(
        "案件编号,身份证号,处罚日期,类别,罚款金额\n"
        f"A-1,{ADULT},2026/03/01 09:30,罚款,80000\n"
        f"A-2,{ADULT},2026/06/01 09:30,罚款,80000\n"
        f"A-3,{ADULT},2026/06/02 09:30,吊销,80000\n"
    )
    mapping = tmp_path / "bureau.toml"
    mapping.write_text(
        """
[fields]
id = "案件编号"
subject = "身份证号"
occurred_at = { from = "处罚日期", format = "%Y/%m/%d %H:%M", timezone = "Asia/Shanghai" }
type = { from = "类别", values = { "罚款" = "traffic.fine" } }
jurisdiction = { value = "371003" }
amount_cny = { from = "罚款金额", scale = 0.01 }
"""
    )
    code, summary = ingest(export, "--mapping", str(mapping), "--source", "traffic.weihai")
    assert (code, summary["new"], summary["quarantined"]) == (1, 2, 1)
    [row] = quarantined(export)
    assert row["line"] == 4
    assert "吊销" in row["reason"]
    assert score(ADULT, "--as-of", "2026-07-01")["score"] == 1000 - 20 - 40
