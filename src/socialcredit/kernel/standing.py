"""Entries to standings: score, grade and worst direct grade as of one moment, per subject."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.domain.events import STANDING_COLUMNS
from socialcredit.kernel.derivation import Derivation, counts_at
from socialcredit.kernel.frames import local_time, subject_hashes
from socialcredit.kernel.groups import codes_of, most, new_table, total
from socialcredit.rules.plan import CONSENT_GIVEN, CONSENT_SCHEME, CONSENT_WITHDRAWN, Plan, Segment

__all__ = ["STANDING_COLUMNS", "by_subject", "standings", "standings_of"]

_WIDEST = 64  # bytes of an identifier sorted as words


def _at(as_of: datetime, plan: Plan) -> datetime:
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    moment = pl.select(local_time(pl.lit(as_of), plan.timezone)).item()
    assert isinstance(moment, datetime)
    return moment


def _segment(plan: Plan, at: datetime) -> Segment:
    segment = plan.segment_at(at.date())
    if segment is None or segment.scale is None or segment.grades is None:
        raise ValueError(f"no version of {plan.rulebook} with a scale is in force at {at}")
    return segment


def _counted(entries: pl.DataFrame, at: datetime, ranks: dict[str, int]) -> pl.DataFrame:
    """Per entry: its applied points and its direct grade's rank if it counts at `at`
    (0 and null if not)."""
    valid = counts_at(at)
    grade = pl.col("grade").replace_strict(ranks, default=None, return_dtype=pl.Int32)
    return entries.select(
        "subject",
        points=pl.when(valid).then(pl.col("applied_points")).otherwise(0),
        _worst=pl.when(valid).then(grade),
    )


def _hashes(subjects: pl.Series) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    first, second = subject_hashes(pl.col("subject"))
    both = subjects.to_frame("subject").select(first.alias("h"), second.alias("c"))
    return both.get_column("h").to_numpy(), both.get_column("c").to_numpy()


def _totals(everyone: pl.Series, counted: pl.DataFrame) -> pl.DataFrame:
    """Each distinct subject of `everyone` with its points and worst rank (null: none).

    Subjects are found by hash (`kernel.groups`); should two share a hash, Polars groups on
    the identifiers instead.
    """
    h, check = _hashes(everyone)
    table, _, firsts, distinct = codes_of(new_table(), h, check, True)
    if distinct:
        h, check = _hashes(counted.get_column("subject"))
        _, codes, _, distinct = codes_of(table, h, check, False)
    if not distinct:
        sums = counted.group_by("subject").agg(pl.col("points").sum(), pl.col("_worst").max())
        people = everyone.unique().to_frame("subject")
        return people.join(sums, on="subject", how="left").with_columns(
            pl.col("points").fill_null(0)
        )
    size = firsts.size
    ranks = counted.get_column("_worst").fill_null(-1).cast(pl.Int64).to_numpy()
    worst = pl.Series("_worst", most(codes, ranks, size))
    return (
        everyone.gather(firsts)
        .to_frame("subject")
        .with_columns(
            points=total(codes, counted.get_column("points").to_numpy(), size),
            _worst=worst.set(worst < 0, None).cast(pl.Int32),
        )
    )


def _consenting(events: pl.DataFrame, plan: Plan, at: datetime) -> pl.DataFrame:
    consent = events.filter(pl.col("type").is_in([CONSENT_GIVEN, CONSENT_WITHDRAWN]))
    if CONSENT_SCHEME in consent.columns:  # consent to another scheme is not consent to this
        named = pl.col(CONSENT_SCHEME)
        consent = consent.filter(named.is_null() | (named == plan.rulebook))
    consent = consent.with_columns(t=local_time(pl.col("occurred_at"), plan.timezone))
    return (
        consent.filter(pl.col("t") <= at)
        .sort("t", "source", "id")
        .group_by("subject", maintain_order=True)
        .agg(pl.col("type").last() == CONSENT_GIVEN)
        .filter("type")
        .select("subject")
    )


def standings(
    events: pl.DataFrame,
    entries: pl.DataFrame,
    plan: Plan,
    as_of: datetime,
    subjects: pl.Series | None = None,
) -> pl.DataFrame:
    """Each subject (by default: every subject with an event) as of an aware moment, from the
    entries derived from `events`."""
    at = _at(as_of, plan)
    ranks = _ranks(_segment(plan, at))
    everyone = events.get_column("subject") if subjects is None else subjects
    return _graded(_totals(everyone, _counted(entries, at, ranks)), events, plan, at)


def standings_of(
    derivation: Derivation, plan: Plan, as_of: datetime, subjects: pl.Series | None = None
) -> pl.DataFrame:
    """The same as `standings` over `derivation.entries()`, straight from the kernel's codes:
    each subject (by default: every subject with an event) as of an aware moment."""
    at = _at(as_of, plan)
    found = derivation.subject_totals(at, _ranks(_segment(plan, at)))
    if subjects is None:
        # Subjects none of whose events a rule scores (voids, consent, other types) stand
        # at the baseline.
        events = derivation.prepared.events
        others = events.select(pl.col("subject").filter(pl.Series(derivation.prepared.key < 0)))
        others = others.unique().join(found, on="subject", how="anti")
        frame = pl.concat([found, others], how="diagonal")
    else:
        frame = subjects.unique().to_frame("subject").join(found, on="subject", how="left")
    frame = frame.with_columns(pl.col("points").fill_null(0))
    return _graded(frame, derivation.prepared.events, plan, at)


def _ranks(segment: Segment) -> dict[str, int]:
    assert segment.grades is not None
    return {name: i for i, name in enumerate(segment.grades.names)}


def _graded(frame: pl.DataFrame, events: pl.DataFrame, plan: Plan, at: datetime) -> pl.DataFrame:
    """Standings from each subject's `points` and `_worst` (the worst direct grade's rank, or
    null) at `at`: capped by the direct grade, bounded by the scale, banded."""
    segment = _segment(plan, at)
    assert segment.scale is not None
    assert segment.grades is not None
    scale, grades = segment.scale, segment.grades
    caps = {i: grades.cap_of(name) for i, name in enumerate(grades.names)}
    score = pl.lit(scale.baseline) + pl.col("points")
    cap = pl.col("_worst").replace_strict(caps, default=None, return_dtype=pl.Int64)
    score = pl.when(cap.is_not_null()).then(pl.min_horizontal(score, cap)).otherwise(score)
    if scale.ceiling is not None:
        score = pl.min_horizontal(score, scale.ceiling)
    if scale.floor is not None:
        score = pl.max_horizontal(score, scale.floor)
    frame = frame.with_columns(score=score.cast(pl.Int64))
    band = pl.lit(len(grades.bands) - 1, dtype=pl.Int32)
    for i, (_, lower) in reversed(list(enumerate(grades.bands))):
        band = pl.when(pl.col("score") >= lower).then(pl.lit(i, dtype=pl.Int32)).otherwise(band)
    names = dict(enumerate(grades.names))
    frame = frame.with_columns(_band=band).with_columns(
        grade=pl.when(pl.col("_worst") > pl.col("_band"))
        .then("_worst")
        .otherwise("_band")
        .replace_strict(names, return_dtype=pl.String),
        direct_grade=pl.col("_worst").replace_strict(names, default=None, return_dtype=pl.String),
        scored=pl.lit(True),
    )
    if segment.membership == "opt-in":
        frame = _unscored_without_consent(frame, _consenting(events, plan, at))
    return by_subject(frame).select(STANDING_COLUMNS)


def by_subject(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` sorted by its (distinct) `subject`s.

    Identifiers of one width in bytes (resident ID numbers, credit codes) sort as big-endian
    words of their bytes, which is their byte order, as Polars sorts strings; comparing the
    strings themselves costs several times more.
    """
    subject = frame.get_column("subject")
    width = subject.str.len_bytes()
    if subject.null_count() or frame.height < 2 or width.min() != width.max():
        return frame.sort("subject")
    size = int(width.max())  # type: ignore[arg-type]
    if not 0 < size <= _WIDEST:
        return frame.sort("subject")
    raw = subject.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, size)).to_numpy()
    padded = np.zeros((frame.height, -(-size // 8) * 8), np.uint8)
    padded[:, :size] = raw
    words = padded.view(">u8").astype(np.uint64)
    return frame[np.lexsort(words.T[::-1])]


def _unscored_without_consent(frame: pl.DataFrame, consenting: pl.DataFrame) -> pl.DataFrame:
    ok = pl.col("subject").is_in(consenting["subject"].implode())
    return frame.with_columns(
        score=pl.when(ok).then("score"),
        grade=pl.when(ok).then("grade"),
        direct_grade=pl.when(ok).then("direct_grade"),
        points=pl.when(ok).then("points").otherwise(0),
        scored=ok,
    )
