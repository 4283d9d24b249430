"""Reproductions of what the attack session (after issues 10, 11, 12) found still open.

Each test asserts the behaviour the rules promise and is marked `xfail(strict=True)` with the
finding's number from the report: it fails today, and turns into an error (XPASS) once the
finding is fixed, so the marker must then be removed. Real git, real DVC, the real CLI
in-process (`mlgate report`/`diff`) or `mlgate run` with a workflow_run event and no token (no
network is reached: the report degrades to the job summary).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from tests.conftest import DATA, Repo

GATE = "gates:\n  - metric: acc\n    max_drop: 0.01\n"


def _report(r: Repo, cli: Callable[..., Any], chdir: Callable[[Path], None]) -> tuple[int, str]:
    chdir(r.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert "Traceback (most recent call last)" not in res.err
    out = r.path / "out"
    text = "".join(p.read_text(errors="replace") for p in sorted(out.glob("*")) if p.is_file())
    return res.code, text + res.out + res.err


def _git_metrics_base(repo: Repo, acc: float = 0.9) -> None:
    repo.write("metrics.json", {"acc": acc})
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.write(".mlgate.yml", GATE)
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")


# Finding 1 -------------------------------------------------------------------------------------
# DVC's resolver reads `vars:` files (and the default params.yaml) through the local file system,
# following absolute paths, `..` and symlinks out of the repository; the values then reach the
# report through `${...}` in a path that mlgate prints when it refuses it.

SECRET = "ghp_attack_canary_0123456789"


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "params-symlink"])
def test_dvc_vars_never_read_a_file_outside_the_repository(
    repo: Repo, cli: Any, chdir: Any, tmp_path: Path, how: str
) -> None:
    outside = tmp_path / "outside" / "creds.json"
    outside.parent.mkdir()
    outside.write_text(json.dumps({"token": SECRET}))
    _git_metrics_base(repo)
    metrics = "metrics:\n  - metrics.json\n  - /x/${token}\n"
    if how == "absolute":
        repo.write("dvc.yaml", f"vars:\n  - {outside}\n{metrics}")
    elif how == "dotdot":
        rel = os.path.relpath(outside, repo.path)
        repo.write("dvc.yaml", f"vars:\n  - {rel}\n{metrics}")
    elif how == "symlink":
        (repo.path / "leak.json").symlink_to(outside)
        repo.write("dvc.yaml", f"vars:\n  - leak.json\n{metrics}")
    else:  # DVC loads params.yaml as vars by default
        (repo.path / "params.yaml").symlink_to(outside)
        repo.write("dvc.yaml", metrics)
    repo.commit("pr")
    _code, everything = _report(repo, cli, chdir)
    assert SECRET not in everything


# Finding 2 -------------------------------------------------------------------------------------
# In a workflow_run (fork) or push event the target has no base_ref, so `.mlgate.yml` `base:`,
# a file of the pull request, chooses the baseline: `base: HEAD` compares the PR with itself.


def test_a_pull_request_cannot_choose_its_own_baseline(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    _git_metrics_base(repo)
    repo.write("metrics.json", {"acc": 0.1})
    repo.write(".mlgate.yml", "base: HEAD\n" + GATE)
    sha = repo.commit("pr: worse, and compared with itself")
    payload = json.loads((DATA / "workflow_run.completed.json").read_text())
    payload["workflow_run"]["head_sha"] = sha
    assert payload["workflow_run"]["pull_requests"] == []  # a fork's run
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    for key, value in {
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(repo.path),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_API_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(repo.path)
    code = main(["run"])
    capsys.readouterr()
    assert code == 1  # 0.9 -> 0.1 with max_drop 0.01


# Finding 3 -------------------------------------------------------------------------------------
# A base blob that `git ls-tree` lists but `git cat-file --batch` answers `missing` (a damaged
# object store, a partial clone without lazy fetch) is read as "not found": absent, new, pass.


def test_a_base_blob_missing_from_the_object_store_is_not_new(
    repo: Repo, cli: Any, chdir: Any
) -> None:
    _git_metrics_base(repo)
    repo.write("metrics.json", {"acc": 0.1})
    repo.commit("pr")
    oid = repo.git("rev-parse", "main:metrics.json").strip()
    obj = repo.path / ".git" / "objects" / oid[:2] / oid[2:]
    assert obj.is_file()  # loose: nothing was packed
    obj.chmod(0o644)
    obj.unlink()
    code, text = _report(repo, cli, chdir)
    assert code == 1
    assert "is new" not in text


# Finding 4 -------------------------------------------------------------------------------------
# `metrics: [eval]` where eval/ is a DVC directory output: in a fresh clone whose cache lacks the
# base manifest, the base read of `eval` fails (IsADirectoryError) but the head's
# eval/metrics.json:acc is "new", and the gate passes a 0.9 -> 0.5 drop.

TRAIN = """\
import json, os
os.makedirs("eval", exist_ok=True)
json.dump({"acc": json.load(open("v.json"))["acc"]}, open("eval/metrics.json", "w"))
"""
DIR_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [v.json, train.py]
    outs:
      - eval
metrics:
  - eval
"""


