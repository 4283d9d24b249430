"""The action as GitHub runs it: the dependency image and the action's image built with podman
on a stand-in base, then run the way the runner runs a container action (workspace mounted at
/github/workspace, INPUT_* and GITHUB_* variables, event and file-command files mounted) against
the fake GitHub API on the host's loopback, on a real example repository with a PR branch."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DVC, Repo
from tests.e2e import podman
from tests.fake_github import (
    FakeGitHub,
    State,
    Token,
    pull_request_payload,
    runner_environment,
)

ROOT = Path(__file__).resolve().parents[2]
ACTION_TAG = "localhost/mlgate-action:test"
TOKEN = "ghs_e2e_installation_token"
SIZE_LIMIT = 800 * 1000 * 1000
RUNNER_UID = 1001
CONFLICTING = "scikit-learn\npandas==2.2.3\nnumpy<2\npyyaml\n"
# the training, then what its environment and mlgate's hold
RUN = (
    "dvc repro && python -c 'import numpy, pandas, sys; "
    'print("training saw pandas", pandas.__version__, "numpy", numpy.__version__, sys.prefix)\' '
    "&& /opt/venv/bin/python -c 'import pandas; print(\"mlgate has pandas\", pandas.__version__)'"
)

pytestmark = pytest.mark.container


def deps_tag() -> str:
    m = re.search(r"^ARG DEPS_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert m, "the action's Dockerfile names its dependency image in ARG DEPS_IMAGE"
    return m.group(1)


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, float]]:
    reason = podman.why_not_usable()
    if reason:
        pytest.skip(f"container test skipped: {reason}")
    podman.ensure_standin_base()
    timings: dict[str, float] = {}
    tag = deps_tag()
    if not podman.image_exists(tag):
        timings["deps_build_s"] = podman.build(ROOT, "docker/deps.Dockerfile", tag)
    timings["action_build_s"] = podman.build(ROOT, "Dockerfile", ACTION_TAG)
    timings["action_image_bytes"] = podman.image_size(ACTION_TAG)
    (ROOT / ".cache").mkdir(exist_ok=True)
    (ROOT / ".cache" / "container-metrics.json").write_text(json.dumps(timings, indent=2))
    yield timings
    # each rebuild of the action's image leaves the previous one untagged
    podman.podman("image", "prune", "--force", check=False)


@pytest.fixture
def example(tmp_path: Path) -> Repo:
    """The demo project: a trained baseline on main, a PR branch that changes max_depth and has
    not been trained yet (the action trains it)."""
    path = tmp_path / "workspace"
    shutil.copytree(ROOT / "examples" / "demo-project", path)
    repo = Repo(path)
    repo.git("init", "--quiet", "--initial-branch=main")
    repo.dvc("init", "--quiet")
    repo.dvc("repro", "--quiet")
    repo.commit("baseline")
    repo.git("checkout", "--quiet", "-b", "shallower")
    params = path / "params.yaml"
    params.write_text(params.read_text().replace("max_depth: 6", "max_depth: 2"))
    # pins that mlgate's own lock contradicts (pandas 3, numpy 2): the training's environment
    # is its own, so they install and train
    (path / "requirements.txt").write_text(CONFLICTING)
    repo.commit("shallower trees, on the pandas and numpy the team uses")
    return repo


def test_the_action_runs_in_its_container_and_gates_the_pr(
    images: dict[str, float], example: Repo, tmp_path: Path, events
) -> None:  # type: ignore[no-untyped-def]
    assert images["action_image_bytes"] < SIZE_LIMIT
    head = example.git("rev-parse", "HEAD").strip()
    state = State(tokens={TOKEN: Token("github-actions[bot]")})
    state.add_pull(7, head, head_ref="shallower")
    server = FakeGitHub(state).start()
    try:
        payload = pull_request_payload(
            events("pull_request.synchronize.json"),
            state,
            number=7,
            head_sha=head,
            head_ref="shallower",
        )
        files = tmp_path / "files"
        files.mkdir()
        (files / "event.json").write_text(json.dumps(payload))
        (files / "output").write_text("")
        (files / "summary").write_text("")
        env = runner_environment(
            server,
            token=TOKEN,
            event_name="pull_request",
            event_path="/github/workflow/event.json",
            workspace="/github/workspace",
            output="/github/file_commands/output",
            summary="/github/file_commands/summary",
        )
        env.update({"INPUT_RUN": RUN, "GITHUB_RUN_ID": "99"})
        # the workspace belongs to the runner's user (uid 1001 on GitHub-hosted runners), as
        # actions/checkout leaves it; the container runs as root
        for path in [example.path, *example.path.rglob("*")]:
            os.lchown(path, RUNNER_UID, RUNNER_UID)
        args = [
            "run",
            "--rm",
            "--network",
            "host",
            "--pull=never",
            "-v",
            f"{example.path}:/github/workspace",
            "-v",
            f"{files / 'event.json'}:/github/workflow/event.json:ro",
            "-v",
            f"{files}:/github/file_commands",
            "-w",
            "/github/workspace",
            # this workplace only: pip reaches the package index through the host's CA
            # bundle and pip config (the demo's requirements.txt is installed at run time)
            *podman.host_pip_mounts(),
        ]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        proc = podman.podman(*args, ACTION_TAG, check=False, timeout=900)
    finally:
        server.stop()
    log = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    # max_depth 6 -> 2 worsens log-loss past its gate: the step fails; the accuracy drop is
    # within noise (exact McNemar, computed in the image without scipy)
    assert proc.returncode == 1, log
    assert "Running stage 'train'" in log
    assert "Installing requirements.txt" in log  # scikit-learn is the training's, not mlgate's
    assert "Creating the training environment .cache/mlgate/venv" in log
    lock = (ROOT / "docker" / "requirements.lock").read_text()
    mlgates = re.search(r"^pandas==(\S+)$", lock, re.M)
    assert mlgates and not mlgates.group(1).startswith("2.")
    assert f"mlgate has pandas {mlgates.group(1)}" in log
    [comment] = state.comments[7]
    # the version the training saw, in the report: its own environment's, in the workspace
    assert re.search(
        r"training saw pandas 2\.2\.3 numpy 1\.\d+\.\d+ /github/workspace/\.cache/mlgate/venv",
        comment["body"],
    ), comment["body"]
    assert comment["body"].startswith(f"<!-- mlgate:report id=default sha={head} -->")
    assert "## ❌ mlgate report: 1 of 3 gates failed: log\\_loss" in comment["body"]
    assert "McNemar p = 0.62" in comment["body"]
    assert "https://github.com/octo-org/octo-repo/blob/" in comment["body"]
    [status] = state.statuses
    assert (status["sha"], status["state"], status["context"]) == (head, "failure", "mlgate")
    outputs = (files / "output").read_text()
    assert "passed<<" in outputs and "\nfalse\n" in outputs
    assert "comment-url<<" in outputs and "#issuecomment-" in outputs
    assert "1 of 3 gates failed" in (files / "summary").read_text()
    assert (example.path / "mlgate-report" / "report.md").is_file()
    # everything the container made (report, .cache/pip, DVC's cache and outputs) is the
    # runner's user's, so later steps and the next checkout can change and clean it
    root_owned = [
        str(p.relative_to(example.path))
        for p in [example.path, *example.path.rglob("*")]
        if p.lstat().st_uid != RUNNER_UID
    ]
    assert root_owned == []
    assert (example.path / "mlgate-report").stat().st_uid == RUNNER_UID
    assert (
        subprocess.run(
            ["git", "-c", "safe.directory=*", "status", "--porcelain", "params.yaml"],
            cwd=example.path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        == ""
    )
    assert DVC  # the host's DVC built the baseline; the container's trained the PR
