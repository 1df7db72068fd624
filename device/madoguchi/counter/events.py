"""The counter's inbox: button presses and technicians' calls, queued by any thread and taken by the
counter's own, and the state they lead to, so other threads can wait for it.

``wait_settled`` means: every event posted so far has been acted on or answered, and no transaction
runs (the simulator and the tests wait on it, never on time).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Collection, Iterator

from madoguchi.counter.calls import Call
from madoguchi.counter.state import IDLE_STATES, Event, KeyPress, State

log = logging.getLogger(__name__)

SETTLED_STATES = IDLE_STATES | {State.OUT_OF_SERVICE}


class EventQueue:
    """Events and calls for the counter's thread, and the counter's state as other threads see it."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Event | Call | KeyPress] = queue.SimpleQueue()
        # Reentrant, since post() runs in signal handlers.
        self._settled = threading.Condition(threading.RLock())
        self._posted = 0
        self._handled = 0
        self.state = State.STOPPED
        self.stopping = False
        """STOP has been taken: the counter ends its loop once the transaction (if any) has ended."""
        self.keys_wanted = False
        """A code is being keyed in: the USB keypad's keys are taken (else they are dropped)."""

    def post(self, event: Event | Call | KeyPress) -> None:
        """Queue ``event``; safe from button threads and signal handlers."""
        if isinstance(event, KeyPress) and not self.keys_wanted:
            return  # no code is being keyed in: a key means nothing, and a digit is not kept
        with self._settled:
            self._posted += 1
        self._queue.put(event)

    def get(self, timeout: float) -> Event | Call | KeyPress:
        """The next event, waiting up to ``timeout`` (queue.Empty); call :meth:`handled` after it."""
        return self._noted(self._queue.get(timeout=timeout))

    def handled(self) -> None:
        """The event last taken has been acted on or answered."""
        with self._settled:
            self._handled += 1
            self._settled.notify_all()

    def pending(self) -> Iterator[Event | Call | KeyPress]:
        """The events queued so far, without waiting; each counts as handled once taken."""
        while True:
            try:
                event = self._noted(self._queue.get_nowait())
            except queue.Empty:
                return
            try:
                yield event
            finally:
                self.handled()

    def enter(self, state: State) -> None:
        if state is not self.state:
            log.debug("state %s -> %s", self.state.value, state.value)
        with self._settled:
            self.state = state
            self._settled.notify_all()

    def wait_settled(self, timeout: float) -> bool:
        """Wait until every event posted so far has been acted on and no transaction runs."""
        with self._settled:
            return self._settled.wait_for(
                lambda: self._handled == self._posted and self.state in SETTLED_STATES, timeout
            )

    def wait_for_state(self, states: Collection[State], timeout: float) -> bool:
        """Wait until the state is one of ``states`` (e.g. BUSY_STATES)."""
        with self._settled:
            return self._settled.wait_for(lambda: self.state in states, timeout)

    def _noted(self, event: Event | Call) -> Event | Call | KeyPress:
        if event is Event.STOP:
            self.stopping = True
        return event
