"""JSON routes of registry events: record one, record a batch file, read one back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, Response

from tepat.errors import InvalidInput
from tepat.registry import event_batch, events
from tepat.registry.event_schemas import EventIn
from tepat.registry.schemas import BatchSummary, EventRecord, EventResult
from tepat.web.deps import Caller, DbSession

router = APIRouter(tags=["registry"])

_WRITE_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the token is expired or revoked."},
    403: {"description": "Your role does not record events, or the region is not yours."},
    404: {"description": "A household or person of the event is not in your regions."},
    409: {"description": "A stale expected_version, a reused event_id, a NIK/KK in use, ..."},
    422: {"description": "An impossible event (dates, codes, members); `field` names the input."},
}
_FORMATS = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "application/json": "jsonl",
    "text/plain": "jsonl",
}
_EXAMPLE = {
    "event_id": "dukcapil-2026-000123",
    "type": "birth",
    "effective_date": "2026-11-02",
    "household_id": 42,
    "full_name": "Putri Aminah",
    "sex": "F",
    "mother_id": 101,
    "expected_version": 3,
}


@router.post(
    "/events",
    status_code=201,
    summary="Record a life event",
    responses={
        200: {
            "description": "The same event was recorded before: its first result.",
            "model": EventResult,
        },
        **_WRITE_REFUSALS,
    },
)
def post_event(
    event: Annotated[EventIn, Body(openapi_examples={"birth": {"value": _EXAMPLE}})],
    db: DbSession,
    caller: Caller,
    response: Response,
) -> EventResult:
    """Apply one event (birth, death, move, marriage, divorce, split, economic_change,
    update_household, new_household, remove_household, remove_member) in one transaction.

    Village operators and district offices record events of households in their regions. Send
    the household's `version` you read as `expected_version`: if someone changed it meanwhile
    the answer is 409 and nothing is written. Sending the same `event_id` again returns the
    first result (200, `duplicate: true`) and changes nothing. See docs/EVENTS.md.
    """
    result = events.apply_event(
        db=db, principal=caller.principal, event=event, source="operator", purpose=caller.purpose
    )
    if result.duplicate:
        response.status_code = 200
    return result


async def _body(request: Request) -> bytes:
    return await request.body()


@router.post(
    "/events/batch",
    summary="Record a batch of events (JSON lines or CSV)",
    responses={
        401: _WRITE_REFUSALS[401],
        403: {"description": "Your role does not record events."},
        415: {"description": "The body is neither JSON lines nor CSV."},
        422: {"description": "The body is not UTF-8 text."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string"},
                    "example": '{"event_id": "d-1", "type": "death", "effective_date": '
                    '"2026-10-30", "person_id": 101}\n',
                },
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "event_id,type,effective_date,person_id\nd-1,death,2026-10-30,101\n",
                },
            },
        }
    },
)
def post_batch(
    body: Annotated[bytes, Depends(_body)],
    request: Request,
    db: DbSession,
    caller: Caller,
    format: Annotated[
        str | None,
        Query(pattern="^(jsonl|csv)$", description="Overrides the Content-Type: jsonl or csv."),
    ] = None,
) -> BatchSummary:
    """Apply a civil-registry style file, one event a line, each with its `event_id`.

    A bad line is rejected with its line number and reason and the others are applied; lines
    whose `event_id` was applied before count as duplicates, so sending a file again applies
    nothing new. JSON lines (`application/x-ndjson`): one event object a line. CSV (`text/csv`):
    a header of field names, one event a row, nested fields (`members`, `household_changes`,
    `person_changes`) as JSON in their cell. Larger files: `tepat events import`.
    """
    events.require_writer(caller.principal)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = format or _FORMATS.get(kind)
    if fmt is None:
        given = kind[:60] or "no content type"
        raise HTTPException(
            415, f"send the batch as application/x-ndjson (JSON lines) or text/csv, not {given}"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the batch is not UTF-8 text", code="not_utf8", field="body") from None
    return event_batch.apply_batch(
        db=db,
        principal=caller.principal,
        lines=event_batch.read_lines(text, fmt),
        source="operator",
        purpose=caller.purpose,
    )


@router.get(
    "/events/{event_id}",
    summary="Read a recorded event",
    responses={
        401: _WRITE_REFUSALS[401],
        404: {"description": "No such event in your regions."},
    },
)
def get_event(
    event_id: Annotated[str, Path(min_length=1, max_length=64, examples=["dukcapil-2026-000123"])],
    db: DbSession,
    caller: Caller,
) -> EventRecord:
    """An event as it was sent and what it did, if its household's region (or, for a hand-over,
    the receiving region) is yours."""
    return events.get_event(
        db=db, principal=caller.principal, event_id=event_id, purpose=caller.purpose
    )