def test_a_metrics_directory_unreadable_at_base_fails_closed(
    repo: Repo, cli: Any, chdir: Any, tmp_path: Path
) -> None:
    repo.write("train.py", TRAIN)
    repo.write("v.json", {"acc": 0.9})
    repo.write("dvc.yaml", DIR_YAML)
    repo.write(".mlgate.yml", GATE)
    repo.dvc("repro", "--quiet")
    repo.commit("base")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(repo.path), str(clone)], check=True)
    r = Repo(clone)
    r.git("checkout", "--quiet", "-b", "pr")
    r.write("v.json", {"acc": 0.5})
    r.run("python", "train.py")  # the head's outputs, as the CI's training writes them
    assert not (clone / ".dvc" / "cache").exists()  # no base objects, no remote
    code, text = _report(r, cli, chdir)
    assert code == 1
    assert "is new" not in text


# Finding 5 -------------------------------------------------------------------------------------
# A PR commits `.dvc/cache/files/md5/<xx>/<rest>` (the base output's address) as a symlink to
# /proc/self/mem: LocalCache follows it and read_bytes raises EIO: exit 4, "a bug in mlgate".

STAGE_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [v.json]
    metrics:
      - metrics.json
"""


def test_a_symlinked_cache_object_is_refused_not_a_crash(repo: Repo, cli: Any, chdir: Any) -> None:
    repo.write("train.py", 'open("metrics.json", "w").write(open("v.json").read())\n')
    repo.write("v.json", {"acc": 0.9})
    repo.write("dvc.yaml", STAGE_YAML)
    repo.write(".mlgate.yml", GATE)
    repo.dvc("repro", "--quiet")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    md5 = hashlib.md5((repo.path / "metrics.json").read_bytes()).hexdigest()
    shutil.rmtree(repo.path / ".dvc" / "cache")
    obj = repo.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    obj.parent.mkdir(parents=True)
    obj.symlink_to("/proc/self/mem")
    repo.write("metrics.json", {"acc": 0.5})
    repo.git("add", "-f", ".dvc/cache")
    repo.commit("pr")
    code, text = _report(repo, cli, chdir)
    assert code == 1  # the base is unreadable: the gate fails closed, no crash
    assert "bug in mlgate" not in text


# Finding 6 -------------------------------------------------------------------------------------
# A metrics file new in the PR inside a DVC directory output: the base manifest (hash-checked)
# proves the base does not have it, `dvc metrics diff` and `mlgate diff --json` say old: null,
# but the gate says "base value unreadable" and fails, and the fix it gives cannot be done.

TRAIN_EXTRA = """\
import json, os
os.makedirs("eval", exist_ok=True)
v = json.load(open("v.json"))
json.dump({"acc": v["acc"]}, open("eval/metrics.json", "w"))
if v.get("extra"):
    json.dump({"f1": 0.7}, open("eval/extra.json", "w"))
