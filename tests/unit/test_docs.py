"""The README and docs/ as users read them (issue 25, item 1): the README starts with the two
commands that set up a checkout, its `.mlgate.yml` examples parse, and every relative link in
the README and docs/ leads to a file (and heading) that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlgate.config import load_config

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_the_readme_starts_with_make_demo_and_make_test() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[2] == "```sh" and lines[5] == "```"
    assert lines[3].startswith("make demo ") and lines[4].startswith("make test ")


def test_the_readme_is_for_users_and_short() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 260


def test_the_readmes_mlgate_yml_examples_parse() -> None:
    """Every `.mlgate.yml` the README shows is one the parser accepts (users copy them)."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    configs = [b for b in blocks if re.search(r"^gates:", b, flags=re.M)]
    assert len(configs) == 2  # the essentials and CML's starter
    for block in configs:
        assert load_config(block, ".mlgate.yml").gates, block


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    text = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", page.read_text(), flags=re.S))
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        headings = anchors(file.read_text()) if file.suffix == ".md" and file.exists() else set()
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in headings):
            broken.append(target)
    assert broken == []
