"""Spoken guidance for the visitor: prompts rendered offline at start-up, played on a thread.

One module a job: ``prompts`` (what is said, ja and en), ``synthesis`` (Open JTalk and eSpeak NG
into levelled, cached WAVs), ``speaker`` (ALSA through aplay, and the recording double),
``announcer`` (the thread that plays, newest request wins, faults instead of errors), ``settings``
(the ``[voice]`` section).

    announcer = start_voice(config.voice, simulated=config.hardware.kind == "simulated")
    announcer.say("pad_blink")  # never blocks
    announcer.fault  # for `madoguchi status`: None or Fault(code, detail, at)
"""

from __future__ import annotations

import logging

from madoguchi.voice.announcer import Announcer, Fault, fault_now
from madoguchi.voice.prompts import PROMPTS
from madoguchi.voice.settings import VoiceConfig
from madoguchi.voice.speaker import AlsaSpeaker, RecordingSpeaker, Speaker, SpeakerError, SpeakerMissing
from madoguchi.voice.synthesis import PromptLibrary, VoiceUnavailable, synthesizer_for

log = logging.getLogger(__name__)

__all__ = [
    "PROMPTS",
    "AlsaSpeaker",
    "Announcer",
    "Fault",
    "PromptLibrary",
    "RecordingSpeaker",
    "Speaker",
    "SpeakerError",
    "SpeakerMissing",
    "VoiceConfig",
    "VoiceUnavailable",
    "start_voice",
]


def start_voice(config: VoiceConfig, *, simulated: bool, speaker: Speaker | None = None) -> Announcer:
    """Render (or find in the cache) every prompt and start the announcer on ``speaker``, by default
    :class:`AlsaSpeaker` on ``config.device`` (the recording double when ``simulated``).

    Never raises for a missing synthesiser, cache or sound device: the announcer then starts silent
    with its :attr:`~Announcer.fault` set, and the counter serves on.
    """
    if speaker is None:
        speaker = RecordingSpeaker() if simulated else AlsaSpeaker(config.device)
    fault = None
    try:
        library = PromptLibrary.build(
            synthesizer_for(config.language),
            PROMPTS,
            config.language,
            volume=config.volume,
            cache=config.cache_dir,
        )
    except (VoiceUnavailable, OSError) as error:
        log.error("voice: the prompts could not be rendered, the counter stays silent: %s", error)
        library, fault = PromptLibrary({}), fault_now("voice_unavailable", str(error))
    return Announcer(speaker, library, repeat_s=config.repeat_seconds, fault=fault)
