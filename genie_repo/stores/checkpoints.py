"""Graph checkpoints and their pending writes (the seed's GormCheckpointSaver, done right).

Ordering: "newest" is the greatest checkpoint_id (text order; namespace as the tie-breaker across
namespaces), so the primary key serves every read. LangGraph's uuid6 ids sort by time, so there
this is exactly LangGraph's "latest = greatest checkpoint_id"; other callers pick ids that sort
the way they want (a ULID, a zero-padded counter). `ts` is kept for prune_older_than and read back.

Reads take the cheapest shape per dialect (`one_round_trip`): on PostgreSQL one statement
returns the checkpoint rows followed by all their writes; on SQLite, where a statement is a
function call, plain indexed statements run inside one read transaction (one snapshot). Either
way a page costs a fixed number of statements, never N+1, and writes are ordered in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, ClassVar

from genie_repo.db.protocol import Database, Row
from genie_repo.errors import InvalidInput, NotFound
from genie_repo.models.checkpoints import (
    CheckpointRef,
    CheckpointTuple,
    Payload,
    PendingWrite,
    StoredCheckpoint,
    Write,
)
from genie_repo.stores.base import Clock, Store
from genie_repo.stores.limits import check_limit
from genie_repo.timestamps import require_utc, utc_now

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TS = 2**63 - 1
_NO_LIMIT = 2**62
_WRITE_ORDER = itemgetter("seq", "task_path", "task_id", "idx")
Tuples = list[CheckpointTuple]  # (`list` is also a method name inside the store class)
Stored = list[StoredCheckpoint]
WriteValue = tuple[str, int, int, str, bytes]  # channel, idx, seq, value_type, value_data


class CheckpointStore(Store):
    """Checkpoints keyed by (lineage_id, checkpoint_ns, checkpoint_id), each with its pending
    writes. Every write is idempotent (applied twice == once) and every multi-statement write is
    one transaction, so all methods are safe to retry (see `genie_repo.retry.with_retry`)."""

    QUERIES = (
        "checkpoints.upsert_checkpoint",
        "checkpoints.upsert_write",
        "checkpoints.insert_write_if_absent",
        "checkpoints.upsert_writes",
        "checkpoints.insert_writes_if_absent",
        "checkpoints.delete_checkpoint_writes",
        "checkpoints.latest_checkpoint",
        "checkpoints.find_checkpoint",
        "checkpoints.list_writes",
        "checkpoints.list_in_ns",
        "checkpoints.list_across_ns",
        "checkpoints.list_page_writes",
        "checkpoints.latest_with_writes",
        "checkpoints.find_with_writes",
        "checkpoints.list_in_ns_with_writes",
        "checkpoints.list_across_ns_with_writes",
        "checkpoints.has_checkpoint",
        "checkpoints.has_metadata_key",
        "checkpoints.delete_lineage_writes",
        "checkpoints.delete_lineage_checkpoints",
        "checkpoints.prune_writes",
        "checkpoints.prune_checkpoints",
        "checkpoints.prune_old_writes",
        "checkpoints.prune_old_checkpoints",
        "checkpoints.delete_run_writes",
        "checkpoints.delete_run_checkpoints",
        "checkpoints.copy_checkpoints",
        "checkpoints.copy_writes",
    )
    IDEMPOTENT_METHODS: ClassVar[frozenset[str]] = frozenset({
        "put", "put_writes", "put_write_values", "put_full", "get", "get_tuple", "get_stored",
        "list", "list_stored", "delete_lineage", "prune", "prune_older_than", "delete_for_runs",
        "copy_lineage", "has_metadata_key",
    })

    def __init__(
        self, db: Database, *, clock: Clock = utc_now, one_round_trip: bool | None = None
    ) -> None:
        """`one_round_trip`: read a checkpoint and its writes with one statement (the default
        on PostgreSQL) or with plain indexed statements in one read transaction (the default on
        SQLite). Both give the same results on both dialects; only the cost differs."""
        super().__init__(db, clock=clock)
        self.one_round_trip = db.dialect == "postgres" if one_round_trip is None else (
            one_round_trip
        )

    # -- writes ---------------------------------------------------------------------------------

    def put(
        self,
        lineage_id: str,
        checkpoint_id: str,
        checkpoint: Payload | None,
        *,
        ns: str = "",
        parent_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        ts: datetime | None = None,
    ) -> CheckpointRef:
        """Insert or overwrite a checkpoint (its pending writes are kept). `ts` defaults to now;
        metadata (a JSON object, default `{}`) is what `list(metadata_filter=...)` matches."""
        params = self._checkpoint_params(
            lineage_id, checkpoint_id, checkpoint, ns, parent_id, metadata, ts
        )
        self.db.execute("checkpoints.upsert_checkpoint", params)
        return CheckpointRef(lineage_id, ns, checkpoint_id)

    def put_writes(
        self,
        lineage_id: str,
        checkpoint_id: str,
        writes: Sequence[Write],
        *,
        task_id: str,
        task_path: str = "",
        ns: str = "",
        overwrite: bool = True,
    ) -> None:
        """Store pending writes of one task for a checkpoint, in one transaction. A write is
        keyed by (task_id, idx): with `overwrite` a repeat replaces it, without it the first one
        stays (LangGraph's rule for ordinary writes). The checkpoint need not exist yet."""
        _require_pair(lineage_id, checkpoint_id)
        _require_text(ns, "ns")
        _require_text(task_id, "task_id")
        _require_text(task_path, "task_path")
        rows = _write_rows(lineage_id, ns, checkpoint_id, writes, task_id, task_path)
        self._put_write_rows(lineage_id, ns, checkpoint_id, rows, overwrite)

    def put_write_values(
        self,
        lineage_id: str,
        checkpoint_id: str,
        values: Sequence[WriteValue],
        *,
        task_id: str,
        task_path: str = "",
        ns: str = "",
        overwrite: bool = True,
    ) -> None:
        """As put_writes, for a caller holding the serialized values already (the LangGraph
        saver): each `(channel, idx, seq, value_type, value_data)`, no Write objects built."""
        _require_pair(lineage_id, checkpoint_id)
        _require_text(ns, "ns")
        _require_text(task_id, "task_id")
        _require_text(task_path, "task_path")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise InvalidInput("values must be a sequence of (channel, idx, seq, type, data)")
        rows = []
        for channel, idx, seq, value_type, value_data in values:
            if (type(channel) is not str or type(idx) is not int or type(seq) is not int
                    or type(value_type) is not str or not value_type
                    or type(value_data) is not bytes):
                raise InvalidInput(
                    "each value must be (channel: str, idx: int, seq: int, value_type: "
                    f"non-empty str, value_data: bytes), got {(channel, idx, seq, value_type)!r}"
                )
            rows.append({
                "lineage_id": lineage_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id,
                "task_id": task_id, "task_path": task_path, "idx": idx, "seq": seq,
                "channel": channel, "value_type": value_type, "value_data": value_data,
            })
        self._put_write_rows(lineage_id, ns, checkpoint_id, rows, overwrite)

    def _put_write_rows(
        self,
        lineage_id: str,
        ns: str,
        checkpoint_id: str,
        rows: list[dict[str, Any]],
        overwrite: bool,
    ) -> None:
        if not rows:
            return
        if self.one_round_trip:  # one statement over a JSON array: atomic in autocommit
            batch = ("checkpoints.upsert_writes" if overwrite
                     else "checkpoints.insert_writes_if_absent")
            self.db.execute(batch, {
                "lineage_id": lineage_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id,
                "writes": _writes_json(rows, keep_last=overwrite),
            })
            return
        query = "checkpoints.upsert_write" if overwrite else "checkpoints.insert_write_if_absent"
        self.db.execute_many(query, rows)

    def put_full(
        self,
        lineage_id: str,
        checkpoint_id: str,
        checkpoint: Payload | None,
        *,
        writes: Sequence[Write] = (),
        ns: str = "",
        parent_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        ts: datetime | None = None,
    ) -> CheckpointRef:
        """The checkpoint and exactly these pending writes, in one transaction: writes stored
        earlier for this checkpoint are replaced, so a retried or repeated call changes nothing.
        Each write carries its own task_id (default "") and task_path (default "")."""
        _require_id(lineage_id, "lineage_id")
        params = self._checkpoint_params(
            lineage_id, checkpoint_id, checkpoint, ns, parent_id, metadata, ts
        )
        rows = _write_rows(lineage_id, ns, checkpoint_id, writes, "", "")
        key = {"lineage_id": lineage_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}
        with self.db.transaction():
            self.db.execute("checkpoints.upsert_checkpoint", params)
            self.db.execute("checkpoints.delete_checkpoint_writes", key)
            if rows:
                self.db.execute_many("checkpoints.upsert_write", rows)
        return CheckpointRef(lineage_id, ns, checkpoint_id)

    # -- reads ----------------------------------------------------------------------------------

    def get(
        self, lineage_id: str, checkpoint_id: str | None = None, *, ns: str = ""
    ) -> Payload | None:
        """The checkpoint payload (the latest in `ns` when no id is given), or None."""
        found = self.get_tuple(lineage_id, checkpoint_id, ns=ns)
        return found.checkpoint if found else None

    def get_tuple(
        self, lineage_id: str, checkpoint_id: str | None = None, *, ns: str = ""
    ) -> CheckpointTuple | None:
        """That checkpoint with its metadata, parent and pending writes, or None. Without an id,
        the newest (greatest checkpoint_id) in exactly namespace `ns` (default "")."""
        found = self.get_stored(lineage_id, checkpoint_id, ns=ns)
        return None if found is None else _to_tuple(lineage_id, found)

    def get_stored(
        self, lineage_id: str, checkpoint_id: str | None = None, *, ns: str = ""
    ) -> StoredCheckpoint | None:
        """As get_tuple, but the stored row itself (see StoredCheckpoint), for callers that
        convert it straight into their own type. One consistent snapshot."""
        _require_id(lineage_id, "lineage_id")
        _require_text(ns, "ns")
        key: dict[str, Any] = {"lineage_id": lineage_id, "checkpoint_ns": ns}
        if checkpoint_id is not None:
            _require_id(checkpoint_id, "checkpoint_id")
            key["checkpoint_id"] = checkpoint_id
        db = self.db
        if self.one_round_trip:
            query = (
                "checkpoints.latest_with_writes" if checkpoint_id is None
                else "checkpoints.find_with_writes"
            )
            found = _from_parts(db.fetch_all(query, key))
            return found[0] if found else None
        with db.transaction(readonly=True):
            if checkpoint_id is None:
                row = db.fetch_one("checkpoints.latest_checkpoint", key)
                if row is None:
                    return None
                key["checkpoint_id"] = row["checkpoint_id"]
            else:
                row = db.fetch_one("checkpoints.find_checkpoint", key)
                if row is None:
                    return None
            writes = db.fetch_all("checkpoints.list_writes", key)
        if len(writes) > 1:
            writes.sort(key=_WRITE_ORDER)
        return StoredCheckpoint(
            row["checkpoint_ns"], row["checkpoint_id"], row["parent_checkpoint_id"], row["ts"],
            row["checkpoint_type"], row["checkpoint_data"], row["metadata"], writes,
        )

    def list(
        self,
        lineage_id: str,
        ns: str | None = None,
        before: str | None = None,
        limit: int | None = None,
        metadata_filter: Mapping[str, Any] | None = None,
    ) -> Tuples:
        """Checkpoints of a lineage, newest (greatest checkpoint_id) first, each with its
        pending writes.

        `ns=None` lists every namespace (ties on checkpoint_id newest namespace first); a string
        (the root namespace is "") lists exactly that one. `before` is a checkpoint id: only
        checkpoints with a smaller id are listed; a cursor that does not exist (in `ns`, or
        anywhere in the lineage when ns is None) raises NotFound rather than being ignored.
        `metadata_filter` keeps checkpoints whose metadata equals it on every top-level key
        (evaluated in SQL). A fixed number of statements whatever the page size.
        """
        found = self.list_stored(lineage_id, ns, before, limit, metadata_filter)
        return [_to_tuple(lineage_id, stored) for stored in found]

    def list_stored(
        self,
        lineage_id: str,
        ns: str | None = None,
        before: str | None = None,
        limit: int | None = None,
        metadata_filter: Mapping[str, Any] | None = None,
    ) -> Stored:
        """As list, but the stored rows themselves (see StoredCheckpoint). One snapshot."""
        _require_id(lineage_id, "lineage_id")
        if ns is not None:
            _require_text(ns, "ns")
        page = _NO_LIMIT if limit is None else check_limit(limit)
        if before is not None:
            _require_id(before, "before")
        params = {
            "lineage_id": lineage_id,
            "before_id": before,
            "metadata_filter": encode_metadata(metadata_filter or {}, "metadata_filter"),
            "limit": page,
        }
        if ns is not None:
            params["checkpoint_ns"] = ns
        across = ns is None
        db = self.db
        if self.one_round_trip:
            if before is not None:
                self._require_cursor(lineage_id, ns, before)
            query = ("checkpoints.list_across_ns_with_writes" if across
                     else "checkpoints.list_in_ns_with_writes")
            return _from_parts(db.fetch_all(query, params))
        with db.transaction(readonly=True):
            if before is not None:
                self._require_cursor(lineage_id, ns, before)
            rows = db.fetch_all(
                "checkpoints.list_across_ns" if across else "checkpoints.list_in_ns", params)
            if not rows:
                return []
            keys = [[row["checkpoint_ns"], row["checkpoint_id"]] for row in rows]
            writes = db.fetch_all("checkpoints.list_page_writes", {
                "lineage_id": lineage_id, "keys": json.dumps(keys, ensure_ascii=False),
            })
        by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for write in writes:
            by_key.setdefault((write["checkpoint_ns"], write["checkpoint_id"]), []).append(write)
        out: Stored = []
        for row in rows:
            mine = by_key.get((row["checkpoint_ns"], row["checkpoint_id"]), [])
            if len(mine) > 1:
                mine.sort(key=_WRITE_ORDER)
            out.append(StoredCheckpoint(
                row["checkpoint_ns"], row["checkpoint_id"], row["parent_checkpoint_id"],
                row["ts"], row["checkpoint_type"], row["checkpoint_data"], row["metadata"], mine,
            ))
        return out

    def has_metadata_key(self, lineage_id: str, key: str) -> bool:
        """Whether any checkpoint of the lineage has this top-level metadata key."""
        _require_id(lineage_id, "lineage_id")
        _require_id(key, "key")
        found = self.db.fetch_value(
            "checkpoints.has_metadata_key", {"lineage_id": lineage_id, "key": key}
        )
        return bool(found)

    # -- deletes and copies ---------------------------------------------------------------------

    def delete_lineage(self, lineage_id: str) -> int:
        """Every checkpoint and write of the lineage, all namespaces, in one transaction.
        Returns the number of checkpoints deleted (0 for an unknown lineage)."""
        _require_id(lineage_id, "lineage_id")
        params = {"lineage_id": lineage_id}
        with self.db.transaction():
            self.db.execute("checkpoints.delete_lineage_writes", params)
            return self.db.execute("checkpoints.delete_lineage_checkpoints", params)

    def prune(self, lineage_id: str, *, keep_last: int) -> int:
        """Keep the newest `keep_last` checkpoints of each namespace of the lineage (with their
        writes); delete the others and their writes in one transaction. Returns how many
        checkpoints were deleted. A kept checkpoint's parent may be among them."""
        _require_id(lineage_id, "lineage_id")
        if not isinstance(keep_last, int) or isinstance(keep_last, bool) or keep_last < 0:
            raise InvalidInput(f"keep_last must be an integer >= 0, got {keep_last!r}")
        params = {"lineage_id": lineage_id, "keep_last": keep_last}
        with self.db.transaction():
            self.db.execute("checkpoints.prune_writes", params)
            return self.db.execute("checkpoints.prune_checkpoints", params)

    def prune_older_than(self, age: timedelta) -> int:
        """Delete, in every lineage, checkpoints whose ts is more than `age` before now, with
        their writes, in one transaction. Returns how many checkpoints were deleted."""
        if not isinstance(age, timedelta) or age <= timedelta(0):
            raise InvalidInput(f"age must be a positive timedelta, got {age!r}")
        params = {"cutoff_ts": _to_ns(self.now() - age)}
        with self.db.transaction():
            self.db.execute("checkpoints.prune_old_writes", params)
            return self.db.execute("checkpoints.prune_old_checkpoints", params)

    def delete_for_runs(self, run_ids: Iterable[str]) -> int:
        """Delete every checkpoint whose metadata `run_id` is one of these, in any lineage and
        namespace, with its writes, in one transaction. Returns how many were deleted."""
        if isinstance(run_ids, str | bytes):
            raise InvalidInput("run_ids must be a collection of run ids, not one string")
        ids = list(run_ids)
        for run_id in ids:
            _require_id(run_id, "run_id")
        if not ids:
            return 0
        params = {"run_ids": json.dumps(ids, ensure_ascii=False)}
        with self.db.transaction():
            self.db.execute("checkpoints.delete_run_writes", params)
            return self.db.execute("checkpoints.delete_run_checkpoints", params)

    def copy_lineage(self, source_id: str, target_id: str) -> int:
        """Copy every checkpoint and write of `source_id` into `target_id` (same ids, all
        namespaces; target rows with the same keys are overwritten), in one transaction. The
        source is unchanged. Returns how many checkpoints were copied (0 for an unknown source)."""
        _require_id(source_id, "source_id")
        _require_id(target_id, "target_id")
        if source_id == target_id:
            raise InvalidInput("source_id and target_id must differ")
        params = {"source_id": source_id, "target_id": target_id}
        with self.db.transaction():
            copied = self.db.execute("checkpoints.copy_checkpoints", params)
            self.db.execute("checkpoints.copy_writes", params)
        return copied

    # -- internals ------------------------------------------------------------------------------

    def _checkpoint_params(
        self,
        lineage_id: str,
        checkpoint_id: str,
        checkpoint: Payload | None,
        ns: str,
        parent_id: str | None,
        metadata: Mapping[str, Any] | None,
        ts: datetime | None,
    ) -> dict[str, Any]:
        """Validate everything about a checkpoint before anything is written."""
        if checkpoint is None:
            raise InvalidInput("checkpoint cannot be None")
        if not isinstance(checkpoint, Payload):
            raise InvalidInput(f"checkpoint must be a Payload, got {type(checkpoint).__name__}")
        _require_id(lineage_id, "lineage_id")
        _require_id(checkpoint_id, "checkpoint_id")
        _require_text(ns, "ns")
        if parent_id is not None:
            _require_id(parent_id, "parent_id")
        return {
            "lineage_id": lineage_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
            "parent_checkpoint_id": parent_id or "",
            "ts": _to_ns(self.now() if ts is None else require_utc(ts, "ts")),
            "checkpoint_type": checkpoint.type,
            "checkpoint_data": checkpoint.data,
            "metadata": encode_metadata({} if metadata is None else metadata, "metadata"),
        }

    def _require_cursor(self, lineage_id: str, ns: str | None, before: str) -> None:
        found = self.db.fetch_value("checkpoints.has_checkpoint", {
            "lineage_id": lineage_id, "checkpoint_id": before,
            "any_ns": ns is None, "checkpoint_ns": ns or "",
        })
        if not found:
            where = "any namespace" if ns is None else f"namespace {ns!r}"
            raise NotFound(
                f"before cursor {before!r} is not a checkpoint of lineage {lineage_id!r} "
                f"in {where}"
            )


def encode_metadata(value: Mapping[str, Any], what: str) -> str:
    """Canonical JSON (sorted keys, compact) so equal objects compare equal as text. NUL,
    unencodable text, NaN and non-JSON values are InvalidInput on both dialects alike."""
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a JSON object (a mapping), got {type(value).__name__}")
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        _check_json_text(value, what)  # a more precise message, when it has one
        raise InvalidInput(f"{what} cannot be encoded as JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput(f"{what} is nested too deeply to encode as JSON") from None
    # json.dumps writes NUL as \u0000 and accepts non-string keys and lone surrogates: the
    # precise (slower) walk runs only when the text or the keys say one may be there.
    if "\\u0000" in text or not _text_keys(value) or not text.isascii() and not _utf8(text):
        _check_json_text(value, what)
    return text


def _text_keys(value: Any) -> bool:
    """Every object key in the value is a str (json.dumps would turn 1 into "1")."""
    kind = type(value)
    if kind is dict or isinstance(value, Mapping):
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not _text_keys(item)):
                return False
    elif kind is list or kind is tuple:
        return all(type(item) in _SCALARS or _text_keys(item) for item in value)
    return True


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_json_text(value: Any, what: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(f"{what}: text may not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(f"{what}: text is not valid Unicode") from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{what}: object keys must be strings, got {key!r}")
            _check_json_text(key, what)
            _check_json_text(item, what)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_json_text(item, what)


def _require_text(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__}")


def _require_id(value: object, what: str) -> None:
    """A non-empty string; empty is the seed's "<what> is required"."""
    _require_text(value, what)
    if not value:
        raise InvalidInput(f"{what} is required")


def _require_pair(lineage_id: object, checkpoint_id: object) -> None:
    """The seed's message for put_writes without a target checkpoint."""
    if not lineage_id or not checkpoint_id:
        raise InvalidInput("lineage_id and checkpoint_id are required")
    _require_id(lineage_id, "lineage_id")
    _require_id(checkpoint_id, "checkpoint_id")


def _to_ns(moment: datetime) -> int:
    ns = (moment - _EPOCH) // timedelta(microseconds=1) * 1000
    if not -(2**63) <= ns < _MAX_TS:
        raise InvalidInput(f"timestamp {moment.isoformat()} is out of range (1677-2262)")
    return ns


def _from_ns(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _write_rows(
    lineage_id: str,
    ns: str,
    checkpoint_id: str,
    writes: Sequence[Write],
    task_id: str,
    task_path: str,
) -> list[dict[str, Any]]:
    if isinstance(writes, str | bytes) or not isinstance(writes, Sequence):
        raise InvalidInput("writes must be a sequence of Write")
    rows = []
    for position, write in enumerate(writes):
        if not isinstance(write, Write):
            raise InvalidInput(f"writes[{position}] must be a Write, got {type(write).__name__}")
        idx = position if write.idx is None else write.idx
        rows.append({
            "lineage_id": lineage_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
            "task_id": task_id if write.task_id is None else write.task_id,
            "task_path": task_path if write.task_path is None else write.task_path,
            "idx": idx,
            "seq": idx if write.seq is None else write.seq,
            "channel": write.channel,
            "value_type": write.value.type,
            "value_data": write.value.data,
        })
    return rows


def _writes_json(rows: list[dict[str, Any]], *, keep_last: bool) -> str:
    """The writes as one JSON array for upsert_writes / insert_writes_if_absent: one entry per
    (task_id, idx), the last (upsert) or first (insert-if-absent) as a batch would leave it."""
    entries: dict[tuple[str, int], list[Any]] = {}
    for row in rows:
        key = (row["task_id"], row["idx"])
        if keep_last or key not in entries:
            entries[key] = [row["task_id"], row["idx"], row["channel"], row["value_type"],
                            row["value_data"].hex(), row["task_path"], row["seq"]]
    return json.dumps(list(entries.values()), ensure_ascii=False)


def _from_parts(rows: list[Row]) -> Stored:
    """Checkpoint rows (part 0, in the query's order) and their writes (part 1), joined here.
    Writes are few per checkpoint, so sorting them here is cheaper than an ORDER BY in SQL."""
    writes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    checkpoints = []
    for row in rows:
        if row["part"] == 0:
            checkpoints.append(row)
        else:
            writes.setdefault((row["checkpoint_ns"], row["checkpoint_id"]), []).append(row)
    out: Stored = []
    for row in checkpoints:
        mine = writes.get((row["checkpoint_ns"], row["checkpoint_id"]), [])
        if len(mine) > 1:
            mine.sort(key=_WRITE_ORDER)
        out.append(StoredCheckpoint(
            row["checkpoint_ns"], row["checkpoint_id"], row["parent_checkpoint_id"], row["ts"],
            row["value_type"], bytes(row["value_data"]), row["metadata"], mine,
        ))
    return out


def _to_tuple(lineage_id: str, stored: StoredCheckpoint) -> CheckpointTuple:
    ns, parent = stored.checkpoint_ns, stored.parent_checkpoint_id
    return CheckpointTuple(
        ref=CheckpointRef(lineage_id, ns, stored.checkpoint_id),
        checkpoint=Payload(type=stored.checkpoint_type, data=bytes(stored.checkpoint_data)),
        metadata=json.loads(stored.metadata),
        ts=_from_ns(stored.ts),
        parent=CheckpointRef(lineage_id, ns, parent) if parent else None,
        pending_writes=tuple(
            PendingWrite(
                task_id=w["task_id"], channel=w["channel"],
                value=Payload(type=w["value_type"], data=bytes(w["value_data"])),
                task_path=w["task_path"], idx=w["idx"], seq=w["seq"],
            )
            for w in stored.writes
        ),
    )
