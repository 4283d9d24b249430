"""Issue 20: a gate passes only on evidence, on every default path. Each `Seen` case of the
issue run as a user would (real git repositories, real DVC, `mlgate report` on the command
line), with variants; each failed on main at 696d4d1. The host side (the action on `push`,
comments and statuses on GitHub and GitLab) is in test_no_green_on_hosts.py."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo, Result

pytestmark = pytest.mark.slow
Cli = Callable[..., Result]

TRAIN = "python -c \"import json, pathlib; pathlib.Path('metrics.json').write_text(json.dumps({'r2': float(pathlib.Path('quality').read_text())}))\"\n"  # noqa: E501


def report(repo: Repo, cli: Cli, *args: str) -> tuple[Result, dict[str, Any], str]:
    res = cli("report", "-C", str(repo.path), "--out", str(repo.path / "out"), *args)
    assert "Traceback" not in res.err, res.err
    out = repo.path / "out"
    if not (out / "result.json").is_file():
        return res, {}, ""
    return res, json.loads((out / "result.json").read_text()), (out / "report.md").read_text()


def main_then_pr(repo: Repo, main: dict[str, Any], pr: dict[str, Any]) -> None:
    """Commit `main`'s files on main, then `pr`'s on a branch `pr` (files: path -> content)."""
    for name, files in (("main", main), ("pr", pr)):
        if name == "pr":
            repo.git("checkout", "--quiet", "-b", "pr")
        for path, content in files.items():
            repo.write(path, content)
        repo.commit(name)


# --- Seen 1: no baseline is not "new" -------------------------------------------------------


@pytest.mark.parametrize("layout", ["mlgate-yml", "dvclive"])
def test_seen_1_results_trained_outside_mlgate_have_no_baseline(
    repo: Repo, cli: Cli, layout: str
) -> None:
    """CML's habit: a workflow step trains before mlgate, no `run:`, nothing is committed. The
    base holds no results and nothing produces them: every gated metric is "no baseline"."""
    path = "metrics.json" if layout == "mlgate-yml" else "dvclive/metrics.json"
    listed = "metrics: [metrics.json]\n" if layout == "mlgate-yml" else ""
    repo.write(".gitignore", f"{path}\nout/\n")
    repo.write(".mlgate.yml", f"{listed}gates:\n  - metric: r2\n    max_drop: 0.05\n")
    repo.commit("main: trains in CI, stores nothing")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("model.py", "depth = 1\n")
    repo.commit("shallower trees")
    repo.write(path, {"r2": 0.31})  # the PR's training step, before mlgate (r2 was 0.78)
    res, result, text = report(repo, cli)
    assert res.code == 1, res.err
    [gate] = result["gates"]
    assert gate["outcome"] == "fail"
    assert gate["message"].startswith("r2: no baseline: base main (")
    for fix in ("set `run:` or `repro: true`", "mlgate record --push", "push: branches"):
        assert fix in gate["message"]
    assert "error: r2: no baseline" in res.err  # stderr (an ::error annotation in Actions)
    assert "is new" not in text and result["verdict"].startswith("1 of 1 gate failed")


def test_a_metrics_file_the_pr_commits_is_new(repo: Repo, cli: Cli) -> None:
    repo.write(".mlgate.yml", "metrics: [metrics.json]\ngates:\n  - metric: r2\n    min: 0.5\n")
    repo.commit("main")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("metrics.json", {"r2": 0.8})
    repo.commit("the PR adds its first results")
    res, result, _ = report(repo, cli)
    assert res.code == 0, res.err
    assert result["gates"][0]["message"] == "r2 is new (0.8); no base to compare"


def test_a_base_trained_here_is_a_real_baseline(repo: Repo, cli: Cli) -> None:
    """The first fix the message names: `run:` trains the base in a worktree; the drop shows."""
    main = {
        "train.sh": TRAIN,
        "quality": "0.78",
        ".gitignore": "metrics.json\nout/\n.cache/\n",
        ".mlgate.yml": "metrics: [metrics.json]\ngates:\n  - metric: r2\n",
    }
    main_then_pr(repo, main, {"quality": "0.31"})
    res, result, _ = report(repo, cli, "--command", "sh train.sh")
    assert res.code == 1, res.err
    assert result["gates"][0]["message"].startswith("r2 fell 0.47 (60.3%) from 0.78 to 0.31")


# --- Seen 2: the direction is known, or the config is refused -------------------------------


def pr_with(repo: Repo, config: str, base: Any, head: Any) -> None:
    main = {".mlgate.yml": config, "metrics.json": base, "dvc.yaml": "metrics:\n  - metrics.json\n"}
    main_then_pr(repo, main, {"metrics.json": head})


def test_seen_2_a_loss_that_rose_fails_without_a_direction(repo: Repo, cli: Cli) -> None:
    pr_with(
        repo,
        "gates:\n  - metric: log_loss\n    max_drop: 0.01\n",
        {"log_loss": 0.1308},
        {"log_loss": 0.6336},
    )
    res, result, _ = report(repo, cli)
    assert res.code == 1, res.err
    assert result["gates"][0]["direction"] == "lower"
    assert result["gates"][0]["message"] == (
        "log_loss rose 0.5028 (384.4%) from 0.1308 to 0.6336; allowed 0.01"
    )


def test_an_unknown_name_is_exit_2_and_a_contradiction_is_a_warning(repo: Repo, cli: Cli) -> None:
    pr_with(repo, "gates:\n  - metric: acc\n", {"acc": 0.9, "m": 1}, {"acc": 0.9, "m": 2})
    repo.write(".mlgate.yml", "gates:\n  - metric: m\n    max_drop: 1\n")
    res, _, _ = report(repo, cli)
    assert res.code == 2
    assert (
        res.err.strip()
        .splitlines()[-1]
        .startswith(
            "error: .mlgate.yml: gates[0].direction: required: 'm' does not say which way is better"
        )
    )
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    direction: lower\n")
    res, _, text = report(repo, cli)
    assert res.code == 0, res.err
    assert "warning: .mlgate.yml: gates[0]: `direction: lower` on 'acc', whose name reads as " in (
        res.err
    )
    assert "higher-is-better" in text  # the warning is in the report's notes too


# --- Seen 3: a base value that is not a finite number is unreadable -------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("NaN", "nan"),
        ("Infinity", "inf"),
        ("-Infinity", "-inf"),
        ("1e999", "inf"),
        ("null", None),
        ('"0.83"', "'0.83'"),
        ("true", "True"),
        ('"83.2%"', "'83.2%'"),
    ],
)
def test_seen_3_an_unusable_base_value_fails_the_gate(
    repo: Repo, cli: Cli, raw: str, shown: str | None
) -> None:
    pr_with(
        repo, "gates:\n  - metric: acc\n    max_drop: 0.5\n", '{"acc": ' + raw + "}", {"acc": 0.2}
    )
    res, result, _ = report(repo, cli)
    assert res.code == 1, res.err
    message = result["gates"][0]["message"]
    if shown is None:
        assert message.startswith("acc: base value unreadable: acc is null at base")
    else:
        assert f"base value unreadable: the base value {shown} is not a finite number" in message


def test_seen_3_yaml_exponent_floats_are_numbers_at_both_revisions(repo: Repo, cli: Cli) -> None:
    """`loss: 5e-2` is 0.05 to DVC (YAML 1.2); PyYAML read it as text, failing a good value."""
    main = {
        "dvc.yaml": "metrics:\n  - metrics.yaml\n",
        ".mlgate.yml": "gates:\n  - metric: loss\n    max_drop: 0.02\n",
        "metrics.yaml": "loss: 5e-2\nauc: 9.1E-1\n",
    }
    main_then_pr(repo, main, {"metrics.yaml": "loss: 6e-2\nauc: 9.2E-1\n"})
    res, result, _ = report(repo, cli)
    assert res.code == 0, res.err
    assert result["gates"][0]["message"] == "loss rose 0.01 (20.0%) from 0.05 to 0.06; within 0.02"
    ours = json.loads(cli("diff", "-C", str(repo.path), "--base", "main", "--json").out)
    dvc = json.loads(repo.dvc("metrics", "diff", "main", "--json"))
    for entries in ours.values():
        for entry in entries.values():
            entry.pop("diff_pct", None)
    assert ours == dvc


# --- Seen 4: paths git cannot resolve at base -----------------------------------------------


def test_seen_4_a_path_through_a_symlinked_directory_at_base_is_unreadable(
    repo: Repo, cli: Cli
) -> None:
    repo.write("real/metrics.json", {"acc": 0.9})
    os.symlink("real", repo.path / "eval")
    repo.write(".mlgate.yml", "metrics: [eval/metrics.json]\ngates:\n  - metric: acc\n")
    repo.commit("main: eval -> real")
    repo.git("checkout", "--quiet", "-b", "pr")
    (repo.path / "eval").unlink()
    repo.write("eval/metrics.json", {"acc": 0.1})
    repo.commit("pr: a real directory")
    res, result, _ = report(repo, cli)
    assert res.code == 1, res.err
    assert (
        "eval/metrics.json runs through eval, a symbolic link at main; links are not followed"
        in result["gates"][0]["message"]
    )


def test_seen_4_a_path_inside_a_submodule_at_base_is_unreadable(
    repo: Repo, cli: Cli, tmp_path: Path
) -> None:
    other = Repo(tmp_path / "other")
    other.path.mkdir()
    other.git("init", "--quiet", "--initial-branch=main")
    other.write("metrics.json", {"acc": 0.9})
    other.commit("results")
    repo.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "--quiet", str(other.path), "eval"
    )
    repo.write(".mlgate.yml", "metrics: [eval/metrics.json]\ngates:\n  - metric: acc\n")
    repo.commit("main: eval is a submodule")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.git("rm", "--quiet", "-r", "--cached", "eval")
    subprocess.run(
        ["rm", "-rf", str(repo.path / "eval"), str(repo.path / ".gitmodules")], check=True
    )
    repo.write("eval/metrics.json", {"acc": 0.1})
    repo.commit("pr: plain files")
    res, result, _ = report(repo, cli)
    assert res.code == 1, res.err
    assert (
        "eval/metrics.json is inside eval, a git submodule at main"
        in (result["gates"][0]["message"])
    )


# --- Seen 5: data rules pass on nothing -----------------------------------------------------


RULES = "data:\n  - path: data.csv\n    required: [x]\n    max_psi: 0.25\n    max_ks: 0.5\n"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("x,y\n", "data.csv has no rows: its rules hold on nothing"),
        ("x,y\n" + "".join(f",{i}\n" for i in range(40)), "required column 'x' has no values"),
        ("x,y\n" + "".join(f"9,{i}\n" for i in range(40)), "data.csv: x drifted: PSI "),
    ],
    ids=["emptied-to-its-header", "all-missing", "constant-to-another-constant"],
)
def test_seen_5_data_rules_fail_on_missing_evidence(
    repo: Repo, cli: Cli, head: str, expected: str
) -> None:
    base = "x,y\n" + "".join(f"5,{i}\n" for i in range(40))
    main_then_pr(repo, {".mlgate.yml": RULES, "data.csv": base}, {"data.csv": head})
    res, result, _ = report(repo, cli)
    assert res.code == 1, res.err
    messages = [g["message"] for g in result["gates"]]
    assert any(expected in m for m in messages), messages


# --- Seen 6: stale evidence ----------------------------------------------------------------


def test_seen_6_a_predictions_file_that_contradicts_the_metric_fails(repo: Repo, cli: Cli) -> None:
    rows = "id,actual,predicted\n" + "".join(
        f"{i},{i % 2},{i % 2 if i < 90 else 1 - i % 2}\n" for i in range(100)
    )
    repo.write("preds.csv", rows)
    config = "gates:\n  - metric: acc\n    significance: 0.05\n    predictions: preds.csv\n"
    pr_with(repo, config, {"acc": 0.9}, {"acc": 0.5})  # preds.csv was not regenerated
    res, result, _ = report(repo, cli)
    assert res.code == 1, res.err
    message = result["gates"][0]["message"]
    assert "per-example rows that disagree with the metric" in message
    assert "give accuracy 0.9 at head, but acc is 0.5 there" in message


# --- Seen 8: the local loop is honest -------------------------------------------------------


def local_project(repo: Repo) -> None:
    pr_with(repo, "gates:\n  - metric: acc\n    max_drop: 0.5\n", {"acc": 0.9}, {"acc": 0.8})
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")  # not committed


def test_seen_8_a_local_edit_of_the_gates_applies_and_says_what_ci_does(
    repo: Repo, cli: Cli
) -> None:
    local_project(repo)
    res, result, text = report(repo, cli)
    assert res.code == 1, res.err
    assert result["gates"][0]["message"].endswith("allowed 0.01")
    assert (
        "local run: the gates of the working tree's .mlgate.yml apply (it changes `gates`); in "
        "CI, main's apply until the pull request is merged"
    ) in res.err
    assert "Compared **working tree of pr**" in text


@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS", "GITLAB_CI"])
def test_in_ci_the_base_branchs_gates_apply(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    local_project(repo)
    monkeypatch.setenv(variable, "true")
    res, result, text = report(repo, cli)
    assert res.code == 0, res.err
    assert result["gates"][0]["message"].endswith("within 0.5")
    assert "local run" not in res.err
    assert "main's apply until it is merged" in text


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ("gates: [metric: acc\n", "invalid YAML at line 2"),  # unparseable
        ("gates:\n  - metric: acc\n    max_dorp: 0.5\n", "max_dorp"),  # invalid
    ],
)
def test_in_ci_a_broken_base_config_fails_closed(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch, broken: str, reason: str
) -> None:
    """Issue 20 follow-up: a base .mlgate.yml that cannot be read leaves no trusted gate; the
    PR's own gates are shown, but the verdict fails until the base branch is fixed."""
    pr_with(repo, broken, {"acc": 0.9}, {"acc": 0.95})
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.5\n")
    repo.commit("the PR's own gates")
    monkeypatch.setenv("CI", "true")
    res, result, text = report(repo, cli)
    assert res.code == 1, res.err
    assert result["passed"] is False
    outcomes = {g["metric"]: (g["outcome"], g["message"]) for g in result["gates"]}
    assert outcomes["metrics.json:acc"][0] == "pass"  # the PR config's results stay shown
    outcome, message = outcomes[".mlgate.yml"]
    assert outcome == "fail"
    assert message.startswith("the base branch's .mlgate.yml cannot be read: ")
    assert reason in message and message.endswith("; fix it on the base branch")
    assert "the base branch's .mlgate.yml cannot be read" in result["verdict"]
    assert "cannot be read" in text


