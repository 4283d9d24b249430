"""Files left to the runner's user (issue 12, item 7): `mlgate run` runs as root in the action's
container while the workspace belongs to the runner's user (uid 1001 on GitHub-hosted runners);
before exiting, on success and on failure, it gives what it created to the workspace's owner.

Runs as root here (the test is skipped otherwise: only root can create files for another uid).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlgate.actions import give_to_owner
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    github,
    head,
    project,
    runner,
)

OWNER = 1001
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can chown (tests run as root)")


def owners(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.lstat().st_uid for p in [root, *root.rglob("*")]}


@pytest.fixture
def workspace(runner: Runner, tmp_path: Path) -> Path:
    """A workspace owned by uid 1001 holding the repository (which git needs owned by the
    user running it: root, as actions/checkout's files are in the container's view)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    # as the action's image does (`git config --system --add safe.directory '*'`): a second run
    # meets a repository that the first gave to uid 1001
    runner.monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    runner.monkeypatch.setenv("GIT_CONFIG_KEY_0", "safe.directory")
    runner.monkeypatch.setenv("GIT_CONFIG_VALUE_0", "*")
    os.chown(ws, OWNER, OWNER)
    runner.repo.path.rename(ws / "repo")
    runner.repo.path = ws / "repo"
    return ws


def run_in(runner: Runner, ws: Path, **inputs: str) -> int:
    runner.env(runner.pr_event(), working_directory="repo", **inputs)
    runner.monkeypatch.setenv("GITHUB_WORKSPACE", str(ws))
    return runner.run()


@needs_root
def test_what_run_created_belongs_to_the_workspace_owner(runner: Runner, workspace: Path) -> None:
    assert run_in(runner, workspace) == 0, runner.err
    report = workspace / "repo" / "mlgate-report"
    assert (report / "report.md").is_file()
    assert set(owners(report).values()) == {OWNER}
    assert set(owners(workspace).values()) == {OWNER}  # .git, .dvc: nothing left to root


@needs_root
def test_ownership_is_given_back_on_failure_too(runner: Runner, workspace: Path) -> None:
    runner.github.state.fail("POST", r"/statuses/", 500, times=99)
    runner.monkeypatch.setenv("MLGATE_GITHUB_RETRIES", "0")
    assert run_in(runner, workspace) == 3
    assert set(owners(workspace / "repo" / "mlgate-report").values()) == {OWNER}
    # and when the run stops on bad input before anything is written
    (workspace / "repo" / "mlgate-report" / "stale").mkdir()
    os.chown(workspace / "repo" / "mlgate-report" / "stale", 0, 0)
    assert run_in(runner, workspace, comment="bogus") == 2
    assert (workspace / "repo" / "mlgate-report" / "stale").lstat().st_uid == OWNER


@needs_root
def test_symlinks_are_changed_not_followed(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.write_text("not the workspace's")
    os.chown(ws, OWNER, OWNER)
    (ws / "link").symlink_to(outside)
    assert give_to_owner(ws, print) == 1
    assert (ws / "link").lstat().st_uid == OWNER
    assert outside.stat().st_uid == 0


def test_nothing_is_done_when_not_root_or_the_workspace_is_roots(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    before = owners(tmp_path)
    assert give_to_owner(tmp_path, print, euid=1000) == 0
    assert give_to_owner(tmp_path, print, euid=tmp_path.stat().st_uid) == 0
    assert owners(tmp_path) == before
