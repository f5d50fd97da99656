"""Wire the pages into the service app: static files, every view module's router, HTML errors,
and a ``Server-Timing`` header (the server time of a page, read by bench/pages_1m.py)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tepat.pages import views
from tepat.pages.errors import install_page_errors
from tepat.pages.i18n import LANGS, catalogue
from tepat.pages.queries.explain import warm_release_pages
from tepat.pages.render import environment
from tepat.reference.regions import regions

log = logging.getLogger("tepat.pages")


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


def warm_up(data_dir: Path, done: threading.Event | None = None) -> threading.Thread:
    """Do at start-up, in the background, what the first request would otherwise pay for:
    compile every template, read both message catalogues and the region list, and open the
    current release for the household pages; then set ``done`` (``/ready`` waits for it)."""

    def run() -> None:
        release = warm_release_pages(data_dir)
        try:
            env = environment()
            for name in env.list_templates(extensions=["html"]):
                env.get_template(name)
            for lang in LANGS:
                catalogue(lang)
            regions()
            if release is not None:
                release.join()
        except Exception:  # a page that needs it reports the error itself
            log.warning("warming up the pages failed", exc_info=True)
        finally:
            if done is not None:
                done.set()

    thread = threading.Thread(target=run, name="tepat-pages-warm", daemon=True)
    thread.start()
    return thread


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
