"""Gates that fail closed: a base value mlgate cannot read fails its gate with the reason and the
fix, never passes as "new". Real git, real DVC (`dvc repro`, a local-directory remote), fresh
clones with empty caches, and `mlgate run` against the fake GitHub API for the merge gate."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from tests.conftest import Repo, new_dvc_repo
from tests.fake_github import FakeGitHub, State, Token, pull_request_payload, runner_environment
from tests.integration.test_conformance import EVAL_YAML, GEN, dvc_json

pytestmark = pytest.mark.slow
TOKEN = "ghs_installation_token_fail_closed"


def origin_with_eval(path: Path, remote: Path | None) -> Repo:
    """main: the evaluate stage's directory output `eval/` (metrics, two ROC files, an image),
    trained at scale 1.0 and, with a remote, pushed."""
    r = new_dvc_repo(path)
    if remote is not None:
        r.dvc("remote", "add", "-d", "store", str(remote))
    r.write("gen.py", GEN)
    r.write("params.yaml", "scale: 1.0\n")
    r.write("dvc.yaml", EVAL_YAML)
    r.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")
    r.dvc("repro", "--quiet")
    if remote is not None:
        r.dvc("push", "--quiet")
    r.commit("base")
    return r


def fresh_clone(origin: Repo, dest: Path, scale: str = "0.95") -> Repo:
    """A CI checkout: the PR branch, its own training run, no base objects in the cache."""
    subprocess.run(["git", "clone", "--quiet", f"file://{origin.path}", str(dest)], check=True)
    r = Repo(dest)
    r.git("checkout", "--quiet", "-b", "pr")
    assert not (dest / ".dvc" / "cache").exists()
    r.write("params.yaml", f"scale: {scale}\n")
    return r


def report(r: Repo, cli: Any, chdir: Any, *args: str) -> tuple[int, str, dict[str, Any]]:
    chdir(r.path)
    res = cli("report", "--base", "main", "--out", "out", *args)
    assert "Traceback" not in res.err
    text = (r.path / "out" / "report.md").read_text()
    return res.code, text, json.loads((r.path / "out" / "result.json").read_text())


def test_directory_output_from_the_remote_fails_the_merge_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], events
) -> None:  # type: ignore[no-untyped-def]
    """The issue's scenario: base objects only in the remote, the test metric falls 5%, gate
    `max_drop: 0.01`: exit 1, a red status, values equal DVC's, four ROC lines, both images."""
    origin = origin_with_eval(tmp_path / "origin", tmp_path / "remote")
    work = fresh_clone(origin, tmp_path / "ci")
    work.dvc("repro", "--quiet")  # trains head only: the base stays in the remote
    work.commit("worse model")
    sha = work.git("rev-parse", "HEAD").strip()

    state = State(tokens={TOKEN: Token("github-actions[bot]")})
    state.add_pull(7, sha, head_ref="pr")
    server = FakeGitHub(state).start()
    try:
        event = tmp_path / "event.json"
        payload = pull_request_payload(
            events("pull_request.synchronize.json"), state, number=7, head_sha=sha, head_ref="pr"
        )
        event.write_text(json.dumps(payload))
        env = runner_environment(
            server,
            token=TOKEN,
            event_name="pull_request",
            event_path=str(event),
            workspace=str(work.path),
            output=str(tmp_path / "output.txt"),
            summary=str(tmp_path / "summary.md"),
        )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(work.path)
        code = main(["run"])
        err = capsys.readouterr().err
    finally:
        server.stop()
    assert code == 1, err
    [status] = state.statuses
    assert status["state"] == "failure" and status["sha"] == sha
    assert "acc fell 0.045" in status["description"]

    result = json.loads((work.path / "mlgate-report" / "result.json").read_text())
    dvc = dvc_json(work, "metrics", "diff", "main", "--all")
    for row in result["metrics"]:
        theirs = dvc[row["path"]][row["metric"]]  # type: ignore[index]
        assert (row["old"], row["new"]) == (theirs["old"], theirs["new"])
    text = (work.path / "mlgate-report" / "report.md").read_text()
    roc = text.split("![ROC", 1)[1].split("![", 1)[0]  # the ROC chart's section
    for line in ("train · base", "train · head", "test · base", "test · head"):
        assert f"| {line} " in roc
    assert "base \\(left\\) and head \\(right\\)" in text.split("![eval/importance.png")[1]


