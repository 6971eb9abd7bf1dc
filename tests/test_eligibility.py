"""The eligibility table answers exactly as `decide` does, from the caches."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from socialcredit.services.decide import decide, known_purposes
from socialcredit.services.eligibility import eligibility_from_store
from socialcredit.services.ingest import ingest_file
from socialcredit.services.parties import add_party
from socialcredit.services.registry import add_source
from socialcredit.services.schemes import publish_bundled, published_catalog, schemes_of
from socialcredit.services.tick import tick
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from socialcredit.simulate.wire import source_types, write_ndjson
from socialcredit.storage import open_store

START = date(2025, 1, 1)
RECORDED = datetime(2026, 1, 5, tzinfo=UTC)


def test_the_table_gives_decides_answer_for_every_subject_and_purpose(tmp_path: Path) -> None:
    people = synthetic_population(400, seed=3, start=START)
    events = synthetic_events(people, seed=4, start=START, days=365, rate=2.0)
    assert events.filter(pl.col("type") == "court.defaulter_listed").height > 0
    path = write_ndjson(events, tmp_path / "events.ndjson")
    store = open_store(str(tmp_path / "ledger.db"))
    publish_bundled(store, published_at=RECORDED)
    for source, types in source_types(events).items():
        add_source(
            store,
            source,
            name=None,
            trust="high",
            allow=types,
            credential=None,
            registered_at=RECORDED,
        )
    ingest_file(store, path, clock=lambda: RECORDED)
    tick(store, now=RECORDED)
    purposes = sorted(known_purposes(schemes_of(published_catalog(store))))
    add_party(store, "any", name=None, purposes=purposes, registered_at=RECORDED)
    as_of = datetime(2026, 2, 1, tzinfo=UTC)
    table = eligibility_from_store(store, as_of)

    denied = table.answers.filter(pl.col("outcome") == "deny")["subject"].unique().to_list()
    allowed = table.answers.filter(pl.col("outcome") == "allow")["subject"].unique().to_list()
    assert denied  # listed defaulters at least
    assert allowed  # someone holds a privilege
    others = sorted(set(events["subject"]) - set(denied) - set(allowed))[:10]
    for subject in sorted({*denied[:15], *allowed[:15], *others}):
        for purpose in purposes:
            answer = decide(
                store,
                party="any",
                subject=subject,
                purpose=purpose,
                as_of=as_of,
                decided_at=as_of,
            )
            assert table.decide_one(subject, purpose) == answer.outcome, (subject, purpose)
    batch = table.decide_batch(
        pl.DataFrame({"subject": [denied[0], others[0]], "purpose": ["air_travel"] * 2})
    )
    assert batch["outcome"].to_list() == [
        table.decide_one(denied[0], "air_travel"),
        table.decide_one(others[0], "air_travel"),
    ]
