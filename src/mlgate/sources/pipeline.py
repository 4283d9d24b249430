"""Moved to `mlgate.pipeline` (issue 22: pure parsers belong in the core). This old name stays
only while render/plots.py, render/caps.py and
commands/report.py (other work in flight) import it here."""

from mlgate.pipeline import *  # noqa: F403  # the old import path, until its last users move
