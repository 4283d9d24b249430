"""Issue 11 attacks from a pull request made only of files, against the real CLI: writes through
committed symlinks, templates reading local files, secrets in the training output, runaway
templates and training. Each asserts the attack fails and (where it should) the report is made."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlgate import limits, outdir
from mlgate.errors import InputError
from tests.conftest import Repo

GIT_CONFIG_LINE = '[core]\n\tfsmonitor = "touch pwned"\n'


@pytest.fixture
def pr(repo: Repo) -> Repo:
    repo.write("metrics.json", {"acc": 0.9})
    repo.write(".mlgate.yml", "metrics: [metrics.json]\ngates:\n  - metric: acc\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    return repo


def _git_config(repo: Repo) -> str:
    return (repo.path / ".git" / "config").read_text()


@pytest.mark.parametrize("marker", [False, True], ids=["no-marker", "forged-marker"])
@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("report.md", "../.git/config"),
        ("report.html", "../.git/config"),
        ("result.json", "../.git/config"),
        ("all-metrics.md", "../.git/config"),
        ("plots", "../.git"),
    ],
)
def test_a_committed_symlink_in_the_report_dir_redirects_no_write(  # type: ignore[no-untyped-def]
    pr: Repo, cli, chdir, link: str, target: str, marker: bool
) -> None:
    pr.write("t.md.j2", GIT_CONFIG_LINE)
    pr.write(".mlgate.yml", "metrics: [metrics.json]\ntemplate: t.md.j2\n")
    report_dir = pr.path / "mlgate-report"
    report_dir.mkdir()
    if marker:  # the PR also commits mlgate's marker to pass for an earlier report
        (report_dir / outdir.MARKER).write_text("x")
    (report_dir / link).symlink_to(target)
    pr.commit("attack")
    before = _git_config(pr)
    chdir(pr.path)
    res = cli("report", "--base", "main")
    assert res.code == 2
    assert "Traceback" not in res.err
    assert len(res.err.strip().splitlines()) == 1
    if marker:
        assert res.err.strip() == (
            f"error: {report_dir / link}: is a symbolic link inside the report directory; "
            "mlgate writes only into its own report directory and never through a symbolic link "
            "(remove it, or choose another --out / `report-dir`)"
        )
    else:
        assert res.err.strip() == (
            f"error: {report_dir}: directory exists, is not empty and holds no earlier mlgate "
            "report (no .mlgate-report file); mlgate will not write into it: choose another "
            "--out / `report-dir` or remove it"
        )
    assert _git_config(pr) == before
    assert not list((pr.path / ".git").glob("*.png"))
    assert (report_dir / link).is_symlink()  # not replaced either


def test_the_report_dir_itself_a_symlink_is_refused(pr: Repo, cli, chdir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (pr.path / "mlgate-report").symlink_to(elsewhere)
    chdir(pr.path)
    res = cli("report", "--base", "main")
    assert res.code == 2
    assert res.err.startswith(f"error: {pr.path / 'mlgate-report'}: is a symbolic link;")
    assert list(elsewhere.iterdir()) == []


def test_an_earlier_report_is_overwritten_in_place(pr: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(pr.path)
    assert cli("report", "--base", "main").code == 0
    first = (pr.path / "mlgate-report" / "report.md").read_text()
    pr.write("metrics.json", {"acc": 0.95})
    assert cli("report", "--base", "main").code == 0
    second = (pr.path / "mlgate-report" / "report.md").read_text()
    assert "0.95" in second and "0.95" not in first
    leftovers = [p.name for p in (pr.path / "mlgate-report").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_write_bytes_refuses_a_symlink_made_after_prepare(tmp_path: Path) -> None:
    out = outdir.prepare(tmp_path / "out")
    victim = tmp_path / "victim"
    victim.mkdir()
    (out / "plots").symlink_to(victim)
    with pytest.raises(InputError, match="'plots' is a symbolic link or not a directory"):
        outdir.write_bytes(out, "plots/a.png", b"png")
    (out / "report.md").symlink_to(victim / "x")
    with pytest.raises(InputError, match=r"report\.md: is a symbolic link or not a regular file"):
        outdir.write_bytes(out, "report.md", b"text")
    for bad in ("../x", "/etc/x", "a/../../x", ""):
        with pytest.raises(InputError, match="not a plain relative path"):
            outdir.write_bytes(out, bad, b"x")
    assert list(victim.iterdir()) == []
    assert outdir.write_bytes(out, "plots2/a.png", b"png").read_bytes() == b"png"


@pytest.mark.parametrize(
    ("setup", "template", "message"),
    [
        (
            None,
            "/etc/passwd",
            "/etc/passwd: an absolute template path (.mlgate.yml `template:`); give a path "
            "inside the repository, e.g. ci/report.md.j2",
        ),
        (
            None,
            "../../etc/hostname",
            "../../etc/hostname: a template path may not contain `..` (.mlgate.yml `template:`)",
        ),
        (
            ("link.md.j2", "/etc/passwd"),
            "link.md.j2",
            "link.md.j2: a symbolic link leading outside the repository (.mlgate.yml `template:`)",
        ),
        (
            ("ci", "../outside"),
            "ci/passwd.md",
            "ci/passwd.md: a symbolic link leading outside the repository "
            "(.mlgate.yml `template:`)",
        ),
        (
            None,
            ".git/config",
            ".git/config: not a template mlgate may read (.mlgate.yml `template:`); use a file "
            "ending in .j2, .jinja, .jinja2, .md, .tmpl, .txt outside .git/ and .dvc/",
        ),
        (
            None,
            "gha-creds-1234.json",
            "gha-creds-1234.json: not a template mlgate may read (.mlgate.yml `template:`); use a "
            "file ending in .j2, .jinja, .jinja2, .md, .tmpl, .txt outside .git/ and .dvc/",
        ),
    ],
)
def test_a_template_outside_the_repository_is_refused(  # type: ignore[no-untyped-def]
    pr: Repo, cli, chdir, setup: tuple[str, str] | None, template: str, message: str
) -> None:
    outside = pr.path.parent / "outside"
    outside.mkdir()
    (outside / "passwd.md").write_text("root:x:0:0\n")
    if setup:
        (pr.path / setup[0]).symlink_to(setup[1])
    pr.write(".mlgate.yml", f"metrics: [metrics.json]\ntemplate: {template}\n")
    chdir(pr.path)
    res = cli("report", "--base", "main")
    assert res.code == 2
    assert res.err.strip().splitlines()[-1] == f"error: {message}"  # after the progress line
    assert "Traceback" not in res.err


@pytest.mark.parametrize(
    ("include", "message"),
    [
        (
            '{% include ".git/config" %}',
            "t.md.j2: template error: '.git/config' is not a template mlgate may read",
        ),
        (
            '{% include "/etc/passwd" %}',
            "t.md.j2: template error: '/etc/passwd' is not a template mlgate may read",
        ),
        (
            '{% include "../secret.md" %}',
            "t.md.j2: template error: '../secret.md' is not a template mlgate may read",
        ),
        (
            '{% include "out.md" %}',
            "t.md.j2: template error: 'out.md' leads outside the repository (a symbolic link)",
        ),
        (
            '{% extends "/etc/passwd" %}',
            "t.md.j2: template error: '/etc/passwd' is not a template mlgate may read",
        ),
    ],
)
def test_include_and_extends_reach_only_mlgate_and_the_template_dir(  # type: ignore[no-untyped-def]
    pr: Repo, cli, chdir, include: str, message: str
) -> None:
    (pr.path / "out.md").symlink_to("/etc/passwd")
    pr.write("t.md.j2", include + "\n")
    pr.write(".mlgate.yml", "metrics: [metrics.json]\ntemplate: t.md.j2\n")
    chdir(pr.path)
    res = cli("report", "--base", "main")
    assert res.code == 2
    assert res.err.strip().splitlines()[-1].startswith(f"error: {pr.path / message}")
    assert "root:" not in res.err and "[core]" not in res.err
    assert not (pr.path / "mlgate-report" / "report.md").exists()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
            "rendering took longer than mlgate's limit of 1 s",
        ),
        (
            '{% for a in range(100000) %}{{ "x" * 1000 }}{% endfor %}',
            "the template produced more than 5.0 MB, mlgate's limit",
        ),
        ('{{ "x" * 200000000 }}', "the template produced more than 5.0 MB, mlgate's limit"),
        (
            '{{ "x" | center(999999999) }}',
            "the argument 999999999 is above mlgate's limit of 1,000,000",
        ),
        ("{{ 9 ** 99999999 }}", "the power 99999999 is above mlgate's limit of 10,000"),
        (
            '{{ "%0999999999d" % 1 }}',
            "a format width of a million or more is above mlgate's limit",
        ),
        (
            '{{ "%0999999999d" | format(1) }}',
            "a format width of a million or more is above mlgate's limit",
        ),
    ],
)
def test_a_runaway_template_falls_back_to_the_default_report(  # type: ignore[no-untyped-def]
    pr: Repo, cli, chdir, monkeypatch, body: str, why: str
) -> None:
    monkeypatch.setattr(limits, "MAX_RENDER_SECONDS", 1.0)
    pr.write("t.md.j2", '{% extends "mlgate/report.md.j2" %}{% block footer %}' + body)
    pr.write("t.md.j2", (pr.path / "t.md.j2").read_text() + "{% endblock %}\n")
    pr.write(".mlgate.yml", "metrics: [metrics.json]\ntemplate: t.md.j2\ngates:\n  - metric: acc\n")
    chdir(pr.path)
    res = cli("report", "--base", "main")
    assert res.code == 0, res.err
    text = (pr.path / "mlgate-report" / "report.md").read_text()
    assert "## ✅ mlgate report: all 1 gate passed" in text
    assert "Generated by mlgate" in text  # the default footer: the default report was used
    note = f"- your template t.md.j2 was not used: {why}; this is mlgate's default report"
    assert note.replace("(", "\\(").replace(")", "\\)") in text.replace("\\_", "_")
    assert len(text) < 100_000


def test_training_output_secrets_appear_in_no_file(pr: Repo, cli, chdir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    secret = "ghp_s3cretvalue0123456789"
    monkeypatch.setenv("MY_API_TOKEN", secret)
    monkeypatch.setenv("DB_PASSWORD", "hunter2hunter2")
    chdir(pr.path)
    res = cli(
        "report",
        "--base",
        "main",
        "--command",
        'echo "token=$MY_API_TOKEN"; echo "db=$DB_PASSWORD"; exit 3',
    )
    assert res.code == 1  # a failed training fails the verdict
    out = pr.path / "mlgate-report"
    for name in ("report.md", "result.json", "report.html"):
        text = (out / name).read_text()
        assert secret not in text and "hunter2hunter2" not in text, name
    assert "token=***" in (out / "report.md").read_text()
    assert "db=***" in (out / "report.html").read_text()
    result = json.loads((out / "result.json").read_text())
    assert secret not in json.dumps(result)


def test_training_past_its_time_limit_is_killed_and_reported(pr: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(pr.path)
    # the child of the shell would keep the output pipe open if only the shell were killed
    res = cli(
        "report", "--base", "main", "--timeout-minutes", "0.01", "--command", "sleep 300 & wait"
    )
    assert res.code == 1
    text = (pr.path / "mlgate-report" / "report.md").read_text()
    assert "❌ sleep 300 & wait failed with exit code 124" in text.replace("&amp;", "&")
    assert "mlgate: stopped after 0.01 minutes (timeout-minutes); process group killed" in text


def test_a_bug_leaves_its_traceback_in_the_report_dir_and_summary(  # type: ignore[no-untyped-def]
    pr: Repo, cli, chdir, monkeypatch, tmp_path
) -> None:
    from mlgate.commands import report

    def boom(*_a: object, **_k: object) -> str:
        raise RuntimeError("boom with ghp_s3cretvalue0123456789")

    # Mocked: a real bug cannot be provoked on purpose once fixed; this stands in for one.
    monkeypatch.setattr(report, "print_gate_summary", boom)
    monkeypatch.setenv("GH_TOKEN", "ghp_s3cretvalue0123456789")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    chdir(pr.path)
    res = cli("report", "--base", "main")
    assert res.code == 4
    log = pr.path / "mlgate-report" / "mlgate-crash.log"
    assert res.err.strip().splitlines()[-1] == (
        "error: internal error (RuntimeError: boom with ***); this is a bug in mlgate. "
        f"Traceback: {log} and the job summary; please attach it to an issue."
    )
    assert "Traceback (most recent call last)" in log.read_text()
    assert "RuntimeError: boom with ***" in summary.read_text()
    assert "ghp_s3cret" not in log.read_text() + summary.read_text()


def test_a_bug_without_a_report_dir_logs_to_the_current_dir(
    cli, chdir, monkeypatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from mlgate.commands import diff

    def boom(*_a: object, **_k: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(diff, "main", boom)  # mocked, as above: stands in for a bug
    chdir(tmp_path)
    res = cli("diff")
    assert res.code == 4
    log = tmp_path / f"mlgate-crash-{os.getpid()}.log"
    assert f"Traceback: {log};" in res.err
    assert "RuntimeError: boom" in log.read_text()


def test_a_metric_name_cannot_print_a_workflow_command(pr: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    pr.write("metrics.json", {"acc": 0.9, "x\n::error::pwned": 1})
    pr.write("::warning::m.json", {"a": 1})
    pr.write(".mlgate.yml", "metrics: [metrics.json, '::warning::m.json']\n")
    chdir(pr.path)
    res = cli("diff", "--base", "main")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    assert not [line for line in lines if line.startswith("::")]
    assert any(line.startswith(":\u200b:warning::m.json") for line in lines)
    assert any("x ::error::pwned" in line for line in lines)  # the newline became a space
    res = cli("report", "--base", "main")
    text = (pr.path / "mlgate-report" / "report.md").read_text()
    assert not [line for line in text.splitlines() if line.lstrip().startswith("::")]


def test_a_bad_config_stops_before_training(pr: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    pr.write(".mlgate.yml", "template: /etc/passwd\n")
    chdir(pr.path)
    res = cli("report", "--base", "main", "--command", "touch trained")
    assert res.code == 2
    assert res.err.startswith("error: /etc/passwd: an absolute template path")
    assert not (pr.path / "trained").exists()
