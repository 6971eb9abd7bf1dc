"""What anyone may read without a token: health, metrics, and the published rulebooks.

Rulebooks are public by design (DESIGN 2.1: nothing is scored by an unpublished rule).
Metrics are aggregates with nothing about any one subject, and a monitor should not need a
token that could do more than read them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from socialcredit import __version__
from socialcredit.api.context import Stored
from socialcredit.api.errors import ErrorBody
from socialcredit.api.metrics import CONTENT_TYPE, Metrics
from socialcredit.services.figures import ledger_figures
from socialcredit.services.schemes import published_rulebook, published_rulebooks

__all__ = ["router"]

router = APIRouter()


class Health(BaseModel):
    """The server answers and its store is readable."""

    status: str = Field(description='"ok".')
    version: str = Field(description="The socialcredit version serving.")
    head_seq: int = Field(description="Log position of the last event in the ledger.")


class RulebookVersion(BaseModel):
    """One published version of a rulebook."""

    id: str
    version: str
    effective: str = Field(description="The day it takes effect (ISO 8601).")
    title: str
    jurisdiction: str
    extends: str | None = Field(description="The rulebook it layers onto, if any.")
    membership: str | None = Field(description='"mandatory" or "opt-in".')
    content_hash: str = Field(description="SHA-256 of the published text.")
    published_at: str


class RulebookText(RulebookVersion):
    """A published version with its full TOML text."""

    text: str


class Rulebook(BaseModel):
    """Every published version of one rulebook, oldest first."""

    id: str
    versions: list[RulebookText]


@router.get("/health", tags=["public"], summary="Is the server up and its store readable")
def health(store: Stored) -> Health:
    """`ok` when the server answers and the store can be read."""
    return Health(status="ok", version=__version__, head_seq=ledger_figures(store).head_seq)


@router.get(
    "/metrics",
    tags=["public"],
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "The text exposition."}},
)
def metrics(request: Request, store: Stored) -> Response:
    """Requests by route and status, their latency, the process, and the ledger's size,
    head and review queue, in the Prometheus text format."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.exposition(ledger_figures(store)), media_type=CONTENT_TYPE)


@router.get("/rulebooks", tags=["public"], summary="Every published rulebook version")
def rulebooks(store: Stored) -> list[RulebookVersion]:
    """The published versions of every rulebook, by rulebook and effective date."""
    return [RulebookVersion(**row) for row in published_rulebooks(store)]


@router.get(
    "/rulebooks/{rulebook}",
    tags=["public"],
    summary="One rulebook's published versions and their text",
    responses={404: {"model": ErrorBody, "description": "No rulebook of that id is published."}},
)
def rulebook(rulebook: str, store: Stored) -> Rulebook:
    """Every published version of one rulebook, with the text as published."""
    versions = [RulebookText(**row) for row in published_rulebook(store, rulebook)]
    return Rulebook(id=rulebook, versions=versions)
