"""The DCI sync search envelope ``{signature, header, message}``: request and response models.

Field names follow ``dci_social_registry_api_v1.0.0.yaml`` (SearchRequest, SearchResponse,
MsgHeader_V1.0.0, MsgCallbackHeader_V1.0.0). Request models allow unknown keys, as the spec's
objects do (extensions); ``reg_type``, ``reg_sub_type`` and ``reg_record_type`` come from newer
DCI registries and are accepted alongside the v1.0.0 ``reg_event_type``/``response_entity``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

DCI_VERSION = "1.0.0"
REG_TYPE = "ns:org:RegistryType:Social"
MAX_ID_LENGTH = 99  # the spec's maxLength of transaction_id and correlation_id
MAX_PAGE_SIZE = 500
MAX_PAGE_NUMBER = 1_000_000  # keeps offsets inside a BIGINT
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH_REQUESTS = 50

Status = Literal["rcvd", "pdng", "succ", "rjct"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- request -------------------------------------------------------------------------------


class RequestHeader(_Open):
    """MsgHeader_V1.0.0 with action ``search``."""

    version: StrictStr = Field(default=DCI_VERSION, examples=[DCI_VERSION])
    message_id: StrictStr = Field(min_length=1, max_length=MAX_ID_LENGTH, examples=["msg-0001"])
    message_ts: StrictStr = Field(
        description="ISO 8601 date-time with a time zone.", examples=["2026-11-28T09:30:00+07:00"]
    )
    action: StrictStr = Field(examples=["search"])
    sender_id: StrictStr = Field(min_length=1, max_length=200, examples=["pkh.kemensos.go.id"])
    sender_uri: StrictStr | None = None
    receiver_id: StrictStr | None = Field(default=None, examples=["tepat"])
    total_count: StrictInt = Field(description="Number of search_request items.", examples=[1])
    is_msg_encrypted: StrictBool = Field(default=False, description="Must be false (v1).")
    meta: dict[str, Any] | None = None


class Purpose(_Open):
    """The purpose part of a consent or authorize object."""

    text: StrictStr | None = None
    code: StrictStr | None = None
    ref_uri: StrictStr | None = None


class ConsentOrAuthorize(_Open):
    """``consent`` / ``authorize``: only ``purpose`` is read (it goes to the audit log)."""

    ts: StrictStr | None = None
    purpose: Purpose | StrictStr | None = None


class SortItem(BaseModel):
    """One sort key."""

    attribute_name: StrictStr = Field(examples=["birth_date"])
    sort_order: Literal["asc", "desc"] = "asc"


class PaginationIn(BaseModel):
    """Pagination of one search request (pages count from 1)."""

    page_size: int = Field(ge=1, le=MAX_PAGE_SIZE, examples=[DEFAULT_PAGE_SIZE])
    page_number: int = Field(default=1, ge=1, le=MAX_PAGE_NUMBER, examples=[1])


class SearchCriteria(_Open):
    """What to search: a query of one of the spec's query types, and how to page and sort."""

    version: StrictStr = DCI_VERSION
    reg_type: StrictStr | None = Field(default=None, examples=[REG_TYPE])
    reg_sub_type: StrictStr | None = None
    reg_event_type: StrictStr | None = None
    reg_record_type: StrictStr | None = Field(default=None, examples=["spdci:Member"])
    response_entity: Literal["Group", "Member"] | None = None
    query_type: StrictStr = Field(examples=["idtype-value"])
    query: Any = Field(examples=[{"type": "NIK", "value": "1112014505900001"}])
    sort: list[SortItem] | None = Field(default=None, max_length=3)
    pagination: PaginationIn | None = None
    consent: ConsentOrAuthorize | None = None
    authorize: ConsentOrAuthorize | None = None


class SearchRequestItem(_Open):
    """One search of a batch, answered on its own."""

    reference_id: StrictStr = Field(min_length=1, max_length=MAX_ID_LENGTH, examples=["ref-1"])
    timestamp: StrictStr = Field(examples=["2026-11-28T09:30:00+07:00"])
    search_criteria: SearchCriteria
    locale: Any = Field(default=None, description="Accepted and ignored (answers are English).")


class SearchRequestMessage(_Open):
    """SearchRequest: a transaction of one or more searches."""

    transaction_id: StrictStr = Field(min_length=1, max_length=MAX_ID_LENGTH)
    search_request: list[SearchRequestItem] = Field(min_length=1, max_length=MAX_SEARCH_REQUESTS)


class SyncSearchRequest(_Open):
    """The request body of ``/registry/sync/search`` (documentation; parsed in two steps)."""

    signature: StrictStr | None = Field(default=None, description="Not verified (see DCI.md).")
    header: RequestHeader
    message: SearchRequestMessage


class Envelope(_Open):
    """First parsing step: the envelope, with the message's items left raw."""

    signature: StrictStr | None = None
    header: RequestHeader
    message: dict[str, Any]


class MessageIn(_Open):
    """Second parsing step: the message, each item still raw (parsed one by one)."""

    transaction_id: StrictStr = Field(min_length=1, max_length=MAX_ID_LENGTH)
    search_request: list[Any] = Field(min_length=1)


# -- response ------------------------------------------------------------------------------


class ResponseHeader(BaseModel):
    """MsgCallbackHeader_V1.0.0 with action ``on-search``."""

    version: str = DCI_VERSION
    message_id: str = Field(description="The request's message_id (when it had one).")
    message_ts: str
    action: Literal["on-search"] = "on-search"
    status: Status
    status_reason_code: str | None = Field(
        default=None, description="A MsgHeaderStatusReasonCode when the message is rejected."
    )
    status_reason_message: str | None = Field(default=None, max_length=999)
    total_count: int = 0
    completed_count: int = 0
    sender_id: str = "tepat"
    receiver_id: str | None = None
    is_msg_encrypted: bool = False


class PaginationOut(BaseModel):
    """The page answered and the total number of matching records."""

    page_size: int
    page_number: int
    total_count: int


class SearchData(BaseModel):
    """The records found (see docs/DCI.md for the Member and Group record shapes)."""

    version: str = DCI_VERSION
    reg_type: str = REG_TYPE
    reg_record_type: str = Field(examples=["spdci:Member"])
    reg_records: list[dict[str, Any]]


class SearchResponseItem(BaseModel):
    """The answer to one search request: succ with data, or rjct with a reason code."""

    reference_id: str
    timestamp: str
    status: Status
    status_reason_code: str | None = Field(default=None, description="A SearchStatusReasonCode.")
    status_reason_message: str | None = Field(default=None, max_length=999)
    data: SearchData | None = None
    pagination: PaginationOut | None = None


class SearchResponseMessage(BaseModel):
    """SearchResponse: one answer per search request, in request order."""

    transaction_id: str
    correlation_id: str = Field(description="This service's request id (X-Request-ID).")
    search_response: list[SearchResponseItem]


class SyncSearchResponse(BaseModel):
    """The response body: ``signature`` (empty: responses are not signed), header, message."""

    signature: str = ""
    header: ResponseHeader
    message: SearchResponseMessage | None = None
