"""Shared fixtures: real git repositories with DVC, and the CLI run in-process."""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlgate.cli import main

BIN = Path(sys.executable).parent
DVC = str(BIN / "dvc")
DATA = Path(__file__).parent / "data"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "DVC_NO_ANALYTICS": "1",
}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    # Never let a runner's own variables leak into a test of the CLI.
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "INPUT_")) or key == "CI":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / ".dvc-site"))
    # `mlgate run` marks the training's environment active in its own process (mlgate.trainenv):
    # recorded here so it is undone after each test
    monkeypatch.setenv("MLGATE_TRAINING_ENV", "")


@dataclass
class Repo:
    path: Path

    def run(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(args, cwd=self.path, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} failed: {proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def git(self, *args: str) -> str:
        return self.run("git", *args)

    def dvc(self, *args: str) -> str:
        return self.run(DVC, *args)

    def write(self, rel: str, content: str | dict[str, object]) -> Path:
        file = self.path / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content)
        file.write_text(text)
        return file

    def commit(self, message: str = "commit") -> str:
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@functools.cache
def _dvc_template() -> Path:
    """`git init` + `dvc init` once per process (xdist worker): two DVC start-ups cost 1.7-3 s,
    a copy a few milliseconds (issue 22). Removed when the process exits."""
    top = Path(tempfile.mkdtemp(prefix="mlgate-template-"))
    atexit.register(shutil.rmtree, top, ignore_errors=True)
    path = top / "repo"
    path.mkdir()
    env = {**os.environ, **GIT_ENV, "DVC_SITE_CACHE_DIR": str(top / ".dvc-site")}
    for args in (
        ["git", "init", "--quiet", "--initial-branch=main"],
        [DVC, "init", "--quiet"],
        [DVC, "config", "core.analytics", "false"],
    ):
        subprocess.run(args, cwd=path, env=env, capture_output=True, check=True)
    return path


def new_dvc_repo(path: Path) -> Repo:
    """A fresh git repository on `main` at `path` with DVC initialised, nothing committed: a
    copy of the per-process template, as independent as `git init` + `dvc init` made here."""
    # .dvc/tmp holds DVC's state for the template's own path (DVC recreates it on first use);
    # git's hook samples are not needed
    template = _dvc_template()

    def skip(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).relative_to(template)
        return {"tmp"} if here == Path(".dvc") else {"hooks"} if here == Path(".git") else set()

    shutil.copytree(template, path, ignore=skip)
    return Repo(path)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """An empty git repository on `main` with DVC initialised."""
    r = new_dvc_repo(tmp_path / "repo")
    r.commit("init")
    return r


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def chdir(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    return monkeypatch.chdir


@pytest.fixture
def events() -> Callable[[str], dict[str, object]]:
    def load(name: str) -> dict[str, object]:
        return json.loads((DATA / name).read_text())  # type: ignore[no-any-return]

    return load
