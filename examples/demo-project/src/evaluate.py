"""Evaluate on the test split: metrics.json plus plot data (confusion, ROC, importances)."""

import json
import pickle
from pathlib import Path

import pandas as pd
from sklearn import metrics

model = pickle.loads(Path("model/model.pkl").read_bytes())
test = pd.read_csv("data/test.csv")
X, y = test.drop(columns="target"), test["target"]
proba = model.predict_proba(X)[:, 1]
pred = (proba >= 0.5).astype(int)

scores = {
    "accuracy": round(metrics.accuracy_score(y, pred), 6),
    "f1": round(metrics.f1_score(y, pred), 6),
    "precision": round(metrics.precision_score(y, pred), 6),
    "recall": round(metrics.recall_score(y, pred), 6),
    "roc_auc": round(metrics.roc_auc_score(y, proba), 6),
    "log_loss": round(metrics.log_loss(y, proba), 6),
    "test_rows": len(test),
}
Path("metrics.json").write_text(json.dumps(scores, indent=2) + "\n")

Path("plots").mkdir(exist_ok=True)
labels = {0: "malignant", 1: "benign"}
pd.DataFrame({"actual": y.map(labels), "predicted": pd.Series(pred).map(labels)}).to_csv(
    "plots/confusion.csv", index=False
)
fpr, tpr, _ = metrics.roc_curve(y, proba)
roc = [{"fpr": round(float(a), 6), "tpr": round(float(b), 6)} for a, b in zip(fpr, tpr)]
Path("plots/roc.json").write_text(json.dumps({"roc": roc}, indent=1) + "\n")
importance = pd.DataFrame({"feature": X.columns, "importance": model.feature_importances_})
importance.nlargest(10, "importance").round(6).to_csv("plots/importance.csv", index=False)
print(json.dumps(scores))
