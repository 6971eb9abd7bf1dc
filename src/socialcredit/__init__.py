"""socialcredit: an open, auditable social credit system.

Published rulebooks turn reported events into entries with reasons; entries give a score
and a grade as of any moment. The public API is below; names load on first use so that
`import socialcredit` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Entry": "socialcredit.domain.events",
    "Event": "socialcredit.domain.events",
    "Standing": "socialcredit.domain.events",
    "Rulebook": "socialcredit.rules.model",
    "Plan": "socialcredit.rules.plan",
    "parse_rulebook": "socialcredit.rules.loader",
    "build_plan": "socialcredit.rules.plan",
    "check_plan": "socialcredit.rules.validate",
    "derive_entries": "socialcredit.kernel.entries",
    "standings": "socialcredit.kernel.standing",
    "plan_for": "socialcredit.services.rulebooks",
    "evaluate_events": "socialcredit.services.evaluate",
    "evaluate_file": "socialcredit.services.evaluate",
    "SocialCreditError": "socialcredit.errors",
    "RulebookError": "socialcredit.errors",
    "EventError": "socialcredit.errors",
    "IdentifierError": "socialcredit.errors",
    "UnknownRulebookError": "socialcredit.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'socialcredit' has no attribute {name!r}")
