"""Shared pieces of the pydantic models: input validation that raises InvalidInput."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, StrictStr, StringConstraints
from pydantic import ValidationError as _ValidationError

from genie_repo.errors import InvalidInput
from genie_repo.timestamps import require_utc

Id = Annotated[StrictStr, StringConstraints(min_length=1, max_length=1024)]
"""A non-empty identifier (ids, names, keys)."""

UtcDatetime = Annotated[datetime, Strict(), AfterValidator(require_utc)]
"""An aware datetime, normalised to UTC; naive datetimes are rejected, and so are strings and
numbers (pydantic's lax mode would read 0 as 1970-01-01 and "2026-01-01" as a date)."""


class Model(BaseModel):
    """Base of every model: unknown fields are errors, values are re-validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


M = TypeVar("M", bound=BaseModel)


def parse_input(model: type[M], **data: Any) -> M:
    """Validate caller input; any problem becomes InvalidInput, before anything is written."""
    try:
        return model.model_validate(data)
    except _ValidationError as exc:
        raise invalid_input(model.__name__, exc) from None


def invalid_input(model_name: str, exc: _ValidationError) -> InvalidInput:
    """One readable InvalidInput listing every field pydantic rejected."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
    )
    return InvalidInput(f"invalid {model_name}: {problems}")


def require_id(value: object, what: str) -> str:
    """A non-empty string id, else InvalidInput."""
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{what} must be a non-empty string")
    return value
