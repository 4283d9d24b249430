"""YAML as DVC reads it, with a budget: ruamel.yaml's safe loader (YAML 1.2), refusing alias
expansion beyond mlgate's limits.

DVC parses metrics, params and its own files with `ruamel.yaml` `YAML(typ="safe")`, a YAML 1.2
reader: `5e-2` is the number 0.05 and `yes` is text. PyYAML is YAML 1.1, where `5e-2` is text and
`yes` is true, so the same file read two ways would gate two different values. ruamel.yaml is
already DVC's dependency; the pure-Python reader is used so the result never depends on whether
its C extension is installed.

Aliases are cheap to parse (a node is shared) but each use counts again when the document is
walked or flattened: nine levels of ten aliases ("billion laughs") took 49 s and then a
MemoryError. The composed node graph is measured, aliases expanded, before anything is built.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from mlgate import limits

__all__ = ["LimitError", "YAMLError", "expanded_size", "load"]


class LimitError(ValueError):
    """The document is over one of mlgate's limits; the message says which."""


class _Composer(Composer):
    aliases = 0

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False  # an anchor defined twice: the last wins, as in PyYAML

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            self.aliases += 1
            if self.aliases > limits.MAX_YAML_ALIASES:
                raise LimitError(
                    f"more than {limits.MAX_YAML_ALIASES:,} YAML aliases (`*name`), above "
                    "mlgate's limit; write the values out"
                )
        return super().compose_node(parent, index)


class _Constructor(SafeConstructor):
    def get_single_data(self) -> Any:
        node = self.composer.get_single_node()
        if node is None:
            return None
        expanded_size(node)  # before anything is built
        return self.construct_document(node)


def expanded_size(root: Node) -> int:
    """Nodes in the document with every alias expanded, counted without recursion."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > limits.MAX_DOCUMENT_VALUES:
                raise LimitError(
                    f"expands to more than {limits.MAX_DOCUMENT_VALUES:,} values through YAML "
                    "aliases (`&name`/`*name`), above mlgate's limit; write the values out"
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise LimitError("a YAML alias refers to itself (a recursive structure)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load(text: str) -> Any:
    """The first and only document of `text`, as DVC's `parse_yaml` reads it, within mlgate's
    limits. Raises `YAMLError` (ruamel.yaml's) for text that is not YAML, `LimitError` beyond
    the limits."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    return yaml.load(text)
