"""Markdown that someone else wrote, made inert before mlgate posts it. Pure.

Two kinds of text reach the comment without passing through `render.escape.md` cell by cell: a
user template's output (one-stage setup: the template is a file of the pull request) and a
bundle's report (two-stage setup: written by the PR's own code). Both pass through `markdown()`:

- mlgate's markers are removed, HTML comments shown as text;
- raw HTML keeps only a few layout tags, without attributes (`<details open>` aside);
- @-mentions and cross-repository references (`org/repo#12`) are broken with a zero-width
  space (and `&#64;`-style character references, which GitHub would decode into one, are shown
  as text); a line starting with `/` cannot be a GitLab quick action (`/approve`, `/merge`);
- images are kept only when relative (the report's own `plots/...`): a remote image can track
  who reads the comment;
- links stay links only when relative to this repository or under an allowed prefix (the
  repository's own URL, `.mlgate.yml` `links:` of the base branch); any other inline link,
  reference definition, autolink or bare URL is shown as text;
- with `demote_headings`, no heading above level 3: the verdict heading is mlgate's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mlgate.marker import strip_markers

ZWSP = "\u200b"
ALLOWED_TAGS = frozenset(
    {"details", "summary", "b", "i", "em", "strong", "br", "sub", "sup", "code", "p"}
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
# `&#64;`, `&#x40;`, `&commat;`: a character reference is decoded before mentions and links are
# found; mlgate's own escaping writes only these four
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot);)(?=#|[A-Za-z]+;)")
# `![alt](dest "title")` / `[text](dest "title")`; text may hold escaped brackets and one level
# of nested ones (`[a [b] c](dest)` is a link too)
_INLINE = re.compile(
    r"(!?)\[((?:\\.|\[[^\]\n]*\]|[^\]\\\n])*)\]"
    r"\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)
_DEFINITION = re.compile(r"(?m)^( {0,3})\[((?:\\.|[^\]\\\n])+)\]:[ \t]*<?(\S*?)>?(?=\s|$)")
_BARE = re.compile(r"(?i)(https?|ftp|mailto|ssh|file)(:)|(www)(\.)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ATX = re.compile(r"(?m)^( {0,3})(#{1,2})(?=[ \t]|$)")
_SETEXT = re.compile(r"(?m)^( {0,3})(=+|-{2,})[ \t]*$")
_SLOT = re.compile("\ue000(\\d+)\ue001")
# what no parser of ours saw as a link may still be one: a protocol-relative destination
_PROTOCOL_RELATIVE = re.compile(r"(\]\(\s*<?|\]:[ \t]*<?)//")
# `other-org/repo#12`: a cross-reference, which posts a "mentioned this" event over there
_CROSS_REFERENCE = re.compile(r"(?<=[A-Za-z0-9_.-]/)([A-Za-z0-9_.-]+)#(?=\d)")
# a GitLab quick action (`/approve`, `/merge`) is obeyed at the start of a note's line
_QUICK_ACTION = re.compile(r"(?m)^([ \t>]*)/(?=[A-Za-z])")


def on_site(url: str, allowed: Sequence[str]) -> bool:
    """A link that stays in this repository: relative (`plots/x.png`, `#gates`, `../pulls`),
    or under one of the `allowed` URL prefixes. Root-relative (`/other/repo`) and
    protocol-relative (`//host`) links leave it."""
    # as a Markdown parser reads it: backslash escapes dropped (`https\\://` is `https://`),
    # no space or control character
    url = re.sub(r"[\\\x00-\x20\x7f]", "", url)
    if not url or url.startswith("#"):
        return True
    if not _SCHEME.match(url) and not url.startswith("/"):
        return True
    return any(url == p.rstrip("/") or url.startswith(p.rstrip("/") + "/") for p in allowed if p)


def _as_text(url: str) -> str:
    """A URL shown, not linked: no `://` or `www.` left for an autolink, no Markdown syntax."""
    text = re.sub(r"([\\`*_{}\[\]()<>#+!|~$])", r"\\\1", url)
    return _BARE.sub(lambda m: (m.group(1) or m.group(3)) + ZWSP + (m.group(2) or m.group(4)), text)


def markdown(text: str, *, links: Sequence[str] = (), demote_headings: bool = False) -> str:
    """`text` as Markdown that can link, show and notify nothing mlgate did not allow."""
    text = strip_markers(text.replace("\ue000", "").replace("\ue001", ""))
    text = text.replace("<!--", "&lt;!--")
    text = _ENTITY.sub("&amp;", text)
    kept: list[str] = []

    def keep(piece: str) -> str:
        kept.append(piece)
        return f"\ue000{len(kept) - 1}\ue001"

    def inline(m: re.Match[str]) -> str:
        # only the address is kept as it is: the label still goes through everything below
        bang, label, url = m.group(1), m.group(2), m.group(3)
        if bang:
            if url and on_site(url, ()) and not url.startswith("#"):
                return f"![{label}]({keep(url)})"
            return f"*(image not shown: {_as_text(url) or 'no address'}; remote images are off)*"
        if on_site(url, links):
            return f"[{label}]({keep(url)})"
        return f"{label} ({_as_text(url)})"

    def definition(m: re.Match[str]) -> str:
        if on_site(m.group(3), links):
            return keep(m.group(0))
        return f"{m.group(1)}\\[{m.group(2)}\\]: {_as_text(m.group(3))}"

    text = _INLINE.sub(inline, text)
    text = _DEFINITION.sub(definition, text)
    text = _TAG.sub(_tag, text)
    text = _BARE.sub(lambda m: (m.group(1) or m.group(3)) + ZWSP + (m.group(2) or m.group(4)), text)
    text = _PROTOCOL_RELATIVE.sub(lambda m: m.group(1) + "/" + ZWSP + "/", text)
    text = _MENTION.sub("@" + ZWSP, text)
    text = _CROSS_REFERENCE.sub(lambda m: m.group(1) + ZWSP + "#", text)
    text = _QUICK_ACTION.sub(lambda m: m.group(1) + "\\/", text)
    if demote_headings:
        text = _ATX.sub(r"\1###", text)
        text = _SETEXT.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)
    return _SLOT.sub(lambda m: kept[int(m.group(1))], text)


def _tag(m: re.Match[str]) -> str:
    name = m.group(2).lower()
    attributes = m.group(3).strip()
    if name in ALLOWED_TAGS and (not attributes or (name == "details" and attributes == "open")):
        return m.group(0)
    return "&lt;" + m.group(0)[1:]
