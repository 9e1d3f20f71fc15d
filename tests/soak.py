"""Test sizes: short runs in `make test`, long ones under `make soak` (GRAPH_SERVICE_SOAK=1)."""

from __future__ import annotations

import os

SOAK = os.environ.get("GRAPH_SERVICE_SOAK", "") not in ("", "0")


def size(quick: int, soak: int) -> int:
    """The soak size under `make soak`, the quick one otherwise."""
    return soak if SOAK else quick
