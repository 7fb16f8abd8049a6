"""Pure parameter building for ItemStore: namespace encoding, filters, matches, indexed text.

No I/O here, so every rule is tested without a database. A namespace is stored as its labels
joined by "\\x01", each label escaped ("\\x02" -> "\\x02\\x03", "\\x01" -> "\\x02\\x02") so no
label holds the separator and the text order of the encoding is the tuple order of the labels
(the separator sorts below every label character). A prefix and its descendants are then the
range [enc(prefix), enc(prefix) + "\\x02").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genie_repo.errors import InvalidInput
from genie_repo.models.items import Namespace, NamespaceMatch

SEPARATOR = "\x01"
_RANGE_END = "\x02"
_ESCAPED = re.compile("\x02[\x02\x03]")
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
MAX_KEY_CHARS = 4096
OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")
_ORDERING = {"$gt": "gt", "$gte": "gte", "$lt": "lt", "$lte": "lte"}


class InvalidNamespace(InvalidInput):
    """A namespace LangGraph's rules refuse (the integration reports it as LangGraph does)."""


def check_namespace(namespace: Sequence[str], *, allow_empty: bool = True) -> Namespace:
    """The namespace as a tuple; labels must be non-empty strings without '.' or NUL (the rules
    LangGraph's stores apply), else InvalidNamespace (an InvalidInput, a ValueError)."""
    if isinstance(namespace, str):
        raise InvalidNamespace(f"a namespace is a tuple of labels, got the string {namespace!r}")
    labels = tuple(namespace)
    if not labels and not allow_empty:
        raise InvalidNamespace("Namespace cannot be empty.")
    for label in labels:
        if not isinstance(label, str):
            raise InvalidNamespace(f"Invalid namespace label {label!r} found in {labels}: "
                                   f"labels must be strings, not {type(label).__name__}")
        if not label or "." in label or "\x00" in label:
            raise InvalidNamespace(f"Invalid namespace label {label!r} found in {labels}: "
                                   "labels must be non-empty and contain no '.' or NUL")
    return labels


def check_key(key: str) -> str:
    if not isinstance(key, str):
        raise InvalidInput(f"an item key must be a string, got {type(key).__name__}")
    if "\x00" in key or len(key) > MAX_KEY_CHARS:
        raise InvalidInput(f"an item key may not contain NUL or exceed {MAX_KEY_CHARS} chars")
    return key


def encode_label(label: str) -> str:
    if "\x01" in label or "\x02" in label:
        return label.replace("\x02", "\x02\x03").replace("\x01", "\x02\x02")
    return label


def decode_label(label: str) -> str:
    if "\x02" in label:
        return _ESCAPED.sub(lambda m: "\x01" if m[0][1] == "\x02" else "\x02", label)
    return label


def encode_namespace(namespace: Sequence[str]) -> str:
    joined = SEPARATOR.join(namespace)
    if "\x02" not in joined and joined.count(SEPARATOR) == len(namespace) - 1:
        return joined  # no label holds a character that needs escaping
    return SEPARATOR.join(encode_label(label) for label in namespace)


def decode_namespace(encoded: str) -> Namespace:
    if "\x02" not in encoded:
        return tuple(encoded.split(SEPARATOR)) if encoded else ()
    return tuple(decode_label(label) for label in encoded.split(SEPARATOR))


def prefix_range(prefix: Namespace) -> tuple[str, str | None]:
    """(lo, hi): encoded namespaces n with lo <= n < hi are `prefix` and its descendants; hi is
    None (unbounded) for the empty prefix."""
    if not prefix:
        return "", None
    encoded = encode_namespace(prefix)
    return encoded, encoded + _RANGE_END


def namespace_row(namespace: Namespace) -> dict[str, Any]:
    """The store_namespaces columns of a namespace."""
    encoded = [encode_label(label) for label in namespace]
    return {
        "ns": SEPARATOR.join(encoded),
        "rns": SEPARATOR.join(reversed(encoded)),
        "labels": json.dumps(encoded, ensure_ascii=False),
        "depth": len(encoded),
    }


