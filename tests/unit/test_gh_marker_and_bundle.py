"""The marker's one definition, and the pure checks of hostile bundles."""

from __future__ import annotations

import pytest

from mlgate.marker import Marker, format_marker, parse_marker
from mlgate.render import sanitize
from mlgate.render.caps import published_kind

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_format_and_parse_round_trip() -> None:
    text = format_marker("nightly.v2", SHA)
    assert text == f"<!-- mlgate:report id=nightly.v2 sha={SHA} -->"
    assert parse_marker(text + "\n## report") == Marker("nightly.v2", SHA)
    assert parse_marker(format_marker("default", None)) == Marker("default", None)


@pytest.mark.parametrize(
    "body",
    [
        f"quote:\n<!-- mlgate:report id=default sha={SHA} -->",
        f" <!-- mlgate:report id=default sha={SHA} -->",
        f"> <!-- mlgate:report id=default sha={SHA} -->",
        f"<!-- mlgate:report id=default sha={SHA} -->trailing",
        "<!-- mlgate:report id=a b -->",
        "<!-- mlgate:report id=default sha=HEAD -->",
        "",
        None,
    ],
)
def test_only_a_marker_opening_the_body_matches(body: str | None) -> None:
    assert parse_marker(body) is None


def test_a_bad_comment_id_cannot_be_formatted() -> None:
    with pytest.raises(ValueError, match="comment id"):
        format_marker("a -->", SHA)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0....", "jpeg"),
        # an SVG can carry scripts and links: never published (issue 21)
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b"\xef\xbb\xbf <svg/>", None),
        (b"GITHUB_TOKEN=ghs_x\0PATH=/bin", None),
        (b"GIF89a....", None),
        (b"<html><svg/></html>", None),
    ],
)
def test_images_are_judged_by_their_bytes(data: bytes, kind: str | None) -> None:
    assert published_kind(data) == kind


def test_sanitize_keeps_layout_and_neutralizes_the_rest() -> None:
    text = (
        f"<!-- mlgate:report id=default sha={SHA} -->\n<details open><summary><b>x</b></summary>\n"
        '<a href="https://evil.example">y</a> <details ontoggle=alert(1)> <!-- hidden --> @someone'
    )
    assert sanitize.markdown(text) == (
        "<details open><summary><b>x</b></summary>\n"
        '&lt;a href="https\u200b://evil.example">y&lt;/a> &lt;details ontoggle=alert(1)> '
        "&lt;!-- hidden --> @\u200bsomeone"
    )