def test_seen_8_a_base_that_is_not_used_is_said(
    repo: Repo, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_project(repo)
    repo.git("branch", "develop", "main")
    repo.write(".mlgate.yml", "base: develop\ngates:\n  - metric: acc\n    max_drop: 0.5\n")
    res, _, _ = report(repo, cli, "--base", "main")
    assert (
        "warning: .mlgate.yml: base: 'develop' is not used: --base or the pull request's base "
        "branch wins"
    ) in res.err
    res, result, _ = report(repo, cli)  # locally, the working tree's base is honoured
    assert result["base"]["ref"] == "develop" and "is not used" not in res.err
    monkeypatch.setenv("CI", "true")
    res, result, _ = report(repo, cli)
    assert result["base"]["ref"] == "main"
    assert "warning: .mlgate.yml: base: 'develop' is not used: in CI the base comes from" in (
        res.err
    )


# --- Seen 9: diagnose before advising --------------------------------------------------------


def test_seen_9_outside_a_git_repository(tmp_path: Path, cli: Cli) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    res = cli("report", "-C", str(plain), "--out", str(plain / "out"))
    assert res.code == 2
    assert "is not a git repository (use -C DIR" in res.err
    assert "fetch-depth" not in res.err


def test_seen_9_a_branch_that_exists_nowhere(repo: Repo, cli: Cli, tmp_path: Path) -> None:
    local_project(repo)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(repo.path), str(clone)], check=True)
    res = cli("diff", "-C", str(clone), "--base", "nosuchbranch")
    assert res.code == 2
    assert res.err.strip().splitlines()[-1] == (
        "error: no branch 'nosuchbranch' here or on origin; branches: main, pr"
    )