def match_params(conditions: Sequence[NamespaceMatch]) -> dict[str, Any]:
    """SQL parameters for list_namespaces: an index range on ns from the first prefix's literal
    head, one on rns from the first suffix's literal tail, and per-label checks (from the start
    or from the end) for everything else; "*" matches any one label."""
    params: dict[str, Any] = {"lo": "", "hi": None, "rlo": "", "rhi": None, "min_depth": 0}
    checks: list[tuple[int, int, str]] = []
    ranged = {"prefix": False, "suffix": False}
    for condition in conditions:
        path = (condition.path,) if isinstance(condition.path, str) else tuple(condition.path)
        check_namespace([label for label in path if label != "*"])
        if not path:
            continue
        params["min_depth"] = max(params["min_depth"], len(path))
        from_end = condition.match_type == "suffix"
        if condition.match_type not in ("prefix", "suffix"):
            raise InvalidInput(f"unknown namespace match type {condition.match_type!r}")
        ordered = tuple(reversed(path)) if from_end else path
        head = ordered[: ordered.index("*")] if "*" in ordered else ordered
        kind = condition.match_type
        if head and not ranged[kind]:
            ranged[kind] = True
            lo, hi = prefix_range(head)
            params["rlo" if from_end else "lo"], params["rhi" if from_end else "hi"] = lo, hi
            rest = enumerate(ordered)
            checks += [(int(from_end), i, encode_label(label)) for i, label in rest
                       if i >= len(head) and label != "*"]
        else:
            checks += [(int(from_end), i, encode_label(label)) for i, label in enumerate(ordered)
                       if label != "*"]
    params["checks"] = json.dumps(checks, ensure_ascii=False) if checks else None
    return params


def encode_value(value: Mapping[str, Any]) -> str:
    """The value as JSON text: a JSON object of JSON-encodable data, without NaN, infinities,
    NUL characters or lone surrogates (PostgreSQL's jsonb stores none of them)."""
    if not isinstance(value, Mapping):
        raise InvalidInput(f"an item value must be a dict, got {type(value).__name__}")
    try:
        text = json.dumps(dict(value), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
        text.encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"an item value must be JSON-encodable: {exc}") from None
    except UnicodeEncodeError:
        raise InvalidInput("an item value holds a lone surrogate") from None
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise InvalidInput("an item value may not contain NUL characters")
    return text


FILTER_SLOTS = 4
"""Filter conditions passed as plain parameters (the rest go in one JSON array, `more`)."""

