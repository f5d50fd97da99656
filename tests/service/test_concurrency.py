"""Many clients at once against a real server: no 5xx, no pool starvation, one audit chain."""

from __future__ import annotations

import collections
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from tepat.access import audit

from .conftest import World

CLIENTS, REQUESTS = 24, 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_concurrent_audited_reads_all_succeed_and_chain(world: World) -> None:
    port = _free_port()
    config = uvicorn.Config(world.client.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    statuses: collections.Counter[int] = collections.Counter()
    url = f"http://127.0.0.1:{port}/api/v1/households/{world.households['ha']}"

    def client() -> None:
        with httpx.Client(headers=world.auth("dinsos"), timeout=60) as http:
            for _ in range(REQUESTS):
                statuses[http.get(url).status_code] += 1

    try:
        workers = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert statuses == {200: CLIENTS * REQUESTS}
    with world.session() as db:
        check = audit.verify(db)
    assert check.ok, check
