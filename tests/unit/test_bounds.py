"""Issue 21's bounds, each on its own: one template operation, the training's tail, a
confusion matrix's classes, charts per report, a data file's lines, the render child."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mlgate.errors import ConfigError
from mlgate.pipeline import PlotDef
from mlgate.proc import LINE_CHARS, TAIL_CHARS, TAIL_LINES, _Lines, cap_tail
from mlgate.render import isolated, sandbox
from mlgate.render.caps import MAX_CLASSES, capped_units, top_classes
from mlgate.render.markdown import user_environment
from mlgate.sources.tables import MAX_COLUMNS, check_lines


def _render(tmp_path: Path, source: str) -> str:
    (tmp_path / "t.md.j2").write_text(source)
    env = user_environment(tmp_path, tmp_path)
    return sandbox.render_within_budget(env, env.get_template("t.md.j2"))


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("{{ (9 ** 9999) ** 10000 }}", "integer of about"),
        ("{% set a = 7 ** 9000 %}{{ a * a * a * a * a }}", "integer of about"),
        ('{{ ("%*d" * 100) % ((999999, 1) * 100) }}', "more than 5.0 MB"),
        ('{{ ("{0:{1}}" * 100).format(1, 999999) }}', "more than 5.0 MB"),
        ('{{ ("{a}" * 100).format_map({"a": "x" * 100000}) }}', "more than 5.0 MB"),
        ('{{ ("x" * 100000).translate({120: "y" * 100}) }}', "more than 5.0 MB"),
        ('{{ ("\\n" * 100000) | indent(100) }}', "more than 5.0 MB"),
        ('{{ "%s%s%s%s%s%s" | format(*(["x" * 1000000] * 6)) }}', "more than 5.0 MB"),
    ],
)
def test_one_operation_is_refused_before_it_runs(tmp_path: Path, source: str, words: str) -> None:
    started = time.monotonic()
    with pytest.raises(sandbox.RenderLimitError, match=words.replace(".", r"\.")):
        _render(tmp_path, source)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "source",
    ["{{ 2 ** 100 }}", "{{ (10 ** 20) * (10 ** 20) }}", '{{ "%5.2f|%-8s" % (1.5, "ab") }}'],
)
def test_ordinary_arithmetic_and_formats_still_render(tmp_path: Path, source: str) -> None:
    assert _render(tmp_path, source)


def test_the_render_child_is_killed_at_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolated, "KILL_AFTER", 1.0)

    def forever() -> str:  # stands in for one C-level operation that never returns
        while True:
            time.sleep(1)

    started = time.monotonic()
    with pytest.raises(sandbox.RenderLimitError, match="one operation that never returned"):
        isolated.run(forever)
    assert time.monotonic() - started < 5


def test_the_render_child_returns_text_and_one_line_errors() -> None:
    assert isolated.run(lambda: "é" * 3 + "\udcff") == "ééé\udcff"

    def config() -> str:
        raise ConfigError("t.md.j2: template error: boom")

    with pytest.raises(ConfigError, match=r"t\.md\.j2: template error: boom"):
        isolated.run(config)

    def dies() -> str:
        os._exit(9)

    with pytest.raises(sandbox.RenderLimitError, match="the renderer was stopped"):
        isolated.run(dies)


def test_the_tail_is_capped_in_lines_characters_and_per_line() -> None:
    seen: list[str] = []
    lines = _Lines(lambda line: seen.append(line) or line)
    lines.feed(b"a" * (LINE_CHARS * 3) + b"\nshort\r\n" + "é".encode()[:1])
    lines.feed("é".encode()[1:] + b"\rlast", final=True)
    assert seen[0] == "a" * LINE_CHARS + f" … [{LINE_CHARS * 2:,} more characters cut by mlgate]"
    assert seen[1:] == ["short", "é", "last"]
    text = cap_tail("\n".join(f"{i}:" + "x" * 900 for i in range(100)))
    assert len(text) <= TAIL_CHARS + 40
    assert text.startswith("… [earlier output cut by mlgate]\n")
    assert len(cap_tail("\n".join(map(str, range(100)))).splitlines()) == TAIL_LINES


def test_a_confusion_matrix_keeps_its_most_frequent_classes() -> None:
    values = [f"c{i}" for i in range(100) for _ in range(i)] + ["other"] * 3
    labels, index, note = top_classes(values)
    assert len(labels) == MAX_CLASSES + 1 and labels[-1] == "(other)"
    assert index["c99"] < MAX_CLASSES and index["c1"] == MAX_CLASSES
    assert "100 classes: the 20 most frequent" in note  # c1..c99 and "other"
    assert top_classes(["a", "b", "a"]) == (["a", "b"], {"a": 0, "b": 1}, "")


def test_charts_beyond_the_cap_are_named_in_a_note() -> None:
    units = [(PlotDef(id=f"p{i}", sources=()), ()) for i in range(60)]
    kept, notes = capped_units(units, 50)
    assert len(kept) == 50
    assert notes == [
        "10 plots not drawn (mlgate draws at most 50 per report): "
        "p50, p51, p52, p53, p54, p55, p56, p57, p58, p59"
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"a\n" + b"x" * (2 << 20) + b"\n", "a line of more than 1 MiB"),
        (b"a\n1\n" + b"y" * (2 << 20), "a line of more than 1 MiB"),  # the last line, unended
        (b",".join([b"c"] * (MAX_COLUMNS + 1)) + b"\n", "columns in its header"),
    ],
)
def test_data_lines_and_columns_are_bounded(tmp_path: Path, data: bytes, words: str) -> None:
    file = tmp_path / "d.csv"
    file.write_bytes(data)
    with pytest.raises(ValueError, match=words):
        check_lines(file, "d.csv")
    file.write_bytes(b"a,b\n" + b"1,2\n" * 1000)
    check_lines(file, "d.csv")
