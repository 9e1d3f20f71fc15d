"""Shared request dependencies as Annotated aliases: settings, the service, the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from ..service import Service
from ..settings import Settings
from ..store import Store

LANGUAGES = ("sv", "en")


def _store(request: Request) -> Store:
    return request.app.state.store


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _service(request: Request) -> Service:
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


def _language(
    request: Request,
    lang: Annotated[str | None, Query(description="label language, sv or en (overrides Accept-Language)",
                                      pattern="^(sv|en)$")] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> str:
    return lang or negotiate_language(accept_language, request.app.state.settings.default_language)


StoreDep = Annotated[Store, Depends(_store)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ServiceDep = Annotated[Service, Depends(_service)]
LanguageDep = Annotated[str, Depends(_language)]
