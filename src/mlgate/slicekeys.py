"""The keys of a gate's slice options (issue 26): plain data, so the gate kinds' parser reads them
without loading numpy, which `mlgate.slices` (the slices themselves) needs."""

KEYS = ("slices", "bins", "min_slice_rows")
