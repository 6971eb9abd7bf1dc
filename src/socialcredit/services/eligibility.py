"""Eligibility from warm caches: every subject's answer for every purpose as of one moment,
held in memory, so that a relying party's question is a lookup.

The answers follow the same rules as `decide`: each consequence for a purpose looks only at
records from its related domains (a list in effect whose domain is among them, or a grade
computed from the entries of those domains alone); a consequence that denies when its
condition holds denies, one that allows allows only when it holds, and any denial wins.
Only the answers that differ from a purpose's default (allow for a purpose whose
consequences deny, deny for a privilege) are held, so the table is as small as the number
of subjects a purpose bears on.

A table answers for its `as_of` and the log position it was built from; `decide` remains
the path that records a decision, its reasons and the read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from socialcredit.kernel.standing import standings
from socialcredit.rules.model import Consequence
from socialcredit.rules.plan import CONSENT_GIVEN
from socialcredit.services.listings import listed_subjects, listings_for, wall_clock
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = [
    "EligibilityTable",
    "eligibility_from_store",
    "eligibility_table",
    "related_entries",
]

_ANSWERS = ["subject", "purpose", "outcome"]


@dataclass(frozen=True)
class EligibilityTable:
    """Answers that differ from each purpose's default, and the defaults."""

    as_of: datetime
    defaults: dict[str, str]  # purpose -> outcome for a subject no consequence bears on
    answers: pl.DataFrame  # subject, purpose, outcome
    _lookup: dict[tuple[str, str], str]

    def decide_batch(self, requests: pl.DataFrame) -> pl.DataFrame:
        """`requests` (subject, purpose) with `outcome` added: allow, deny, or null for a
        purpose no scheme names."""
        defaults = pl.DataFrame(
            {"purpose": list(self.defaults), "_default": list(self.defaults.values())},
            schema={"purpose": pl.String, "_default": pl.String},
        )
        return (
            requests.join(self.answers, on=["subject", "purpose"], how="left")
            .join(defaults, on="purpose", how="left")
            .with_columns(outcome=pl.coalesce("outcome", "_default"))
            .drop("_default")
        )

    def decide_one(self, subject: str, purpose: str) -> str | None:
        """One answer: allow, deny, or None for a purpose no scheme names."""
        found = self._lookup.get((subject, purpose))
        return found if found is not None else self.defaults.get(purpose)


def related_entries(scheme: Scheme, domains: Iterable[str], entries: pl.DataFrame) -> pl.DataFrame:
    """The entries (kernel columns) from rules of these domains: what a consequence may
    consider. An entry names its rulebook as `id@version`, a rule its rulebook by id."""
    wanted = set(domains)
    rules = pl.DataFrame(
        [
            (r.rulebook, r.id)
            for segment in scheme.plan.segments
            for r in segment.rules
            if r.domain in wanted
        ],
        schema={"_rulebook": pl.String, "rule": pl.String},
        orient="row",
    ).unique()
    keyed = entries.with_columns(_rulebook=pl.col("rulebook").str.replace(r"@.*$", ""))
    return keyed.join(rules, on=["_rulebook", "rule"], how="semi").drop("_rulebook")


def _holding(
    scheme: Scheme,
    c: Consequence,
    entries: pl.DataFrame,
    scored: pl.DataFrame,
    listed: pl.DataFrame,
    as_of: datetime,
) -> pl.Series:
    """The subjects for whom the consequence's condition holds."""
    if c.on_list is not None:
        return listed.filter((pl.col("list") == c.on_list) & pl.col("domain").is_in(c.domains))[
            "subject"
        ].unique()
    segment = scheme.plan.segment_at(wall_clock(as_of, scheme.plan.timezone).date())
    assert segment is not None
    assert segment.grades is not None
    ranks = {name: i for i, name in enumerate(segment.grades.names)}
    subjects = scored.get_column("subject")
    found = standings(
        scored,
        related_entries(scheme, c.domains, entries),
        scheme.plan,
        as_of,
        subjects,
    ).filter(pl.col("subject").is_in(subjects.implode()))
    rank = pl.col("grade").replace_strict(ranks, return_dtype=pl.Int32)
    if c.grade_at_least is not None:
        holds = rank <= ranks[c.grade_at_least]
    else:
        assert c.grade_at_most is not None
        holds = rank >= ranks[c.grade_at_most]
    return found.filter(holds)["subject"]


