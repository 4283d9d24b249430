"""The limits on what mlgate reads and renders, one by one, at the unit level: documents
(size, values, depth, YAML aliases, numbers), the report directory, user templates, settings."""

from __future__ import annotations

import math
from pathlib import Path

import jinja2
import pytest

from mlgate import limits, outdir, safeyaml
from mlgate.errors import ConfigError, InputError, UsageError
from mlgate.metrics import load_metrics, load_params, parse_document
from mlgate.render import sandbox
from mlgate.settings import Settings


def test_anchors_within_budget_load_like_safe_load() -> None:
    doc = parse_document("base: &b {lr: 0.1, depth: 3}\nfast: *b\nslow: *b\n", "params.yaml")
    assert doc == {
        "base": {"lr": 0.1, "depth": 3},
        "fast": {"lr": 0.1, "depth": 3},
        "slow": {"lr": 0.1, "depth": 3},
    }
    assert load_params("a: &x [1, 2]\nb: *x\n", "p.yaml") == {"a": "[1, 2]", "b": "[1, 2]"}


def test_expanded_size_counts_aliases_expanded() -> None:
    from ruamel.yaml import YAML

    node = YAML(typ="safe", pure=True).compose("a: &x [1, 2, 3]\nb: *x\nc: *x\n")
    # mapping + 3 keys + 3 x (sequence + 3 items), the shared sequence counted each time used
    assert safeyaml.expanded_size(node) == 1 + 3 + 3 * 4


def test_numbers_within_float_range_stay_numbers() -> None:
    big = "1" + "0" * 300
    assert load_metrics('{"a": ' + big + ', "b": 1e400, "c": -1e-400}', "m.json") == {
        "a": int(big),
        "b": math.inf,  # a float literal beyond range reads as inf (and fails its gate)
        "c": -0.0,
    }


def test_the_limits_are_the_ones_documented(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).parents[2] / "docs" / "limits.md").read_text()  # moved from README
    for row in (
        "| metrics, params, `dvc.yaml`, `dvc.lock`, `.mlgate.yml`: file size | 10 MB |",
        "| values in one such file (aliases expanded) | 100,000 |",
        "| nesting depth | 100 |",
        "| YAML aliases (`*name`) in one file | 1,000 |",
        "| user template: file size | 1 MB |",
        "| user template: render time | 10 s |",
        "| user template: output | 5 MB |",
    ):
        assert row in readme, row
    assert limits.MAX_DOCUMENT_BYTES == 10 * 1024 * 1024
    assert limits.MAX_DOCUMENT_VALUES == 100_000
    assert limits.MAX_DEPTH == 100
    assert limits.MAX_YAML_ALIASES == 1_000
    assert limits.MAX_TEMPLATE_BYTES == 1024 * 1024
    assert limits.MAX_RENDER_SECONDS == 10.0
    assert limits.MAX_RENDER_BYTES == 5 * 1024 * 1024
    monkeypatch.setattr(limits, "MAX_DOCUMENT_VALUES", 3)
    with pytest.raises(InputError, match="more than 3 values"):
        load_metrics('{"a": 1, "b": 2, "c": 3}', "m.json")


# --- the report directory -----------------------------------------------------------------------


def test_prepare_accepts_new_empty_and_marked_directories(tmp_path: Path) -> None:
    new = outdir.prepare(tmp_path / "a" / "b")
    assert (new / outdir.MARKER).is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert outdir.prepare(empty) == empty
    (empty / "report.md").write_text("old")
    assert outdir.prepare(empty) == empty  # marked by the first run: an earlier report
    assert outdir.is_report_dir(empty)


def test_prepare_refuses_a_directory_it_did_not_make(tmp_path: Path) -> None:
    mine = tmp_path / "docs"
    mine.mkdir()
    (mine / "index.md").write_text("keep me")
    with pytest.raises(InputError, match="holds no earlier mlgate report"):
        outdir.prepare(mine)
    assert [p.name for p in mine.iterdir()] == ["index.md"]


def test_prepare_refuses_a_symlinked_parent_inside_the_repository(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "reports").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="reports: is a symbolic link"):
        outdir.prepare(root / "reports" / "mlgate", root=root)
    assert list((tmp_path / "elsewhere").iterdir()) == []


# --- templates ----------------------------------------------------------------------------------


def _env(root: Path) -> sandbox.BudgetedSandbox:
    from mlgate.render.markdown import user_environment

    return user_environment(root, root)


def test_repo_loader_reads_templates_of_its_directory_only(tmp_path: Path) -> None:
    (tmp_path / "part.md.j2").write_text("part {{ 1 + 1 }}")
    (tmp_path / "main.md.j2").write_text('{% include "part.md.j2" %}|')
    (tmp_path / "creds.json").write_text('{"token": "x"}')
    env = _env(tmp_path)
    assert sandbox.render_within_budget(env, env.get_template("main.md.j2")).startswith("part 2|")
    assert env.loader is not None
    assert "{% block verdict %}" in env.loader.get_source(env, "mlgate/report.md.j2")[0]
    with pytest.raises(sandbox.TemplateRefused, match=r"'creds\.json' is not a template"):
        env.get_template("creds.json")
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("nope.md.j2")


def test_a_template_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.md.j2").write_text("x" * (limits.MAX_TEMPLATE_BYTES + 1))
    with pytest.raises(ConfigError, match=r"above mlgate's limit of 1\.0 MB for a template"):
        sandbox.resolve_user_template(tmp_path, "big.md.j2", ".mlgate.yml")


