"""The Thai catalogue covers every user-facing message, and messages are written to be
translated: looked up with _() / ngettext() / N_(), named placeholders filled in after
the lookup, and every error the core raises translated."""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from salespipe.core import i18n
from salespipe.core.errors import SalespipeError
from salespipe.transfer.values import BadValue

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "salespipe"
CATALOGUE = PACKAGE / "locale" / "th" / "LC_MESSAGES" / "salespipe.po"
LOOKUPS = {"_", "N_", "ngettext"}


@dataclass(frozen=True)
class Use:
    """One call of a lookup function in the source."""

    path: Path
    line: int
    name: str
    call: ast.Call

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _modules() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


def _uses() -> Iterator[Use]:
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in LOOKUPS
            ):
                yield Use(path, node.lineno, node.func.id, node)


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _source_messages() -> dict[str, Use]:
    """Every msgid (the singular for ngettext) the source looks up, with where it is."""
    found: dict[str, Use] = {}
    for use in _uses():
        text = _literal(use.call.args[0]) if use.call.args else None
        if text is not None:
            found.setdefault(text, use)
    return found


def _catalogue() -> dict[str, list[str]]:
    """The Thai catalogue: msgid (singular) -> its msgstr (every plural form)."""
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    entries: dict[str, list[str]] = {}
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        entries[msgid] = [s or "" for s in strings]
    return entries


def _fields(text: str) -> set[str | None]:
    return {field for _text, field, _spec, _conv in string.Formatter().parse(text) if field}


CLI = PACKAGE / "cli"
HELP_KEYWORDS = {"help", "rich_help_panel"}


@dataclass(frozen=True)
class HelpText:
    """A help text of the command line, a msgid of the catalogue: a ``help=`` or
    ``rich_help_panel=`` of a command, group, option or argument, or the docstring of a
    function registered as a command."""

    path: Path
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's constants that are a string literal (``PANEL = "Reports"``)."""
    return {
        target.id: text
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and (text := _literal(node.value)) is not None
    }


def _help_value(value: ast.expr, constants: dict[str, str]) -> str | None:
    """The msgid a ``help=`` gives: a literal, a constant of the module, or the text
    ``filled()`` fills in."""
    if isinstance(value, ast.Name):
        return constants.get(value.id)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.args:
        return _literal(value.args[0]) if value.func.id == "filled" else None
    return _literal(value)


def _registers_a_command(function: ast.FunctionDef) -> bool:
    """``@app.command(…)``, ``@stage_app.command(…)``, ``@app.callback(…)`` without a
    help= of its own (which Typer shows instead of the docstring)."""
    return any(
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in {"command", "callback"}
        and not any(keyword.arg == "help" for keyword in decorator.keywords)
        for decorator in function.decorator_list
    )


