"""Build hook: compile the gettext catalogues (.po) into .mo files inside the package."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # imported without hatchling, e.g. by the tests to compile the catalogue
    BuildHookInterface = object


def compile_catalogues(root: Path) -> list[Path]:
    """Compile every locale/*/LC_MESSAGES/*.po under the package; return the .mo paths."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for po_path in sorted((root / "src" / "salespipe" / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as source:
            catalogue = read_po(source)
        # Written beside it and renamed: a process reading the catalogue never sees half of it.
        temp = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
        with temp.open("wb") as target:
            write_mo(target, catalogue)
        os.replace(temp, mo_path)
        compiled.append(mo_path)
    return compiled


class CompileCatalogues(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        for mo_path in compile_catalogues(root):
            relative = mo_path.relative_to(root / "src")
            build_data["force_include"][str(mo_path)] = str(relative)
