"""Issue 14's pure parts: text metrics files, the settings and `.mlgate.yml` keys, the results
entry schema, and the revisions laid over the base commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from mlgate import results
from mlgate.config import load_config
from mlgate.errors import ConfigError, InputError, UsageError
from mlgate.fileread import FileRead
from mlgate.metrics import load_metrics
from mlgate.pipeline import Pipeline
from mlgate.settings import Settings
from mlgate.sources.stored import Overlay, Unproduced

SHA = "a" * 40


def test_cml_metrics_txt_reads_as_name_value_lines() -> None:
    text = "Accuracy: 0.832\nTraining variance explained: 83.2%\n"
    assert load_metrics(text, "metrics.txt") == {
        "Accuracy": 0.832,
        "Training variance explained": "83.2%",  # text: a gate on it fails, never passes
    }


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("0.832\n", "expected a mapping of names to values at the top level, got float"),
        ("Accuracy = 0.83\nLoss = 0.2\n", "got str"),
        ("Accuracy: 0.8\nLoss\n", "invalid YAML at line 3: could not find expected ':'"),
        ("acc: [1,\n", "invalid YAML"),
    ],
)
def test_a_text_metrics_file_that_does_not_parse_says_how_to_write_it(
    text: str, needle: str
) -> None:
    with pytest.raises(InputError) as err:
        load_metrics(text, "metrics.txt")
    message = str(err.value)
    assert message.startswith("metrics.txt: ")
    assert needle in message
    assert "write one `name: value` per line, e.g. `Accuracy: 0.832`" in message
    assert "\n" not in message


def test_the_hint_is_only_for_text_files() -> None:
    with pytest.raises(InputError) as err:
        load_metrics("0.8\n", "metrics.yaml")
    assert "name: value" not in str(err.value)


def test_base_run_and_results_settings() -> None:
    s = Settings.from_mapping({"base-run": "Always", "results-depth": "5"})
    assert s.base_run == "always" and s.results_depth == 5
    assert Settings.from_mapping({}).base_run is None  # unset: .mlgate.yml, else auto
    assert Settings.from_mapping({"results-branch": "ml/results"}).results_branch == "ml/results"
    with pytest.raises(UsageError, match=r"input 'base-run': expected one of auto, always, never"):
        Settings.from_mapping({"base-run": "sometimes"})
    for bad in ("-1", "many", "1e3", "100000"):
        with pytest.raises(UsageError, match="results-depth"):
            Settings.from_mapping({"results-depth": bad})
    with pytest.raises(UsageError, match="results-branch"):
        Settings.from_mapping({"results-branch": "a b"})


def test_base_run_in_mlgate_yml() -> None:
    assert load_config("base_run: never\n", ".mlgate.yml").base_run == "never"
    assert load_config("gates: []\n", ".mlgate.yml").base_run is None
    with pytest.raises(ConfigError, match=r"\.mlgate\.yml: base_run: expected one of"):
        load_config("base_run: yes\n", ".mlgate.yml")


def _doc(**change: Any) -> dict[str, Any]:
    doc = results.entry_document(
        SHA, {"metrics.txt": b"Accuracy: 0.9\n"}, ref="main", command=None, metrics={}, params={}
    )
    doc.update(change)
    return doc


def test_a_valid_entry_declares_its_files() -> None:
    declared = results.check_schema(_doc(), SHA)
    assert list(declared) == ["metrics.txt"]
    assert declared["metrics.txt"][1] == len(b"Accuracy: 0.9\n")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"mlgate_results": 2}, "mlgate_results: expected 1"),
        ({"sha": "b" * 40}, "sha: expected"),
        ({"files": None}, "files: expected a mapping"),
        ({"files": {"/etc/passwd": {"sha256": "0" * 64, "size": 1}}}, "absolute paths"),
        ({"files": {"a/../../x": {"sha256": "0" * 64, "size": 1}}}, "leads out"),
        ({"files": {".git/config": {"sha256": "0" * 64, "size": 1}}}, "git's own files"),
        ({"files": {"./m.txt": {"sha256": "0" * 64, "size": 1}}}, "not a normalized path"),
        ({"files": {"m.txt": {"sha256": "xyz", "size": 1}}}, "64 hex digits"),
        ({"files": {"m.txt": {"sha256": "0" * 64, "size": True}}}, "number of bytes"),
        ({"files": {"m.txt": "0" * 64}}, "expected sha256 and size"),
        ({"metrics": []}, "metrics: expected a mapping"),
        ({"command": 5}, "command: expected text"),
    ],
)
def test_an_entry_failing_its_schema_names_the_key(change: dict[str, Any], needle: str) -> None:
    with pytest.raises(results._Invalid, match=needle):
        results.check_schema(_doc(**change), SHA)


def test_an_entry_that_is_not_a_mapping() -> None:
    with pytest.raises(results._Invalid, match="expected a mapping"):
        results.check_schema([], SHA)


class FakeBase:
    """A stand-in base commit: only what the overlay asks of it (not git: pure logic here)."""

    label = "main"

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        return {
            p: FileRead(self.files[p]) if p in self.files else FileRead(None, "not found", True)
            for p in paths
        }

    def expand(self, path: str) -> list[str] | None:
        inside = [p for p in self.files if p.startswith(path + "/")]
        return inside or None

    def pipeline(self) -> Pipeline:
        raise AssertionError("not used")


def test_overlay_reads_kept_files_first_then_the_commit() -> None:
    base = FakeBase({"params.yaml": b"depth: 5\n", "plots/a.csv": b"x\n1\n"})
    over = Overlay({"metrics.txt": b"Accuracy: 0.9\n", "plots/b.csv": b"x\n2\n"}, base, "main")
    reads = over.read(["metrics.txt", "params.yaml", "other.txt"])
    assert reads["metrics.txt"].data == b"Accuracy: 0.9\n"
    assert reads["params.yaml"].data == b"depth: 5\n"
    assert reads["other.txt"].absent  # neither trained nor committed: truly not at base
    assert over.expand("plots") == ["plots/a.csv", "plots/b.csv"]
    assert over.expand("nothing") is None


def test_an_unproduced_base_is_unreadable_never_absent() -> None:
    base = FakeBase({"params.yaml": b"depth: 5\n"})
    failed = Unproduced(base, "the base's training failed (exit 1: 'python train.py')")
    reads = failed.read(["metrics.txt", "params.yaml"])
    assert not reads["metrics.txt"].absent
    assert reads["metrics.txt"].data is None
    assert reads["metrics.txt"].error == "the base's training failed (exit 1: 'python train.py')"
    assert reads["params.yaml"].data == b"depth: 5\n"
