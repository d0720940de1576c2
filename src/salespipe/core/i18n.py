"""The language of messages: English by default, Thai from the compiled catalogue.

Standard gettext: messages are written in English and wrapped in ``_()`` (or
``ngettext`` for counted nouns), with named placeholders filled in *after* the
lookup: ``_("There is no deal {deal_id}.").format(deal_id=7)``. Strings that must be
defined before the language is known (module constants) are marked with ``N_()`` and
looked up with ``_()`` where they are shown.

The Thai catalogue ``locale/th/LC_MESSAGES/salespipe.po`` is compiled to ``.mo`` when
the package is built or installed (see hatch_build.py). The CLI chooses the language
once per run; English costs nothing (no catalogue is opened), Thai reads one small
``.mo`` file (about 1.5 ms) the first time a message is looked up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

DOMAIN = "salespipe"
LOCALE_DIR = Path(__file__).parent.parent / "locale"


class _Catalogue(Protocol):
    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


_language = "en"
_catalogue: _Catalogue | None = None  # loaded on first use for a language other than English


def set_language(lang: str | None) -> None:
    """Use ``th`` or ``en`` (anything else: English) for every message from now on."""
    global _language, _catalogue
    chosen = "th" if lang == "th" else "en"
    if chosen != _language:
        _language, _catalogue = chosen, None


def language() -> str:
    return _language


def _loaded() -> _Catalogue | None:
    global _catalogue
    if _language == "en":
        return None
    if _catalogue is None:
        _catalogue = _read_catalogue(_language)
    return _catalogue


def _read_catalogue(lang: str) -> _Catalogue:
    """The compiled catalogue of ``lang``, opened directly (gettext.translation's search
    through language variants costs more than reading the file); English if it is missing."""
    import gettext

    try:
        with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo:
            return gettext.GNUTranslations(mo)
    except OSError:  # not compiled (a source checkout that was never built): English
        return gettext.NullTranslations()


def _(message: str) -> str:
    """The message in the current language (the English text when there is no entry)."""
    catalogue = _loaded()
    return message if catalogue is None else catalogue.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count``, in the current language."""
    catalogue = _loaded()
    if catalogue is None:
        return singular if count == 1 else plural
    return catalogue.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it yet."""
    return message
