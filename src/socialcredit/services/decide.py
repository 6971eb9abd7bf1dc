"""Eligibility decisions for relying parties: allow or deny one purpose, with reasons.

A party asks about one subject for one purpose it is registered for. Every scheme that
scores the subject and names consequences for that purpose is consulted, and each of its
consequences looks only at records from its related domains: a list in effect (whose domain
is among them), or a grade computed from the entries of those domains alone. Expired
entries never count (the standing is as of the moment asked). A consequence that denies
when its condition holds denies; one that allows (a privilege) allows only when its
condition holds. Any denial wins.

Every decision, and every refusal of a purpose the party is not registered for, is stored
with its reasons, the rulebook versions and the log position it saw, and the read is logged
for the subject to see. A denial sends the subject an adverse-action notice: the key
factors, where they came from, and how to dispute them.

An event that a dispute removed by the moment asked counts for nothing; one under dispute
still counts, and every reason resting on it says so (`disputed`, and the dispute's ref
and state in its basis). A penalty an approved credit repair ended counts up to the
approval, not after. A grade's reason rests on the entries that count at the moment asked,
and names no other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.kernel.standing import standings
from socialcredit.rules.model import Consequence
from socialcredit.services.case_actions import case_action
from socialcredit.services.derive import Derived, derive, repaired, repairs_from
from socialcredit.services.disputes import SubjectDispute, disputed_events, disputes_from, settled
from socialcredit.services.eligibility import related_entries
from socialcredit.services.listings import SubjectListing, listings_for, wall_clock
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Party, Store

__all__ = [
    "Decision",
    "Reason",
    "answer_from_facts",
    "decide",
    "decision_of",
    "decisions_about",
    "disputed_by_event",
    "evaluate",
    "flag_disputed",
    "known_purposes",
    "record_decisions",
    "refusal",
    "registered_party",
]

Outcome = Literal["allow", "deny", "refused"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
HOW_TO_DISPUTE = (
    "You may see every record behind this decision with `socialcredit explain`, dispute any "
    "entry (the source must confirm it within 30 days or it is removed), and appeal a "
    "listing within its appeal window."
)


@dataclass(frozen=True)
class Reason:
    """One consequence's finding, in plain words, with what it rests on."""

    scheme: str
    consequence: str
    effect: str
    holds: bool
    text: str
    basis: list[dict[str, Any]] = field(default_factory=list)
    disputed: list[str] = field(default_factory=list)  # refs of disputes on its basis

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Decision:
    """The answer a relying party gets."""

    decision_id: str
    party: str
    subject: str
    purpose: str
    outcome: Outcome
    reasons: list[Reason]
    rulebooks: list[str]
    log_position: int
    as_of: datetime
    decided_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "decision_id": self.decision_id,
            "party": self.party,
            "subject": self.subject,
            "purpose": self.purpose,
            "decision": self.outcome,
            "reasons": [r.as_dict() for r in self.reasons],
            "rulebooks": self.rulebooks,
            "log_position": self.log_position,
            "as_of": self.as_of.isoformat(),
            "decided_at": self.decided_at.isoformat(),
        }

    def answer(self) -> dict[str, Any]:
        """What the relying party is told: the outcome and each reason in plain words, the
        rulebook versions and the decision's id; never a score, an entry or what a reason
        rests on."""
        return {
            "decision_id": self.decision_id,
            "subject": self.subject,
            "purpose": self.purpose,
            "decision": self.outcome,
            "reasons": [r.text for r in self.reasons],
            "rulebooks": self.rulebooks,
            "decided_at": self.decided_at.isoformat(),
        }


def known_purposes(schemes: list[Scheme]) -> set[str]:
    """Every purpose some published scheme names a consequence for."""
    return {c.purpose for s in schemes for g in s.plan.segments for c in g.consequences}


def _decision_id(*parts: object) -> str:
    text = "\x1f".join(str(p) for p in parts)
    return "D-" + hashlib.sha256(text.encode()).hexdigest()[:20]


def _consequences(scheme: Scheme, purpose: str, as_of: datetime) -> list[Consequence]:
    segment = scheme.plan.segment_at(wall_clock(as_of, scheme.plan.timezone).date())
    if segment is None:
        return []
    return [c for c in segment.consequences if c.purpose == purpose]


def _label(c: Consequence) -> str:
    return c.title or c.purpose


