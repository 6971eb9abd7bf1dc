"""The decision desk answers as `decide` does: for every subject and purpose of seeded random
stores (events, voids, pending reports and their reviews, court listings with notices,
appeals and removals, disputes open, answered and past their deadline, approved repairs,
consent given and withdrawn) at several moments, the desk's findings give the outcome, the
reasons (text and basis) and the rulebook versions `decide` gives, wherever the desk says
they hold; and through the desk's writer, with the store changed between questions, every
decision recorded is the one `decide` makes from the facts at that moment.

`decide` is the reference: a finding the desk holds that differs from it fails here."""

from __future__ import annotations

import contextlib
import functools
import random
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest

from socialcredit.api.context import StorePool
from socialcredit.errors import SocialCreditError
from socialcredit.services.casework import act_on_listing, listings_of
from socialcredit.services.consent import give_consent, withdraw_consent
from socialcredit.services.decide import (
    Decision,
    answer_from_facts,
    decide,
    decision_of,
    known_purposes,
    refusal,
)
from socialcredit.services.decision_desk import DecisionDesk
from socialcredit.services.decision_findings import find
from socialcredit.services.dispute_casework import answer_dispute, open_dispute
from socialcredit.services.ingest import ingest_records
from socialcredit.services.parties import add_party
from socialcredit.services.registry import add_source, review
from socialcredit.services.repair import accept_repair, apply_for_repair, decide_repair
from socialcredit.services.schemes import publish_bundled, published_schemes
from socialcredit.storage import Party, Store, open_store

