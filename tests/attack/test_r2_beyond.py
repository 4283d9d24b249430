"""Issue 21, "then attack your finished work": cases beyond the issue's list, found by attacking
the round's own fixes. Ten were open and each test failed on the branch before its fix:

1. a backslash-escaped scheme (`https\\://`) passed the sanitizer as a relative link;
2. a link label with nested brackets escaped the link parser (a protocol-relative link stayed);
3. a cross-repository reference (`org/repo#12`) posts a backlink in someone else's repository;
4. a line starting with `/approve` in a GitLab note is a quick action run with mlgate's token;
5. image names on the assets branch came from file names a training can choose (a token);
6. mlgate's own log lines printed names from the PR unredacted (a metric named like a secret);
7. a sparse 20 GB metrics file was read whole;
8. a job cancelled while a template renders left the render child running;
9. a second signal while the training's processes were being killed cut the killing short;
10. `run:` on `issue_comment` (a ChatOps command) runs the PR's code with a write token.

Three more held already and stay as guards: a nested label around an `https` link, a sparse
3.9 GB data file, and a child forking as it is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mlgate import interrupt
from mlgate.render import isolated
from tests.attack.r2 import report
from tests.attack.test_r2_processes import _alive, _pids, leftovers, mlgate, pr  # noqa: F401
from tests.attack.test_r2_templates import FAILING, _with_template, worse  # noqa: F401
from tests.conftest import Repo
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    github,
    head,
    project,
    runner,
)
from tests.integration.test_gitlab import Pipeline, gitlab, pipeline  # noqa: F401


@pytest.mark.parametrize(
    ("snippet", "forbidden"),
    [
        ("[Approve](https\\://evil.example/login)", "](https\\://evil"),
        ("[a [b] c](//evil.example/x)", "](//evil"),
        ("[a [b] c](https://evil.example/x)", "](https://evil"),
        ("see other-org/other-repo#12", "other-repo#12"),
    ],
    ids=["escaped-scheme", "nested-protocol-relative", "nested-https", "cross-reference"],
)
def test_template_links_that_escaped_the_first_sanitizer(
    worse: Repo, snippet: str, forbidden: str
) -> None:
    _with_template(worse, snippet + "\n")
    code, text, err, _ = report(worse)
    assert code == 1, err
    assert forbidden not in text


def test_a_template_cannot_run_gitlab_quick_actions(pipeline: Pipeline) -> None:
    repo = pipeline.repo
    repo.write("ci/report.md.j2", "/approve\n/merge\n  /label ~shipped\n> /close\n")
    repo.write(".mlgate.yml", "template: ci/report.md.j2\ngates:\n  - metric: acc\n")
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    [note] = pipeline.state.notes[7]
    for line in note["body"].splitlines():
        assert not line.lstrip(" >\t").startswith("/"), line


def test_asset_names_never_carry_a_name_from_the_pr(runner: Runner) -> None:
    body = "Zq8Xw2Vb7Nm4Kp1Lr6Ts3Yu9Hj5Gf0Dc2Ea8Ix"
    secret = f"ghp_{body}"
    runner.monkeypatch.setenv("MODEL_REGISTRY_TOKEN", secret)
    # the training knows the secret and names a plot with it (its slug turns `_` into `-`)
    runner.repo.write(f"{secret}.csv", "epoch,loss\n0,1\n1,0.5\n")
    runner.repo.write(
        "dvc.yaml", f"metrics:\n  - metrics.json\nplots:\n  - {secret}.csv:\n      x: epoch\n"
    )
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    paths = [e["path"] for tree in runner.github.state.trees.values() for e in tree]
    assert paths and not any(body[:20].lower() in p.lower() for p in paths), paths


def test_mlgate_own_log_lines_are_redacted(
    repo: Repo, cli: Any, chdir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "hunter2-deploy-value"
    repo.write("metrics.json", {"acc": 0.9, secret: 0.5})
    repo.write(
        ".mlgate.yml", "metrics: [metrics.json]\ngates:\n  - metric: '*'\n    direction: higher\n"
    )
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("metrics.json", {"acc": 0.91, secret: 0.4})
    monkeypatch.setenv("DEPLOY_TOKEN", secret)
    chdir(repo.path)
    res = cli("report", "--base", "main")
    assert res.code == 1
    assert secret not in res.err + res.out
    assert "***" in res.err


def test_a_sparse_giant_metrics_file_is_refused_at_once(worse: Repo) -> None:
    worse.commit("pr")
    with (worse.path / "metrics.json").open("r+b") as fh:
        fh.truncate(20 * 1024**3)
    code, text, err, seconds = report(worse)
    assert seconds < 40, err
    assert code == 1
    assert "over the 104857600 byte limit" in text


def test_a_sparse_giant_data_file_is_refused_at_once(worse: Repo) -> None:
    worse.write("data.csv", "a,b\n1,2\n")
    worse.write(".mlgate.yml", "metrics: [metrics.json]\ndata:\n  - path: data.csv\n" + FAILING)
    worse.commit("data")
    worse.git("checkout", "--quiet", "main")
    worse.git("merge", "--quiet", "pr")
    worse.git("checkout", "--quiet", "pr")
    with (worse.path / "data.csv").open("r+b") as fh:
        fh.truncate(3_900 * 1024**2)
    _code, text, err, seconds = report(worse)
    assert seconds < 40, err
    assert "a line of more than 1 MiB" in text


def test_a_cancelled_render_leaves_no_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"

    def forever() -> str:
        pid_file.write_text(str(os.getpid()))
        while True:
            time.sleep(1)

    def cancel() -> None:
        while not pid_file.exists():
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=cancel, daemon=True).start()
    with interrupt.handled(), pytest.raises(interrupt.Interrupted):
        isolated.run(forever)
    pid = int(pid_file.read_text())
    time.sleep(0.2)
    assert not _alive(pid)


def test_a_second_signal_does_not_cut_the_killing_short(pr: Repo, leftovers: None) -> None:
    command = (
        "for i in 1 2 3; do (trap '' TERM; sleep 320) & echo $! > c$i.pid; done; "
        "touch started; sleep 321 & echo $! > last.pid; wait"
    )
    out, err = pr.path.parent / "o", pr.path.parent / "e"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlgate.cli", "report", "--base", "main", "--command", command],
            cwd=pr.path,
            stdin=subprocess.DEVNULL,
            stdout=o,
            stderr=e,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not (pr.path / "started").exists():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)  # what GitHub sends first when a job is cancelled ...
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)  # ... and 7.5 s later (sooner here)
        code = proc.wait(timeout=60)
    assert code == 130, err.read_text()
    time.sleep(0.2)
    assert not [p for p in _pids(pr) if _alive(p)]
    assert "training interrupted" in (pr.path / "mlgate-report" / "report.md").read_text()


def test_training_on_an_issue_comment_is_refused(runner: Runner) -> None:
    runner.env(runner.pr_event(), event_name="issue_comment", run="touch pwned")
    assert runner.run() == 2
    assert not (runner.repo.path / "pwned").exists()
    assert "on a issue_comment event" in runner.err or "on an issue_comment event" in runner.err


def test_a_child_forking_as_it_dies_leaves_nothing(pr: Repo, leftovers: None) -> None:
    command = (
        "(trap '' TERM; while true; do sleep 322 & echo $! >> forks.pid; sleep 0.05; done) & "
        "sleep 1; echo trained"
    )
    ran = mlgate(pr, "--command", command)
    assert ran.code == 0, ran.err
    time.sleep(0.5)
    pids = [int(x) for x in (pr.path / "forks.pid").read_text().split()]
    alive = [p for p in pids if _alive(p)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive
    assert "left processes running" in ran.report
