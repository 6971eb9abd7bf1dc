"""Consent to opt-in schemes, recorded as the subject's own acts.

An opt-in scheme scores nobody without recorded consent (DESIGN 2.10). Consent is the pair
of events the kernel already reads, `consent.given` and `consent.withdrawn`, recorded
through `record`: hash-chained like every fact, and the subject re-derived at once. The
latest consent event at a moment decides whether the subject is scored at that moment, so
withdrawing stops scoring from then on; the records stay and `explain` still shows them.

The events come from the built-in source `self`, the subject's own acts: high trust,
allowed only the two consent types, and registered on first use when the store lacks it.
Each event carries the scheme's jurisdiction, so only schemes of that jurisdiction see it,
and names the rulebook in its data: consent to one opt-in scheme is not consent to another
of the same jurisdiction. A consent event that names no rulebook (reported by a source)
counts for every opt-in scheme of its jurisdiction. A mandatory scheme scores
everyone under its rules and takes no consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.ingest.events import parse_times
from socialcredit.rules.plan import CONSENT_GIVEN, CONSENT_SCHEME, CONSENT_WITHDRAWN
from socialcredit.services.derive import considered, counting_events
from socialcredit.services.record import ledger_of, record
from socialcredit.services.registry import add_source
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = [
    "CONSENT_TYPES",
    "SELF_SOURCE",
    "ConsentStep",
    "SchemeConsent",
    "consent_of",
    "give_consent",
    "opt_in_scheme",
    "self_source",
    "withdraw_consent",
]

SELF_SOURCE = "self"
CONSENT_TYPES = (CONSENT_GIVEN, CONSENT_WITHDRAWN)


@dataclass(frozen=True)
class ConsentStep:
    """One consent event: given or withdrawn, when, and its key in the ledger."""

    type: str
    at: datetime  # in the scheme's timezone
    source: str
    id: str
    seq: int

    @property
    def given(self) -> bool:
        """Whether this step gives consent (else it withdraws it)."""
        return self.type == CONSENT_GIVEN


@dataclass(frozen=True)
class SchemeConsent:
    """A subject's consent to one opt-in scheme: every step, and whether it holds `as_of`."""

    scheme: str
    subject: str
    as_of: datetime
    steps: list[ConsentStep]

    @property
    def consenting(self) -> bool:
        """Whether the latest step at or before `as_of` gives consent."""
        before = [s for s in self.steps if s.at <= self.as_of]
        return bool(before) and before[-1].given

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "rulebook": self.scheme,
            "subject": self.subject,
            "as_of": self.as_of.isoformat(),
            "consenting": self.consenting,
            "steps": [
                {"type": s.type, "at": s.at.isoformat(), "source": s.source, "id": s.id}
                for s in self.steps
            ],
        }


def self_source(store: Store, *, registered_at: datetime) -> None:
    """Make sure the source `self` exists and may record consent; register it if missing."""
    found = store.source(SELF_SOURCE)
    if found is None:
        add_source(
            store,
            SELF_SOURCE,
            name="the subject's own acts",
            trust="high",
            allow=CONSENT_TYPES,
            credential=None,
            registered_at=registered_at,
        )
        return
    if found.trust != "high" or not set(CONSENT_TYPES) <= set(found.allowed):
        raise SocialCreditError(
            f"the source {SELF_SOURCE!r} is registered (trust {found.trust}, allowed "
            f"{', '.join(found.allowed)}) but cannot record consent; it must be trusted high "
            f"and allowed {' and '.join(CONSENT_TYPES)}"
        )


def opt_in_scheme(store: Store, rulebook: str) -> Scheme:
    """The published opt-in scheme with this id; a mandatory or unknown one is refused."""
    schemes = published_schemes(store)
    opt_in = ", ".join(s.id for s in schemes if not s.mandatory) or "none"
    found = next((s for s in schemes if s.id == rulebook), None)
    if found is None:
        raise SocialCreditError(
            f"no published scheme {rulebook!r} takes consent (opt-in schemes: {opt_in})"
        )
    if found.mandatory:
        raise SocialCreditError(
            f"{rulebook} is a mandatory scheme: it applies its published rules to everyone "
            f"in its jurisdiction and needs no consent (opt-in schemes: {opt_in})"
        )
    return found