def _list_reason(
    store: Store,
    scheme: Scheme,
    c: Consequence,
    subject: str,
    as_of: datetime,
    facts: tuple[pl.DataFrame, pl.DataFrame],
) -> Reason:
    moment = wall_clock(as_of, scheme.plan.timezone)
    stored, actions = facts
    live = [
        s
        for s in listings_for(store, [scheme], [subject], as_of, stored=stored, actions=actions)
        if s.definition.id == c.on_list
        and s.definition.domain in c.domains
        and s.listing.in_effect_at(moment)
    ]
    if not live:
        return Reason(scheme.id, _label(c), c.effect, False, f"not on the list {c.on_list}")
    basis = [listing_basis(s) for s in live]
    return Reason(scheme.id, _label(c), c.effect, True, listing_text(live[0]), basis)


def listing_basis(s: SubjectListing) -> dict[str, str]:
    """What a list consequence's finding rests on, for one listing in effect."""
    return {
        "list": s.definition.id,
        "listing": s.ref,
        "source": s.trigger[0],
        "event_id": s.trigger[1],
        "in_effect_from": str(s.listing.effective_from),
        "ends": str(s.listing.ends),
    }


def listing_text(s: SubjectListing) -> str:
    """A list consequence's finding in plain words, from the first listing in effect."""
    title = s.definition.title or s.definition.id
    return (
        f"on the {title} since {s.listing.effective_from:%Y-%m-%d} (listing {s.ref}, "
        f"reported by {s.trigger[0]} as {s.trigger[1]})"
    )


