"""Modules imported on first use, so that `serve` answers before it has paid for them."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for module `name` and imports it when one of its attributes is first read.

    For libraries that some requests need and start-up does not: networkx takes ~0.12 s and
    12 MB to import, on the path from launch to a server's first answer. The import goes through
    `importlib.import_module`, whose per-module lock makes a thread that reads an attribute while
    another is importing wait for the whole module. importlib's LazyLoader does not on Python 3.11
    (cpython gh-114763): a second thread could read a half-run module.
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        """The attribute of the imported module (read on every access: the import is then one dict lookup)."""
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
