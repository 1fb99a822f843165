"""The README and docs/ point only at things that exist, and the README stays short.

A newcomer follows the README's links and the paths it names; a stale one sends them to a
file that moved. So every relative link (and its #anchor, for Markdown targets), every
backticked repository path (`articles/models.py`, `bench/run.py`) and every pointer from
code comments into the docs ("docs/operations.md, "Backups"") is checked here.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]

# Top-level entries of the repository a backticked path may start with. Paths under
# others (`var/wire/…`, `media/`, `processed/`) are made at run time or live elsewhere.
REPOSITORY_ROOTS = {"articles", "bench", "docs", "newsroom", "static", "templates", "tests", ".ci"}
REPOSITORY_FILES = {"Makefile", "gunicorn.conf.py", "manage.py", "package.json", "pyproject.toml"}
# Written by runs, git-ignored: named in the docs as where output lands.
GENERATED = ("bench/results/",)

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)


def prose(path):
    """The page without its fenced code blocks (commands, not claims about files)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    return {slug(h) for h in HEADING.findall(prose(path))}


def headings(path):
    return {h.strip().strip("`") for h in HEADING.findall(prose(path))}


def links(path):
    for match in LINK.finditer(prose(path)):
        yield match.group(1) or match.group(2)


def repository_paths(path):
    """Backticked spans that name a file or folder of the repository."""
    for span in CODE_SPAN.findall(prose(path)):
        if any(c in span for c in " *<>…=$?{}|:\"'") or span.startswith(("/", "http")):
            continue
        first = span.split("/", 1)[0]
        if span in REPOSITORY_FILES or ("/" in span and first in REPOSITORY_ROOTS):
            yield span


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_exists(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        destination = (page.parent / file_part).resolve() if file_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.name}: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_backticked_repository_path_exists(page):
    named = list(repository_paths(page))
    missing = [
        p for p in named if not p.startswith(GENERATED) and not (ROOT / p.rstrip("/")).exists()
    ]
    assert named or page != README, "the README names no file at all: the check is not looking"
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


def test_readme_is_short_with_the_two_commands_near_the_top():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move detail into docs/"
    top = "\n".join(lines[:20])
    assert "make run" in top and "make test" in top


def test_readme_links_every_page_of_docs():
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in links(README)}
    assert set(DOCS) <= linked, "a page of docs/ the README does not lead to"


def test_fronts_desk_screenshot_is_shown():
    assert "(docs/fronts-desk.png)" in README.read_text(encoding="utf-8")
    assert (ROOT / "docs" / "fronts-desk.png").is_file()


CODE_DIRS = ("articles", "bench", "newsroom", "tests")
CODE_FILES = ("gunicorn.conf.py", "manage.py", "Makefile")
# `articles/fronts.py`, `docs/caching.md`: a path of the repository named in code.
CODE_PATH = re.compile(r"\b((?:articles|bench|newsroom|tests|docs)/[\w/.-]+\.(?:py|md|png))\b")
# (docs/operations.md, "Backups") or (README, "Deploying"): a section named in code.
SECTION_POINTER = re.compile(r"(README(?:\.md)?|docs/[\w-]+\.md),? \"([^\"]+)\"")


def code_files():
    """The project's code, this file aside (its examples name missing things on purpose)."""
    for name in CODE_DIRS:
        yield from (p for p in (ROOT / name).rglob("*.py") if p != Path(__file__))
    for name in CODE_FILES:
        yield ROOT / name


def test_comments_point_at_files_that_exist():
    missing = []
    for path in code_files():
        text = path.read_text(encoding="utf-8")
        for named in CODE_PATH.findall(text):
            if not (ROOT / named).exists():
                missing.append(f"{path.relative_to(ROOT)}: {named}")
        if "DESIGN.md" in text:
            missing.append(f"{path.relative_to(ROOT)}: DESIGN.md (not in the repository)")
    assert not missing, missing


def test_comments_name_sections_that_exist():
    missing = []
    for path in code_files():
        for document, section in SECTION_POINTER.findall(path.read_text(encoding="utf-8")):
            target = ROOT / (document if document.endswith(".md") else "README.md")
            if not target.exists() or section not in headings(target):
                missing.append(f"{path.relative_to(ROOT)}: {document}, {section!r}")
    assert not missing, missing


# os.environ.get("X", …), env_int("X", …), gunicorn.conf.py's _int("X", …): a variable read.
ENV_READ = re.compile(
    r"(?:environ\.get|environ\[|\benv_\w+|\b_int|getenv)\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']"
)


def documented_variables():
    """Every variable named in docs/operations.md's tables. A row may name a family:
    "`NEWSROOM_PUBLISHER_LOGO` (+ `_WIDTH`, `_HEIGHT`)" or "`GUNICORN_MAX_REQUESTS`,
    `…_JITTER`" (a name of the row, or its stem, followed by the suffix)."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    listed = set()
    for row in (line for line in text.splitlines() if line.startswith("|")):
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", row)
        listed.update(names)
        suffixes = re.findall(r"`(?:…)?(_[A-Z0-9_]+)`", row)
        for first in names:
            for suffix in suffixes:
                listed |= {first + suffix, first.rsplit("_", 1)[0] + suffix}
    return listed


def test_operations_lists_every_environment_variable_the_settings_read():
    """newsroom/settings.py says docs/operations.md lists every variable: keep it true."""
    read = set()
    for path in (ROOT / "newsroom" / "settings.py", ROOT / "gunicorn.conf.py"):
        read |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    assert {"DJANGO_SECRET_KEY", "GUNICORN_MAX_REQUESTS_JITTER"} <= read, "the check is not looking"
    missing = sorted(read - documented_variables())
    assert not missing, f"not in docs/operations.md's tables: {missing}"


def readme_layout():
    """The fenced block under the README's "The code": the map of the repository."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## The code\n", 1)[1].split("\n## ", 1)[0]
    return FENCE.search(section).group(0)


def test_readme_layout_names_only_what_exists_and_every_package():
    """A newcomer finds the rooms where the README says they are; a new package of
    articles/ (a desk's room) is on the map."""
    layout = readme_layout()
    names = set(re.findall(r"(?<![\w/.])([\w.]+\.py|[\w]+/(?:[\w]+/)*)", layout))
    names |= {n.split("/", 1)[0] + "/" for n in names if n.count("/") > 1}  # management/
    everything = {
        p.relative_to(ROOT).as_posix() + ("/" if p.is_dir() else "")
        for top in ("articles", "newsroom", "tests", "bench", "templates", "static")
        for p in [ROOT / top, *(ROOT / top).rglob("*")]
        if "__pycache__" not in p.parts
    }
    missing = sorted(n for n in names if not any(p == n or p.endswith("/" + n) for p in everything))
    assert not missing, f"the README's layout names what does not exist: {missing}"
    commands = {p.stem for p in (ROOT / "articles/management/commands").glob("[!_]*.py")}
    assert commands <= set(re.findall(r"\w+", layout)), "a management command not on the map"
    packages = {p.parent.name + "/" for p in (ROOT / "articles").glob("*/__init__.py")}
    packages -= {"migrations/"}
    assert packages <= names, f"packages of articles/ missing from the map: {packages - names}"
