"""Hostile-input slots of the checkpoint store: every id, the namespace, metadata keys and
values, payload tags and bytes, pending-write fields, and the keyed reads and deletes."""

from __future__ import annotations

from typing import Any

from genie_repo import Payload, Write
from genie_repo.models.checkpoints import CheckpointRef
from tests.reliability.hostile import Call, Slot, Stores, Verify, as_key

DATA = Payload("json", b'{"v": 1}')


def put(field: str) -> Slot:
    """`put` (or `put_full` for write fields) with the hostile value in one argument; the
    checkpoint must read back with exactly that argument."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        args: dict[str, Any] = {"lineage_id": stores.fresh_id(), "checkpoint_id": "cp", "ns": "",
                                "parent_id": None, "metadata": {"m": 1}}
        writes: list[Write] = []
        write_args: dict[str, Any] = {"channel": "c", "value": DATA, "task_id": "t",
                                      "task_path": ""}

        def call() -> object:
            if field == "metadata-key":
                args["metadata"] = {as_key(value): 1}
            elif field == "metadata-value":
                args["metadata"] = {"m": value}
            elif field in write_args:
                write_args[field] = value
            else:
                args[field] = value
            if field == "payload-type":
                return stores.checkpoints.put(args["lineage_id"], "cp", Payload(value, b"x"))
            if field in ("channel", "task_id", "task_path"):
                writes.append(Write(**write_args))
                return stores.checkpoints.put_full(args["lineage_id"], "cp", DATA, writes=writes)
            return stores.checkpoints.put(
                args["lineage_id"], args["checkpoint_id"], DATA, ns=args["ns"],
                parent_id=args["parent_id"], metadata=args["metadata"])

        def verify(result: object) -> None:
            ns = "" if field in ("payload-type", "channel", "task_id", "task_path") else args["ns"]
            cp = "cp" if field == "payload-type" else args["checkpoint_id"]
            got = stores.checkpoints.get_tuple(args["lineage_id"], cp, ns=ns)
            assert got is not None
            if field == "payload-type":
                assert got.checkpoint == Payload(value, b"x")
                return
            assert got.checkpoint == DATA
            if writes:
                (stored,) = got.pending_writes
                expected = {k: "" if v is None else v for k, v in write_args.items()}  # None: ""
                assert (stored.channel, stored.task_id, stored.task_path, stored.value) == (
                    expected["channel"], expected["task_id"], expected["task_path"], DATA)
                return
            assert got.metadata == args["metadata"]
            assert (got.parent.checkpoint_id if got.parent else None) == args["parent_id"]
            listed = stores.checkpoints.list(args["lineage_id"], metadata_filter=args["metadata"])
            assert [t.ref for t in listed] == [got.ref]

        return call, verify

    return slot


def payload_bytes(stores: Stores, value: Any) -> tuple[Call, Verify]:
    lineage = stores.fresh_id()
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value

    def verify(result: object) -> None:
        got = stores.checkpoints.get_tuple(lineage, "cp")
        assert got is not None and got.checkpoint.data == data

    return lambda: stores.checkpoints.put(lineage, "cp", Payload("bytes", data)), verify


def keyed(method: str) -> Slot:
    """Reads, deletes and copies keyed by the hostile value: a missing lineage is empty / 0."""

    def slot(stores: Stores, value: Any) -> tuple[Call, Verify]:
        lineage = stores.fresh_id()
        stores.checkpoints.put(lineage, "cp", DATA, metadata={"m": 1})
        calls = {
            "get_tuple": lambda: stores.checkpoints.get_tuple(value),
            "get_tuple(id)": lambda: stores.checkpoints.get_tuple(lineage, value),
            "list": lambda: stores.checkpoints.list(value),
            "list(ns)": lambda: stores.checkpoints.list(lineage, ns=value),
            "list(before)": lambda: stores.checkpoints.list(lineage, before=value),
            "list(metadata_filter)": lambda: stores.checkpoints.list(
                lineage, metadata_filter={"m": value}),
            "has_metadata_key": lambda: stores.checkpoints.has_metadata_key(lineage, value),
            "delete_lineage": lambda: stores.checkpoints.delete_lineage(value),
            "prune": lambda: stores.checkpoints.prune(value, keep_last=0),
            "delete_for_runs": lambda: stores.checkpoints.delete_for_runs([value]),
            "copy_lineage(source)": lambda: stores.checkpoints.copy_lineage(value, "target"),
            "copy_lineage(target)": lambda: stores.checkpoints.copy_lineage(lineage, value),
        }

        def verify(result: object) -> None:
            """Earlier slots may have stored rows under this very value: results must match
            the value exactly, and the fresh lineage must be untouched unless targeted. None
            means "not given" where the API says so (latest, every namespace, no cursor)."""
            if value is None and method in ("get_tuple(id)", "list(ns)", "list(before)"):
                found: list[Any] = result if isinstance(result, list) else [result]
                assert [t.ref for t in found] == [CheckpointRef(lineage, "", "cp")]
            elif method == "copy_lineage(target)":
                assert result == 1 and stores.checkpoints.get_tuple(value, "cp") is not None
            elif method == "get_tuple":
                assert result is None or result.ref.lineage_id == value  # type: ignore[attr-defined]
            elif method == "get_tuple(id)":
                assert result is None
            elif method == "list":
                assert all(t.ref.lineage_id == value for t in result)  # type: ignore[attr-defined]
            elif method == "list(ns)":
                assert all(t.ref.checkpoint_ns == value for t in result)  # type: ignore[attr-defined]
            elif method in ("list(before)", "list(metadata_filter)"):
                assert list(result) == []  # type: ignore[call-overload]
            elif method == "delete_lineage":
                assert stores.checkpoints.list(value) == []
            else:
                assert result in (0, False)
            assert stores.checkpoints.get_tuple(lineage, "cp") is not None  # untouched

        return calls[method], verify

    return slot


CHECKPOINT_SLOTS: dict[str, Slot] = {
    **{f"checkpoints.put({f})": put(f)
       for f in ("lineage_id", "checkpoint_id", "ns", "parent_id", "metadata-key",
                 "metadata-value", "payload-type", "channel", "task_id", "task_path")},
    "checkpoints.put(payload bytes)": payload_bytes,
    **{f"checkpoints.{m}": keyed(m)
       for m in ("get_tuple", "get_tuple(id)", "list", "list(ns)", "list(before)",
                 "list(metadata_filter)", "has_metadata_key", "delete_lineage", "prune",
                 "delete_for_runs", "copy_lineage(source)", "copy_lineage(target)")},
}