ZONE = ZoneInfo("Asia/Shanghai")
SET_UP = datetime(2024, 12, 1, tzinfo=ZONE)
START = datetime(2025, 1, 1, 9, 0, tzinfo=ZONE)
SOURCES = {
    "traffic.weihai": ("high", ["traffic"]),
    "police.wendeng": ("high", ["public_order"]),
    "civic.wendeng": ("high", ["civic", "health_donation"]),
    "court.wendeng": ("high", ["judicial"]),
    "community.reporter": ("low", ["public_order"]),
}
# Event types with the source that reports them and the data they carry.
KINDS: dict[str, tuple[str, Callable[[random.Random], dict[str, Any]]]] = {
    "traffic.fine": ("traffic.weihai", lambda r: {"amount_cny": r.choice([200, 800, 3000])}),
    "public_order.seat_hogging": ("police.wendeng", lambda r: {}),
    "public_order.violent_obstruction": ("police.wendeng", lambda r: {}),
    "public_order.noise": ("community.reporter", lambda r: {}),
    "civic.heroic_act": ("civic.wendeng", lambda r: {}),
    "civic.volunteer_hours": ("civic.wendeng", lambda r: {"hours": r.choice([12, 40, 120])}),
    "civic.award": ("civic.wendeng", lambda r: {"level": r.choice(["county", "national"])}),
    "health.blood_donation": ("civic.wendeng", lambda r: {}),
    "court.admin_detention": ("court.wendeng", lambda r: {}),
    "court.defaulter_listed": ("court.wendeng", lambda r: {"case_no": "c-1"}),
}
PARTY, FEW = "rail.all", "hotel.few"
# Purposes answered by each kind of consequence: the court's list, a grade that denies, a
# grade privilege of the district scheme, the opt-in scheme's privileges.
ASKED = [
    "air_travel",
    "community_honours_nomination",
    "merchant_discounts",
    "heating_bill_discount",
    "transit_discount",
    "library_perks",
]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(born: date, serial: int) -> str:
    """A valid GB 11643 resident id for a Wendeng person born on `born`."""
    body = f"371003{born:%Y%m%d}{serial % 1000:03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
    return body + check


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the bundled packs, the sources and two relying parties."""
    path = tmp_path_factory.mktemp("desk") / "template.db"
    with open_store(path) as store:
        publish_bundled(store, published_at=SET_UP)
        for source, (trust, allowed) in SOURCES.items():
            add_source(
                store,
                source,
                name=None,
                trust=trust,  # type: ignore[arg-type]
                allow=allowed,
                credential=None,
                registered_at=SET_UP,
            )
        purposes = sorted(known_purposes(published_schemes(store)))
        add_party(store, PARTY, name="Rail", purposes=purposes, registered_at=SET_UP)
        add_party(store, FEW, name="Hotel", purposes=ASKED[:2], registered_at=SET_UP)
    return path


@dataclass
class World:
    """A seeded random store: its path, subjects and the moment its history reaches."""

    path: Path
    subjects: list[str]
    rng: random.Random
    counter: int = 0

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"


def moment(rng: random.Random, low: int = 0, high: int = 540) -> datetime:
    """A random moment, `low` to `high` days after the start."""
    return START + timedelta(days=rng.randint(low, high), hours=rng.randint(0, 23))


def report(store: Store, world: World, subject: str, kind: str, at: datetime) -> tuple[str, str]:
    """One event of `kind` about the subject at `at`; its (source, id)."""
    source, data = KINDS[kind]
    id_ = world.next_id(kind.split(".")[0])
    event = {
        "id": id_,
        "subject": subject,
        "type": kind,
        "occurred_at": at.isoformat(),
        "jurisdiction": "371003",
        "data": data(world.rng),
    }
    done = ingest_records(store, [event], source=source, recorded_at=at)
    assert all(r.outcome in ("new", "pending") for r in done), done
    return source, id_


def attempt(action: Callable[[], object]) -> None:
    """A random act the services may refuse (a dispute of an event with no entry, a repair
    of no penalty): refused, it is simply not part of the history."""
    with contextlib.suppress(SocialCreditError, ValueError):
        action()


def random_act(store: Store, world: World, reported: list[tuple[str, str, str, datetime]]) -> None:
    """One random act of the history: an event, a void, a review, a dispute and its answer,
    a repair, consent, a listing's case action."""
    rng = world.rng
    subject = rng.choice(world.subjects)
    at = moment(rng)
    what = rng.choice(
        ["event"] * 6 + ["void", "review", "dispute", "repair", "consent", "listing", "removal"]
    )
    if what == "event" or not reported:
        kind = rng.choice(sorted(KINDS))
        source, id_ = report(store, world, subject, kind, at)
        reported.append((subject, source, id_, at))
        return
    subject, source, id_, when = rng.choice(reported)
    later = when + timedelta(days=rng.randint(0, 60), hours=rng.randint(1, 20))
    if what == "void":
        void: dict[str, Any] = {"id": f"void-{id_}", "subject": subject, "type": "void"}
        void |= {"occurred_at": later.isoformat(), "data": {"target": id_, "reason": "wrong"}}
        attempt(lambda: ingest_records(store, [void], source=source, recorded_at=later))
    elif what == "review" and source == "community.reporter":
        verdict: Literal["approve", "reject"] = rng.choice(["approve", "reject"])
        attempt(
            lambda: review(
                store, source, id_, decision=verdict, reviewer="li", reason="seen", at=later
            )
        )
    elif what == "dispute":
        attempt(lambda: _dispute(store, rng, subject, source, id_, later))
    elif what == "repair":
        attempt(lambda: _repair(store, subject, source, id_, later))
    elif what == "consent":
        change = give_consent if rng.random() < 0.7 else withdraw_consent
        attempt(lambda: change(store, subject, "civic-rewards", at=later, recorded_at=later))
    elif what == "listing":
        attempt(lambda: _listing_act(store, rng, subject, later))
    else:
        performed: dict[str, Any] = {"id": world.next_id("performed"), "subject": subject}
        performed |= {"type": "court.judgment_performed", "occurred_at": later.isoformat()}
        performed |= {"jurisdiction": "371003", "data": {"case_no": "c-1"}}
        ingest_records(store, [performed], source="court.wendeng", recorded_at=later)


def _dispute(
    store: Store, rng: random.Random, subject: str, source: str, id_: str, at: datetime
) -> None:
    found = open_dispute(
        store, subject, source=source, event_id=id_, rule=None, grounds="not me", at=at
    )
    fate = rng.choice(["open", "withdrawn", "confirmed"])
    if fate != "open":
        answer = at + timedelta(days=rng.randint(1, 20))
        answer_dispute(store, found.ref, fate, "checked", at=answer)  # type: ignore[arg-type]


