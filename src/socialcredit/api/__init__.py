"""The HTTP API (FastAPI): the services of the ledger and due process, over HTTP, for each
role with what that role may do. An entrypoint like the command line: it parses, checks who
is calling, calls a service and renders the result; it holds no rule of its own.

    app = create_app("./socialcredit.db", clock)   # then serve it with uvicorn

Modules: `app` (the factory), `context` (stores and the clock for each request), `auth`
(tokens and roles), `errors` (the JSON error format), `metrics`, and one module per area:
`public`, `lists`, `events`, `subjects`, `history`, `decisions`, `listings`, `disputes`,
`consent`, `repairs`, `queue`, `review`.
"""

from __future__ import annotations

from socialcredit.api.app import create_app

__all__ = ["create_app"]
