"""Issue 21, Seen 8 and 9: the environment failing under mlgate (a full disk, a read-only report
directory, the runner's summary and output files unusable) must be one line with exit 2 or 3
(or a warning where the run goes on, the status still set), never exit 4; and two misleading
messages (a personal token on the Checks API, a `working-directory` link leading out).

A full and a read-only file system are real tmpfs mounts (root only: skipped elsewhere, with the
reason); the rest runs `mlgate run` against the fake GitHub API."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_github import (  # noqa: F401  (fixtures)
    USER,
    Runner,
    github,
    head,
    project,
    runner,
)


def _mount(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here (needs root): {proc.stderr.strip()}")


@pytest.fixture
def full(tmp_path: Path) -> Iterator[Path]:
    """A file system with no byte left."""
    where = tmp_path / "full"
    _mount(where, "size=64k")
    try:
        with (where / "filler").open("wb", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"x" * 512)
            except OSError:
                pass
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "ro"
    _mount(where, "ro,size=64k")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _one_error(err: str) -> str:
    errors = [line for line in err.splitlines() if line.startswith(("::error", "error:"))]
    assert len(errors) == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return errors[0]


@pytest.mark.parametrize(
    ("fs", "code", "words"),
    [("full", 3, "No space left on device"), ("read_only", 2, "Read-only file system")],
)
def test_an_unwritable_report_directory_is_one_line_locally(
    runner: Runner, request: pytest.FixtureRequest, fs: str, code: int, words: str
) -> None:
    where: Path = request.getfixturevalue(fs)
    runner.monkeypatch.chdir(runner.repo.path)
    from mlgate.cli import main

    assert main(["report", "--base", "main", "--out", str(where / "report")]) == code
    captured = runner.capsys.readouterr()
    line = _one_error(captured.err)
    assert words in line and "cannot write the report" in line


@pytest.mark.parametrize("fs", ["full", "read_only"])
def test_in_ci_an_unwritable_report_directory_still_ends_in_a_verdict(
    runner: Runner, request: pytest.FixtureRequest, fs: str
) -> None:
    where: Path = request.getfixturevalue(fs)
    runner.env(runner.pr_event(), report_dir=str(where / "report"))
    assert runner.run() == 0, runner.err
    [status] = runner.github.state.statuses
    assert status["state"] == "success"
    assert len(runner.github.state.comments[7]) == 1
    assert "the report is written to" in runner.err
    assert Path(runner.outputs()["report-path"]).is_file()


def test_a_step_summary_that_is_a_directory_is_a_warning(runner: Runner, tmp_path: Path) -> None:
    runner.env(runner.pr_event())
    summary = tmp_path / "summary-dir"
    summary.mkdir()
    runner.monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert runner.run() == 0, runner.err
    assert "::warning::GITHUB_STEP_SUMMARY" in runner.err
    assert len(runner.github.state.comments[7]) == 1 and runner.github.state.statuses
    assert "Traceback" not in runner.err


def test_outputs_in_a_missing_directory_are_one_line_after_the_status(
    runner: Runner, tmp_path: Path
) -> None:
    runner.env(runner.pr_event())
    runner.monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "gone" / "output.txt"))
    assert runner.run() == 3
    line = _one_error(runner.err)
    assert "GITHUB_OUTPUT" in line and "cannot write the step's outputs" in line
    assert len(runner.github.state.comments[7]) == 1 and runner.github.state.statuses


# Seen 9: messages that said something else happened -------------------------------------------
def test_a_personal_token_on_the_checks_api_is_explained_as_such(runner: Runner) -> None:
    runner.env(runner.pr_event(), token=USER, check_run="true")
    assert runner.run() == 3
    line = _one_error(runner.err)
    assert "You must authenticate via a GitHub App" in line
    assert "never a personal access token" in line
    assert "fork" not in line


def test_a_working_directory_linked_out_of_the_workspace_is_said(
    runner: Runner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (runner.repo.path / "project").symlink_to(elsewhere)
    runner.env(runner.pr_event(), working_directory="project")
    assert runner.run() == 2
    line = _one_error(runner.err)
    assert "project: leads outside the workspace" in line
    assert "fetch-depth" not in line and "base" not in line
