"""Liveness and readiness, and the app factory."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tepat.config import get_settings
from tepat.db.engine import make_engine
from tepat.web.app import create_app

from .conftest import World, assert_error


def test_health_and_ready_on_a_migrated_database(world: World) -> None:
    assert world.client.get("/health").json() == {"status": "ok"}
    response = world.client.get("/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_ready_is_503_on_a_database_that_is_not_migrated(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        app = create_app(get_settings(database_url=empty_database_url), engine=engine)
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
            error = assert_error(client.get("/ready"), 503, "database_not_migrated")
            assert "tepat db upgrade" in error["message"]
    finally:
        engine.dispose()


def test_ready_is_503_when_the_database_does_not_answer() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    with TestClient(create_app(get_settings(database_url=url))) as client:
        assert client.get("/health").status_code == 200
        error = assert_error(client.get("/ready"), 503, "database_unreachable")
        assert "nobody" not in error["message"]


def test_the_openapi_document_describes_every_endpoint(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Tepat registry service"
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
