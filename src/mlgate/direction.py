"""Which way is better for a metric, from its name: one table for the whole program.

The chart colouring (better/worse in the report) and the gates (`.mlgate.yml` `direction:`,
inferred when omitted) read the same table, so a name is never judged one way in the chart and
another in the gate. Names are matched on whole words (`val_loss`, `avg_prec.train`,
`test/roc_auc`): `loss` is a family, `lossy` is not. Pure.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

Direction = Literal["higher", "lower"]

# Metric-name families, matched against whole words of a key (`val_loss`, `avg_prec.train`,
# `test/roc_auc`), so that one family is judged the same way wherever it appears.
LOWER = frozenset(
    [
        "loss",
        "log_loss",
        "logloss",
        "nll",
        "error",
        "err",
        "error_rate",
        "rmse",
        "mse",
        "mae",
        "mape",
        "smape",
        "rmsle",
        "msle",
        "perplexity",
        "ppl",
        "latency",
        "time",
        "duration",
        "seconds",
        "fpr",
        "fnr",
        "far",
        "frr",
        "wer",
        "cer",
        "ter",
        "brier",
        "hamming_loss",
        "zero_one_loss",
    ]
)
HIGHER = frozenset(
    [
        "acc",
        "accuracy",
        "balanced_accuracy",
        "top1",
        "top5",
        "auc",
        "roc_auc",
        "rocauc",
        "auroc",
        "pr_auc",
        "prauc",
        "aupr",
        "avg_prec",
        "average_precision",
        "avgprec",
        "ap",
        "map",
        "map50",
        "ndcg",
        "mrr",
        "precision",
        "prec",
        "recall",
        "rec",
        "sensitivity",
        "specificity",
        "tpr",
        "tnr",
        "f1",
        "f1_score",
        "fscore",
        "fbeta",
        "f2",
        "r2",
        "r2_score",
        "explained_variance",
        "iou",
        "miou",
        "jaccard",
        "dice",
        "bleu",
        "rouge",
        "rouge1",
        "rouge2",
        "rougel",
        "meteor",
        "chrf",
        "score",
        "mcc",
        "kappa",
        "cohen_kappa",
    ]
)


# Words that turn a family around or make the metric a measure of change or of something else
# (`accuracy_drop`, `acc_gap`, `error_reduction`, `loss_improvement`, `time_saved`,
# `drift_score`): the family word alone cannot say which way is better, so the name decides
# nothing and a gate on it needs `direction:` (issue 20: a wrong guess passes a worse model).
QUALIFIERS = frozenset(
    [
        "drop",
        "drops",
        "gap",
        "gaps",
        "reduction",
        "reduced",
        "decrease",
        "decreased",
        "increase",
        "increased",
        "improvement",
        "improved",
        "improve",
        "gain",
        "gains",
        "delta",
        "diff",
        "difference",
        "change",
        "decline",
        "degradation",
        "saved",
        "saving",
        "savings",
        "drift",
        "anomaly",
        "anomalies",
        "outlier",
        "outliers",
        "regret",
        "minus",
        "inverse",
        "complement",
        "violation",
        "violations",
        # a spread or a rate of a family, not the family (`accuracy_std`, `auc_variance`,
        # `train_time_speedup`, `epochs_to_accuracy`)
        "std",
        "stdev",
        "stddev",
        "stderr",
        "sem",
        "var",
        "variance",
        "deviation",
        "ci",
        "width",
        "lost",
        "decay",
        "fall",
        "deficit",
        "penalty",
        "shift",
        "speedup",
        "slowdown",
        "to",
    ]
)
# scikit-learn's scorers negate an error so that higher is better (`neg_mean_squared_error`,
# `test_neg_log_loss` from cross_validate): the family's direction, turned around.
NEGATIONS = frozenset(["neg", "negative", "negated"])
# `1-accuracy`, `1 - f1`, `one_minus_auc`: the complement of a family.
_COMPLEMENT = re.compile(r"(?:^|[^\w.])1\s*-\s*[a-z]|(?:^|_)one_minus_")

_SEPARATORS = re.compile(r"[./:\\\s-]+")
_FIRST_WORDS = frozenset(name.split("_")[0] for name in LOWER | HIGHER)
_MAX_WORDS = max(name.count("_") + 1 for name in LOWER | HIGHER)


@functools.lru_cache(maxsize=8192)  # one metric name recurs across files (per class, per split)
def infer(key: str) -> Direction | None:
    """Which way is better, from the name: the longest run of words in the key that names a
    known family decides (`val_loss`: lower; `avg_prec`: higher). Two families of equal length
    that disagree (`acc_loss`) decide nothing: the name is ambiguous. A qualifying word
    (`accuracy_drop`, see QUALIFIERS) or a complement (`1-accuracy`) decides nothing either;
    a negation (`neg_log_loss`, scikit-learn's scorers) turns the family around."""
    lowered = key.lower()
    if _COMPLEMENT.search(lowered):
        return None
    segments = [[w for w in segment.split("_") if w] for segment in _SEPARATORS.split(lowered)]
    best: tuple[int, Direction | None] | None = None
    gram_words: list[str] = []  # the words of the deciding family (`explained_variance`)
    for words in segments:
        for start, word in enumerate(words):
            if word not in _FIRST_WORDS:  # no family name starts here (most words)
                continue
            for size in range(min(_MAX_WORDS, len(words) - start), 0, -1):
                if best is not None and size < best[0]:
                    break  # only a run as long can change the answer
                gram = "_".join(words[start : start + size])
                found: Direction | None = (
                    "lower" if gram in LOWER else "higher" if gram in HIGHER else None
                )
                if found:
                    if best is not None and size == best[0] and best[1] != found:
                        best = (size, None)  # equally long families disagree
                    elif best is None or size > best[0]:
                        best = (size, found)
                        gram_words = words[start : start + size]
                    break
    decided = best[1] if best else None
    if decided is None:
        return None
    others = [w for words in segments for w in words]
    for word in gram_words:  # a qualifier inside the family's own name does not count
        others.remove(word)
    if set(others) & QUALIFIERS:
        return None
    if set(others) & NEGATIONS:
        return "higher" if decided == "lower" else "lower"
    return decided


def qualifier(key: str) -> str | None:
    """The word that keeps the table from deciding (`drop` in `accuracy_drop`), for messages."""
    lowered = key.lower()
    if _COMPLEMENT.search(lowered):
        return "it is a complement (1 - x) of a family"
    for segment in _SEPARATORS.split(lowered):
        for word in segment.split("_"):
            if word in QUALIFIERS:
                return f"its word {word!r} may turn the family around"
    return None