def _counting_at(entries: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """The entries that count at `at` (wall-clock time): what a grade then rests on. One
    expired, ended (superseded, repaired) or never applied is no part of a reason."""
    end = pl.min_horizontal("valid_until", "ended_at")
    return entries.filter(
        (pl.col("status") == "counted")
        & (pl.col("valid_from") <= at)
        & (end.is_null() | (end > at))
    )


def _grade_reason(
    scheme: Scheme, c: Consequence, subject: str, as_of: datetime, derived: Derived
) -> Reason:
    related = related_entries(scheme, c.domains, derived.entries)
    found = standings(derived.events, related, scheme.plan, as_of, pl.Series([subject]))
    if found.is_empty() or not found.item(0, "scored"):
        return Reason(scheme.id, _label(c), c.effect, False, "not scored under this scheme")
    grade = str(found.item(0, "grade"))
    segment = scheme.plan.segment_at(wall_clock(as_of, scheme.plan.timezone).date())
    assert segment is not None
    assert segment.grades is not None
    rank = segment.grades.rank
    if c.grade_at_least is not None:
        holds = rank(grade) <= rank(c.grade_at_least)
        test = f"at least {c.grade_at_least}"
    else:
        assert c.grade_at_most is not None
        holds = rank(grade) >= rank(c.grade_at_most)
        test = f"at most {c.grade_at_most}"
    domains = ", ".join(sorted(c.domains))
    verdict = "is" if holds else "is not"
    # The grade, not the score: the reason is what the relying party is told, and a party
    # gets an answer with reasons, never the subject's score (DESIGN 2.8).
    text = f"grade {grade} from records in {domains} {verdict} {test}"
    mine = related.filter(pl.col("subject") == subject)
    valid = _counting_at(mine, wall_clock(as_of, scheme.plan.timezone)).select(
        "rule", "source", "event_id", "applied_points", "valid_from", "valid_until"
    )
    basis = [{k: str(v) for k, v in row.items()} for row in valid.iter_rows(named=True)]
    return Reason(scheme.id, _label(c), c.effect, holds, text, basis)


def _flagged(reason: Reason, disputed: pl.DataFrame) -> Reason:
    """The reason with every basis record that is under dispute marked, and said."""
    return flag_disputed(reason, disputed_by_event(disputed))


def disputed_by_event(disputed: pl.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    """(source, event_id) -> (dispute ref, dispute state), from `disputed_events` rows."""
    return {
        (source, event): (ref, state)
        for source, event, ref, state in disputed.select(
            "source", "event_id", "dispute", "dispute_state"
        ).iter_rows()
    }


def flag_disputed(reason: Reason, found: Mapping[tuple[str, str], tuple[str, str]]) -> Reason:
    """The reason with every basis record that is under dispute (`found`, by source and
    event id: the dispute's ref and state) marked, and said."""
    if not found or not reason.basis:
        return reason
    basis, refs, said = [], [], []
    for row in reason.basis:
        mark = found.get((row.get("source"), row.get("event_id")))  # type: ignore[arg-type]
        if mark is None:
            basis.append(row)
            continue
        basis.append({**row, "dispute": mark[0], "dispute_state": mark[1]})
        if mark[0] not in refs:
            refs.append(mark[0])
            said.append(f"{row['source']}/{row['event_id']} ({mark[0]}, {mark[1]})")
    if not refs:
        return reason
    text = f"{reason.text}; disputed by the subject: {', '.join(said)}"
    return replace(reason, text=text, basis=basis, disputed=refs)


def evaluate(
    store: Store,
    schemes: list[Scheme],
    *,
    subject: str,
    purpose: str,
    as_of: datetime,
    stored: pl.DataFrame,
    disputes: list[SubjectDispute],
    actions: pl.DataFrame | None = None,
) -> tuple[Outcome, list[Reason], list[str]]:
    """The answer for one purpose as of `as_of` from the subject's stored events, settled
    (`disputes.settled`) and repaired (`derive.repaired`), and the disputes to flag: allow
    or deny, the reasons, and the rulebook versions consulted. `actions` are the subject's
    case actions if in hand. Nothing is recorded."""
    disputed = disputed_events(disputes)
    reasons: list[Reason] = []
    rulebooks: list[str] = []
    if actions is None:
        actions = store.case_actions_for([subject])
    for scheme in schemes:
        derived: Derived | None = None  # once per scheme, whatever its consequences
        for c in _consequences(scheme, purpose, as_of):
            if c.on_list is not None:
                reason = _list_reason(store, scheme, c, subject, as_of, (stored, actions))
            else:
                derived = derived or derive(stored, scheme, as_of)
                reason = _grade_reason(scheme, c, subject, as_of, derived)
            reasons.append(_flagged(reason, disputed))
            rulebooks += [v for v in scheme.versions if v not in rulebooks]
    denied = [r for r in reasons if r.holds == (r.effect == "deny")]
    return ("deny" if denied else "allow"), reasons, rulebooks


def refusal(party: Party, purpose: str) -> Reason:
    """The one reason of a refusal: the party is not registered for the purpose."""
    allowed = ", ".join(party.purposes) or "none"
    return Reason(
        "",
        purpose,
        "refuse",
        True,
        f"{party.id} is not registered for the purpose {purpose} (registered: {allowed})",
    )


def decision_of(
    party: str,
    subject: str,
    purpose: str,
    found: tuple[Outcome, list[Reason], list[str]],
    *,
    position: int,
    as_of: datetime,
    decided_at: datetime,
) -> Decision:
    """The decision with its id: the same question at the same instant over the same log
    is the same decision."""
    outcome, reasons, rulebooks = found
    id_ = _decision_id(party, subject, purpose, as_of.isoformat(), decided_at.isoformat(), position)
    return Decision(
        id_, party, subject, purpose, outcome, reasons, rulebooks, position, as_of, decided_at
    )


def registered_party(store: Store, party: str) -> Party:
    """The relying party as registered, or a SocialCreditError naming how to register it."""
    registered = store.party(party)
    if registered is None:
        raise SocialCreditError(
            f"no relying party {party!r}; register it with `socialcredit party add`"
        )
    return registered


def answer_from_facts(
    store: Store, registered: Party, *, subject: str, purpose: str, as_of: datetime
) -> tuple[tuple[Outcome, list[Reason], list[str]], int]:
    """The answer `decide` gives, from the subject's stored facts, and the log position it
    saw; nothing is recorded."""
    schemes = published_schemes(store)
    # One read of the subject's case actions gives both the disputes and the repairs.
    actions = store.case_actions_for([subject])
    zones = {s.id: s.plan.timezone for s in schemes}
    disputes = [d for d in disputes_from(actions, zones, as_of) if d.shown]
    stored = repaired(settled(store.events_for([subject]), disputes), repairs_from(actions))
    position = store.head().seq
    if purpose not in registered.purposes:
        return ("refused", [refusal(registered, purpose)], []), position
    found = evaluate(
        store,
        schemes,
        subject=subject,
        purpose=purpose,
        as_of=as_of,
        stored=stored,
        disputes=disputes,
        actions=actions,
    )
    return found, position


def decide(
    store: Store,
    *,
    party: str,
    subject: str,
    purpose: str,
    as_of: datetime,
    decided_at: datetime,
) -> Decision:
    """Decide, store the decision and log the read; a denial notifies the subject."""
    registered = registered_party(store, party)
    found, position = answer_from_facts(
        store, registered, subject=subject, purpose=purpose, as_of=as_of
    )
    decision = decision_of(
        party, subject, purpose, found, position=position, as_of=as_of, decided_at=decided_at
    )
    record_decisions(store, [(decision, registered.name)])
    return decision


def record_decisions(
    store: Store, decisions: Sequence[tuple[Decision, str]], *, assume_new: bool = False
) -> list[bool]:
    """Store decisions (each with its party's name) in one transaction, the caller's if
    there is one: every read is logged, each new decision stored, each new denial
    notified. The same decision again (a retry: the same question at the same instant over
    the same log) is logged as a read, not stored or notified twice. Whether each was new.

    With `assume_new`, the store is not searched for earlier copies (only the batch is):
    the store's uniqueness of decision ids then refuses a repeated one (RecordRejectedError,
    nothing written), and the caller records the batch again without it."""
    if not decisions:
        return []
    with store.atomic():
        store.append_access(_access_rows([d for d, _ in decisions]))
        seen: set[str] = set()
        if not assume_new:
            subjects = sorted({d.subject for d, _ in decisions})
            seen = set(store.decisions_for(subjects).get_column("decision_id").to_list())
        new: list[tuple[Decision, str]] = []
        for decision, name in decisions:
            if decision.decision_id not in seen:
                seen.add(decision.decision_id)
                new.append((decision, name))
        if new:
            store.append_decisions(_decision_rows([d for d, _ in new]))
            _adverse_action_notices(store, [(d, n) for d, n in new if d.outcome == "deny"])
    fresh = {id(d) for d, _ in new}
    return [id(d) in fresh for d, _ in decisions]


def _instants(moments: Iterable[datetime]) -> pl.Series:
    # Aware datetimes as UTC microseconds since the epoch: the same instants, without
    # Polars converting Python datetimes one by one (or parsing text).
    micros = [(m - _EPOCH) // _MICROSECOND for m in moments]
    return pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))


def _texts(**columns: Sequence[str | None]) -> dict[str, pl.Series]:
    # Typed up front: Polars then need not look through each list to infer its type.
    return {name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()}


def _access_rows(decisions: Sequence[Decision]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            **_texts(
                who=[d.party for d in decisions],
                role=["relying_party"] * len(decisions),
                subject=[d.subject for d in decisions],
                what=["decision"] * len(decisions),
                purpose=[d.purpose for d in decisions],
            ),
            "at": _instants(d.decided_at for d in decisions),
        }
    )


