"""What anyone may read: health, Prometheus metrics, the published rulebooks; and the
OpenAPI document that describes every endpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit import __version__
from socialcredit.api import errors
from tests.api_support import World, shared_template, world_from
from tests.scenario import ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def test_health_says_ok_with_the_version_and_the_head_of_the_log(world: World) -> None:
    response = world.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "head_seq": 3}


def test_metrics_count_requests_by_route_template_not_by_path(world: World) -> None:
    world.get(f"/subjects/{ADULT}/score", "subject")
    world.get("/no/such/page")
    response = world.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'socialcredit_http_requests_total{method="GET",route="/subjects/{subject}/score",'
        'status="200"} 1.0'
    ) in text
    assert 'route="unmatched",status="404"' in text
    assert ADULT not in text
    assert "socialcredit_http_request_duration_seconds_bucket" in text


def test_metrics_show_the_ledger_as_it_is_at_the_scrape(world: World) -> None:
    text = world.get("/metrics").text
    assert "socialcredit_ledger_events 3.0" in text
    assert "socialcredit_ledger_head_seq 3.0" in text
    assert "socialcredit_ledger_pending_unreviewed 1.0" in text
    assert "socialcredit_ledger_rulebook_versions 3.0" in text


def test_the_published_rulebooks_are_listed_without_their_text(world: World) -> None:
    listed = world.get("/rulebooks").json()
    assert [(r["id"], r["version"]) for r in listed] == [
        ("civic-rewards", "2026.1"),
        ("cn-371003-wendeng", "2020.1"),
        ("cn-national", "2017.1"),
    ]
    wendeng = listed[1]
    assert wendeng["extends"] == "cn-national"
    assert wendeng["membership"] == "mandatory"
    assert len(wendeng["content_hash"]) == 64
    assert "text" not in wendeng


def test_one_rulebook_comes_with_the_text_as_published(world: World) -> None:
    response = world.get("/rulebooks/cn-371003-wendeng")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "cn-371003-wendeng"
    [version] = body["versions"]
    assert version["version"] == "2020.1"
    assert "[[rule]]" in version["text"]


def test_an_unpublished_rulebook_is_not_found_and_the_published_ones_are_named(
    world: World,
) -> None:
    response = world.get("/rulebooks/cn-nowhere")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert "cn-371003-wendeng" in error["message"]


def test_every_operation_is_documented_with_its_models_and_errors(world: World) -> None:
    schema = world.get("/openapi.json").json()
    assert schema["info"]["title"] == "socialcredit"
    assert "Bearer" in schema["info"]["description"]
    assert "token" in schema["components"]["securitySchemes"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation["summary"], where
            assert operation["description"], where
            assert operation["tags"], where
            ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert ok.get("content"), where
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"]), where


def test_the_interactive_pages_that_need_a_cdn_are_not_served(world: World) -> None:
    assert world.get("/docs").status_code == 404
    assert world.get("/redoc").status_code == 404


DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_docs_api_names_every_endpoint_and_every_error_code(world: World) -> None:
    text = DOC.read_text(encoding="utf-8")
    for path, item in world.get("/openapi.json").json()["paths"].items():
        for method in item:
            assert f"`{method.upper()} {path}`" in text, f"{method.upper()} {path}"
    codes = set(re.findall(r"^\s+\d{3}\s+(\w+)", errors.__doc__ or "", re.MULTILINE))
    assert len(codes) >= 10
    for code in codes:
        assert f"`{code}`" in text, code
