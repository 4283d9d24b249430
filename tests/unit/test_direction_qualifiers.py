"""The direction table on names a new user and an attacker tried after issue 20 (each took the
family's direction on main at f00f005, so a worse model passed its gate): scikit-learn's negated
scorers are higher-is-better; a family word qualified by a change or an inverse decides nothing,
and a gate on such a name needs `direction:`."""

from __future__ import annotations

import pytest

from mlgate import direction
from mlgate.config import load_config
from mlgate.errors import ConfigError


@pytest.mark.parametrize(
    "name", ["neg_mean_squared_error", "test_neg_log_loss", "neg_root_mean_squared_error"]
)
def test_negated_scorers_are_higher_is_better(name: str) -> None:
    assert direction.infer(name) == "higher"


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("accuracy_drop", "drop"),
        ("acc_gap", "gap"),
        ("error_reduction", "reduction"),
        ("loss_improvement", "improvement"),
        ("time_saved", "saved"),
        ("drift_score", "drift"),
        ("anomaly_score", "anomaly"),
        ("val/f1_delta", "delta"),
        ("1-accuracy", "complement"),
        ("1 - f1", "complement"),
        ("one_minus_auc", "complement"),
    ],
)
def test_qualified_family_decides_nothing(name: str, word: str) -> None:
    assert direction.infer(name) is None
    assert word in (direction.qualifier(name) or "")
    with pytest.raises(ConfigError) as err:
        load_config(f"gates:\n  - metric: {name!r}\n    max_drop: 0.01\n", ".mlgate.yml")
    assert "direction" in str(err.value) and word in str(err.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("val_loss", "lower"),
        ("avg_prec.train", "higher"),
        ("test/roc_auc", "higher"),
        ("train_time", "lower"),
        ("mean_absolute_error", "lower"),
        ("epoch.1-acc", "higher"),  # a version-like prefix, not a complement
        ("acc_loss", None),
    ],
)
def test_plain_names_unchanged(name: str, expected: str | None) -> None:
    assert direction.infer(name) == expected
