"""Images a pipeline writes (a plot whose files are PNG, JPEG or GIF): base and head composed
with Pillow, labelled, at their own proportions. Wide images are stacked (base above head),
others side by side; an image is scaled down as a whole, never squeezed. Milliseconds a pair,
where matplotlib took a quarter of a second.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from mlgate import outdir
from mlgate.pipeline import PlotDef
from mlgate.render.caps import as_raster, image_kind, image_problem
from mlgate.render.charts.common import BASE_COLOR, HEAD_COLOR, slug
from mlgate.report import PlotEntry

WIDTH = 1600  # the composed image's widest
TALLEST = 1000  # a panel's tallest
WIDE = 1.6  # width / height from which two images are stacked rather than put side by side
PAD = 12
LABEL = 22  # pixels for a panel's label
TITLE = 30


def wide(sizes: list[tuple[int, int]]) -> bool:
    return any(w >= WIDE * h for w, h in sizes)


def _fit(img: Image.Image, width: int) -> Image.Image:
    """Scaled down, as a whole, to fit `width` x TALLEST."""
    scale = min(1.0, width / img.width, TALLEST / img.height)
    if scale >= 1.0:
        return img
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS)


def compose(title: str, sides: dict[str, bytes]) -> tuple[bytes, bool]:
    """One PNG: the title, then each side's image under its label; and whether they are
    stacked (one above the other) rather than side by side."""
    opened = {side: Image.open(io.BytesIO(data)).convert("RGB") for side, data in sides.items()}
    stacked = wide([img.size for img in opened.values()])
    room = WIDTH - 2 * PAD if stacked else (WIDTH - 3 * PAD) // 2
    panels = {side: _fit(img, room) for side, img in opened.items()}
    if stacked:
        width = max(p.width for p in panels.values()) + 2 * PAD
        height = TITLE + sum(LABEL + p.height + PAD for p in panels.values()) + PAD
    else:
        width = sum(p.width + PAD for p in panels.values()) + PAD
        height = TITLE + LABEL + max(p.height for p in panels.values()) + 2 * PAD
    canvas = Image.new("RGB", (max(width, 320), height), "white")
    draw = ImageDraw.Draw(canvas)
    # a name from the PR: one line, no control characters, cut to the width
    line = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", title)[: width // 10]
    draw.text((PAD, 6), line, fill="#1f2328", font=ImageFont.load_default(18))
    font = ImageFont.load_default(15)
    x, y = PAD, TITLE
    for side, panel in panels.items():
        draw.text((x, y + 2), side, fill=BASE_COLOR if side == "base" else HEAD_COLOR, font=font)
        canvas.paste(panel, (x, y + LABEL))
        if stacked:
            y += LABEL + panel.height + PAD
        else:
            x += panel.width + PAD
    for img in opened.values():
        img.close()
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue(), stacked


def checked(src: str, reads: dict[str, bytes | str]) -> tuple[dict[str, bytes], list[str]]:
    """Each side's image as it is shown (PNG or JPEG: `caps.as_raster`), and a note for each
    side that is missing (`reads` gives why, as text) or is no image mlgate shows."""
    sides: dict[str, bytes] = {}
    notes: list[str] = []
    for side, read in reads.items():
        if isinstance(read, str):
            notes.append(f"{side}: {read}")
        elif (problem := image_problem(read)) is not None:
            notes.append(f"{side}: {src} {problem}; not shown")
        elif (raster := as_raster(read)) is not None:
            sides[side] = raster
    return sides, notes


def entries(
    plot: PlotDef, src: str, reads: dict[str, bytes | str], out_dir: Path
) -> tuple[list[PlotEntry], list[str]]:
    """Base and head composed, labelled; or the one side there is, with a note saying why the
    other is missing; (entries, report notes)."""
    title = plot.title or plot.id
    sides, notes = checked(src, reads)
    if not sides:
        note = "not shown: " + "; ".join(notes)
        return [PlotEntry(plot.id, title, note=note)], [f"image {plot.id!r} {note}"]
    note = "; ".join(notes)
    if len(sides) == 2 and sides["base"] == sides["head"]:
        sides.pop("base")
        note = "unchanged from base"
    if len(sides) == 2:
        rel = f"plots/{slug(plot.id)}.png"
        png, stacked = compose(title, sides)
        outdir.write_bytes(out_dir, rel, png)
        where = "base (above) and head (below)" if stacked else "base (left) and head (right)"
        caption = f"images written by the pipeline: {where}"
        return [PlotEntry(plot.id, title, image=rel, caption=caption)], []
    out = []
    for side, data in sides.items():
        suffix = "." + (image_kind(data) or "png").replace("jpeg", "jpg")
        rel = f"plots/{slug(plot.id + side)}{suffix}"
        outdir.write_bytes(out_dir, rel, data)
        out.append(
            PlotEntry(
                plot.id,
                title if note == "unchanged from base" else f"{title} ({side})",
                image=rel,
                caption="image written by the pipeline, shown as it is",
                note=note,
            )
        )
    return out, []
