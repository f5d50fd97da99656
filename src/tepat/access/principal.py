"""Who is calling: a frozen ``Principal`` with its role and regions, and the scope rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from tepat.access.roles import AUDIT_READERS, NATIONAL, ROLE_INFO, Role, code_covers
from tepat.errors import Forbidden
from tepat.reference.kk import mask_kk
from tepat.reference.nik import mask_nik


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller (or the anonymous public).

    ``regions`` are dotted Kemendagri codes or ``ID`` (everything); a region covers itself and
    every code below it.
    """

    user_id: int | None
    username: str
    role: Role
    regions: tuple[str, ...] = ()

    @property
    def is_anonymous(self) -> bool:
        """True for the public (no account)."""
        return self.user_id is None

    @property
    def is_national(self) -> bool:
        """True when the principal's scope is the whole country."""
        return NATIONAL in self.regions

    @property
    def may_see_identity(self) -> bool:
        """May see full NIK and KK numbers (everyone but program_manager and public)."""
        return ROLE_INFO[self.role].sees_identity

    @property
    def may_read_audit(self) -> bool:
        """May read the audit log (auditor, national_admin)."""
        return self.role in AUDIT_READERS

    @property
    def default_purpose(self) -> str:
        """The purpose recorded in the audit log when the caller gives none."""
        return ROLE_INFO[self.role].default_purpose

    def covers(self, code: str | None) -> bool:
        """True when one of the principal's regions is ``code`` or contains it."""
        if code is None:
            return self.is_national
        return any(code_covers(held, code) for held in self.regions)

    def sql_scope(
        self, column: Any, *, levels: Mapping[int, Any] | None = None
    ) -> ColumnElement[bool]:
        """A condition restricting a dotted region-code column to the principal's regions.

        By default a prefix match on ``column`` (``code = r OR code LIKE 'r.%'``). Tables that
        also store each level's code can pass ``levels`` (dotted length -> column, e.g.
        ``{5: Household.regency_code}``) so a region is matched by equality on its own level's
        indexed column instead.
        """
        if self.is_national:
            return true()
        if not self.regions:
            return false()
        conditions = []
        for r in self.regions:
            own = None if levels is None else levels.get(len(r))
            if own is not None:
                conditions.append(own == r)
            else:
                conditions.append(or_(column == r, column.startswith(r + ".")))
        return or_(*conditions)

    def require_covers(self, code: str, *, field: str | None = None) -> None:
        """Raise :class:`Forbidden` unless the principal holds ``code`` (actions on a region)."""
        if not self.covers(code):
            held = ", ".join(self.regions) or "no region"
            raise Forbidden(
                f"region {code} is outside your account's scope ({held}); ask an administrator "
                "to assign it if you need it",
                code="out_of_scope",
                field=field,
            )

    def nik(self, value: str | None) -> str | None:
        """A NIK as this principal may see it: full, or masked (``3201********0001``)."""
        if value is None or self.may_see_identity:
            return value
        return mask_nik(value)

    def kk(self, value: str | None) -> str | None:
        """A KK number as this principal may see it: full, or masked."""
        if value is None or self.may_see_identity:
            return value
        return mask_kk(value)


ANONYMOUS = Principal(user_id=None, username="anonymous", role="public", regions=())
