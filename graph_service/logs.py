"""What `serve` logs: uvicorn's lines, with its access line formatted cheaply, and the service's own warnings."""

from __future__ import annotations

import copy
import logging
from typing import Any

import uvicorn.config
from uvicorn.logging import AccessFormatter as UvicornAccessFormatter


class AccessFormatter(UvicornAccessFormatter):
    """uvicorn's default access line, `INFO:     127.0.0.1:5000 - "GET /health HTTP/1.1" 200 OK`, in one f-string.

    Writing the access line was a fifth of the event loop's py-spy samples serving gaps at
    S = 1000 with 8 clients. uvicorn's formatter copies each record twice to add its fields;
    without the copies and the caller lookup (see `configure`) a line takes 5.2 instead of
    15.4 us in a loop. Coloured lines (to a terminal) are still uvicorn's own.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        if self.use_colors:
            return super().formatMessage(record)
        client_addr, method, full_path, http_version, status_code = record.args  # type: ignore[misc]
        return (f'{record.levelname + ":":<9} {client_addr} - "{method} {full_path} HTTP/{http_version}" '
                f"{self.get_status_code(int(status_code))}")


def uvicorn_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with `AccessFormatter` for the access line."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["access"]["()"] = f"{__name__}.{AccessFormatter.__name__}"
    return config


def configure() -> None:
    """Log for `serve`: the service's warnings to stderr, styled as uvicorn's lines; no per-record lookups.

    No line format names the caller, thread or process, so records skip looking them up (the
    logging HOWTO's "Optimization"); the caller lookup walks the stack on every access line.
    """
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:  %(message)s"))
    logger = logging.getLogger("graph_service")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