def _repair(store: Store, subject: str, source: str, id_: str, at: datetime) -> None:
    applied = apply_for_repair(
        store, f"{source}/{id_}", subject=subject, commitment="I will", proof="paid", at=at
    )
    accept_repair(store, applied.id, by="office", at=at + timedelta(hours=1))
    decide_repair(
        store, applied.id, approve=True, reasons="ok", by="office", at=at + timedelta(days=2)
    )


def _listing_act(store: Store, rng: random.Random, subject: str, at: datetime) -> None:
    found = listings_of(store, subject, at)
    if not found:
        return
    listing = rng.choice(found)
    if listing.listing.state is None:  # proposed after `at`: no act can precede it
        return
    steps = [
        ("listing.notice", {"reasons": "judgment unperformed", "how_to_appeal": "write"}),
        ("listing.notice", {"reasons": "judgment unperformed", "how_to_appeal": "write"}),
        ("listing.appeal", {"grounds": "paid"}),
        ("listing.review", {"outcome": "upheld", "reasons": "r", "reviewer": "judge Li"}),
        ("listing.review", {"outcome": "overturned", "reasons": "r", "reviewer": "judge Li"}),
        ("listing.early_removal", {"reasons": "performed"}),
    ]
    kind, data = rng.choice(steps)
    act_on_listing(store, listing.ref, kind, data, at=at)


def seeded_world(template: Path, folder: Path, seed: int, acts: int = 70) -> World:
    """A copy of the template with a seeded random history of nine people (one a minor)."""
    path = folder / f"world-{seed}.db"
    shutil.copyfile(template, path)
    rng = random.Random(seed)
    subjects = [
        resident_id(date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)), i)
        for i in range(8)
    ]
    subjects.append(resident_id(date(2012, 5, 5), 99))  # a minor: never listed
    world = World(path, subjects, rng)
    with open_store(path) as store:
        reported: list[tuple[str, str, str, datetime]] = []
        for i, subject in enumerate(subjects[:3]):  # court listings, noticed and not
            at = START + timedelta(days=10) if i == 0 else moment(rng, 0, 300)
            source, id_ = report(store, world, subject, "court.defaulter_listed", at)
            reported.append((subject, source, id_, at))
            if i == 0 or rng.random() < 0.7:
                attempt(functools.partial(_notice, store, subject, at))
        for _ in range(acts):
            random_act(store, world, reported)
    return world


def _notice(store: Store, subject: str, at: datetime) -> None:
    for listing in listings_of(store, subject, at + timedelta(days=1)):
        notice = {"reasons": "judgment unperformed", "how_to_appeal": "write"}
        act_on_listing(store, listing.ref, "listing.notice", notice, at=at + timedelta(days=1))


def as_compared(found: tuple[str, list[Any], list[str]]) -> tuple[Any, ...]:
    outcome, reasons, rulebooks = found
    return outcome, [r.as_dict() for r in reasons], rulebooks


@dataclass
class Tally:
    """What the comparisons covered, so that a desk answering nothing cannot pass."""

    compared: int = 0
    fell_back: int = 0
    denied: int = 0
    listed: int = 0
    graded_with_basis: int = 0
    disputed: int = 0
    refused: int = 0

    def add(self, found: tuple[str, list[Any], list[str]]) -> None:
        outcome, reasons, _ = found
        self.compared += 1
        self.denied += outcome == "deny"
        self.refused += outcome == "refused"
        self.listed += any(r.text.startswith("on the ") for r in reasons)
        self.graded_with_basis += any(r.text.startswith("grade ") and r.basis for r in reasons)
        self.disputed += any(r.disputed for r in reasons)


