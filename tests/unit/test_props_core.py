"""Property-based tests (hypothesis) of the pure core: loading, flattening, diffing, gating and
rendering meet arbitrary documents, names and numbers without crashing, and the rendered
Markdown stays inert (no raw HTML, link, @-mention or workflow command) with tables intact.

Each property runs up to MAX_EXAMPLES examples (no deadline: the machine is shared).
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlgate import report
from mlgate.compare import Snapshot, diff
from mlgate.errors import InputError
from mlgate.gatekinds.scalar import evaluate
from mlgate.metrics import Scalar, flatten_metrics, flatten_params, load_metrics, parse_document
from mlgate.render.escape import ZWSP
from mlgate.render.html import to_html
from mlgate.render.markdown import render
from mlgate.rules import GateRule

MAX_EXAMPLES = 200
PROPERTY = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text that tries to be Markdown, HTML, links, mentions and workflow commands.
NASTY = st.sampled_from(
    [
        "<script>",
        "</td>",
        "<img src=x>",
        "[a](https://e.x)",
        "https://e.x",
        "www.e.x",
        "@octocat",
        "a@b.co",
        "#12",
        "|",
        "\\",
        "\\|",
        "`",
        "*",
        "_",
        "~~",
        "::error::x",
        "::stop-commands::t",
        "\n",
        "\r\n",
        "-",
        "=",
        ">",
        "![i](x.png)",
        "&amp;",
        "<!--",
        "-->",
        ":",
        ".",
        " ",
        "\u200b",
        "é",
        "🙂",
    ]
)
NAMES = st.lists(st.one_of(NASTY, st.text(min_size=1, max_size=6)), min_size=1, max_size=6).map(
    "".join
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**1000), max_value=2**1000),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS: st.SearchStrategy[Scalar] = st.one_of(
    NUMBERS, st.booleans(), st.text(max_size=20), NAMES, st.none()
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)
FLAT = st.dictionaries(NAMES, SCALARS, max_size=6)
RULES = st.builds(
    GateRule,
    metric=st.one_of(NAMES, st.sampled_from(["*", "m.json:*", "*:*", "[", "a*b?"])),
    direction=st.sampled_from(["higher", "lower"]),
    max_drop=st.one_of(st.none(), st.floats(min_value=0, max_value=1e300)),
    max_drop_pct=st.one_of(st.none(), st.floats(min_value=0, max_value=1e300)),
    on_missing=st.sampled_from(["fail", "warn", "ignore"]),
)


@PROPERTY
@given(doc=DOCS, fmt=st.sampled_from(["json", "yaml"]))
def test_any_document_loads_or_is_a_clear_input_error(doc: Any, fmt: str) -> None:
    text = json.dumps(doc) if fmt == "json" else yaml.safe_dump(doc, allow_unicode=True)
    try:
        flat = load_metrics(text, f"m.{fmt}")
    except InputError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith(f"m.{fmt}: ")
        return
    for key, value in flat.items():
        assert isinstance(key, str)
        assert isinstance(value, bool | int | float | str)


@PROPERTY
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".json", ".yaml", ".toml", ".txt"]))
def test_any_bytes_parse_or_give_one_line_input_error(data: bytes, suffix: str) -> None:
    try:
        parse_document(data, f"f{suffix}")
    except InputError as exc:
        assert "\n" not in str(exc)


@PROPERTY
@given(doc=st.dictionaries(st.text(max_size=8), DOCS, max_size=6))
def test_flattening_keeps_every_scalar_leaf_once(doc: dict[str, Any]) -> None:
    params = flatten_params(doc, "p.yaml")
    metrics = flatten_metrics(doc, "p.yaml")
    assert set(metrics) <= set(params)  # metrics keep a subset of what params keep
    for key, value in metrics.items():
        assert _same(params[key], value)


def _same(a: Scalar, b: Scalar) -> bool:
    """Equal, or both NaN (NaN is never equal to itself), and of the same type."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _by_key(d: Any) -> dict[tuple[str, str], Any]:
    return {(c.path, c.key): c for c in d.changes}


