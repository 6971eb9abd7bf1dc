"""The HTTP API application, built by `create_app(target, clock)`.

The factory takes where the store is and the clock; nothing connects before it is called.
It opens one store at once (a store that cannot be opened fails here, not at the first
request), lends stores to requests from a pool, and closes them when the server stops.
While it runs (its lifespan), the decision desk holds warm answers for relying parties
and records their decisions in groups (`services.decision_desk`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from socialcredit import __version__
from socialcredit.api import (
    consent,
    decisions,
    disputes,
    events,
    history,
    listings,
    lists,
    public,
    queue,
    repairs,
    review,
    subjects,
)
from socialcredit.api.context import Checkpointer, Clock, StorePool
from socialcredit.api.errors import install_error_handlers
from socialcredit.api.metrics import Metrics, RequestMetrics
from socialcredit.services.decision_desk import DecisionDesk
from socialcredit.services.tokens import SignedIn
from socialcredit.web import routes as portal

__all__ = ["create_app"]

log = logging.getLogger(__name__)

DESCRIPTION = """\
An open, auditable social credit ledger: published rulebooks, explained scores, due process.

**Sign in** with a bearer token, `Authorization: Bearer sc_...`, issued by the operator with
`socialcredit token create --role ROLE --principal ID`. Each token acts in one role as one
principal: `admin`, `reviewer`, `source` (a registered source), `relying_party` (a
registered party) or `subject` (a registered subject, who sees only their own record).
Health, metrics, the published rulebooks and lookups on published lists need no token.

**Errors** are JSON, `{"error": {"code": "...", "message": "..."}}`: the code is stable, the
message says what to fix.
"""

TAGS = [
    {
        "name": "public",
        "description": "Health, metrics, the published rulebooks and lookups on lists whose "
        "legal basis provides for publication: no token.",
    },
    {"name": "sources", "description": "Sources report events (role `source`)."},
    {
        "name": "subjects",
        "description": "A subject's record: the subject's own, or any for `admin` (and "
        "`reviewer` for score and explanation). Reads by others are logged.",
    },
    {
        "name": "relying parties",
        "description": "Eligibility decisions for registered purposes (role `relying_party`).",
    },
    {
        "name": "listings",
        "description": "A subject's listings; the listed subject appeals, a `reviewer` or "
        "`admin` decides the appeal.",
    },
    {
        "name": "disputes",
        "description": "A subject disputes an entry of theirs and adds information; the "
        "source whose event it is confirms or withdraws it.",
    },
    {"name": "consent", "description": "The subject gives or withdraws consent to opt-in schemes."},
    {
        "name": "repairs",
        "description": "Credit repair: the subject applies; a `reviewer` or `admin` accepts "
        "the application and decides it.",
    },
    {
        "name": "reviewers",
        "description": "The review queue and the pending events in it (`reviewer`, `admin`).",
    },
]


def create_app(target: str, clock: Clock) -> FastAPI:
    """The API over the store at `target` (a SQLite path or a postgresql:// URL), telling
    time by `clock`."""
    pool = StorePool(target)
    pool.prime()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checkpointer = Checkpointer(target)
        checkpointer.start()
        pool.defer_checkpoints()
        desk = DecisionDesk(pool.borrowed, clock, app.state.signed_in)
        recorder = decisions.GroupCommit(desk)
        try:
            desk.start()
        except Exception:
            # Decisions are still made, each from the facts as `decide` makes them.
            log.exception("the decision desk could not be built; deciding from the facts")
        else:
            recorder.start()
            app.state.desk, app.state.recorder = desk, recorder
        # What is loaded now (modules, rulebooks, the desk's answers) lives as long as the
        # server: out of the collector's sight, a full collection no longer walks it all,
        # which held the event loop for a quarter of a second at 10,000 people.
        gc.freeze()
        try:
            yield
        finally:
            app.state.desk = None
            await recorder.stop()
            desk.stop()
            pool.close()
            checkpointer.stop()
            gc.unfreeze()

    app = FastAPI(
        title="socialcredit",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        # The interactive pages load their scripts from a CDN, and the machines this runs
        # on are offline; the schema itself is served at /openapi.json.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.pool = pool
    app.state.signed_in = SignedIn()
    app.state.desk = None  # the decision desk, while the server runs (see the lifespan)
    app.state.recorder = None  # and its group commit
    app.state.clock = clock
    app.state.metrics = Metrics()
    install_error_handlers(app)
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    app.include_router(decisions.asking)
    for area in (
        public,
        lists,
        events,
        subjects,
        history,
        decisions,
        listings,
        disputes,
        consent,
        repairs,
        queue,
        review,
    ):
        app.include_router(area.router)
    app.include_router(portal.router)
    return app
