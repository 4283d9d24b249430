"""The report of a run that a signal stopped (`mlgate.interrupt`): what was known when it came.
Pure, and light to import: it is written while the runner waits to kill the job."""

from __future__ import annotations

from mlgate.interrupt import Interrupted
from mlgate.render.escape import md


def markdown(exc: Interrupted) -> str:
    """The report of an interrupted run: what was known when the signal came. Pure."""
    what = "training interrupted" if exc.command is not None else "interrupted"
    lines = [
        f"## ❌ mlgate: {what} ({exc.name})",
        "",
        f"The job was cancelled ({exc.name}) before mlgate could compare the results, so no "
        "gate was judged. The training's processes were stopped.",
    ]
    if exc.command is not None:
        output = exc.output.replace("```", "'''")
        lines += [
            "",
            f"<details><summary>Training output (last lines): {md(exc.command)}</summary>",
            "",
            f"```text\n{output}\n```",
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"
