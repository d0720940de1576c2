"""Reading an import file into rows: CSV of any CRM, or salespipe's JSON.

A CSV is decoded, its format recognised from the header and each row read into an
:class:`~salespipe.transfer.rows.Incoming` (or its problems), kept as a small
:class:`~salespipe.transfer.pending.Pending`; JSON is a backup (read a record at a time)
or a list of deal objects (``list --json``), whose deals are read as rows of
salespipe's own CSV.
"""

from __future__ import annotations

import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from salespipe.core.errors import InvalidValue, os_problem
from salespipe.core.i18n import _
from salespipe.transfer.crm_formats import (
    CSV_COLUMNS,
    FIELDS,
    SALESPIPE,
    CrmFormat,
    Layout,
    recognise,
)
from salespipe.transfer.csvfile import THAI_WINDOWS, LeftOutKind, read_table
from salespipe.transfer.dates import DateOrder, DateOrderClues, DateReader
from salespipe.transfer.exporting import PIPELINE_COLUMN, TAG_SEPARATOR
from salespipe.transfer.formulas import from_spreadsheet
from salespipe.transfer.pending import Packer, Pending, StageLabel
from salespipe.transfer.restore import (
    Backup,
    backup_from_document,
    backup_from_file,
    is_backup,
)
from salespipe.transfer.rows import Problem, RowInvalid, RowReader, RowRules
from salespipe.transfer.same_rows import holds_ids
from salespipe.transfer.values import DecimalMark, DecimalMarkClues, ThaiText

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file: what ``import`` was told about it."""

    format: str | None = None
    dates: DateOrder | None = None
    encoding: str | None = None
    columns: tuple[str, ...] = ()
    value_maps: tuple[str, ...] = ()  # --map FIELD:LABEL=VALUE
    ignore: tuple[str, ...] = ()  # --ignore HEADER
    nulls: tuple[str, ...] = ()  # --null MARKER
    no_header: bool = False
    currency: str | None = None  # what "$" means
    date_format: str | None = None  # --dates FORMAT (strptime)
    decimal_mark: DecimalMark | None = None  # --decimal-mark; else as the file shows it


@dataclass
class ParsedFile:
    format: str
    rows: list[Pending]
    problems: list[Problem]
    total: int
    backup: Backup | None = None
    crm: CrmFormat | None = None
    # Stage labels of the rows that cannot be imported, counted for the stage refusal.
    invalid_labels: Counter[StageLabel] = field(default_factory=Counter)
    unread: list[str] = field(default_factory=list)  # columns no field reads
    left_out: list[tuple[int, LeftOutKind]] = field(default_factory=list)  # lines of no deal
    short_rows: list[int] = field(default_factory=list)  # lines with fewer cells than the header
    guessed_encoding: str | None = None  # not UTF-8, and none given: the one it was read in
    values_per_line: bool = False  # rows of one deal are line items whose values add up
    id_fields: frozenset[str] = frozenset()  # fields read from a column of record ids
    ids_not_read: dict[str, str] = field(default_factory=dict)  # field -> its column of ids

    @property
    def ours(self) -> bool:
        """Whether the rows are read as salespipe's own (a sheet named by --column is)."""
        if self.crm is not None:
            return self.crm.name == "salespipe"
        return self.written_by_salespipe

    @property
    def written_by_salespipe(self) -> bool:
        """Whether salespipe's export or backup wrote the file: its probabilities are
        each deal's own, and say nothing of its stage's."""
        return self.format.startswith("salespipe")


def _pairs(entries: Sequence[str], option: str) -> dict[str, str]:
    """``FIELD=HEADER`` entries; ``FIELD=`` (nothing) means "do not read FIELD"."""
    pairs: dict[str, str] = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name.strip():
            raise InvalidValue(
                _(
                    '{option} "{entry}" is not FIELD=HEADER, e.g. title="Deal name" '
                    "(or FIELD=N by position, FIELD= to ignore the field)."
                ).format(option=option, entry=entry)
            )
        pairs[name.strip()] = value.strip()
    return pairs


def value_maps(entries: Sequence[str]) -> dict[str, dict[str, str]]:
    """``--map FIELD:LABEL=VALUE`` entries: field -> case-folded label -> value."""
    maps: dict[str, dict[str, str]] = {}
    for entry in entries:
        name, colon, rest = entry.partition(":")
        label, sep, value = rest.rpartition("=")
        if not colon or not sep or not label.strip() or name.strip() not in FIELDS:
            raise InvalidValue(
                _(
                    '--map "{entry}" is not FIELD:LABEL=VALUE with FIELD one of {fields}, '
                    'e.g. --map "status:Ganha=won".'
                ).format(entry=entry, fields=", ".join(FIELDS))
            )
        maps.setdefault(name.strip(), {})[label.strip().casefold()] = value.strip()
    return maps


