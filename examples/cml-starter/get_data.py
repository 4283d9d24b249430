"""Make the example's data, as CML's starter does: a synthetic classification task saved as CSV
files that are committed to git (no DVC)."""

from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification

X, y = make_classification(
    n_samples=600, n_features=8, n_informative=4, n_redundant=2, random_state=0
)
Path("data").mkdir(exist_ok=True)
half = len(y) // 2
np.savetxt("data/train_features.csv", X[:half], fmt="%.6f")
np.savetxt("data/train_labels.csv", y[:half], fmt="%d")
np.savetxt("data/test_features.csv", X[half:], fmt="%.6f")
np.savetxt("data/test_labels.csv", y[half:], fmt="%d")
