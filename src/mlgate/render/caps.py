"""What a report draws of what a pull request offers (issue 21): at most MAX_PLOTS charts, at
most MAX_CLASSES classes of a confusion matrix, and images only as PNG or JPEG. Each cap comes
with a note naming what was left out. Pure."""

from __future__ import annotations

import collections
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlgate.pipeline import PlotDef

MAX_CLASSES = 20  # classes of a confusion matrix drawn; the rest are one "other" class
MAX_PLOTS = 50  # charts drawn per report (the summary chart aside)


def top_classes(values: Sequence[str]) -> tuple[list[str], dict[str, int], str]:
    """A confusion matrix's classes: all of them, or the MAX_CLASSES most frequent and "other"
    for the rest (3,000 classes would be 9 million cells), with a note saying so."""
    counts = collections.Counter(values)
    if len(counts) <= MAX_CLASSES:
        labels = sorted(counts)
        return labels, {label: i for i, label in enumerate(labels)}, ""
    kept = sorted(label for label, _ in counts.most_common(MAX_CLASSES))
    other = "other"
    while other in counts:
        other = f"({other})"
    index = dict.fromkeys(counts, len(kept))
    index.update({label: i for i, label in enumerate(kept)})
    note = (
        f"{len(counts):,} classes: the {MAX_CLASSES} most frequent are shown, the other "
        f"{len(counts) - MAX_CLASSES:,} as {other!r}"
    )
    return [*kept, other], index, note


def capped_units(
    units: Sequence[tuple[PlotDef, tuple[str, ...]]], room: int
) -> tuple[list[tuple[PlotDef, tuple[str, ...]]], list[str]]:
    """The first `room` charts to draw, and a note naming the ones left out."""
    if len(units) <= room:
        return list(units), []
    left = [plot.id for plot, _ in units[room:]]
    shown = ", ".join(left[:10]) + (f" and {len(left) - 10:,} more" if len(left) > 10 else "")
    return list(units[:room]), [
        f"{len(left):,} plots not drawn (mlgate draws at most {MAX_PLOTS} per report): {shown}"
    ]


MAX_PIXELS = 50_000_000  # an image larger than this is not decoded (a decompression bomb)
PUBLISHED = ("png", "jpeg")  # what a report's images are: a GIF is shown as a PNG of its frame


def image_problem(data: bytes) -> str | None:
    """Why `data` is not an image mlgate will show, or None. The one image check: rendering asks
    it of a pipeline's image, publishing (`published_kind`) of every file it uploads."""
    kind = image_kind(data)
    if kind is None:
        return "is not a PNG, JPEG, GIF or SVG image"
    if kind == "svg":
        return "is an SVG, which can carry scripts and links"
    from PIL import Image  # deferred: Pillow loads only when there is an image to check

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                return f"is too large ({img.width}x{img.height} pixels)"
            img.load()
    except Exception as exc:  # PIL raises many types for a broken file
        return f"is not a valid {kind.upper()} image ({type(exc).__name__}: {exc})"
    return None


def published_kind(data: bytes) -> str | None:
    """The kind of an image a report may carry (PNG or JPEG, judged by the bytes), else None.
    Rendering turns every image into one of these (`as_raster`), so what report.md shows is what
    publishing uploads: a GIF nowhere as a GIF, an SVG nowhere at all."""
    kind = image_kind(data)
    return kind if kind in PUBLISHED else None


def as_raster(data: bytes) -> bytes | None:
    """An image as mlgate publishes it (PNG or JPEG, issue 21): a GIF as a PNG of its first
    frame; None for an SVG, a document that can hold scripts and links."""
    kind = image_kind(data)
    if kind == "svg":
        return None
    if kind != "gif":
        return data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        buffer = io.BytesIO()
        img.convert("RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def image_kind(data: bytes) -> str | None:
    """What an image file really is, by its bytes: a PR may name anything `.png`."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    head = data[:2048].lstrip().lower()
    if (head.startswith((b"<svg", b"<?xml")) and b"<svg" in head) or head.startswith(b"<svg"):
        return "svg"
    return None
