"""Issue 14: baselines for projects that store no results (CML's starter layout: train.py writes
metrics.txt and plot.png, data committed as CSV, no DVC). Real git repositories, the real
training script (scikit-learn, matplotlib), a local bare repository as `origin`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Repo, Result

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "examples" / "cml-starter"
CACHE = ".cache/mlgate/base"


@pytest.fixture(scope="module")
def starter_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter's CSV data, made once by its own get_data.py."""
    where = tmp_path_factory.mktemp("starter-data")
    subprocess.run([sys.executable, str(STARTER / "get_data.py")], cwd=where, check=True)
    return where / "data"


def starter(tmp_path: Path, data: Path, *, origin: bool = False) -> Repo:
    """The starter on `main` (depth 5), and a PR branch that makes the forest shallower."""
    path = tmp_path / "starter"
    shutil.copytree(STARTER, path)
    shutil.copytree(data, path / "data")
    r = Repo(path)
    r.git("init", "--quiet", "--initial-branch=main")
    r.commit("CML starter")
    if origin:
        bare = tmp_path / "origin.git"
        subprocess.run(
            ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare)], check=True
        )
        r.git("remote", "add", "origin", str(bare))
        r.git("push", "--quiet", "origin", "main")
    return r


def make_pr(r: Repo) -> None:
    r.git("checkout", "--quiet", "-b", "shallower")
    train = r.path / "train.py"
    train.write_text(train.read_text().replace("depth = 5", "depth = 1"))
    r.commit("shallower trees")


def command(marker: Path) -> str:
    # the marker says where each training ran: the workspace, or the base's worktree
    return f'{sys.executable} train.py && pwd >> "{marker}"'


def runs(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def test_starter_base_trained_in_the_job_then_read_from_the_cache(
    tmp_path: Path, starter_data: Path, cli: Callable[..., Result]
) -> None:
    r = starter(tmp_path, starter_data)
    make_pr(r)
    marker = tmp_path / "marker.log"
    out = tmp_path / "report"

    first = cli("report", "-C", str(r.path), "--command", command(marker), "--out", str(out))
    assert first.code == 1, first.err  # depth 1 loses accuracy: the gate fails
    assert len(runs(marker)) == 2  # head in the workspace, base in a worktree elsewhere
    assert runs(marker)[0] == str(r.path)
    assert not runs(marker)[1].startswith(str(r.path))
    assert "trained in this job with" in first.err
    result = json.loads((out / "result.json").read_text())
    gate = result["gates"][0]
    assert gate["metric"] == "metrics.txt:Accuracy"
    assert gate["old"] > gate["new"]  # a real base value, not "new"
    assert result["baseline"]["kind"] == "trained"
    assert result["baseline"]["training"]["exit_code"] == 0
    assert "Accuracy fell" in gate["message"]
    report = (out / "report.md").read_text()
    assert "it was trained in this job with" in report
    assert r"images written by the pipeline: base \(left\) and head \(right\)" in report
    # the workspace is untouched: only the training's own outputs and mlgate's cache are new
    status = r.git("status", "--porcelain", "--ignored").split("\n")
    assert {line[3:] for line in status if line} <= {
        "metrics.txt",
        "plot.png",
        ".cache/",
        "report/",
    }
    assert r.git("worktree", "list").count("\n") == 1  # the base's worktree is gone
    entries = list((r.path / CACHE).iterdir())
    assert len(entries) == 1
    assert (entries[0] / "files" / "metrics.txt").is_file()
    assert (entries[0] / "files" / "plot.png").is_file()

    second = cli("report", "-C", str(r.path), "--command", command(marker), "--out", str(out))
    assert second.code == 1
    assert len(runs(marker)) == 3  # only the head trained again
    assert runs(marker)[2] == str(r.path)
    again = json.loads((out / "result.json").read_text())
    assert again["baseline"]["kind"] == "cached"
    assert again["gates"][0]["old"] == gate["old"]
    assert "not trained again" in (out / "report.md").read_text()


def test_pr_reads_the_base_commits_stored_results_without_training(
    tmp_path: Path, starter_data: Path, cli: Callable[..., Result]
) -> None:
    r = starter(tmp_path, starter_data, origin=True)
    marker = tmp_path / "marker.log"
    recorded = cli("record", "-C", str(r.path), "--command", command(marker), "--push")
    assert recorded.code == 0, recorded.err
    assert "recorded the results of" in recorded.out
    base_sha = r.git("rev-parse", "main").strip()
    # the branch is on origin, one entry per commit, and the workspace's branch is unchanged
    bare = tmp_path / "origin.git"
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "mlgate-results"],
        cwd=bare,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert f"{base_sha}/result.json" in listing
    assert f"{base_sha}/files/metrics.txt" in listing
    assert f"{base_sha}/files/plot.png" in listing
    assert r.git("symbolic-ref", "--short", "HEAD").strip() == "main"

    # a fresh clone, as CI has: the results branch comes from origin
    clone = Repo(tmp_path / "clone")
    subprocess.run(["git", "clone", "--quiet", str(bare), str(clone.path)], check=True)
    make_pr(clone)
    before = len(runs(marker))
    out = tmp_path / "report"
    rep = cli("report", "-C", str(clone.path), "--command", command(marker), "--out", str(out))
    assert rep.code == 1, rep.err
    assert len(runs(marker)) == before + 1  # the head only: the base was not trained
    result = json.loads((out / "result.json").read_text())
    assert result["baseline"]["kind"] == "stored"
    assert f"the stored results of {base_sha[:7]}" in result["baseline"]["summary"]
    assert result["gates"][0]["old"] > result["gates"][0]["new"]
    assert not (clone.path / CACHE).exists()


DVC_YAML = """
stages:
  train:
    cmd: sh train.sh
    deps: [train.sh, acc]
    metrics:
      - metrics.json
"""
DVC_TRAIN = 'printf \'{"acc": %s}\\n\' "$(cat acc)" > metrics.json\necho "$PWD" >> "$MARKER"\n'


def test_repro_trains_a_base_whose_dvc_lock_was_never_committed(
    repo: Repo, tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker.log"
    monkeypatch.setenv("MARKER", str(marker))
    repo.write("dvc.yaml", DVC_YAML)
    repo.write("train.sh", DVC_TRAIN)
    repo.write("acc", "0.9\n")
    repo.write(".gitignore", ".cache/\n")  # dvc.lock: written in CI, never committed
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")
    repo.commit("pipeline")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("acc", "0.8\n")
    repo.commit("worse")
    out = tmp_path / "report"

    first = cli("report", "-C", str(repo.path), "--repro", "--out", str(out))
    assert first.code == 1, first.err
    result = json.loads((out / "result.json").read_text())
    assert result["baseline"]["kind"] == "trained"
    assert result["baseline"]["training"]["command"] == "dvc repro"
    assert result["gates"][0]["old"] == 0.9 and result["gates"][0]["new"] == 0.8
    assert len(runs(marker)) == 2
    assert not runs(marker)[1].startswith(str(repo.path))

    second = cli("report", "-C", str(repo.path), "--repro", "--out", str(out))
    assert second.code == 1
    assert json.loads((out / "result.json").read_text())["baseline"]["kind"] == "cached"
    assert len(runs(marker)) == 2  # neither side ran the stage again
