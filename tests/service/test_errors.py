"""Bad input is a 4xx with a message a person can act on, never a 500; unexpected failures are
a 500 with a correlation id, logged without any full NIK."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tepat.errors import Conflict, Forbidden, InvalidInput, NotFound, TepatError, Unauthorized
from tepat.web.errors import status_for
from tepat.web.logmask import MaskIdentifiersFilter

from .conftest import SIXTEEN_DIGITS, VILLAGE_C, World, assert_error

H = "/api/v1/households"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"size": "10000"}, "size"),
        ({"size": "-1"}, "size"),
        ({"village": "11.12.01"}, "village"),  # a district, not a village
        ({"village": "99.99.99.9999"}, "village"),
        ({"village": "not a code"}, "village"),
        ({"q": "x"}, "q"),
        ({"q": "111201450590000"}, "q"),  # 15 digits
        ({"q": "a" * 101}, "q"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_field(
    world: World, params: dict[str, str], field: str
) -> None:
    error = assert_error(world.get(H, "admin", params=params), 422)
    assert error["field"] == field, error


@pytest.mark.parametrize("path", [f"{H}/abc", f"{H}/0", f"{H}/{2**64}", "/api/v1/people/-3"])
def test_bad_ids_are_422(world: World, path: str) -> None:
    error = assert_error(world.get(path, "admin"), 422)
    assert error["field"] in ("household_id", "person_id")


def test_a_too_long_purpose_is_422(world: World) -> None:
    error = assert_error(world.get(H, "admin", headers={"X-Purpose": "x" * 201}), 422)
    assert error["field"] == "X-Purpose" or error["field"].lower() == "x-purpose"


def test_a_village_outside_the_scope_is_403(world: World) -> None:
    assert_error(world.get(H, "op-a", params={"village": VILLAGE_C}), 403, "out_of_scope")


def test_malformed_json_is_400(world: World) -> None:
    response = world.client.post(
        "/api/v1/auth/token",
        content=b'{"username": "op-a", ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "malformed_json")


def test_a_body_that_is_not_an_object_is_422(world: World) -> None:
    assert_error(world.client.post("/api/v1/auth/token", json=["op-a"]), 422)
    assert_error(
        world.client.post(
            "/api/v1/auth/token", json={"username": "a", "password": "b", "extra": 1}
        ),
        422,
    )


def test_an_oversized_body_is_413(world: World) -> None:
    big = b'{"username": "' + b"a" * 70_000 + b'", "password": "x"}'
    response = world.client.post(
        "/api/v1/auth/token", content=big, headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, 413, "body_too_large")
    assert "64,000 bytes" in error["message"]


def test_an_oversized_chunked_body_is_413(world: World) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(20):
            yield b"a" * 5000
        yield b'", "password": "x"}'

    response = world.client.post(
        "/api/v1/auth/token", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "body_too_large")


def test_unknown_routes_and_methods_answer_in_the_error_format(world: World) -> None:
    assert_error(world.get("/api/v1/nothing-here", "admin"), 404, "not_found")
    assert_error(world.client.delete(H, headers=world.auth("admin")), 405, "method_not_allowed")


def test_every_response_carries_a_request_id(world: World) -> None:
    response = world.client.get("/health", headers={"X-Request-ID": "trace-12345678"})
    assert response.headers["x-request-id"] == "trace-12345678"
    response = world.client.get("/health", headers={"X-Request-ID": "bad id!"})
    assert len(response.headers["x-request-id"]) == 32


def test_an_unexpected_error_is_a_500_with_a_correlation_id_and_a_masked_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    app = world.client.app

    @app.get("/boom-test")  # type: ignore[attr-defined, untyped-decorator]
    def boom() -> None:
        logging.getLogger("tepat.test").warning("about to fail for NIK %s", "1112014505900001")
        raise RuntimeError("failed on NIK 1112014505900001 in KK 1112011501200001")

    try:
        with caplog.at_level(logging.INFO):
            response = world.client.get("/boom-test")
            world.get(H, "admin", params={"q": world.niks["siti-ha"]})
    finally:
        app.router.routes.pop()  # type: ignore[attr-defined]
    error = assert_error(response, 500, "internal_error")
    rid = error["correlation_id"]
    assert rid in error["message"] and response.headers["x-request-id"] == rid
    assert not SIXTEEN_DIGITS.search(response.text)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures and rid in failures[0].getMessage()
    assert "RuntimeError" in (failures[0].exc_text or "")
    for record in caplog.records:
        assert not SIXTEEN_DIGITS.search(record.getMessage()), record.getMessage()
        assert not SIXTEEN_DIGITS.search(record.exc_text or ""), record.exc_text
    assert any("1112********0001" in r.getMessage() for r in caplog.records)


def test_the_filter_masks_records_made_before_masking_was_installed() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "nik=%s n=%d", ("3201014505900001", 7), None
    )
    object.__setattr__(record, "_tepat_masking", False)
    assert MaskIdentifiersFilter().filter(record)
    assert record.getMessage() == "nik=3201********0001 n=7"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unauthorized("x"), 401),
        (Forbidden("x"), 403),
        (NotFound("x"), 404),
        (Conflict("x"), 409),
        (InvalidInput("x"), 422),
        (TepatError("x"), 400),
    ],
)
def test_domain_errors_map_to_statuses(error: TepatError, status: int) -> None:
    assert status_for(error) == status


def test_a_content_length_that_is_not_a_number_is_400(world: World) -> None:
    import asyncio

    from tepat.web.errors import BodyLimitAndCorrelation

    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:  # pragma: no cover
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    middleware = BodyLimitAndCorrelation(app, max_body_bytes=10)  # type: ignore[arg-type]
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [(b"content-length", b"x")]}
    asyncio.run(middleware(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 400