def _help_texts_in(path: Path, source: str) -> Iterator[HelpText | int]:
    """The help texts of one module; the line of a help built otherwise (an f-string, a
    concatenation), which has no one msgid."""
    tree = ast.parse(source)
    constants = _constants(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in HELP_KEYWORDS:
            text = _help_value(node.value, constants)
            if text is not None:
                yield HelpText(path, node.value.lineno, inspect.cleandoc(text))
            elif any(isinstance(n, ast.JoinedStr | ast.BinOp) for n in ast.walk(node.value)):
                yield node.value.lineno
        elif isinstance(node, ast.FunctionDef) and _registers_a_command(node):
            doc = ast.get_docstring(node)
            if doc:
                yield HelpText(path, node.lineno, doc)


def _cli_modules() -> Iterator[tuple[Path, str]]:
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        yield path, path.read_text(encoding="utf-8")


def _help_texts() -> dict[str, HelpText]:
    """Every help text of src/salespipe/cli/, by msgid."""
    found: dict[str, HelpText] = {}
    for path, source in _cli_modules():
        for text in _help_texts_in(path, source):
            if isinstance(text, HelpText):
                found.setdefault(text.text, text)
    return found


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """Babel's extraction method for salespipe (docs/thai.md, "For translators"): what
    _(), ngettext() and N_() look up, and the help texts of src/salespipe/cli/, which
    are msgids too but no call of a lookup function."""
    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    path = Path(fileobj.name).resolve()
    if path.parent == PACKAGE / "cli":
        for text in _help_texts_in(path, source.decode("utf-8")):
            if isinstance(text, HelpText):
                yield text.line, None, text.text, []


def test_every_help_text_has_a_thai_entry() -> None:
    """`--help` in Thai: every help text and command docstring of the command line has a
    Thai translation, with the placeholders of its English."""
    entries = _catalogue()
    texts = _help_texts()
    assert len(texts) > 150  # (the pass finds them: options, arguments, docstrings)
    missing = [f"{t.where}: {msgid!r}" for msgid, t in texts.items() if not entries.get(msgid)]
    assert missing == []
    wrong = [
        f"{t.where}: {msgid!r}"
        for msgid, t in texts.items()
        if any(_fields(thai) != _fields(msgid) for thai in entries.get(msgid, []))
    ]
    assert wrong == []


def test_help_texts_are_fixed_msgids() -> None:
    """A help with a value in it is a fixed text with a named placeholder, filled in by
    filled() after the lookup: an f-string's text would have no entry in the catalogue."""
    built = [
        f"{path.relative_to(ROOT)}:{found}"
        for path, source in _cli_modules()
        for found in _help_texts_in(path, source)
        if isinstance(found, int)
    ]
    assert built == []


HELP_SAMPLE = '''
PANEL = "Daily"


@app.command("a", rich_help_panel=PANEL)
def a(x: Annotated[int, typer.Option(help="X.")], y=typer.Option(help=filled("Y {n}.", n=1))):
    """Do A.

    Example: salespipe a
    """


@app.command("b", help=B_HELP)
def b(z=typer.Option(help=f"Z {N}.")) -> None:
    """Not shown: the help= is."""
'''


def test_the_help_pass_finds_help_texts_docstrings_and_f_strings() -> None:
    """The pass above reads help=, rich_help_panel=, filled() and command docstrings, and
    reports an f-string help."""
    found = list(_help_texts_in(PACKAGE / "sample.py", HELP_SAMPLE))
    texts = sorted(t.text for t in found if isinstance(t, HelpText))
    assert texts == ["Daily", "Do A.\n\nExample: salespipe a", "X.", "Y {n}."]
    assert [line for line in found if isinstance(line, int)] == [14]


def test_every_message_has_a_thai_entry() -> None:
    """Each message the source looks up has a non-empty Thai translation in the .po."""
    entries = _catalogue()
    missing = [
        f"{use.where}: {text!r}"
        for text, use in _source_messages().items()
        if not all(entries.get(text) or [""])
    ]
    assert missing == []


def test_the_catalogue_has_no_obsolete_or_fuzzy_entries() -> None:
    """Every entry of the .po is still used by the source, none is marked fuzzy or obsolete."""
    used = {**_source_messages(), **_help_texts()}
    assert sorted(set(_catalogue()) - set(used)) == []
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    assert [m.id for m in catalogue if m.id and m.fuzzy] == []
    assert list(catalogue.obsolete) == []


def _quoted_lines() -> list[tuple[int, str]]:
    """The .po's lines that hold a quoted string (msgid, msgstr, their continuations)."""
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    return [
        (number, line)
        for number, line in enumerate(lines, start=1)
        if line.startswith(("msgid", "msgstr", '"'))
    ]


def test_the_catalogue_is_well_formed() -> None:
    """A msgstr missing its closing quote was read by the build without a word and lost
    its last letter (the copy refusal's Thai ended "อะไ"), and three messages were
    defined twice: what `msgfmt --check` refuses (a review)."""
    unclosed = [
        number
        for number, line in _quoted_lines()
        if not re.fullmatch(r'[a-z_\[\]0-9]*\s*"(?:[^"\\]|\\.)*"', line)
    ]
    assert unclosed == []
    msgids: list[str] = []
    current: list[str] | None = None
    for _number, line in _quoted_lines():
        if line.startswith("msgid "):
            current = [line.removeprefix("msgid ")]
            msgids.append("")
        elif line.startswith('"') and current is not None:
            current.append(line)
        else:
            current = None
        if current is not None:
            msgids[-1] = "".join(current)
    duplicated = sorted({m for m in msgids if msgids.count(m) > 1})
    assert duplicated == []
    # Entries appended by two branches at once met without the blank line between them,
    # or a merge dropped an entry's comments (and with them its python-brace-format).
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    joined = [
        number
        for number, line in enumerate(lines, start=1)
        if line.startswith(("#: ", "msgid "))
        and number > 1
        and lines[number - 2].startswith(("msgstr", '"'))
    ]
    assert joined == []


def test_translations_keep_every_placeholder() -> None:
    """A Thai string names exactly the placeholders of its English msgid (plurals too)."""
    entries = _catalogue()
    wrong = []
    for use in _uses():
        if not use.call.args or _literal(use.call.args[0]) is None:
            continue
        english = [text for text in map(_literal, use.call.args[:2]) if text is not None]
        for thai in entries.get(english[0], []):
            if any(_fields(thai) != _fields(e) for e in english):
                wrong.append(f"{use.where}: {english[0]!r} -> {thai!r}")
    assert wrong == []


def _positional(text: str) -> bool:
    return any(
        field is not None and (field == "" or field.isdigit())
        for _text, field, _spec, _conv in string.Formatter().parse(text)
    )


def _built(arg: ast.expr) -> bool:
    """An f-string, a concatenation or % formatting, or a .format()/.join() call."""
    if isinstance(arg, ast.JoinedStr | ast.BinOp):
        return True
    return (
        isinstance(arg, ast.Call)
        and isinstance(arg.func, ast.Attribute)
        and arg.func.attr in {"format", "join", "replace"}
    )


def test_placeholders_are_named_and_filled_after_the_lookup() -> None:
    """No f-string, .format() or % inside _(), and no positional {} in a message."""
    bad = []
    for use in _uses():
        count = 2 if use.name == "ngettext" else 1
        for arg in use.call.args[:count]:
            text = _literal(arg)
            if text is None and _built(arg):
                bad.append(f"{use.where}: the message is built before it is looked up")
            elif text is not None and _positional(text):
                bad.append(f"{use.where}: {text!r} has a positional placeholder")
    assert bad == []


def _plain_text_raises(tree: ast.AST, errors: set[str]) -> Iterator[int]:
    """Lines that raise one of ``errors`` with a literal string or f-string message."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
            continue
        call = node.exc
        if not isinstance(call.func, ast.Name) or call.func.id not in errors or not call.args:
            continue
        message = call.args[0]
        if isinstance(message, ast.BinOp):
            message = message.left
        if isinstance(message, ast.Constant | ast.JoinedStr):
            yield node.lineno


def _user_errors(path: Path) -> set[str]:
    """The names in a module that are SalespipeError (or import BadValue) classes."""
    module = importlib.import_module(".".join(path.relative_to(ROOT / "src").with_suffix("").parts))
    return {
        name
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, SalespipeError | BadValue)
    }


def test_no_error_is_raised_with_untranslated_text() -> None:
    """Every SalespipeError (and import BadValue) raised in src/ carries a translated message."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _modules()
        if path.name != "__main__.py"
        for line in _plain_text_raises(ast.parse(path.read_text("utf-8")), _user_errors(path))
    ]
    assert found == []