def compare_at(store: Store, built_at: datetime, moments: list[datetime], tally: Tally) -> None:
    """The desk's findings built at `built_at` against `decide`'s path at each moment (and
    at the last moment each subject's findings are said to hold), for every subject and
    one unknown."""
    schemes = published_schemes(store)
    subjects = store.subjects().get_column("id").to_list()
    events, actions = store.events_for(subjects), store.case_actions_for(subjects)
    held = find(store, schemes, events, actions, built_at).held()
    every, few = store.party(PARTY), store.party(FEW)
    assert every is not None
    assert few is not None
    # Every purpose asked of the party registered for all; to the other, one purpose it is
    # registered for and two it is not (refused).
    questions = [(every, p) for p in ASKED]
    questions += [(few, p) for p in ("air_travel", "merchant_discounts", "bank_loan")]
    for subject in [*subjects, "371003199001010000"]:
        answers = held.get(subject)
        bounds = [] if answers is None or answers.until is None else [answers.until]
        # The last moment the desk claims its findings for, too: the bound must be right.
        for at in [*moments, *(u - timedelta(microseconds=1) for u in bounds)]:
            if answers is None or not answers.holds_at(at):
                tally.fell_back += 1
                continue
            for party, purpose in questions:
                want, _ = answer_from_facts(
                    store, party, subject=subject, purpose=purpose, as_of=at
                )
                got = desk_answer(answers, party, purpose)
                assert as_compared(got) == as_compared(want), (subject, purpose, at)
                tally.add(want)


def desk_answer(answers: Any, party: Party, purpose: str) -> tuple[str, list[Any], list[str]]:
    if purpose not in party.purposes:
        return "refused", [refusal(party, purpose)], []
    found: tuple[str, list[Any], list[str]] = answers.answer(purpose)
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_desk_finds_what_decide_finds_for_every_subject_and_purpose(
    template: Path, tmp_path: Path, seed: int
) -> None:
    world = seeded_world(template, tmp_path, seed)
    rng = random.Random(seed * 7)
    tally = Tally()
    with open_store(world.path) as store:
        for built in (moment(rng, 100, 400), moment(rng, 400, 700)):
            later = [built, built + timedelta(days=rng.randint(1, 40)), built + timedelta(days=300)]
            compare_at(store, built, later, tally)
    assert tally.compared > 100
    assert tally.denied, tally
    assert tally.refused, tally
    assert tally.graded_with_basis, tally


def test_over_many_worlds_the_comparisons_cover_listings_and_disputes(
    template: Path, tmp_path: Path
) -> None:
    """Listings in effect and disputed records are rare in one world; across these seeds
    the desk is compared on both."""
    tally = Tally()
    for seed in (11, 12, 13, 14):
        world = seeded_world(template, tmp_path, seed, acts=90)
        with open_store(world.path) as store:
            built = START + timedelta(days=200)
            compare_at(store, built, [built, built + timedelta(days=45)], tally)
    assert tally.listed, tally
    assert tally.disputed, tally


# --- through the writer, with the store changing between questions -------------------------


