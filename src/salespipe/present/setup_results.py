"""The results of the setup commands (stage …, config …, init, demo): each one's JSON form
(``to_dict()``) and, below, its view for people, registered in
:mod:`salespipe.present.results`."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salespipe.core.i18n import _, ngettext
from salespipe.core.model import Stage
from salespipe.present import views
from salespipe.present.render import Block

if TYPE_CHECKING:
    from salespipe.app.demo import DemoResult
    from salespipe.present.parts import Part
    from salespipe.reports.summary import PipelineChart, Summary
    from salespipe.storage.port import Checkup


def _stage_json(stage: Stage, open_count: int) -> dict[str, object]:
    return {**stage.to_record(), "open_deals": open_count}


@dataclass(frozen=True)
class StageList:
    """``stage list``: the stages in order with their open deals."""

    stages: Sequence[Stage]
    open_counts: dict[str, int]  # a Counter: 0 for a stage without open deals

    def to_dict(self) -> list[dict[str, object]]:
        return [_stage_json(s, self.open_counts[s.key]) for s in self.stages]


@dataclass(frozen=True)
class StageChanged:
    """A change to the stages: the one stage it was about (``key``), or all of them
    (``key`` None), and the sentence that says what happened."""

    stages: Sequence[Stage]
    open_counts: dict[str, int]  # a Counter: 0 for a stage without open deals
    key: str | None
    sentence: str

    def to_dict(self) -> Any:
        chosen = [s for s in self.stages if self.key is None or s.key == self.key]
        json = [_stage_json(s, self.open_counts[s.key]) for s in chosen]
        return json[0] if self.key and json else json


@dataclass(frozen=True)
class StageRemoved:
    stage: Stage

    def to_dict(self) -> dict[str, object]:
        return {"removed": self.stage.to_record()}


def _setting_text(value: object) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class Setting:
    """``config get``: one setting's value (the text is the bare value, for scripts)."""

    key: str
    value: object

    def to_dict(self) -> dict[str, object]:
        return {self.key: self.value}


@dataclass(frozen=True)
class SettingChanged:
    """``config set``: the setting as it is stored now."""

    key: str
    value: object
    unchanged: bool = False  # it had that value already: no change was recorded

    def to_dict(self) -> dict[str, object]:
        return {self.key: self.value}


@dataclass(frozen=True)
class Settings:
    """``config list``: every setting with its current value."""

    values: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.values


@dataclass(frozen=True)
class Initialized:
    """``init``: where the data file is and the stages it starts with."""

    path: str
    stages: Sequence[Stage]

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "stages": [s.to_record() for s in self.stages]}


@dataclass(frozen=True)
class DoctorReport:
    """``doctor``: the derived structures checked and every difference found."""

    location: str
    checkup: Checkup

    @property
    def clean(self) -> bool:
        checkup = self.checkup
        return (not checkup.findings or checkup.repaired) and not checkup.cannot_fix

    def to_dict(self) -> dict[str, object]:
        checkup = self.checkup
        found = {
            "database": self.location,
            "checks": checkup.checks,
            "differences": [finding._asdict() for finding in checkup.findings],
            "fixed": checkup.repaired,
            "not_checked": list(checkup.not_checked),
        }
        if checkup.cannot_fix:  # (only then: a clean report reads as it always did)
            found["cannot_fix"] = [finding._asdict() for finding in checkup.cannot_fix]
        return found


# A long list of differences shows this many, then how many more there are.
DIFFERENCES_SHOWN = 50


def doctor_view(result: DoctorReport) -> str:
    checkup = result.checkup
    if not checkup.checks:
        return _("{path}: nothing is kept derived from the history here; nothing to check.").format(
            path=result.location
        )
    lines = _findings_lines(result)
    if checkup.not_checked:
        lines.append(
            _(
                "Not checked: {names} (the whole team's, which only a role that sees "
                "every deal may read)."
            ).format(names=", ".join(checkup.not_checked))
        )
    return "\n".join(lines)


def _findings_lines(result: DoctorReport) -> list[str]:
    checkup = result.checkup
    if checkup.cannot_fix:
        return [*_rebuilt_lines(result), *_cannot_fix_lines(checkup)]
    return _rebuilt_lines(result)


def _cannot_fix_lines(checkup: Checkup) -> list[str]:
    kept = checkup.cannot_fix
    lines = [f"{f.check}: {f.text}" for f in kept[:DIFFERENCES_SHOWN]]
    if len(kept) > DIFFERENCES_SHOWN:
        lines.append(_("… and {count} more").format(count=len(kept) - DIFFERENCES_SHOWN))
    lines.append(
        ngettext(
            "{count} difference that no rebuild mends: the data was changed outside "
            "salespipe; restore the database from a backup.",
            "{count} differences that no rebuild mends: the data was changed outside "
            "salespipe; restore the database from a backup.",
            len(kept),
        ).format(count=len(kept))
    )
    return lines


