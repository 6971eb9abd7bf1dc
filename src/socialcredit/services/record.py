"""Record a batch of reported events: admit or reject each row, append, re-derive.

A row is admitted when every check passes, in this order (the first failure is the one
reported): the required fields are there; its source is registered; its type is in the
vocabulary of a published rulebook; the source may report that type (by type or domain;
any source may void its own events); `occurred_at` is a date or time; the data fields are
what every scheme that scores the type needs; the subject's identifier is valid for its
kind. The store then settles idempotency: a known `(source, id)` with the same content is
"exists", with other content a conflict. Admitted rows, the subjects they name and the
re-derived caches of those subjects land in one transaction: all of them, or nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from socialcredit.domain.events import TOP_LEVEL
from socialcredit.domain.identifiers import (
    RESIDENT_ID_STRIP_CHARS,
    SubjectKind,
    check_uscc,
    validate_opaque_id,
    validate_resident_id,
)
from socialcredit.errors import IdentifierError
from socialcredit.ingest.events import (
    Check,
    ensure_columns,
    parse_times,
    set_aside,
    typed_events,
)
from socialcredit.ingest.readers import Rejection
from socialcredit.kernel.identity import resident_birth_date
from socialcredit.kernel.tables import rule_table
from socialcredit.rules.plan import VOID
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.services.working_set import WorkingSet
from socialcredit.storage import Source, Store

__all__ = ["Ledger", "Recorded", "canonical_data", "ledger_of", "record"]

REQUIRED = ("id", "source", "subject", "type", "occurred_at")
SUBJECT_KIND = "subject_kind"


@dataclass(frozen=True)
class Ledger:
    """What admission needs to know about a store, read once: its schemes and sources."""

    schemes: list[Scheme]
    sources: dict[str, Source]
    domains: dict[str, str]  # event type -> domain of the rules or lists that read it
    kinds: dict[str, frozenset[str]]  # event type -> the subject kinds its schemes score
    numeric: frozenset[str]  # data fields some rule reads as a number

    @property
    def timezone(self) -> str:
        """The timezone of wall-clock times without an offset: the first scheme's."""
        return self.schemes[0].plan.timezone if self.schemes else "UTC"

    def known_types(self) -> set[str]:
        """Every event type some scheme reads."""
        return {t for s in self.schemes for t in s.plan.known_types()}


def ledger_of(store: Store) -> Ledger:
    """The schemes and sources of a store, as admission reads them."""
    schemes = published_schemes(store)
    domains: dict[str, str] = {}
    kinds: dict[str, set[str]] = {}
    numeric: set[str] = set()
    for scheme in schemes:
        numeric |= rule_table(scheme.plan).numeric_fields()
        for segment in scheme.plan.segments:
            for rule in segment.rules:
                domains.setdefault(rule.on, rule.domain)
                if rule.repair:
                    domains.setdefault(rule.repair.on, rule.domain)
            for listing in segment.lists:
                for name in (*listing.on, *listing.removal_on, listing.extension_on):
                    if name:
                        domains.setdefault(name, listing.domain)
        for event_type in scheme.plan.known_types():
            kinds.setdefault(event_type, set()).update(scheme.plan.latest.subjects)
    return Ledger(
        schemes,
        {s.id: s for s in store.sources()},
        domains,
        {k: frozenset(v) for k, v in kinds.items()},
        frozenset(numeric),
    )


@dataclass
class Recorded:
    """What one batch did: per admitted row its outcome, and every row set aside."""

    outcomes: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"_line": pl.Int64, "outcome": pl.String, "status": pl.String}
        )
    )
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    subjects: int = 0

    def count(self, outcome: str) -> int:
        """Rows with this outcome: "new", "exists" (and "pending" for new pending rows)."""
        column = self.outcomes.get_column("outcome")
        if outcome == "pending":
            return int(
                ((column == "new") & (self.outcomes.get_column("status") == "pending")).sum()
            )
        return int((column == outcome).sum())