def test_the_raise_check_finds_plain_text() -> None:
    """The check above finds English f-strings and literals, and passes translated ones."""
    source = ast.parse(
        'raise InvalidValue(f"The value {x} is bad.")\n'
        'raise InvalidValue("Bad." + detail)\n'
        'raise InvalidValue(_("The value {x} is bad.").format(x=x))\n'
        'raise ValueError("internal")\n'
    )
    assert list(_plain_text_raises(source, {"InvalidValue"})) == [1, 2]


def test_thai_comes_from_the_compiled_catalogue(compiled_catalogue: list[Path]) -> None:
    """The .mo compiled from the current .po is what _() reads once Thai is chosen."""
    assert [p.name for p in compiled_catalogue] == ["salespipe.mo"]
    i18n.set_language("th")
    assert i18n.language() == "th"
    assert i18n._("There is nothing to undo.") == "ไม่มีอะไรให้ย้อนกลับ"
    assert i18n.ngettext("{count} deal", "{count} deals", 3).format(count=3) == "3 ดีล"
    i18n.set_language("en")
    assert i18n._("There is nothing to undo.") == "There is nothing to undo."
    assert i18n.ngettext("{count} deal", "{count} deals", 1) == "{count} deal"


@pytest.mark.parametrize("lang", ["en", "fr", None])
def test_anything_but_thai_is_english(lang: str | None) -> None:
    """Only th switches the language; anything else leaves the English text."""
    i18n.set_language(lang)
    assert i18n.language() == "en"
    assert i18n._("Won") == "Won"


def test_a_thai_refusal_repeats_a_date_in_the_buddhist_era(cli) -> None:
    """`--lang th check --as-of 2569-12-20` said "วันที่ --as-of 2026-12-20 ยังมาไม่ถึง":
    the era was set only once the data file was read, after the date was refused."""
    refused = cli("--lang", "th", "check", "--as-of", "2569-12-20")
    assert refused.exit_code == 1
    assert "2569-12-20" in refused.stderr
    assert "2026" not in refused.stderr
