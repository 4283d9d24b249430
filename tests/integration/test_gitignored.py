"""The directories mlgate writes carry a `.gitignore` of `*`, as pytest's and ruff's caches do
(issue 25, item 5): after a report, with the base trained and cached and the training's own
environment made, real `git status` shows nothing of mlgate's as untracked, so `git add -A`
cannot commit a report, a cache or an environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mlgate import outdir, trainenv
from mlgate.log import Log
from mlgate.settings import Settings
from tests.conftest import Repo, Result
from tests.wheels import make_wheel

# writes metrics.txt (the training's own output, not committed): the base holds no results, so
# mlgate trains it in a worktree and keeps it in .cache/mlgate/base/
TRAIN = "python -c \"open('metrics.txt', 'w').write('acc: 0.9\\n')\""


def untracked(repo: Repo) -> set[str]:
    lines = repo.git("status", "--porcelain", "--untracked-files=all").splitlines()
    return {line[3:] for line in lines if line.startswith("??")}


def test_nothing_of_mlgates_shows_in_git_status_after_a_report(
    repo: Repo, cli: Callable[..., Result]
) -> None:
    repo.write(
        ".mlgate.yml", "metrics: [metrics.txt]\ngates:\n  - metric: acc\n    max_drop: 0.1\n"
    )
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("train.txt", "a change\n")
    repo.commit("pr")
    res = cli("report", "-C", str(repo.path), "--command", TRAIN)
    assert res.code == 0, res.err
    assert "trained in this job" in res.err  # the base cache was written
    assert (repo.path / "mlgate-report" / "report.md").is_file()
    assert any((repo.path / ".cache" / "mlgate" / "base").iterdir())
    assert untracked(repo) == {"metrics.txt"}  # the training's output only
    for made in (repo.path / "mlgate-report", repo.path / ".cache" / "mlgate"):
        assert (made / ".gitignore").read_text().splitlines()[-1] == "*"
    repo.git("add", "-A")
    staged = repo.git("diff", "--cached", "--name-only").split()
    assert staged == ["metrics.txt"]


def test_the_out_directory_of_report_and_demo_is_ignored(
    repo: Repo, cli: Callable[..., Result]
) -> None:
    repo.write("metrics.json", {"acc": 0.9})
    repo.commit("base")
    res = cli("report", "-C", str(repo.path), "--out", str(repo.path / "reports" / "today"))
    assert res.code == 0, res.err
    assert untracked(repo) == set()  # `reports/` holds only an ignored directory
    assert (repo.path / "reports" / "today" / ".gitignore").is_file()


def test_ignore_all_keeps_an_existing_file_and_follows_no_link(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / ".gitignore").write_text("!keep.me\n")
    outdir.ignore_all(mine)
    assert (mine / ".gitignore").read_text() == "!keep.me\n"  # never overwritten

    target = tmp_path / "elsewhere"
    linked = tmp_path / "linked"
    linked.mkdir()
    os.symlink(target, linked / ".gitignore")
    outdir.ignore_all(linked)
    assert not target.exists()  # a committed symlink cannot make mlgate write elsewhere

    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    outdir.ignore_all(tmp_path / "alias")
    assert not (real / ".gitignore").exists()  # a directory reached through a link: nothing

    outdir.ignore_all(tmp_path / "missing")  # nothing to ignore, no error
    assert not (tmp_path / "missing").exists()


def test_a_report_directory_of_an_earlier_run_gets_its_gitignore(tmp_path: Path) -> None:
    out = outdir.prepare(tmp_path / "mlgate-report")
    (out / ".gitignore").unlink()  # a report written before mlgate ignored its own files
    assert outdir.prepare(out) == out
    assert (out / ".gitignore").read_bytes() == outdir.GITIGNORE


@pytest.mark.slow
def test_the_training_environment_and_pips_cache_are_ignored(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "tinypkg", "1.0")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv(trainenv.VENV_VARIABLE, ".cache/mlgate/venv")  # as the image sets it
    monkeypatch.delenv(trainenv.ACTIVE_VARIABLE, raising=False)
    repo.write("requirements.txt", "tinypkg==1.0\n")
    repo.commit("base")
    # pip's cache as `actions/cache` restores it from a job of an mlgate that wrote no .gitignore
    (repo.path / ".cache" / "pip" / "http").mkdir(parents=True)
    (repo.path / ".cache" / "pip" / "http" / "entry").write_text("cached\n")
    assert untracked(repo) == {".cache/pip/http/entry"}
    made = trainenv.prepare(
        Settings(run="python train.py"), root=repo.path, workspace=repo.path, log=Log()
    )
    os.environ.pop(trainenv.ACTIVE_VARIABLE, None)  # prepare marks it active for this process
    assert made.failure is None
    assert (repo.path / ".cache" / "mlgate" / "venv" / "bin" / "python").exists()
    assert untracked(repo) == set()
    assert (repo.path / ".cache" / "mlgate" / ".gitignore").is_file()
    assert (repo.path / ".cache" / "pip" / ".gitignore").is_file()