def _admission_checks(ledger: Ledger) -> list[Check]:
    checks: list[Check] = [(pl.col(name).is_null(), name, pl.lit("missing")) for name in REQUIRED]
    sources = sorted(ledger.sources)
    checks.append(
        (
            ~pl.col("source").is_in(sources),
            "source",
            pl.format(
                "unknown source {}; register it first with `socialcredit source add`",
                pl.col("source"),
            ),
        )
    )
    known = sorted(ledger.known_types())
    rulebooks = ", ".join(s.id for s in ledger.schemes) or "none"
    checks.append(
        (
            ~pl.col("type").is_in(known),
            "type",
            pl.format(
                "unknown event type {} (not in the vocabulary of the published rulebooks: {})",
                pl.col("type"),
                pl.lit(rulebooks),
            ),
        )
    )
    allowed = pl.lit(False)
    for source in ledger.sources.values():
        names = set(source.allowed)
        types = sorted(t for t in known if t in names or ledger.domains.get(t) in names)
        allowed = allowed | ((pl.col("source") == source.id) & pl.col("type").is_in(types))
    checks.append(
        (
            ~allowed & (pl.col("type") != VOID),
            "type",
            pl.format("source {} is not allowed to report {}", pl.col("source"), pl.col("type")),
        )
    )
    checks.append(
        (
            pl.col("_at").is_null(),
            "occurred_at",
            pl.format("{} is not an ISO 8601 date or time", pl.col("occurred_at")),
        )
    )
    return checks


def _data_rejections(frame: pl.DataFrame, ledger: Ledger) -> list[Rejection]:
    """What each scheme that reads a row's type finds wrong with its data."""
    found: list[Rejection] = []
    for scheme in ledger.schemes:
        mine = frame.filter(pl.col("type").is_in(sorted(scheme.plan.known_types())))
        found += typed_events(mine, scheme.plan, repeats=False)[1]
    first: dict[int, Rejection] = {}
    for rejection in found:
        first.setdefault(rejection.line, rejection)
    return sorted(first.values(), key=lambda r: r.line)


def _subject_kinds(
    frame: pl.DataFrame, store: Store, ledger: Ledger, known: pl.DataFrame
) -> tuple[pl.DataFrame, list[Rejection], list[Rejection], pl.DataFrame, pl.DataFrame]:
    """Rows whose subject is known or valid for its kind (IDs in compact form), the rows
    rejected, the warnings, the subjects to register (`id`, `kind`), and the registered
    subjects the rows name (`id`, `kind`). `known` are subjects known to be registered
    (subjects are never removed and never change kind): only the others are looked up."""
    named = frame.get_column("subject").unique()
    held = known.filter(pl.col("id").is_in(named.implode()))
    asked = named.filter(~named.is_in(held.get_column("id").implode()))
    fetched = store.subjects(asked.to_list()).select("id", "kind") if asked.len() else held.clear()
    registered = pl.concat([held, fetched])
    ask = (
        frame.filter(~pl.col("subject").is_in(registered.get_column("id").implode()))
        .group_by("subject", maintain_order=True)
        .agg(pl.col(SUBJECT_KIND).drop_nulls().first(), pl.col("type").first())
    )
    verdict = _verdicts(ask, ledger)
    registered_kinds = registered.select(subject="id", _registered="kind")
    frame = frame.join(verdict, on="subject", how="left").join(
        registered_kinds, on="subject", how="left"
    )
    clash = (
        pl.col("_registered").is_not_null()
        & pl.col(SUBJECT_KIND).is_not_null()
        & (pl.col(SUBJECT_KIND) != pl.col("_registered"))
    )
    frame = frame.with_columns(
        _problem=pl.when(clash)
        .then(pl.format("{} is registered as {}, not {}", "subject", "_registered", SUBJECT_KIND))
        .otherwise("_problem")
    )
    bad = frame.filter(pl.col("_problem").is_not_null())
    rejected = [
        Rejection(line, "subject", why) for line, why in bad.select("_line", "_problem").iter_rows()
    ]
    warned = frame.filter(pl.col("_warning").is_not_null())
    warnings = [
        Rejection(line, "subject", why)
        for line, why in warned.select("_line", "_warning").iter_rows()
    ]
    good = frame.filter(pl.col("_problem").is_null())
    new_subjects = (
        good.filter(pl.col("_registered").is_null())
        .select(id="_compact", kind="_kind")
        .unique("id", keep="first", maintain_order=True)
    )
    good = good.with_columns(subject=pl.coalesce("_compact", "subject")).drop(
        "_compact", "_kind", "_problem", "_warning", "_registered"
    )
    return good, rejected, warnings, new_subjects, registered


