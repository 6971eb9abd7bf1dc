"""Every operation the OpenAPI schema documents, called in-process with requests Schemathesis
generates from the schema: none is answered with a 5xx, whatever the path, query and body.

The store is the API tests' small world with a listing, a dispute and a repair application
added, so refs can name something. Each request carries the token of a caller the
authorisation matrix lets through (a subject on their own record), so the generated input
reaches the endpoint rather than stopping at the door. A subject, list, rulebook or ref in
the path is often swapped for one that exists, and a ref for one of its shape (which random
text almost never has) naming nothing, so that parsing refs is tried as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.api_support import (
    CIVIC,
    DEFAULTERS,
    PENDING,
    World,
    apply_for_a_repair,
    list_a_defaulter,
    open_a_dispute,
    shared_template,
    world_from,
)
from tests.scenario import ADULT
from tests.test_api_matrix import MATRIX

# Who calls, most able first: the first the matrix lets through is the one used.
PREFERRED = ("admin", "reviewer", "relying_party", "source", "low_source", "subject")
EXAMPLES = 10  # per operation: about 40 operations in well under a minute
# The shape of each kind of ref, by the first segment of the paths it is in; a log position
# may be small or past any the store can hold.
SEQ = "([0-9]{1,4}|[0-9]{19,30})"
SHAPES = {
    "listings": rf"L-{SEQ}-[a-z-]{{1,40}}",
    "disputes": rf"X-{SEQ}(-[0-9]{{1,3}})?",
    "repairs": r"R-[0-9a-f]{1,14}",
}


@dataclass(frozen=True)
class Seeded:
    """The world, and a real ref of each kind, by the first segment of the paths it is in."""

    world: World
    refs: dict[str, str]

    def choices(self, path: str) -> dict[str, st.SearchStrategy[str]]:
        """For each path parameter that names something, values that name something in the
        world, or (refs) have the shape of a ref, for an operation's path."""
        named = {
            "subject": st.just(ADULT),
            "list_id": st.just(DEFAULTERS),
            "rulebook": st.just(CIVIC if "consent" in path else "cn-national"),
            "source": st.just(PENDING[0]),
            "event_id": st.just(PENDING[1]),
        }
        kind = path.split("/")[1]
        if kind not in SHAPES:
            return named
        ref = st.just(self.refs[kind]) | st.from_regex(SHAPES[kind], fullmatch=True)
        return named | {"ref": ref, "application": ref}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("schemathesis")
    for world in world_from(shared_template(tmp_path_factory), folder):
        refs = {
            "listings": list_a_defaulter(world, noticed=True),
            "disputes": open_a_dispute(world),
            "repairs": apply_for_a_repair(world),
        }
        yield Seeded(world, refs)


@pytest.fixture(scope="module")
def api_schema(seeded: Seeded) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", seeded.world.app)


def caller_for(method: str, path: str) -> str | None:
    """The caller the matrix lets through for an operation; None for a public one."""
    _, expected = MATRIX[(method, path)]
    allowed = [c for c in PREFERRED if expected[c] < 400]
    return None if len(allowed) == len(PREFERRED) or not allowed else allowed[0]


def cases(operation: schemathesis.APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    """Requests that fit the schema, and requests that break it."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_no_generated_request_is_answered_with_a_server_error(
    seeded: Seeded, api_schema: schemathesis.BaseSchema, endpoint: tuple[str, str]
) -> None:
    method, path = endpoint
    operation = api_schema[path][method]
    caller = caller_for(method, path)
    choices = seeded.choices(path)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation), data=st.data())
    def called(case: schemathesis.Case, data: st.DataObject) -> None:
        parameters = case.path_parameters or {}
        for name in sorted(parameters.keys() & choices.keys()):
            if (caller == "subject" and name == "subject") or data.draw(st.booleans(), name):
                parameters[name] = data.draw(choices[name], name)
        response = case.call(headers=seeded.world.auth(caller))
        case.validate_response(response, checks=[not_a_server_error])

    called()
