"""The web portal: server-rendered pages over the same services and role checks as the API,
working without JavaScript, in English and Chinese, with every asset in the package.

    app.include_router(socialcredit.web.router)   # what `api.create_app` does

Modules: `routes` (the router of every page), `pages` (templates, languages and errors as
pages), `session` (signing in and form tokens), `i18n` (the catalogues), `charts` (SVG drawn
on the server), `methodology` and `words` (what pages say), and one module per area:
`public`, `account`, `subject`, `review`, `check`, `operator`.
"""

from __future__ import annotations

from socialcredit.web.routes import router

__all__ = ["router"]
