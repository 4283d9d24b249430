"""Fixtures shared by integration tests: a repository with every kind of DVC plot."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import Repo

DVC_YAML = """
plots:
  - loss.csv:
      x: epoch
      y: loss
      title: Training loss
  - points.tsv:
      template: scatter
      x: a
      y: b
  - roc.json:
      x: fpr
      y: tpr
  - pr.yaml:
      x: recall
      y: precision
  - confusion.csv:
      template: confusion
      x: actual
      y: predicted
  - confusion_n.csv:
      template: confusion_normalized
      x: actual
      y: predicted
  - importance.csv:
      template: bar_horizontal
      x: importance
      y: feature
  - Accuracy curves:
      y:
        curves.csv: [train_acc, val_acc]
      x: step
  - picture.png
metrics:
  - metrics.json
"""


def write_revision(repo: Repo, shift: float) -> None:
    rng = np.random.default_rng(0)
    repo.write(
        "loss.csv", "epoch,loss\n" + "".join(f"{e},{1 / (e + 1) + shift}\n" for e in range(20))
    )
    repo.write(
        "points.tsv", "a\tb\n" + "".join(f"{a}\t{a * (1 + shift)}\n" for a in rng.random(30))
    )
    repo.write(
        "roc.json",
        {"roc": [{"fpr": f, "tpr": min(1.0, f ** (0.3 + shift))} for f in np.linspace(0, 1, 20)]},
    )
    repo.write(
        "pr.yaml",
        "".join(
            f"- {{recall: {r:.3f}, precision: {1 - r * (0.3 + shift):.3f}}}\n"
            for r in np.linspace(0, 1, 10)
        ),
    )
    labels = ["cat", "dog", "bird"]
    rows = [
        (labels[i % 3], labels[(i + (1 if i % (5 if shift else 7) == 0 else 0)) % 3])
        for i in range(60)
    ]
    body = "actual,predicted\n" + "".join(f"{a},{p}\n" for a, p in rows)
    repo.write("confusion.csv", body)
    repo.write("confusion_n.csv", body)
    repo.write(
        "importance.csv",
        "feature,importance\n" + "".join(f"f{i},{(i + 1) / 10 + shift}\n" for i in range(5)),
    )
    repo.write(
        "curves.csv",
        "step,train_acc,val_acc\n"
        + "".join(f"{s},{0.5 + s / 40},{0.45 + s / 50 - shift}\n" for s in range(10)),
    )
    repo.write("metrics.json", {"acc": 0.9 - shift, "loss": 0.3 + shift})


@pytest.fixture
def plots_repo(repo: Repo) -> Repo:
    repo.write("dvc.yaml", DVC_YAML)
    write_revision(repo, 0.0)
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    write_revision(repo, 0.1)
    Image.new("RGB", (40, 30), (200, 10, 10)).save(repo.path / "picture.png")
    return repo
