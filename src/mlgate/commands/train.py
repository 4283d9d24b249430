"""Run the training/evaluation step before reporting: `dvc repro` (with the run-cache) or the
user's command. A failing step is a result (exit code and output tail in the report)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mlgate import trainenv
from mlgate.errors import UsageError
from mlgate.log import Log
from mlgate.report import Training
from mlgate.settings import Settings

TAIL_LINES = 40
TIMEOUT_EXIT = 124  # what `timeout(1)` returns for a command it stopped
KILL_GRACE_SECONDS = 5.0
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


def _run(
    cmd: list[str] | str,
    root: Path,
    log: Log,
    *,
    shell: bool = False,
    timeout: float | None = None,
) -> tuple[int, str]:
    code, lines = _run_timed(cmd, root, log, shell=shell, timeout=timeout)
    return code, "\n".join(line for _t, line in lines)


def _kill_group(proc: subprocess.Popen[str], fired: threading.Event) -> None:
    """The whole process group: a shell's children (and theirs) hold the output pipe open."""
    fired.set()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            # the leader is gone; children that ignored SIGTERM still hold the pipe
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        return


def _run_timed(
    cmd: list[str] | str,
    root: Path,
    log: Log,
    *,
    shell: bool = False,
    timeout: float | None = None,
) -> tuple[int, list[tuple[float, str]]]:
    """Run, streaming output to the log; past `timeout` seconds the process group is killed and
    the exit code is TIMEOUT_EXIT (as `timeout(1)` reports it), with a last line saying why."""
    log(f"$ {cmd if isinstance(cmd, str) else shlex.join(cmd)}")
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        shell=shell,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env={**trainenv.training_environ(os.environ), "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its own process group, so a timeout can stop all of it
    )
    fired = threading.Event()
    timer = None
    if timeout is not None:
        timer = threading.Timer(timeout, _kill_group, (proc, fired))
        timer.daemon = True
        timer.start()
    lines: list[tuple[float, str]] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            log(line.rstrip("\n"))
            lines.append((time.monotonic(), line.rstrip("\n")))
        code = proc.wait()
    finally:
        if timer is not None:
            timer.cancel()
    if fired.is_set():
        minutes = (timeout or 0) / 60
        why = f"mlgate: stopped after {minutes:g} minutes (timeout-minutes); process group killed"
        log(why)
        lines.append((time.monotonic(), why))
        code = TIMEOUT_EXIT
    return code, lines


def run_training(settings: Settings, *, root: Path, log: Log) -> Training:
    from mlgate.sources import dvc

    started = time.monotonic()
    limit = settings.timeout_minutes * 60 if settings.timeout_minutes else None
    if settings.run:
        command = settings.run
        with log.group(f"Training: {command}"):
            # `run:` is the user's own command line, run by a shell as a workflow step would be
            code, output = _run(command, root, log, shell=True, timeout=limit)  # noqa: S604
        return Training(
            command=command,
            exit_code=code,
            seconds=time.monotonic() - started,
            output_tail="\n".join(output.splitlines()[-TAIL_LINES:]),
        )
    if not (root / "dvc.yaml").is_file():
        raise UsageError(
            "nothing to run: no dvc.yaml in the repository and no command given "
            "(set input `run` or pass --command)"
        )
    base = dvc_command()
    with log.group("Training: dvc repro"):
        if dvc.has_remote(root):
            code, _ = _run([*base, "fetch", "--run-cache"], root, log)
            if code != 0:
                log.warning("could not fetch the run-cache from the DVC remote; stages may re-run")
        code, timed = _run_timed(
            [*base, "repro", "--pull"] if dvc.has_remote(root) else [*base, "repro"],
            root,
            log,
            timeout=limit,
        )
        output = "\n".join(line for _t, line in timed)
        durations = stage_durations(timed, time.monotonic())
        ran, cached, unchanged = classify_stages(output)
        seconds = time.monotonic() - started
        ran_text = ", ".join(f"{n} ({durations.get(n, 0.0):.1f} s)" for n in ran) or "none"
        log(
            f"stages run: {ran_text}; restored from the run-cache: {', '.join(cached) or 'none'}"
            f"; unchanged: {', '.join(unchanged) or 'none'}; {seconds:.1f} s"
        )
        if code == 0 and settings.push and dvc.has_remote(root):
            push_code, _ = _run([*base, "push", "--run-cache"], root, log)
            if push_code != 0:
                log.warning("dvc push failed; the next run will retrain what this one trained")
    return Training(
        command="dvc repro",
        exit_code=code,
        ran=tuple(ran),
        cached=tuple(cached),
        unchanged=tuple(unchanged),
        durations=durations,
        seconds=seconds,
        output_tail="\n".join(output.splitlines()[-TAIL_LINES:]),
    )