_VERDICT_SCHEMA = pl.Schema(
    dict.fromkeys(["subject", "_compact", "_kind", "_problem", "_warning"], pl.String())
)


def _verdicts(ask: pl.DataFrame, ledger: Ledger) -> pl.DataFrame:
    """Per new subject (`subject`, the kind stated, the `type` of its first row): its
    compact form and kind, or the problem, and any warning."""
    single = {t: next(iter(k)) for t, k in ledger.kinds.items() if len(k) == 1}
    kind = pl.coalesce(
        pl.col(SUBJECT_KIND),
        pl.col("type").replace_strict(single, default=None, return_dtype=pl.String),
    )
    # A valid resident ID, by far the usual subject, is recognised column-wise by the
    # kernel's check (held equal to `validate_resident_id` by property tests); its compact
    # form is the stripped, upper-cased text. Every other subject goes through the domain's
    # checks one by one below, which also say what is wrong.
    person = (kind == SubjectKind.PERSON.value) & resident_birth_date(
        pl.col("subject")
    ).is_not_null()
    ask = ask.with_columns(_fast=person)
    valid = ask.filter("_fast").select(
        "subject",
        _compact=pl.col("subject").str.strip_chars(RESIDENT_ID_STRIP_CHARS).str.to_uppercase(),
        _kind=pl.lit(SubjectKind.PERSON.value),
        _problem=pl.lit(None, pl.String),
        _warning=pl.lit(None, pl.String),
    )
    # Identifier checks run per distinct new subject, not per row: python-stdnum and the
    # GB 11714 check are per string, and a batch names each subject many times.
    verdicts: list[tuple[str, str | None, str | None, str | None, str | None]] = []
    for subject, stated, event_type in (
        ask.filter(~pl.col("_fast")).select("subject", SUBJECT_KIND, "type").iter_rows()
    ):
        kinds = ledger.kinds.get(event_type, frozenset())
        kind_of = stated or (next(iter(kinds)) if len(kinds) == 1 else None)
        verdicts.append((subject, *_verdict(subject, kind_of, kinds)))
    checked = pl.DataFrame(verdicts, schema=_VERDICT_SCHEMA, orient="row")
    return pl.concat([valid.cast(_VERDICT_SCHEMA), checked])


def _verdict(
    subject: str, kind: str | None, kinds: frozenset[str]
) -> tuple[str | None, str | None, str | None, str | None]:
    """One subject's compact form, kind, problem and warning, by the domain's checks."""
    compact, problem, warning = subject, None, None
    try:
        if kind is None:
            problem = (
                f"say which kind of subject {subject} is in subject_kind "
                f"({', '.join(sorted(kinds))})"
            )
        elif kind == SubjectKind.PERSON:
            compact = validate_resident_id(subject)
        elif kind == SubjectKind.ORGANISATION:
            checked = check_uscc(subject)
            compact = checked.code
            warning = "; ".join(checked.warnings) or None
        elif kind == SubjectKind.OPAQUE:
            compact = validate_opaque_id(subject)
        else:
            problem = f"subject_kind {kind!r} is not person, organisation or opaque"
    except IdentifierError as exc:
        problem = f"{subject} is not a valid {kind} identifier: {exc}"
    return compact, kind, problem, warning


def _json_string(column: str) -> pl.Expr:
    # Polars' JSON encoder escapes a string as JSON requires; a one-field struct borrows it.
    encoded = pl.struct(pl.col(column).alias("v")).struct.json_encode()
    return encoded.str.strip_prefix('{"v":').str.strip_suffix("}")


