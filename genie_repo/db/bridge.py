"""Run synchronous store code on the event loop, its database waits awaited natively.

A store's logic is written once, as ordinary synchronous code. On PostgreSQL its async twin runs
that same code inside a greenlet on the event loop's own thread; when the code reaches the
database, `await_only` hands the driver's coroutine back to the awaiting task, which awaits it
(psycopg's async connection) and switches back in with the result. No thread is involved, and
between two database waits the loop is free for other tasks.

Greenlets are reused: creating one costs more than a whole switch in and out, so finished ones
wait in a free list for the next call.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import greenlet

from genie_repo.errors import GenieRepoError

P = ParamSpec("P")
T = TypeVar("T")

# What a bridge greenlet hands to its driver.
_AWAIT, _RETURN, _RAISE = 0, 1, 2


class _BridgeGreenlet(greenlet.greenlet):
    """A greenlet that runs calls until it is dropped; only these may `await_only`."""


def in_bridge() -> bool:
    """Whether the calling code runs under `run_bridged` (and so may `await_only`)."""
    return isinstance(greenlet.getcurrent(), _BridgeGreenlet)


def await_only(awaitable: Awaitable[T]) -> T:
    """Await from synchronous code running under `run_bridged`; anywhere else it is an error,
    since there is no task to do the awaiting."""
    current = greenlet.getcurrent()
    if not isinstance(current, _BridgeGreenlet):
        raise GenieRepoError(
            "this store belongs to an async twin: call it through the twin (await ...), "
            "or build a separate synchronous store on the Database"
        )
    driver = current.parent
    assert driver is not None  # run_bridged set it
    return driver.switch((_AWAIT, awaitable))  # type: ignore[no-any-return]


def _serve(first: tuple[Any, ...]) -> None:
    """A bridge greenlet's life: run each call it is given, report how it ended, wait."""
    call = first
    while True:
        context, function, args, kwargs = call
        try:
            outcome: tuple[int, Any] = (_RETURN, context.run(function, *args, **kwargs))
        except greenlet.GreenletExit:  # the idle greenlet is being collected
            raise
        except BaseException as exc:  # every other outcome, even cancellation, goes back
            outcome = (_RAISE, exc)
        driver = greenlet.getcurrent().parent
        assert driver is not None  # run_bridged set it
        call = driver.switch(outcome)


_local = threading.local()  # each thread's idle greenlets: a greenlet runs on its own thread
_MAX_IDLE = 64


async def run_bridged(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `function(*args, **kwargs)` in a bridge greenlet with the caller's context variables,
    awaiting on its behalf every awaitable it hands over with `await_only`.

    Cancellation reaches the code inside as the exception raised at its current `await_only`,
    so its `with` blocks unwind (a transaction rolls back) before the cancellation propagates.
    """
    here = greenlet.getcurrent()
    idle: list[_BridgeGreenlet] | None = getattr(_local, "idle", None)
    if idle is None:
        idle = _local.idle = []
    if idle:
        runner = idle.pop()
        runner.parent = here
    else:
        runner = _BridgeGreenlet(_serve, here)
    # A copy of the caller's context: the call sees an open async transaction, and what it sets
    # (its own nested transaction) stays inside the call.
    step = runner.switch((contextvars.copy_context(), function, args, kwargs))
    while True:
        kind, value = step
        if kind == _AWAIT:
            try:
                result = await value
            except BaseException as exc:
                step = runner.throw(exc)
            else:
                step = runner.switch(result)
            continue
        if len(idle) < _MAX_IDLE:
            idle.append(runner)
        if kind == _RETURN:
            return value  # type: ignore[no-any-return]
        raise value
