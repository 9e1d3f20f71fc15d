"""logs.py: serve's access line is uvicorn's, to the byte, and records skip the lookups no line shows."""

from __future__ import annotations

import logging
import pydoc

import pytest
from uvicorn.logging import AccessFormatter as UvicornAccessFormatter

from graph_service import logs


def record(status: int, level: int = logging.INFO) -> logging.LogRecord:
    """An access record as uvicorn's HTTP protocol logs it."""
    return logging.LogRecord("uvicorn.access", level, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", "/api/ladder?from=a&to=b", "1.1", status), None)


@pytest.mark.parametrize("status,level", [(200, logging.INFO), (404, logging.INFO), (599, logging.WARNING)])
def test_the_access_line_is_uvicorns(status: int, level: int) -> None:
    fmt = logs.uvicorn_config()["formatters"]["access"]["fmt"]
    ours, theirs = logs.AccessFormatter(fmt, use_colors=False), UvicornAccessFormatter(fmt, use_colors=False)
    assert ours.format(record(status, level)) == theirs.format(record(status, level))
    assert ours.format(record(200)) == 'INFO:     127.0.0.1:5000 - "GET /api/ladder?from=a&to=b HTTP/1.1" 200 OK'
    coloured = logs.AccessFormatter(fmt, use_colors=True)
    assert coloured.format(record(status, level)) == UvicornAccessFormatter(fmt, use_colors=True).format(
        record(status, level))


def test_uvicorn_is_configured_with_the_access_formatter() -> None:
    config = logs.uvicorn_config()
    assert pydoc.locate(config["formatters"]["access"]["()"]) is logs.AccessFormatter
    assert config["loggers"]["uvicorn.access"]["handlers"] == ["access"]


def test_configure_skips_caller_thread_and_process_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, name, getattr(logging, name))  # restored after the test
    logger = logging.getLogger("graph_service")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "level", logger.level)
    logs.configure()
    seen: list[logging.LogRecord] = []
    collect = logging.Handler()
    collect.emit = seen.append  # type: ignore[method-assign]
    logger.addHandler(collect)
    logger.warning("slow query")
    assert logger.level == logging.WARNING and len(logger.handlers) == 2
    assert (seen[0].funcName, seen[0].thread, seen[0].process) == ("(unknown function)", None, None)
