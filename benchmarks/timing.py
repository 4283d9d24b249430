"""Timing side by side, shared by the benchmarks: medians of interleaved runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SCALE_RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # the 100k case takes seconds per command
ENV = {
    **os.environ,
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


def median_interleaved(
    cmds: dict[str, list[str]], cwd: Path | None = None, runs: int = RUNS
) -> dict[str, float]:
    """Alternate the commands run by run so that machine noise hits them alike."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for c in cmds.values():  # warm-up: file cache, .pyc
        timed(c, cwd)
    for _ in range(runs):
        for k, c in cmds.items():
            times[k].append(timed(c, cwd))
    return {k: statistics.median(v) for k, v in times.items()}
