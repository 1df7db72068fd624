"""Speech from text, offline: Open JTalk for Japanese, eSpeak NG for English, into WAV files.

Both run as their Debian command-line tools (``open_jtalk`` with the NAIST dictionary and the NIT
ATR503 m001 voice; ``espeak-ng``), once per prompt at start-up, never during a transaction. Their
loudness differs (Open JTalk peaks near -7 dBFS, eSpeak NG near -3 dBFS), so every prompt is scaled
to one peak level, :data:`PEAK_DBFS`, times the configured volume, and framed in a little silence:
USB amplifiers wake on the first samples and would clip the first syllable.

A prompt is not biometric, so the WAVs are kept in a cache directory, one file per (engine and its
voice files, text, volume), written whole or not at all (a temporary file renamed into place).

    cache = Path("/var/cache/madoguchi/voice")
    library = PromptLibrary.build(synthesizer_for("ja"), PROMPTS, "ja", volume=80, cache=cache)
    library.path("move_closer")  # a WAV to play
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from madoguchi.errors import MadoguchiError
from madoguchi.language import Language, Text

PEAK_DBFS = -3.0
"""Every prompt peaks here at volume 100."""
LEAD_IN_S = 0.08
TAIL_S = 0.05
TIMEOUT_S = 30.0
"""One prompt takes well under a second to synthesise; a tool that hangs is stopped."""
CACHE_FORMAT = 1
"""Part of every cache key: bump it when the processing below changes what a text sounds like."""

JTALK_DICTIONARY = Path("/var/lib/mecab/dic/open-jtalk/naist-jdic")
JTALK_VOICE = Path("/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice")


class VoiceUnavailable(MadoguchiError, RuntimeError):
    """A speech synthesiser, its dictionary or its voice is not installed, or it failed on a text."""


@dataclass(frozen=True)
class Sound:
    """Mono 16-bit PCM samples and their rate."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class Synthesizer(Protocol):
    """Turns one sentence into a :class:`Sound`; ``identity`` names the engine and its voice files
    (part of the cache key, so a new voice or dictionary renders every prompt again)."""

    @property
    def identity(self) -> str: ...
    def speak(self, text: str) -> Sound: ...


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise VoiceUnavailable(f"{name} is not installed (Debian package {package})")
    return path


