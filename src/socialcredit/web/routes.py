"""Every page of the portal, in one router the API application includes."""

from __future__ import annotations

from fastapi import APIRouter

from socialcredit.web import account, check, operator, public, review, subject

__all__ = ["AREAS", "router"]

# One module per area of the portal, each with its own router of pages.
AREAS = (public, account, subject, review, check, operator)

router = APIRouter(include_in_schema=False)
for area in AREAS:
    router.include_router(area.router)