def _local(moment: datetime, scheme: Scheme) -> datetime:
    return moment.astimezone(ZoneInfo(scheme.plan.timezone))


def _jurisdiction(scheme: Scheme) -> str | None:
    return scheme.plan.latest.versions[0].jurisdiction


def _steps(stored: pl.DataFrame, scheme: Scheme) -> list[ConsentStep]:
    named = pl.col("data").str.json_path_match(f"$.{CONSENT_SCHEME}")
    consent = considered(counting_events(stored), scheme).filter(
        pl.col("type").is_in(CONSENT_TYPES) & (named.is_null() | (named == scheme.id))
    )
    timed = consent.with_columns(_t=parse_times(pl.col("occurred_at"), scheme.plan.timezone))
    zone = ZoneInfo(scheme.plan.timezone)
    return [
        ConsentStep(type_, at.astimezone(zone), source, id, seq)
        for type_, at, source, id, seq in timed.sort("_t", "source", "id")
        .select("type", "_t", "source", "id", "seq")
        .iter_rows()
    ]


def consent_of(store: Store, subject: str, as_of: datetime) -> list[SchemeConsent]:
    """The subject's consent to every published opt-in scheme, as of a moment."""
    stored = store.events_for([subject])
    return [
        SchemeConsent(s.id, subject, _local(as_of, s), _steps(stored, s))
        for s in published_schemes(store)
        if not s.mandatory
    ]


def _record_consent(
    store: Store, subject: str, rulebook: str, type_: str, *, at: datetime, recorded_at: datetime
) -> SchemeConsent:
    scheme = opt_in_scheme(store, rulebook)
    now = SchemeConsent(
        scheme.id, subject, _local(at, scheme), _steps(store.events_for([subject]), scheme)
    )
    if type_ == CONSENT_GIVEN and now.consenting:
        raise SocialCreditError(f"{subject} already consents to {rulebook} at {at.isoformat()}")
    if type_ == CONSENT_WITHDRAWN and not now.consenting:
        raise SocialCreditError(
            f"{subject} does not consent to {rulebook} at {at.isoformat()}: nothing to withdraw"
        )
    self_source(store, registered_at=recorded_at)
    registered = not store.subjects([subject]).is_empty()
    kinds = scheme.plan.latest.subjects
    instant = at.astimezone(UTC)
    row = {
        "id": f"{type_}:{rulebook}:{subject}:{instant:%Y-%m-%dT%H:%M:%S.%fZ}",
        "source": SELF_SOURCE,
        "subject": subject,
        "type": type_,
        "occurred_at": at.isoformat(),
        "jurisdiction": _jurisdiction(scheme),
        "subject_kind": None if registered or len(kinds) != 1 else kinds[0],
        "rulebook": rulebook,
    }
    frame = pl.DataFrame([row], schema=dict.fromkeys(row, pl.String)).with_columns(
        _line=pl.lit(1, dtype=pl.Int64)
    )
    recorded = record(store, frame, ledger_of(store), recorded_at=recorded_at)
    if recorded.rejected:
        problem = recorded.rejected[0]
        raise SocialCreditError(f"consent not recorded: {problem.field}: {problem.reason}")
    stored = store.events_for([subject])
    return SchemeConsent(scheme.id, subject, _local(at, scheme), _steps(stored, scheme))


def give_consent(
    store: Store, subject: str, rulebook: str, *, at: datetime, recorded_at: datetime
) -> SchemeConsent:
    """Record that the subject consents to an opt-in scheme from `at`; it scores them from
    then on, with the records it already holds."""
    return _record_consent(store, subject, rulebook, CONSENT_GIVEN, at=at, recorded_at=recorded_at)


def withdraw_consent(
    store: Store, subject: str, rulebook: str, *, at: datetime, recorded_at: datetime
) -> SchemeConsent:
    """Record that the subject withdraws consent from `at`: unscored from then on, records
    kept."""
    return _record_consent(
        store, subject, rulebook, CONSENT_WITHDRAWN, at=at, recorded_at=recorded_at
    )
