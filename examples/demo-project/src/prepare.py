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
Path("data").mkdir(exist_ok=True)
train.to_csv("data/train.csv", index=False)
test.to_csv("data/test.csv", index=False)
print(f"train: {len(train)} rows, test: {len(test)} rows")
