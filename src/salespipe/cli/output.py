"""Writing results: JSON for scripts, tables for people, errors in one format."""

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from salespipe.core.errors import InvalidValue, OutputFailed, SalespipeError, os_problem
from salespipe.core.i18n import _
from salespipe.present import render
from salespipe.present.render import visible

if TYPE_CHECKING:
    from salespipe.present.results import Result


def json_asked(args: list[str]) -> bool:
    """Whether --json is among the command line's options (not after a ``--``)."""
    return "--json" in args[: args.index("--")] if "--" in args else "--json" in args


def for_terminal(stream: Any = None) -> bool:
    """Rich tables and colour only for a real terminal, without NO_COLOR (an empty
    NO_COLOR= counts as unset, as no-color.org says) and not a dumb one."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal: not one that is None (the process was started
    with it closed, as ``<&-`` does), closed, or no file. The one way salespipe asks it
    of stdin, stdout or stderr."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def width(stream: Any = None) -> int:
    """The width to lay output out for: a terminal's real width (with NO_COLOR too);
    piped or redirected, $COLUMNS, else the width of the terminal the person who piped
    it sits at (stderr's: ``salespipe list | less`` on a 45-column phone was laid out for
    80 columns, which the phone then broke inside money figures), else 80 (cron)."""
    stream = stream or sys.stdout
    columns = _terminal_columns(stream)
    if columns:
        return columns
    if "COLUMNS" not in os.environ and stream is sys.stdout:
        columns = _terminal_columns(sys.stderr)
        if columns:
            return columns
    return render.plain_width()


def _terminal_columns(stream: Any) -> int:
    """The columns of the terminal ``stream`` is, or 0."""
    if not is_terminal(stream):
        return 0
    try:
        return max(os.get_terminal_size(stream.fileno()).columns, 0)
    except (AttributeError, ValueError, OSError):
        return 0


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """A closed pipe (``salespipe list | head``) ends the command quietly with exit 0;
    any other failure to write stdout (a full disk, stdout closed) is OutputFailed."""
    try:
        if sys.stdout is None:  # started with stdout closed
            raise OutputFailed(_("stdout is closed"))
        yield
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None
    except UnicodeEncodeError as exc:  # (PYTHONIOENCODING=ascii, say)
        raise OutputFailed(
            _(
                'its encoding, {encoding}, cannot write "{text}"; use a UTF-8 locale or '
                "PYTHONIOENCODING=utf-8"
            ).format(encoding=exc.encoding, text=exc.object[exc.start : exc.end])
        ) from None
    except OSError as exc:
        raise OutputFailed(os_problem(exc)) from None
    except ValueError as exc:
        if not getattr(sys.stdout, "closed", False):
            raise  # not the stream's: a value the command read (a damaged date, say)
        raise OutputFailed(str(exc)) from None  # the stream was closed


def _json_bytes(data: Any) -> bytes:
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        # Text that is not valid UTF-8 (an argument of undecodable bytes, echoed in an
        # error) cannot be JSON as it is: its bytes become U+FFFD.
        return orjson.dumps(_valid_text(data), option=orjson.OPT_INDENT_2)


def _valid_text(data: Any) -> Any:
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(data, dict):
        return {_valid_text(k): _valid_text(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_valid_text(item) for item in data]
    return data


def json(data: Any) -> None:
    with reader_may_leave():
        sys.stdout.buffer.write(_json_bytes(data) + b"\n")
        sys.stdout.flush()


def json_array(items: Iterable[Any], batch: int = 1000) -> None:
    """``json(list(items))``, byte for byte, written a batch of items at a time: a list of
    100k deals is never one object in memory, nor one string."""
    with reader_may_leave():
        out = sys.stdout.buffer
        opened = False
        for chunk in _batches(items, batch):
            # A list of items is dumped as "[\n" + the items, indented + "\n]": that
            # middle is what the whole array holds for them, byte for byte.
            middle = orjson.dumps(chunk, option=orjson.OPT_INDENT_2)[2:-2]
            out.write((b",\n" if opened else b"[\n") + middle)
            opened = True
        out.write(b"\n]\n" if opened else b"[]\n")
        out.flush()


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def result_lines(shown: "Result", as_json: bool) -> None:
    """A result of a stream (``watch``): with --json each item of its ``to_dict()`` as
    one compact JSON line, so that a reader can take one line at a time."""
    if not as_json:
        result(shown, as_json)
        return
    with reader_may_leave():
        for item in shown.to_dict():
            sys.stdout.buffer.write(orjson.dumps(_valid_text(item)) + b"\n")
        sys.stdout.flush()


def blocks(parts: Sequence[render.Block]) -> None:
    """Drawn with Rich in a terminal; plain text, the same layout, anywhere else."""
    if for_terminal():
        drawn = render.terminal(parts, width())
    else:
        drawn = render.plain(parts, width(), pipe=not is_terminal(sys.stdout))
    with reader_may_leave():
        sys.stdout.write(drawn)
        sys.stdout.flush()


DEFAULT_CHART_WIDTH = 80


def chart_width(asked: int | None) -> int:
    """``--width``, else the width tables are laid out for (:func:`width`), at most 80
    columns."""
    if asked is not None:
        return asked
    return max(30, min(DEFAULT_CHART_WIDTH, width()))


def charts(drawn: list[str]) -> None:
    # Not through say(): a chart for a terminal carries its own colour codes, and its
    # labels are stage names, which never hold control characters.
    with reader_may_leave():
        sys.stdout.write("\n\n".join(drawn) + "\n")
        sys.stdout.flush()


def result(shown: "Result", as_json: bool, *, chart_width_asked: int | None = None) -> None:
    """The one way a command's result reaches the user: its ``to_dict()`` as JSON for
    scripts (an iterator as a JSON array, a batch at a time), its view
    (:mod:`salespipe.present.results`) as text for people; charts are drawn
    ``chart_width_asked`` wide (``--width``), else as wide as the terminal allows."""
    if as_json:
        data = shown.to_dict()
        if isinstance(data, Iterator):
            json_array(data)
        else:
            json(data)
        return
    from salespipe.present import parts, results

    seen = results.view(shown)
    if isinstance(seen, str):
        say(seen)
        return
    laid_out: list[render.Block] = []  # blocks in a row are laid out together
    said = str | parts.Drawing | parts.Warned | parts.Noted | parts.Hanging | parts.Verbatim
    # A chart that is the whole answer (`chart`) and cannot be drawn is the command's
    # failure, not a note beside tables that say it all.
    only_charts = all(isinstance(part, parts.Drawing) for part in seen)
    for part in seen:
        if isinstance(part, said) and laid_out:
            blocks(laid_out)
            laid_out = []
        if isinstance(part, str):
            say(part)
        elif isinstance(part, parts.Verbatim):
            verbatim(part.text)
        elif isinstance(part, parts.Hanging):
            say(part.text, part.hang)
        elif isinstance(part, parts.Drawing):
            try:
                drawn = part.draw(chart_width(chart_width_asked), for_terminal())
            except InvalidValue as narrow:
                if chart_width_asked is not None or only_charts:  # (--width: asked for it)
                    raise
                note(narrow.message)  # a narrow terminal: the tables above say it all
                continue
            charts(drawn)
        elif isinstance(part, parts.Warned):
            warn(part.text)
        elif isinstance(part, parts.Noted):
            note(part.text)
        else:
            laid_out.append(part)
    if laid_out:
        blocks(laid_out)


def say(message: str, hang: int = 0) -> None:
    """A sentence on stdout (``hang``: its first cells label it, see :func:`wrapped_for`)."""
    with reader_may_leave():
        sys.stdout.write(wrapped_for(sys.stdout, visible(message), hang) + "\n")
        sys.stdout.flush()


YES = frozenset(("y", "yes", "ใช่", "ช", "ตกลง"))
NO = frozenset(("", "n", "no", "ไม่", "ม", "ไม่ใช่"))


def ask(question: str) -> bool | None:
    """A yes-or-no question at the terminal (no by default), answered in English or Thai;
    None when it was not answered (Ctrl-D). The question is on stderr and nothing of it
    on stdout, the command's output (with --json, only JSON): Click's prompt wrote a
    space there. Ctrl-C is left to the one place that says what an interrupt did."""
    while True:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"{question} {_('[y/N]')}: ")
            sys.stderr.flush()
        answer = sys.stdin.readline() if sys.stdin is not None else ""
        if not answer:  # Ctrl-D (the line after it is the caller's to begin)
            return None
        word = answer.strip().casefold()
        if word in YES or word in NO:
            return word in YES
        _write_stderr(_("Answer y (yes) or n (no)."))


# The least room beside a hanging label; narrower, a line wraps as a sentence does.
HANG_ROOM_MIN = 20


def verbatim(text: str) -> None:
    """Text a reader takes as it is (a page of HTML): on stdout, never rewrapped."""
    with reader_may_leave():
        sys.stdout.write(visible(text) + "\n")
        sys.stdout.flush()


def wrapped_for(stream: Any, text: str, hang: int = 0) -> str:
    """``text`` broken between words to a terminal's width (its own wrapping would cut
    words, Thai ones between letter and mark), a path or address too long for a line
    left whole, and with ``hang`` the lines after the first under the text after its
    first ``hang`` cells (a label); as it is anywhere else, for scripts."""
    if not is_terminal(stream):
        return text
    from salespipe.present import textwidth

    size = width(stream)
    if hang and size - hang >= HANG_ROOM_MIN:
        return "\n".join(textwidth.hanging(text, size, hang))
    return "\n".join(textwidth.wrap(text, size, whole_words=True))


def note(message: str) -> None:
    """A remark for the person (never for a script reading stdout): on stderr."""
    _to_stderr(visible(message))


def _to_stderr(line: str) -> None:
    """One line on stderr; if even stderr is gone, the exit code is all that is left."""
    _write_stderr(wrapped_for(sys.stderr, line))


def _write_stderr(text: str) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def warn(message: str) -> None:
    _to_stderr(_("Warning: {message}").format(message=visible(message)))


def error(exc: SalespipeError, as_json: bool) -> None:
    """The one way an error reaches the user: a sentence on stderr, JSON on stdout with --json."""
    if as_json:
        with contextlib.suppress(OutputFailed):  # the sentence on stderr still says it
            json({"error": {"code": exc.code, "message": exc.message, **exc.details()}})
    prefix = _("Error:")
    shown = wrapped_for(sys.stderr, f"{prefix} {visible(_valid_text(exc.message))}")
    if for_terminal(sys.stderr) and shown.startswith(prefix):  # red, once laid out
        shown = f"\x1b[31m{prefix}\x1b[0m{shown[len(prefix) :]}"
    _write_stderr(shown)