def test_seen_9_a_shallow_clone_is_told_to_fetch_more(repo: Repo, cli: Cli, tmp_path: Path) -> None:
    local_project(repo)
    repo.git("commit", "--quiet", "-am", "more")
    clone = tmp_path / "shallow"
    url = f"file://{repo.path}"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth=1", "--branch=pr", url, str(clone)], check=True
    )
    subprocess.run(
        ["git", "remote", "set-url", "origin", str(tmp_path / "gone")], cwd=clone, check=True
    )
    res = cli("diff", "-C", str(clone), "--base", "main")
    assert res.code == 2
    last = res.err.strip().splitlines()[-1]
    assert last.startswith("error: shallow clone: base ref 'main' is not in it and fetching it")
    assert "fetch-depth: 0" in last


# --- item 9: nothing to gate is said ----------------------------------------------------------


def test_no_gates_and_no_metrics_is_a_warning_saying_where_metrics_are_looked_for(
    repo: Repo, cli: Cli
) -> None:
    repo.write("README.md", "a project\n")
    repo.commit("main")
    res, result, _ = report(repo, cli)
    assert res.code == 0
    assert result["verdict"] == "no metrics found and no gates configured"
    assert (
        "warning: no gates configured and no metrics found (looked for dvclive/metrics.json): "
        "mlgate reads the metrics files declared in dvc.yaml"
    ) in res.err
