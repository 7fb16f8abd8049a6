"""Reading back the ADK events this service stored, without validating them a second time.

An ADK `Event` is validated when it is made; the service stores its JSON and a read turns that
JSON back into the same objects. Full validation of a stored event costs ~20 us, mostly ADK's
and google-genai's Python validators; reading a long session paid it per event. Instead, each
model class gets a plan, made once from its field annotations, that builds instances directly
from the decoded JSON (nested models, lists, dicts, sets, enums). A model, field or value the
plan cannot rebuild exactly (bytes, datetimes, unions of models, extra fields, values that
validators transform, post-init hooks) makes that event fall back to `Event.model_validate_json`,
so every event reads back equal to the one stored.
"""

from __future__ import annotations

import copy
import functools
import types
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from google.adk.events.event import Event
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from genie_repo.stores.sessions_state import loads_stored

Convert = Callable[[Any], Any]
M = TypeVar("M", bound=BaseModel)
_IMMUTABLE = (type(None), str, int, float, bool, Enum, tuple, frozenset)


class _Fallback(Exception):
    """This event needs full validation."""


def _unsupported(value: Any) -> Any:
    raise _Fallback


def _required() -> Any:
    raise _Fallback


def _default_model(cls: type[BaseModel]) -> BaseModel:
    """`cls()`, built by its plan when it has one (a default model, e.g. an empty EventActions,
    is made for almost every event read)."""
    try:
        return _plan(cls).build({})
    except _Fallback:
        return cls()


def _as_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


class _Plan:
    """How to build one model class from its JSON object."""

    def __init__(self, cls: type[BaseModel]) -> None:
        self.cls = cls
        self.names: dict[str, str] = {}
        self.converters: dict[str, Convert | None] = {}
        self.template: dict[str, Any] = {}  # every field in declaration order, as validation
        self.fresh: list[tuple[str, Callable[[], Any]]] = []  # defaults made anew per instance
        self.private = {name: attr.default for name, attr in cls.__private_attributes__.items()}
        buildable = (cls.model_config.get("extra") != "allow" and _plain_validation(cls)
                     and all(isinstance(v, _IMMUTABLE) and attr.default_factory is None
                             for attr, v in zip(cls.__private_attributes__.values(),
                                                self.private.values(), strict=True))
                     and (cls.model_post_init is BaseModel.model_post_init or cls is Event
                          or (self.private and cls.model_post_init.__name__
                              == "init_private_attributes")))
        self.ignore_extra = cls.model_config.get("extra") == "ignore"
        transformed = _transformed_fields(cls)
        for name, field in cls.model_fields.items():
            self.names[name] = name
            if field.alias:
                self.names[field.alias] = name
            self.converters[name] = (_unsupported if not buildable else _empty_only
                                     if name in transformed else _converter(field.annotation))
            self.template[name] = None
            if field.default_factory is not None:
                if field.default_factory_takes_validated_data:
                    buildable = False
                factory = field.default_factory
                if isinstance(factory, type) and issubclass(factory, BaseModel):
                    factory = functools.partial(_default_model, factory)
                self.fresh.append((name, factory))  # type: ignore[arg-type]
            elif field.is_required():
                self.fresh.append((name, _required))
            elif isinstance(field.default, _IMMUTABLE):
                self.template[name] = field.default
            else:
                self.fresh.append((name, functools.partial(copy.deepcopy, field.default)))
        self.buildable = buildable
        self.field_names = frozenset(cls.model_fields)
        self.converted = frozenset(n for n, c in self.converters.items() if c is not None)

    def build(self, data: Any) -> BaseModel:
        if not self.buildable or type(data) is not dict:
            raise _Fallback
        keys = data.keys()
        values = self.template.copy()
        if keys <= self.field_names:  # the usual case: C-speed copy, convert the few
            values.update(data)
            fields_set = set(keys)
            for name in keys & self.converted:
                value = data[name]
                if value is not None:
                    values[name] = self.converters[name](value)  # type: ignore[misc]
        else:
            fields_set = set()
            for key, value in data.items():
                name = self.names.get(key)
                if name is None:
                    if self.ignore_extra:
                        continue
                    raise _Fallback
                convert = self.converters[name]
                values[name] = value if convert is None or value is None else convert(value)
                fields_set.add(name)
        for name, make in self.fresh:
            if name not in fields_set:
                values[name] = make()
        return construct(self.cls, values, fields_set, dict(self.private) if self.private else None)


