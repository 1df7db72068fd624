"""Spoken guidance: every prompt renders in both languages (measured by sox), the cache, the speaker
on ALSA's null device and the announcer's thread, which never holds up its caller."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from madoguchi.voice import (
    PROMPTS,
    AlsaSpeaker,
    Announcer,
    PromptLibrary,
    RecordingSpeaker,
    SpeakerMissing,
    VoiceConfig,
    start_voice,
)
from madoguchi.voice.synthesis import (
    LEAD_IN_S,
    PEAK_DBFS,
    OpenJTalk,
    Sound,
    VoiceUnavailable,
    cache_key,
    levelled,
    read_wav,
    synthesizer_for,
)

SOX = shutil.which("sox")


def sox_stats(path: Path) -> dict[str, float]:
    """``sox FILE -n stats``: peak and RMS level (dBFS), length (s), flat factor, peak count."""
    done = subprocess.run([SOX, str(path), "-n", "stats"], capture_output=True, text=True, check=True)
    stats = {}
    for line in done.stderr.splitlines():
        match = re.match(r"^(Pk lev dB|RMS lev dB|Length s|Flat factor|Pk count)\s+(\S+)", line)
        if match:
            stats[match.group(1)] = float(match.group(2).replace("k", "e3"))
    return stats


def synthesizer_or_skip(language: str):
    try:
        return synthesizer_for(language)
    except VoiceUnavailable as error:
        pytest.skip(f"no {language} speech synthesiser: {error}")


@pytest.fixture(scope="module", params=["ja", "en"])
def rendered(request, tmp_path_factory) -> tuple[str, PromptLibrary]:
    if SOX is None:
        pytest.skip("sox is not installed (Debian package sox)")
    language = request.param
    library = PromptLibrary.build(
        synthesizer_or_skip(language),
        PROMPTS,
        language,
        volume=100,
        cache=tmp_path_factory.mktemp(f"voice-{language}"),
    )
    return language, library


# Characters per second of speech: Japanese about 5 (a kanji holds several morae), English 8-13.
SPEECH_RATE = {"ja": (3.0, 9.0), "en": (6.0, 18.0)}


@pytest.mark.parametrize("code", sorted(PROMPTS))
def test_every_prompt_renders_to_a_sane_wav(rendered, code):
    language, library = rendered
    path = library.path(code)
    assert path is not None and path.is_file()
    stats = sox_stats(path)
    text = PROMPTS[code](language)
    rate = len(text.replace(" ", "")) / (stats["Length s"] - 0.13)
    low, high = SPEECH_RATE[language]
    assert 0.6 <= stats["Length s"] <= 8.0, stats
    assert low <= rate <= high, f"{text!r}: {rate:.1f} characters/s"
    assert PEAK_DBFS - 0.2 <= stats["Pk lev dB"] <= PEAK_DBFS + 0.1, stats  # levelled, not clipped
    assert stats["Flat factor"] == 0 and stats["Pk count"] <= 2, stats
    assert stats["RMS lev dB"] > -30, stats  # speech, not near-silence
    sound = read_wav(path)
    assert not np.any(sound.samples[: round(LEAD_IN_S * sound.rate)]), "the lead-in is silent"


def test_volume_scales_the_level(tmp_path):
    if SOX is None:
        pytest.skip("sox is not installed (Debian package sox)")
    synthesizer = synthesizer_or_skip("en")
    prompts = {"hold_still": PROMPTS["hold_still"]}
    loud = PromptLibrary.build(synthesizer, prompts, "en", volume=100, cache=tmp_path)
    soft = PromptLibrary.build(synthesizer, prompts, "en", volume=50, cache=tmp_path)
    assert loud.path("hold_still") != soft.path("hold_still")
    drop = sox_stats(loud.path("hold_still"))["Pk lev dB"] - sox_stats(soft.path("hold_still"))["Pk lev dB"]
    assert drop == pytest.approx(20 * np.log10(2), abs=0.1)


class CountingSynthesizer:
    """A synthesiser whose every sentence is a 440 Hz tone, counting its calls."""

    identity = "tone"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def speak(self, text: str) -> Sound:
        self.calls.append(text)
        t = np.arange(8000) / 16000
        return Sound((3000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), 16000)


def test_the_cache_renders_each_prompt_once_and_keys_on_text_engine_and_volume(tmp_path):
    synthesizer = CountingSynthesizer()
    first = PromptLibrary.build(synthesizer, PROMPTS, "ja", volume=70, cache=tmp_path)
    again = PromptLibrary.build(synthesizer, PROMPTS, "ja", volume=70, cache=tmp_path)
    assert len(synthesizer.calls) == len(PROMPTS)
    assert all(first.path(code) == again.path(code) for code in PROMPTS)
    assert not list(tmp_path.glob(".partial-*")), "no half-written file is left"
    keys = {cache_key("tone", "あ", 70), cache_key("tone", "い", 70), cache_key("tone", "あ", 71)}
    assert len(keys | {cache_key("other", "あ", 70)}) == 4


def test_levelled_peaks_at_the_target_and_keeps_silence_silent():
    tone = CountingSynthesizer().speak("x")
    out = levelled(tone, 100)
    assert np.abs(out.samples).max() / 32767 == pytest.approx(10 ** (PEAK_DBFS / 20), rel=1e-3)
    assert not levelled(Sound(np.zeros(100, np.int16), 16000), 100).samples.any()


def test_open_jtalk_names_a_missing_voice(tmp_path):
    if shutil.which("open_jtalk") is None:
        pytest.skip("open_jtalk is not installed")
    with pytest.raises(VoiceUnavailable, match="hts-voice-nitech-jp-atr503-m001"):
        OpenJTalk(voice=tmp_path / "none.htsvoice")


def test_a_failing_synthesiser_is_a_named_error(tmp_path):
    if shutil.which("open_jtalk") is None:
        pytest.skip("open_jtalk is not installed")
    broken = tmp_path / "broken.htsvoice"
    broken.write_bytes(b"not an HTS voice")
    with pytest.raises(VoiceUnavailable, match="open_jtalk exited 1"):
        OpenJTalk(voice=broken).speak("テスト")


# --- the speaker ---------------------------------------------------------------------------------


@pytest.fixture
def tone_wav(tmp_path) -> Path:
    library = PromptLibrary.build(
        CountingSynthesizer(), {"hold_still": PROMPTS["hold_still"]}, "en", volume=50, cache=tmp_path
    )
    return library.path("hold_still")


@pytest.fixture
def aplay():
    if shutil.which("aplay") is None:
        pytest.skip("aplay is not installed (Debian package alsa-utils)")


def test_alsa_plays_through_the_null_device(aplay, tone_wav):
    speaker = AlsaSpeaker("null")
    speaker.check()
    speaker.play(tone_wav)


def test_a_missing_sound_card_is_speaker_missing(aplay, tone_wav):
    speaker = AlsaSpeaker("hw:CARD=NoSuchCard,DEV=0")
    with pytest.raises(SpeakerMissing, match="audio open error") as raised:
        speaker.check()
    assert raised.value.device == "speaker"
    with pytest.raises(SpeakerMissing):
        speaker.play(tone_wav)


def test_stop_cuts_a_playing_prompt_short(aplay, tmp_path):
    if SOX is None:
        pytest.skip("sox is not installed (Debian package sox)")
    long = tmp_path / "long.wav"
    subprocess.run(
        [SOX, "-n", "-r", "8000", "-b", "16", "-c", "1", str(long), "synth", "10", "sine", "300"], check=True
    )
    speaker = AlsaSpeaker("null")
    # ALSA's null device plays in real time, so 10 s of sound takes 10 s unless stopped
    done = threading.Event()
    threading.Thread(target=lambda: (speaker.play(long), done.set()), daemon=True).start()
    time.sleep(0.3)
    speaker.stop()
    assert done.wait(3.0), "play() returned after stop()"


# --- the announcer -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def library(tmp_path) -> PromptLibrary:
    return PromptLibrary.build(CountingSynthesizer(), PROMPTS, "ja", volume=50, cache=tmp_path)


def names(library: PromptLibrary, *codes: str) -> list[Path]:
    return [library.path(code) for code in codes]


def test_say_never_waits_for_the_speaker_and_the_newest_request_wins(library):
    hold = threading.Event()
    speaker = RecordingSpeaker(hold=hold)
    announcer = Announcer(speaker, library, clock=FakeClock())
    try:
        assert announcer.say("capture_start")
        deadline = time.monotonic() + 2
        while not speaker.played and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.perf_counter()
        assert announcer.say("move_closer")
        assert announcer.say("hold_still")  # replaces move_closer, not yet said
        assert not announcer.say("capture_start"), "what is playing is not queued again"
        assert time.perf_counter() - started < 0.05, "say() returned while the speaker was busy"
        hold.set()
        assert announcer.wait_idle()
        assert speaker.played == names(library, "capture_start", "hold_still")
    finally:
        hold.set()
        announcer.close()


def test_a_prompt_is_not_repeated_within_repeat_seconds(library):
    clock = FakeClock()
    speaker = RecordingSpeaker()
    announcer = Announcer(speaker, library, repeat_s=4.0, clock=clock)
    try:
        assert announcer.say("pad_blink") and announcer.wait_idle()
        clock.now += 3.9
        assert not announcer.say("pad_blink")
        clock.now += 0.2
        assert announcer.say("pad_blink") and announcer.wait_idle()
        assert not announcer.say("no_such_code")
        assert speaker.played == names(library, "pad_blink", "pad_blink")
    finally:
        announcer.close()


def test_a_missing_speaker_is_a_fault_and_is_tried_again(library):
    clock = FakeClock()
    speaker = RecordingSpeaker(missing=True)
    announcer = Announcer(speaker, library, retry_s=30.0, clock=clock)
    try:
        assert announcer.wait_idle()
        assert announcer.fault is not None and announcer.fault.code == "speaker_missing"
        assert not announcer.say("move_closer"), "dropped while the fault lasts"
        speaker.missing = False  # plugged back in
        clock.now += 31
        assert announcer.say("move_closer") and announcer.wait_idle()
        assert announcer.fault is None
        assert speaker.played == names(library, "move_closer")
    finally:
        announcer.close()


def test_start_voice_renders_into_the_cache_and_starts_on_the_double(tmp_path):
    synthesizer_or_skip("en")
    config = VoiceConfig(enabled=True, language="en", cache_dir=tmp_path / "voice")
    announcer = start_voice(config, simulated=True)
    try:
        assert announcer.fault is None
        assert len(list((tmp_path / "voice").glob("*.wav"))) == len(PROMPTS)
        assert announcer.say("capture_done") and announcer.wait_idle()
        assert isinstance(announcer.speaker, RecordingSpeaker) and len(announcer.speaker.played) == 1
    finally:
        announcer.close()


def test_start_voice_without_a_writable_cache_is_a_fault_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    announcer = start_voice(VoiceConfig(cache_dir=blocker / "voice"), simulated=True)
    try:
        assert announcer.fault is not None and announcer.fault.code == "voice_unavailable"
        assert not announcer.say("capture_start")
    finally:
        announcer.close()


def test_the_voice_section_is_strict():
    assert VoiceConfig().enabled is False and VoiceConfig().language == "ja"
    for bad in (
        {"device": "default; rm -rf /"},
        {"volume": 0},
        {"volume": 101},
        {"language": "fr"},
        {"loud": 1},
    ):
        with pytest.raises(ValidationError):
            VoiceConfig(**bad)
    with pytest.raises(ValidationError):
        VoiceConfig(cache_dir=Path("relative"))
