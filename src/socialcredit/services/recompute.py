"""Re-derive every subject's caches from the facts, or check them against the facts.

Both walk the subjects in chunks (the registry and whatever is cached), read each chunk's
events once and derive it under every published scheme. `recompute` replaces the caches,
one transaction per chunk, and counts the subjects whose score or grade changed; `check`
changes nothing and reports every cached row the facts do not give, and every row the facts
give that is not cached. Both derive as of one moment, with the disputes settled by then
(`disputes.settle`) and the approved repairs marked (`derive.repaired`): an event a dispute
removed is in no cache, and a penalty a repair ended is cached ended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from socialcredit.domain.events import ENTRY_COLUMNS, STANDING_COLUMNS
from socialcredit.kernel.standing import standings
from socialcredit.services.derive import Derived, derive, refresh_caches, repaired, repairs_for
from socialcredit.services.disputes import settle
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = ["CacheDifference", "Changes", "all_subjects", "check_caches", "recompute"]

CHUNK_SUBJECTS = 20_000
Progress = Callable[[int, int], None]


def all_subjects(store: Store) -> list[str]:
    """Every subject the store knows: registered, or with cached rows."""
    registered = store.subjects().get_column("id")
    cached = store.standings_for().get_column("subject")
    return pl.concat([registered, cached]).unique().sort().to_list()


def _chunks(subjects: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(subjects), size):
        yield subjects[start : start + size]


@dataclass
class Changes:
    """How a recompute changed one scheme's standings."""

    scheme: str
    subjects: int = 0
    score_changed: int = 0
    grade_changed: int = 0
    added: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return dict(self.__dict__)


def _compare(before: pl.DataFrame, after: pl.DataFrame, changes: Changes) -> None:
    joined = before.select("subject", "score", "grade").join(
        after.select("subject", "score", "grade"), on="subject", how="full", suffix="_new"
    )
    changes.subjects += after.height
    changes.added += joined.filter(pl.col("subject").is_null()).height
    changes.removed += joined.filter(pl.col("subject_new").is_null()).height
    both = joined.filter(pl.col("subject").is_not_null() & pl.col("subject_new").is_not_null())
    changes.score_changed += both.filter(~pl.col("score").eq_missing(pl.col("score_new"))).height
    changes.grade_changed += both.filter(~pl.col("grade").eq_missing(pl.col("grade_new"))).height


def recompute(
    store: Store,
    *,
    as_of: datetime,
    chunk_subjects: int = CHUNK_SUBJECTS,
    progress: Progress | None = None,
) -> list[Changes]:
    """Replace every cache with one derived from the facts under the published schemes."""
    schemes = published_schemes(store)
    changes = {s.id: Changes(s.id) for s in schemes}
    subjects = all_subjects(store)
    store.drop_caches(keep=[s.id for s in schemes])
    done = 0
    for chunk in _chunks(subjects, chunk_subjects):
        before = store.standings_for(chunk)
        with store.atomic():
            derived = refresh_caches(store, schemes, chunk, as_of)
        for d in derived:
            _compare(
                before.filter(pl.col("scheme") == d.scheme.id), d.standings, changes[d.scheme.id]
            )
        done += len(chunk)
        if progress:
            progress(done, len(subjects))
    return list(changes.values())


@dataclass(frozen=True)
class CacheDifference:
    """One cached row that the facts do not give, or one the facts give that is missing."""

    scheme: str
    subject: str
    what: str

    def __str__(self) -> str:
        return f"{self.scheme} / {self.subject}: {self.what}"


def _describe_entry(row: dict[str, object]) -> str:
    return (
        f"entry {row['rule']} for event {row['source']}/{row['event_id']} "
        f"({row['applied_points']} points, {row['status']})"
    )


