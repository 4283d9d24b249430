"""DVC depth: cached baselines from a real remote (a local directory, and S3 served by moto),
the run-cache, shallow clones, data changes, dvclive, and bad DVC input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Repo

# The stage appends to train.log (not an output) every time its command really runs.
TRAIN = (
    "import json, pathlib, yaml\n"
    "p = yaml.safe_load(open('params.yaml'))\n"
    "with open('train.log', 'a') as fh: fh.write('ran\\n')\n"
    "pathlib.Path('model.bin').write_text('model depth %d' % p['depth'])\n"
    "json.dump({'acc': round(0.8 + p['depth'] / 100, 4), 'loss': 0.5 - p['depth'] / 100},"
    " open('metrics.json', 'w'))\n"
)
DVC_YAML = """
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [depth]
    outs: [model.bin]
    metrics:
      - metrics.json
"""


def clone(src: Path, dest: Path, *args: str) -> Repo:
    subprocess.run(["git", "clone", "--quiet", *args, f"file://{src}", str(dest)], check=True)
    return Repo(dest)


def trained_main(repo: Repo, remote_setup: list[list[str]]) -> Repo:
    """main with a trained pipeline; metrics.json is DVC-cached (not in git) and pushed."""
    repo.write("train.py", TRAIN)
    repo.write("dvc.yaml", DVC_YAML)
    repo.write("params.yaml", "depth: 5\n")
    repo.write(".gitignore", "train.log\n")
    for cmd in remote_setup:
        repo.dvc(*cmd)
    repo.dvc("repro", "--quiet")
    if remote_setup:
        repo.dvc("push", "--run-cache", "--quiet")
    repo.commit("trained baseline")
    assert repo.git("ls-files", "metrics.json") == ""  # DVC-cached, not in git
    return repo


def train_runs(repo: Repo) -> int:
    log = repo.path / "train.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture
def local_remote(repo: Repo, tmp_path: Path) -> Repo:
    remote = tmp_path / "dvc-remote"
    return trained_main(repo, [["remote", "add", "-d", "store", str(remote)]])


def test_base_metrics_come_from_the_remote_in_a_fresh_clone(
    local_remote: Repo, tmp_path: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    work = clone(local_remote.path, tmp_path / "ci")
    work.git("checkout", "--quiet", "-b", "pr")
    work.write("params.yaml", "depth: 2\n")
    work.run(sys.executable, "train.py")  # the PR's training, outside DVC: the cache stays empty
    work.dvc("commit", "--force", "--quiet")
    chdir(work.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    assert (
        "reading 1 DVC-tracked file(s) at main (local cache, else the DVC remote): metrics.json"
        in res.err
    )
    result = json.loads((work.path / "out" / "result.json").read_text())
    acc = next(m for m in result["metrics"] if m["metric"] == "acc")
    assert (acc["old"], acc["new"]) == (0.85, 0.82)
    text = (work.path / "out" / "report.md").read_text()
    assert "| modified | model.bin" in text  # the model changed with the param
    assert "| depth" in text  # the changed param


def test_unchanged_pipeline_is_not_retrained_and_is_called_unchanged(
    local_remote: Repo, tmp_path: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    work = clone(local_remote.path, tmp_path / "ci")
    work.git("checkout", "--quiet", "-b", "pr")
    work.write("README.md", "docs only\n")  # no pipeline dependency changes
    work.commit("docs")
    chdir(work.path)
    res = cli("report", "--base", "main", "--out", "out", "--repro")
    assert res.code == 0, res.err
    assert train_runs(work) == 0  # the training command never ran in this clone
    assert "restored from the run-cache: none; unchanged: train" in res.err
    text = (work.path / "out" / "report.md").read_text()
    assert "0 stage(s) ran, 0 restored from the run-cache, 1 unchanged" in text


def test_changed_params_seen_before_come_from_the_run_cache(
    local_remote: Repo, tmp_path: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    # Someone already trained depth 7 (an experiment) and pushed its run-cache.
    local_remote.write("params.yaml", "depth: 7\n")
    local_remote.dvc("repro", "--quiet")
    local_remote.dvc("push", "--run-cache", "--quiet")
    assert train_runs(local_remote) == 2
    work = clone(local_remote.path, tmp_path / "ci")  # clones main (depth 5)
    work.git("checkout", "--quiet", "-b", "pr")
    work.write("params.yaml", "depth: 7\n")
    chdir(work.path)
    res = cli("report", "--base", "main", "--out", "out", "--repro")
    assert res.code == 0, res.err
    assert train_runs(work) == 0
    assert "is cached - skipping run" in res.err
    assert "restored from the run-cache: train; unchanged: none" in res.err
    text = (work.path / "out" / "report.md").read_text()
    assert "0 stage(s) ran, 1 restored from the run-cache, 0 unchanged" in text
    result = json.loads((work.path / "out" / "result.json").read_text())
    acc = next(m for m in result["metrics"] if m["metric"] == "acc")
    assert (acc["old"], acc["new"]) == (0.85, 0.87)


def test_failing_training_is_a_result_not_a_crash(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("metrics.json", {"acc": 0.9})
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.commit("base")
    chdir(repo.path)
    res = cli(
        "report",
        "--base",
        "main",
        "--out",
        "out",
        "--command",
        f"{sys.executable} -c \"print('boom: CUDA out of memory'); raise SystemExit(3)\"",
    )
    assert res.code == 1
    text = (repo.path / "out" / "report.md").read_text()
    assert "training failed \\(exit 3\\)" in text
    assert "boom: CUDA out of memory" in text


def test_shallow_clone_fetches_the_base_it_needs(
    local_remote: Repo, tmp_path: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    local_remote.git("checkout", "--quiet", "-b", "pr")
    local_remote.write("params.yaml", "depth: 7\n")
    local_remote.commit("deeper")
    local_remote.git("checkout", "--quiet", "main")
    work = clone(
        local_remote.path, tmp_path / "shallow", "--depth=1", "--single-branch", "--branch", "pr"
    )
    assert work.git("rev-parse", "--is-shallow-repository").strip() == "true"
    assert work.run("git", "rev-parse", "--verify", "--quiet", "origin/main", check=False) == ""
    chdir(work.path)
    res = cli("diff", "--base", "main", "--params", "--json")
    assert res.code == 0, res.err
    assert "base ref 'main' is not in this clone; fetching it from origin (depth 1)" in res.err
    assert json.loads(res.out)["params.yaml"]["depth"] == {
        "old": 5,
        "new": 7,
        "diff": 2,
        "diff_pct": 40.0,
    }


def test_object_missing_from_cache_and_remote_is_a_row(
    repo: Repo, tmp_path: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    trained_main(repo, [["remote", "add", "-d", "store", str(tmp_path / "remote")]])
    work = clone(repo.path, tmp_path / "ci")
    (tmp_path / "remote").rename(tmp_path / "remote-gone")
    (work.path / "metrics.json").write_text(json.dumps({"acc": 0.9}))
    chdir(work.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    text = (work.path / "out" / "report.md").read_text()
    assert "base value unavailable for metrics.json" in text
    assert "Traceback" not in res.err


def test_without_a_remote_the_row_says_so(repo: Repo, tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    trained_main(repo, [])
    work = clone(repo.path, tmp_path / "ci")
    (work.path / "metrics.json").write_text(json.dumps({"acc": 0.9}))
    chdir(work.path)
    assert cli("report", "--base", "main", "--out", "out").code == 0
    text = (work.path / "out" / "report.md").read_text()
    assert "no DVC remote is configured" in text


def test_corrupt_base_lock_is_a_row_and_bad_head_dvc_yaml_is_exit_2(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("dvc.yaml", DVC_YAML)
    repo.write("dvc.lock", "schema: '2.0'\nstages: [oops\n")
    repo.commit("corrupt lock on main")
    repo.write("metrics.json", {"acc": 0.9})
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    text = (repo.path / "out" / "report.md").read_text()
    assert "dvc.lock at main: invalid YAML" in text
    repo.write("dvc.yaml", "stages: [\n")
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 2
    assert res.err.strip().splitlines()[-1].startswith("error: dvc.yaml: invalid YAML")


def test_dvclive_layout_needs_no_configuration(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    def live(acc: float, lr: float) -> None:
        repo.write("dvclive/metrics.json", {"acc": acc, "step": 2})
        repo.write("dvclive/params.yaml", f"lr: {lr}\n")
        repo.write(
            "dvclive/plots/metrics/acc.tsv",
            "timestamp\tstep\tacc\n"
            + "".join(f"{1700000000 + s}\t{s}\t{acc - (2 - s) / 10}\n" for s in range(3)),
        )

    live(0.9, 0.1)
    repo.commit("base")
    live(0.8, 0.3)
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    text = (repo.path / "out" / "report.md").read_text()
    assert "| acc " in text and "| lr " in text
    assert "![acc](plots/dvclive-plots-metrics-acc-tsv-" in text


# -- S3, served by moto's standalone server -------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        import boto3

        boto3.client("s3", endpoint_url=url).create_bucket(Bucket="ml-artifacts")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_base_metrics_that_exist_only_in_s3_appear_in_the_report(
    repo: Repo, tmp_path: Path, s3_endpoint: str, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    trained_main(
        repo,
        [
            ["remote", "add", "-d", "s3", "s3://ml-artifacts/dvc"],
            ["remote", "modify", "s3", "endpointurl", s3_endpoint],
        ],
    )
    work = clone(repo.path, tmp_path / "ci")
    assert not (work.path / ".dvc" / "cache").exists()
    work.git("checkout", "--quiet", "-b", "pr")
    work.write("params.yaml", "depth: 9\n")
    chdir(work.path)
    res = cli("report", "--base", "main", "--out", "out", "--repro")
    assert res.code == 0, res.err
    result = json.loads((work.path / "out" / "result.json").read_text())
    acc = next(m for m in result["metrics"] if m["metric"] == "acc")
    assert (acc["old"], acc["new"]) == (0.85, 0.89)
    assert not result["errors"]["base"]
    # the base object the report compared with is the one main pushed to the S3 server
    import boto3
    import yaml

    outs = yaml.safe_load((repo.path / "dvc.lock").read_text())["stages"]["train"]["outs"]
    md5 = next(o["md5"] for o in outs if o["path"] == "metrics.json")
    listed = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket="ml-artifacts")
    keys = [o["Key"] for o in listed.get("Contents", [])]
    assert any(k.endswith(md5[2:]) for k in keys), keys
