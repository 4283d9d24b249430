"""GitHub Markdown tables (and plain ones) of strings, the bytes `tabulate(..., tablefmt="github",
disable_numparse=True)` (or `"plain"`) writes, without importing tabulate (20 ms: it loads
importlib.metadata and wcwidth) or guessing a type per cell. A property test holds the two
outputs equal.

As tabulate does: cells are stripped of surrounding whitespace (headers are not), every column
is left-aligned and as wide as its widest cell or its header plus two, and widths are display
widths (wcwidth, loaded only for non-ASCII text).
"""

from __future__ import annotations

from collections.abc import Sequence

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


def github_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    return _written(rows, headers, "github")


def plain_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """`tablefmt="plain"`: columns two spaces apart, each line stripped on the right
    (`mlgate diff`'s terminal table, issue 22)."""
    return _written(rows, headers, "plain")


def _written(rows: Sequence[Sequence[str]], headers: Sequence[str], fmt: str) -> str:
    try:
        return _table(rows, headers, github=fmt == "github")
    except _Unmeasurable:
        from tabulate import tabulate

        return tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True)


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str], *, github: bool) -> str:
    body = [[cell.strip() for cell in row] for row in rows]
    head_widths = [_width(h) for h in headers]
    widths = [w + MIN_PADDING for w in head_widths]
    cell_widths = [[_width(cell) for cell in row] for row in body]
    for row_widths in cell_widths:
        for i, w in enumerate(row_widths):
            widths[i] = max(widths[i], w)

    def line(cells: Sequence[str], sizes: Sequence[int]) -> str:
        padded = (c + " " * (w - s) for c, s, w in zip(cells, sizes, widths, strict=True))
        if github:
            return "| " + " | ".join(padded) + " |"
        return "  ".join(padded).rstrip()

    out = [line(headers, head_widths)]
    if github:
        out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [line(cells, sizes) for cells, sizes in zip(body, cell_widths, strict=True)]
    return "\n".join(out)
