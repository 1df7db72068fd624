"""The visitor's loudspeaker: ALSA through ``aplay``, and a double that records what it would play.

``aplay`` (alsa-utils) rather than a Python binding: pyalsaaudio has no wheels and builds against
libasound2-dev on every Python the device runs (3.10-3.13, aarch64); simpleaudio is unmaintained
and has no wheels past 3.11. A child process also keeps ALSA's own failures (a USB speaker pulled
mid-sentence, a driver that blocks) out of the daemon: it is killed on a time limit or when a newer
prompt interrupts it, and its exit tells a missing device ("audio open error") from other faults.
The daemon's unit must allow the sound devices (``DeviceAllow=char-alsa``, group ``audio``).

    speaker = AlsaSpeaker("plughw:CARD=UACDemoV10,DEV=0")
    speaker.check()  # SpeakerMissing if the device cannot be opened
    speaker.play(Path("/var/cache/madoguchi/voice/....wav"))  # blocks until played
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import wave
from pathlib import Path
from typing import Protocol, runtime_checkable

from madoguchi.errors import DeviceClosed, DeviceNotFound, HardwareError

PLAY_TIMEOUT_S = 20.0
"""The longest prompt lasts under 5 s; a player still running after this is stuck and killed."""


class SpeakerMissing(DeviceNotFound):
    """The sound device cannot be opened (not connected, wrong name, aplay not installed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, device="speaker")


class SpeakerError(HardwareError):
    """The sound device opened but playing failed or hung."""


@runtime_checkable
class Speaker(Protocol):
    """``play()`` blocks until the WAV has been played; ``stop()`` (from another thread) cuts it short."""

    def check(self) -> None: ...
    def play(self, wav: Path) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


def silence_wav(seconds: float = 0.02, rate: int = 16000) -> bytes:
    """A short silent WAV: opening the device with it proves the device is there."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\0\0" * round(seconds * rate))
    return out.getvalue()


class AlsaSpeaker:
    """An ALSA PCM device (a name as ``aplay -L`` lists it), played with ``aplay``.

    :param device: the ALSA PCM, e.g. ``default``, ``plughw:CARD=Device,DEV=0``; ``null`` discards
        the sound (ALSA's null plugin: the whole path runs, nothing is heard).
    :param timeout_s: a play still running after this is killed and raises SpeakerError.
    """

    def __init__(self, device: str = "default", *, timeout_s: float = PLAY_TIMEOUT_S) -> None:
        self.device = device
        self.timeout_s = timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def where(self) -> str:
        return f"alsa:{self.device}"

    def check(self) -> None:
        self._aplay(["-"], silence_wav())

    def play(self, wav: Path) -> None:
        self._aplay(["--", str(wav)], None)

    def stop(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()

    def close(self) -> None:
        self._closed = True
        self.stop()

    def _aplay(self, arguments: list[str], stdin: bytes | None) -> None:
        if self._closed:
            raise DeviceClosed("the speaker is closed")
        command = shutil.which("aplay")
        if command is None:
            raise SpeakerMissing("aplay is not installed (Debian package alsa-utils)")
        with self._lock:
            process = subprocess.Popen(
                [command, "-q", "-D", self.device, *arguments],
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            self._process = process
        try:
            _, error = process.communicate(stdin, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise SpeakerError(f"{self.where}: still playing after {self.timeout_s:.0f} s, stopped") from None
        finally:
            with self._lock:
                self._process = None
        if process.returncode < 0:  # stopped by stop(): a newer prompt, or closing
            return
        if process.returncode != 0:
            said = error.decode(errors="replace").strip().splitlines()
            last = said[-1] if said else f"exit status {process.returncode}"
            if "audio open error" in last:
                raise SpeakerMissing(f"{self.where}: {last}")
            raise SpeakerError(f"{self.where}: {last}")


class RecordingSpeaker:
    """The speaker's double: keeps every WAV it would have played, in order.

    ``missing = True`` makes it behave as an unplugged device (check and play raise SpeakerMissing);
    ``hold`` (an Event, set by the test) makes each play wait for it, like a long sentence.
    """

    def __init__(self, *, missing: bool = False, hold: threading.Event | None = None) -> None:
        self.missing = missing
        self.hold = hold
        self.played: list[Path] = []
        self.stopped = 0
        self._closed = False

    @property
    def where(self) -> str:
        return "simulated:RecordingSpeaker"

    def check(self) -> None:
        self._check()

    def play(self, wav: Path) -> None:
        self._check()
        self.played.append(wav)
        if self.hold is not None:
            self.hold.wait(PLAY_TIMEOUT_S)

    def stop(self) -> None:
        self.stopped += 1

    def close(self) -> None:
        self._closed = True

    def _check(self) -> None:
        if self._closed:
            raise DeviceClosed("the speaker is closed")
        if self.missing:
            raise SpeakerMissing("simulated: no sound device")
