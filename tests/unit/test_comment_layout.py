"""The comment a reviewer reads in ten seconds (issue 25): a one-line headline, the gates table
first with a picture of base, head and the allowed band, numbers right-aligned, commits and the
CI run linked in CI only, plots after the first two collapsed, no chart title twice."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mlgate import report
from mlgate.compare import Snapshot, diff
from mlgate.config import GateRule
from mlgate.render import gatetable
from mlgate.render.escape import md
from mlgate.render.header import HEADLINE_CHARS, WebLinks, headline, headline_text
from mlgate.render.html import to_html
from mlgate.render.markdown import PLOTS_SHOWN, render
from mlgate.report import PlotEntry, Training

BASE_SHA, HEAD_SHA = "a" * 40, "b" * 40
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "CI": "true",
    "GITHUB_REPOSITORY": "octo-org/octo-repo",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "4242",
}
GITLAB = {
    "GITLAB_CI": "true",
    "CI": "true",
    "CI_PROJECT_URL": "https://gitlab.example/group/proj",
    "CI_JOB_URL": "https://gitlab.example/group/proj/-/jobs/901",
    "CI_PIPELINE_URL": "https://gitlab.example/group/proj/-/pipelines/900",
}


def build(
    base: dict[str, object],
    head: dict[str, object],
    rules: list[GateRule],
    title: str = "mlgate report",
    training: Training | None = None,
) -> report.Report:
    return report.build(
        title=title,
        base_ref="main",
        base_sha=BASE_SHA,
        head_label="feature",
        head_sha=HEAD_SHA,
        metrics=diff(Snapshot({"metrics.json": base}), Snapshot({"metrics.json": head})),  # type: ignore[dict-item]
        params=diff(Snapshot({"params.yaml": {"lr": 0.1}}), Snapshot({"params.yaml": {"lr": 0.2}})),
        rules=rules,
        training=training,
    )


def failing() -> report.Report:
    metrics = {f"metric_with_a_rather_long_name_{i}": 0.9 for i in range(3)}
    worse = {k: 0.5 + i / 100 for i, k in enumerate(metrics)}
    rules = [GateRule(metric=k, max_drop_pct=1.0) for k in metrics]
    return build(metrics, worse, rules, title="A project title that is long, very long indeed")


def first_heading(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("#"))


def test_headline_is_one_short_line_with_the_worst_regression() -> None:
    text = render(failing())
    line = first_heading(text)
    shown = headline_text(failing())
    assert line == f"## ❌ {md(shown)}"
    assert len(shown) <= HEADLINE_CHARS <= 100
    # the worst of three is the one that fell furthest, shown as base → head and percent
    assert "metric_with_a_rather_long_name_0 0.9 → 0.5 (-44.4%)" in shown, shown
    assert shown.startswith("A project…: 3 of 3 gates failed: "), shown  # title gives way
    html = to_html(text)
    h2 = re.search(r"<h2>(.*?)</h2>", html, re.S)
    assert h2 is not None and "\n" not in h2.group(1)


def test_headline_of_a_long_failure_message_is_cut_to_one_line() -> None:
    rep = build({}, {"acc": 0.5}, [GateRule(metric="x" * 300, on_missing="fail")])
    shown = headline_text(rep)
    assert len(shown) <= HEADLINE_CHARS and shown.endswith("…")
    long_command = "python train.py " + "--flag " * 60
    rep = build({"acc": 1.0}, {"acc": 1.0}, [], training=Training(long_command, 1))
    shown = headline_text(rep)
    assert shown.startswith("mlgate report: training failed (exit 1): python train.py --flag")
    assert len(shown) <= HEADLINE_CHARS


def test_passing_headline_keeps_the_verdict() -> None:
    rep = build({"acc": 0.9}, {"acc": 0.91}, [GateRule(metric="acc", max_drop=0.01)])
    assert headline(rep) == "## ✅ mlgate report: all 1 gate passed"


def test_gates_table_comes_first_with_numbers_right_aligned_and_a_band() -> None:
    rep = build(
        {"acc": 0.912, "loss": 0.3},
        {"acc": 0.881, "loss": 0.3},
        [GateRule(metric="acc", max_drop=0.01)],
    )
    text = render(rep)
    sections = re.findall(r"^### (.+)$", text, re.M)
    assert sections[0] == "Gates", sections
    gates = text.split("### Gates\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [h.strip() for h in gates[0].split("|")[3:6]] == ["Base", "Head", gatetable.LEGEND]
    assert re.fullmatch(r"\|-+\|-+\|-+:\|-+:\|-+\|-+\|", gates[1]), gates[1]
    # base 0.912, allowed down to 0.902, head 0.881 below it: head left of the band
    assert "|  0.912 |  0.881 | `" in gates[2]
    band = re.search(r"`(.+?)`", gates[2])
    assert band is not None
    picture = band.group(1)
    assert len(picture) == gatetable.STRIP_CELLS
    assert picture.index("●") < picture.index("━") < picture.index("┃")
    metrics = text.split("### Metrics\n\n", 1)[1].splitlines()
    assert metrics[1].count(":|") == 4  # base, head, change and % right-aligned
    html = to_html(text)
    assert '<td align="right">0.881</td>' in html


@pytest.mark.parametrize(
    ("rule", "base", "head", "inside"),
    [
        (GateRule(metric="acc", max_drop=0.01), 0.9, 0.895, True),
        (GateRule(metric="acc", max_drop=0.01), 0.9, 0.85, False),
        (GateRule(metric="acc", max_drop_pct=10), 0.9, 0.82, True),
        (GateRule(metric="acc", max_drop_pct=10), 0.9, 0.8, False),
        (GateRule(metric="loss", direction="lower", max_drop=0.1), 1.0, 1.05, True),
        (GateRule(metric="loss", direction="lower", max_drop=0.1), 1.0, 1.5, False),
        (GateRule(metric="acc", min=0.8), 0.9, 0.7, False),
        (GateRule(metric="acc"), 0.9, 0.95, True),
        (GateRule(metric="acc"), 0.9, 0.85, False),
    ],
)
def test_the_band_agrees_with_the_gate(
    rule: GateRule, base: float, head: float, inside: bool
) -> None:
    key = rule.metric
    [result] = build({key: base}, {key: head}, [rule]).gates
    assert (result.outcome == "pass") is inside
    edge = gatetable.allowed_edge(rule, base)
    assert edge is not None
    assert (head >= edge if rule.direction == "higher" else head <= edge) is inside
    picture = gatetable.strip(result)
    head_at = picture.index("●")
    # the head's neighbours on the far side from base are out of the band when it failed
    step = -1 if (rule.direction == "higher") else 1
    neighbour = picture[head_at + step] if 0 < head_at < len(picture) - 2 else None
    if not inside and neighbour is not None:
        assert neighbour == gatetable.OUT_OF_BAND, picture


def test_no_band_for_a_gate_without_two_numbers() -> None:
    rep = build({"acc": 0.9}, {}, [GateRule(metric="acc")])
    [result] = rep.gates
    assert gatetable.strip(result) == ""


@pytest.mark.parametrize(
    ("env", "commit", "run"),
    [
        (
            GITHUB,
            "https://github.com/octo-org/octo-repo/commit/",
            "https://github.com/octo-org/octo-repo/actions/runs/4242",
        ),
        (
            GITLAB,
            "https://gitlab.example/group/proj/-/commit/",
            "https://gitlab.example/group/proj/-/jobs/901",
        ),
    ],
)
def test_in_ci_shas_and_the_run_are_links(env: dict[str, str], commit: str, run: str) -> None:
    rep = build({"acc": 0.9}, {"acc": 0.9}, [GateRule(metric="acc")])
    text = render(rep, web=WebLinks.from_environ(env))
    compared = next(line for line in text.splitlines() if line.startswith("Compared"))
    assert f"([bbbbbbb]({commit}{HEAD_SHA}))" in compared
    assert f"([aaaaaaa]({commit}{BASE_SHA}))" in compared
    assert f"]({run})" in compared


def test_a_local_report_has_plain_shas_and_no_run_link() -> None:
    rep = build({"acc": 0.9}, {"acc": 0.9}, [GateRule(metric="acc")])
    for env in ({}, {"CI": "true"}):  # outside CI, or a CI mlgate does not know
        text = render(rep, web=WebLinks.from_environ(env))
        assert "Compared **feature** (bbbbbbb) with base **main** (aaaaaaa)." in text
        assert "](" not in text and "http" not in text


def test_a_hostile_ci_value_is_not_linked() -> None:
    env = {**GITHUB, "GITHUB_SERVER_URL": "javascript:alert(1)//", "GITHUB_RUN_ID": "1)x"}
    assert WebLinks.from_environ(env) == WebLinks()
    env = {**GITLAB, "CI_JOB_URL": "https://x.example/a)(b", "CI_PIPELINE_URL": ""}
    assert WebLinks.from_environ(env).run == ""


def plots(count: int) -> tuple[PlotEntry, ...]:
    return tuple(
        PlotEntry(
            f"p{i}", f"Chart number {i}", image=f"plots/p{i}.png", data_table="| a |\n|---|\n| 1 |"
        )
        for i in range(count)
    )


def test_plots_after_the_first_two_are_collapsed_and_no_title_is_repeated() -> None:
    rep = build({"acc": 0.9}, {"acc": 0.9}, [])
    rep = report.Report(
        **{**rep.__dict__, "plots": (*plots(5), PlotEntry("n", "No image", note="too big"))}
    )
    text = render(rep)
    part = text.split("### Plots\n", 1)[1]
    assert "####" not in part  # each chart carries its own title: no heading repeats it
    for i in range(5):
        assert part.count(f"Chart number {i}") == 1 + (i >= PLOTS_SHOWN), i  # alt text, summary
    shown = part.split("<details><summary>Chart number 2</summary>", 1)[0]
    assert "![Chart number 0](plots/p0.png)" in shown and "![Chart number 1](plots/p1.png)" in shown
    assert "plots/p2.png" not in shown
    html = to_html(text)
    collapsed = re.findall(r"<details><summary>(.*?)</summary>", html)
    assert [c for c in collapsed if c != "Data"] == [f"Chart number {i}" for i in range(2, 5)] + [
        "No image"
    ]
    assert html.count("<details>") == html.count("</details>")


def test_a_chart_without_picture_keeps_its_title_once() -> None:
    rep = build({"acc": 0.9}, {"acc": 0.9}, [])
    rep = report.Report(**{**rep.__dict__, "plots": (PlotEntry("n", "No image", note="too big"),)})
    part = render(rep).split("### Plots\n", 1)[1]
    assert part.count("No image") == 1 and "**No image**" in part


def test_a_hostile_chart_title_in_a_collapsed_summary_stays_text() -> None:
    rep = build({"acc": 0.9}, {"acc": 0.9}, [])
    evil = "<img src=x onerror=alert(1)> @octocat https://evil.example"
    entries = (*plots(2), PlotEntry("e", evil, image="plots/e.png"))
    html = to_html(render(report.Report(**{**rep.__dict__, "plots": entries})))
    summary = re.search(r"<details><summary>([^<]*octocat.*?)</summary>", html)
    assert summary is not None, html
    assert "<img src=x" not in html and "&lt;img src=x" in summary.group(1)
    assert "@\u200boctocat" in summary.group(1) and "https:\u200b//" in summary.group(1)


def test_a_failure_that_is_not_a_move_is_named_by_its_reason() -> None:
    rep = build({"acc": 0.9}, {"acc": 0.91}, [GateRule(metric="acc")])
    [gate] = rep.gates
    stale = dataclasses.replace(gate, outcome="fail", message="acc at head is stale: rerun")
    rep = dataclasses.replace(rep, gates=(stale,), passed=False)
    assert headline_text(rep) == "mlgate report: 1 of 1 gate failed: acc at head is stale: rerun"