def _read_rows(
    rows: Iterable[tuple[int, Sequence[str]]],
    reader: RowReader,
    total: int,
    progress: Progress | None,
) -> tuple[list[Pending], list[Problem], int, Counter[StageLabel]]:
    good: list[Pending] = []
    problems: list[Problem] = []
    invalid_labels: Counter[StageLabel] = Counter()
    packer = Packer()
    done = 0
    for done, (line, cells) in enumerate(rows, start=1):
        try:
            good.append(packer.pack(reader.read(line, cells)))
        except RowInvalid as exc:
            problems.extend(exc.problems)
            invalid_labels[packer.label_of(exc.row)] += 1
        if progress is not None and done % 1000 == 0:
            progress(done, max(total, done))
    if progress is not None:
        progress(done, max(done, 1))
    return good, problems, done, invalid_labels


def _read_csv(
    path: Path, data: bytes, options: ReadOptions, progress: Progress | None
) -> ParsedFile:
    # The options are checked before the file is read: a mistake in one shows at once.
    columns = _pairs(options.columns, "--column")
    maps = value_maps(options.value_maps)
    thai = ThaiText()  # the date reader asks it too
    clues, marks = DateOrderClues(), DecimalMarkClues(thai)
    settled = options.dates or options.date_format
    guessed = options.encoding is None
    table = read_table(
        path,
        data,
        options.encoding,
        look=_looker(
            None if settled else clues,
            None if options.decimal_mark else marks,
            thai if options.decimal_mark else None,  # else the marks show it the text
        ),
        header=not options.no_header,
        names_columns=lambda cells: _names_columns(cells, columns),
    )
    rules = RowRules(
        value_maps=maps,
        nulls=frozenset(n.strip() for n in options.nulls),
        currency=options.currency,
        decimal_mark=options.decimal_mark or marks.mark,
        comma_assumed=not options.decimal_mark and marks.comma_assumed,
        dot_assumed=not options.decimal_mark and marks.dot_assumed,
    )
    layout = recognise(
        table.header,
        extra=columns,
        ignore=options.ignore,
        by_position=options.no_header,
    )
    dates = DateReader(options.dates or clues.order, options.date_format, thai=thai.found)
    reader = RowReader(layout, dates, rules=rules)
    rows: Iterable[tuple[int, Sequence[str]]] = (
        (row.line, row.cells) for row in table.data_rows(layout.columns.get("title"))
    )
    if layout.format is SALESPIPE:  # our own export: formula marks come off (formulas.py)
        rows = ((line, [from_spreadsheet(c) for c in cells]) for line, cells in rows)
    short: list[int] = []
    rows = _noting_short_rows(rows, len(table.header), short)
    good, problems, count, invalid = _read_rows(rows, reader, table.estimated_rows, progress)
    return ParsedFile(
        layout.label,
        good,
        problems,
        count,
        crm=layout.format,
        invalid_labels=invalid,
        unread=layout.unread(),
        left_out=table.left_out,
        short_rows=short,
        guessed_encoding=THAI_WINDOWS if guessed and table.encoding == THAI_WINDOWS else None,
        values_per_line=layout.values_per_line,
        id_fields=frozenset(f for f in layout.columns if holds_ids(layout.column_name(f))),
        ids_not_read=layout.ids_not_read,
    )


def _names_columns(cells: list[str], columns: Mapping[str, str]) -> bool:
    """Whether a line of one cell is a header: a column's name salespipe knows, or one
    named with --column."""
    try:
        recognise(cells, extra={k: v for k, v in columns.items() if v in cells})
    except InvalidValue:
        return False
    return True


def _noting_short_rows(
    rows: Iterable[tuple[int, Sequence[str]]], width: int, short: list[int]
) -> Iterator[tuple[int, Sequence[str]]]:
    """The rows, the lines of those with fewer cells than the header noted in ``short``:
    their last columns read as empty, which is right for a sheet that leaves trailing
    cells out, and wrong for a row an unquoted line break cut in two (its second part
    came in as a deal of its own, without a word)."""
    for line, cells in rows:
        if len(cells) < width:
            short.append(line)
        yield line, cells


def _looker(
    dates: DateOrderClues | None, marks: DecimalMarkClues | None, thai: ThaiText | None
) -> Callable[[str], None] | None:
    """What is shown the file's text before its rows are read: the clues still wanted."""
    wanted = [clue.look for clue in (dates, marks, thai) if clue is not None]
    if not wanted:
        return None

    def look(text: str) -> None:
        for each in wanted:
            each(text)

    return look


