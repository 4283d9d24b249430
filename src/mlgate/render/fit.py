"""Fit a report into a size budget (a PR comment holds at most 65,536 characters). Pure.

The verdict, the marker and the gates stay; the longest other sections are cut (whole lines,
so tables stay tables; open `<details>` and code fences are closed) until the text fits, and a
line points to the full report.
"""

from __future__ import annotations

COMMENT_LIMIT = 65_536
CHECK_RUN_LIMIT = 65_535
_KEEP = ("### Gates",)
_MIN_LINES = 6


def _close(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    extra = []
    if text.count("```") % 2:
        extra.append("```")
    opened = text.count("<details") - text.count("</details>")
    extra += ["", "</details>"] * max(opened, 0)
    return lines + extra


def _cut(section: str, keep_lines: int) -> str:
    lines = section.split("\n")
    if len(lines) <= keep_lines:
        return section
    kept = lines[:keep_lines]
    cut = len(lines) - keep_lines
    return "\n".join([*_close(kept), "", f"*…{cut} more lines cut to fit the comment.*", ""])


def fit(markdown: str, limit: int = COMMENT_LIMIT, full_report: str | None = None) -> str:
    if len(markdown) <= limit:
        return markdown
    where = f" Full report: {full_report}" if full_report else ""
    note = f"\n> ✂️ Shortened to fit the {limit:,}-character limit of a comment.{where}\n"
    head, *rest = markdown.split("\n### ")
    sections = ["### " + s for s in rest]
    budget = limit - len(note) - 64
    for _ in range(200):
        size = len(head) + sum(len(s) + 1 for s in sections)
        if size <= budget:
            break
        if not sections:
            break
        movable = [i for i, s in enumerate(sections) if not s.startswith(_KEEP)]
        if not movable or all(s.count("\n") <= _MIN_LINES for s in (sections[i] for i in movable)):
            movable = list(range(len(sections)))  # even the gates must give way
        i = max(movable, key=lambda k: len(sections[k]))
        lines = sections[i].count("\n") + 1
        if lines <= _MIN_LINES:
            sections[i] = sections[i][: max(0, len(sections[i]) - (size - budget))]
            continue
        sections[i] = _cut(sections[i], max(_MIN_LINES, lines // 2))
    text = "\n".join([head, *sections])
    if len(text) > budget:  # a single enormous line: hard cut
        text = text[:budget]
    return text.rstrip() + "\n" + note
