"""The translation catalogues as the Makefile keeps them: the core's in translations/, holding the strings of
everything but plugins and docs, and one per folder plugin (plugins/<name>/ and the tutorial's
docs/tutorial/<name>/) in <plugin>/translations/, holding that plugin's strings."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

from tests.support import ROOT

LOCALE = "zh_Hans_CN"
CORE_IGNORED = ".* _* .venv tests node_modules plugins docs"
PLUGIN_IGNORED = ".* _* tests"


@dataclass
class Catalogue:
    name: str  # "core" or the plugin's folder name
    source: Path  # the folder whose strings it holds
    ignored: str  # --ignore-dirs for pybabel extract

    @property
    def folder(self) -> Path:
        return self.source / "translations"

    @property
    def po(self) -> Path:
        return self.folder / LOCALE / "LC_MESSAGES" / "messages.po"

    def wanted(self, tmp_path: Path) -> set:
        """The msgids of the strings in its source, as `make extract` finds them."""
        pot = extract(self.source, self.ignored, tmp_path / f"{self.name}.pot")
        return {m.id for m in read_po(pot.open("rb")) if m.id}

    def translated(self) -> set:
        if not self.po.exists():
            return set()
        return {m.id for m in read_po(self.po.open("rb")) if m.id and m.string and not m.fuzzy}

    def messages(self):
        return [m for m in read_po(self.po.open("rb")) if m.id] if self.po.exists() else []


def extract(source: Path, ignored: str, pot: Path) -> Path:
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [pybabel, "-q", "extract", "-F", ROOT / "babel.cfg", "-k", "_l", f"--ignore-dirs={ignored}", "-o", pot, "."],
        cwd=source,
        check=True,
    )
    return pot


def plugin_folders() -> list[Path]:
    return sorted(
        p.parent for pattern in ("plugins/*/__init__.py", "docs/tutorial/*/__init__.py") for p in ROOT.glob(pattern)
    )


def catalogues() -> list[Catalogue]:
    return [Catalogue("core", ROOT, CORE_IGNORED)] + [Catalogue(p.name, p, PLUGIN_IGNORED) for p in plugin_folders()]


def waiting_for_translation(tmp_path: Path) -> str:
    """Every msgid some catalogue has no translation for yet, as one text."""
    return "\n".join(str(msgid) for c in catalogues() for msgid in sorted(c.wanted(tmp_path) - c.translated(), key=str))
