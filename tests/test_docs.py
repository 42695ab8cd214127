"""The documentation holds together: every link and every ``docs/….md`` path in the README,
docs/, bench/README.md and deploy/README.md leads to a file of the repository (and an anchor into
a Markdown file to one of its headings), and the code cites the design and regulation pages by
their place in the repository, ``docs/design.md`` and ``docs/regulation.md``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_LIMIT = 8 * 1024  # bytes: the README is a front page; detail goes to docs/


def doc_files() -> list[Path]:
    """The Markdown files whose links are checked."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += [ROOT / "bench" / "README.md", ROOT / "deploy" / "README.md"]
    return [f for f in files if f.exists()]


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]+`")
_LINK = re.compile(r"\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_DOCS_PATH = re.compile(r"(?<![\w./-])docs/[\w./-]*?\.md\b")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, …


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans (links there are not links)."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Targets of inline links, images and reference definitions, in order."""
    body = prose(text)
    return _LINK.findall(body) + _REFERENCE.findall(body)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = (
        c
        for c in heading.strip().lower()
        if c in " -" or unicodedata.category(c)[0] in "LMN" or unicodedata.category(c) == "Pc"
    )
    return "".join(kept).replace(" ", "-")


def anchors(markdown: Path) -> set[str]:
    """Every heading anchor of a Markdown file, with GitHub's -1, -2 … for repeats."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in _FENCE.sub("", markdown.read_text(encoding="utf-8")).splitlines():
        match = re.match(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match is None:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def problems_of_link(source: Path, target: str) -> Iterator[str]:
    """What is wrong with one link of ``source``: nothing for an external address."""
    if _EXTERNAL.match(target):
        return
    path_part, _, anchor = target.partition("#")
    if path_part:
        base = ROOT if path_part.startswith("/") else source.parent
        resolved = (base / path_part.lstrip("/")).resolve()
    else:
        resolved = source
    if not resolved.is_relative_to(ROOT):
        yield f"{target!r} leads outside the repository"
    elif not resolved.exists():
        yield f"{target!r}: no such file {resolved.relative_to(ROOT)}"
    elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        yield f"{target!r}: {resolved.relative_to(ROOT)} has no heading with anchor #{anchor}"


def test_every_markdown_link_resolves_inside_the_repository() -> None:
    """Every relative link of the checked Markdown files names an existing repository file."""
    problems = [
        f"{source.relative_to(ROOT)}: {problem}"
        for source in doc_files()
        for target in links(source.read_text(encoding="utf-8"))
        for problem in problems_of_link(source, target)
    ]
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_every_docs_path_mentioned_exists() -> None:
    """Every ``docs/….md`` path written in the checked files (code spans too) exists."""
    problems = [
        f"{source.relative_to(ROOT)}: {path} does not exist"
        for source in doc_files()
        for path in _DOCS_PATH.findall(source.read_text(encoding="utf-8"))
        if not (ROOT / path).is_file()
    ]
    assert not problems, "\n".join(problems)


def test_the_docs_index_links_every_page() -> None:
    """docs/README.md links every other page of docs/, so no page is an orphan."""
    index = ROOT / "docs" / "README.md"
    linked = {
        (index.parent / t.partition("#")[0]).resolve()
        for t in links(index.read_text(encoding="utf-8"))
    }
    pages = {p.resolve() for p in (ROOT / "docs").glob("*.md") if p.name != "README.md"}
    assert not pages - linked, f"not in docs/README.md: {sorted(p.name for p in pages - linked)}"


def test_the_readme_is_a_front_page() -> None:
    """README.md stays short (detail belongs in docs/) and links the docs index."""
    readme = ROOT / "README.md"
    assert readme.stat().st_size < README_LIMIT, "README.md grew past 8 KB: move detail to docs/"
    assert "docs/README.md" in links(readme.read_text(encoding="utf-8"))


# ---- the checks' own behaviour ---------------------------------------------------------------


def test_links_skip_code_and_find_inline_and_reference_links() -> None:
    """Links in code blocks or code spans are ignored; inline, image and reference ones found."""
    text = (
        'See [a](docs/a.md#x) and ![b](img/b.png "title").\n'
        "`[not](a-link.md)`\n"
        "```\n[nor](this.md)\n```\n"
        "[ref]: ../c.md\n"
    )
    assert links(text) == ["docs/a.md#x", "img/b.png", "../c.md"]


def test_slug_follows_github_headings() -> None:
    """Heading anchors drop punctuation and code marks, keep underscores, and join with hyphens."""
    assert slug("Rule sets (`config/rules/`)") == "rule-sets-configrules"
    assert slug("Role × action, as the code checks it today") == (
        "role--action-as-the-code-checks-it-today"
    )
    assert slug("Metrics contract (prefix `bridge_`)") == "metrics-contract-prefix-bridge_"


def test_broken_and_escaping_links_are_reported() -> None:
    """A missing file, a missing anchor and a path out of the repository are each reported."""
    source = ROOT / "docs" / "README.md"
    assert list(problems_of_link(source, "https://example.org/x")) == []
    assert list(problems_of_link(source, "design.md")) == []
    assert "no such file" in next(problems_of_link(source, "no-such-page.md"))
    assert "no heading" in next(problems_of_link(source, "design.md#no-such-heading"))
    assert "outside the repository" in next(problems_of_link(source, "../../elsewhere.md"))


# ---- the code cites the docs/ copies -----------------------------------------------------------

CITING_DIRS = ("bridge", "tests", "config", "deploy")
_CITATION = re.compile(r"[\w./-]*\b(?:design|regulation)\.md\b", re.IGNORECASE)
_ALLOWED = ("docs/design.md", "docs/regulation.md")


def citations(text: str) -> Iterator[tuple[int, str]]:
    """(line number, cited path) of every design/regulation page cited by a name other than
    its place in the repository."""
    for number, line in enumerate(text.splitlines(), 1):
        for match in _CITATION.finditer(line):
            if not match.group(0).endswith(_ALLOWED):
                yield number, match.group(0)


def test_citations_are_recognised() -> None:
    """Bare or shared/ names are reported; docs/design.md and docs/regulation.md are not."""
    text = "see DESIGN.md\nshared/REGULATION.md §2\ndocs/design.md and docs/regulation.md §3\n"
    assert list(citations(text)) == [(1, "DESIGN.md"), (2, "shared/REGULATION.md")]


def test_code_cites_the_docs_copies() -> None:
    """Code, tests, config and deploy files cite docs/design.md and docs/regulation.md only."""
    this = Path(__file__).resolve()
    found = []
    for folder in CITING_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or path.resolve() == this or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # binary files cite nothing
            found += [f"{path.relative_to(ROOT)}:{n}: {cited}" for n, cited in citations(text)]
    assert not found, "cite docs/design.md or docs/regulation.md instead:\n" + "\n".join(found)