def test_no_cache_and_no_remote_is_not_new(tmp_path: Path, cli, chdir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A fresh clone with no DVC cache and no remote: a 0.9 -> 0.5 drop is not "new"."""
    monkeypatch.setenv("CI", "true")  # in CI the base branch's .mlgate.yml governs (issue 20)
    origin = origin_with_eval(tmp_path / "origin", None)
    work = fresh_clone(origin, tmp_path / "ci", scale="0.55")
    work.dvc("repro", "--quiet")
    code, text, result = report(work, cli, chdir)
    assert code == 1
    [gate] = result["gates"]
    assert gate["outcome"] == "fail"
    assert "base value unreadable" in gate["message"]
    assert "no DVC remote is configured" in gate["message"]
    assert "on_missing_base: warn" in gate["message"]  # the way out, said in the message
    assert " is new " not in text

    warn = "gates:\n  - metric: acc\n    max_drop: 0.01\n    on_missing_base: warn\n"
    work.write(".mlgate.yml", warn)  # the PR cannot loosen its own gate...
    code, text, result = report(work, cli, chdir)
    assert code == 1
    assert "this pull request changes \\`gates\\` in .mlgate.yml" in text
    origin.write(".mlgate.yml", warn)  # ...the base branch can
    origin.commit("warn when the base is unreadable")
    work.git("fetch", "--quiet", "origin", "main:main")
    code, _text, result = report(work, cli, chdir)
    assert code == 0
    assert result["gates"][0]["outcome"] == "warn"


def test_unreachable_remote_names_the_remote_and_the_fix(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    origin = origin_with_eval(tmp_path / "origin", tmp_path / "remote")
    work = fresh_clone(origin, tmp_path / "ci")
    work.dvc("repro", "--quiet")
    shutil.rmtree(tmp_path / "remote")  # the remote is gone (or unreachable)
    shutil.rmtree(work.path / ".dvc" / "cache")  # the PR's run cached head only anyway
    code, _text, result = report(work, cli, chdir)
    assert code == 1
    message = result["gates"][0]["message"]
    assert "DVC remote 'store'" in message and "dvc push" in message


def _base_object(origin: Repo, rel: str) -> tuple[str, Path]:
    """The md5 of `rel` inside the base's `eval` directory, and its path in a cache."""
    lock = origin.path / "dvc.lock"
    md5 = next(
        line.split()[-1]
        for line in lock.read_text().splitlines()
        if line.strip().startswith("md5:") and ".dir" in line
    )
    manifest = json.loads(
        (origin.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).read_text()
    )
    entry = next(e["md5"] for e in manifest if e["relpath"] == rel)
    return md5, Path("files") / "md5" / entry[:2] / entry[2:]


def test_a_forged_cache_object_is_refused(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    """A PR that commits a fake cache cannot choose the baseline: objects are hash-checked."""
    origin = origin_with_eval(tmp_path / "origin", tmp_path / "remote")
    _dir_md5, rel = _base_object(origin, "metrics.json")
    work = fresh_clone(origin, tmp_path / "ci")
    work.dvc("repro", "--quiet")
    forged = work.path / ".dvc" / "cache" / rel
    forged.parent.mkdir(parents=True, exist_ok=True)
    forged.write_text(json.dumps({"acc": 0.1, "loss": 9}))  # a base the PR would beat
    code, _text, result = report(work, cli, chdir)
    assert code == 1
    assert "does not match its hash" in result["gates"][0]["message"]


def test_a_forged_directory_manifest_is_refused(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    origin = origin_with_eval(tmp_path / "origin", tmp_path / "remote")
    dir_md5, _rel = _base_object(origin, "metrics.json")
    work = fresh_clone(origin, tmp_path / "ci")
    work.dvc("repro", "--quiet")
    forged = work.path / ".dvc" / "cache" / "files" / "md5" / dir_md5[:2] / dir_md5[2:]
    forged.parent.mkdir(parents=True, exist_ok=True)
    forged.write_text("[]")
    code, _text, result = report(work, cli, chdir)
    assert code == 1
    assert "manifest" in result["gates"][0]["message"]
    assert "does not match its hash" in result["gates"][0]["message"]


def test_a_manifest_missing_everywhere_fails_closed(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    origin = origin_with_eval(tmp_path / "origin", tmp_path / "remote")
    dir_md5, _rel = _base_object(origin, "metrics.json")
    (tmp_path / "remote" / "files" / "md5" / dir_md5[:2] / dir_md5[2:]).unlink()
    work = fresh_clone(origin, tmp_path / "ci")
    work.dvc("repro", "--quiet")
    code, _text, result = report(work, cli, chdir)
    assert code == 1
    assert "base value unreadable" in result["gates"][0]["message"]


def test_the_prs_dvc_config_does_not_choose_the_base_cache(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    """The PR repoints `cache.dir` and drops the remote in `.dvc/config`: the base is still
    read with the base revision's configuration."""
    origin = origin_with_eval(tmp_path / "origin", tmp_path / "remote")
    work = fresh_clone(origin, tmp_path / "ci")
    work.dvc("repro", "--quiet")
    work.write(".dvc/config", "[core]\n[cache]\n    dir = ../elsewhere\n")
    work.commit("repoint the cache")
    code, _text, result = report(work, cli, chdir)
    assert code == 1
    [gate] = result["gates"]
    assert gate["old"] == 0.9 and "acc fell 0.045" in gate["message"]


def test_a_committed_config_local_is_not_trusted(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    origin = origin_with_eval(tmp_path / "origin", tmp_path / "remote")
    work = fresh_clone(origin, tmp_path / "ci")
    work.dvc("repro", "--quiet")
    work.write(".dvc/config.local", "[cache]\n    dir = /tmp\n")
    work.git("add", "-f", ".dvc/config.local")
    work.commit("sneak a local config in")
    code, _text, result = report(work, cli, chdir)
    assert code == 1
    assert ".dvc/config.local is committed" in result["gates"][0]["message"]


@pytest.mark.parametrize(
    "bad", ["metrics: 5", "plots: 5", "stages: {train: {cmd: x, params: [5]}}"]
)
def test_a_base_dvc_yaml_of_the_wrong_shape_is_a_note_not_a_crash(
    repo: Repo, cli, chdir, bad: str
) -> None:  # type: ignore[no-untyped-def]
    """The PR cannot fix the base branch: a broken base dvc.yaml costs what it hides."""
    repo.write("dvc.yaml", bad + "\n")
    repo.write("metrics.json", {"acc": 0.9})
    repo.write(".mlgate.yml", "metrics: [metrics.json]\ngates:\n  - metric: acc\n")
    repo.commit("broken pipeline file on main")
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.write("metrics.json", {"acc": 0.95})
    code, text, result = report(repo, cli, chdir)
    assert code == 0, text  # metrics.json is in git at base: still compared
    assert result["gates"][0]["old"] == 0.9
    assert "base: dvc.yaml at main: " in text


def test_a_base_dvc_yaml_that_hides_a_cached_metric_fails_closed(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("dvc.yaml", "metrics: 5\n")
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n")
    repo.commit("broken pipeline file on main")
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.write("metrics.json", {"acc": 0.95})
    code, _text, result = report(repo, cli, chdir)
    assert code == 1
    assert "cannot tell whether main has metrics.json" in result["gates"][0]["message"]
