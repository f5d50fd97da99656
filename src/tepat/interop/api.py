"""The DCI Social Registry API route: ``POST /registry/sync/search``.

Mounted at ``/api/v1/dci/registry/sync/search`` (in the OpenAPI document) and at the spec's
own ``/registry/sync/search``. The body is read and checked here rather than by FastAPI, so a
malformed envelope gets the DCI answer (``header.status`` rjct with the spec's code) plus the
service's ``error`` object, with HTTP 400, instead of a generic 422.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tepat.access.principal import Principal
from tepat.access.roles import DCI_CALLERS
from tepat.interop import service
from tepat.interop.envelope import EnvelopeError, parse_envelope, rejection
from tepat.interop.schemas import SyncSearchRequest, SyncSearchResponse
from tepat.web.deps import PURPOSE_HEADER, DbSession, require_role
from tepat.web.errors import error_body
from tepat.web.logmask import request_id

router = APIRouter(tags=["dci"])
DciCaller = Annotated[Principal, Depends(require_role(*sorted(DCI_CALLERS)))]

EXAMPLE_REQUEST: dict[str, Any] = {
    "signature": "",
    "header": {
        "version": "1.0.0",
        "message_id": "msg-0001",
        "message_ts": "2026-11-28T09:30:00+07:00",
        "action": "search",
        "sender_id": "pkh.kemensos.go.id",
        "receiver_id": "tepat",
        "total_count": 2,
        "is_msg_encrypted": False,
    },
    "message": {
        "transaction_id": "txn-0001",
        "search_request": [
            {
                "reference_id": "ref-1",
                "timestamp": "2026-11-28T09:30:00+07:00",
                "search_criteria": {
                    "version": "1.0.0",
                    "reg_type": "ns:org:RegistryType:Social",
                    "query_type": "idtype-value",
                    "query": {"type": "NIK", "value": "1112014505900001"},
                    "consent": {"purpose": {"text": "verifikasi penerima PKH 2026"}},
                },
            },
            {
                "reference_id": "ref-2",
                "timestamp": "2026-11-28T09:30:00+07:00",
                "search_criteria": {
                    "version": "1.0.0",
                    "response_entity": "Member",
                    "query_type": "predicate",
                    "query": [
                        {
                            "seq_num": 1,
                            "expression1": {
                                "attribute_name": "region_code",
                                "operator": "eq",
                                "attribute_value": "11.12.01",
                            },
                            "condition": "and",
                            "expression2": {
                                "attribute_name": "birth_date",
                                "operator": "le",
                                "attribute_value": "1966-11-28",
                            },
                        }
                    ],
                    "sort": [{"attribute_name": "birth_date", "sort_order": "asc"}],
                    "pagination": {"page_size": 20, "page_number": 1},
                },
            },
        ],
    },
}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` references replaced by the definitions (no recursion)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                rest = {k: walk(v) for k, v in node.items() if k != "$ref"}
                return {**walk(defs[node["$ref"].rsplit("/", 1)[-1]]), **rest}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": _inline(SyncSearchRequest.model_json_schema()),
            "example": EXAMPLE_REQUEST,
        }
    },
}


def _answer(
    db: Session, principal: Principal, purpose: str | None, body: bytes, correlation_id: str
) -> tuple[int, dict[str, Any]]:
    try:
        envelope, message = parse_envelope(body)
    except EnvelopeError as exc:
        answer = rejection(exc, message_ts=service.now(), correlation_id=correlation_id)
        content = answer.model_dump(mode="json", exclude_none=True)
        return 400, {**error_body(exc.code, exc.message, exc.field), **content}
    response = service.sync_search(
        db=db,
        principal=principal,
        purpose=service.clean(purpose, 200),
        envelope=envelope,
        message=message,
        correlation_id=correlation_id,
    )
    content = response.model_dump(mode="json", exclude_none=True)
    if response.header.status == "succ" or response.message is None:
        return 200, content
    first = response.message.search_response[0]
    text = f"{response.header.status_reason_message}; the first: {first.status_reason_message}"
    error = error_body(first.status_reason_code or "rjct", text, "message.search_request")
    return 400, {**error, **content}


@router.post(
    "/registry/sync/search",
    summary="DCI sync search",
    response_model=None,
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={
        200: {
            "model": SyncSearchResponse,
            "description": "Answered: each search request has its own status (succ or rjct).",
        },
        400: {
            "description": "The envelope is malformed, or every search request was rejected: "
            "the body is the DCI answer (header.status rjct) plus the `error` object."
        },
        401: {"description": "Not signed in, or the token is expired or revoked."},
        403: {"description": "The account's role may not use the DCI API."},
        413: {"description": "The body is larger than the limit."},
    },
)
async def sync_search(
    request: Request,
    db: DbSession,
    principal: DciCaller,
    x_purpose: Annotated[str | None, PURPOSE_HEADER] = None,
) -> JSONResponse:
    """Search people (NIK, predicates) and families (KK) with the DCI Social Registry API
    v1.0.0 envelope `{signature, header, message}`.

    Query types: `idtype-value` (NIK, alias UIN/NationalID; KK), `predicate` and `expression`
    over `region_code`, `sex`, `birth_date`, `status` (Member) and `region_code`,
    `group_size`, `status` (Group). Results are limited to your regions: another region's
    person or family is not found. NIK/KK are masked for roles that may not see them, and
    those roles may not search by them. Every search request is written to the audit log with
    its purpose: `consent`/`authorize` `purpose.text`, else `X-Purpose`, else your role's
    default. Signatures are not verified and encrypted messages are refused (see docs/DCI.md).
    """
    body = await request.body()
    correlation_id = request_id.get() or uuid.uuid4().hex
    status, content = await run_in_threadpool(
        _answer, db, principal, x_purpose, body, correlation_id
    )
    return JSONResponse(content, status_code=status)