def _rebuilt_lines(result: DoctorReport) -> list[str]:
    checkup = result.checkup
    findings = checkup.findings
    if not findings:
        if checkup.cannot_fix:
            return []
        return [_all_agree(checkup).format(path=result.location, count=len(checkup.checks))]
    lines = [f"{f.check}: {f.text}" for f in findings[:DIFFERENCES_SHOWN]]
    if len(findings) > DIFFERENCES_SHOWN:
        lines.append(_("… and {count} more").format(count=len(findings) - DIFFERENCES_SHOWN))
    if checkup.repaired:
        lines.append(_fixed(checkup).format(count=len(findings), path=result.location))
    else:
        lines.append(_to_fix(checkup).format(count=len(findings)))
    return lines


def _all_agree(checkup: Checkup) -> str:
    if checkup.from_deals:
        return ngettext(
            "{path}: {count} derived structure checked, all agree with the deals.",
            "{path}: {count} derived structures checked, all agree with the deals.",
            len(checkup.checks),
        )
    return ngettext(
        "{path}: {count} derived structure checked, all agree with the journals.",
        "{path}: {count} derived structures checked, all agree with the journals.",
        len(checkup.checks),
    )


def _fixed(checkup: Checkup) -> str:
    if checkup.from_deals:
        return ngettext(
            "Fixed {count} difference: rebuilt from the deals.",
            "Fixed {count} differences: rebuilt from the deals.",
            len(checkup.findings),
        )
    return ngettext(
        "Fixed {count} difference: rebuilt from the journals (the old main file "
        "is kept as {path}.doctor.bak).",
        "Fixed {count} differences: rebuilt from the journals (the old main file "
        "is kept as {path}.doctor.bak).",
        len(checkup.findings),
    )


def _to_fix(checkup: Checkup) -> str:
    if checkup.from_deals:
        return ngettext(
            "{count} difference; salespipe doctor --fix rebuilds it from the deals.",
            "{count} differences; salespipe doctor --fix rebuilds them from the deals.",
            len(checkup.findings),
        )
    return ngettext(
        "{count} difference; salespipe doctor --fix rebuilds it from the journals.",
        "{count} differences; salespipe doctor --fix rebuilds them from the journals.",
        len(checkup.findings),
    )


def stage_list_view(result: StageList) -> list[Block]:
    return [views.stage_table(result.stages, result.open_counts)]


def stage_changed_view(result: StageChanged) -> str:
    return result.sentence


def stage_removed_view(result: StageRemoved) -> str:
    return _('Removed stage "{name}".').format(name=result.stage.name)


def _from_anywhere(path: str) -> str:
    """A data file's path that works from any folder (``demo --db demo.json`` gave a
    relative one to export); a server's address as it is."""
    from pathlib import Path

    return path if "://" in path else str(Path(path).absolute())


def setting_view(result: Setting) -> str:
    return _setting_text(result.value)


def setting_changed_view(result: SettingChanged) -> str:
    value = result.value
    said = f"{result.key} = {str(value).lower() if isinstance(value, bool) else value}"
    if result.unchanged:
        return _("{setting} (it was so already; nothing changed)").format(setting=said)
    return said


def settings_view(result: Settings) -> list[Block]:
    return [views.settings_fields(result.values)]


def initialized_view(result: Initialized) -> str:
    names = " → ".join(s.name for s in result.stages)
    return _("Created {path} with stages {stages}.").format(path=result.path, stages=names)


@dataclass(frozen=True)
class DemoWritten:
    """``demo``: what was written where, and the demo's chart and report for its text."""

    written: DemoResult
    chart: PipelineChart
    summary: Summary

    def to_dict(self) -> dict[str, object]:
        written = self.written
        return {
            "path": str(written.path),
            "deals": written.deals,
            "open": written.open,
            "events": written.events,
        }


def demo_view(result: DemoWritten) -> list[Part]:
    """The demo's chart and one-screen report, then where it is and how to explore it."""
    from salespipe.present import report_views

    written = result.written
    wrote = ngettext(
        "Wrote {deals} demo deal ({open} open, {events} events) to {path}.",
        "Wrote {deals} demo deals ({open} open, {events} events) to {path}.",
        written.deals,
    )
    return [
        *report_views.chart_view(result.chart),
        "",
        *report_views.summary_blocks(result.summary),
        "",
        wrote.format(
            deals=written.deals, open=written.open, events=written.events, path=written.path
        ),
        _("Explore it: {export}, then {command}").format(
            export=f"export SALESPIPE_DB={shlex.quote(_from_anywhere(str(written.path)))}",
            command="salespipe list",
        ),
    ]
