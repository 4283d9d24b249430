"""Timing side by side, shared by the benchmarks: medians of interleaved runs."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SCALE_RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # the 100k case takes seconds per command
ENV = {
    # bytecode cached as an install has it (pip compiles at install): an environment that sets
    # PYTHONDONTWRITEBYTECODE would have an editable mlgate compiled from source on every run
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "DVC_NO_ANALYTICS": "1",
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@b",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@b",
}


def timed(cmd: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def cpu_timed(cmd: list[str], cwd: Path | None = None) -> float:
    """The CPU seconds (user + system) the command and its children used: on a machine other
    jobs load, it moves much less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, env=ENV, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def median_interleaved(
    cmds: dict[str, list[str]],
    cwd: Path | None = None,
    runs: int = RUNS,
    measure: Callable[[list[str], Path | None], float] = timed,
) -> dict[str, float]:
    """Alternate the commands run by run so that machine noise hits them alike."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for c in cmds.values():  # warm-up: file cache, .pyc
        measure(c, cwd)
    for _ in range(runs):
        for k, c in cmds.items():
            times[k].append(measure(c, cwd))
    return {k: statistics.median(v) for k, v in times.items()}
