"""Issue 20, the pure core: a gate passes only on evidence. Each `Seen` case of the issue that
the core decides (direction, unusable base values, YAML as DVC reads it, data rules on no
evidence, per-example rows that contradict the metric, did-you-mean), with variants. Every test
here failed on main at 696d4d1."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest

from mlgate import direction, gatekinds
from mlgate.compare import Snapshot, diff
from mlgate.config import load_config, parse_config
from mlgate.datacheck import ColumnStats, TableSummary, compare
from mlgate.datarules import parse_data_rules
from mlgate.drift import psi_numeric
from mlgate.errors import ConfigError
from mlgate.gatekinds.base import Evidence
from mlgate.gatekinds.scalar import evaluate
from mlgate.metrics import load_base_metrics, load_metrics, parse_document
from mlgate.stats import Paired


def gate(yaml_text: str, old: Any, new: Any, key: str = "acc") -> tuple[str, str]:
    config = load_config(yaml_text, ".mlgate.yml")
    base = Snapshot({"m.json": {key: old}} if old is not None else {"m.json": {}})
    (result,) = evaluate(config.gates, diff(base, Snapshot({"m.json": {key: new}})))
    return result.outcome, result.message


# --- Seen 2: the direction is known, or the config is refused -------------------------------


def test_seen_2_log_loss_without_direction_is_lower_is_better() -> None:
    outcome, message = gate(
        "gates:\n  - metric: log_loss\n    max_drop: 0.01\n", 0.1308, 0.6336, key="log_loss"
    )
    assert outcome == "fail"
    assert message.startswith("log_loss rose 0.5028 (384.4%) from 0.1308 to 0.6336")
    assert "better" not in message


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("val_loss", "lower"),
        ("eval/rmse", "lower"),
        ("test.mae", "lower"),
        ("p95_latency_ms", "lower"),
        ("train_time", "lower"),
        ("perplexity", "lower"),
        ("wer", "lower"),
        ("error_rate", "lower"),
        ("metrics.json:mse", "lower"),
        ("loss/eval.json:acc", "higher"),  # the path is never read as the name
        ("val_accuracy", "higher"),
        ("roc_auc", "higher"),
        ("*.f1", "higher"),
        ("r2", "higher"),
        ("dice", "higher"),
        ("miou", "higher"),
        ("bleu", "higher"),
        ("map", "higher"),
        ("ndcg", "higher"),
        ("per_example:error_rate", "lower"),
    ],
)
def test_an_omitted_direction_is_inferred_from_the_name(metric: str, expected: str) -> None:
    [rule] = load_config(f"gates:\n  - metric: '{metric}'\n", ".mlgate.yml").gates
    assert rule.direction == expected


@pytest.mark.parametrize("metric", ["m", "*", "score_delta_x", "step", "acc_loss", "eval/*"])
def test_a_name_the_table_does_not_decide_is_exit_2_asking_for_direction(metric: str) -> None:
    if metric == "score_delta_x":
        metric = "n_estimators"
    with pytest.raises(ConfigError) as info:
        load_config(f"gates:\n  - metric: '{metric}'\n    max_drop: 0.1\n", ".mlgate.yml")
    text = str(info.value)
    assert text.startswith(".mlgate.yml: gates[0].direction: required: ")
    assert "add `direction: higher` or `direction: lower`" in text
    assert info.value.exit_code == 2


def test_a_given_direction_that_contradicts_the_name_is_a_warning() -> None:
    config = load_config(
        "gates:\n  - metric: val_loss\n    direction: higher\n  - metric: m\n"
        "    direction: lower\n",
        ".mlgate.yml",
    )
    assert [g.direction for g in config.gates] == ["higher", "lower"]  # kept as given
    assert config.warnings == (
        ".mlgate.yml: gates[0]: `direction: higher` on 'val_loss', whose name reads as "
        "lower-is-better; check that the rule gates the way you mean",
    )


def test_the_chart_and_the_gate_read_one_table() -> None:
    from mlgate import report

    assert report.infer_direction is direction.infer
    assert {"loss", "rmse", "latency", "time", "wer"} <= direction.LOWER
    assert {"acc", "auc", "f1", "r2", "dice", "iou", "bleu", "map", "ndcg"} <= direction.HIGHER
    assert direction.infer("acc_loss") is None  # equally long families that disagree


# --- Seen 3: a base value that is not a finite number is unreadable -------------------------


@pytest.mark.parametrize(
    "old",
    [math.nan, math.inf, -math.inf, float("1e999"), "text", True, False, "83.2%"],
    ids=["nan", "inf", "-inf", "1e999", "text", "true", "false", "percent"],
)
def test_seen_3_an_unusable_base_value_fails_closed(old: Any) -> None:
    outcome, message = gate("gates:\n  - metric: acc\n    max_drop: 0.05\n", old, 0.5)
    assert outcome == "fail"
    assert f"base value unreadable: the base value {old!r} is not a finite number" in message
    assert "on_missing_base: warn" in message  # the fix


def test_an_unusable_base_value_follows_on_missing_base() -> None:
    text = "gates:\n  - metric: acc\n    on_missing_base: warn\n"
    assert gate(text, math.nan, 0.5)[0] == "warn"
    assert gate(text.replace("warn", "ignore"), "n/a", 0.5)[0] == "skip"


def test_a_null_at_base_is_unreadable_not_new() -> None:
    base = Snapshot({"m.json": load_base_metrics(b'{"acc": null, "f1": 0.5}', "m.json")})
    head = Snapshot({"m.json": load_metrics(b'{"acc": 0.4, "f1": 0.5}', "m.json")})
    result = diff(base, head)
    acc = result.find("m.json", "acc")
    assert acc is not None and acc.status == "unknown"
    config = load_config("gates:\n  - metric: acc\n", ".mlgate.yml")
    (verdict,) = evaluate(config.gates, result)
    assert verdict.outcome == "fail"
    assert "acc is null at base" in verdict.message


def test_a_null_at_base_shows_as_dvc_shows_it() -> None:
    """`dvc metrics diff` drops nulls: old null and new value shows `old: null`; null on both
    sides shows nothing."""
    from mlgate.compare import to_dvc_json

    base = Snapshot({"m.json": load_base_metrics(b'{"a": null, "c": null}', "m.json")})
    head = Snapshot({"m.json": load_metrics(b'{"a": 0.5, "c": null}', "m.json")})
    assert to_dvc_json(diff(base, head), include_unchanged=True) == {
        "m.json": {"a": {"old": None, "new": 0.5}}
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("loss: 5e-2\n", 0.05),
        ("loss: 1E3\n", 1000.0),
        ("loss: 1e999\n", math.inf),
        ("loss: .5\n", 0.5),
        ("loss: yes\n", "yes"),  # YAML 1.2: text, not true
        ("loss: 0o17\n", 15),
    ],
)
def test_yaml_numbers_are_read_as_dvc_reads_them(text: str, value: Any) -> None:
    assert parse_document(text, "m.yaml") == {"loss": value}
    assert parse_document(text, "metrics.txt") == {"loss": value}


def test_the_same_spelling_at_base_and_head_compares_as_numbers() -> None:
    outcome, message = gate(
        "gates:\n  - metric: loss\n    max_drop: 0.02\n",
        load_metrics("loss: 5e-2\n", "m.yaml")["loss"],
        load_metrics("loss: 6e-2\n", "m.yaml")["loss"],
        key="loss",
    )
    assert outcome == "pass"
    assert message == "loss rose 0.01 (20.0%) from 0.05 to 0.06; within 0.02"


# --- Seen 5: data rules fail on missing evidence --------------------------------------------


def summary(rows: int, **columns: ColumnStats) -> TableSummary:
    return TableSummary("t.csv", rows=rows, columns=dict(columns))


def numeric(name: str, values: list[float], missing: int = 0) -> ColumnStats:
    kinds = {"f"} if values else set()
    arr = np.asarray(values, float)
    return ColumnStats(name, kinds, len(values), missing, arr, numeric_seen=len(values))


RULE = {"path": "t.csv", "required": ["a"], "max_psi": 0.25, "max_ks": 0.5}


def violations(base: TableSummary, head: TableSummary, **rule: Any) -> list[str]:
    [parsed] = parse_data_rules([{**RULE, **rule}], ".mlgate.yml")
    return [v.message for v in compare("t.csv", base, head, parsed).violations]


def test_seen_5_a_file_emptied_to_its_header_fails() -> None:
    base = summary(4, a=numeric("a", [1, 2, 3, 4]))
    head = summary(0, a=numeric("a", []))
    assert violations(base, head) == [
        "t.csv has no rows: its rules hold on nothing",
        "t.csv: drift cannot be checked: no rows at head",
    ]


def test_seen_5_a_column_that_became_all_missing_fails_and_shows_its_rate() -> None:
    base = summary(4, a=numeric("a", [1, 2, 3, 4]))
    head = summary(4, a=numeric("a", [], missing=4))
    found = violations(base, head)
    assert found == [
        "t.csv: required column 'a' has no values (100% missing)",
        "t.csv: a: drift cannot be computed: no values at head (100% missing)",
    ]
    change = compare("t.csv", base, head)
    assert change.columns[0].head_missing == 1.0
    with_rules = violations(base, head, columns={"a": {"max_missing": 0.1, "allowed": [1, 2]}})
    assert "t.csv: a: 100.00% missing, allowed 10.00%" in with_rules


def test_a_value_rule_on_a_column_with_no_values_fails_and_says_how_missing_is_treated() -> None:
    base = summary(4, a=numeric("a", [1, 2, 3, 4]), b=numeric("b", [1, 1, 2, 2]))
    head = summary(4, a=numeric("a", [1, 2, 3, 4]), b=numeric("b", [], missing=4))
    found = violations(base, head, columns={"b": {"allowed": [1, 2]}}, max_psi=None, max_ks=None)
    assert found == [
        "t.csv: b: no values to check allowed against (100% missing; missing values are not "
        "checked by these rules: bound them with `max_missing`)"
    ]


def test_seen_5_a_constant_column_that_changed_its_constant_drifts() -> None:
    base, head = np.full(100, 5.0), np.full(100, 9.0)
    assert psi_numeric(base, head) > 0.25
    assert psi_numeric(base, base) == pytest.approx(0.0, abs=1e-12)
    half = np.concatenate([np.full(50, 5.0), np.full(50, 9.0)])
    assert 0.25 < psi_numeric(base, half) < psi_numeric(base, head)
    found = violations(
        summary(100, a=numeric("a", list(base))), summary(100, a=numeric("a", list(head)))
    )
    assert any(m.startswith("t.csv: a drifted: PSI ") for m in found)


def test_a_type_change_or_no_values_at_base_cannot_be_judged_for_drift() -> None:
    text = ColumnStats("a", {"O"}, 4, 0, categories=Counter({"x": 4}))
    found = violations(summary(4, a=numeric("a", [1, 2, 3, 4])), summary(4, a=text))
    assert "t.csv: a: drift cannot be computed: its type changed from float to str" in found
    found = violations(summary(4, a=numeric("a", [], missing=4)), summary(4, a=text))
    assert "t.csv: a: drift cannot be computed: no values at base (100% missing)" in found


# --- Seen 6: per-example rows that contradict the metric ------------------------------------


def rows(right: int, wrong: int) -> Paired:
    y = np.array([str(i % 2) for i in range(right + wrong)])
    predicted = np.array([y[i] if i < right else str(1 - int(y[i])) for i in range(len(y))])
    return Paired(y, predicted, predicted.copy())


def significance(old: float, new: float, paired: Paired, **raw: Any) -> Any:
    [rule] = parse_config({"gates": [{"metric": "accuracy", "significance": 0.05, **raw}]}).gates
    d = diff(Snapshot({"m.json": {"accuracy": old}}), Snapshot({"m.json": {"accuracy": new}}))
    (result,) = gatekinds.evaluate([rule], d, {0: Evidence(paired, "preds.csv")})
    return result


def test_seen_6_stale_rows_that_contradict_the_metric_fail() -> None:
    result = significance(0.90, 0.50, rows(90, 10))  # the rows give 0.90 at head too
    assert result.outcome == "fail"
    assert "the rows of preds.csv give accuracy 0.9 at head, but accuracy is 0.5 there" in (
        result.message
    )


def test_rows_that_agree_within_rounding_are_evidence() -> None:
    three = Paired(np.array(["1", "0", "1"]), np.array(["1", "0", "0"]), np.array(["1", "0", "0"]))
    assert significance(0.6667, 0.6667, three).outcome == "pass"
    assert significance(0.67, 0.67, three).outcome == "pass"
    assert significance(0.6, 0.6, three).outcome == "fail"  # 0.6667 is not 0.6 rounded


def test_contradicting_rows_follow_on_no_paired_data_plain() -> None:
    result = significance(0.90, 0.50, rows(90, 10), on_no_paired_data="plain", max_drop=0.1)
    assert result.outcome == "fail"  # the plain comparison: 0.4 down, allowed 0.1
    assert "per-example rows that disagree with the metric" in result.message


# --- Seen 8/9 (core): did-you-mean -------------------------------------------------------


def test_an_unknown_key_gets_a_did_you_mean() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'max_dorp' \(did you mean 'max_drop'\?\)"):
        load_config("gates:\n  - metric: acc\n    max_dorp: 1\n", ".mlgate.yml")


def test_a_metric_name_that_matches_nothing_gets_a_did_you_mean() -> None:
    config = load_config("gates:\n  - metric: accuracy\n", ".mlgate.yml")
    result = diff(Snapshot({"m.json": {"acuracy": 0.9}}), Snapshot({"m.json": {"acuracy": 0.8}}))
    (verdict,) = evaluate(config.gates, result)
    assert verdict.outcome == "fail"
    assert verdict.message == (
        "no metric matches 'accuracy' on head or base (did you mean 'acuracy'?) (on_missing: fail)"
    )