def eligibility_table(
    schemes: Sequence[Scheme],
    as_of: datetime,
    *,
    entries: dict[str, pl.DataFrame],
    scored: Mapping[str, Iterable[str]],
    listed: pl.DataFrame,
) -> EligibilityTable:
    """The answers of every scheme's consequences as of `as_of`, from each scheme's entries
    (kernel columns), the subjects it scores at `as_of` (consent given where needed), and
    the listings in effect at `as_of` (`subject`, `list`, `domain`)."""
    denials: list[pl.DataFrame] = []
    allowances: list[pl.DataFrame] = []
    purposes_deny: set[str] = set()
    purposes_allow: set[str] = set()
    for scheme in schemes:
        segment = scheme.plan.segment_at(wall_clock(as_of, scheme.plan.timezone).date())
        if segment is None:
            continue
        # The subjects the caller says are scored, each with a consent row, so that the
        # kernel scores them under an opt-in scheme too (it reads consent from events).
        mine = pl.DataFrame(
            {"subject": list(scored.get(scheme.id, ()))}, schema={"subject": pl.String}
        ).with_columns(
            type=pl.lit(CONSENT_GIVEN),
            occurred_at=pl.lit(datetime(1970, 1, 1, tzinfo=UTC)).dt.cast_time_unit("us"),
            source=pl.lit(""),
            id=pl.lit(""),
        )
        for c in segment.consequences:
            holding = _holding(scheme, c, entries[scheme.id], mine, listed, as_of)
            rows = pl.DataFrame({"subject": holding, "purpose": c.purpose})
            if c.effect == "deny":
                purposes_deny.add(c.purpose)
                denials.append(rows)
            else:
                purposes_allow.add(c.purpose)
                allowances.append(rows)
    # With nothing holding, a purpose with a privilege (an allowing consequence) is denied.
    defaults = dict.fromkeys(purposes_deny, "allow") | dict.fromkeys(purposes_allow, "deny")
    empty = pl.DataFrame(schema={"subject": pl.String, "purpose": pl.String})
    denied = pl.concat([empty, *denials]).unique()
    # Allowed where every privilege of the purpose holds and no denial does.
    needed = pl.concat(
        [empty.select("purpose"), *(a.select("purpose").unique() for a in allowances)]
    )
    needed = needed.group_by("purpose").agg(_needed=pl.len())
    allowed = (
        pl.concat([empty, *(a.unique() for a in allowances)])
        .group_by("subject", "purpose")
        .agg(_held=pl.len())
        .join(needed, on="purpose")
        .filter(pl.col("_held") == pl.col("_needed"))
        .select("subject", "purpose")
        .join(denied, on=["subject", "purpose"], how="anti")
    )
    answers = pl.concat(
        [
            denied.with_columns(outcome=pl.lit("deny")),
            allowed.with_columns(outcome=pl.lit("allow")),
        ]
    )
    answers = (
        answers.join(
            pl.DataFrame(
                {"purpose": list(defaults), "_default": list(defaults.values())},
                schema={"purpose": pl.String, "_default": pl.String},
            ),
            on="purpose",
        )
        .filter(pl.col("outcome") != pl.col("_default"))
        .drop("_default")
    )
    lookup = dict(
        zip(
            zip(answers["subject"].to_list(), answers["purpose"].to_list(), strict=True),
            answers["outcome"].to_list(),
            strict=True,
        )
    )
    return EligibilityTable(as_of, defaults, answers.select(_ANSWERS), lookup)


def eligibility_from_store(store: Store, as_of: datetime) -> EligibilityTable:
    """The table from a store's caches: cached entries, the subjects each scheme's cached
    standings score, and the listings in effect at `as_of` of subjects with a trigger."""
    schemes = published_schemes(store)
    cached = store.standings_for()
    entries = {s.id: store.entries_for(scheme=s.id) for s in schemes}
    scored = {
        s.id: cached.filter((pl.col("scheme") == s.id) & pl.col("scored"))["subject"].to_list()
        for s in schemes
    }
    rows = [
        (found.subject, found.definition.id, found.definition.domain)
        for found in listings_for(store, schemes, listed_subjects(store, schemes), as_of)
        if found.listing.in_effect_at(wall_clock(as_of, found.scheme.plan.timezone))
    ]
    listed = pl.DataFrame(
        rows, schema={"subject": pl.String, "list": pl.String, "domain": pl.String}, orient="row"
    )
    return eligibility_table(schemes, as_of, entries=entries, scored=scored, listed=listed)
