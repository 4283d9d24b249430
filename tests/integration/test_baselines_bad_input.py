"""Issue 14's bad input: a base whose training fails or does not exist, corrupt or foreign cache
entries, results-branch entries that fail their schema. A tiny shell "training" (real git
repositories, real subprocesses) keeps these fast; the real starter is in test_baselines.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlgate import results
from mlgate.sources.git import Git
from tests.conftest import Repo, Result

TRAIN = 'printf "Accuracy: %s\\n" "$(cat acc)" > metrics.txt\necho "$PWD" >> "$MARKER"\n'
CONFIG = "metrics: [metrics.txt]\ngates:\n  - metric: Accuracy\n    max_drop: 0.01\n"
CACHE = ".cache/mlgate/base"


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "marker.log"
    monkeypatch.setenv("MARKER", str(path))  # the training's environment is the job's
    return path


def project(tmp_path: Path, *, base_has_train: bool = True, config: str = CONFIG) -> Repo:
    path = tmp_path / "proj"
    path.mkdir()
    r = Repo(path)
    r.git("init", "--quiet", "--initial-branch=main")
    r.write(".gitignore", "metrics.txt\n.cache/\nout/\n")
    r.write(".mlgate.yml", config)
    r.write("acc", "0.9\n")
    if base_has_train:
        r.write("train.sh", TRAIN)
    r.commit("base")
    r.git("checkout", "--quiet", "-b", "pr")
    r.write("acc", "0.8\n")
    r.write("train.sh", TRAIN)
    r.commit("worse")
    return r


def report(cli: Callable[..., Result], r: Repo, *args: str) -> tuple[Result, dict[str, Any], str]:
    out = r.path / "out"
    res = cli("report", "-C", str(r.path), "--out", str(out), *args)
    result = json.loads((out / "result.json").read_text()) if (out / "result.json").exists() else {}
    text = (out / "report.md").read_text() if (out / "report.md").exists() else ""
    return res, result, text


def trained_where(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def test_a_base_without_the_command_fails_its_gates_closed_with_the_output_tail(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path, base_has_train=False)  # the PR adds train.sh
    res, result, text = report(cli, r, "--command", "sh train.sh")
    assert res.code == 1, res.err
    assert result["baseline"]["kind"] == "failed"
    assert result["baseline"]["training"]["exit_code"] != 0
    assert "train.sh" in result["baseline"]["training"]["output_tail"]  # sh: can't open train.sh
    gate = result["gates"][0]
    assert gate["outcome"] == "fail"
    assert gate["old"] is None
    assert "the base's training failed" in gate["message"]
    assert "training it in this job with" in text and "Base training output" in text
    assert trained_where(marker) == [str(r.path)]  # only the head ran to the end


def test_a_failing_base_follows_on_missing_base_warn(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    config = CONFIG + "    on_missing_base: warn\n"
    r = project(tmp_path, base_has_train=False, config=config)
    res, result, _ = report(cli, r, "--command", "sh train.sh")
    assert res.code == 0, res.err
    assert result["gates"][0]["outcome"] == "warn"


def test_a_failing_base_command_shows_its_output(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    r.git("checkout", "--quiet", "main")
    r.write("train.sh", 'echo "boom: data/train.csv missing"\nexit 3\n')
    r.commit("broken base")
    r.git("checkout", "--quiet", "pr")
    r.git("rebase", "--quiet", "main")
    r.write("train.sh", TRAIN)  # the PR's own, working training
    r.commit("fix the training")
    res, result, _ = report(cli, r, "--command", "sh train.sh")
    assert res.code == 1
    assert result["baseline"]["training"]["exit_code"] == 3
    assert "boom: data/train.csv missing" in result["baseline"]["training"]["output_tail"]
    assert not (r.path / CACHE).exists()  # a failure is not cached


def entry(r: Repo) -> Path:
    (found,) = list((r.path / CACHE).iterdir())
    return found


def test_a_corrupt_cache_entry_is_ignored_with_a_note(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    _first, result, _ = report(cli, r, "--command", "sh train.sh")
    assert result["gates"][0]["old"] == 0.9
    assert len(trained_where(marker)) == 2
    (entry(r) / "files" / "metrics.txt").write_text("Accuracy: 0.1\n")  # a forged base
    _res, result, text = report(cli, r, "--command", "sh train.sh")
    assert "does not match its sha256" in text
    assert result["gates"][0]["old"] == 0.9  # trained again, not the forged value
    assert result["baseline"]["kind"] == "trained"
    assert len(trained_where(marker)) == 4


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda e: (e / "entry.json").write_text("{not json"), id="manifest"),
        pytest.param(lambda e: (e / "files" / "metrics.txt").unlink(), id="missing-file"),
        pytest.param(
            lambda e: (
                (e / "files" / "metrics.txt").unlink(),
                (e / "files" / "metrics.txt").symlink_to("/etc/hostname"),
            ),
            id="symlink",
        ),
    ],
)
def test_damaged_cache_entries_are_retrained(
    tmp_path: Path, marker: Path, cli: Callable[..., Result], damage: Callable[[Path], object]
) -> None:
    r = project(tmp_path)
    report(cli, r, "--command", "sh train.sh")
    damage(entry(r))
    res, result, text = report(cli, r, "--command", "sh train.sh")
    assert res.code == 1, res.err
    assert "base cache entry" in text and "ignored" in text
    assert result["baseline"]["kind"] == "trained"
    assert result["gates"][0]["old"] == 0.9


def test_another_commands_entry_is_ignored_with_a_note(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    report(cli, r, "--command", "sh train.sh")
    _res, result, text = report(cli, r, "--command", "sh ./train.sh")
    assert "is for another command or other dependencies" in text
    assert result["baseline"]["kind"] == "trained"
    _third, result, _ = report(cli, r, "--command", "sh train.sh")
    assert result["baseline"]["kind"] == "cached"  # both entries are kept
    assert len(trained_where(marker)) == 5


def test_a_cache_committed_by_the_pull_request_is_not_trusted(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    report(cli, r, "--command", "sh train.sh")
    forged = entry(r) / "files" / "metrics.txt"
    forged.write_text("Accuracy: 0.1\n")
    manifest = json.loads((entry(r) / "entry.json").read_text())

    manifest["files"]["metrics.txt"] = hashlib.sha256(forged.read_bytes()).hexdigest()
    (entry(r) / "entry.json").write_text(json.dumps(manifest))
    r.git("add", "-f", ".cache")
    r.commit("a consistent, forged base result")
    _res, result, text = report(cli, r, "--command", "sh train.sh")
    assert "committed to the repository" in text
    assert result["gates"][0]["old"] == 0.9


def test_base_run_never_and_always(
    tmp_path: Path, marker: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")  # in CI the base branch's .mlgate.yml governs (issue 20)
    r = project(tmp_path)
    res, result, text = report(cli, r, "--command", "sh train.sh", "--base-run", "never")
    assert "baseline" not in result
    # issue 20: nothing produced the base's results: no baseline (on_missing_base), never new
    assert result["metrics"][0]["status"] == "unknown"
    assert "no baseline" in result["gates"][0]["message"]
    assert "base-run: never" in text
    assert res.code == 1
    r.write(".mlgate.yml", CONFIG + "base_run: never\n")
    res, result, text = report(cli, r, "--command", "sh train.sh")
    # the PR's own .mlgate.yml cannot switch off training the base: main's config governs
    assert result["baseline"]["kind"] in ("trained", "cached")
    assert "this pull request changes \\`base\\_run\\` in .mlgate.yml" in text
    _res, result, _ = report(cli, r, "--command", "sh train.sh", "--base-run", "auto")
    assert result["baseline"]["kind"] in ("trained", "cached")  # the flag wins over the file
    bad = cli("report", "-C", str(r.path), "--out", str(r.path / "out"), "--base-run", "always")
    assert bad.code == 2
    assert "base-run: always needs a training command" in bad.err


def test_always_trains_a_base_that_commits_its_metrics(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    r.git("checkout", "--quiet", "main")
    r.write("metrics.txt", "Accuracy: 0.5\n")  # stale, committed
    r.git("add", "-f", "metrics.txt")
    r.commit("stale metrics")
    r.git("checkout", "--quiet", "pr")
    r.git("rebase", "--quiet", "main")
    _, result, _ = report(cli, r, "--command", "sh train.sh")
    assert result["gates"][0]["old"] == 0.5 and "baseline" not in result  # auto: git holds it
    _, result, _ = report(cli, r, "--command", "sh train.sh", "--base-run", "always")
    assert result["gates"][0]["old"] == 0.9


# --- the results branch ---------------------------------------------------------------------


def record_on_main(cli: Callable[..., Result], r: Repo) -> str:
    r.git("checkout", "--quiet", "main")
    res = cli("record", "-C", str(r.path), "--command", "sh train.sh")
    assert res.code == 0, res.err
    sha = r.git("rev-parse", "HEAD").strip()
    r.git("checkout", "--quiet", "pr")
    return sha


def test_nearest_stored_ancestor_is_used_and_named(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    recorded = record_on_main(cli, r)
    r.git("checkout", "--quiet", "main")
    r.write("README.md", "docs\n")
    r.commit("docs only, not recorded")
    r.git("checkout", "--quiet", "pr")
    r.git("rebase", "--quiet", "main")
    before = len(trained_where(marker))
    res, result, _ = report(cli, r, "--command", "sh train.sh")
    assert res.code == 1
    assert len(trained_where(marker)) == before + 1  # the head only
    assert f"ancestor {recorded[:7]}, 1 commit(s) earlier" in result["baseline"]["summary"]
    assert result["gates"][0]["old"] == 0.9
    _, result, _ = report(cli, r, "--command", "sh train.sh", "--results-depth", "0")
    assert result["baseline"]["kind"] == "trained"  # too far back: the base is trained


def forge(r: Repo, sha: str, change: Callable[[dict[str, Any], dict[str, bytes]], None]) -> None:
    files = {"metrics.txt": b"Accuracy: 0.1\n"}
    doc = results.entry_document(
        sha, files, ref="main", command="sh train.sh", metrics={}, params={}
    )
    change(doc, files)
    results.write(Git(r.path), sha, files, doc, branch="mlgate-results")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d, f: d.update(sha="0" * 40), id="other-sha"),
        pytest.param(lambda d, f: d.update(mlgate_results=99), id="schema-version"),
        pytest.param(lambda d, f: f.update({"metrics.txt": b"Accuracy: 0.2\n"}), id="hash"),
        pytest.param(
            lambda d, f: d["files"].update({"../../etc/passwd": d["files"]["metrics.txt"]}),
            id="path-out",
        ),
        pytest.param(lambda d, f: d.update(files=[]), id="files-not-mapping"),
        pytest.param(
            lambda d, f: d["files"]["metrics.txt"].update(size="12"), id="size-not-number"
        ),
    ],
)
def test_a_results_entry_failing_its_schema_is_ignored_with_a_note(
    tmp_path: Path,
    marker: Path,
    cli: Callable[..., Result],
    change: Callable[[dict[str, Any], dict[str, bytes]], None],
) -> None:
    r = project(tmp_path)
    forge(r, r.git("rev-parse", "main").strip(), change)
    res, result, text = report(cli, r, "--command", "sh train.sh")
    assert res.code == 1, res.err
    assert "on mlgate-results ignored: " in text
    assert result["baseline"]["kind"] == "trained"
    assert result["gates"][0]["old"] == 0.9  # never the forged 0.1


def test_a_missing_results_branch_on_origin_is_a_note(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    bare = tmp_path / "origin.git"
    r.run("git", "init", "--quiet", "--bare", str(bare))
    r.git("remote", "add", "origin", str(bare))
    r.git("push", "--quiet", "origin", "main")
    _res, result, text = report(cli, r, "--command", "sh train.sh")
    assert "no results branch 'mlgate-results' on origin yet" in text
    assert result["baseline"]["kind"] == "trained"


def test_record_refuses_nothing_to_record_and_push_without_origin(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    res = cli("record", "-C", str(r.path))
    assert res.code == 2
    assert "nothing to record" in res.err
    res = cli("record", "-C", str(r.path), "--push")
    assert res.code == 2
    assert "no remote `origin`" in res.err


def test_record_stores_nothing_when_the_training_fails(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    res = cli("record", "-C", str(r.path), "--command", "sh train.sh && exit 5")
    assert res.code == 3
    assert "training failed (exit 5)" in res.err and "nothing was recorded" in res.err
    assert Git(r.path).rev_parse("refs/heads/mlgate-results") is None


def test_the_base_is_not_trained_when_the_head_training_failed(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    res, result, text = report(cli, r, "--command", "sh train.sh && exit 4")
    assert res.code == 1
    assert result["verdict"].startswith("training failed (exit 4)")
    assert trained_where(marker) == [str(r.path)]  # the head only
    assert "was not trained: the head's training failed" in text
    assert result["gates"][0]["outcome"] == "fail"


def test_a_file_the_trained_base_cannot_keep_is_unreadable_not_new(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    # at the base, the training links its metrics file out of the repository
    r.git("checkout", "--quiet", "main")
    r.write("train.sh", 'ln -sf /etc/hostname metrics.txt\necho "$PWD" >> "$MARKER"\n')
    r.commit("a base that links out")
    r.git("checkout", "--quiet", "pr")
    r.git("rebase", "--quiet", "main")
    r.write("train.sh", TRAIN)  # the PR's own, working training
    r.commit("fix the training")
    res, result, _ = report(cli, r, "--command", "sh train.sh")
    assert res.code == 1
    assert result["baseline"]["kind"] == "trained"
    gate = result["gates"][0]
    assert gate["old"] is None and gate["outcome"] == "fail"
    assert "symbolic link leading out of the repository" in gate["message"]
    # and the same from the cache
    res, result, _ = report(cli, r, "--command", "sh train.sh")
    assert result["baseline"]["kind"] == "cached"
    assert "symbolic link leading out" in result["gates"][0]["message"]


def test_history_lists_the_stored_entries_newest_first(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    first = record_on_main(cli, r)
    r.git("checkout", "--quiet", "main")
    r.write("acc", "0.95\n")
    r.commit("better")
    second = record_on_main(cli, r)
    forge(r, r.git("rev-parse", "main~1").strip(), lambda d, f: d.update(mlgate_results=7))
    stored, notes = results.history(Git(r.path), second, branch="mlgate-results", depth=5)
    # the forged replacement of the first entry is ignored with a note, never a crash
    assert [s.sha for s in stored] == [second]
    assert notes == [
        f"stored results of {first[:7]} on mlgate-results ignored: result.json: mlgate_results: "
        "expected 1 (this mlgate's schema)"
    ]
    assert stored[0].result["metrics"] == {"metrics.txt": {"Accuracy": 0.95}}


def test_fetching_the_results_branch_leaves_a_complete_clone_complete(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    bare = tmp_path / "origin.git"
    r.run("git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    r.git("remote", "add", "origin", str(bare))
    r.git("checkout", "--quiet", "main")
    assert cli("record", "-C", str(r.path), "--command", "sh train.sh", "--push").code == 0
    r.write("acc", "0.95\n")
    r.commit("better")
    assert cli("record", "-C", str(r.path), "--command", "sh train.sh", "--push").code == 0
    r.git("push", "--quiet", "origin", "main")
    clone = Repo(tmp_path / "clone")
    r.run("git", "clone", "--quiet", str(bare), str(clone.path))
    clone.git("checkout", "--quiet", "-b", "worse")
    clone.write("acc", "0.8\n")
    clone.commit("worse")
    res, result, _ = report(cli, clone, "--command", "sh train.sh")
    assert result["baseline"]["kind"] == "stored", res.err
    assert result["gates"][0]["old"] == 0.95
    assert clone.git("rev-parse", "--is-shallow-repository").strip() == "false"
    # the results branch has both entries, one commit each, on top of one another
    log = clone.git("log", "--format=%s", "origin/mlgate-results").splitlines()
    assert len(log) == 2 and all(line.startswith("mlgate: results of ") for line in log)


def test_a_base_whose_training_writes_no_metrics_says_so(
    tmp_path: Path, marker: Path, cli: Callable[..., Result]
) -> None:
    r = project(tmp_path)
    r.git("checkout", "--quiet", "main")
    r.write("train.sh", 'echo "$PWD" >> "$MARKER"\n')  # trains, writes no metrics yet
    r.commit("no metrics at base")
    r.git("checkout", "--quiet", "pr")
    r.git("rebase", "--quiet", "main")
    r.write("train.sh", TRAIN)
    r.commit("the PR adds metrics")
    res, result, text = report(cli, r, "--command", "sh train.sh")
    assert result["baseline"]["kind"] == "trained"
    assert result["metrics"][0]["status"] == "added"  # truly new: the base ran and has none
    assert "wrote none of metrics.txt: the base does not produce them" in text
    assert res.code == 0  # a new metric: only absolute bounds apply
