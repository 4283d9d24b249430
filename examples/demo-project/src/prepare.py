"""Split scikit-learn's bundled breast-cancer data set into train and test CSVs."""

from pathlib import Path

import yaml
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
frame = load_breast_cancer(as_frame=True).frame
train, test = train_test_split(
    frame, test_size=params["test_size"], random_state=params["seed"], stratify=frame["target"]
)
# The PR of the demo changes the training data too: mlgate's data checks flag the drift.
train = train.assign(**{"mean radius": train["mean radius"] * params["scale_mean_radius"]})
if params["drop_fraction"]:  # a sample of frac=1 would shuffle the rows: only when asked
    train = train.sample(frac=1 - params["drop_fraction"], random_state=params["seed"])
Path("data").mkdir(exist_ok=True)
train.to_csv("data/train.csv", index=False)
test.to_csv("data/test.csv", index=False)
print(f"train: {len(train)} rows, test: {len(test)} rows")