_OP_CODES = {
    "eq_text": 1, "eq_num": 2, "gt_num": 3, "gte_num": 4, "lt_num": 5, "lte_num": 6,
    "gt_text": 7, "gte_text": 8, "lt_text": 9, "lte_text": 10, "eq_json": 11, "null": 12,
    "true": 13, "false": 14, "any_num": 15, "never": 16,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter test: `op` on the value at `path`, negated for $ne."""

    op: str
    path: tuple[str, ...]
    operand: Any
    negate: bool


def compile_filter(filter: Mapping[str, Any] | None) -> list[Condition]:
    """The filter's conditions. A key is a dotted path into nested objects; a value is matched
    for equality, or a dict of $eq $ne $gt $gte $lt $lte; a nested dict without operators
    matches on each of its leaves (a partial match, as LangGraph's in-memory store does).
    Numbers compare as numbers, strings in code point order, and a value of the wrong type
    never passes a comparison."""
    if not filter:
        return []
    if not isinstance(filter, Mapping):
        raise InvalidInput(f"a filter must be a dict, got {type(filter).__name__}")
    return [c for key, wanted in filter.items() for c in _conditions(_path(key), wanted)]


def filter_params(conditions: Sequence[Condition], dialect: str) -> dict[str, Any]:
    """The SQL parameters of `conditions` for `dialect`: slots o/p/v/n 1..FILTER_SLOTS, and
    `more` for the rest (see the search query's comment)."""
    params: dict[str, Any] = {}
    path = _sqlite_path if dialect == "sqlite" else _pg_path
    for n in range(1, FILTER_SLOTS + 1):
        params.update({f"o{n}": 0, f"p{n}": None, f"v{n}": None, f"n{n}": 0})
    for n, c in enumerate(conditions[:FILTER_SLOTS], start=1):
        params.update({f"o{n}": _OP_CODES[c.op], f"p{n}": path(c.path), f"n{n}": int(c.negate),
                       f"v{n}": _operand(c, dialect, as_text=True)})
    rest = conditions[FILTER_SLOTS:]
    params["more"] = json.dumps(
        [[_OP_CODES[c.op], _sqlite_path(c.path), _operand(c, dialect, as_text=False),
          int(c.negate), _pg_path(c.path)] for c in rest],
        ensure_ascii=False,
    ) if rest else None
    return params


_CONTAINABLE = {"eq_text", "eq_num", "true", "false"}


def containment(conditions: Sequence[Condition]) -> str | None:
    """A JSON object every item passing `conditions` contains (their equalities on strings,
    numbers and booleans, nested by path), for an index to narrow by; None when there is none
    or two conditions disagree on the shape."""
    document: dict[str, Any] = {}
    for c in conditions:
        if c.negate or c.op not in _CONTAINABLE:
            continue
        value = {"true": True, "false": False}.get(c.op, c.operand)
        node = document
        for part in c.path[:-1]:
            inner = node.setdefault(part, {})
            if not isinstance(inner, dict):
                return None
            node = inner
        if c.path[-1] in node and node[c.path[-1]] != value:
            return None
        node[c.path[-1]] = value
    return json.dumps(document, ensure_ascii=False) if document else None


def _operand(c: Condition, dialect: str, *, as_text: bool) -> Any:
    """SQLite compares with the SQL value itself (arrays and objects as canonical JSON text);
    PostgreSQL with jsonb: JSON text in a slot parameter, the JSON value inside `more`."""
    if c.operand is None:
        return None
    if dialect == "sqlite":
        return c.operand
    if c.op == "eq_json":
        return c.operand if as_text else json.loads(c.operand)
    return json.dumps(c.operand, ensure_ascii=False) if as_text else c.operand


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{part}"' for part in path)


def _pg_path(path: tuple[str, ...]) -> str:
    return "{" + ",".join(f'"{part}"' for part in path) + "}"


def _path(key: object) -> tuple[str, ...]:
    if not isinstance(key, str) or not key:
        raise InvalidInput(f"Invalid filter key: {key!r}. Filter keys are non-empty strings.")
    parts = tuple(key.split("."))
    for part in parts:
        if not part or any(ch in part for ch in '"\\') or any(ord(ch) < 32 for ch in part):
            raise InvalidInput(f"Invalid filter key: {key!r}. Dotted parts must be non-empty "
                               "and hold no quote, backslash or control character.")
    return parts


def _conditions(path: tuple[str, ...], wanted: Any) -> Iterator[Condition]:
    if isinstance(wanted, Mapping) and any(str(k).startswith("$") for k in wanted):
        for operator, operand in wanted.items():
            if operator not in OPERATORS:
                raise InvalidInput(f"Unsupported operator: {operator!r} (use one of "
                                   f"{', '.join(OPERATORS)})")
            op, value = _operation(operator, operand)
            yield Condition(op, path, value, operator == "$ne")
    elif isinstance(wanted, Mapping):
        for key, inner in wanted.items():
            yield from _conditions(path + _path(key), inner)
    else:
        op, value = _operation("$eq", wanted)
        yield Condition(op, path, value, False)


def _operation(operator: str, operand: Any) -> tuple[str, Any]:
    if operator in ("$eq", "$ne"):
        if operand is None:
            return "null", None
        if isinstance(operand, bool):
            return ("true" if operand else "false"), None
        if isinstance(operand, (int, float)):
            if isinstance(operand, float) and not math.isfinite(operand):
                return "never", None  # stored values are finite numbers
            return "eq_num", operand
        if isinstance(operand, str):
            return ("never", None) if "\x00" in operand else ("eq_text", operand)
        if isinstance(operand, (list, tuple, Mapping)):
            encoded = encode_filter_json(operand)
            if _NUL_ESCAPE.search(encoded):
                return "never", None  # no stored value holds NUL
            return "eq_json", encoded
        raise InvalidInput(f"filter value {operand!r} is not JSON data")
    suffix = _ORDERING[operator]
    if isinstance(operand, bool) or not isinstance(operand, (int, float, str)):
        raise InvalidInput(f"{operator} compares numbers or strings, got {operand!r}")
    if isinstance(operand, str):
        if "\x00" in operand:
            raise InvalidInput(f"{operator} compares with a string holding NUL")
        return f"{suffix}_text", operand
    if math.isnan(operand):
        return "never", None
    if math.isinf(operand):
        below = operand < 0
        # every finite number is above -inf and below +inf
        holds = (suffix in ("gt", "gte")) == below
        return ("any_num" if holds else "never"), None
    return f"{suffix}_num", float(operand) if abs(operand) > 2**53 else operand


def encode_filter_json(operand: Any) -> str:
    try:
        return json.dumps(operand, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"filter value is not JSON data: {exc}") from None


def indexed_strings(value: Mapping[str, Any], fields: Sequence[str] | None) -> list[str]:
    """The strings full-text search indexes for a value: every string in it (fields None or
    "$"), or the strings under the given dotted fields ("a.b", "list.0")."""
    if fields is None or "$" in fields:
        return list(_strings(value))
    return [s for f in fields for s in _strings(_at_path(value, f.split(".")))]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _strings(inner)


def _at_path(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.strip("[]").isdigit():
            index = int(part.strip("[]"))
            value = value[index] if index < len(value) else None
        else:
            return None
    return value
