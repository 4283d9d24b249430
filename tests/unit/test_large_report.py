"""A report people can read at any size (issue 17): the comment leads with gated metrics, then the
largest relative changes, up to a limit, and counts the rest; the full table holds every row;
the summary chart draws at most `limits.CHART_BARS` bars and says so. The fast paths (one-pass
escaping, number cells, the table writer, the direction guess) are held equal to the code they
replaced by property tests (hypothesis)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from mlgate import direction, limits, report
from mlgate.compare import Change, Snapshot, diff
from mlgate.metrics import format_value
from mlgate.redact import redactor
from mlgate.render import markdown, metrictables, select, summary
from mlgate.render.escape import ZWSP, md
from mlgate.render.table import github_table, plain_table
from mlgate.reportfiles import Produced, redact_result, result_text, summary_markdown
from mlgate.rules import GateRule

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHA = "b" * 40


def build(base: dict[str, Any], head: dict[str, Any], rules: list[GateRule]) -> report.Report:
    return report.build(
        title="mlgate report",
        base_ref="main",
        base_sha="a" * 40,
        head_label="feature",
        head_sha=SHA,
        metrics=diff(Snapshot({"m.json": base}), Snapshot({"m.json": head})),
        params=diff(Snapshot({"p.yaml": {"lr": 0.1}}), Snapshot({"p.yaml": {"lr": 0.2}})),
        rules=rules,
    )


def many(n: int = 200, changed: int = 60) -> report.Report:
    """`n` metrics; the first `changed` move by 1%, 2%, ... (the largest last); one is gated."""
    base = {f"k{i:03}": 100.0 for i in range(n)}
    head = {**base, **{f"k{i:03}": 100.0 + i + 1 for i in range(changed)}}
    return build(base, head, [GateRule(metric="k150", direction="higher")])


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| k")]


# --- the comment ---------------------------------------------------------------------------------


def test_the_comment_leads_with_gated_then_the_largest_changes_and_counts_the_rest() -> None:
    rep = many()
    text = markdown.render(rep)
    rows = table_rows(text.split("### Metrics")[1].split("###")[0])
    assert len(rows) == limits.COMMENT_TABLE_ROWS
    assert rows[0].startswith("| k150 ")  # gated (unchanged), first
    # then the changes, largest relative change first: k059 (+60%), k058, ...
    assert [r.split()[1] for r in rows[1:4]] == ["k059", "k058", "k057"]
    assert rows[-1].startswith("| k011 ")  # 49 changes shown: k059 down to k011
    assert (
        "*Showing 50 of 200 metric values: gated metrics first, then the largest relative "
        "changes.*" in text
    )
    assert (
        "*…and 11 more changed and 139 more unchanged metric values: the full table is in the job "
        "summary and in `all-metrics.md` of the report artifact.*" in text
    )


def test_a_report_that_fits_is_whole_and_in_file_order() -> None:
    n = limits.COMMENT_TABLE_ROWS
    rep = many(n, changed=10)
    text = markdown.render(rep)
    assert [r.split()[1] for r in table_rows(text)] == [f"k{i:03}" for i in range(n)]
    assert "Showing" not in text and "more unchanged" not in text
    assert metrictables.prepare(rep).hidden == 0


def test_one_row_over_the_limit_leaves_out_unchanged_rows_only() -> None:
    rep = many(limits.COMMENT_TABLE_ROWS + 1, changed=3)
    text = markdown.render(rep)
    assert [r.split()[1] for r in table_rows(text)] == ["k002", "k001", "k000"]
    assert "*…and 48 more unchanged metric values:" in text


def test_changes_without_a_relative_size_come_after_the_sized_ones() -> None:
    base = {f"k{i:03}": 1.0 for i in range(60)} | {"zero": 0.0, "text": "a", "gone": 1.0}
    head = {f"k{i:03}": 1.0 for i in range(60)} | {"zero": 5.0, "text": "b", "new": 1.0}
    head["k007"] = 1.5
    rep = build(base, head, [])
    names = [r.split()[1] for r in table_rows(markdown.render(rep).replace("| zero", "| kzero"))]
    assert names[0] == "k007"
    text = markdown.render(rep)
    order = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ")]
    assert order[1:6] == ["k007", "zero", "text", "new", "gone"]


def test_the_selection_never_loses_or_repeats_a_row() -> None:
    rep = many(500, changed=300)
    cells = metrictables.prepare(rep).metrics
    sel = cells.selection
    assert len(set(sel.shown)) == len(sel.shown) == limits.COMMENT_TABLE_ROWS
    assert len(sel.shown) + sel.hidden == sel.total == 500
    # k150, gated, is among the 300 changed rows: 1 + 49 changed rows are shown
    assert sel.more_unchanged == 200 and sel.more_changed == 300 - 50


def test_many_changed_params_are_cut_and_counted() -> None:
    rep = report.build(
        title="t",
        base_ref="main",
        base_sha="a" * 40,
        head_label="f",
        head_sha=SHA,
        metrics=diff(Snapshot({}), Snapshot({})),
        params=diff(
            Snapshot({"p.yaml": {f"p{i}": i for i in range(80)}}),
            Snapshot({"p.yaml": {f"p{i}": i + 1 for i in range(80)}}),
        ),
        rules=[],
    )
    text = markdown.render(rep)
    assert "*Showing 50 of 80 changed params.*" in text
    assert "*…and 30 more changed params: the full table is in the job summary" in text


# --- the full table ------------------------------------------------------------------------------


def test_the_full_table_holds_every_row_with_the_comments_cells() -> None:
    rep = many()
    tables = metrictables.prepare(rep)
    full = metrictables.full_tables(tables)
    rows = table_rows(full)
    assert len(rows) == 200
    comment = markdown.render(rep, tables=tables)
    # the same cells, padded in the comment and joined plainly in the full table
    first = [c.strip() for c in table_rows(comment)[1].split("|")]
    assert "| " + " | ".join(first[1:-1]) + " |" in rows
    assert "### All changed params (1)" in full and "| lr | 0.1 | 0.2 |" in full


def test_the_full_table_escapes_names_as_the_comment_does() -> None:
    evil = "<img src=x>|@octocat[x](http://e.example)"
    base = {f"k{i:03}": 1.0 for i in range(60)} | {evil: 1.0}
    rep = build(base, {**base, evil: 2.0}, [])
    full = metrictables.full_tables(metrictables.prepare(rep))
    assert "<img" not in full and "@octocat" not in full and "](http" not in full
    line = next(x for x in full.splitlines() if "octocat" in x)
    assert line.count(" | ") == 5  # the `|` in the name is escaped: the row keeps its 6 cells
    assert f"@{ZWSP}octocat" in line


def produced(full: str, hidden: int) -> Produced:
    rep = many(3, 1)
    return Produced(rep, "report\n", {}, None, Path("."), None, full, hidden)  # type: ignore[arg-type]


def test_the_job_summary_gets_the_full_table_only_when_the_comment_leaves_rows_out() -> None:
    assert summary_markdown(produced("| a |\n|---|\n| 1 |\n", 0), "report\n") == "report\n"
    assert summary_markdown(produced("| a |\n|---|\n| 1 |\n", 2), "report\n") == (
        "report\n\n| a |\n|---|\n| 1 |\n"
    )


def test_a_full_table_over_the_summary_limit_is_cut_at_whole_rows_and_says_where_the_rest_is() -> (
    None
):
    full = "### All\n\n| a |\n|---|\n" + "".join(f"| {i:05} |\n" for i in range(5000))
    text = summary_markdown(produced(full, 4950), "report\n", limit=10_000)
    assert len(text.encode()) <= 10_000
    body = text.split("\n")
    kept = [line for line in body if re.fullmatch(r"\| \d{5} \|", line)]
    assert kept == [f"| {i:05} |" for i in range(len(kept))]  # whole rows, in order
    cut = int(re.search(r"…([\d,]+) more rows cut", text).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert len(kept) + cut == 5000
    assert text.rstrip().endswith("`all-metrics.md` of the report artifact.*")


# --- the summary chart ---------------------------------------------------------------------------


def test_the_chart_of_a_small_report_has_every_metric_in_file_order() -> None:
    rep = build({"a": 1.0, "b": 2.0, "c": 4.0}, {"a": 1.5, "b": 2.0, "c": 3.0}, [])
    bars, changed, usable = select.chart_rows(rep.metrics, limits.CHART_BARS)
    assert [(r.change.key, p) for r, p in bars] == [("a", 50.0), ("b", 0.0), ("c", -25.0)]
    assert (changed, usable) == (2, 3)


def test_the_chart_of_a_large_report_has_the_largest_changes_and_says_so(tmp_path: Path) -> None:
    rep = many(200, changed=60)
    entry = summary.summary_chart(rep.metrics, tmp_path, mermaid=True)
    assert entry is not None
    data = [line.split("|")[1].strip() for line in entry.data_table.splitlines()[2:]]
    assert len(data) == limits.CHART_BARS
    assert data[:3] == ["k059", "k058", "k057"]
    assert entry.note == (
        "the 30 largest of 60 relative changes (140 unchanged values not drawn); every value is "
        "in the full table"
    )


def test_the_chart_is_a_deterministic_png(tmp_path: Path) -> None:
    rep = many(200, changed=60)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = summary.summary_chart(rep.metrics, tmp_path / "a", mermaid=False)
    summary.summary_chart(rep.metrics, tmp_path / "b", mermaid=False)
    assert first is not None and first.image == "plots/metric-changes.png"
    png = (tmp_path / "a" / first.image).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png == (tmp_path / "b" / first.image).read_bytes()
    from PIL import Image

    with Image.open(tmp_path / "a" / first.image) as image:  # a bar per change, 35 px each
        assert image.size == (800, summary.ROW * limits.CHART_BARS + 120)


def test_no_chart_when_a_large_report_has_no_change(tmp_path: Path) -> None:
    rep = many(200, changed=0)
    assert summary.summary_chart(rep.metrics, tmp_path, mermaid=False) is None
    assert not (tmp_path / "plots").exists()


# --- result.json and redaction -------------------------------------------------------------------


def test_result_json_is_the_same_document_one_item_per_line() -> None:
    rep = many(20, changed=5)
    result = report.result_json(rep, comment_id="x")
    text = result_text(result)
    assert json.loads(text) == json.loads(json.dumps(result))
    assert text.count("\n") > 20  # one line per metric: readable, and diffs well


def test_a_secret_anywhere_in_the_result_is_redacted_and_none_means_no_walk() -> None:
    secrets = ["s3cr3t-token-value"]
    redact = redactor(secrets)
    clean = {"metrics": [{"metric": "acc", "v": 1}]}
    assert redact_result(clean, redact, secrets) is clean  # nothing to hide: untouched
    dirty = {"metrics": [{"metric": "acc s3cr3t-token-value", "v": 1}], "k": ["s3cr3t-token-value"]}
    assert redact_result(dirty, redact, secrets) == {
        "metrics": [{"metric": "acc ***", "v": 1}],
        "k": ["***"],
    }


def test_a_secret_json_would_escape_is_still_found() -> None:
    secrets = ['quote"d-secret']
    redact = redactor(secrets)
    value = {"a": 'x quote"d-secret y'}
    assert redact_result(value, redact, secrets) == {"a": "x *** y"}


# --- fast paths held equal to what they replaced --------------------------------------------------


_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def md_before(text: object) -> str:
    """`md()` as it was, one regex per step."""
    s = _CONTROL.sub(" ", str(text))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = _MD_PUNCT.sub(r"\\\1", s)
    s = s.replace("@", "@" + ZWSP)
    s = _AUTOLINK.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], s)
    return "\\" + s if s[:1] in "-=" else s


NASTY = st.text(
    alphabet=st.sampled_from(list("wW.:/@&<>\"'-=_*\\`|#+!~$[](){}ab1 é中🔴\x00\x1f\x85\u2028")),
    max_size=16,
)


@PROPERTY
@given(NASTY | st.text(max_size=16))
def test_one_pass_escaping_equals_the_regex_steps(text: str) -> None:
    assert md(text) == md_before(text)


VALUES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)


def trend(row: report.MetricRow) -> str:
    return f"{metrictables.JUDGEMENT_ICON[row.judgement]} {row.arrow}".strip()


@PROPERTY
@given(st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=8))
def test_cells_formatted_once_equal_the_per_cell_formatting(pairs: list[tuple[Any, Any]]) -> None:
    base = {f"m{i}": old for i, (old, _new) in enumerate(pairs) if old is not None}
    head = {f"m{i}": new for i, (_old, new) in enumerate(pairs) if new is not None}
    rows = report.metric_rows(diff(Snapshot({"a.json": base}), Snapshot({"a.json": head})), [])
    cells = metrictables.metric_cells(rows, "Base", show_path=False).rows
    for row, got in zip(rows, cells, strict=True):
        c = row.change
        change = metrictables.signed(c.diff) if c.status != "added" else "new"
        change = {"unknown": "base unreadable", "removed": "removed"}.get(c.status, change)
        want = [
            md(c.key),
            md(format_value(c.old)),
            md(format_value(c.new)),
            md(change),
            metrictables.percent(c.pct),
            trend(row),
        ]
        assert got == want
        rel = select.relative(c)
        assert rel == c.pct or (rel is not None and c.pct is not None and math.isnan(rel))


CELL = st.text(alphabet=st.sampled_from(list("ab |\\-1.é🔴↑中\u200b")), max_size=6)


@PROPERTY
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda n: st.tuples(
            st.lists(CELL, min_size=n, max_size=n),
            st.lists(st.lists(CELL, min_size=n, max_size=n), max_size=5),
        )
    )
)
def test_the_table_writer_writes_tabulates_bytes(case: tuple[list[str], list[list[str]]]) -> None:
    headers, rows = case
    want = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    assert github_table(rows, headers) == want
    # `mlgate diff`'s terminal table (issue 22: tabulate and wcwidth are not loaded for it)
    want = tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)
    assert plain_table(rows, headers) == want


def direction_before(key: str) -> str | None:
    """The plain search the fast one replaced: every run of words, the longest family wins,
    and equally long families that disagree decide nothing (issue 20: `acc_loss` is ambiguous);
    then the rules added by issue 20's third round, applied to the words outside that family:
    a qualifier (`accuracy_drop`, `auc_variance`) or a complement decides nothing, a negation
    (`neg_log_loss`) turns the family around."""
    if direction._COMPLEMENT.search(key.lower()):
        return None
    found: dict[int, dict[str, list[str]]] = {}
    segments = [[w for w in seg.split("_") if w] for seg in re.split(r"[./:\\\s-]+", key.lower())]
    for words in segments:
        for size in range(len(words), 0, -1):
            for start in range(len(words) - size + 1):
                gram = "_".join(words[start : start + size])
                way = (
                    "lower"
                    if gram in direction.LOWER
                    else "higher"
                    if gram in direction.HIGHER
                    else None
                )
                if way:
                    found.setdefault(size, {}).setdefault(way, words[start : start + size])
    if not found:
        return None
    longest = found[max(found)]
    if len(longest) != 1:
        return None
    ((way, gram_words),) = longest.items()
    others = [w for words in segments for w in words]
    for word in gram_words:
        others.remove(word)
    if set(others) & direction.QUALIFIERS:
        return None
    if set(others) & direction.NEGATIONS:
        return "higher" if way == "lower" else "lower"
    return way


WORDS = sorted({w for name in direction.LOWER | direction.HIGHER for w in name.split("_")})
KEYS = st.lists(
    st.tuples(
        st.sampled_from([*WORDS, "val", "x", "Loss", "ACC"]), st.sampled_from(list("_./:- "))
    ),
    max_size=7,
).map(lambda parts: "".join(w + s for w, s in parts))


@PROPERTY
@given(KEYS | st.text(max_size=20))
def test_the_faster_direction_guess_equals_the_former_one(key: str) -> None:
    assert report.infer_direction(key) == direction_before(key)


@pytest.mark.parametrize(
    ("old", "new"), [(1.0, 2.0), (0.0, 1.0), (True, False), (1, 3), (float("inf"), 1.0), ("a", 1)]
)
def test_relative_change_equals_change_pct(old: Any, new: Any) -> None:
    change = Change("p", "k", old, new, "changed")
    assert select.relative(change) == change.pct


def test_a_glob_gate_over_many_metrics_shows_failures_first_and_counts_the_rest() -> None:
    base = {f"k{i:03}_acc": 1.0 for i in range(120)}
    head = {**base, "k100_acc": 0.5, "k101_acc": 0.4}
    rep = build(base, head, [GateRule(metric="k*", direction="higher", max_drop=0.1)])
    text = markdown.render(rep)
    gates = text.split("### Gates")[1].split("\n### ")[0]
    rows = [line for line in gates.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == limits.COMMENT_TABLE_ROWS
    assert rows[0].startswith("| ❌ | m.json:k100\\_acc") and rows[1].startswith("| ❌ ")
    assert "*…and 70 more gates (70 passed): the full table is in the job summary" in gates
    tables = metrictables.prepare(rep)
    assert tables.hidden == 70 + (120 - 50)
    full = metrictables.full_tables(tables)
    assert "### All gates (120)" in full
    assert (
        len([x for x in full.split("### All gates")[1].splitlines() if x.startswith("| ✅")]) == 118
    )
