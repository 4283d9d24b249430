import math

from mlgate.compare import Snapshot, diff, to_dvc_json


def snap(**files: dict[str, object]) -> Snapshot:
    return Snapshot({k.replace("_", "."): v for k, v in files.items()})  # type: ignore[misc]


def test_diff_statuses_and_dvc_shape() -> None:
    base = Snapshot({"m.json": {"acc": 0.9, "gone": 3, "same": 5, "s": "x", "flag": True}})
    head = Snapshot({"m.json": {"acc": 0.95, "new": 1, "same": 5, "s": "y", "flag": False}})
    result = diff(base, head)
    status = {c.key: c.status for c in result.changes}
    assert status == {
        "acc": "changed",
        "new": "added",
        "same": "unchanged",
        "s": "changed",
        "flag": "changed",
        "gone": "removed",
    }
    out = to_dvc_json(result)
    assert "same" not in out["m.json"]
    assert out["m.json"]["gone"] == {"old": 3, "new": None}
    assert out["m.json"]["new"] == {"old": None, "new": 1}
    assert out["m.json"]["s"] == {"old": "x", "new": "y"}
    assert out["m.json"]["flag"]["diff"] == -1
    assert math.isclose(out["m.json"]["acc"]["diff"], 0.05)
    assert math.isclose(out["m.json"]["acc"]["diff_pct"], 5.0 / 0.9)
    assert to_dvc_json(result, include_unchanged=True)["m.json"]["same"]["diff"] == 0


def test_nan_always_shows_as_changed_like_dvc() -> None:
    nan = float("nan")
    result = diff(Snapshot({"m": {"x": nan}}), Snapshot({"m": {"x": nan}}))
    assert result.changes[0].status == "changed"


def test_file_absent_at_base_gives_added_rows() -> None:
    result = diff(Snapshot({}), Snapshot({"m.json": {"a": 1}}))
    assert [(c.key, c.status) for c in result.changes] == [("a", "added")]


def test_file_unreadable_at_base_gives_unknown_rows_and_keeps_the_reason() -> None:
    """An unreadable base is never "new": the gate must fail closed on it."""
    result = diff(Snapshot({}, {"m.json": "remote unreachable"}), Snapshot({"m.json": {"a": 1}}))
    assert [(c.key, c.status) for c in result.changes] == [("a", "unknown")]
    assert result.base_error(result.changes[0]) == "remote unreachable"
    assert result.base_errors == {"m.json": "remote unreachable"}


def test_pct_is_none_for_zero_base() -> None:
    result = diff(Snapshot({"m": {"x": 0}}), Snapshot({"m": {"x": 1}}))
    assert result.changes[0].pct is None
    assert result.changes[0].diff == 1
