"""Train a random forest; record out-of-bag accuracy as trees are added (a training curve)."""

import csv
import pickle
from pathlib import Path

import pandas as pd
import yaml
from sklearn.ensemble import RandomForestClassifier

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
train = pd.read_csv("data/train.csv")
X, y = train.drop(columns="target"), train["target"]

model = RandomForestClassifier(
    n_estimators=10,
    max_depth=params["max_depth"],
    min_samples_leaf=params["min_samples_leaf"],
    random_state=params["seed"],
    warm_start=True,
    oob_score=True,
    n_jobs=1,
)
Path("plots").mkdir(exist_ok=True)
with open("plots/train_curve.csv", "w", newline="") as fh:
    writer = csv.writer(fh)
    writer.writerow(["n_trees", "oob_accuracy"])
    for n in range(10, params["n_estimators"] + 1, 10):
        model.set_params(n_estimators=n)
        model.fit(X, y)
        writer.writerow([n, round(model.oob_score_, 6)])

Path("model").mkdir(exist_ok=True)
Path("model/model.pkl").write_bytes(pickle.dumps(model))
print(f"trained {params['n_estimators']} trees, OOB accuracy {model.oob_score_:.4f}")
