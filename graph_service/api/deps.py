"""What routes share: app state and the label language read from the request, answers as JSON, lanes.

Routes take the `Request` and read through `service_of`, `store_of`, `settings_of` and
`language`, not through FastAPI dependencies: FastAPI solves each dependency per request,
its own parameters included, and a gap's two (the service; the language with its
Accept-Language header) took 60 of the 260 us its route cost on the event loop, in process
on one CPU. `?lang` stays a declared query parameter (validated, in the OpenAPI schema);
Accept-Language is read as the standard header it is.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
import threading
from typing import Annotated, Awaitable, Callable, ParamSpec, TypeVar

import pyoxigraph as ox
from fastapi import Query, Request, Response
from pydantic import AfterValidator, BaseModel

from ..namespaces import expand
from ..service import Service
from ..settings import Settings
from ..store import Store

LANGUAGES = ("sv", "en")
P = ParamSpec("P")
R = TypeVar("R")


LanguageParam = Annotated[str | None, Query(description="label language, sv or en (overrides Accept-Language)",
                                            pattern="^(sv|en)$")]
"""The `?lang` query parameter of every route that answers with labels."""


def store_of(request: Request) -> Store:
    """The app's store (embedded, or the remote endpoint's client)."""
    return request.app.state.store


def settings_of(request: Request) -> Settings:
    """The running service's settings."""
    return request.app.state.settings


def service_of(request: Request) -> Service:
    """The app's Service: answers over the loaded graph, with its caches."""
    return request.app.state.service


def negotiate_language(accept_language: str | None, default: str = "sv") -> str:
    """Pick sv or en from an Accept-Language header by quality; default Swedish."""
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        try:
            quality = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            quality = 0.0
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, primary)
    return best[1] if best else default


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (by name or `*`, with a quality above 0)."""
    qualities: dict[str, float] = {}
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        params = params.strip().replace(" ", "")
        try:
            quality = float(params[2:]) if params.startswith("q=") else 1.0
        except ValueError:
            quality = 0.0
        qualities[coding.strip().lower()] = quality
    explicit = qualities.get("gzip", qualities.get("x-gzip"))
    return (explicit if explicit is not None else qualities.get("*", 0.0)) > 0


def language(request: Request, lang: str | None) -> str:
    """sv or en: `lang` (the validated ?lang) when given, else Accept-Language, else the server's default."""
    return lang or negotiate_language(request.headers.get("accept-language"), settings_of(request).default_language)


def json_response(answer: BaseModel | bytes) -> Response:
    """An answer serialised here, by its aliases, as the route's response_model declares it.

    A plain `def` route that returns a model gets it validated again on a second hop to the
    thread pool and then serialised; sent as a Response it is serialised once, on the route's
    own thread (a gap answer: ~0.5 ms less per request). Lists come as bytes from a TypeAdapter.
    """
    body = answer if isinstance(answer, bytes) else answer.model_dump_json(by_alias=True)
    return Response(body, media_type="application/json")


class _Lane:
    """One thread running calls one at a time, each result handed straight to the event loop awaiting it.

    Not a one-thread ThreadPoolExecutor: `run_in_executor` chains a concurrent future to an
    asyncio future through callbacks and locks, ~27 us of the loop's CPU per call on one CPU
    (57-63 against 31-34 us for a trivial call), and py-spy put 8 % of a gap server's GIL time
    in that chaining.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], asyncio.AbstractEventLoop, asyncio.Future]] = (
            queue.SimpleQueue())
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    async def run(self, call: Callable[[], R]) -> R:
        """Queue `call` on the lane's thread and wait for its result (or its exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        if self._thread is None:
            self._start()
        self._jobs.put((call, loop, future))
        return await future

    def _start(self) -> None:
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()

    def _work(self) -> None:
        """Run the queued calls in turn; skip those whose request was cancelled while they waited."""
        while True:
            call, loop, future = self._jobs.get()
            if future.cancelled():
                continue
            try:
                result, error = call(), None
            except BaseException as err:  # delivered to the awaiting request, as an executor would
                result, error = None, err
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop has closed: nobody is waiting
                pass


def _settle(future: asyncio.Future, result: object, error: BaseException | None) -> None:
    """Give a lane's result to its future, unless the request gave up meanwhile."""
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def one_at_a_time(name: str) -> Callable[[Callable[P, R]], Callable[P, Awaitable[R]]]:
    """A lane: run a plain route on the lane's one thread, one request at a time (the rest queue).

    Answers computed in process (plans, lookups, lists) are Python under the GIL: running
    several at once is no faster, and the threads fight over the GIL with each other and with
    the event loop. With 8 clients at S = 1000, lookups went from ~450 to ~1000 requests/s
    and their p99 from 45 to 15 ms. The lane has its own thread, not anyio's thread pool
    with a capacity limiter: anyio's hand-over (a pure-Python queue and limiter) cost ~0.4 ms
    of CPU per request on this VM, and gaps over HTTP at S = 1000 went from 460-620 to
    550-900 answers/s with one client and from 560-610 to 660-1030 with 8. Routes that wait
    on other processes or the disk (SPARQL, Graph Store, imports), /health and coverage
    (cached bytes, but built for minutes on a first call at 10 000 roles) keep FastAPI's pool.
    """
    lane = _Lane(name)

    def decorate(route: Callable[P, R]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(route)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            return await lane.run(functools.partial(contextvars.copy_context().run, route, *args, **kwargs))
        return run
    return decorate


planning_lane = one_at_a_time("planning")
"""Gaps and ladders: a plan may run up to the planner's time limit, and only other plans wait for it."""
reading_lane = one_at_a_time("reading")
"""Lookups and lists: milliseconds each, never behind a plan."""


def absolute_iri(value: str) -> str:
    """Expand a prefixed name and check that the result is an absolute IRI.

    :raises ValueError: naming the value, so the request gets a 422 saying what was wrong.
    """
    iri = expand(value)
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise ValueError(f"{value!r} is neither an absolute IRI nor a known prefixed name ({err})") from None
    return iri


Iri = Annotated[str, AfterValidator(absolute_iri)]
"""A parameter holding an IRI or prefixed name, arriving expanded; anything else is a 422."""
