"""Approvals (human-in-the-loop tool gating) and clarifying questions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import StrictStr

from genie_repo.models.base import Id, Model, UtcDatetime


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Approval(Model):
    id: str
    thread_id: str
    run_id: str
    tenant_id: str = ""
    tool_name: str
    args: str = ""
    status: ApprovalStatus = ApprovalStatus.PENDING
    created_at: datetime
    expires_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str = ""
    created_by: str = ""
    feedback: str = ""
    sender_context: str = ""
    question: str = ""


class NewApproval(Model):
    """What a caller supplies to create an approval (validated before the insert)."""

    id: Id
    thread_id: Id
    run_id: Id
    tool_name: Id
    tenant_id: StrictStr = ""
    args: StrictStr = ""
    created_by: StrictStr = ""
    sender_context: StrictStr = ""
    question: StrictStr = ""
    expires_at: UtcDatetime | None = None


class Resolution(Model):
    status: ApprovalStatus
    resolved_by: Id
    feedback: StrictStr = ""


class ClarifyStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"
    EXPIRED = "expired"


class Clarification(Model):
    id: str
    question: str
    context: str = ""
    answer: str = ""
    status: ClarifyStatus = ClarifyStatus.PENDING
    sender_context: str = ""
    created_at: datetime
    answered_at: datetime | None = None


class NewClarification(Model):
    id: Id
    question: Id
    context: StrictStr = ""
    sender_context: StrictStr = ""
