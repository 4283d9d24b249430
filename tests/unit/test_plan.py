"""The run's plan (`mlgate.plan`): the `plots` mode, the base's precedence and the two-stage
setup decided in one pure function."""

from __future__ import annotations

import pytest

from mlgate import plan
from mlgate.settings import Settings


@pytest.mark.parametrize(
    ("mode", "read", "images", "inline", "upload", "strip"),
    [
        ("assets", True, True, False, True, False),
        ("summary", True, True, False, False, True),
        ("mermaid", True, False, True, False, False),
        ("off", False, False, False, False, True),
    ],
)
def test_each_plots_mode_is_one_row(
    mode: str, read: bool, images: bool, inline: bool, upload: bool, strip: bool
) -> None:
    p = plan.decide(Settings.from_mapping({"plots": mode}), can_publish=True)
    assert (p.read_plots, p.draw_images, p.draw_inline, p.upload_images, p.strip_images) == (
        read,
        images,
        inline,
        upload,
        strip,
    )


def test_assets_draws_inline_charts_now_only_for_another_stage() -> None:
    """A run that publishes draws the inline variant only if its upload fails; a run that
    cannot publish (fork-safe stage one) draws it now, for stage two."""
    settings = Settings.from_mapping({"plots": "assets"})
    publishing = plan.decide(settings, can_publish=True)
    stage_one = plan.decide(settings, can_publish=False)
    assert (publishing.inline_fallback, publishing.inline_later) == (False, True)
    assert (stage_one.inline_fallback, stage_one.inline_later) == (True, False)
    local = plan.local(settings)
    assert (local.inline_fallback, local.inline_later, local.publish) == (False, False, False)


def test_the_base_input_wins_over_the_change_requests_target() -> None:
    assert plan.decide(Settings(), base_ref="main").base == "main"
    assert plan.decide(Settings(base="release"), base_ref="main").base == "release"
    assert plan.decide(Settings()).base is None


def test_comment_off_and_bundles() -> None:
    p = plan.decide(Settings.from_mapping({"comment": "off", "bundles": "a b"}))
    assert not p.comment and p.two_stage
    assert plan.decide(Settings()).comment and not plan.decide(Settings()).two_stage
