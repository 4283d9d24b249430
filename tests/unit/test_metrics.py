import math

import pytest

from mlgate.errors import InputError
from mlgate.metrics import format_value, load_metrics, load_params


def test_json_nested_keys_flatten_with_dots_and_lists_are_dropped() -> None:
    flat = load_metrics(
        b'{"acc": 0.9, "a": {"b": {"c": 1}}, "l": [1, 2], "n": null, "s": "x"}', "m.json"
    )
    assert flat == {"acc": 0.9, "a.b.c": 1, "s": "x"}


def test_yaml_and_toml_are_read_by_suffix() -> None:
    assert load_metrics("loss: .nan\nsub:\n  f1: 0.5\n", "m.yaml")["sub.f1"] == 0.5
    assert math.isnan(load_metrics("loss: .nan\n", "m.yml")["loss"])  # type: ignore[arg-type]
    assert load_metrics("[train]\nacc = 0.75\n", "m.toml") == {"train.acc": 0.75}


def test_params_keep_every_leaf_and_show_lists_as_text() -> None:
    flat = load_params("lr: 0.1\nlayers: [1, 2]\nname: null\nflag: true\n", "params.yaml")
    assert flat == {"lr": 0.1, "layers": "[1, 2]", "name": None, "flag": True}


@pytest.mark.parametrize(
    ("text", "path", "needle"),
    [
        ('{"acc": 0.9,', "metrics.json", "metrics.json: invalid JSON at line 1"),
        ("a: [1\n", "m.yaml", "m.yaml: invalid YAML"),
        ("a = ", "m.toml", "m.toml: invalid TOML"),
        ("[1, 2]", "m.json", "m.json: expected a mapping"),
        (b"\xff\xfe", "m.json", "m.json: not UTF-8"),
    ],
)
def test_malformed_files_name_the_file(text: str | bytes, path: str, needle: str) -> None:
    with pytest.raises(InputError) as info:
        load_metrics(text, path)
    assert needle in str(info.value)


def test_format_value() -> None:
    assert format_value(None) == "-"
    assert format_value(True) == "True"
    assert format_value(float("nan")) == "nan"
    assert format_value(0.123456789) == "0.123457"
    assert format_value(3) == "3"
