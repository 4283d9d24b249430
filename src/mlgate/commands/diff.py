"""`mlgate diff`: workspace vs base, like `dvc metrics diff` (and `dvc params diff`)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from mlgate.compare import to_dvc_json
from mlgate.errors import EXIT_OK
from mlgate.gather import gather
from mlgate.hosts import in_ci
from mlgate.log import Log
from mlgate.metrics import format_value
from mlgate.render.escape import md
from mlgate.render.table import github_table, plain_table
from mlgate.settings import Settings
from mlgate.sources.git import Git

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def plain(value: object) -> str:
    """A cell of the plain table: names come from the PR, so no control character (a newline
    would start a line of its own) reaches the terminal or the runner's log."""
    return _CONTROL.sub(" ", str(value))


def safe_lines(text: str) -> str:
    """No printed line may start a workflow command (`::error::...`): the runner obeys those."""
    return "\n".join(
        ":\u200b" + line[1:] if line.startswith("::") else line for line in text.split("\n")
    )


def _json_default(value: Any) -> Any:
    return str(value)


def _dvc_json(obj: Any) -> str:
    # DVC prints NaN as a bare `NaN` (Python's json default); keep that for agreement.
    return json.dumps(obj, default=_json_default)


def _print_json(result: Any, log: Log, *, include_unchanged: bool) -> None:
    """As `dvc metrics diff --json`: the JSON on stdout, what could not be read on stderr (an
    unreadable base value shows as `"old": null`, never silently)."""
    for side, errors in (("base", result.base_errors), ("head", result.head_errors)):
        for path, why in errors.items():
            log.warning(f"{side} value unavailable for {path}: {why}")
    print(_dvc_json(to_dvc_json(result, include_unchanged=include_unchanged)))


def main(
    settings: Settings,
    log: Log,
    *,
    root: Path,
    fmt: str = "table",
    include_unchanged: bool = False,
    params: bool = False,
) -> int:
    g = gather(settings, Git(root, log), root=root, log=log, local=not in_ci(os.environ))
    result = g.params if params else g.metrics
    if fmt == "json":
        _print_json(result, log, include_unchanged=include_unchanged)
        return EXIT_OK
    changes = [c for c in result.changes if include_unchanged or c.status != "unchanged"]
    what = "Param" if params else "Metric"
    base = g.base_ref
    if fmt == "md":
        rows = [
            [
                md(c.path),
                md(c.key),
                md(format_value(c.old)),
                md(format_value(c.new)),
                md(format_value(c.diff) if c.diff is not None else "-"),
            ]
            for c in changes
        ]
        print(github_table(rows, ["Path", what, md(base), "workspace", "Change"]))
    else:
        rows = [
            [
                plain(c.path),
                plain(c.key),
                plain(format_value(c.old)),
                plain(format_value(c.new)),
                format_value(c.diff) if c.diff is not None else "-",
            ]
            for c in changes
        ]
        if rows:
            table = plain_table(rows, ["Path", what, plain(base), "workspace", "Change"])
            print(safe_lines(table))
        else:
            print(f"no {what.lower()} changes against {base}")
    for path, why in sorted({**g.metrics.base_errors}.items()) if not params else []:
        log(f"warning: base value unavailable for {path}: {why}")
    return EXIT_OK
