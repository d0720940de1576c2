"""Running the user's hooks after a change (docs/hooks-and-cron.md).

After a change is committed, for each of its events every executable named
``on-<event type>`` (``on-add``, ``on-move``, ``on-won``, ``on-stage-add``…) and then
``on-change`` in the hooks folder runs with the event as JSON on stdin. Hooks get
these environment variables too, so a shell script needs no JSON parser:
``SALESPIPE_EVENT`` (the type), ``SALESPIPE_DEAL_ID``, ``SALESPIPE_MESSAGE`` (one
line for a person), ``SALESPIPE_DB`` (when known) and ``SALESPIPE_IN_HOOK=1``.

A hook that fails, cannot start or runs longer than the timeout (10 s, or
``SALESPIPE_HOOK_TIMEOUT`` seconds) gives a warning; the change stands either way.
Changes made by a hook (a hook calling ``salespipe``) run no hooks, so hooks cannot
loop. An import runs no hooks: a bulk load would flood the team's channel; nor do the
moves of a stage change, which its own event carries.

``salespipe watch --exec PROGRAM`` runs one program the same way for every change
anyone commits to a team's database (:func:`run_program`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from salespipe.app.undo_check import Describe
from salespipe.app.work import Change
from salespipe.core import clock, fmt
from salespipe.core.errors import os_problem
from salespipe.core.i18n import _, ngettext
from salespipe.core.limits import MAX_SECONDS
from salespipe.core.model import Deal, Event, Stage, deal_to_dict, several_pipelines
from salespipe.storage.interrupts import HeldInterrupts

HOOK_TIMEOUT = 10.0
SILENT_COMMANDS = frozenset({"import"})
_TAIL = 300


def run_hooks(
    change: Change,
    folder: Path,
    *,
    describe: Describe,
    stages: Sequence[Stage] | None = None,
    database: str | Path | None = None,
) -> list[str]:
    """Run on-change and on-<event> hooks for each event; return warnings, never raise."""
    if os.environ.get("SALESPIPE_IN_HOOK"):
        return []
    events = hooked_events(change)
    if not events:
        return []
    try:
        names = {entry.name for entry in os.scandir(folder)}
    except OSError:
        return []
    by_key = {s.key: s for s in (change.stages if stages is None else stages)}
    warnings: list[str] = timeout_warnings()
    for event in events:
        hooks = [n for n in (f"on-{event.type}", "on-change") if n in names]
        if not hooks:
            continue
        payload = event_payload(event, change, by_key, database, describe)
        for name in hooks:
            problem = _run_one(folder / name, payload, timeout())
            if problem:
                warnings.append(_warning(name, event, problem))
    return warnings


def run_program(
    program: Path,
    change: Change,
    *,
    describe: Describe,
    database: str | Path | None = None,
) -> list[str]:
    """Run ``program`` as an on-change hook for each event of a change someone committed
    (``watch --exec``); return warnings, never raise. An import runs it for no event,
    as it runs no local hook."""
    by_key = {s.key: s for s in change.stages}
    warnings: list[str] = timeout_warnings() if hooked_events(change) else []
    for event in hooked_events(change):
        payload = event_payload(event, change, by_key, database, describe)
        problem = _run_one(program, payload, timeout())
        if problem:
            warnings.append(_warning(program.name, event, problem))
    return warnings


def hooked_events(change: Change) -> list[Event]:
    """The events of ``change`` hooks run for: not an import's, and not the moves a
    stage or pipeline change makes (``stage disable --move-to``), which come with the
    stage's own event (under ``deals``): one hook per deal would flood the channel."""
    return [
        event
        for event in change.events
        if event.command not in SILENT_COMMANDS
        and not (event.deal_id is not None and event.command.startswith(_BULK_COMMANDS))
    ]


_BULK_COMMANDS = ("stage ", "pipeline ")


def _warning(name: str, event: Event, problem: str) -> str:
    return _("hook {name} ({subject}) {problem}; the change stands.").format(
        name=name, subject=_subject(event), problem=problem
    )


def timeout_warnings() -> list[str]:
    """A warning when SALESPIPE_HOOK_TIMEOUT is set to what is not a timeout (which
    falls back to the default): a typo must not pass for the setting."""
    raw = os.environ.get("SALESPIPE_HOOK_TIMEOUT", "")
    if not raw or _seconds(raw) is not None:
        return []
    return [
        _(
            'SALESPIPE_HOOK_TIMEOUT "{value}" is not a number of seconds from 0 to 3600 '
            "(0 not included); the hooks got {seconds:g} s."
        ).format(value=raw, seconds=HOOK_TIMEOUT)
    ]


def timeout() -> float:
    """The seconds a hook may run: SALESPIPE_HOOK_TIMEOUT, else (or if it is not one)
    the default."""
    seconds = _seconds(os.environ.get("SALESPIPE_HOOK_TIMEOUT", ""))
    return HOOK_TIMEOUT if seconds is None else seconds


