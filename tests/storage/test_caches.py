"""Entries and standings are caches: replaced per subject, read back with provenance and
the kernel's own dtypes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from socialcredit.kernel.entries import ENTRY_COLUMNS
from socialcredit.kernel.standing import STANDING_COLUMNS
from socialcredit.services.evaluate import Evaluation, evaluate_events
from socialcredit.services.rulebooks import bundled_catalog
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from socialcredit.storage import Store
from socialcredit.storage.contract import ENTRY_CACHE_COLUMNS, STANDING_CACHE_COLUMNS

AS_OF = datetime(2021, 1, 1, tzinfo=UTC)
SCHEME = "cn-371003-wendeng"
RULEBOOKS = ["cn-national@2017.1", "cn-371003-wendeng@2020.1"]


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    start = date(2019, 1, 1)
    people = synthetic_population(300, seed=7, start=start)
    events = synthetic_events(people, seed=7, start=start, days=730)
    plan = bundled_catalog().plan("cn-371003-wendeng")
    return evaluate_events(events, plan, AS_OF)


def everyone(evaluation: Evaluation) -> list[str]:
    return evaluation.standings.get_column("subject").to_list()


def test_the_cache_tables_have_the_kernels_columns_plus_provenance() -> None:
    assert ("scheme", *ENTRY_COLUMNS, "log_position", "rulebooks") == ENTRY_CACHE_COLUMNS
    assert ("scheme", *STANDING_COLUMNS, "as_of", "log_position", "rulebooks") == (
        STANDING_CACHE_COLUMNS
    )


def test_caches_read_back_as_the_kernel_wrote_them(store: Store, evaluation: Evaluation) -> None:
    subjects = everyone(evaluation)
    store.replace_caches(
        SCHEME,
        subjects,
        evaluation.entries,
        evaluation.standings,
        as_of=AS_OF,
        log_position=42,
        rulebooks=RULEBOOKS,
    )
    entries = store.entries_for(subjects)
    assert_frame_equal(
        entries.select(ENTRY_COLUMNS).sort(ENTRY_COLUMNS),
        evaluation.entries.select(ENTRY_COLUMNS).sort(ENTRY_COLUMNS),
    )
    assert entries.get_column("log_position").unique().to_list() == [42]
    assert entries.get_column("rulebooks").to_list()[0] == RULEBOOKS
    standings = store.standings_for(subjects)
    assert_frame_equal(standings.select(STANDING_COLUMNS), evaluation.standings)
    assert standings.get_column("as_of").unique().to_list() == [AS_OF]


def test_replacing_one_subject_leaves_the_others(store: Store, evaluation: Evaluation) -> None:
    subjects = everyone(evaluation)
    store.replace_caches(
        SCHEME,
        subjects,
        evaluation.entries,
        evaluation.standings,
        as_of=AS_OF,
        log_position=42,
        rulebooks=RULEBOOKS,
    )
    busiest = evaluation.entries.group_by("subject").len().sort("len").item(-1, "subject")
    others = [s for s in subjects if s != busiest]
    mine = evaluation.entries.filter(pl.col("subject") == busiest).head(1)
    standing = evaluation.standings.filter(pl.col("subject") == busiest)
    store.replace_caches(
        SCHEME, [busiest], mine, standing, as_of=AS_OF, log_position=43, rulebooks=RULEBOOKS
    )
    assert store.entries_for([busiest]).height == 1
    assert store.entries_for([busiest]).item(0, "log_position") == 43
    assert (
        store.entries_for(others).height
        == evaluation.entries.height
        - evaluation.entries.filter(pl.col("subject") == busiest).height
    )
    assert store.standings_for(others).get_column("log_position").unique().to_list() == [42]


def test_replacing_with_nothing_clears_a_subject(store: Store, evaluation: Evaluation) -> None:
    subjects = everyone(evaluation)
    store.replace_caches(
        SCHEME,
        subjects,
        evaluation.entries,
        evaluation.standings,
        as_of=AS_OF,
        log_position=1,
        rulebooks=RULEBOOKS,
    )
    store.replace_caches(
        SCHEME,
        subjects[:1],
        evaluation.entries.clear(),
        evaluation.standings.clear(),
        as_of=AS_OF,
        log_position=2,
        rulebooks=RULEBOOKS,
    )
    assert store.entries_for(subjects[:1]).is_empty()
    assert store.standings_for(subjects[:1]).is_empty()
    assert store.standings_for(subjects).height == len(subjects) - 1


def test_rows_for_a_subject_outside_the_replaced_set_are_refused(
    store: Store, evaluation: Evaluation
) -> None:
    subjects = everyone(evaluation)
    with pytest.raises(ValueError, match="not being replaced"):
        store.replace_caches(
            SCHEME,
            subjects[:1],
            evaluation.entries,
            evaluation.standings,
            as_of=AS_OF,
            log_position=1,
            rulebooks=RULEBOOKS,
        )
    assert store.standings_for(subjects).is_empty()


def test_schemes_keep_their_own_caches(store: Store, evaluation: Evaluation) -> None:
    subjects = everyone(evaluation)
    for scheme in (SCHEME, "civic-rewards"):
        store.replace_caches(
            scheme,
            subjects,
            evaluation.entries,
            evaluation.standings,
            as_of=AS_OF,
            log_position=1,
            rulebooks=RULEBOOKS,
        )
    store.replace_caches(
        "civic-rewards",
        subjects,
        evaluation.entries.clear(),
        evaluation.standings.clear(),
        as_of=AS_OF,
        log_position=2,
        rulebooks=RULEBOOKS,
    )
    assert store.standings_for(subjects, SCHEME).height == len(subjects)
    assert store.standings_for(subjects, "civic-rewards").is_empty()
    assert store.standings_for().get_column("scheme").unique().to_list() == [SCHEME]
    store.drop_caches(keep=["civic-rewards"])
    assert store.standings_for().is_empty()
    assert store.entries_for().is_empty()


def test_writes_inside_atomic_land_together_or_not_at_all(
    store: Store, evaluation: Evaluation
) -> None:
    subjects = everyone(evaluation)

    def replace(scheme: str) -> None:
        store.replace_caches(
            scheme,
            subjects,
            evaluation.entries,
            evaluation.standings,
            as_of=AS_OF,
            log_position=1,
            rulebooks=RULEBOOKS,
        )

    def fail_midway() -> None:
        with store.atomic():
            replace(SCHEME)
            raise RuntimeError("midway")

    with pytest.raises(RuntimeError, match="midway"):
        fail_midway()
    assert store.standings_for().is_empty()
    with store.atomic():
        replace(SCHEME)
        replace("civic-rewards")
    assert store.standings_for().height == 2 * len(subjects)


def test_kept_subjects_get_entries_added_to_theirs(store: Store, evaluation: Evaluation) -> None:
    subjects = everyone(evaluation)
    counts = evaluation.entries.group_by("subject").len().filter(pl.col("len") > 1)
    kept, replaced = counts.get_column("subject").head(2).to_list()
    first = evaluation.entries.filter(pl.col("subject").is_in([kept, replaced]))
    head = first.group_by("subject", maintain_order=True).head(1)
    store.replace_caches(
        SCHEME,
        subjects,
        evaluation.entries.filter(~pl.col("subject").is_in([kept, replaced])),
        evaluation.standings,
        as_of=AS_OF,
        log_position=1,
        rulebooks=RULEBOOKS,
    )
    store.replace_caches(
        SCHEME,
        [kept, replaced],
        head,
        evaluation.standings.filter(pl.col("subject").is_in([kept, replaced])),
        as_of=AS_OF,
        log_position=2,
        rulebooks=RULEBOOKS,
    )
    rest = first.join(head, on=list(ENTRY_COLUMNS), how="anti", nulls_equal=True)
    store.replace_caches(
        SCHEME,
        [kept, replaced],
        rest,
        evaluation.standings.filter(pl.col("subject").is_in([kept, replaced])),
        as_of=AS_OF,
        log_position=3,
        rulebooks=RULEBOOKS,
        keep_entries=[kept],
    )
    mine = store.entries_for([kept])
    assert mine.height == first.filter(pl.col("subject") == kept).height
    assert sorted(mine.get_column("log_position").unique().to_list()) == [2, 3]
    theirs = store.entries_for([replaced])
    assert theirs.height == rest.filter(pl.col("subject") == replaced).height
    assert theirs.get_column("log_position").unique().to_list() == [3]
    assert store.standings_for([kept, replaced]).get_column("log_position").unique().to_list() == [
        3
    ]