"""
EXTRA_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [v.json, train.py]
    outs:
      - eval
metrics:
  - eval/metrics.json
  - eval/extra.json
"""


def test_a_metrics_file_new_inside_a_directory_output_is_new(
    repo: Repo, cli: Any, chdir: Any
) -> None:
    repo.write("train.py", TRAIN_EXTRA)
    repo.write("v.json", {"acc": 0.9})
    repo.write("dvc.yaml", EXTRA_YAML)
    repo.write(
        ".mlgate.yml", "gates:\n  - metric: '*'\n    direction: higher\n    max_drop: 0.01\n"
    )
    repo.dvc("repro", "--quiet")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("v.json", {"acc": 0.9, "extra": 1})
    repo.dvc("repro", "--quiet")
    repo.commit("pr: a new metrics file")
    dvc = json.loads(repo.dvc("metrics", "diff", "main", "--json"))
    assert dvc["eval/extra.json"]["f1"]["old"] is None  # DVC: new
    code, text = _report(repo, cli, chdir)
    assert "base value unreadable" not in text
    assert code == 0


# Finding 7 -------------------------------------------------------------------------------------
# A top-level plot with `x: {file: column}` naming a different x column per file: DVC draws
# both files; mlgate keeps the first file's x for all and drops the whole plot.


def test_a_plot_with_one_x_column_per_file_is_drawn(repo: Repo, cli: Any, chdir: Any) -> None:
    repo.write("ev/train.csv", "epoch,acc\n0,0.5\n1,0.6\n")
    repo.write("ev/test.csv", "ep,acc\n0,0.4\n1,0.55\n")
    repo.write(
        "dvc.yaml",
        "plots:\n  - acc_curve:\n"
        "      x: {ev/train.csv: epoch, ev/test.csv: ep}\n"
        "      y: {ev/train.csv: acc, ev/test.csv: acc}\n",
    )
    repo.write(".mlgate.yml", "metrics: [m.json]\n")
    repo.write("m.json", {"acc": 1})
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("ev/train.csv", "epoch,acc\n0,0.5\n1,0.7\n")
    repo.commit("pr")
    _code, text = _report(repo, cli, chdir)
    assert "not drawn" not in text


# Finding 8 -------------------------------------------------------------------------------------
# `.dvcignore` is not honoured: a `dvc.yaml` in an ignored directory (an old pipeline kept for
# reference) is read by mlgate (extra metrics; broken there, exit 2) while DVC never sees it.