def _seconds(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 < value <= MAX_SECONDS else None


def _subject(event: Event) -> str:
    if event.deal_id is None:
        return event.type
    return _("{event} of deal {deal_id}").format(event=event.type, deal_id=event.deal_id)


def _public(deal: Deal | None, stages: dict[str, Stage]) -> dict[str, Any] | None:
    if deal is None:
        return None
    several = several_pipelines(stages.values())
    return deal_to_dict(deal, stages.get(deal.stage), clock.now(), pipeline=several)


def event_payload(
    event: Event,
    change: Change,
    stages: dict[str, Stage],
    database: str | Path | None,
    describe: Describe,
) -> dict[str, Any]:
    """What a hook reads on stdin: the event, and the deal before and after it."""
    before = after = None
    if event.deal_id is not None:
        before = change.deals_before.get(event.deal_id)
        after = next((d for d in reversed(change.deals) if d.id == event.deal_id), None)
        if event.after is None:  # deleted
            after = None
    payload: dict[str, Any] = {
        "event": event.type,
        "deal_id": event.deal_id,
        "reason": event.reason,
        "text": event.text,
        "at": event.at.isoformat(timespec="seconds"),
        "recorded_at": event.recorded_at.isoformat(timespec="seconds"),
        "who": event.who,
        "command": event.command,
        "change": event.change,
        "seq": event.seq,
        "before": _public(before, stages),
        "after": _public(after, stages),
        "changed": {"before": event.before, "after": event.after},
    }
    with fmt.common_era():  # JSON, and the same line in SALESPIPE_MESSAGE: CE years
        payload["message"] = message(event, before, after, _what(event, change, stages, describe))
    if database is not None:
        payload["database"] = str(database)
    if event.deal_id is None and change.deals:
        payload["deals"] = [_public(d, stages) for d in change.deals]
    if event.deal_id is None and change.removed:
        payload["removed"] = change.removed
    return payload


def _what(event: Event, change: Change, stages: dict[str, Stage], describe: Describe) -> str:
    """What the event did, a changed value in the deal's currency as ``log`` says it; a
    stage change says how many deals it moved."""
    deal = next((d for d in change.deals if d.id == event.deal_id), None)
    if deal is None and event.deal_id is not None:
        deal = change.deals_before.get(event.deal_id)
    what = describe(event, stages, currency=deal.currency if deal is not None else None)
    moved = {e.deal_id for e in change.events if e.deal_id is not None and e.type == "move"}
    if event.deal_id is None and event.type.startswith(("stage-", "pipeline-")) and moved:
        counted = ngettext("{count} deal moved", "{count} deals moved", len(moved))
        what += f" ({counted.format(count=len(moved))})"
    return what


def message(event: Event, before: Deal | None, after: Deal | None, what: str) -> str:
    """One line a person reads in a chat or a mail subject; ``what`` says what the event
    did."""
    deal = after or before
    if deal is not None:
        from salespipe.core import fmt

        subject = _('deal {deal_id} "{title}"').format(deal_id=deal.id, title=deal.title)
        if deal.customer:
            subject += f" ({deal.customer})"
        text = f"{event.who}: {subject}: {what}"
        if event.type in ("won", "lost") and deal.value:
            text += f", {fmt.money(deal.value, deal.currency)}"
    else:
        text = f"{event.who}: {what}"
    if event.reason:
        text += f" — {event.reason}"
    return " ".join(text.split())


def _environment(payload: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SALESPIPE_IN_HOOK="1",
        SALESPIPE_EVENT=payload["event"],
        SALESPIPE_DEAL_ID="" if payload["deal_id"] is None else str(payload["deal_id"]),
        SALESPIPE_MESSAGE=payload["message"],
    )
    if "database" in payload:
        env["SALESPIPE_DB"] = payload["database"]
    return env


def _run_one(path: Path, payload: dict[str, Any], seconds: float) -> str | None:
    """Run one hook; a sentence of what went wrong, or None when it succeeded."""
    if not path.is_file():
        return _("is not a file")
    if not os.access(path, os.X_OK):
        return _("is not executable (chmod +x {path})").format(path=path)
    data = orjson.dumps(payload) + b"\n"
    with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
        process: subprocess.Popen[bytes] | None = None
        try:
            # Ctrl-C while the hook starts is held until it has: raised inside Popen, it
            # would leave the hook running with nothing to stop it.
            with HeldInterrupts(raising=KeyboardInterrupt) as held:
                held.hold()
                process = subprocess.Popen(
                    [str(path)],
                    stdin=subprocess.PIPE,
                    stdout=output,
                    stderr=errors,
                    env=_environment(payload),
                    start_new_session=True,
                )
        except OSError as exc:
            return _("could not start: {problem}").format(problem=os_problem(exc))
        except BaseException:
            if process is not None:
                _stop(process)
            raise
        try:
            process.communicate(data, timeout=seconds)
        except subprocess.TimeoutExpired:
            _stop(process)
            return _("took longer than {seconds} s and was stopped").format(seconds=f"{seconds:g}")
        except BaseException:  # Ctrl-C: the hook, in a session of its own, did not hear it
            _stop(process)
            raise
        if process.returncode != 0:
            # Why it failed is on stderr (curl's error), whatever it printed after.
            tail = _last_words(errors) or _last_words(output)
            failed = _failure(process.returncode)
            # (its sentence's full stop goes: "…the service.; the change stands" read badly)
            return f"{failed}: {tail.splitlines()[-1].rstrip('.')}" if tail else failed
    return None


def _failure(returncode: int) -> str:
    """How a hook ended that did not succeed: its exit code, or the signal that killed it
    (Python gives that as a negative return code, which read as a puzzle)."""
    if returncode >= 0:
        return _("failed (exit {code})").format(code=returncode)
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        return _("was killed by signal {number}").format(number=number)
    return _("was killed by signal {number} ({name})").format(number=number, name=name)


def _last_words(output: IO[bytes]) -> str:
    """The end of what a hook printed: its last _TAIL bytes, read without the rest
    (a chatty hook may have printed gigabytes)."""
    size = output.seek(0, os.SEEK_END)
    output.seek(max(0, size - _TAIL))
    return output.read(_TAIL).decode("utf-8", "replace").strip()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill a hook and everything it started (it runs in its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
