"""`socialcredit serve`: the HTTP API on the store SOCIALCREDIT_DB names."""

from __future__ import annotations

from typing import Annotated

import typer

from socialcredit import bootstrap
from socialcredit.cli.app import app, err, reported

__all__ = ["serve"]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API (schema at /openapi.json) until interrupted. Callers sign in with
    tokens from `socialcredit token create`."""
    # Imported here, so that every other command starts without loading the web stack.
    import uvicorn

    from socialcredit.api import create_app

    with reported():
        api = create_app(bootstrap.store_target(), bootstrap.clock)
    err.print(
        f"serving {bootstrap.store_target()} on http://{host}:{port} "
        f"(schema: http://{host}:{port}/openapi.json)",
        highlight=False,
    )
    uvicorn.run(api, host=host, port=port, log_level="info")