def test_dvc_files_in_a_dvcignored_directory_are_not_read(repo: Repo, cli: Any, chdir: Any) -> None:
    repo.write("m.json", {"acc": 0.9})
    repo.write("dvc.yaml", "metrics:\n  - m.json\n")
    repo.write("old/lm.json", {"loss": 1})
    repo.write("old/dvc.yaml", "metrics:\n  - lm.json\n")
    repo.write(".dvcignore", "old/\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("m.json", {"acc": 0.8})
    repo.write("old/lm.json", {"loss": 2})
    repo.write("old/dvc.yaml", "stages: 5\n")  # broken, but DVC ignores it
    repo.commit("pr")
    dvc = json.loads(repo.dvc("metrics", "diff", "main", "--json"))
    assert set(dvc) == {"m.json"}
    chdir(repo.path)
    res = cli("diff", "--base", "main", "--json")
    assert res.code == 0, res.err
    assert set(json.loads(res.out)) == set(dvc)


# Finding 4b (the same hole, opened on purpose) --------------------------------------------------
# With the base objects at hand, a files-only PR commits one garbage file at the address of the
# base directory's manifest (`.dvc/cache/files/md5/<xx>/<rest>.dir`). The hash check refuses it,
# the base read of `eval` fails, and the head's eval/metrics.json:acc is "new": 0.9 -> 0.5 passes.


def test_a_forged_manifest_committed_by_the_pr_fails_closed(
    repo: Repo, cli: Any, chdir: Any
) -> None:
    repo.write("train.py", TRAIN)
    repo.write("v.json", {"acc": 0.9})
    repo.write("dvc.yaml", DIR_YAML)
    repo.write(".mlgate.yml", GATE)
    repo.dvc("repro", "--quiet")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("v.json", {"acc": 0.5})
    repo.dvc("repro", "--quiet")
    lock = repo.git("show", "main:dvc.lock")  # the base directory's manifest
    md5 = next(w for w in lock.split() if w.endswith(".dir")).removesuffix(".dir")
    manifest = repo.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / f"{md5[2:]}.dir"
    assert manifest.is_file()
    manifest.chmod(0o644)
    manifest.write_text("garbage\n")
    repo.git("add", "-f", str(manifest.relative_to(repo.path)))
    repo.commit("pr: worse model, and a file in .dvc/cache")
    code, text = _report(repo, cli, chdir)
    assert code == 1
    assert "is new" not in text


# Finding 9 -------------------------------------------------------------------------------------
# A secret whose value is structured (a service-account JSON, a kubeconfig, a PEM key) is
# redacted only when it appears whole; the training printing one field of it (the private key)
# publishes that field. GitHub's own masking hides each line of a multi-line secret.


def test_a_field_of_a_structured_secret_is_redacted() -> None:
    from mlgate.redact import from_environ

    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
    creds = json.dumps({"type": "service_account", "private_key": pem, "client_email": "x@y"})
    redact = from_environ({"GCP_SA_KEY": creds})
    assert body not in redact(f"loaded key:\n{pem}")


# Finding 10 ------------------------------------------------------------------------------------
# A data file gated by drift rules (`max_psi`, `max_ks`) whose base cannot be read (DVC-tracked,
# objects in no cache and no remote; or a forged cache object) is shown as "added", its drift
# rules pass, and the run exits 0 with "no gates configured"; readable, the same data fails.


def _data(seed: int, mean: float) -> str:
    import random

    rng = random.Random(seed)
    return "x\n" + "".join(f"{rng.gauss(mean, 1):.4f}\n" for _ in range(2000))


def test_drift_rules_fail_closed_when_the_base_data_is_unreadable(
    repo: Repo, cli: Any, chdir: Any, tmp_path: Path
) -> None:
    repo.write("data/train.csv", _data(1, 0.0))
    repo.dvc("add", "--quiet", "data/train.csv")
    repo.write("m.json", {"acc": 0.9})
    repo.write(
        ".mlgate.yml",
        "metrics: [m.json]\ndata:\n  - path: data/train.csv\n    max_psi: 0.25\n    max_ks: 0.2\n",
    )
    repo.commit("base")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(repo.path), str(clone)], check=True)
    r = Repo(clone)
    r.git("checkout", "--quiet", "-b", "pr")
    r.write("data/train.csv", _data(2, 5.0))  # shifted by five standard deviations
    r.dvc("add", "--quiet", "data/train.csv")
    r.commit("pr: drifted data")
    code, text = _report(r, cli, chdir)
    assert code == 1
    assert "| added" not in text  # the base has the file: it is unreadable, not added


# Finding 11 ------------------------------------------------------------------------------------
# A templated dvc.yaml at head opens DVC's Repo on the workspace, which reads the PR's own
# `.dvc/config`: `core.site_cache_dir` set there makes DVC create that directory tree anywhere
# and write its state databases into it (outside the repository, at a path the PR chose).


def test_the_prs_dvc_config_cannot_make_mlgate_write_outside_the_repository(
    repo: Repo, cli: Any, chdir: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DVC_SITE_CACHE_DIR", raising=False)  # the runner sets none
    target = tmp_path / "chosen-by-the-pr" / "deep"
    repo.write("metrics.json", {"acc": 0.9})
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.dvc("config", "core.site_cache_dir", str(target))
    repo.write("dvc.yaml", "vars:\n  - f: metrics.json\nmetrics:\n  - ${f}\n")  # templated
    repo.commit("pr")
    chdir(repo.path)
    res = cli("diff", "--base", "main", "--json")
    assert res.code == 0, res.err
    assert not (tmp_path / "chosen-by-the-pr").exists()
