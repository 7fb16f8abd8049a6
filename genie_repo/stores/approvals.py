"""Approvals: a tool call waits for a human yes/no. Resolution is a compare-and-set."""

from __future__ import annotations

import uuid
from datetime import datetime

from genie_repo.errors import Conflict, InvalidInput, NotFound
from genie_repo.models.approvals import Approval, ApprovalStatus, NewApproval, Resolution
from genie_repo.models.base import parse_input, require_id
from genie_repo.stores.base import Store
from genie_repo.stores.limits import check_limit
from genie_repo.timestamps import require_utc

TTL_REAPER = "system:ttl-reaper"


class ApprovalStore(Store):
    """Create, list and resolve approvals. Only a pending, unexpired approval can be resolved,
    and of any number of concurrent resolvers exactly one succeeds."""

    QUERIES = (
        "approvals.insert",
        "approvals.find",
        "approvals.list_by_thread",
        "approvals.list_by_tenant",
        "approvals.list_by_status",
        "approvals.list_pending",
        "approvals.resolve",
        "approvals.expire_stale",
    )
    IDEMPOTENT_METHODS = frozenset({
        "get", "list_by_thread", "list_by_tenant", "list_by_status", "list_pending",
        "expire_stale",
    })

    def create(
        self,
        *,
        thread_id: str,
        run_id: str,
        tool_name: str,
        args: str = "",
        tenant_id: str = "",
        created_by: str = "",
        sender_context: str = "",
        question: str = "",
        expires_at: datetime | None = None,
        id: str | None = None,
    ) -> Approval:
        """Insert a pending approval (a uuid4 id unless given); a taken id is Conflict."""
        new = parse_input(
            NewApproval,
            id=str(uuid.uuid4()) if id is None else id,
            thread_id=thread_id,
            run_id=run_id,
            tool_name=tool_name,
            args=args,
            tenant_id=tenant_id,
            created_by=created_by,
            sender_context=sender_context,
            question=question,
            expires_at=expires_at,
        )
        row = self.db.fetch_one(
            "approvals.insert", {**new.model_dump(), "created_at": self.now()}
        )
        return Approval.model_validate(row)

    def get(self, approval_id: str) -> Approval:
        """The approval with this id; NotFound when there is none."""
        row = self.db.fetch_one("approvals.find", {"id": require_id(approval_id, "approval id")})
        if row is None:
            raise NotFound(f"approval {approval_id!r} not found")
        return Approval.model_validate(row)

    def list_by_thread(self, thread_id: str, *, limit: int = 100) -> list[Approval]:
        """Newest first."""
        return self._list("approvals.list_by_thread",
                          {"thread_id": require_id(thread_id, "thread_id")}, limit)

    def list_by_tenant(self, tenant_id: str, *, limit: int = 100) -> list[Approval]:
        """Newest first. The empty tenant is a tenant like any other."""
        if not isinstance(tenant_id, str):
            raise InvalidInput("tenant_id must be a string")
        return self._list("approvals.list_by_tenant", {"tenant_id": tenant_id}, limit)

    def list_by_status(self, status: ApprovalStatus | str, *, limit: int = 100) -> list[Approval]:
        """Newest first."""
        return self._list("approvals.list_by_status", {"status": _status(status)}, limit)

    def list_pending(self, *, limit: int = 100) -> list[Approval]:
        """Pending approvals that have not expired, newest first (restart recovery)."""
        return self._list("approvals.list_pending", {"now": self.now()}, limit)

    def resolve(
        self,
        approval_id: str,
        *,
        status: ApprovalStatus | str,
        resolved_by: str,
        feedback: str = "",
    ) -> Approval:
        """Approve or reject. Conflict when the approval is no longer pending or has expired;
        NotFound when it does not exist."""
        require_id(approval_id, "approval id")
        resolution = parse_input(
            Resolution, status=_status(status), resolved_by=resolved_by, feedback=feedback
        )
        if resolution.status not in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
            raise InvalidInput("an approval resolves to 'approved' or 'rejected'")
        row = self.db.fetch_one(
            "approvals.resolve",
            {**resolution.model_dump(), "id": approval_id, "now": self.now()},
        )
        if row is not None:
            return Approval.model_validate(row)
        current = self.get(approval_id)  # NotFound when missing
        reason = "expired" if current.status is ApprovalStatus.PENDING else current.status.value
        raise Conflict(f"approval {approval_id!r} cannot be resolved: it is {reason}")

    def expire_stale(self, now: datetime | None = None) -> int:
        """Mark pending approvals whose expiry has passed as expired; returns how many."""
        moment = self.now() if now is None else require_utc(now, "now")
        return self.db.execute(
            "approvals.expire_stale", {"now": moment, "resolved_by": TTL_REAPER}
        )

    def _list(self, name: str, params: dict[str, object], limit: int) -> list[Approval]:
        rows = self.db.fetch_all(name, {**params, "limit": check_limit(limit)})
        return [Approval.model_validate(row) for row in rows]


def _status(value: object) -> str:
    """The status value of an ApprovalStatus or its string, else InvalidInput."""
    if isinstance(value, str) and value in ApprovalStatus._value2member_map_:
        return ApprovalStatus(value).value
    shown = repr(value) if isinstance(value, str) else f"of type {type(value).__name__}"
    raise InvalidInput(  # never repr() an arbitrary object: it may be huge or recurse forever
        f"unknown approval status {shown}; one of " + ", ".join(s.value for s in ApprovalStatus)
    )
