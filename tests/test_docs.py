"""The docs point only at what the repository holds: every relative link in README.md and docs/**.md names a
file or folder that exists (and, into a Markdown page, a heading it has), and so does every path written in
backticks outside code blocks (`core/foo.py`, `docs/x.md`, `design.md`). CHANGELOG.md is history and is not
checked."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
TOP = {p.name for p in ROOT.iterdir() if not p.name.startswith(".") or p.name == ".ci"} - {".venv"}
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"(`+)([^`\n]+?)\1")
PATH = re.compile(r"^\.?[\w.-]+(/[\w.-]+)*/?$")
PAGE_NAME = re.compile(r"(?<![\w/.#-])[\w-]+\.md\b")  # "see domain.md §5", in prose too
PLACEHOLDERS = ("NAME", "VERSION")  # `static/vendor/NAME-VERSION/`: a pattern, not a path
# What the docs tell a reader to create, and so is not in the repository: the example plugins
# (docs/plugins.md's hello, the tutorial's flyers before it is written) and the instance folder.
EXAMPLES = ("plugins/hello", "plugins/flyers", "instance/")


def prose(page: Path) -> str:
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose(page), re.M):
        base = slug(heading)
        found.add(base if base not in seen else f"{base}-{seen[base]}")
        seen[base] = seen.get(base, 0) + 1
    return found


def links(page: Path) -> list[str]:
    return [a or b for a, b in LINK.findall(prose(page))]


def backticked_paths(page: Path) -> list[str]:
    """Code spans that are paths: with a slash and a first part the repository has at its top, or a
    Markdown file's name."""
    found = []
    for _, span in CODE.findall(prose(page)):
        span = span.strip()
        if not PATH.match(span) or span.startswith(EXAMPLES) or any(word in span for word in PLACEHOLDERS):
            continue
        if ("/" in span and span.split("/")[0] in TOP) or ("/" not in span and span.endswith(".md")):
            found.append(span)
    return found


def page_names(page: Path) -> list[str]:
    """Markdown pages named in the text, linked or not."""
    return PAGE_NAME.findall(prose(page))


def exists(page: Path, target: str) -> bool:
    if target.startswith(EXAMPLES):
        return True
    return any((base / target).exists() for base in (page.parent, ROOT, ROOT / "docs"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_name_files_and_headings_that_exist(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        into = (page.parent / path).resolve() if path else page
        if path and not into.exists():
            broken.append(target)
        elif anchor and into.suffix == ".md" and anchor not in anchors(into):
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_backticked_paths_and_named_pages_exist(page):
    assert [path for path in backticked_paths(page) + page_names(page) if not exists(page, path)] == []


def test_the_checks_see_links_and_paths():
    architecture = ROOT / "docs/architecture.md"
    assert "evaluation.md" in links(architecture) and "core/db.py" in backticked_paths(architecture)
    assert "domain.md" in page_names(ROOT / "docs/evaluation.md")
    assert slug("Where the code departs from `design.md`") == "where-the-code-departs-from-designmd"
    assert not exists(architecture, "design.md")
