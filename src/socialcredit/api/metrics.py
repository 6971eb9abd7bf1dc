"""Prometheus metrics: requests by route and status, their latency, the process, and the
ledger's figures read at each scrape.

prometheus-client writes the exposition format (escaping, histogram buckets, `_created`
series) as Prometheus reads it; writing it by hand would be more code to get subtly wrong
for no gain. Each app has its own registry, never the library's global one, so two apps in
one process (tests) count separately.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socialcredit.services.figures import LedgerFigures

__all__ = ["CONTENT_TYPE", "Metrics", "RequestMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Any other method is counted as "other": a label value per made-up method would be a
# series per request.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """The registry of one app and the metrics in it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "socialcredit_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "socialcredit_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self._ledger = {
            name: Gauge(f"socialcredit_ledger_{name}", help, registry=self.registry)
            for name, help in (
                ("events", "Events in the ledger."),
                ("head_seq", "Log position of the last event."),
                ("pending_unreviewed", "Pending events no reviewer has decided yet."),
                ("rulebook_versions", "Rulebook versions published."),
            )
        }

    def exposition(self, figures: LedgerFigures) -> bytes:
        """Every metric in the text format, the ledger's as of `figures`."""
        for name, gauge in self._ledger.items():
            gauge.set(getattr(figures, name))
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware counting each HTTP request and timing it, by route template (never
    the path itself, which would make a series per subject)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
