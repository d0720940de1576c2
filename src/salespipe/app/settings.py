"""Settings kept in the data file (``config get/set/list``) and where paths come from."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salespipe.core import parse
from salespipe.core.errors import InvalidValue, UsageError
from salespipe.core.i18n import N_, _
from salespipe.core.limits import MAX_OWNER, MAX_SECONDS
from salespipe.storage import as_typed, is_postgres_target, refuse_an_address_of_no_database

if TYPE_CHECKING:
    from salespipe.storage.port import LockTimeout, ReadView, Storage

LANGS = ("th", "en")


def named_user() -> str | None:
    """Who SALESPIPE_USER says you are, if it is set: it comes before the setting
    ``owner`` (see :func:`effective`)."""
    given = os.environ.get("SALESPIPE_USER")
    return _login_from("SALESPIPE_USER", given) if given else None


def login_name() -> str:
    """Who makes the changes when neither SALESPIPE_USER nor the setting ``owner`` says:
    the first of these variables that is set, else the account's name."""
    for variable in ("LOGNAME", "USER", "USERNAME"):
        if given := os.environ.get(variable):
            return _login_from(variable, given)
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # pragma: no cover - platform dependent
        return "me"


def _choice(*allowed: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            raise InvalidValue(
                _('"{text}" is not one of {choices}.').format(text=text, choices=", ".join(allowed))
            )
        return value

    return check


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "yes", "on", "1"}:
        return True
    if value in {"false", "no", "off", "0"}:
        return False
    raise InvalidValue(_('"{text}" is not true or false.').format(text=text))


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_SECONDS:
        raise InvalidValue(
            _('"{text}" is not a number of seconds from 0 to 3600.').format(text=text)
        )
    return int(value) if value == int(value) else value


def _owner(text: str) -> str:
    """A name as the data file keeps an owner (at most 100 characters, every one shown):
    a zero-width space was taken, and then the file refused to open as damaged."""
    name = parse.text(text, what=N_("owner"), required=True, max_length=MAX_OWNER)
    unseen = next((c for c in name if not c.isprintable() and c != " "), None)
    if unseen is not None:
        raise InvalidValue(
            _("The owner contains a character that is not shown (U+{code:04X}).").format(
                code=ord(unseen)
            )
        )
    return name


def _login_from(variable: str, given: str) -> str:
    """The login name a variable gives, if an owner can be that name (it is each
    change's author): a stray byte in SALESPIPE_USER stopped a write with a traceback."""
    try:
        return _owner(given)
    except InvalidValue as exc:
        raise InvalidValue(
            _("The environment variable {variable} does not hold a user name: {problem}").format(
                variable=variable, problem=exc.message
            )
        ) from None


@dataclass(frozen=True)
class Setting:
    key: str
    parse: Callable[[str], Any]
    help: str


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("currency", parse.currency, N_("currency of new deals (ISO 4217, default THB)")),
        Setting(
            "owner", _owner, N_("owner of new deals and author of changes (default: login name)")
        ),
        Setting("lang", _choice(*LANGS), N_("language of output: th or en")),
        Setting("require_reason", _boolean, N_("moves, wins and reopenings need --reason")),
        Setting("lock_timeout", _seconds, N_("seconds to wait for a busy data file (default 10)")),
        Setting(
            "date_era",
            _choice("ce", "be"),
            N_("show years as CE or Buddhist Era (display only; default: BE in Thai, else CE)"),
        ),
        Setting(
            "visibility",
            _choice("all", "own"),
            N_("on PostgreSQL, whether reps see every deal or only their own (default all)"),
        ),
        Setting(
            "pipeline",
            lambda text: parse.text(text, what=N_("pipeline"), required=True, max_length=60),
            N_("the pipeline commands act on unless --pipeline names one (also: salespipe use)"),
        ),
    )
}

# Settings ``config list`` shows only once set (a database with one pipeline lists
# what it always listed).
SHOWN_WHEN_SET = frozenset({"pipeline"})

DEFAULTS: dict[str, Any] = {
    "currency": "THB",
    "lang": None,
    "require_reason": False,
    "lock_timeout": 10,
    "date_era": None,  # by the language: see display_era
    "visibility": "all",  # enforced by the database's row-level security (docs/team.md)
}


def parse_setting(key: str, text: str) -> Any:
    setting = SETTINGS.get(key)
    if setting is None:
        raise unknown_setting(key)
    try:
        return setting.parse(text)
    except InvalidValue as exc:
        raise InvalidValue(
            _("Setting {key}: {problem}").format(key=key, problem=exc.message)
        ) from None


def unknown_setting(key: str) -> InvalidValue:
    return InvalidValue(
        _('There is no setting "{key}"; the settings are {keys}.').format(
            key=key, keys=", ".join(SETTINGS)
        )
    )