def _entry_differences(
    scheme: Scheme, cached: pl.DataFrame, derived: pl.DataFrame
) -> list[CacheDifference]:
    key = list(ENTRY_COLUMNS)
    derived = derived.select(key)
    cached = cached.select(key)
    found = []
    for row in cached.join(derived, on=key, how="anti", nulls_equal=True).iter_rows(named=True):
        found.append(
            CacheDifference(
                scheme.id, str(row["subject"]), f"cached {_describe_entry(row)} is not in the facts"
            )
        )
    for row in derived.join(cached, on=key, how="anti", nulls_equal=True).iter_rows(named=True):
        found.append(
            CacheDifference(
                scheme.id, str(row["subject"]), f"{_describe_entry(row)} is missing from the cache"
            )
        )
    return found


def _standing_differences(
    scheme: Scheme, cached: pl.DataFrame, derived: Derived
) -> list[CacheDifference]:
    """Each cached standing against the facts as of the moment it was cached."""
    found = []
    missing = derived.standings.join(cached, on="subject", how="anti")
    for subject in missing.get_column("subject"):
        found.append(CacheDifference(scheme.id, subject, "the facts give a standing not cached"))
    for (as_of,), group in cached.group_by("as_of"):
        assert isinstance(as_of, datetime)
        expected = standings(
            derived.events, derived.entries, scheme.plan, as_of, group.get_column("subject")
        )
        joined = group.select(STANDING_COLUMNS).join(expected, on="subject", suffix="_facts")
        for row in joined.iter_rows(named=True):
            changed = [
                f"{name} {row[name]!r} where the facts give {row[name + '_facts']!r}"
                for name in STANDING_COLUMNS[1:]
                if row[name] != row[name + "_facts"]
            ]
            if changed:
                found.append(
                    CacheDifference(
                        scheme.id, row["subject"], "cached standing has " + ", ".join(changed)
                    )
                )
    return found


def _provenance_differences(scheme: Scheme, cached: pl.DataFrame) -> list[CacheDifference]:
    published = ",".join(sorted(scheme.versions))
    stale = cached.filter(pl.col("rulebooks").list.sort().list.join(",") != published)
    return [
        CacheDifference(
            scheme.id,
            subject,
            f"cached from rulebooks {', '.join(versions)}, but {', '.join(scheme.versions)} "
            "are published; run `socialcredit recompute`",
        )
        for subject, versions in stale.select("subject", "rulebooks").iter_rows()
    ]


def check_caches(
    store: Store,
    *,
    as_of: datetime,
    chunk_subjects: int = CHUNK_SUBJECTS,
    progress: Progress | None = None,
) -> list[CacheDifference]:
    """Every difference between the caches and what the facts give; nothing is changed.

    Entries are compared row for row; each cached standing is recomputed as of the moment it
    was cached; a subject the facts give a standing (as of `as_of`) but the cache lacks is
    a difference, and so is a cache made under other rulebook versions than those published.
    """
    schemes = published_schemes(store)
    found: list[CacheDifference] = []
    stray = store.standings_for().filter(~pl.col("scheme").is_in([s.id for s in schemes]))
    for scheme_id, subject in stray.select("scheme", "subject").iter_rows():
        found.append(
            CacheDifference(scheme_id, subject, "cached under a scheme that is not published")
        )
    subjects = all_subjects(store)
    done = 0
    for chunk in _chunks(subjects, chunk_subjects):
        stored = repaired(
            settle(store, schemes, store.events_for(chunk), as_of), repairs_for(store, chunk)
        )
        entries = store.entries_for(chunk)
        cached = store.standings_for(chunk)
        for scheme in schemes:
            mine = cached.filter(pl.col("scheme") == scheme.id)
            derived = derive(stored, scheme, as_of)
            found += _provenance_differences(scheme, mine)
            found += _entry_differences(
                scheme, entries.filter(pl.col("scheme") == scheme.id), derived.entries
            )
            found += _standing_differences(scheme, mine, derived)
        done += len(chunk)
        if progress:
            progress(done, len(subjects))
    return found
