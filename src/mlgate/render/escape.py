"""Make untrusted text (metric names, values, branch names) inert in GitHub Markdown.

No HTML, no links or autolinks, no @-mentions or #-references, no table breakage: HTML special
characters become entities, Markdown punctuation is backslash-escaped, and a zero-width space is
put where GitHub would otherwise turn text into a mention or a link.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")
# Control characters and Unicode line/paragraph separators: some split lines (form feed,
# U+2028) for a reader or a log even where Markdown sees none; all become spaces.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def md(text: object) -> str:
    s = str(text)
    s = _CONTROL.sub(" ", s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = _MD_PUNCT.sub(r"\\\1", s)
    s = s.replace("@", "@" + ZWSP)
    s = _AUTOLINK.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], s)
    # a leading list/heading/quote marker cannot start a block inside a table cell, but can
    # elsewhere; "&gt;" is already inert, and "-"/"=" only matter at line start.
    if s[:1] in "-=":
        s = "\\" + s
    return s
