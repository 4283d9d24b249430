import pytest

from mlgate.config import load_config
from mlgate.errors import ConfigError

GOOD = """
base: main
gates:
  - metric: acc
    direction: higher
    max_drop: 0.01
    max_drop_pct: 1.0
    min: 0.80
    on_missing: fail
  - metric: loss
    direction: lower
    max: 0.5
"""


def test_the_documented_schema_parses() -> None:
    config = load_config(GOOD, ".mlgate.yml")
    assert config.base == "main"
    assert [g.metric for g in config.gates] == ["acc", "loss"]
    assert config.gates[0].max_drop == 0.01
    assert config.gates[1].bound == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "gates:\n  - metric: acc\n    max_dorp: 1\n",
            "gates[0]: unknown key 'max_dorp' (did you mean 'max_drop'?); accepted keys: metric, "
            "direction, max_drop, "
            "max_drop_pct, min, max, on_missing, on_missing_base, significance, ci, per_example, "
            "positive, predictions, on_no_paired_data, slices, bins, min_slice_rows, "
            "max_drop_sigma, history, on_no_history",
        ),
        (
            "gaets: []\n",
            "top level: unknown key 'gaets' (did you mean 'gates'?); accepted keys: "
            "base, metrics, params, plots, gates, title, template, data, base_run, links, projects",
        ),
        (
            "gates:\n  - metric: acc\n    direction: up\n",
            'gates[0].direction: expected one of higher, lower, got "up"',
        ),
        (
            "gates:\n  - metric: acc\n    max_drop: -1\n",
            "gates[0].max_drop: expected a number >= 0, got -1",
        ),
        (
            "gates:\n  - metric: acc\n    max_drop: lots\n",
            'gates[0].max_drop: expected a number, got "lots"',
        ),
        (
            "gates:\n  - metric: acc\n  - metric: loss\n  - metric: f1\n    max_drop: abc\n",
            'gates[2].max_drop: expected a number, got "abc"',
        ),
        (
            "gates:\n  - metric: acc\n    max: 1\n",
            "gates[0].max: `max:` goes with `direction: lower`; use `min:`",
        ),
        (
            "gates:\n  - direction: higher\n",
            "gates[0].metric: required: a metric name, glob or path:name",
        ),
        (
            "gates:\n  - metric: [a]\n",
            "gates[0].metric: required: a metric name, glob or path:name, got a list",
        ),
        ("gates: acc\n", 'gates: expected a list of gate rules (`- metric: ...`), got "acc"'),
        ("gates: {}\n", "gates: expected a list of gate rules (`- metric: ...`), got a mapping"),
        ("gates: 0\n", "gates: expected a list of gate rules (`- metric: ...`), got 0"),
        ("gates: [5]\n", "gates[0]: expected a mapping with at least `metric:`, got 5"),
        (
            "gates:\n  - metric: acc\n    on_missing_base: maybe\n",
            'gates[0].on_missing_base: expected one of fail, warn, ignore, got "maybe"',
        ),
        (
            "gates:\n  - metric: acc\n    min: 1" + "0" * 400 + "\n",
            "an integer of about 401 digits is beyond the range of a floating-point number "
            "(about 1.8e308); write it as a float",
        ),
        (
            "gates:\n  - metric: acc\n    min: .inf\n",
            "gates[0].min: expected a finite number, got inf",
        ),
        ("gates:\n  - metric: acc\n    min: true\n", "gates[0].min: expected a number, got true"),
        ("metrics: [a.json, 5]\n", "metrics[1]: expected a file path, got 5"),
        ("plots: 5\n", "plots: expected a file path or a list of file paths, got 5"),
        ("title: [x]\n", "title: expected text, got a list"),
        ("base: 5\n", "base: expected a branch or git ref name, got 5"),
        (
            "template: {a: 1}\n",
            "template: expected the path of a Jinja2 template file, got a mapping",
        ),
        (
            "- a\n",
            "top level: expected a mapping "
            "(keys: base, metrics, params, plots, gates, title, template, data, base_run, links, "
            "projects), "
            "got a list",
        ),
        (
            "gates: [\n",
            "invalid YAML at line 2: expected the node content, but found '<stream end>'",
        ),
    ],
)
def test_bad_config_names_file_key_path_and_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(text, "ci/.mlgate.yml")
    assert str(info.value) == f"ci/.mlgate.yml: {message}"


def test_gates_left_empty_is_no_gates_and_plots_are_accepted() -> None:
    config = load_config("gates:\nplots: [curves/, loss.csv]\n", ".mlgate.yml")
    assert config.gates == ()
    assert config.plots == ("curves/", "loss.csv")


def test_on_missing_base_defaults_to_fail() -> None:
    config = load_config(
        "gates:\n  - metric: acc\n  - metric: loss\n    on_missing_base: warn\n", ".mlgate.yml"
    )
    assert [g.on_missing_base for g in config.gates] == ["fail", "warn"]


def test_missing_file_gives_defaults() -> None:
    config = load_config(None, ".mlgate.yml")
    assert config.gates == ()
    assert not config.present