NON_NULL = st.dictionaries(NAMES, SCALARS.filter(lambda v: v is not None), max_size=6)


@PROPERTY
@given(
    base=st.dictionaries(st.sampled_from(["m.json", "n.yaml"]), NON_NULL, max_size=2),
    head=st.dictionaries(st.sampled_from(["m.json", "n.yaml"]), NON_NULL, max_size=2),
)
def test_diff_is_antisymmetric(base: dict[str, Any], head: dict[str, Any]) -> None:
    forward = _by_key(diff(Snapshot(base), Snapshot(head)))
    backward = _by_key(diff(Snapshot(head), Snapshot(base)))
    assert forward.keys() == backward.keys()
    # without nulls: a null at base is unreadable there, never new (issue 20), so it has no
    # mirror image (tests/unit/test_no_green_by_accident.py)
    swap = {"added": "removed", "removed": "added", "changed": "changed", "unchanged": "unchanged"}
    for key, f in forward.items():
        b = backward[key]
        assert b.status == swap[f.status]
        assert _same(b.old, f.new) and _same(b.new, f.old)
        if f.diff is None:
            assert b.diff is None
        elif isinstance(f.diff, float) and math.isnan(f.diff):
            assert isinstance(b.diff, float) and math.isnan(b.diff)
        else:
            assert b.diff == -f.diff


@PROPERTY
@given(rules=st.lists(RULES, max_size=4), base=FLAT, head=FLAT)
def test_gating_never_raises_and_every_result_has_a_message(
    rules: list[GateRule], base: dict[str, Scalar], head: dict[str, Scalar]
) -> None:
    results = evaluate(rules, diff(Snapshot({"m.json": base}), Snapshot({"m.json": head})))
    for r in results:
        assert r.outcome in {"pass", "fail", "warn", "skip"}
        assert r.message


def _columns(line: str) -> int:
    """Unescaped pipes in a table line (a pipe after an odd run of backslashes is escaped)."""
    count, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == "|":
            count += 1
        i += 1
    return count


class _Tags(HTMLParser):
    ALLOWED = frozenset(
        [
            "h2",
            "h3",
            "h4",
            "p",
            "strong",
            "em",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "details",
            "summary",
            "sub",
            "ul",
            "li",
            "blockquote",
            "code",
            "pre",
            "br",
        ]
    )

    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED or any(k not in {"align"} for k, _ in attrs):
            self.bad.append(tag)


@PROPERTY
@given(
    base=FLAT,
    head=FLAT,
    rules=st.lists(RULES, max_size=3),
    branch=NAMES,
    params=st.tuples(FLAT, FLAT),
)
def test_rendered_report_is_inert_and_tables_keep_their_columns(
    base: dict[str, Scalar],
    head: dict[str, Scalar],
    rules: list[GateRule],
    branch: str,
    params: tuple[dict[str, Scalar], dict[str, Scalar]],
) -> None:
    rep = report.build(
        title="mlgate report",
        base_ref=branch,
        base_sha="a" * 40,
        head_label=branch,
        head_sha="b" * 40,
        metrics=diff(Snapshot({"m.json": base}), Snapshot({"m.json": head})),
        params=diff(Snapshot({"p.yaml": params[0]}), Snapshot({"p.yaml": params[1]})),
        rules=rules,
        notes=[branch],
    )
    text = render(rep)
    lines = text.splitlines()
    assert not any(line.lstrip().startswith("::") for line in lines)
    # every table keeps the column count of its header row
    table: list[int] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            table.append(_columns(line))
        elif table:
            assert len(set(table)) == 1, table
            table = []
    html = to_html(text)
    tags = _Tags()
    tags.feed(html)
    assert tags.bad == [], tags.bad
    assert "<a " not in html and "href" not in html and "<img" not in html
    # GitHub links @name as a mention: every @ is followed by a zero-width space
    assert all(m.end() < len(text) and text[m.end()] == ZWSP for m in re.finditer("@", text))
