"""Build hook: compile the gettext catalogues (.po) into .mo files inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def compile_catalogues(root: Path) -> list[Path]:
    """Compile every locale/*/LC_MESSAGES/*.po under the package; return the .mo paths."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for po_path in sorted((root / "src" / "salespipe" / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as source:
            catalogue = read_po(source)
        with mo_path.open("wb") as target:
            write_mo(target, catalogue)
        compiled.append(mo_path)
    return compiled


class CompileCatalogues(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        for mo_path in compile_catalogues(root):
            relative = mo_path.relative_to(root / "src")
            build_data["force_include"][str(mo_path)] = str(relative)
