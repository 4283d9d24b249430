"""Several DVC projects in one report (issue 23, item 2): which projects, and which gates each
one gets. Pure: the repository listing is given."""

from __future__ import annotations

import pytest

from mlgate.commands.projects import missing
from mlgate.compare import Diff
from mlgate.config import parse_config
from mlgate.errors import ConfigError
from mlgate.governing import govern
from mlgate.projects import Part, choose, clean_dir, combine, discover, gate_name, owner, route
from mlgate.report import Report, build
from mlgate.rules import GateRule

LISTING = [
    ".mlgate.yml",
    "projects/a/.dvc/config",
    "projects/a/dvc.yaml",
    "projects/b/.dvc/config",
    "projects/b/eval/metrics.json",
    "tools/x.py",
]


def test_discovery_finds_every_dvc_project_and_the_top_only_when_it_is_one() -> None:
    assert discover(LISTING) == ["projects/a", "projects/b"]
    assert discover([*LISTING, ".dvc/config"]) == [".", "projects/a", "projects/b"]


def test_the_flag_wins_over_the_file_and_nothing_given_is_one_project() -> None:
    assert choose(["projects/b/"], ["projects/a"], LISTING, ".mlgate.yml") == ["projects/b"]
    assert choose([], ["./projects/a", "projects/b"], LISTING, ".mlgate.yml") == [
        "projects/a",
        "projects/b",
    ]
    assert choose([], "auto", LISTING, ".mlgate.yml") == ["projects/a", "projects/b"]
    assert choose([], (), LISTING, ".mlgate.yml") is None


def test_a_directory_the_repository_lacks_is_an_error_naming_the_closest() -> None:
    with pytest.raises(ConfigError, match=r"'projects/ax'.*did you mean 'projects/a'"):
        choose([], ["projects/ax"], LISTING, ".mlgate.yml")
    with pytest.raises(ConfigError, match="inside the repository"):
        clean_dir("../elsewhere", ".mlgate.yml")
    with pytest.raises(ConfigError, match="inside the repository"):
        clean_dir("/etc", ".mlgate.yml")
    with pytest.raises(ConfigError, match="no directory holds"):
        choose([], "auto", ["x.py"], ".mlgate.yml")


def test_a_path_belongs_to_the_longest_project_directory_it_starts_with() -> None:
    dirs = [".", "projects/a", "projects/ab"]
    assert owner("projects/ab/m.json", dirs) == "projects/ab"
    assert owner("projects/a/m.json", dirs) == "projects/a"
    assert owner("top.json", dirs) == "."
    assert owner("top.json", dirs[1:]) is None


def test_gates_are_routed_to_their_project_with_dvc_s_paths_there() -> None:
    rules = [
        GateRule(metric="acc"),
        GateRule(metric="projects/a:f1"),
        GateRule(metric="projects/b/eval/metrics.json:auc"),
    ]
    routed = route(rules, ["projects/a", "projects/b"], ".mlgate.yml")
    assert [r.metric for r in routed["projects/a"]] == ["acc", "*:f1"]
    assert [r.metric for r in routed["projects/b"]] == ["acc", "eval/metrics.json:auc"]


def test_a_gate_naming_an_unknown_project_is_an_error_with_the_closest() -> None:
    rules = [GateRule(metric="projects/c:acc")]
    with pytest.raises(ConfigError, match=r"gates\[0\].*names no project.*did you mean"):
        route(rules, ["projects/a", "projects/b"], ".mlgate.yml")
    # with the top in the report, a path that starts with no other project is the top's
    assert route(rules, [".", "projects/a"], ".mlgate.yml")["."][0].metric == "projects/c:acc"


def test_a_gate_is_named_by_its_project_even_when_it_matched_nothing() -> None:
    assert gate_name("projects/a", "metrics.json:acc") == "projects/a/metrics.json:acc"
    assert gate_name("projects/a", "acc") == "projects/a:acc"
    assert gate_name(".", "acc") == "acc"


def test_projects_in_the_config_and_the_base_s_list_governs_in_ci() -> None:
    assert parse_config({"projects": "auto"}).projects == "auto"
    assert parse_config({"projects": ["a", "b"]}).projects == ("a", "b")
    with pytest.raises(ConfigError, match="expected `auto` or a list of directories"):
        parse_config({"projects": "a"})
    head = parse_config({"projects": ["a"]})
    base = parse_config({"projects": ["a", "b"]})
    governed, notes = govern(head, base, "main")
    assert governed.projects == ("a", "b")  # a pull request cannot drop a project from its gate
    assert "`projects`" in notes[0]


def _report(gates: list[GateRule]) -> Report:
    return build(
        title="t",
        base_ref="main",
        base_sha="0" * 40,
        head_label="pr",
        head_sha=None,
        metrics=Diff(()),
        params=Diff(()),
        rules=gates,
    )


def test_a_project_the_pull_request_deletes_fails_its_gates() -> None:
    gone = missing("projects/b", [GateRule(metric="acc")], _report([]))
    assert not gone.passed
    assert [g.message for g in gone.gates] == [
        "the project directory projects/b is missing in the workspace"
    ]
    combined = combine("t", [Part("projects/a", _report([])), Part("projects/b", gone)])
    assert not combined.passed
    assert combined.verdict.startswith("1 of 1 gate failed: projects/b: the project directory")
    assert [g.metric for g in combined.gates] == ["projects/b:acc"]
