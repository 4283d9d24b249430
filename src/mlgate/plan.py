"""What a run does, decided once: a pure function of the settings and the CI's facts.

The `plots` mode, the base ref's precedence, whether to publish, and the two-stage setup are
decided here and nowhere else; the commands read the plan's fields. No I/O.

`plots` modes: `assets` draws images, uploads them to the host, and keeps inline (Mermaid)
charts for when the upload cannot be made; `summary` draws images for the job summary and the
report directory and strips them from the comment; `mermaid` draws inline charts only; `off`
reads no plot files and draws nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mlgate.settings import Settings


@dataclass(frozen=True, kw_only=True)
class Plan:
    read_plots: bool  # gather the plot files (DVC plots, images) at base and head
    draw_images: bool  # PNG charts in the report directory
    draw_inline: bool  # the report's own charts are inline (Mermaid), no images
    inline_fallback: bool  # a second report with inline charts now, for a later failed upload
    inline_later: bool  # the same, drawn only if this run's own upload fails
    upload_images: bool  # images hosted for the comment (assets branch, project uploads)
    strip_images: bool  # images left out of the comment, with a note where they were
    comment: bool  # post or update the report note
    publish: bool  # talk to the host at all (a token, or a host given)
    two_stage: bool  # publish saved bundles (fork-safe stage two, a matrix's final job)
    base: str | None  # the base ref: the input, else the change request's, else config/default


IMAGE_MODES = ("assets", "summary")


def decide(
    settings: Settings,
    *,
    base_ref: str | None = None,
    can_publish: bool = False,
) -> Plan:
    """The plan for `settings`; `base_ref` is the change request's target branch (the CI's
    event), `can_publish` whether there is a token or a host to publish through."""
    mode = settings.plots
    return Plan(
        read_plots=mode != "off",
        draw_images=mode in IMAGE_MODES,
        draw_inline=mode == "mermaid",
        inline_fallback=mode == "assets" and not can_publish,  # stage one: for stage two
        inline_later=mode == "assets" and can_publish,
        upload_images=mode == "assets",
        strip_images=mode in ("summary", "off"),
        comment=settings.comment != "off",
        publish=can_publish,
        two_stage=bool(settings.bundles),
        base=settings.base or base_ref,  # the input wins over the event's target branch
    )


def local(settings: Settings) -> Plan:
    """`mlgate report` and the demo: nothing published, no inline variant for a later upload."""
    return dataclasses.replace(decide(settings), inline_fallback=False, inline_later=False)
