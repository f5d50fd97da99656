"""API input and output of sign-in and the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tepat.web.types import UtcDateTime


class LoginIn(BaseModel):
    """A username and password."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "demo-operator", "password": "..."}]},
    )

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    """A bearer token, shown once."""

    access_token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_at: UtcDateTime = Field(description="UTC.")
    username: str
    role: str


class MeOut(BaseModel):
    """The signed-in account as the service sees it."""

    username: str = Field(examples=["demo-operator"])
    role: str = Field(examples=["village_operator"])
    regions: list[str] = Field(examples=[["11.12.01.2001"]])
    may_see_identity: bool = Field(description="Full NIK/KK shown (else masked).")
    default_purpose: str = Field(description="Recorded in the audit log when X-Purpose is absent.")
    token_expires_at: UtcDateTime | None = Field(description="UTC.")


class AuditEntryOut(BaseModel):
    """One audit log entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: UtcDateTime = Field(description="UTC.")
    actor: str
    role: str
    action: str = Field(examples=["registry.household.read"])
    entity: str | None
    entity_id: str | None
    region_code: str | None
    purpose: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str
