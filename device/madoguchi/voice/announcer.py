"""Speaking to the visitor without ever holding up the transaction.

:class:`Announcer` owns the speaker on a thread of its own. The transaction only calls
:meth:`Announcer.say`, which returns at once: the code goes into a one-place mailbox, so while a
prompt plays the newest request waits and every older one is dropped (guidance goes stale; only the
latest is worth saying). A prompt said in the last ``repeat_s`` seconds is not said again, so the
capture loop may call ``say`` on every frame.

A missing or failing speaker is a fault, not an error: :attr:`Announcer.fault` names it (for the
daemon's ``status``), prompts are dropped while it lasts, and the device is tried again after
``retry_s``, so a speaker plugged back in speaks again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from madoguchi.errors import HardwareError
from madoguchi.voice.speaker import Speaker, SpeakerMissing
from madoguchi.voice.synthesis import PromptLibrary

log = logging.getLogger(__name__)

REPEAT_S = 4.0
RETRY_S = 30.0


@dataclass(frozen=True)
class Fault:
    """What is wrong with the voice, as the daemon's ``status`` shows a device's last fault."""

    code: str  # "speaker_missing", "speaker_error" or "voice_unavailable"
    detail: str
    at: str  # ISO time, seconds


def fault_now(code: str, detail: str) -> Fault:
    return Fault(code, detail, datetime.now().astimezone().isoformat(timespec="seconds"))


class Announcer:
    """Plays prompt codes from ``library`` on ``speaker``, one at a time, on its own thread.

        announcer = Announcer(AlsaSpeaker("default"), library)
        announcer.say("move_closer")  # returns at once
        announcer.fault  # None, or Fault("speaker_missing", ...)
        announcer.close()

    :param speaker: the loudspeaker (:class:`~madoguchi.voice.speaker.AlsaSpeaker` or its double).
    :param library: the rendered prompts; codes it lacks are ignored.
    :param repeat_s: a code said within this many seconds is not said again.
    :param retry_s: after a fault, prompts are dropped for this long, then the device is tried again.
    :param fault: a fault known before start (the prompts could not be rendered).
    :param clock: monotonic seconds.
    """

    def __init__(
        self,
        speaker: Speaker,
        library: PromptLibrary,
        *,
        repeat_s: float = REPEAT_S,
        retry_s: float = RETRY_S,
        fault: Fault | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.speaker = speaker
        self.library = library
        self.repeat_s = repeat_s
        self.retry_s = retry_s
        self.clock = clock
        self.fault = fault
        self._retry_at = float("-inf")
        self._said: dict[str, float] = {}
        self._pending: str | None = None
        self._playing: str | None = None
        self._closed = False
        self._checked = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._serve, name="voice", daemon=True)
        self._thread.start()

    def say(self, code: str) -> bool:
        """Queue ``code`` to be spoken; False when it is dropped (unknown, repeated, a fault)."""
        if self.library.path(code) is None:
            return False
        with self._wake:
            now = self.clock()
            if self._closed or code in (self._pending, self._playing):
                return False
            if now - self._said.get(code, float("-inf")) < self.repeat_s or now < self._retry_at:
                return False
            self._pending = code
            self._wake.notify()
            return True

    def hush(self) -> None:
        """Drop what waits and cut what plays (the transaction ended or was cancelled)."""
        with self._wake:
            self._pending = None
        self.speaker.stop()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until nothing waits or plays (tests, and a clean stop); False on timeout."""
        deadline = self.clock() + timeout
        with self._wake:
            while (self._pending or self._playing or not self._checked) and not self._closed:
                left = deadline - self.clock()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._pending = None
            self._wake.notify_all()
        self.speaker.stop()
        self._thread.join(timeout=5.0)
        self.speaker.close()

    def _serve(self) -> None:
        self._attempt(self.speaker.check)
        with self._wake:
            self._checked = True
            self._wake.notify_all()
        while True:
            with self._wake:
                while self._pending is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                code, self._pending = self._pending, None
                self._playing = code
                self._said[code] = self.clock()
            try:
                self._attempt(self._play, code)
            finally:
                with self._wake:
                    self._playing = None
                    self._wake.notify_all()

    def _play(self, code: str) -> None:
        path = self.library.path(code)
        if path is not None:
            self.speaker.play(path)

    def _attempt(self, act: Callable[..., None], *args: str) -> None:
        """Run a speaker call; turn its failure into :attr:`fault` (logged when it first appears)."""
        try:
            act(*args)
        except HardwareError as error:
            code = "speaker_missing" if isinstance(error, SpeakerMissing) else "speaker_error"
            if self.fault is None or self.fault.code != code:
                log.warning("voice: %s: %s; prompts dropped, retried in %.0f s", code, error, self.retry_s)
            self.fault = fault_now(code, str(error))
            self._retry_at = self.clock() + self.retry_s
        else:
            if self.fault is not None and self.fault.code != "voice_unavailable":
                log.info("voice: the speaker works again")
                self.fault = None
