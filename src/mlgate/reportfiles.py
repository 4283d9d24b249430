"""What `mlgate report` and `mlgate run` write: the produced report, its files (report.md,
result.json, the full table, report.html) and the job summary's text, secrets redacted."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate import outdir
from mlgate import redact as redact_mod
from mlgate.gather import Gathered
from mlgate.limits import SUMMARY_LIMIT
from mlgate.render import metrictables
from mlgate.render.html import page
from mlgate.report import Report

_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


@dataclass(frozen=True)
class Produced:
    report: Report
    markdown: str
    result: dict[str, Any]
    gathered: Gathered
    out_dir: Path
    mermaid_markdown: str | None = None  # the same report with inline charts, no images
    # Every metric value and changed param (`all-metrics.md`); `hidden_rows` of them are not in
    # the comment, which then says the full table is in the job summary: see `summary_markdown`.
    full_table: str = ""
    hidden_rows: int = 0
    # the inline-chart variant drawn only when asked (an image upload failed): `plots: assets`
    # draws each chart once, not twice, when the run publishes itself
    inline_later: Callable[[], str] | None = field(default=None, compare=False, repr=False)


def summary_markdown(produced: Produced, markdown_text: str, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary: the comment's Markdown, then, when the comment leaves rows out, the full
    table, cut at whole rows to fit GitHub's 1 MiB (the rest is in `all-metrics.md`)."""
    if not produced.hidden_rows or not produced.full_table:
        return markdown_text
    head = markdown_text.rstrip("\n") + "\n\n"
    more = (
        f"\n\n*…{{}} more rows cut to fit the job summary: every row is in "
        f"`{metrictables.FULL_TABLE_FILE}` of the report artifact.*\n"
    )
    budget = limit - len(head.encode()) - len(more.encode()) - 64
    full = produced.full_table
    if len(full.encode()) <= budget:
        return head + full
    lines = full.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line.encode()) + 1
        if size > budget:
            break
        kept.append(line)
    cut = sum(1 for line in lines[len(kept) :] if line.startswith("| "))
    return head + "\n".join(kept) + more.format(f"{cut:,}")


def redact_result(value: Any, redact: Callable[[str], str], secrets: Sequence[str]) -> Any:
    """`redact_json(value, redact)`, skipped when nothing to redact occurs in the document's JSON
    text (a walk of 100,000 metrics costs a second). Without `ensure_ascii`, JSON escapes only
    quotes, backslashes and control characters: a secret with one of those takes the walk."""
    # no shortcut for "no secrets": credential-shaped text is redacted whatever the environment
    if not any(_JSON_ESCAPED.search(s) for s in secrets):
        text = json.dumps(value, default=str, ensure_ascii=False)
        if redact(text) == text:
            return value
    return redact_mod.redact_json(value, redact)


def write(produced: Produced) -> Path:
    """Write the report where nothing can lose it: disk first, before any network call."""
    out = produced.out_dir
    path = outdir.write_text(out, "report.md", produced.markdown)
    outdir.write_text(out, "result.json", result_text(produced.result))
    outdir.write_text(out, metrictables.FULL_TABLE_FILE, produced.full_table)
    if produced.mermaid_markdown:
        outdir.write_text(out, "report.mermaid.md", produced.mermaid_markdown)
    outdir.write_text(out, "report.html", page(produced.markdown, produced.report.title))
    return path


def result_text(result: dict[str, Any]) -> str:
    """result.json, indented for a reader down to one line per list item: `indent=2` throughout
    takes json's pure-Python encoder (2.6 s for 100,000 metrics); this is its C encoder."""
    lines = ["{"]
    items = list(result.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        name = json.dumps(key)
        if isinstance(value, list) and value:
            lines.append(f"  {name}: [")
            lines.append(",\n".join("    " + json.dumps(v) for v in value))
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {name}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
