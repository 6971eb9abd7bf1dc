"""The bulk paths of recording, column-wise, give exactly what the one-by-one checks give: the
identifier of each subject, the canonical data text, and the moment of each time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from socialcredit.domain.identifiers import validate_resident_id
from socialcredit.errors import IdentifierError
from socialcredit.ingest.events import _AWARE, _LOCAL, parse_times
from socialcredit.services.record import canonical_data, ledger_of, record
from socialcredit.services.registry import add_source
from socialcredit.services.schemes import publish_bundled
from socialcredit.storage import Store, open_store
from tests.scenario import ADULT, OTHER_ADULT

AT = datetime(2026, 1, 1, tzinfo=UTC)
SUBJECTS = [
    ADULT,
    ADULT.lower(),  # a lower-case check character
    f" {OTHER_ADULT}\u3000",  # ideographic space around it
    "\t371003198505120025\n",
    "371003198505120026",  # wrong check character
    "371003199002300012",  # 30 February
    "371003000001010010",  # year 0
    "37100319900307123",  # too short
    "3710031990030712\uff13X",  # a full-width digit
    "x71003199003071230",
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(str(tmp_path / "ledger.db"))
    publish_bundled(opened, published_at=AT)
    add_source(
        opened,
        "traffic.weihai",
        name=None,
        trust="high",
        allow=["traffic"],
        credential=None,
        registered_at=AT,
    )
    return opened


def _expected(subject: str) -> str | None:
    try:
        return validate_resident_id(subject)
    except IdentifierError:
        return None


def test_new_subjects_are_recorded_as_the_domain_check_gives_them(store: Store) -> None:
    rows = pl.DataFrame(
        {
            "id": [f"tj-{n}" for n in range(len(SUBJECTS))],
            "source": "traffic.weihai",
            "subject": SUBJECTS,
            "type": "traffic.fine",
            "occurred_at": "2025-06-01T09:30:00+08:00",
            "jurisdiction": "371003",
            "amount_cny": "800",
            "_line": list(range(1, len(SUBJECTS) + 1)),
        }
    )
    done = record(store, rows, ledger_of(store), recorded_at=AT)
    rejected = {r.line for r in done.rejected}
    for line, subject in enumerate(SUBJECTS, start=1):
        compact = _expected(subject)
        assert (line not in rejected) == (compact is not None), subject
    stored = store.events_between(1, store.event_count())
    valid = [c for c in map(_expected, SUBJECTS) if c is not None]
    assert stored.get_column("subject").to_list() == valid
    assert sorted(store.subjects().get_column("id").to_list()) == sorted(set(valid))
    reasons = {r.line: r.reason for r in done.rejected}
    assert "check character" in reasons[5]
    assert "birth date" in reasons[6]


def test_canonical_data_sorts_keys_leaves_absent_fields_out_and_writes_numbers() -> None:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "zeta": ["1", None, 'say "hi"\n'],
            "amount_cny": ["800.0", "1e3", "not a number"],
            "alpha": [None, None, "汉字"],
            "_line": [1, 2, 3],
        }
    )
    texts = frame.select(canonical_data(frame, ["amount_cny"])).to_series().to_list()
    expected = [
        {"amount_cny": 800, "zeta": "1"},
        {"amount_cny": 1000},
        {"alpha": "汉字", "amount_cny": "not a number", "zeta": 'say "hi"\n'},
    ]
    assert texts == [
        json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for e in expected
    ]
    empty = frame.select("id", "_line")
    no_data = empty.select("id", data=canonical_data(empty, []))
    assert no_data.get_column("data").to_list() == ["{}"] * 3


def test_times_are_read_by_the_first_format_that_fits_each() -> None:
    texts = [
        "2024-03-01T09:30:00+08:00",
        "2024-03-01T09:30:00.123456789+05:45",
        "2024-03-01T09:30Z",
        "2024-03-01 09:30:00+0800",
        "2024-03-01",
        "2024-03-01T09:30",
        "2024-03-01 09:30:00.5",
        "2024-03-10T02:30",  # does not exist in New York
        "2024-11-03T01:30",  # twice in New York: the earlier
        "2024-13-01",
        "x",
        None,
    ]
    frame = pl.DataFrame({"t": texts * 2})
    for zone in ("America/New_York", "Asia/Shanghai", "UTC"):
        text = pl.col("t")
        each = [
            *(
                text.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC")
                for f in _AWARE
            ),
            *(
                text.str.to_datetime(f, strict=False, time_unit="us")
                .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
                .dt.convert_time_zone("UTC")
                for f in _LOCAL
            ),
        ]
        expected = frame.select(pl.coalesce(*each)).to_series()
        assert frame.select(parse_times(pl.col("t"), zone)).to_series().equals(expected)
    nothing = pl.DataFrame({"t": [None, None]}, schema={"t": pl.String})
    assert nothing.select(parse_times(pl.col("t"), "UTC")).to_series().null_count() == 2
