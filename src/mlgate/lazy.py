"""Modules loaded at their first use (issue 22, start-up time).

numpy and the statistics behind the noise-aware and slice gate kinds cost ~0.1-0.3 s to import;
`mlgate diff` and a report whose gates are all plain comparisons never need them. A gate kind
names such a module through `module()`: it is registered at once and executed by Python's own
`importlib.util.LazyLoader` when an attribute is first read.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """`name`, imported now if it already is, else loaded at its first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    found = importlib.util.module_from_spec(spec)
    sys.modules[name] = found
    loader.exec_module(found)
    return found
