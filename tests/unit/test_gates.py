import math

import pytest

from mlgate.compare import Snapshot, diff
from mlgate.gatekinds.scalar import evaluate
from mlgate.rules import GateRule, matches, passed, worst


def run(rule: GateRule, old: object, new: object, key: str = "acc") -> tuple[str, str]:
    base = Snapshot({"metrics.json": {key: old}} if old is not None else {"metrics.json": {}})
    head = Snapshot({"metrics.json": {key: new}} if new is not None else {"metrics.json": {}})
    results = evaluate([rule], diff(base, head))  # type: ignore[arg-type]
    assert len(results) == 1
    return results[0].outcome, results[0].message


def test_the_message_from_the_issue() -> None:
    outcome, message = run(GateRule(metric="acc", max_drop=0.01), 0.912, 0.881)
    assert outcome == "fail"
    assert message == "acc fell 0.031 (3.4%) from 0.912 to 0.881; allowed 0.01"


def test_within_tolerance_passes_and_float_noise_does_not_fail() -> None:
    assert run(GateRule(metric="acc", max_drop=0.05), 0.9, 0.85)[0] == "pass"
    assert run(GateRule(metric="acc", max_drop=0.01), 0.9, 0.895)[0] == "pass"


def test_max_drop_pct() -> None:
    assert run(GateRule(metric="acc", max_drop_pct=1.0), 0.9, 0.89)[0] == "fail"  # 1.1%
    assert run(GateRule(metric="acc", max_drop_pct=2.0), 0.9, 0.89)[0] == "pass"
    outcome, message = run(
        GateRule(metric="loss", direction="lower", max_drop_pct=1.0), 0.4, 0.42, "loss"
    )
    assert outcome == "fail"
    assert message == "loss rose 0.02 (5.0%) from 0.4 to 0.42; allowed 1%"


def test_direction_lower_improvement_passes() -> None:
    outcome, message = run(
        GateRule(metric="loss", direction="lower", max_drop=0.0), 0.5, 0.4, "loss"
    )
    assert outcome == "pass"
    assert "(better)" in message


def test_no_tolerance_means_any_worsening_fails() -> None:
    assert run(GateRule(metric="acc"), 0.9, 0.8999)[0] == "fail"
    assert run(GateRule(metric="acc"), 0.9, 0.9)[0] == "pass"


def test_absolute_bounds() -> None:
    outcome, message = run(GateRule(metric="acc", min=0.8, max_drop=1), 0.9, 0.79)
    assert outcome == "fail"
    assert "below the minimum 0.8" in message
    assert run(GateRule(metric="l", direction="lower", max=1.0, max_drop=5), 0.5, 1.5, "l")[0] == (
        "fail"
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (math.nan, "acc is NaN on head"),
        (math.inf, "acc is infinite on head (inf)"),
        (-math.inf, "acc is infinite on head (-inf)"),
    ],
)
def test_nan_or_infinite_head_fails(bad: float, message: str) -> None:
    assert run(GateRule(metric="acc", max_drop=1.0), 0.9, bad) == ("fail", message)


def test_strings_and_booleans_on_head_fail_with_a_reason() -> None:
    assert run(GateRule(metric="acc", max_drop=1), 0.9, "high") == (
        "fail",
        "acc is text ('high') on head; gates compare numbers",
    )
    assert run(GateRule(metric="acc", max_drop=1), 0.9, True)[0] == "fail"


def test_new_metric_is_never_a_failure_by_itself_but_bounds_apply() -> None:
    outcome, message = run(GateRule(metric="acc", max_drop=0.0), None, 0.5)
    assert outcome == "pass"
    assert "new" in message
    assert run(GateRule(metric="acc", min=0.9), None, 0.5)[0] == "fail"


def test_missing_on_head_follows_on_missing() -> None:
    assert run(GateRule(metric="acc"), 0.9, None)[0] == "fail"
    assert run(GateRule(metric="acc", on_missing="warn"), 0.9, None)[0] == "warn"
    assert run(GateRule(metric="acc", on_missing="ignore"), 0.9, None)[0] == "skip"


def test_rule_matching_nothing_follows_on_missing() -> None:
    results = evaluate([GateRule(metric="nope")], diff(Snapshot({}), Snapshot({"m": {"a": 1}})))
    assert results[0].outcome == "fail"
    assert "no metric matches 'nope'" in results[0].message


def test_non_numeric_base_is_unreadable_and_bounds_still_apply() -> None:
    # issue 20: a base that is not a finite number follows on_missing_base (fail by default)
    assert run(GateRule(metric="acc", min=0.5), "n/a", 0.6)[0] == "fail"
    warn = GateRule(metric="acc", min=0.5, on_missing_base="warn")
    assert run(warn, "n/a", 0.6)[0] == "warn"
    assert run(warn, math.nan, 0.4)[0] == "fail"  # the bound needs no base


def test_matching_forms() -> None:
    assert matches("acc", "m.json", "acc")
    assert not matches("acc", "m.json", "val.acc")
    assert matches("*.acc", "m.json", "val.acc")
    assert matches("eval/*.json:acc", "eval/m.json", "acc")
    assert not matches("train.json:acc", "eval.json", "acc")


def test_worst_picks_largest_relative_regression() -> None:
    base = Snapshot({"m": {"a": 0.9, "b": 0.5}})
    head = Snapshot({"m": {"a": 0.89, "b": 0.4}})
    results = evaluate([GateRule(metric="*")], diff(base, head))
    assert not passed(results)
    w = worst(results)
    assert w is not None and w.metric == "m:b"
