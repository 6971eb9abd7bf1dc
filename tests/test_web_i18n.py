"""The portal in Chinese and English: the visitor's language from `?lang=`, a cookie or
`Accept-Language`; a Chinese catalogue that translates every text the templates and code
mark, keeps each placeholder, holds no stale entry, and is what the pages are served in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from socialcredit.domain.taxonomy import DOMAINS, PURPOSES
from socialcredit.web import words
from socialcredit.web.i18n import catalogue_path, language_of, translations
from tests.test_web_support import Browser, Reading, browsing

WEB = Path(files("socialcredit.web").joinpath(""))  # type: ignore[arg-type]
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture
def browser(tmp_path: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    yield from browsing(tmp_path, tmp_path_factory)


def _marked() -> set[str | tuple[str, ...]]:
    """Every text the portal marks for translation, as its msgid."""
    return {
        m if isinstance(m, str) else tuple(m)
        for _, _, m, _, _ in extract_from_dir(WEB, METHODS, keywords=KEYWORDS)
    }


def _catalogue() -> dict[str | tuple[str, ...], Any]:
    with WEB.joinpath(catalogue_path("zh")).open("rb") as po:
        return {m.id: m for m in read_po(po, locale="zh") if m.id}


def test_the_chinese_catalogue_translates_every_marked_text() -> None:
    catalogue, marked = _catalogue(), _marked()
    assert len(marked) > 300
    missing = sorted(str(m) for m in marked if m not in catalogue)
    assert not missing, missing
    untranslated = [str(k) for k, m in catalogue.items() if not all(_strings(m)) or m.fuzzy]
    assert not untranslated, untranslated


def test_the_chinese_catalogue_holds_no_text_the_portal_no_longer_marks() -> None:
    stale = sorted(str(k) for k in set(_catalogue()) - _marked())
    assert not stale, stale


def _strings(message: Any) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def test_every_translation_keeps_the_placeholders_of_its_text() -> None:
    for key, message in _catalogue().items():
        source = key if isinstance(key, str) else key[0]
        wanted = sorted(PLACEHOLDER.findall(source))
        for text in _strings(message):
            assert sorted(PLACEHOLDER.findall(text)) == wanted, (key, text)


def test_the_pages_are_served_in_what_the_catalogue_says() -> None:
    compiled = translations("zh")
    for key, message in _catalogue().items():
        if isinstance(key, str):
            assert compiled.gettext(key) == message.string, key
        else:
            assert compiled.ngettext(key[0], key[1], 2) == message.string[0], key


def test_every_domain_and_purpose_has_a_name_to_translate() -> None:
    assert set(words.DOMAINS) == set(DOMAINS)
    assert set(words.PURPOSES) == set(PURPOSES)


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("zh", None, None, "zh"),
        ("en", "zh", "zh-CN", "en"),
        (None, "zh", "en", "zh"),
        ("fr", None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, None, "en-GB,en;q=0.9,zh;q=0.8", "en"),
        (None, None, "fr-FR, zh-TW;q=0.5", "zh"),
        (None, None, "zh;q=0, en;q=0.1", "en"),
        (None, None, "fr", "en"),
        (None, None, None, "en"),
    ],
)
def test_the_language_comes_from_the_query_the_cookie_or_the_browser(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert language_of(query, cookie, accept) == expected


def test_asking_for_chinese_renders_chinese_and_remembers_it(browser: Browser) -> None:
    page = browser.page("/?lang=zh")
    assert page.html_lang == "zh-Hans"
    assert "公开、可审计的信用账本" in page.text
    assert "跳到主要内容" in page.text
    again = browser.page("/methodology/cn-national")
    assert again.html_lang == "zh-Hans"
    assert "申诉期 10 天" in again.text
    assert "乘坐飞机" in again.text
    back = browser.page("/?lang=en")
    assert back.html_lang == "en"
    assert "An open, auditable credit ledger" in back.text


def test_a_chinese_browser_gets_chinese_without_asking(browser: Browser) -> None:
    page = browser.page("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.html_lang == "zh-Hans"
    assert "规则手册" in page.text


def test_a_subjects_record_and_an_error_are_in_chinese_too(browser: Browser) -> None:
    browser.get("/?lang=zh")
    page = Reading(browser.sign_in("subject").text)
    assert "我的记录" in page.text
    assert "对此条目提出异议" in page.text
    assert not page.unlabelled()
    refused = browser.get("/operator")
    assert refused.status_code == 403
    shown = Reading(refused.text)
    assert shown.html_lang == "zh-Hans"
    assert "你的角色无权使用此页面。" in shown.text
    assert "forbidden_role" in shown.text
