"""The portal's languages: English (the text in the templates and code) and Chinese.

Translations live in a gettext catalogue, `locale/zh/LC_MESSAGES/messages.po`, read and
compiled in memory the first time a page needs it: there is no build step and no compiled
file to fall out of step with its source. Text to translate is written `_("...")` in the
templates, `gettext`/`ngettext` in code, or marked with `N_("...")` where it is defined
and translated where it is shown.

Which language a visitor gets: `?lang=zh|en` if given (remembered in a cookie), else the
cookie, else the best match of the `Accept-Language` header, else English.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LANG_COOKIE",
    "N_",
    "catalogue_path",
    "html_lang",
    "language_of",
    "translations",
]

DEFAULT = "en"
# The code of each language, as `?lang=` takes it, and its name in itself.
LANGUAGES: Mapping[str, str] = {"en": "English", "zh": "中文"}
# The value of `<html lang>` for each: Chinese here is written in simplified characters.
_HTML_LANG = {"en": "en", "zh": "zh-Hans"}
LANG_COOKIE = "sc_lang"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for a deferred mark
    """Mark `message` for the catalogue; it is translated where it is shown."""
    return message


def catalogue_path(lang: str) -> str:
    """Where the catalogue of `lang` is, inside the package."""
    return f"locale/{lang}/LC_MESSAGES/messages.po"


@cache
def translations(lang: str) -> NullTranslations:
    """The translations into `lang`, compiled from its catalogue; none for English."""
    if lang == DEFAULT:
        return NullTranslations()
    source = files("socialcredit.web").joinpath(catalogue_path(lang))
    with source.open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def _accepted(header: str) -> list[str]:
    """The primary language subtags of an `Accept-Language` header, most wanted first."""
    weighted = []
    for order, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, order, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(weighted)]


def language_of(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language to answer in, from `?lang=`, the cookie and `Accept-Language`."""
    for chosen in (query, cookie):
        if chosen is not None and chosen in LANGUAGES:
            return chosen
    for tag in _accepted(accept or ""):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def html_lang(lang: str) -> str:
    """The `<html lang>` value of a language code."""
    return _HTML_LANG[lang]