def construct(
    cls: type[M], values: dict[str, Any], fields_set: set[str], private: dict[str, Any] | None
) -> M:
    """An instance of `cls` holding exactly `values` (every field, in declaration order), as
    validation would leave it, without running validation."""
    instance = cls.__new__(cls)
    setattr_ = object.__setattr__  # BaseModel.__setattr__ would validate: bypass it
    setattr_(instance, "__dict__", values)
    setattr_(instance, "__pydantic_fields_set__", fields_set)
    setattr_(instance, "__pydantic_extra__", None)
    setattr_(instance, "__pydantic_private__", private)
    return instance
def _plain_validation(cls: type[BaseModel]) -> bool:
    """Whether model validation of stored JSON only checks it: no after/wrap model validators.
    (A `before` one sees raw input, e.g. ADK's convenience keywords or genai's type-mismatch
    warnings; stored JSON needs neither.)"""
    return all(v.info.mode == "before"
               for v in cls.__pydantic_decorators__.model_validators.values())


def _transformed_fields(cls: type[BaseModel]) -> set[str]:
    """Fields whose validation may change the value: field validators, validator metadata."""
    names = {name for v in cls.__pydantic_decorators__.field_validators.values()
             for name in v.info.fields}
    if "*" in names:
        names |= set(cls.model_fields)
    return names | {name for name, field in cls.model_fields.items() if field.metadata}


def _empty_only(value: Any) -> Any:
    """A field with its own validator: rebuilt only when empty, else full validation."""
    if type(value) in (dict, list) and not value:
        return type(value)()
    raise _Fallback


_plans: dict[type[BaseModel], _Plan] = {}


def _plan(cls: type[BaseModel]) -> _Plan:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _Plan(cls)  # a recursive model finds its own plan while converting
    return plan


def _model(cls: type[BaseModel]) -> Convert:
    return lambda value: _plan(cls).build(value)


def _converter(annotation: Any) -> Convert | None:
    """None: the JSON value is already the value; else the function rebuilding it."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation in (str, int, bool, Any, object) or origin is Literal:
        return None
    if annotation is float:
        return _as_float
    if origin is Annotated:
        if all(isinstance(meta, FieldInfo) for meta in args[1:]):
            return _converter(args[0])
        return _unsupported
    if origin in (Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        converters = [_converter(arg) for arg in options]
        if len(options) == 1:
            return converters[0]
        return None if all(c is None for c in converters) else _unsupported
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    if origin in (list, set, frozenset) and len(args) == 1:
        container: Callable[[Any], Any] = origin
        element = _converter(args[0])
        if element is None:
            return container
        return lambda value: container(element(v) for v in value)
    if origin is dict and len(args) == 2 and args[0] is str:
        entry = _converter(args[1])
        if entry is None:
            return dict
        return lambda value: {k: entry(v) for k, v in value.items()}
    if annotation is dict or annotation is list:
        return None
    return _unsupported


def decode_event(payload: str) -> Event:
    """The ADK event whose `model_dump_json(exclude_none=True, exclude_defaults=True)` this
    service stored."""
    try:
        event = _plan(Event).build(loads_stored(payload))
        if isinstance(event, Event) and event.id:
            return event
    except (_Fallback, ValueError, TypeError, KeyError):
        pass
    return Event.model_validate_json(payload)
