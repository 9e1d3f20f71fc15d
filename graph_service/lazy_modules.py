"""Modules imported on first use, so that `serve` answers before it has paid for them."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module `name`, run only when one of its attributes is first read (the recipe of importlib's docs).

    For libraries that a request needs and start-up does not: networkx takes ~0.12 s and 12 MB
    to import, on the path from launch to a server's first answer.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
