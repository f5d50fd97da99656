"""Wire the pages into the service app: static files, every view module's router, HTML errors,
and a ``Server-Timing`` header (the server time of a page, read by bench/pages_1m.py)."""

from __future__ import annotations

import importlib
import pkgutil
import time

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tepat.pages import views
from tepat.pages.errors import install_page_errors


class ServerTiming:
    """Add ``Server-Timing: app;dur=<ms>`` (time to the response's start) to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


def view_modules() -> list[str]:
    """The modules of ``tepat.pages.views`` (each defines a ``router``), in name order."""
    return sorted(m.name for m in pkgutil.iter_modules(views.__path__, views.__name__ + "."))


def install(app: FastAPI) -> None:
    """Add the pages to ``app`` (after the API's routers and error handlers)."""
    app.mount("/static", StaticFiles(packages=[("tepat.pages", "static")]), name="static")
    for name in view_modules():
        app.include_router(importlib.import_module(name).router, include_in_schema=False)
    install_page_errors(app)
    app.add_middleware(ServerTiming)
