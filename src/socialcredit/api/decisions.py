"""`POST /decisions`: a relying party asks whether a subject is eligible for one purpose;
`GET /subjects/{subject}/decisions`: the subject sees every decision about them.

The answer is allow or deny with reasons in plain words, the rulebook versions consulted
and the decision's id; never a score, an entry or a dossier (DESIGN 2.8). A purpose the
party is not registered for is refused with 403, and the refusal is recorded and logged
like any decision. A denial sends the subject an adverse-action notice.

The endpoint answers on the event loop from the server's decision desk (warm answers, the
same as `decide` gives) and awaits the group commit that records decisions in groups;
`ask`, the web portal's path, is `decide` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from socialcredit.api.auth import Caller, acting_as, reading_subject
from socialcredit.api.context import Clock, Now, Stored, StorePool, reading_store
from socialcredit.api.errors import ERROR_RESPONSES, ApiError
from socialcredit.errors import AuthenticationError
from socialcredit.services.access_log import log_reads
from socialcredit.services.decide import Decision, decide, decisions_about
from socialcredit.services.decision_desk import DecisionDesk
from socialcredit.services.decision_desk import Question as Asked
from socialcredit.services.tokens import still_valid
from socialcredit.storage import Store

__all__ = ["GroupCommit", "asking", "router"]

router = APIRouter()
# `POST /decisions` alone, for the app to route first: the busiest path is matched before
# the others are tried.
asking = APIRouter()


class Question(BaseModel):
    """Whom the party asks about, and for what."""

    subject: str = Field(min_length=1, max_length=64, description="The subject's identifier.")
    purpose: str = Field(
        min_length=1, max_length=100, description="A purpose the party is registered for."
    )


class Answer(BaseModel):
    """The decision as the relying party gets it."""

    decision_id: str = Field(description="Quote it to the subject; it is on their record.")
    subject: str
    purpose: str
    decision: Literal["allow", "deny"]
    reasons: list[str] = Field(description="Each consequence's finding, in plain words.")
    rulebooks: list[str] = Field(description="The rulebook@version consulted.")
    decided_at: str


def ask(question: Question, store: Store, now: datetime, who: Caller) -> Answer:
    """Allow or deny one purpose for one subject, as of now, with the reasons, by `decide`
    itself: the decision and the read are recorded and the subject can see both."""
    decision = decide(
        store,
        party=who.principal,
        subject=question.subject,
        purpose=question.purpose,
        as_of=now,
        decided_at=now,
    )
    return _answer(decision)


def _answer(decision: Decision) -> Answer:
    if decision.outcome == "refused":
        raise ApiError(
            403,
            "purpose_not_registered",
            f"{decision.reasons[0].text}; the refusal is recorded as {decision.decision_id}",
        )
    return Answer.model_validate(decision.answer())


@asking.post(
    "/decisions",
    tags=["relying parties"],
    summary="Ask for an eligibility decision",
    status_code=201,
    response_model=Answer,
    responses={**ERROR_RESPONSES},
)
async def asked(
    question: Question,
    request: Request,
    who: Annotated[Caller, Depends(acting_as("relying_party"))],
) -> Response:
    """Allow or deny one purpose for one subject, as of now, with the reasons; the decision
    and the read are recorded and the subject can see both."""
    clock: Clock = request.app.state.clock
    now = clock()
    desk: DecisionDesk | None = request.app.state.desk
    if desk is None:  # not serving (no lifespan): `decide` itself, on a thread
        pool: StorePool = request.app.state.pool

        def decided() -> Response:
            with pool.borrowed() as store:
                try:
                    still_valid(store, who.token)  # remembered, so checked again here
                except AuthenticationError as exc:
                    raise ApiError(401, "invalid_token", str(exc)) from None
                return _created(ask(question, store, now, who))

        return await run_in_threadpool(decided)
    # The desk's answer, or `decide`'s path on a thread; either way recorded (with others,
    # in one transaction) before it is given.
    pending = desk.ask(
        reading_store(request),
        who.principal,
        question.subject,
        question.purpose,
        now,
        token=who.token,
        mark=who.mark,
    )
    if pending.found is None:
        pending = await run_in_threadpool(desk.answer_slowly, pending)
    recorder: GroupCommit = request.app.state.recorder
    try:
        decision = await recorder.record(pending)
    except AuthenticationError as exc:  # revoked before the decision could be recorded
        raise ApiError(401, "invalid_token", str(exc)) from None
    return _created(_answer(decision))


class GroupCommit:
    """Decisions recorded in groups on the event loop: each asker waits while the desk
    records its group in one transaction (`DecisionDesk.record`), then hears its answer.

    The group is recorded on the loop itself, not on a thread: a writer thread would take
    the interpreter's lock back and forth with the loop at every store call, each time
    waiting for the loop to let it go, while a group recorded in place costs only its own
    time. Questions that arrive meanwhile form the next group."""

    def __init__(
        self, desk: DecisionDesk, most: int = 512, enough: int = 8, linger: float = 0.002
    ) -> None:
        self._desk, self._most, self._enough, self._linger = desk, most, enough, linger
        self._waiting: list[tuple[Asked, asyncio.Future[Decision]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start recording (on the running loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Record what is waiting, then stop."""
        if self._task is None:
            return
        for _ in range(3000):  # at most half a minute
            if not self._waiting:
                break
            await asyncio.sleep(0.01)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def record(self, question: Asked) -> Decision:
        """The decision, once recorded with its group."""
        done: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._waiting.append((question, done))
        self._wake.set()
        return await done

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(0)  # requests already read join this group
            if len(self._waiting) < self._enough and self._linger > 0:
                # A group costs about a millisecond however small: under a light load,
                # wait a moment for more to join than pay it for each question.
                await asyncio.sleep(self._linger)
            group, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            if self._waiting:
                self._wake.set()
            try:
                made = self._desk.record([q for q, _ in group])
            except Exception as exc:  # every asker of the group hears of the failure
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), decision in zip(group, made, strict=True):
                if done.done():
                    continue  # the asker went away; its decision is recorded all the same
                if isinstance(decision, Exception):
                    done.set_exception(decision)
                else:
                    done.set_result(decision)


def _created(answer: Answer) -> Response:
    # The answer as the response model writes it, already validated: written here, so
    # that it is not validated and encoded a second time.
    return Response(answer.model_dump_json(), status_code=201, media_type="application/json")


class Made(BaseModel):
    """A decision about the subject, as the subject sees it."""

    decision_id: str
    party: str = Field(description="The relying party that asked.")
    purpose: str
    decision: Literal["allow", "deny", "refused"] = Field(
        description="`refused`: the party was not registered for the purpose."
    )
    reasons: list[str] = Field(description="Each consequence's finding, in plain words.")
    rulebooks: list[str]
    decided_at: datetime


@router.get(
    "/subjects/{subject}/decisions",
    tags=["subjects"],
    summary="Decisions about a subject",
    responses={**ERROR_RESPONSES},
)
def made(
    subject: str,
    store: Stored,
    now: Now,
    who: Annotated[Caller, Depends(reading_subject("admin"))],
) -> list[Made]:
    """Every decision a relying party got about the subject, refusals included, oldest
    first: who asked, for what, the outcome, the reasons, when."""
    found = [Made.model_validate(d) for d in decisions_about(store, subject)]
    log_reads(store, who=who.principal, role=who.role, subjects=[subject], what="decisions", at=now)
    return found
