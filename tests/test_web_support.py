"""What the portal's tests share: a browser over the API tests' world that signs in by the
form and posts forms with their token, and a reading of a page's HTML with the standard
library's parser (its language, its form controls and their labels, its forms)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.api_support import World, shared_template, world_from

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Form:
    """A form as the page has it: where it posts and the values it carries."""

    action: str
    method: str
    values: dict[str, str] = field(default_factory=dict)


class Reading(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang: str | None = None
        self.controls: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.text_parts: list[str] = []
        self._open_labels = 0
        self._in_form: Form | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "label":
            self._open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form":
            self._in_form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._in_form)
        elif tag in ("input", "select", "textarea"):
            control = {**a, "tag": tag, "wrapped": "yes" if self._open_labels else ""}
            self.controls.append(control)
            if self._in_form is not None and a.get("name") and a.get("type") != "submit":
                self._in_form.values.setdefault(a["name"], a.get("value", ""))
        elif tag == "button" and self._in_form is not None and a.get("name"):
            self._in_form.values.setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._open_labels -= 1
        elif tag == "form":
            self._in_form = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        """The page's text, without its markup."""
        return " ".join(" ".join(self.text_parts).split())

    def unlabelled(self) -> list[dict[str, str]]:
        """Form controls a person cannot know the purpose of: no label names them."""
        return [
            c
            for c in self.controls
            if c.get("type", "text") not in UNLABELLED_TYPES
            and not c["wrapped"]
            and c.get("id") not in self.label_for
        ]

    def form_to(self, action: str) -> Form:
        """The first form posting to `action`."""
        found = [f for f in self.forms if f.action == action]
        assert found, f"no form posts to {action}; forms: {[f.action for f in self.forms]}"
        return found[0]


class Browser:
    """A visitor: one cookie jar, signing in through the sign-in form."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.client = world.client

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def page(self, path: str, status: int = 200, **kwargs: Any) -> Reading:
        response = self.get(path, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.text[:2000])
        return Reading(response.text)

    def sign_in(self, caller: str) -> Any:
        """Sign in as one of the world's callers through the form; the page it lands on."""
        form = self.page("/sign-in").form_to("/sign-in")
        return self.submit(form, token=self.world.tokens[caller])

    def submit(self, form: Form, **fields: str) -> Any:
        """Post a form as the page has it, with `fields` filled in or changed."""
        return self.client.post(form.action, data={**form.values, **fields})


def browsing(tmp_path: Any, factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A browser over a fresh copy of the API tests' world, for a fixture to yield."""
    for world in world_from(shared_template(factory), tmp_path):
        yield Browser(world)


def test_the_reading_finds_an_unlabelled_control() -> None:
    page = Reading(
        '<html lang="en"><form action="/x" method="post"><label for="a">A</label>'
        '<input id="a" name="a"><input id="b" name="b"><input type="hidden" name="c">'
        "<label>C <textarea name=d></textarea></label></form></html>"
    )
    assert page.html_lang == "en"
    assert [c.get("id") for c in page.unlabelled()] == ["b"]
    assert page.form_to("/x").values == {"a": "", "b": "", "c": "", "d": ""}
