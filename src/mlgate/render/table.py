"""GitHub Markdown tables (and plain ones) of strings, the bytes `tabulate(..., tablefmt="github",
disable_numparse=True)` (or `"plain"`) writes, without importing tabulate (20 ms: it loads
importlib.metadata and wcwidth) or guessing a type per cell. A property test holds the two
outputs equal.

As tabulate does: cells are stripped of surrounding whitespace (headers are not), every column
is as wide as its widest cell or its header plus two, and widths are display widths (wcwidth,
loaded only for non-ASCII text). Columns are left-aligned unless `right` names them: numbers are
right-aligned (GFM's `---:`), so digits line up for a reader (issue 25).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

MIN_PADDING = 2  # tabulate's extra room in a header


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    import wcwidth  # tabulate's measure of wide (CJK, emoji) and zero-width characters

    width = int(wcwidth.wcswidth(text))
    if width < 0:
        raise _Unmeasurable
    return width


class _Unmeasurable(Exception):
    """A character wcwidth cannot measure: leave such a table to tabulate itself."""


def github_table(
    rows: Sequence[Sequence[str]], headers: Sequence[str], right: Collection[int] = ()
) -> str:
    """The table; `right`: indexes of right-aligned columns."""
    return _written(rows, headers, "github", right)


def plain_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """`tablefmt="plain"`: columns two spaces apart, each line stripped on the right
    (`mlgate diff`'s terminal table, issue 22)."""
    return _written(rows, headers, "plain")


def rule_line(count: int, right: Collection[int] = (), widths: Sequence[int] = ()) -> str:
    """The line under a table's header: `|---|---:|`, `widths` dashes wide (else three)."""
    dashes = [widths[i] if widths else 3 for i in range(count)]
    return (
        "|"
        + "|".join("-" * (d - 1) + ":" if i in right else "-" * d for i, d in enumerate(dashes))
        + "|"
    )


def _written(
    rows: Sequence[Sequence[str]], headers: Sequence[str], fmt: str, right: Collection[int] = ()
) -> str:
    try:
        return _table(rows, headers, github=fmt == "github", right=right)
    except _Unmeasurable:
        from tabulate import tabulate

        align = ["right" if i in right else "left" for i in range(len(headers))]
        return tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True, colalign=align)


def _table(
    rows: Sequence[Sequence[str]],
    headers: Sequence[str],
    *,
    github: bool,
    right: Collection[int] = (),
) -> str:
    body = [[cell.strip() for cell in row] for row in rows]
    head_widths = [_width(h) for h in headers]
    widths = [w + MIN_PADDING for w in head_widths]
    cell_widths = [[_width(cell) for cell in row] for row in body]
    for row_widths in cell_widths:
        for i, w in enumerate(row_widths):
            widths[i] = max(widths[i], w)

    def line(cells: Sequence[str], sizes: Sequence[int]) -> str:
        padded = (
            " " * (w - s) + c if i in right else c + " " * (w - s)
            for i, (c, s, w) in enumerate(zip(cells, sizes, widths, strict=True))
        )
        if github:
            return "| " + " | ".join(padded) + " |"
        return "  ".join(padded).rstrip()

    out = [line(headers, head_widths)]
    if github:
        out.append(rule_line(len(headers), right, [w + 2 for w in widths]))
    out += [line(cells, sizes) for cells, sizes in zip(body, cell_widths, strict=True)]
    return "\n".join(out)
