"""Our DCI messages against the DCI Social Registry API v1.0.0 itself.

Loads ``../shared/spec/dci_social_registry_api_v1.0.0.yaml`` when it is there (skips
otherwise) and validates our example request, the requests the tests send and real answers of
the service against the spec's schemas for ``/registry/sync/search``. Two relaxations (see
docs/DCI.md): the spec's ``oneOf``s are read as ``anyOf``, since several of its alternatives
overlap (an integer is both an ``integer`` and a ``number``; an identifier query
``{type, value: {...}}`` fits two branches); and its ``$ref`` pointers that run through another
``$ref`` (not valid JSON pointers) are followed through it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tepat.interop import envelope as envelope_codes
from tepat.interop import query as query_codes
from tepat.interop.api import EXAMPLE_REQUEST

from .conftest import World
from .test_dci import by_id, envelope, expr, item, post, where

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

SPEC = Path(__file__).resolve().parents[3] / "shared/spec/dci_social_registry_api_v1.0.0.yaml"
OPERATION = "#/paths/~1registry~1sync~1search/post"
REQUEST = OPERATION + "/requestBody/content/application~1json/schema"
RESPONSE = OPERATION + "/responses/default/content/application~1json/schema"


def _relax(node: Any) -> Any:
    """Every ``oneOf`` as ``anyOf``, including inside the spec's own ``$ref`` pointers."""
    if isinstance(node, dict):
        return {
            ("anyOf" if k == "oneOf" else k): v.replace("/oneOf/", "/anyOf/")
            if k == "$ref"
            else _relax(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_relax(v) for v in node]
    return node


def _step(node: Any, segment: str) -> Any:
    key = segment.replace("~1", "/").replace("~0", "~")
    return node[int(key)] if isinstance(node, list) else node[key]


def _through_refs(spec: dict[str, Any], pointer: str) -> str:
    """``pointer`` made valid: some of the spec's pointers run through another ``$ref``."""
    path: list[str] = []
    node: Any = spec
    for segment in pointer.removeprefix("#/").split("/"):
        key = segment.replace("~1", "/").replace("~0", "~")
        while isinstance(node, dict) and key not in node and "$ref" in node:
            path = node["$ref"].removeprefix("#/").split("/")
            node = spec
            for part in path:
                node = _step(node, part)
        node = _step(node, segment)
        path.append(segment)
    return "#/" + "/".join(path)


def _fix_refs(node: Any, spec: dict[str, Any]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            node["$ref"] = _through_refs(spec, node["$ref"])
        for value in node.values():
            _fix_refs(value, spec)
    elif isinstance(node, list):
        for value in node:
            _fix_refs(value, spec)


@cache
def _spec() -> dict[str, Any]:
    if not SPEC.exists():
        pytest.skip(f"the DCI spec is not at {SPEC}")
    spec: dict[str, Any] = _relax(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    _fix_refs(spec, spec)
    return spec


def _validate(pointer: str, instance: Any) -> None:
    # The whole document is the root, so the spec's own "#/paths/..." references resolve.
    schema = {**_spec(), "$ref": pointer}
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def _enum(name: str) -> set[str]:
    return set(_spec()["components"]["schemas"][name]["enum"])


REQUESTS = [
    EXAMPLE_REQUEST,
    envelope(by_id("NIK", "1112014505900001"), by_id("KK", "1112011501200001", ref="r2")),
    envelope(
        where(
            expr("region_code", "eq", "11.12"),
            expr("group_size", "ge", 2),
            response_entity="Group",
            sort=[{"attribute_name": "region_code", "sort_order": "desc"}],
            pagination={"page_size": 2, "page_number": 1},
            consent={"ts": "2026-11-28T09:30:00+07:00", "purpose": {"text": "PKH", "code": "pkh"}},
        )
    ),
    envelope(
        item(
            "expression",
            {
                "type": "ns:org:QueryType:NoSql",
                "value": {"expression": {"collection": "Member", "query": {"sex": "female"}}},
            },
        )
    ),
]


@pytest.mark.parametrize("request_body", REQUESTS, ids=["example", "ids", "predicate", "expr"])
def test_our_requests_follow_the_spec(request_body: dict[str, Any]) -> None:
    _validate(REQUEST, request_body)


def test_our_answers_follow_the_spec(world: World) -> None:
    bodies = [
        post(world, "admin", EXAMPLE_REQUEST),
        post(world, "admin", REQUESTS[1]),
        post(world, "admin", REQUESTS[2]),
        post(world, "program", REQUESTS[3]),
        post(world, "admin", envelope(by_id("KK", world.kks["ha"]), by_id("X", "1", ref="r2"))),
        post(world, "admin", envelope(where(expr("income", "lt", 5)))),  # 400: all rejected
        post(world, "admin", envelope(by_id("NIK", "1"), action="subscribe")),  # 400: header
    ]
    assert [b.status_code for b in bodies] == [200, 200, 200, 200, 200, 400, 400]
    for response in bodies:
        _validate(RESPONSE, response.json())
    found = bodies[1].json()["message"]["search_response"]
    assert [len(a["data"]["reg_records"]) for a in found] == [1, 1]


def test_every_code_we_answer_with_is_one_of_the_specs() -> None:
    item_codes = {
        v for k, v in vars(query_codes).items() if k.isupper() and str(v).startswith("rjct.")
    }
    assert item_codes and item_codes <= _enum("SearchStatusReasonCode")
    assert _enum("MsgHeaderStatusReasonCode") >= envelope_codes.HEADER_CODES
    errors = set(_spec()["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    used = {v for k, v in vars(envelope_codes).items() if k.isupper() and str(v).startswith("err.")}
    assert used and used <= errors
