"""Technicians' calls (:mod:`madoguchi.ops.control`), run on the counter's thread between visitors.

A call never disturbs a visitor: it waits until no transaction runs, unless it only reads (then it
may run between two steps of one); one that used the LCD puts back what staff were looking at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from madoguchi.errors import Busy


class Call:
    """A technician's request with a slot for its answer, run by the counter's thread.

    ``work()`` runs once, fully or not at all: :meth:`wait` withdraws a call that has not started
    when its time is up (raising Busy). ``between_steps``: it only reads, so it may run between two
    steps of a transaction; any other call waits until no visitor is served. ``redraw``: it used
    the LCD, so what was there (a result staff are reading, or the idle screen) is shown again.
    """

    def __init__(
        self, work: Callable[[], object], *, between_steps: bool = False, redraw: bool = False
    ) -> None:
        self.work = work
        self.between_steps = between_steps
        self.redraw = redraw
        self.waited = False
        """It arrived during a transaction and was run after it."""
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._stage = "queued"  # then "running" or "withdrawn"
        self._result: object = None
        self._error: Exception | None = None

    def run(self) -> None:
        with self._lock:
            if self._stage == "withdrawn":
                return
            self._stage = "running"
        try:
            self._result = self.work()
        except Exception as error:  # the caller hears of it; the counter serves on
            self._error = error
        finally:
            self._done.set()

    def wait(self, timeout: float) -> object:
        """The work's result (its exception is raised); Busy if it had not started within ``timeout``."""
        if not self._done.wait(timeout):
            with self._lock:
                if self._stage == "queued":
                    self._stage = "withdrawn"
                    raise Busy(f"a visitor is being served; try again (waited {timeout:g} s)")
            self._done.wait()  # started: a call runs to its end
        if self._error is not None:
            raise self._error
        return self._result


class Calls:
    """Runs calls on the counter's thread: at once between visitors, or after the transaction.

    :param redraw: puts back what the LCD showed before a call that used it.
    """

    def __init__(self, redraw: Callable[[], None]) -> None:
        self._redraw = redraw
        self._deferred: list[Call] = []

    def run(self, call: Call) -> None:
        """No visitor is served: run ``call`` now."""
        call.run()
        if call.redraw:
            self._redraw()

    def take(self, call: Call) -> None:
        """A call during a transaction: run now if it only reads, else after the transaction."""
        if call.between_steps:
            call.run()
        else:
            call.waited = True
            self._deferred.append(call)

    def run_deferred(self) -> None:
        """The transaction has ended: the calls that waited for it."""
        deferred, self._deferred = self._deferred, []
        for call in deferred:
            self.run(call)