class Clock:
    """A clock the test moves."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.at

    def move(self, by: timedelta) -> None:
        with self._lock:
            self.at += by


@pytest.fixture
def served(template: Path, tmp_path: Path) -> Iterator[tuple[World, DecisionDesk, Clock, Store]]:
    world = seeded_world(template, tmp_path, 5, acts=50)
    clock = Clock(START + timedelta(days=250))
    pool = StorePool(str(world.path))
    desk = DecisionDesk(pool.borrowed, clock)
    desk.start()
    reader = open_store(world.path)
    try:
        yield world, desk, clock, reader
    finally:
        desk.stop()
        reader.close()
        pool.close()


def asked(
    desk: DecisionDesk, reader: Store, party: str, subject: str, purpose: str, at: datetime
) -> Decision:
    question = desk.ask(reader, party, subject, purpose, at)
    if question.found is None:
        question = desk.answer_slowly(question)
    [made] = desk.record([question])
    assert isinstance(made, Decision)
    return made


def expected(path: Path, party: str, subject: str, purpose: str, at: datetime) -> Decision:
    """The decision `decide` makes from the facts as they are, not recorded."""
    with open_store(path) as store:
        registered = store.party(party)
        assert registered is not None
        found, position = answer_from_facts(
            store, registered, subject=subject, purpose=purpose, as_of=at
        )
    return decision_of(party, subject, purpose, found, position=position, as_of=at, decided_at=at)


def test_through_the_writer_every_decision_is_decides_while_the_store_changes(
    served: tuple[World, DecisionDesk, Clock, Store],
) -> None:
    world, desk, clock, reader = served
    rng = world.rng
    reported: list[tuple[str, str, str, datetime]] = []
    from_memory = 0
    for step in range(60):
        if step % 3 == 0:  # another process changes the store between questions
            with open_store(world.path) as store:
                random_act(store, world, reported)
        if step % 7 == 0:
            clock.move(timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600)))
        subject = rng.choice(world.subjects)
        party = rng.choice([PARTY, PARTY, FEW])
        purpose = rng.choice([*ASKED, "bank_loan"])
        now = clock()
        from_memory += desk.holds(subject, now)
        got = asked(desk, reader, party, subject, purpose, now)
        want = expected(world.path, party, subject, purpose, now)
        assert got.as_dict() == want.as_dict(), (step, subject, purpose)
    assert from_memory > 20  # most answers came from the desk, not from the facts


def test_a_retry_is_recorded_once_and_logged_as_a_read(
    served: tuple[World, DecisionDesk, Clock, Store],
) -> None:
    world, desk, clock, reader = served
    subject, now = world.subjects[0], clock()
    first = asked(desk, reader, PARTY, subject, "community_honours_nomination", now)
    again = asked(desk, reader, PARTY, subject, "community_honours_nomination", now)
    with open_store(world.path) as store:
        direct = decide(
            store,
            party=PARTY,
            subject=subject,
            purpose="community_honours_nomination",
            as_of=now,
            decided_at=now,
        )
        stored = store.decisions_for([subject], party=PARTY)
        reads = store.access_for(subject)
    assert first.decision_id == again.decision_id == direct.decision_id
    assert stored.get_column("decision_id").to_list() == [first.decision_id]
    assert reads.height == 3


def test_questions_asked_together_are_recorded_in_one_group(
    served: tuple[World, DecisionDesk, Clock, Store],
) -> None:
    world, desk, clock, reader = served
    now = clock()
    questions = [
        desk.ask(reader, PARTY, subject, purpose, now)
        for subject in world.subjects
        for purpose in ASKED
    ]
    questions = [q if q.found is not None else desk.answer_slowly(q) for q in questions]
    decisions = desk.record(questions)
    for q, d in zip(questions, decisions, strict=True):
        assert isinstance(d, Decision)
        assert d.as_dict() == expected(world.path, PARTY, q.subject, q.purpose, now).as_dict()
    with open_store(world.path) as store:
        stored = store.decisions_for(world.subjects, party=PARTY)
        denials = [d for d in decisions if isinstance(d, Decision) and d.outcome == "deny"]
        notices = store.case_actions_for(world.subjects, kinds=["notice.adverse_action"])
    assert stored.height == len({d.decision_id for d in decisions if isinstance(d, Decision)})
    assert notices.height == len({d.decision_id for d in denials})


def test_a_moment_past_a_subjects_findings_is_answered_from_the_facts(
    served: tuple[World, DecisionDesk, Clock, Store],
) -> None:
    world, desk, _, reader = served
    early = START - timedelta(days=30)  # before the desk was built: not held then
    subject = world.subjects[1]
    assert not desk.holds(subject, early)
    got = asked(desk, reader, PARTY, subject, "merchant_discounts", early)
    assert (
        got.as_dict() == expected(world.path, PARTY, subject, "merchant_discounts", early).as_dict()
    )


def test_the_stamp_follows_every_fact_a_decision_reads(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        before = store.change_stamp()
        publish_bundled(store, published_at=SET_UP)
        after = store.change_stamp()
    assert set(before) == {
        "events",
        "event_reviews",
        "case_actions",
        "rulebook_versions",
        "party_versions",
        "tokens",
        "token_revocations",
    }
    assert after["rulebook_versions"] > before["rulebook_versions"]
    assert {k: v for k, v in after.items() if k != "rulebook_versions"} == {
        k: v for k, v in before.items() if k != "rulebook_versions"
    }
