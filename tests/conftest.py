"""Shared fixtures: real git repositories with DVC, and the CLI run in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """An empty git repository on `main` with DVC initialised."""
    path = tmp_path / "repo"
    path.mkdir()
    r = Repo(path)
    r.git("init", "--quiet", "--initial-branch=main")
    r.dvc("init", "--quiet")
    r.dvc("config", "core.analytics", "false")
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
