"""Make untrusted text (metric names, values, branch names) inert in GitHub Markdown.

No HTML, no links or autolinks, no @-mentions or #-references, no table breakage: HTML special
characters become entities, Markdown punctuation is backslash-escaped, and a zero-width space is
put where GitHub would otherwise turn text into a mention or a link.
"""

from __future__ import annotations

import re

from mlgate.metrics import Scalar, format_value

ZWSP = "\u200b"
_AUTOLINK = re.compile(r"(?i)(://|www\.)")


# One pass over the text (str.translate, 3x faster than a regex per step): control characters
# and Unicode line/paragraph separators (some split lines for a reader or a log even where
# Markdown sees none) to spaces, HTML specials to entities, Markdown punctuation escaped, and a
# zero-width space after `@`. Each character is replaced once, as the former ordered steps did.
_TABLE = {
    **dict.fromkeys([*range(32), *range(127, 160), 8232, 8233], " "),
    # bidirectional controls (embeddings, overrides, isolates, marks) removed: a name with
    # U+202E shows "dessap setag lla" as "all gates passed" in a headline
    **dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], ""),
    **{ord(c): "\\" + c for c in "\\`*_{}[]()#+!|~$"},
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    ord("@"): "@" + ZWSP,
}


def md(text: object) -> str:
    s = str(text).translate(_TABLE)
    if "://" in s or "w." in s or "W." in s:
        s = _AUTOLINK.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], s)
    # a leading list/heading/quote marker cannot start a block inside a table cell, but can
    # elsewhere; "&gt;" is already inert, and "-"/"=" only matter at line start.
    if s[:1] in "-=":
        s = "\\" + s
    return s


_HTML_TABLE = {k: v for k, v in _TABLE.items() if not v.startswith("\\")} | {ord("'"): "&#39;"}


def html_text(text: object) -> str:
    """Untrusted text inside raw HTML (a `<summary>`), where Markdown's backslashes would show:
    HTML specials as entities, mentions and autolinks broken as by `md`."""
    s = str(text).translate(_HTML_TABLE)
    if "://" in s or "w." in s or "W." in s:
        s = _AUTOLINK.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], s)
    return s


def number_text(text: str) -> str:
    """`md()` of a formatted number (digits, `.`, `e`, `+`, `-`, nan, inf): only `+` and a
    leading `-` need a backslash."""
    if "+" in text:
        text = text.replace("+", "\\+")
    return "\\" + text if text[:1] == "-" else text


def value_cell(value: Scalar | float) -> str:
    """A value's table cell, formatted once (no type guessing per cell later: tables get
    strings)."""
    if type(value) is float:  # format_value's own text, nan and inf included
        return number_text(f"{value:.6g}")
    if type(value) is int:
        return number_text(str(value))
    return md(format_value(value))


# What a text-layout call (Pillow's raqm, matplotlib) must never see in a name from the PR:
# control characters and line breaks (raqm_layout() fails), lone surrogates (not encodable),
# bidirectional overrides (they reorder what follows).
_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_SHOWN_AS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
LABEL_CHARS = 200


def chart_label(text: object) -> str:
    """A name as a chart shows it: one line, at most LABEL_CHARS characters, every character
    one a font can lay out (a line break shown as `\\n`)."""
    value = str(text)[:LABEL_CHARS]
    return _UNSHOWABLE.sub(lambda m: _SHOWN_AS.get(m.group(), "\ufffd"), value)