def effective(config: dict[str, Any]) -> dict[str, Any]:
    """The settings as they apply: the stored ones over the defaults, and as the owner
    (who owns new deals and makes the changes) SALESPIPE_USER where it is set. A data
    file is shared by everyone who writes to it, so the person at the keyboard comes
    before the file's setting: with ``owner`` set, a whole team's changes were one
    person's."""
    merged = {**DEFAULTS, **config}
    if (you := named_user()) is not None:
        merged["owner"] = you
    elif not merged.get("owner"):
        merged["owner"] = login_name()
    return merged


def effective_in(view: ReadView) -> dict[str, Any]:
    """The settings as they apply to this session: on a server the owner is the
    database role (who a new deal's owner and a change's author are there), not the
    setting, which names no one there."""
    merged = effective(view.config())
    user = view.user()
    if user:
        merged["owner"] = user
    return merged


def lock_timeout_of(store: Storage) -> LockTimeout:
    """How long to wait for another writer of ``store``: its setting, read only when
    another writer holds it."""
    return lambda: float(effective(store.read().config())["lock_timeout"])


def lang_asked(flag: str | None) -> str | None:
    """The language asked for explicitly: by --lang, else SALESPIPE_LANG."""
    for candidate, named in (
        (flag, "--lang"),
        (os.environ.get("SALESPIPE_LANG"), "SALESPIPE_LANG"),
    ):
        if candidate:
            value = candidate.strip().lower()[:2]
            if value not in LANGS:
                raise InvalidValue(
                    _('{option} "{lang}" is not th or en.').format(option=named, lang=candidate)
                )
            return value
    return None


def lang_of_locale() -> str | None:
    """``th`` for a Thai locale (the first of LC_ALL, LC_MESSAGES, LANG that is set)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        locale = os.environ.get(variable)
        if locale:
            return "th" if locale.lower().startswith("th") else None
    return None


def lang_from_environment(flag: str | None) -> str | None:
    """The language asked for by --lang, SALESPIPE_LANG or the locale, if any."""
    return lang_asked(flag) or lang_of_locale()


def display_language(flag: str | None, config: dict[str, Any] | None = None) -> str:
    """The language of messages: --lang, SALESPIPE_LANG, config ``lang``, the locale, English.

    ``config`` is the data file's settings once the command has read it (None before).
    """
    asked = lang_asked(flag)
    if asked:
        return asked
    configured = (config or {}).get("lang")
    if configured in LANGS:
        return str(configured)
    return lang_of_locale() or "en"


def display_era(config: dict[str, Any], language: str) -> str:
    """The era dates are shown in: config ``date_era``, else the Buddhist Era for Thai."""
    era = config.get("date_era")
    if era in ("ce", "be"):
        return str(era)
    return "be" if language == "th" else "ce"


def database_target(flag: str | None, *, option: str = "--db") -> str | Path:
    """--db, else SALESPIPE_DB, else the user data folder's file: a PostgreSQL URI as
    given (docs/team.md), or the path of a data file. ``option`` names the flag in a
    refusal (copy's SOURCE and TARGET are not --db)."""
    chosen = _db_named(flag)
    if chosen is not None and is_postgres_target(as_typed(chosen)):
        return as_typed(chosen)
    return database_path(flag, option=option)


def _db_named(flag: str | None) -> str | None:
    """--db as given, even empty (which is refused, not read as "not given"), else
    SALESPIPE_DB."""
    return flag if flag is not None else os.environ.get("SALESPIPE_DB")


def database_path(flag: str | None, *, option: str = "--db") -> Path:
    """--db, else SALESPIPE_DB, else the user data folder; an empty path is refused
    (silently using the default pipeline instead would write to the wrong one)."""
    chosen = _db_named(flag)
    if chosen is not None and not chosen.strip():
        where = option if flag is not None else "SALESPIPE_DB"
        raise UsageError(_("{option} is empty; give the path of a data file.").format(option=where))
    if chosen:
        refuse_an_address_of_no_database(chosen)
        return Path(chosen).expanduser()
    return data_dir() / "pipeline.json"


def data_dir() -> Path:
    """The user data folder: where the default data file is (platformdirs)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("salespipe", appauthor=False))


def replaced_dir() -> Path:
    """Where ``copy --replace`` keeps what it replaced: ``replaced/`` in the user data
    folder, whatever the database replaced (docs/storage.md)."""
    return data_dir() / "replaced"


def data_file_named(flag: str | None) -> bool:
    """Whether a database was named (--db or SALESPIPE_DB) rather than the default data
    file used: one named must be there for a command that only reads it. (A PostgreSQL
    database is always named: one without the pipeline's tables is most often the wrong
    one, and a cron `check` on it must not say all is well.)"""
    return bool(_db_named(flag))


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


def kept_by(tx: object, config: dict[str, Any]) -> dict[str, Any]:
    """The settings ``config`` a copy or a restore puts in place through ``tx``: into a
    data file, which has no users, without ``visibility`` (a file said ``own`` and could
    not be set back to ``all``)."""
    from salespipe.storage.port import TeamTransaction

    if isinstance(tx, TeamTransaction):
        return config
    return {key: value for key, value in config.items() if key != "visibility"}
