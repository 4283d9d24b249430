"""Run the training/evaluation step before reporting: `dvc repro` (with the run-cache) or the
user's command. A failing step is a result (exit code and output tail in the report)."""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlgate import proc, trainenv
from mlgate import redact as redact_mod
from mlgate.errors import UsageError
from mlgate.interrupt import Interrupted
from mlgate.log import Log
from mlgate.redact import Redactor
from mlgate.report import Training
from mlgate.settings import Settings
from mlgate.sources import dvc

_RAN = re.compile(r"Running stage '([^']+)'")
# DVC's own words (dvc/stage/cache.py, dvc/stage/__init__.py): a stage whose deps and params
# match an earlier run is restored from the run-cache; one that did not change is skipped. A
# `.dvc` file from `dvc add` is data, not a stage ("'data.dvc' didn't change, skipping").
_RESTORED = re.compile(r"Stage '([^']+)' is cached - skipping run")
_UNCHANGED = re.compile(
    r"Stage '([^']+)' didn't change, skipping|Pulling data for stage: '([^']+)'"
)


def classify_stages(output: str) -> tuple[list[str], list[str], list[str]]:
    """(ran, restored from the run-cache, unchanged) from `dvc repro`'s output, each once."""
    ran = list(dict.fromkeys(_RAN.findall(output)))
    restored = [s for s in dict.fromkeys(_RESTORED.findall(output)) if s not in ran]
    found = (a or b for a, b in _UNCHANGED.findall(output))
    unchanged = [
        s
        for s in dict.fromkeys(found)
        if s not in ran and s not in restored and not s.endswith(".dvc")
    ]
    return ran, restored, unchanged


def dvc_command() -> list[str]:
    """`dvc` from this interpreter's environment, so the action's pinned DVC is the one used."""
    exe = Path(sys.executable).with_name("dvc")
    return [str(exe)] if exe.exists() else ["dvc"]


def stage_durations(lines: list[tuple[float, str]], end: float) -> dict[str, float]:
    """Seconds per stage that ran: from its `Running stage` line to the next stage's, or the end."""
    starts = [(t, m.group(1)) for t, line in lines if (m := _RAN.search(line))]
    out: dict[str, float] = {}
    for i, (t, name) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else end
        out[name] = out.get(name, 0.0) + max(0.0, stop - t)
    return out


STAGE_LINES = 10_000  # `dvc repro` lines naming stages, kept for the stage table


@dataclass
class Output:
    """What a command printed, as the log and the report get it: each line redacted (secrets
    of the environment, credential shapes, `password=...`, private key blocks across lines),
    and the lines naming DVC stages with the time each was seen (for the stage table)."""

    redact: Redactor
    log: Log
    stage_lines: list[tuple[float, str]] = field(default_factory=list)
    lines: redact_mod.LineRedactor = field(init=False)

    def __post_init__(self) -> None:
        self.lines = redact_mod.LineRedactor(self.redact)

    def __call__(self, line: str) -> str:
        line = self.lines(line)
        self.log(line)
        if len(self.stage_lines) < STAGE_LINES and _is_stage_line(line):
            self.stage_lines.append((time.monotonic(), line))
        return line


def _is_stage_line(line: str) -> bool:
    return "tage" in line and any(p.search(line) for p in (_RAN, _RESTORED, _UNCHANGED))


def _run(
    cmd: list[str] | str,
    root: Path,
    log: Log,
    *,
    shell: bool = False,
    timeout: float | None = None,
    output: Output,
) -> proc.Finished:
    """Run through mlgate's one process runner (`mlgate.proc`), the output streamed to the log
    with secrets redacted. On SIGTERM/SIGINT, `Interrupted` carries the command and its tail."""
    shown = cmd if isinstance(cmd, str) else shlex.join(cmd)
    out = output
    log(out.redact(f"$ {shown}"))
    try:
        return proc.run(
            cmd,
            cwd=root,
            on_line=out,
            shell=shell,
            timeout=timeout,
            env=trainenv.training_environ(os.environ),  # the training's own environment first
            on_quiet=log.still_running(out.redact(shown)),
        )
    except Interrupted as exc:
        raise Interrupted(exc.signum, exc.output, out.redact(shown)) from exc


def run_training(settings: Settings, *, root: Path, log: Log) -> Training:
    started = time.monotonic()
    limit = settings.timeout_minutes * 60 if settings.timeout_minutes else None
    out = Output(redact_mod.from_environ(os.environ, extra=[settings.github_token]), log)
    if settings.run:
        command = settings.run
        with log.group(f"Training: {command}") as phase:
            # `run:` is the user's own command line, run by a shell as a workflow step would be
            done = _run(command, root, log, shell=True, timeout=limit, output=out)  # noqa: S604
            phase.done(f"exit code {done.code}")
        return Training(
            command=command,
            exit_code=done.code,
            seconds=time.monotonic() - started,
            output_tail=done.tail,
        )
    if not (root / "dvc.yaml").is_file():
        raise UsageError(
            "nothing to run: no dvc.yaml in the repository and no command given "
            "(set input `run` or pass --command)"
        )
    base = dvc_command()
    with log.group("Training: dvc repro") as phase:
        fetch = [*base, "fetch", "--run-cache"]
        if dvc.has_remote(root) and _run(fetch, root, log, output=out).code != 0:
            log.warning("could not fetch the run-cache from the DVC remote; stages may re-run")
        out.stage_lines.clear()
        done = _run(
            [*base, "repro", "--pull"] if dvc.has_remote(root) else [*base, "repro"],
            root,
            log,
            timeout=limit,
            output=out,
        )
        durations = stage_durations(out.stage_lines, time.monotonic())
        ran, cached, unchanged = classify_stages("\n".join(line for _t, line in out.stage_lines))
        seconds = time.monotonic() - started
        ran_text = ", ".join(f"{n} ({durations.get(n, 0.0):.1f} s)" for n in ran) or "none"
        phase.done(
            f"exit code {done.code}; stages run: {ran_text}; restored from the run-cache: "
            f"{', '.join(cached) or 'none'}; unchanged: {', '.join(unchanged) or 'none'}"
        )
        push = [*base, "push", "--run-cache"]
        wanted = done.code == 0 and settings.push and dvc.has_remote(root)
        if wanted and _run(push, root, log, output=out).code != 0:
            log.warning("dvc push failed; the next run will retrain what this one trained")
    return Training(
        command="dvc repro",
        exit_code=done.code,
        ran=tuple(ran),
        cached=tuple(cached),
        unchanged=tuple(unchanged),
        durations=durations,
        seconds=seconds,
        output_tail=done.tail,
    )
