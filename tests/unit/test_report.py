"""Pure pieces of the report: the better/worse guess from a metric's name, the stages of a
`dvc repro`, and which repository paths are read."""

from __future__ import annotations

import pytest

from mlgate.commands.train import classify_stages
from mlgate.paths import refusal
from mlgate.report import infer_direction


@pytest.mark.parametrize(
    "key",
    [
        "accuracy", "acc", "test/accuracy", "precision", "recall", "f1", "f1_score", "auc",
        "roc_auc.train", "avg_prec.train", "avg_prec.test", "average_precision", "ap", "map",
        "r2", "iou", "dice", "bleu", "eval.val_accuracy",
    ],
)  # fmt: skip
def test_higher_is_better_families(key: str) -> None:
    assert infer_direction(key) == "higher"


@pytest.mark.parametrize(
    "key",
    [
        "loss", "val_loss", "log_loss", "logloss", "error", "train_error_rate", "rmse", "mse",
        "mae", "mape", "perplexity", "latency", "wer", "eval/loss",
    ],
)  # fmt: skip
def test_lower_is_better_families(key: str) -> None:
    assert infer_direction(key) == "lower"


@pytest.mark.parametrize("key", ["step", "timestamp", "epochs", "lr", "n_estimators"])
def test_no_guess_for_other_names(key: str) -> None:
    assert infer_direction(key) is None


def test_stages_ran_restored_and_unchanged_are_told_apart() -> None:
    output = "\n".join(
        [
            "'data.csv.dvc' didn't change, skipping",
            "Pulling data for stage: 'prepare'",
            "Stage 'prepare' didn't change, skipping",
            "Stage 'train' is cached - skipping run, checking out outputs",
            "Running stage 'evaluate':",
            "> python evaluate.py",
        ]
    )
    assert classify_stages(output) == (["evaluate"], ["train"], ["prepare"])


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("metrics.json", None),
        ("models/a/../b/m.json", None),
        ("/etc/passwd", "absolute paths are not read"),
        ("../x.json", "leads out of the repository"),
        ("a/../../x.json", "leads out of the repository"),
        (".git/config", "git's own files are never read"),
        ("sub/.git/config", "git's own files are never read"),
        ("m.json\nHEAD:other", "control character"),
        (".dvc/config.local", "DVC's local configuration"),
    ],
)
def test_which_paths_are_read(path: str, refused: str | None) -> None:
    why = refusal(path)
    assert (why is None) if refused is None else (why is not None and refused in why)
