"""A local preview: the report's Markdown rendered as GitHub renders it (cmark-gfm)."""

from __future__ import annotations

import html

import cmarkgfm
from cmarkgfm.cmark import Options

_STYLE = """
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif;
       font-size: 14px; line-height: 1.5; color: #1f2328; max-width: 900px; margin: 24px auto;
       padding: 16px 24px; border: 1px solid #d0d7de; border-radius: 6px; }
h2 { font-size: 1.5em; border-bottom: 1px solid #d8dee4; padding-bottom: .3em; }
h3 { font-size: 1.25em; } h4 { font-size: 1em; }
table { border-collapse: collapse; margin: 8px 0 16px; display: block; overflow: auto; }
th, td { border: 1px solid #d0d7de; padding: 6px 13px; }
tr:nth-child(2n) { background: #f6f8fa; } th { font-weight: 600; }
blockquote { color: #59636e; border-left: .25em solid #d0d7de; margin: 0; padding: 0 1em; }
img { max-width: 100%; } code, pre { background: #f6f8fa; border-radius: 6px; }
pre { padding: 16px; overflow: auto; } details { margin: 8px 0; } sub { color: #59636e; }
"""


def to_html(markdown: str) -> str:
    """GitHub-flavoured HTML. Raw HTML is kept (GitHub keeps `<details>`, `<sub>`, comments):
    every untrusted string was escaped before it reached the Markdown."""
    html_text: str = cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE
    )
    return html_text


def page(markdown: str, title: str = "mlgate report") -> str:
    return (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n{to_html(markdown)}</body></html>\n"
    )
