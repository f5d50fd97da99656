"""Pagination: the ``page``/``size`` query parameters and the ``Page`` envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

T = TypeVar("T")
MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of matches in the caller's scope."""

    items: list[T]
    total: int = Field(description="Matches in your scope, over all pages.", examples=[123])
    page: int = Field(examples=[1])
    size: int = Field(examples=[50])


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page of a list to return."""

    page: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.size


def page_request(
    page: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.", examples=[1])
    ] = 1,
    size: Annotated[
        int,
        Query(
            ge=1, le=MAX_PAGE_SIZE, description=f"Rows per page (1-{MAX_PAGE_SIZE}).", examples=[50]
        ),
    ] = 50,
) -> PageRequest:
    """The ``page`` and ``size`` query parameters."""
    return PageRequest(page, size)


Pagination = Annotated[PageRequest, Depends(page_request)]