def test_nothing_is_computed_while_compiling(tmp_path: Path) -> None:
    # constant folding would build this string before any budget check could run
    (tmp_path / "t.md.j2").write_text('{{ "x" * 100000000 }}')
    env = _env(tmp_path)
    template = env.get_template("t.md.j2")  # compiles: must be quick and small
    with pytest.raises(sandbox.RenderLimitError, match=r"more than 5\.0 MB"):
        sandbox.render_within_budget(env, template)


def test_ordinary_templates_render_within_budget(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text(
        '{% for i in range(1000) %}{{ "%5.2f" | format(i / 3) }}{{ "ab" * 3 }}{% endfor %}'
    )
    env = _env(tmp_path)
    text = sandbox.render_within_budget(env, env.get_template("t.md.j2"))
    assert text.startswith(" 0.00ababab 0.33ababab 0.67ababab")
    assert len(text) == 1000 * (5 + 6) + 700  # i / 3 >= 100 (six characters) from i = 300


# --- settings -----------------------------------------------------------------------------------


def test_timeout_minutes_from_the_action_and_the_cli() -> None:
    assert Settings.from_environ({"INPUT_TIMEOUT-MINUTES": "2.5"}).timeout_minutes == 2.5
    assert Settings.from_mapping({"timeout-minutes": "90"}).timeout_minutes == 90.0
    assert Settings.from_environ({"INPUT_TIMEOUT-MINUTES": ""}).timeout_minutes is None


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "nan", "inf", "1e9"])
def test_bad_timeout_minutes_names_the_input(bad: str) -> None:
    with pytest.raises(UsageError) as info:
        Settings.from_mapping({"timeout-minutes": bad})
    assert str(info.value) == (
        "input 'timeout-minutes': expected a number of minutes above 0 (at most a week), "
        f"got {bad!r}"
    )


def test_a_large_metrics_table_shows_gated_and_changed_rows_first() -> None:
    from mlgate import report
    from mlgate.compare import Snapshot, diff
    from mlgate.render.metrictables import metrics_table
    from mlgate.rules import GateRule

    base = {f"k{i}": float(i) for i in range(5_100)}
    head = {**base, "k5099": 1.0}
    rows = report.metric_rows(
        diff(Snapshot({"m.json": base}), Snapshot({"m.json": head})), [GateRule(metric="k5050")]
    )
    text = metrics_table(rows, "Base", show_path=False)
    lines = text.splitlines()
    assert lines[0] == (
        "*Showing 2 of 5,100 metric values: gated metrics first, then the largest relative "
        "changes.*"
    )
    assert lines[4].startswith("| k5050 ") and lines[5].startswith("| k5099 ")
    assert len([line for line in lines if line.startswith("|")]) == 2 + 2
    assert lines[-1] == (
        "*…and 5,098 more unchanged metric values: the full table is in the job summary and in "
        "`all-metrics.md` of the report artifact.*"
    )


def test_a_template_that_doubles_a_string_stops_at_the_memory_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `~` joins strings where no hook of the sandbox sees them; memory is sampled at every
    # attribute access instead (here `ns.s`), so the growth stops near the budget
    monkeypatch.setattr(limits, "MAX_RENDER_MEMORY", 16 * 1024 * 1024)
    monkeypatch.setattr(limits, "MAX_RENDER_BYTES", 1024 * 1024 * 1024)
    (tmp_path / "t.md.j2").write_text(
        '{% set ns = namespace(s="x" * 1024) %}'
        "{% for i in range(18) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}"
    )
    env = _env(tmp_path)
    with pytest.raises(sandbox.RenderLimitError, match=r"more than 16\.0 MB of memory"):
        sandbox.render_within_budget(env, env.get_template("t.md.j2"))


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('{{ "{:999999999}".format(1) }}', "a format width of a million or more"),
        ('{{ "x".ljust(999999999) }}', "the argument 999999999 is above"),
        ('{{ "ab" | indent(999999999) }}', "the argument 999999999 is above"),
        ('{{ "a b" | wordwrap(999999999) }}', "the argument 999999999 is above"),
        ("{{ [1] * 99999999 }}", "the template produced more than"),
        ('{{ ("x" * 1000) | replace("", "y" * 100000) }}', "the template produced more than"),
        ('{{ ("x" * 1000).replace("", "y" * 100000) }}', "the template produced more than"),
        ('{{ range(99999) | list | join("y" * 1000) }}', "the template produced more than"),
        ('{{ ("y" * 1000).join(range(99999) | map("string") | list) }}', "the template produced"),
        ('{{ ("a\\n" * 100000) | indent("x" * 1000) }}', "the template produced more than"),
    ],
)
def test_one_call_cannot_allocate_past_the_budget(tmp_path: Path, body: str, why: str) -> None:
    """Each of these would build gigabytes in a single C call, before any later check."""
    (tmp_path / "t.md.j2").write_text(body)
    env = _env(tmp_path)
    with pytest.raises(sandbox.RenderLimitError) as info:
        sandbox.render_within_budget(env, env.get_template("t.md.j2"))
    assert str(info.value).startswith(why)


def test_names_that_look_like_numbers_are_shown_as_written() -> None:
    from mlgate.render.markdown import data_table
    from mlgate.report import DataChange

    # without disable_numparse, tabulate prints the path "1e5" as 100000
    table = data_table([DataChange("1e5", "added", None, 10)])
    assert (
        table.splitlines()[2] == "| added    | 1e5    |           - |        10 B |"
    )  # sizes right-aligned