def canonical_data(frame: pl.DataFrame, numeric: Iterable[str]) -> pl.Expr:
    """The data fields of each row (every column but the top-level ones) as canonical JSON:
    keys sorted, absent fields left out, fields some rule reads as a number written as
    numbers (integral ones without a fraction) and every other field as a string. So the
    same event sent as CSV, NDJSON or XML is stored as the same text."""
    skip = {*TOP_LEVEL, SUBJECT_KIND}
    names = sorted(c for c in frame.columns if c not in skip and not c.startswith("_"))
    numbers = set(numeric)
    pieces = []
    for name in names:
        value = _json_string(name)
        if name in numbers:
            x = pl.col(name).cast(pl.Float64, strict=False)
            number = (
                pl.when((x == x.floor()) & (x.abs() < 2.0**53))
                .then(x.cast(pl.Int64).cast(pl.String))
                .otherwise(x.cast(pl.String))
            )
            value = pl.when(x.is_not_null() & x.is_finite()).then(number).otherwise(value)
        key = json.dumps(name, ensure_ascii=False) + ":"
        pieces.append(pl.when(pl.col(name).is_not_null()).then(pl.lit(key) + value))
    if not pieces:
        return pl.lit("{}")
    # Absent fields are null pieces, which concat_str leaves out with their separators.
    body = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    return pl.lit("{") + body + pl.lit("}")


def record(
    store: Store,
    rows: pl.DataFrame,
    ledger: Ledger,
    *,
    recorded_at: datetime,
    working: WorkingSet | None = None,
) -> Recorded:
    """Admit, append and re-derive one batch of text rows (with `_line`) in one transaction.
    Batches of one input share a `working` set, so none reads back what another wrote."""
    working = working if working is not None else WorkingSet()
    frame = ensure_columns(rows, [*TOP_LEVEL, SUBJECT_KIND])
    frame = frame.with_columns(_at=parse_times(pl.col("occurred_at"), ledger.timezone))
    frame, rejected = set_aside(frame, _admission_checks(ledger))
    data_problems = _data_rejections(frame, ledger)
    if data_problems:
        bad_lines = [r.line for r in data_problems]
        frame = frame.filter(~pl.col("_line").is_in(bad_lines))
        rejected += data_problems
    frame, bad_subjects, warnings, new_subjects, registered = _subject_kinds(
        frame, store, ledger, working.subjects
    )
    rejected += bad_subjects
    low = sorted(s.id for s in ledger.sources.values() if s.trust == "low")
    batch = frame.select(
        *TOP_LEVEL,
        data=canonical_data(frame, ledger.numeric),
        status=pl.when(pl.col("source").is_in(low))
        .then(pl.lit("pending"))
        .otherwise(pl.lit("accepted")),
        _line="_line",
    )
    try:
        with store.atomic():
            if new_subjects.height:
                store.register_subjects(new_subjects, registered_at=recorded_at)
            appended = store.append_events(batch.drop("_line"), recorded_at=recorded_at)
            outcomes = appended.outcomes.with_columns(
                _line=batch.get_column("_line"), status=batch.get_column("status")
            )
            fresh = outcomes.filter(pl.col("outcome") == "new").join(
                batch.drop("_line", "status"), on=["source", "id"]
            )
            touched = working.rederive(
                store, ledger.schemes, fresh, new_subjects.get_column("id"), recorded_at
            )
    except BaseException:
        working.clear()  # the batch was rolled back: nothing it derived landed
        raise
    working.remember_subjects(pl.concat([registered, new_subjects]))
    conflicts = outcomes.filter(pl.col("outcome") == "conflict")
    rejected += [
        Rejection(
            line,
            "id",
            f"({source}, {id}) is stored at seq {seq} with other content: "
            f"{', '.join(differing)} differ",
        )
        for line, source, id, seq, differing in conflicts.select(
            "_line", "source", "id", "seq", "differing"
        ).iter_rows()
    ]
    return Recorded(
        outcomes.filter(pl.col("outcome") != "conflict").select("_line", "outcome", "status"),
        sorted(rejected, key=lambda r: r.line),
        sorted(warnings, key=lambda r: r.line),
        touched,
    )