def _run(command: list[str], *, text: str | None = None) -> None:
    try:
        done = subprocess.run(
            command, input=text, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise VoiceUnavailable(f"{Path(command[0]).name}: {error}") from error
    if done.returncode != 0:
        said = done.stderr.strip()[-300:]
        raise VoiceUnavailable(f"{Path(command[0]).name} exited {done.returncode}: {said}")


def _spoken(command_for: Callable[[str], list[str]], *, stdin: str | None = None) -> Sound:
    """The WAV a tool writes where ``command_for(path)`` tells it (a scratch directory of its own,
    gone on return), read back."""
    with tempfile.TemporaryDirectory(prefix="madoguchi-voice-") as scratch:
        out = Path(scratch) / "out.wav"
        _run(command_for(str(out)), text=stdin)
        return read_wav(out)


def read_wav(path: Path) -> Sound:
    """A mono or stereo 16-bit WAV as mono samples (channels averaged)."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise VoiceUnavailable(f"{path.name}: expected 16-bit samples, not {wav.getsampwidth()} B")
            frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
            channels, rate = wav.getnchannels(), wav.getframerate()
    except (OSError, EOFError, wave.Error) as error:
        raise VoiceUnavailable(f"{path.name}: not a readable WAV: {error}") from error
    mono = frames.reshape(-1, channels).mean(axis=1) if channels > 1 else frames
    return Sound(mono.astype(np.int16), rate)


def write_wav(path: Path, sound: Sound) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sound.rate)
        wav.writeframes(sound.samples.astype("<i2").tobytes())


class OpenJTalk:
    """Japanese: ``open_jtalk`` with the NAIST dictionary and the NIT ATR503 m001 HTS voice."""

    def __init__(self, dictionary: Path = JTALK_DICTIONARY, voice: Path = JTALK_VOICE) -> None:
        self.command = _tool("open_jtalk", "open-jtalk")
        if not (dictionary / "sys.dic").is_file():
            raise VoiceUnavailable(f"no Open JTalk dictionary at {dictionary} (open-jtalk-mecab-naist-jdic)")
        if not voice.is_file():
            raise VoiceUnavailable(f"no HTS voice {voice} (hts-voice-nitech-jp-atr503-m001, Debian contrib)")
        self.dictionary, self.voice = dictionary, voice
        stat = (dictionary / "sys.dic").stat()
        digest = hashlib.sha256(voice.read_bytes()).hexdigest()[:16]
        self._identity = f"open_jtalk voice={digest} dic={stat.st_size}:{stat.st_mtime_ns}"

    @property
    def identity(self) -> str:
        return self._identity

    def speak(self, text: str) -> Sound:
        model = ["-x", str(self.dictionary), "-m", str(self.voice)]
        return _spoken(lambda out: [self.command, *model, "-ow", out], stdin=text)


class EspeakNg:
    """English: ``espeak-ng`` with its ``en-us`` voice, a little slower than its default."""

    def __init__(self, voice: str = "en-us", words_per_minute: int = 150) -> None:
        self.command = _tool("espeak-ng", "espeak-ng")
        self.voice, self.words_per_minute = voice, words_per_minute
        self._identity = f"espeak-ng voice={voice} wpm={words_per_minute}"

    @property
    def identity(self) -> str:
        return self._identity

    def speak(self, text: str) -> Sound:
        voice = ["-v", self.voice, "-s", str(self.words_per_minute)]
        return _spoken(lambda out: [self.command, *voice, "-w", out, text])


def synthesizer_for(language: Language) -> Synthesizer:
    """Open JTalk for ``ja``, eSpeak NG for ``en``; VoiceUnavailable names what is not installed."""
    return OpenJTalk() if language == "ja" else EspeakNg()


def levelled(sound: Sound, volume: int) -> Sound:
    """``sound`` scaled so its peak sits at :data:`PEAK_DBFS` at volume 100 (linear below), framed
    in :data:`LEAD_IN_S` and :data:`TAIL_S` of silence. A silent render stays silent."""
    samples = sound.samples.astype(np.float64)
    peak = float(np.abs(samples).max()) if len(samples) else 0.0
    if peak > 0:
        samples *= 10 ** (PEAK_DBFS / 20) * 32767 * volume / 100 / peak
    lead, tail = np.zeros(round(LEAD_IN_S * sound.rate)), np.zeros(round(TAIL_S * sound.rate))
    framed = np.concatenate([lead, np.round(samples), tail])
    return Sound(np.clip(framed, -32768, 32767).astype(np.int16), sound.rate)


class PromptLibrary:
    """One WAV file per prompt code, rendered or found in the cache; :meth:`path` gives it to play."""

    def __init__(self, paths: Mapping[str, Path]) -> None:
        self._paths = dict(paths)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._paths)

    def path(self, code: str) -> Path | None:
        """The prompt's WAV, or None for a code with nothing to say."""
        return self._paths.get(code)

    @classmethod
    def build(
        cls,
        synthesizer: Synthesizer,
        prompts: Mapping[str, Text],
        language: Language,
        *,
        volume: int,
        cache: Path,
    ) -> PromptLibrary:
        """Render every prompt not yet in ``cache``; raises VoiceUnavailable (the synthesiser) or
        OSError (the cache directory)."""
        cache.mkdir(parents=True, exist_ok=True)
        paths = {}
        for code, text in prompts.items():
            sentence = text(language)
            path = cache / f"{cache_key(synthesizer.identity, sentence, volume)}.wav"
            if not path.is_file():
                _write_atomically(path, levelled(synthesizer.speak(sentence), volume))
            paths[code] = path
        return cls(paths)


def cache_key(identity: str, text: str, volume: int) -> str:
    """The file name of a prompt in the cache: what was said, by which engine and voice, how loud."""
    described = json.dumps({"format": CACHE_FORMAT, "engine": identity, "text": text, "volume": volume})
    return hashlib.sha256(described.encode()).hexdigest()[:32]


def _write_atomically(path: Path, sound: Sound) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-", suffix=".wav")
    os.close(handle)
    try:
        write_wav(Path(temporary), sound)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
