"""Shared by the second round's attack tests: `mlgate report` in a fresh interpreter with a
deadline and an address-space limit, so a hang or a blow-up fails the test, not the machine."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest

from tests.conftest import Repo

DEADLINE = 120.0
MEMORY = 3 * 1024**3  # for the mlgate process: a blow-up stops here, not at the OOM killer


def _limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def report(
    repo: Repo, *extra: str, deadline: float = DEADLINE, env: dict[str, str] | None = None
) -> tuple[int, str, str, float]:
    """(exit code, report.md, stderr, seconds) of `mlgate report --base main EXTRA`."""
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mlgate.cli", "report", "--base", "main", *extra],
            cwd=repo.path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=deadline,
            preexec_fn=_limit,  # no threads in the child before exec
            check=False,
            env={**os.environ, "GITHUB_REPOSITORY": "octo-org/octo-repo", **(env or {})},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"mlgate did not return within {deadline:.0f} s")
    text = (repo.path / "mlgate-report" / "report.md").read_text()
    return proc.returncode, text, proc.stderr, time.monotonic() - started