def _decision_rows(decisions: Sequence[Decision]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "decision_id": [d.decision_id for d in decisions],
            "party": [d.party for d in decisions],
            "subject": [d.subject for d in decisions],
            "purpose": [d.purpose for d in decisions],
            "outcome": [d.outcome for d in decisions],
            "reasons": [
                json.dumps([r.as_dict() for r in d.reasons], ensure_ascii=False) for d in decisions
            ],
            "rulebooks": [json.dumps(d.rulebooks) for d in decisions],
            "log_position": pl.Series([d.log_position for d in decisions], dtype=pl.Int64),
            "as_of": _instants(d.as_of for d in decisions),
            "decided_at": _instants(d.decided_at for d in decisions),
        }
    )


def _adverse_action_notices(store: Store, denials: Sequence[tuple[Decision, str]]) -> None:
    if not denials:
        return
    rows = [
        case_action(
            "notice.adverse_action",
            decision.subject,
            f"adverse:{decision.decision_id}",
            _adverse_action(decision, party_name),
            decision.decided_at,
        )
        for decision, party_name in denials
    ]
    store.append_case_actions(pl.DataFrame(_texts(**{n: [r[n] for r in rows] for n in rows[0]})))
    store.append_deliveries(
        pl.DataFrame(
            {
                **_texts(
                    notice=[row["ref"] for row in rows],
                    channel=["inbox"] * len(rows),
                    status=["sent"] * len(rows),
                    detail=[None] * len(rows),
                ),
                "at": _instants(d.decided_at for d, _ in denials),
            }
        )
    )


def _adverse_action(decision: Decision, party_name: str) -> dict[str, Any]:
    factors = [r for r in decision.reasons if r.holds == (r.effect == "deny")]
    return {
        "decision_id": decision.decision_id,
        "party": decision.party,
        "party_name": party_name,
        "purpose": decision.purpose,
        "key_factors": [r.text for r in factors],
        "sources": sorted({b["source"] for r in factors for b in r.basis if "source" in b}),
        "how_to_dispute": HOW_TO_DISPUTE,
    }


def decisions_about(store: Store, subject: str) -> list[dict[str, Any]]:
    """Every decision about the subject (refusals included), oldest first: the party, the
    purpose, the outcome, each reason in plain words, and when."""
    rows = store.decisions_for([subject]).to_dicts()
    return [
        {
            "decision_id": r["decision_id"],
            "party": r["party"],
            "purpose": r["purpose"],
            "decision": r["outcome"],
            "reasons": [reason["text"] for reason in json.loads(r["reasons"])],
            "rulebooks": list(r["rulebooks"]),
            "decided_at": r["decided_at"],
        }
        for r in rows
    ]