def _cells_of(item: Mapping[str, Any], columns: Sequence[str]) -> list[str]:
    """A deal object of our JSON (a backup record or ``list --json``) as CSV cells."""
    cells = {column: item.get(column) for column in columns}
    if "probability_override" in item:
        cells["probability"] = item["probability_override"]
    action = item.get("next_action") or {}
    quote = item.get("quote") or {}
    if isinstance(action, Mapping):
        cells["next_action"], cells["next_action_due"] = action.get("text"), action.get("due")
    if isinstance(quote, Mapping):
        for part in ("amount", "valid_until", "sent_at", "note"):
            cells[f"quote_{part}"] = quote.get(part)
    if isinstance(item.get("tags"), list):
        cells["tags"] = TAG_SEPARATOR.join(str(t) for t in item["tags"])
    return ["" if cells[c] is None else str(cells[c]) for c in columns]


def read_deal_objects(
    items: Sequence[Any], progress: Progress | None, *, pipelines: bool = False
) -> ParsedFile:
    """Deal objects read as rows of our CSV. With ``pipelines`` (a backup's deals merged
    into a database of its own), each object's ``pipeline`` names its pipeline, as the
    export's last column does; ``list --json``'s deals go where they are imported."""
    columns = (*CSV_COLUMNS, PIPELINE_COLUMN) if pipelines else CSV_COLUMNS
    layout = Layout(format=SALESPIPE, header=list(columns))
    layout.columns = {column: i for i, column in enumerate(columns)}
    reader = RowReader(layout, DateReader(), where="item")
    problems: list[Problem] = []

    def rows() -> Iterator[tuple[int, Sequence[str]]]:
        for index, item in enumerate(items, start=1):
            if isinstance(item, Mapping):
                yield index, _cells_of(item, columns)
            else:
                problem = Problem(index, "-", str(item)[:40], _("not a deal object"), "item")
                problems.append(problem)

    good, bad, _read_count, invalid = _read_rows(rows(), reader, len(items), progress)
    return ParsedFile("salespipe JSON", good, problems + bad, len(items), invalid_labels=invalid)


def _read_json(path: Path, data: bytes, progress: Progress | None) -> ParsedFile:
    """JSON that is not a backup in export's own layout (read_file tried that first)."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidValue(
            _("{path} is not valid JSON ({problem}).").format(path=path, problem=exc)
        ) from None
    if isinstance(document, list):
        return read_deal_objects(document, progress)
    if not is_backup(document):
        raise InvalidValue(
            _(
                "{path} is JSON but neither a salespipe backup (`salespipe export --format "
                "json`) nor a list of deals (`salespipe list --status all --json`)."
            ).format(path=path)
        )
    backup = backup_from_document(document, path)
    return ParsedFile("salespipe backup", [], [], backup.counts["deals"], backup)


def read_file(path: Path, options: ReadOptions, progress: Progress | None = None) -> ParsedFile:
    _refuse_unless_a_file(path)
    kind = options.format
    if kind is None:
        looks_json = _read(path, 1 << 16).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")
        kind = "json" if path.suffix.lower() == ".json" or looks_json else "csv"
    if kind == "json":
        # A backup in export's layout is read from the file as the restore goes: a large
        # one is bigger than the memory a command may use.
        try:
            backup = backup_from_file(path)
        except OSError as exc:
            raise _unreadable(path, exc) from None
        if backup is not None:
            return ParsedFile("salespipe backup", [], [], backup.counts["deals"], backup)
        return _read_json(path, _read(path).removeprefix(b"\xef\xbb\xbf"), progress)
    return _read_csv(path, _read(path), options, progress)


def _refuse_unless_a_file(path: Path) -> None:
    """An import reads its file more than once (a look at its start, then the whole):
    a device read without end until memory ran out (/dev/zero), a pipe read as empty
    the second time (`import <(…)`) and a FIFO waited for ever."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InvalidValue(_("There is no file {path}.").format(path=path)) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if stat.S_ISDIR(mode):
        raise InvalidValue(_("{path} is a folder; name the file to import.").format(path=path))
    if not stat.S_ISREG(mode):
        raise InvalidValue(
            _(
                "{path} is not a regular file (a device, a pipe or a socket); save what it "
                "gives to a file and import that."
            ).format(path=path)
        )


def _read(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (the first ``limit`` only, if given), or a clear error."""
    try:
        with path.open("rb") as handle:
            return handle.read(limit)
    except FileNotFoundError:
        raise InvalidValue(_("There is no file {path}.").format(path=path)) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: OSError) -> InvalidValue:
    return InvalidValue(
        _("The file {path} cannot be read: {problem}.").format(path=path, problem=os_problem(exc))
    )
