"""`socialcredit evaluate`: stateless scoring from NDJSON or CSV, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from socialcredit.cli import app
from tests.scenario import ADULT, MINOR

runner = CliRunner()


def ndjson(tmp_path: Path, *records: dict[str, object]) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return path


def event(i: int, kind: str, when: str, subject: str = ADULT, **data: object) -> dict[str, object]:
    return {
        "id": f"ev-{i}",
        "source": "traffic.weihai",
        "subject": subject,
        "type": kind,
        "occurred_at": when,
        "jurisdiction": "371003",
        "data": data,
    }


def evaluate(path: Path, as_of: str, *extra: str) -> tuple[int, list[dict[str, object]], str]:
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--rulebook",
            "cn-371003-wendeng",
            "--events",
            str(path),
            "--as-of",
            as_of,
            "--json",
            *extra,
        ],
    )
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, rows, result.stderr


def test_json_gives_score_grade_and_direct_grade_per_subject(tmp_path: Path) -> None:
    path = ndjson(
        tmp_path,
        event(1, "traffic.fine", "2024-03-01T09:30:00+08:00", amount_cny=800),
        event(2, "traffic.fine", "2024-06-01T09:30:00+08:00", amount_cny=800),
        event(
            3, "court.defaulter_listed", "2024-07-01T10:00:00+08:00", subject=MINOR, case_no="c1"
        ),
    )
    code, rows, _ = evaluate(path, "2024-12-31")
    assert code == 0
    by_subject = {r["subject"]: r for r in rows}
    assert by_subject[ADULT]["score"] == 940
    assert by_subject[ADULT]["grade"] == "B"
    assert by_subject[ADULT]["direct_grade"] is None
    assert by_subject[MINOR]["score"] == 1000


def test_as_of_a_date_means_the_end_of_that_day(tmp_path: Path) -> None:
    path = ndjson(tmp_path, event(1, "traffic.warning", "2024-03-01T23:00:00+08:00"))
    assert evaluate(path, "2024-03-01")[1][0]["score"] == 995
    assert evaluate(path, "2024-02-29")[1][0]["score"] == 1000


def test_as_of_a_datetime_with_offset(tmp_path: Path) -> None:
    path = ndjson(tmp_path, event(1, "traffic.warning", "2024-03-01T12:00:00+08:00"))
    assert evaluate(path, "2024-03-01T03:59:00Z")[1][0]["score"] == 1000
    assert evaluate(path, "2024-03-01T12:00:00+08:00")[1][0]["score"] == 995


def test_explain_lists_every_entry_with_its_reason(tmp_path: Path) -> None:
    path = ndjson(
        tmp_path,
        event(1, "traffic.fine", "2024-03-01T09:30:00+08:00", amount_cny=800),
        event(2, "traffic.fine", "2024-06-01T09:30:00+08:00", amount_cny=800),
    )
    _, rows, _ = evaluate(path, "2024-12-31", "--explain")
    entries = rows[0]["entries"]
    assert [e["applied_points"] for e in entries] == [-20, -40]
    assert entries[1]["doubled"] is True
    assert entries[1]["rulebook"] == "cn-371003-wendeng@2020.1"
    assert entries[1]["valid_until"] == "2025-06-01T09:30:00+08:00"
    assert "doubled" in entries[1]["reason"]


def test_malformed_rows_are_reported_by_line_and_the_rest_evaluated(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    good = event(1, "traffic.warning", "2024-03-01T09:30:00+08:00")
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps(event(3, "traffic.fine", "2024-03-02T09:30:00+08:00")),
        json.dumps(event(4, "online.post", "2024-03-02")),
        json.dumps(event(5, "traffic.warning", "yesterday")),
    ]
    path.write_text("\n".join(lines) + "\n")
    code, rows, stderr = evaluate(path, "2024-12-31")
    assert code == 1
    assert rows[0]["score"] == 995
    assert ":2: not valid JSON" in stderr
    assert ":3: amount_cny: traffic.fine needs a number in amount_cny" in stderr
    assert ":4: type: unknown event type online.post" in stderr
    assert ":5: occurred_at: yesterday is not an ISO 8601 date or time" in stderr


def test_csv_takes_data_fields_as_plain_columns(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "id,source,subject,type,occurred_at,act,amount_cny,hours\n"
        f"1,tj,{ADULT},traffic.fine,2024-03-01T09:30:00+08:00,,800,\n"
        f"2,tj,{ADULT},traffic.fine,2024-04-01T09:30:00+08:00,,800,\n"
        f"3,vol,{ADULT},civic.volunteer_hours,2024-04-02T09:30:00+08:00,,,12\n"
        f"4,tj,{ADULT},traffic.fine,2024-04-03T09:30:00+08:00,,lots,\n"
    )
    code, rows, stderr = evaluate(path, "2024-04-30")
    assert code == 1
    assert rows[0]["score"] == 1000 - 20 - 40 + 2
    assert ":5: amount_cny: lots is not a non-negative number" in stderr


def test_a_repeated_id_is_rejected_and_the_first_kept(tmp_path: Path) -> None:
    path = ndjson(
        tmp_path,
        event(1, "traffic.warning", "2024-03-01"),
        event(1, "tax.evasion_serious", "2024-03-01"),
    )
    code, rows, stderr = evaluate(path, "2024-12-31")
    assert (code, rows[0]["score"]) == (1, 995)
    assert "repeats the (source, id) of line 1" in stderr


def test_a_void_in_the_file_removes_its_target(tmp_path: Path) -> None:
    void = {
        "id": "ev-9",
        "source": "traffic.weihai",
        "subject": ADULT,
        "type": "void",
        "occurred_at": "2024-05-01T00:00:00+08:00",
        "data": {"target": "ev-1", "reason": "wrong plate"},
    }
    path = ndjson(tmp_path, event(1, "traffic.warning", "2024-03-01"), void)
    assert evaluate(path, "2024-12-31")[1][0]["score"] == 1000


def test_a_rulebook_file_can_be_evaluated(tmp_path: Path) -> None:
    book = tmp_path / "mini.toml"
    book.write_text(
        '[rulebook]\nid = "mini"\nversion = "1"\neffective = 2020-01-01\n'
        'scale = { baseline = 100 }\ngrades = [["ok", 50], ["low", 0]]\n'
        '[[rule]]\nid = "w"\ndomain = "traffic"\non = "traffic.warning"\n'
        'points = -60\nvalidity = "1y"\n'
    )
    path = ndjson(tmp_path, event(1, "traffic.warning", "2024-03-01T00:00:00Z"))
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--rulebook",
            str(book),
            "--events",
            str(path),
            "--as-of",
            "2024-12-31",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["grade"] == "low"


def test_bad_as_of_is_a_one_line_error(tmp_path: Path) -> None:
    path = ndjson(tmp_path, event(1, "traffic.warning", "2024-03-01"))
    result = runner.invoke(
        app,
        ["evaluate", "--rulebook", "cn-371003-wendeng", "--events", str(path), "--as-of", "soon"],
    )
    assert result.exit_code == 2
    assert "--as-of 'soon' is not a date" in result.stderr


def test_an_unknown_rulebook_is_a_one_line_error(tmp_path: Path) -> None:
    path = ndjson(tmp_path, event(1, "traffic.warning", "2024-03-01"))
    result = runner.invoke(
        app, ["evaluate", "--rulebook", "atlantis", "--events", str(path), "--as-of", "2024-12-31"]
    )
    assert result.exit_code == 2
    assert "no rulebook 'atlantis'" in result.stderr


def test_table_output_names_subject_score_and_grade(tmp_path: Path) -> None:
    path = ndjson(tmp_path, event(1, "traffic.warning", "2024-03-01"))
    result = runner.invoke(
        app,
        [
            "evaluate",
            "--rulebook",
            "cn-371003-wendeng",
            "--events",
            str(path),
            "--as-of",
            "2024-12-31",
            "--explain",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0
    assert ADULT in result.stdout
    assert "995" in result.stdout
    assert "traffic.warning" in result.stdout


def test_a_repair_matches_on_its_own_field(tmp_path: Path) -> None:
    book = tmp_path / "repairs.toml"
    book.write_text(
        '[rulebook]\nid = "rep"\nversion = "1"\neffective = 2020-01-01\n'
        'scale = { baseline = 100 }\ngrades = [["ok", 50], ["bad", 0]]\n'
        '[[rule]]\nid = "listed"\ndomain = "judicial"\non = "x.listed"\n'
        'grade = "bad"\nvalidity = "2y"\n'
        'repair = { on = "x.paid", points = -5, validity = "1y", match = "ref" }\n'
    )
    listed = {**event(1, "x.listed", "2024-03-01T00:00:00Z"), "data": {"ref": "A"}}
    other = {**event(2, "x.paid", "2024-04-01T00:00:00Z"), "data": {"ref": "B"}}
    same = {**event(3, "x.paid", "2024-05-01T00:00:00Z"), "data": {"ref": "A"}}
    path = ndjson(tmp_path, listed, other, same)

    def grade(as_of: str) -> object:
        result = runner.invoke(
            app,
            [
                "evaluate",
                "--rulebook",
                str(book),
                "--events",
                str(path),
                "--as-of",
                as_of,
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["direct_grade"]

    assert grade("2024-04-15") == "bad"
    assert grade("2024-05-15") is None
