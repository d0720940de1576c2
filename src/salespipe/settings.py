"""Settings kept in the data file (``config get/set/list``) and where paths come from."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salespipe import parse
from salespipe.errors import InvalidValue

LANGS = ("th", "en")


def login_name() -> str:
    for variable in ("SALESPIPE_USER", "LOGNAME", "USER", "USERNAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - platform dependent
        return "me"


def _choice(*allowed: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise InvalidValue(f'"{text}" is not one of {", ".join(allowed)}.')
        return value

    return check


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "yes", "on", "1"}:
        return True
    if value in {"false", "no", "off", "0"}:
        return False
    raise InvalidValue(f'"{text}" is not true or false.')


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise InvalidValue(f'"{text}" is not a number of seconds from 0 to 3600.')
    return int(value) if value == int(value) else value


def _owner(text: str) -> str:
    return parse.text(text, what="owner", required=True, max_length=100)


@dataclass(frozen=True)
class Setting:
    key: str
    parse: Callable[[str], Any]
    help: str


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("currency", parse.currency, "currency of new deals (ISO 4217, default THB)"),
        Setting("owner", _owner, "owner of new deals and author of changes (default: login name)"),
        Setting("lang", _choice(*LANGS), "language of output: th or en"),
        Setting("require_reason", _boolean, "moves, wins and reopenings need --reason"),
        Setting("lock_timeout", _seconds, "seconds to wait for a busy data file (default 10)"),
        Setting("date_era", _choice("ce", "be"), "show years as CE or Buddhist Era (display only)"),
    )
}

DEFAULTS: dict[str, Any] = {
    "currency": "THB",
    "lang": None,
    "require_reason": False,
    "lock_timeout": 10,
    "date_era": "ce",
}


def parse_setting(key: str, text: str) -> Any:
    setting = SETTINGS.get(key)
    if setting is None:
        raise InvalidValue(f'There is no setting "{key}"; the settings are {", ".join(SETTINGS)}.')
    try:
        return setting.parse(text)
    except InvalidValue as exc:
        raise InvalidValue(f"The setting {key}: {exc.message}") from None


def effective(config: dict[str, Any]) -> dict[str, Any]:
    merged = {**DEFAULTS, **config}
    if not merged.get("owner"):
        merged["owner"] = login_name()
    return merged


def lang_from_environment(flag: str | None) -> str | None:
    """The language asked for by --lang, SALESPIPE_LANG or the locale, if any."""
    for candidate in (flag, os.environ.get("SALESPIPE_LANG")):
        if candidate:
            value = candidate.strip().lower()[:2]
            if value not in LANGS:
                raise InvalidValue(f'The language "{candidate}" is not th or en.')
            return value
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        locale = os.environ.get(variable)
        if locale:
            return "th" if locale.lower().startswith("th") else None
    return None


def database_path(flag: str | None) -> Path:
    """--db, else SALESPIPE_DB, else the user data folder."""
    chosen = flag or os.environ.get("SALESPIPE_DB")
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("salespipe", appauthor=False)) / "pipeline.json"


def config_dir() -> Path:
    chosen = os.environ.get("SALESPIPE_CONFIG_DIR")
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("salespipe", appauthor=False))


def hooks_dir() -> Path:
    """SALESPIPE_HOOKS, else the ``hooks`` folder in the config dir."""
    chosen = os.environ.get("SALESPIPE_HOOKS")
    return Path(chosen).expanduser() if chosen else config_dir() / "hooks"
