"""Issue 21, Seen 5-7: a training that leaves children holding its output, reads stdin, is
cancelled with the job, or prints one enormous line.

mlgate runs as a separate process here (`python -m mlgate.cli`), its output going to files and
its stdin a pipe kept open (a runner's stdin): a hang then fails the test at the deadline
instead of hanging the suite. Each leftover child writes its pid to a file; the test asserts it
is gone, and kills it if mlgate did not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlgate.github.bundle import REPORT_LIMIT, load_bundle
from tests.conftest import Repo
from tests.integration.test_input_security import pr  # noqa: F401  (fixture)

DEADLINE = 90.0  # mlgate's own waits: 2 s grace, 3 s between SIGTERM and SIGKILL; imports


@dataclass
class Ran:
    code: int
    seconds: float
    err: str
    report: str


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


@pytest.fixture
def leftovers(pr: Repo) -> Iterator[None]:
    """Pids the training wrote to `*.pid`: killed at the end if mlgate left them running."""
    yield
    for file in pr.path.glob("*.pid"):
        pid = int(file.read_text().split()[0])
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def mlgate(
    repo: Repo,
    *args: str,
    env: dict[str, str] | None = None,
    on_start: str | None = None,
    send: int | None = None,
) -> Ran:
    """`mlgate report --base main ARGS` in a fresh interpreter; `send` a signal once the file
    `on_start` exists (the training started)."""
    out, err = repo.path.parent / "mlgate.out", repo.path.parent / "mlgate.err"
    started = time.monotonic()
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlgate.cli", "report", "--base", "main", *args],
            cwd=repo.path,
            stdin=subprocess.PIPE,  # open and never written: a training reading it would wait
            stdout=o,
            stderr=e,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        try:
            if on_start is not None:
                while not (repo.path / on_start).exists():
                    assert time.monotonic() - started < DEADLINE, "the training never started"
                    time.sleep(0.1)
                assert send is not None
                proc.send_signal(send)
            code = proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"mlgate did not return within {DEADLINE:.0f} s: {err.read_text()}")
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
    report = repo.path / "mlgate-report" / "report.md"
    text = report.read_text() if report.is_file() else ""
    return Ran(code, time.monotonic() - started, err.read_text(), text)


def _pids(repo: Repo) -> list[int]:
    return [int(p.read_text().split()[0]) for p in sorted(repo.path.glob("*.pid"))]


# Seen 5: a child left holding the output pipe (or running after the command ends) -------------
CHILDREN = {
    "background": "sleep 300 & echo $! > bg.pid; echo trained",
    "nohup": "nohup sleep 301 & echo $! > nohup.pid; echo trained",
    "setsid": "setsid sleep 302 & echo $! > setsid.pid; echo trained",
    "double-fork": "( sleep 303 & echo $! > fork.pid ) & echo trained",
    "python-daemon": (
        f'{sys.executable} -c "import os,time\n'
        "if os.fork(): os._exit(0)\n"
        "os.setsid()\n"
        "if os.fork(): os._exit(0)\n"
        "open('daemon.pid','w').write(str(os.getpid()))\n"
        'time.sleep(304)"; echo trained'
    ),
    "stderr-only": "sleep 305 >/dev/null & echo $! > stderr.pid; echo trained",
    "detached-silent": (
        "setsid sleep 306 >/dev/null 2>&1 </dev/null & echo $! > silent.pid; echo trained"
    ),
}


@pytest.mark.parametrize("how", list(CHILDREN))
def test_a_child_left_running_neither_hangs_the_job_nor_outlives_it(
    pr: Repo, leftovers: None, how: str
) -> None:
    ran = mlgate(pr, "--command", CHILDREN[how])
    assert ran.code == 0, ran.err
    assert ran.seconds < 30
    pids = _pids(pr)
    assert pids, "the training wrote no pid"
    time.sleep(0.2)
    assert not [p for p in pids if _alive(p)], "a process the training started is still running"
    assert "left processes running" in ran.report
    assert "killed" in ran.report


def test_a_child_holding_the_output_is_killed_at_the_time_limit(pr: Repo, leftovers: None) -> None:
    ran = mlgate(
        pr,
        "--timeout-minutes",
        "0.02",
        "--command",
        "echo $$ > sh.pid; setsid sleep 307 & echo $! > late.pid; "
        "sleep 308 & echo $! > l.pid; wait",
    )
    assert ran.code == 1, ran.err
    assert ran.seconds < 30
    assert "stopped after 0.02 minutes (timeout-minutes)" in ran.report
    assert not [p for p in _pids(pr) if _alive(p)]


@pytest.mark.parametrize(
    "command",
    [
        "cat > /dev/null; echo read-all",
        "read line; echo got: $line",
        f'{sys.executable} -c "import sys; print(len(sys.stdin.read()))"',
    ],
    ids=["cat", "read", "python"],
)
def test_a_training_reading_stdin_gets_end_of_file(pr: Repo, command: str) -> None:
    ran = mlgate(pr, "--command", command)
    assert ran.code == 0, ran.err
    assert ran.seconds < 30


# Seen 6: the job cancelled while the training runs ---------------------------------------------
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_cancelled_job_stops_the_training_and_says_so(
    pr: Repo, leftovers: None, tmp_path: Path, sig: int, code: int
) -> None:
    summary = tmp_path / "summary.md"
    ran = mlgate(
        pr,
        "--command",
        "echo epoch 1; echo $$ > sh.pid; sleep 309 & echo $! > child.pid; "
        "setsid sleep 310 & echo $! > s.pid; touch started; sleep 311 & echo $! > last.pid; wait",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
        on_start="started",
        send=sig,
    )
    assert ran.code == code, ran.err
    assert ran.seconds < 30
    assert not [p for p in _pids(pr) if _alive(p)]
    assert "training interrupted" in ran.report
    assert "epoch 1" in ran.report  # what the training printed before
    result = json.loads((pr.path / "mlgate-report" / "result.json").read_text())
    assert result["passed"] is False
    assert "training interrupted" in summary.read_text()
    assert "Traceback" not in ran.err


# Seen 7: one enormous line ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "script",
    [
        "sys.stdout.write('x' * 20_000_000)",  # no newline at all
        "print('y' * 9_000_000); print('done')",
        "[print(str(i) * 5_000) for i in range(200)]",  # many long lines
        "sys.stdout.write(('p' * 300_000 + '\\r') * 30)",  # progress bars: CR, no newline
    ],
    ids=["no-newline", "one-line", "many-long-lines", "carriage-returns"],
)
def test_a_huge_output_line_is_cut_in_the_report_and_the_bundle_stays_publishable(
    pr: Repo, script: str
) -> None:
    ran = mlgate(pr, "--command", f'{sys.executable} -c "import sys; {script}"')
    assert ran.code == 0, ran.err
    assert len(ran.report) < 60_000
    assert len(ran.err) < 5_000_000  # the log gets each line cut too
    load_bundle(pr.path / "mlgate-report", hostile=True)  # under REPORT_LIMIT: published
    assert (pr.path / "mlgate-report" / "report.md").stat().st_size < REPORT_LIMIT
