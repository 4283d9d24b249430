"""`mlgate report` on real repositories: files written, exit codes, messages."""

import json

import pytest

from tests.conftest import Repo

CONFIG = """
base: main
gates:
  - metric: acc
    direction: higher
    max_drop: 0.01
  - metric: loss
    direction: lower
    max_drop_pct: 10
"""


@pytest.fixture
def pr_repo(repo: Repo) -> Repo:
    repo.write(
        "dvc.yaml",
        "stages:\n  ev:\n    cmd: 'true'\n    metrics:\n      - metrics.json:\n"
        "          cache: false\n    params:\n      - lr\n",
    )
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write(".mlgate.yml", CONFIG)
    repo.write("metrics.json", {"acc": 0.912, "loss": 0.30})
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("params.yaml", "lr: 0.5\n")
    return repo


def test_regression_exits_1_and_says_which_gate_and_by_how_much(pr_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(pr_repo.path)
    pr_repo.write("metrics.json", {"acc": 0.881, "loss": 0.31})
    res = cli("report", "--out", "out")
    assert res.code == 1
    out = pr_repo.path / "out"
    text = (out / "report.md").read_text()
    assert text.splitlines()[1].startswith("## ❌")
    assert "acc fell 0.031 \\(3.4%\\) from 0.912 to 0.881; allowed 0.01" in text
    result = json.loads((out / "result.json").read_text())
    assert result["passed"] is False
    gates = {g["metric"]: g for g in result["gates"]}
    assert gates["metrics.json:acc"]["passed"] is False
    assert gates["metrics.json:acc"]["message"].startswith("acc fell 0.031")
    assert gates["metrics.json:loss"]["passed"] is True
    html = (out / "report.html").read_text()
    assert "<table>" in html and "acc fell 0.031" in html
    assert "::error" not in res.err  # not in Actions: plain `error:` lines
    assert "error: acc fell" in res.err


def test_passing_pr_exits_0_and_lists_changed_params(pr_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(pr_repo.path)
    pr_repo.write("metrics.json", {"acc": 0.93, "loss": 0.29})
    res = cli("report", "--out", "out")
    assert res.code == 0, res.err
    text = (pr_repo.path / "out" / "report.md").read_text()
    assert "## ✅ mlgate report: all 2 gates passed" in text
    assert "### Changed params" in text and "| lr" in text


def test_malformed_head_metrics_is_exit_2_naming_the_file(pr_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(pr_repo.path)
    pr_repo.write("metrics.json", '{"acc": 0.9,')
    res = cli("report", "--out", "out")
    assert res.code == 2
    assert res.err.strip() == (
        "error: metrics.json: invalid JSON at line 1: "
        "Expecting property name enclosed in double quotes"
    )


def test_malformed_base_metrics_is_a_row_not_a_crash(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.write("metrics.json", "{broken")
    repo.commit("broken base")
    repo.write("metrics.json", {"acc": 0.9})
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    text = (repo.path / "out" / "report.md").read_text()
    assert "base value unavailable for metrics.json: metrics.json: invalid JSON" in text


def test_metrics_the_pr_commits_are_new(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write(".mlgate.yml", "metrics: [eval.json]\ngates:\n  - metric: acc\n")
    repo.commit("config only")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("eval.json", {"acc": 0.5})
    repo.commit("the PR adds its metrics file")
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    result = json.loads((repo.path / "out" / "result.json").read_text())
    assert result["gates"][0]["message"] == "acc is new (0.5); no base to compare"
    assert result["errors"]["base"] == {}  # added by the PR: new, not an error


def test_metrics_nothing_produced_at_base_have_no_baseline(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    # issue 20: the base declares eval.json but holds none, and nothing trains it: the file
    # was written by a training outside mlgate, so the gate has no baseline, not a new metric
    repo.write(".mlgate.yml", "metrics: [eval.json]\ngates:\n  - metric: acc\n")
    repo.commit("config only")
    repo.write("eval.json", {"acc": 0.5})
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 1, res.err
    result = json.loads((repo.path / "out" / "result.json").read_text())
    message = result["gates"][0]["message"]
    assert message.startswith("acc: no baseline: base main (")
    assert "set `run:` or `repro: true`" in message and "mlgate record --push" in message
    assert "error: acc: no baseline" in res.err  # the gate's line (an ::error in Actions)


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        (
            "gates:\n  - metric: acc\n    max_dorp: 1\n",
            ".mlgate.yml: gates[0]: unknown key 'max_dorp'",
        ),
        ("gates: [", ".mlgate.yml: invalid YAML"),
    ],
)
def test_bad_config_is_exit_2(repo: Repo, cli, chdir, config: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    repo.write(".mlgate.yml", config)
    chdir(repo.path)
    res = cli("report", "--base", "main")
    assert res.code == 2
    assert needle in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_bad_flag_is_exit_2(cli) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as info:
        cli("report", "--colour")
    assert info.value.code == 2


def test_config_flag_names_missing_file(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(repo.path)
    res = cli("report", "--config", "ci/gates.yml")
    assert res.code == 2
    assert "ci/gates.yml: config file not found" in res.err


def test_report_written_before_anything_else_can_fail(
    pr_repo: Repo, cli, chdir, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from mlgate.commands import report

    def fail_after_writing(*_a: object, **_k: object) -> None:
        raise RuntimeError("a step after the report was written failed")

    # Mocked: nothing after the write can fail for real in `mlgate report` (the GitHub calls of
    # `mlgate run` are tested with the fake server); this stands in for such a step.
    monkeypatch.setattr(report, "print_gate_summary", fail_after_writing)
    chdir(pr_repo.path)
    pr_repo.write("metrics.json", {"acc": 0.95, "loss": 0.2})
    res = cli("report", "--out", "deep/er/out")
    assert res.code == 4
    out = pr_repo.path / "deep/er/out"
    assert "a step after the report was written failed" in res.err
    head = pr_repo.git("rev-parse", "HEAD").strip()
    expected = f"<!-- mlgate:report id=default sha={head} -->\n## ✅"
    assert (out / "report.md").read_text().startswith(expected)
    assert json.loads((out / "result.json").read_text())["passed"] is True
    assert "<table>" in (out / "report.html").read_text()
    assert "RuntimeError" in (out / "mlgate-crash.log").read_text()


def test_project_in_a_subdirectory_of_the_repository(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("models/a/dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.write("models/a/metrics.json", {"acc": 0.9})
    repo.write("models/a/.mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")
    repo.commit("base")
    repo.write("models/a/metrics.json", {"acc": 0.8})
    chdir(repo.path)
    res = cli("report", "-C", "models/a", "--base", "main", "--out", "out")
    assert res.code == 1, res.err
    text = (repo.path / "models/a/out/report.md").read_text()
    assert "acc fell 0.1 \\(11.1%\\) from 0.9 to 0.8; allowed 0.01" in text


def test_a_user_template_extends_the_report(pr_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    pr_repo.write(
        "ci/report.md.j2",
        '{% extends "mlgate/report.md.j2" %}\n{% block footer %}\n\nOwned by the ML platform team: '
        "{{ report.metrics | length }} metrics.\n{% endblock %}\n",
    )
    pr_repo.write(".mlgate.yml", CONFIG + "template: ci/report.md.j2\n")
    pr_repo.write("metrics.json", {"acc": 0.93, "loss": 0.29})
    chdir(pr_repo.path)
    assert cli("report", "--out", "out").code == 0
    text = (pr_repo.path / "out" / "report.md").read_text()
    assert text.startswith("<!-- mlgate:report id=default")
    assert "### Gates" in text  # the rest of the base template is kept
    assert text.rstrip().endswith("Owned by the ML platform team: 2 metrics.")
    assert "Generated by mlgate" not in text


def test_a_broken_user_template_is_exit_2(pr_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    pr_repo.write("t.md.j2", "{% if %}\n")
    pr_repo.write("ci/report.md.j2", '{% extends "report.md.j2" %}\n')
    pr_repo.write(".mlgate.yml", CONFIG + "template: t.md.j2\n")
    pr_repo.write("metrics.json", {"acc": 0.93, "loss": 0.29})
    chdir(pr_repo.path)
    res = cli("report", "--out", "out")
    assert res.code == 2
    assert "t.md.j2:1: template syntax error" in res.err
    pr_repo.write(".mlgate.yml", CONFIG + "template: ci/report.md.j2\n")
    res = cli("report", "--out", "out")
    assert res.code == 2
    assert 'the template extends or includes itself; extend "mlgate/report.md.j2"' in res.err


def test_a_user_template_cannot_escape_the_sandbox(pr_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    pr_repo.write("t.md.j2", "{{ report.__class__.__init__.__globals__ }}\n")
    pr_repo.write(".mlgate.yml", CONFIG + "template: t.md.j2\n")
    pr_repo.write("metrics.json", {"acc": 0.93, "loss": 0.29})
    chdir(pr_repo.path)
    res = cli("report", "--out", "out")
    assert res.code == 2
    assert "template error" in res.err and "unsafe" in res.err
