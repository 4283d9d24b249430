"""Moved to `mlgate.paths` (issue 22: pure parsers belong in the core). This old name stays
only while sources/basetrain.py (other work in flight) import it here."""

from mlgate.paths import *  # noqa: F403  # the old import path, until its last users move
