"""The decision desk: a server's warm answers to relying parties, recorded in groups.

Built once from the store (`decision_findings.find`, columnar, every subject at once), the
desk holds each subject's findings and until when they hold. A question about a subject
the desk holds, at a moment they hold, is answered from memory as `decide` would answer it;
any other (a subject not held, findings past their bound, one changed under it) goes to
`decide`'s own path (`answer_from_facts`), and the subject is marked for a refresh, which a
background thread makes in bulk.

Every answer is recorded before it is given: the caller (the HTTP layer's group commit)
hands a group of answered questions to `record`, which stores their decisions, reads and
adverse-action notices in one transaction (`decide.record_decisions`); only then are the
askers answered. Inside that transaction the store's change stamp is compared with the one
the desk's answers rest on; facts added since (by another process, a CLI, a test) are
read: the subjects they touch are dropped from the desk, and any answer in the group about
them is made again from the facts in the transaction, so nothing is recorded that the
store as committed would not give. The desk's own writes (decisions, reads,
adverse-action notices) are no part of any answer. A token revoked since it was last
checked refuses its question in the same transaction. `record` is called by one caller at
a time.

Each desk state has a generation; an answer remembers the generation it was taken at, and
is made again if a later change touched its subject (or everyone: a rulebook published, a
party registered anew).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from socialcredit.errors import AuthenticationError, RecordRejectedError
from socialcredit.services.decide import (
    Decision,
    Outcome,
    Reason,
    answer_from_facts,
    decision_of,
    record_decisions,
    refusal,
    registered_party,
)
from socialcredit.services.decision_findings import HeldAnswers, find
from socialcredit.services.derive import REPAIR_APPLICATION, REPAIR_DECISION
from socialcredit.services.disputes import DISPUTE_ACTIONS
from socialcredit.services.listings import LISTING_ACTIONS
from socialcredit.services.schemes import published_schemes
from socialcredit.services.tokens import SignedIn, still_valid
from socialcredit.storage import Party, Store

__all__ = ["DecisionDesk", "Question"]

log = logging.getLogger(__name__)

Found = tuple[Outcome, list[Reason], list[str]]
Lend = Callable[[], AbstractContextManager[Store]]
# The case actions a decision reads (disputes, listings, repairs); an adverse-action notice,
# what decisions write, is none of them.
DECIDING_ACTIONS = (*DISPUTE_ACTIONS, *LISTING_ACTIONS, REPAIR_APPLICATION, REPAIR_DECISION)
# Facts whose change the desk follows; tokens are the sign-in cache's.
_FOLLOWED = ("events", "event_reviews", "case_actions", "rulebook_versions", "party_versions")
_KEPT = 4096  # invalidations remembered; an answer older than them all is made again


@dataclass(eq=False)
class Question:
    """One question on its way to the writer: asked, perhaps answered, then recorded."""

    party: Party
    subject: str
    purpose: str
    as_of: datetime
    decided_at: datetime
    found: Found | None
    generation: int
    token: str | None = None  # the token it was asked with, by id
    mark: tuple[int, int] | None = None  # the tokens' stamp that token was checked against


class DecisionDesk:
    """Warm answers, kept fresh by the group commits (`record`) and a refresher thread."""

    def __init__(
        self, lend: Lend, clock: Callable[[], datetime], signed_in: SignedIn | None = None
    ) -> None:
        self._lend, self._clock, self._signed_in = lend, clock, signed_in
        self._lock = threading.Lock()
        self._held: dict[str, HeldAnswers] = {}
        self._stamp: dict[str, int] = {}
        self._pending: dict[tuple[str, str], str] = {}  # unreviewed pending events' subjects
        self._parties: dict[str, Party] = {}
        self._generation = 0
        self._changes: list[tuple[int, frozenset[str] | None]] = []
        self._dirty: set[str] = set()
        self._wanted = threading.Event()
        self._refresher: threading.Thread | None = None
        self._stopping = False

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Build the desk from the store, then start the refresher."""
        with self._lend() as store:
            self._stamp = self._followed(store.change_stamp())
            self._pending = _pending(store)
            subjects = _everyone(store)
            self._install(self._build(store, subjects), self._generation)
        self._refresher = threading.Thread(target=self._refresh, name="desk-refresh", daemon=True)
        self._refresher.start()

    def stop(self) -> None:
        """Stop the refresher."""
        self._stopping = True
        self._wanted.set()
        if self._refresher is not None:
            self._refresher.join(timeout=30)

    # --- asking -----------------------------------------------------------------------------

    def ask(
        self,
        store: Store,
        party: str,
        subject: str,
        purpose: str,
        at: datetime,
        *,
        token: str | None = None,
        mark: tuple[int, int] | None = None,
    ) -> Question:
        """The question, answered from the desk if it holds the subject at `at`; with
        `found` None it is to be answered from the facts (`answer_slowly`). `store` is
        read only for a relying party not yet cached."""
        generation = self._generation  # before anything is looked up
        registered = self._party(store, party)
        if purpose not in registered.purposes:
            found: Found | None = ("refused", [refusal(registered, purpose)], [])
        else:
            held = self._held.get(subject)
            if held is not None and held.holds_at(at):
                found = held.answer(purpose)
            else:
                found = None
                self._want(subject)
        return Question(registered, subject, purpose, at, at, found, generation, token, mark)

    def _party(self, store: Store, id: str) -> Party:
        """The relying party as registered; cached until a party is registered anew (the
        writer then clears the cache, and makes again every answer taken before)."""
        cache = self._parties
        found = cache.get(id)
        if found is None:
            found = registered_party(store, id)
            if self._parties is cache:
                cache[id] = found
        return found

    def answer_slowly(self, question: Question) -> Question:
        """The question answered by `decide`'s path from the facts (blocking)."""
        question.generation = self._generation
        with self._lend() as store:
            question.found, _ = answer_from_facts(
                store,
                question.party,
                subject=question.subject,
                purpose=question.purpose,
                as_of=question.as_of,
            )
        return question

    # --- recording --------------------------------------------------------------------------

    def record(self, group: list[Question]) -> list[Decision | AuthenticationError]:
        """Record a group of answered questions in one transaction (see the module's notes):
        for each, the decision, or why it was not made (its token was revoked since)."""
        with self._lend() as store:
            try:
                return self._record(store, group, assume_new=True)
            except RecordRejectedError:
                # A decision id already stored (a retry at the same instant over the same
                # log): nothing was written; again, searching the store for copies.
                return self._record(store, group, assume_new=False)

    def _record(
        self, store: Store, group: list[Question], *, assume_new: bool
    ) -> list[Decision | AuthenticationError]:
        with store.atomic():
            stamp = store.change_stamp()
            self._catch_up(store, stamp)
            refused = self._signed_out(store, stamp, group)
            position = stamp["events"]  # the last event's seq: the head of the log
            decisions = []
            for q in group:
                if q in refused:
                    continue
                found, party = q.found, q.party
                if found is None or self._touched(q.generation, q.subject):
                    party = registered_party(store, q.party.id)
                    found, _ = answer_from_facts(
                        store, party, subject=q.subject, purpose=q.purpose, as_of=q.as_of
                    )
                decision = decision_of(
                    party.id,
                    q.subject,
                    q.purpose,
                    found,
                    position=position,
                    as_of=q.as_of,
                    decided_at=q.decided_at,
                )
                decisions.append((decision, party.name))
            new = record_decisions(store, decisions, assume_new=assume_new)
            after = store.change_stamp()
        notices = sum(n and d.outcome == "deny" for n, (d, _) in zip(new, decisions, strict=True))
        # Only our own notices were added: the desk's answers still rest on the store.
        expected = {**self._stamp, "case_actions": stamp["case_actions"] + notices}
        if self._followed(after) == expected:
            self._stamp = expected
        made = iter(d for d, _ in decisions)
        return [refused[q] if q in refused else next(made) for q in group]

    def _signed_out(
        self, store: Store, stamp: dict[str, int], group: list[Question]
    ) -> dict[Question, AuthenticationError]:
        """The questions whose token was revoked (or is gone) since it was last checked:
        none of them is recorded, each is told why."""
        mark = self._signed_in.observe(stamp) if self._signed_in is not None else None
        refused: dict[Question, AuthenticationError] = {}
        for q in group:
            if q.token is None or q.mark is None or q.mark == mark:
                continue
            try:
                still_valid(store, q.token)
            except AuthenticationError as exc:
                refused[q] = exc
        return refused

    # --- following the store ----------------------------------------------------------------

    @staticmethod
    def _followed(stamp: dict[str, int]) -> dict[str, int]:
        return {name: stamp[name] for name in _FOLLOWED}

    def _catch_up(self, store: Store, stamp: dict[str, int]) -> None:
        """Drop the held answers that facts added since the desk's stamp may change, and
        mark every answer taken before as touched where they may."""
        now, old = self._followed(stamp), self._stamp
        if now == old:
            return
        republished = now["rulebook_versions"] != old["rulebook_versions"]
        if now["party_versions"] != old["party_versions"]:
            self._parties = {}
        if republished or now["party_versions"] != old["party_versions"]:
            self._pending = _pending(store)
            self._invalidate(None, drop_all=republished)
        else:
            self._invalidate(self._touched_by(store, old, now), drop_all=False)
        self._stamp = now

    def _touched_by(self, store: Store, old: dict[str, int], now: dict[str, int]) -> set[str]:
        """The subjects whose facts were added to between two stamps: the subjects of new
        events, of pending events reviewed since, of new case actions a decision reads."""
        touched: set[str] = set()
        if now["events"] != old["events"]:
            added = store.events_between(old["events"] + 1, now["events"])
            touched |= set(added.get_column("subject").to_list())
        if now["events"] != old["events"] or now["event_reviews"] != old["event_reviews"]:
            pending = _pending(store)
            touched |= {s for key, s in self._pending.items() if key not in pending}
            self._pending = pending
        if now["case_actions"] != old["case_actions"]:
            later = store.case_actions_for(kinds=DECIDING_ACTIONS, after=old["case_actions"])
            touched |= set(later.get_column("subject").to_list())
        return touched

    def _invalidate(self, touched: set[str] | None, *, drop_all: bool) -> None:
        with self._lock:
            self._generation += 1
            self._changes.append(
                (self._generation, None if touched is None else frozenset(touched))
            )
            del self._changes[:-_KEPT]
            if drop_all:
                self._held = {}
            else:
                for subject in touched or ():
                    self._held.pop(subject, None)
                    self._dirty.add(subject)
        if touched:
            self._wanted.set()

    def _touched(self, generation: int, subject: str) -> bool:
        """Whether a change after `generation` may have changed the subject's answers."""
        if generation == self._generation:
            return False
        changes = self._changes
        if not changes or changes[0][0] > generation + 1:
            return True  # older than every change remembered
        return any(g > generation and (s is None or subject in s) for g, s in changes)

    # --- refreshing -------------------------------------------------------------------------

    def _want(self, subject: str) -> None:
        with self._lock:
            self._dirty.add(subject)
        self._wanted.set()

    def _refresh(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            with self._lock:
                subjects, self._dirty = sorted(self._dirty), set()
                generation = self._generation
            if not subjects:
                continue
            try:
                with self._lend() as store:
                    self._install(self._build(store, subjects), generation)
            except Exception:
                log.exception("refreshing the decision desk failed; asking from the facts")

    def _build(self, store: Store, subjects: list[str]) -> dict[str, HeldAnswers]:
        if not subjects:
            return {}
        schemes = published_schemes(store)
        events = store.events_for(subjects)
        actions = store.case_actions_for(subjects)
        return find(store, schemes, events, actions, self._clock()).held()

    def _install(self, held: dict[str, HeldAnswers], generation: int) -> None:
        """Hold fresh answers, but none about a subject a change touched meanwhile."""
        with self._lock:
            fresh = {s: a for s, a in held.items() if not self._touched(generation, s)}
            self._held.update(fresh)

    def holds(self, subject: str, at: datetime) -> bool:
        """Whether the desk holds answers about the subject at `at`."""
        held = self._held.get(subject)
        return held is not None and held.holds_at(at)


def _everyone(store: Store) -> list[str]:
    """Every subject with a fact: the registered ones, and any other an event names."""
    found = set(store.subjects().get_column("id").to_list())
    head = store.head().seq
    for first in range(1, head + 1, 500_000):
        chunk = store.events_between(first, min(first + 499_999, head))
        found |= set(chunk.get_column("subject").unique().to_list())
    return sorted(found)


def _pending(store: Store) -> dict[tuple[str, str], str]:
    found = store.pending_events().select("source", "id", "subject").rows()
    return {(source, id_): subject for source, id_, subject in found}
