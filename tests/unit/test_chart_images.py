"""Images a pipeline writes, composed with Pillow: stacked when wide, never squeezed, and only
in a form publishing accepts (issue 25: one image check for rendering and publishing)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from mlgate.github.bundle import confined_image
from mlgate.pipeline import PlotDef
from mlgate.render.caps import image_problem, published_kind
from mlgate.render.charts import images

PLOT = PlotDef(id="pictures/sample.png", sources=(("pictures/sample.png", None),))


def image(size: tuple[int, int], color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def composed(tmp_path: Path, base: bytes, head: bytes) -> tuple[Image.Image, str]:
    [entry], notes = images.entries(
        PLOT, "pictures/sample.png", {"base": base, "head": head}, tmp_path
    )
    assert notes == [] and entry.image
    return Image.open(tmp_path / entry.image), entry.caption


def test_wide_images_are_stacked_at_their_own_proportions(tmp_path: Path) -> None:
    out, caption = composed(
        tmp_path, image((2048, 400), (200, 0, 0)), image((2048, 400), (0, 0, 200))
    )
    assert "base (above) and head (below)" in caption
    # each image scaled as a whole to the width: 2048x400 -> 1576x308, one above the other
    panel_h = round(400 * (images.WIDTH - 2 * images.PAD) / 2048)
    assert out.width == images.WIDTH
    assert out.height == images.TITLE + 2 * (images.LABEL + panel_h + images.PAD) + images.PAD
    column = [out.getpixel((out.width // 2, y)) for y in range(out.height)]
    assert (200, 0, 0) in column and (0, 0, 200) in column  # base above head, same column


def test_tall_images_sit_side_by_side_unsqueezed(tmp_path: Path) -> None:
    out, caption = composed(
        tmp_path, image((300, 900), (200, 0, 0)), image((300, 900), (0, 0, 200))
    )
    assert "base (left) and head (right)" in caption
    assert out.size == (3 * images.PAD + 600, images.TITLE + images.LABEL + 900 + 2 * images.PAD)
    row = [out.getpixel((x, out.height // 2)) for x in range(out.width)]
    assert row.count((200, 0, 0)) == 300 and row.count((0, 0, 200)) == 300


def test_a_gif_is_shown_as_a_png_publishing_accepts(tmp_path: Path) -> None:
    gif = image((64, 48), (10, 200, 10), "GIF")
    assert published_kind(gif) is None and image_problem(gif) is None  # shown, not as a GIF
    entries, notes = images.entries(
        PLOT, "pictures/sample.png", {"base": "not there", "head": gif}, tmp_path
    )
    [entry] = entries
    assert entry.image and entry.image.endswith(".png") and notes == []
    data, why = confined_image(tmp_path, entry.image)  # what publishing uploads
    assert why == "" and data is not None and published_kind(data) == "png"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is an SVG"),
        (b"GIF89a broken", "is not a valid GIF image"),
        (b"plain text", "is not a PNG, JPEG, GIF or SVG image"),
    ],
)
def test_what_is_not_shown_is_said(tmp_path: Path, data: bytes, words: str) -> None:
    entries, notes = images.entries(PLOT, "x.png", {"base": "not there", "head": data}, tmp_path)
    assert words in entries[0].note and words in notes[0]
    assert entries[0].image is None
