"""Clarifying questions an agent asks a person; answered once, or expired."""

from __future__ import annotations

import uuid
from datetime import timedelta

from genie_repo.errors import Conflict, InvalidInput, NotFound
from genie_repo.models.approvals import Clarification, NewClarification
from genie_repo.models.base import parse_input, require_id
from genie_repo.stores.base import Store
from genie_repo.stores.limits import check_limit


class ClarificationStore(Store):
    """Only a pending clarification can be answered or expired; the loser of a race gets
    Conflict. `list_pending` lets a restarted process re-register its waiters."""

    QUERIES = (
        "clarifications.insert",
        "clarifications.find",
        "clarifications.find_pending_by_question",
        "clarifications.answer",
        "clarifications.expire",
        "clarifications.list_pending",
        "clarifications.expire_older_than",
    )
    IDEMPOTENT_METHODS = frozenset({
        "get", "find_pending_by_question", "list_pending", "expire_older_than",
    })

    def create(
        self, question: str, *, context: str = "", sender_context: str = "", id: str | None = None
    ) -> Clarification:
        """Insert a pending clarification (a uuid4 id unless given)."""
        new = parse_input(
            NewClarification,
            id=str(uuid.uuid4()) if id is None else id,
            question=question,
            context=context,
            sender_context=sender_context,
        )
        row = self.db.fetch_one(
            "clarifications.insert", {**new.model_dump(), "created_at": self.now()}
        )
        return Clarification.model_validate(row)

    def get(self, clarification_id: str) -> Clarification:
        row = self.db.fetch_one(
            "clarifications.find", {"id": require_id(clarification_id, "clarification id")}
        )
        if row is None:
            raise NotFound(f"clarification {clarification_id!r} not found")
        return Clarification.model_validate(row)

    def find_pending_by_question(self, question: str) -> Clarification | None:
        """The newest pending clarification with exactly this text, or None."""
        row = self.db.fetch_one(
            "clarifications.find_pending_by_question",
            {"question": require_id(question, "question")},
        )
        return None if row is None else Clarification.model_validate(row)

    def answer(self, clarification_id: str, text: str) -> Clarification:
        """Record the answer; Conflict unless the clarification is still pending."""
        if not isinstance(text, str):
            raise InvalidInput("answer must be a string")
        return self._transition(
            "clarifications.answer",
            {"id": require_id(clarification_id, "clarification id"), "answer": text},
        )

    def expire(self, clarification_id: str) -> Clarification:
        """Give up waiting; Conflict unless the clarification is still pending."""
        return self._transition(
            "clarifications.expire", {"id": require_id(clarification_id, "clarification id")}
        )

    def list_pending(self, *, limit: int = 1000) -> list[Clarification]:
        """Pending clarifications, oldest first."""
        rows = self.db.fetch_all("clarifications.list_pending", {"limit": check_limit(limit)})
        return [Clarification.model_validate(row) for row in rows]

    def expire_older_than(self, age: timedelta) -> int:
        """Expire pending clarifications asked more than `age` ago; returns how many."""
        if not isinstance(age, timedelta) or age < timedelta(0):
            raise InvalidInput("age must be a non-negative timedelta")
        now = self.now()
        try:
            cutoff = now - age
        except OverflowError:
            raise InvalidInput("age reaches back before the year 1") from None
        return self.db.execute(
            "clarifications.expire_older_than", {"now": now, "cutoff": cutoff}
        )

    def _transition(self, name: str, params: dict[str, object]) -> Clarification:
        row = self.db.fetch_one(name, {**params, "now": self.now()})
        if row is not None:
            return Clarification.model_validate(row)
        current = self.get(str(params["id"]))  # NotFound when missing
        raise Conflict(f"clarification {current.id!r} is already {current.status.value}")
