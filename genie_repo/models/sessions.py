"""Sessions, their events and summaries.

An `Event` carries the few fields the store needs to query and route (id, author, filter key,
state delta, ...) plus `payload`: the framework's own event JSON, stored verbatim and returned
byte for byte. The store never parses the payload.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field, StrictBool, StrictStr, ValidationError, field_validator

from genie_repo.models.base import Id, Model, UtcDatetime, invalid_input
from genie_repo.timestamps import utc_now


class _Input(Model):
    """A model callers build directly: any validation problem is InvalidInput."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise invalid_input(type(self).__name__, exc) from None


class UserKey(_Input):
    """(app_name, user_id): the owner of user state and of a list of sessions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_name: Id
    user_id: Id

    def __init__(self, app_name: str, user_id: str) -> None:
        super().__init__(app_name=app_name, user_id=user_id)


class SessionKey(_Input):
    """(app_name, user_id, session_id): one session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_name: Id
    user_id: Id
    session_id: Id

    def __init__(self, app_name: str, user_id: str, session_id: str) -> None:
        super().__init__(app_name=app_name, user_id=user_id, session_id=session_id)

    @property
    def user_key(self) -> UserKey:
        return UserKey.model_construct(app_name=self.app_name, user_id=self.user_id)


class Event(_Input):
    """One appended event. `seq` is assigned by the database on append (None before that);
    events of a session are ordered by it, never by `timestamp`."""

    id: StrictStr = Field(default="", validate_default=True)
    invocation_id: StrictStr = ""
    author: StrictStr = ""
    timestamp: UtcDatetime = Field(default_factory=utc_now)
    filter_key: StrictStr = ""
    branch: StrictStr = ""
    partial: StrictBool = False
    state_delta: dict[StrictStr, Any] = Field(default_factory=dict)
    payload: StrictStr = "{}"
    seq: int | None = None

    @field_validator("id")
    @classmethod
    def _fill_id(cls, value: str) -> str:
        return value or str(uuid.uuid4())


class Summary(Model):
    """A summary of a session's events; `filter_key=""` summarises the whole session."""

    filter_key: StrictStr = ""  # strict: bytes or numbers are InvalidInput, never converted
    text: StrictStr
    topics: list[StrictStr] = Field(default_factory=list)
    updated_at: datetime


class SessionInfo(Model):
    """A session's metadata, as `list_sessions` returns it (no events, no state)."""

    app_name: str
    user_id: str
    session_id: str
    created_at: datetime
    updated_at: datetime
    last_seq: int = 0

    @property
    def key(self) -> SessionKey:
        return SessionKey.model_construct(
            app_name=self.app_name, user_id=self.user_id, session_id=self.session_id
        )


class Session(SessionInfo):
    """A session as `get_session` returns it. `state` is the merged view: session keys, plus
    app state under `app:` and user state under `user:`. `events` are in sequence order."""

    state: dict[str, Any] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list)
    summaries: dict[str, Summary] = Field(default_factory=dict)


class SessionPage(Model):
    """One page of `list_sessions`; pass `next_cursor` back for the next page (None: last)."""

    sessions: list[SessionInfo]
    next_cursor: str | None = None
