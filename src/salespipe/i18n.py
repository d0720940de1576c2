"""The language of messages: English by default, Thai from the compiled catalogue.

Standard gettext: messages are written in English and wrapped in ``_()``; the Thai
catalogue ``locale/th/LC_MESSAGES/salespipe.po`` is compiled to ``.mo`` when the package
is built or installed (see hatch_build.py). The CLI chooses the language once at start.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "salespipe"
LOCALE_DIR = Path(__file__).parent / "locale"

_active: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(lang: str | None) -> None:
    """Use ``th`` or ``en`` for every message from now on."""
    global _active, _language
    _language = "th" if lang == "th" else "en"
    if _language == "en":
        _active = gettext.NullTranslations()
        return
    _active = gettext.translation(DOMAIN, LOCALE_DIR, languages=[_language], fallback=True)


def language() -> str:
    return _language


def _(message: str) -> str:
    return _active.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _active.ngettext(singular, plural, count)
