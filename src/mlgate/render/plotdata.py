"""Moved to `mlgate.plotdata` (issue 22: pure parsers belong in the core). This old name stays
only while render/plots.py (other work in flight) import it here."""

from mlgate.plotdata import *  # noqa: F403  # the old import path, until its last users move
